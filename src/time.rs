//! Points in time as writers give them: in front matter (`publish_at: 2026-03-03T09:30`) and on
//! the command line (`--as-of`). A time with an offset is that instant; a date or a time without
//! one is read in the site's time zone, never the machine's. Pure.

use jiff::Timestamp;

/// A point in time from front matter, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct When {
    pub at: Timestamp,
    /// Whether only a date was written (no time of day).
    pub date_only: bool,
}

/// Parses a time as written in front matter or on the command line (`--as-of`).
pub fn parse_when(text: &str, tz: &jiff::tz::TimeZone) -> Result<When, String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(When {
            at: ts,
            date_only: false,
        });
    }
    if t.len() == 10 {
        return match t.parse::<jiff::civil::Date>() {
            Ok(d) => d
                .to_zoned_datetime(tz.clone())
                .map(|z| When {
                    at: z.timestamp(),
                    date_only: true,
                })
                .map_err(|e| format!("`{t}` cannot be placed in the site's time zone ({e})")),
            Err(e) => Err(format!("`{t}` is not a valid date ({e})")),
        };
    }
    match t.replace(' ', "T").parse::<jiff::civil::DateTime>() {
        Ok(dt) => dt
            .to_zoned_datetime(tz.clone())
            .map(|z| When {
                at: z.timestamp(),
                date_only: false,
            })
            .map_err(|e| format!("`{t}` cannot be placed in the site's time zone ({e})")),
        Err(e) => Err(format!("`{t}` is not a valid date or time ({e})")),
    }
}
