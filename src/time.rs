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

/// An instant as a writer in the site's time zone reads it: `2027-06-10T09:00+01:00` (with
/// seconds only when there are some), or `2027-06-10` for a date written without a time (its
/// midnight there).
pub fn in_zone(at: Timestamp, date_only: bool, tz: &jiff::tz::TimeZone) -> String {
    let dt = tz.to_datetime(at);
    if date_only && dt.time() == jiff::civil::Time::midnight() {
        return dt.date().to_string();
    }
    let seconds = tz.to_offset(at).seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    let time = if dt.second() == 0 && dt.subsec_nanosecond() == 0 {
        dt.strftime("%Y-%m-%dT%H:%M").to_string()
    } else {
        dt.strftime("%Y-%m-%dT%H:%M:%S").to_string()
    };
    format!("{time}{sign}{h:02}:{m:02}")
}

/// What a writer most likely meant by a date written another way than `YYYY-MM-DD`:
/// `01/02/2018`, `1.2.2018`, `1-2-2018` read as the site's language writes dates (day first,
/// as in `en-GB`, or month first, as in `en-US`), `2018/2/1` year first; with a time after it
/// (`01/02/2018 09:30`) kept. Only a reading that is a real date is given: when the language's
/// order makes none (`01/13/2018` on a British site), the other order is tried.
pub fn guess_date(text: &str, language: &str) -> Option<(jiff::civil::Date, Option<String>)> {
    let text = text.trim();
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim().to_string()).filter(|t| !t.is_empty())),
        None => (text, None),
    };
    let parts: Vec<&str> = date.split(['/', '.', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    if !parts
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let number = |s: &str| s.parse::<i16>().ok();
    let make = |y: &str, m: &str, d: &str| -> Option<jiff::civil::Date> {
        jiff::civil::Date::new(
            number(y)?,
            i8::try_from(number(m)?).ok()?,
            i8::try_from(number(d)?).ok()?,
        )
        .ok()
    };
    let found = if a.len() == 4 {
        make(a, b, c)
    } else if c.len() == 4 {
        let month_first = matches!(
            language.to_ascii_lowercase().as_str(),
            "en-us" | "en-ph" | "en-as" | "en-gu" | "en-mp" | "en-pr" | "en-um" | "en-vi"
        );
        let (usual, other) = if month_first {
            (make(c, a, b), make(c, b, a))
        } else {
            (make(c, b, a), make(c, a, b))
        };
        usual.or(other)
    } else {
        None
    };
    found.map(|d| (d, time))
}

/// The hint for a date written another way than `YYYY-MM-DD`: "did you mean `2018-02-01`
/// (1 February 2018)?", the date in words as the site's language writes it.
pub fn date_hint(text: &str, language: &str) -> Option<String> {
    let (date, time) = guess_date(text, language)?;
    let words = crate::format::date(
        &date.to_string(),
        "long",
        language,
        &jiff::tz::TimeZone::UTC,
    )
    .ok()?;
    Some(match time {
        Some(t) => format!("did you mean `{date}T{t}` ({words}, {t})? Write dates as YYYY-MM-DD"),
        None => format!("did you mean `{date}` ({words})? Write dates as YYYY-MM-DD"),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_shown_in_the_site_zone_with_its_offset() {
        let london = jiff::tz::TimeZone::get("Europe/London").unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(
            in_zone(at("2027-06-10T08:00:00Z"), false, &london),
            "2027-06-10T09:00+01:00"
        );
        assert_eq!(
            in_zone(at("2027-01-10T08:00:30Z"), false, &london),
            "2027-01-10T08:00:30+00:00"
        );
        assert_eq!(
            in_zone(at("2027-06-09T23:00:00Z"), true, &london),
            "2027-06-10"
        );
        let new_york = jiff::tz::TimeZone::get("America/New_York").unwrap();
        assert_eq!(
            in_zone(at("2027-01-10T17:00:00Z"), false, &new_york),
            "2027-01-10T12:00-05:00"
        );
    }

    #[test]
    fn dates_written_the_british_way_are_read_day_first() {
        let g = |t: &str, l: &str| guess_date(t, l).map(|(d, time)| (d.to_string(), time));
        assert_eq!(g("01/02/2018", "en-GB"), Some(("2018-02-01".into(), None)));
        assert_eq!(g("1.2.2018", "cy"), Some(("2018-02-01".into(), None)));
        assert_eq!(g("01/02/2018", "en-US"), Some(("2018-01-02".into(), None)));
        // No 13th month: the writer meant it the other way round.
        assert_eq!(g("01/13/2018", "en-GB"), Some(("2018-01-13".into(), None)));
        assert_eq!(g("2018/2/1", "en-GB"), Some(("2018-02-01".into(), None)));
        assert_eq!(
            g("01/02/2018 09:30", "en-GB"),
            Some(("2018-02-01".into(), Some("09:30".into())))
        );
        for nothing in [
            "31/02/2018",
            "01/02/18",
            "tomorrow",
            "2018-02",
            "1/2/3/4",
            "a/b/2018",
        ] {
            assert_eq!(g(nothing, "en-GB"), None, "{nothing}");
        }
        assert_eq!(
            date_hint("01/02/2018", "en-GB").as_deref(),
            Some("did you mean `2018-02-01` (1 February 2018)? Write dates as YYYY-MM-DD")
        );
        assert_eq!(
            date_hint("01/02/2018", "en-US").as_deref(),
            Some("did you mean `2018-01-02` (January 2, 2018)? Write dates as YYYY-MM-DD")
        );
    }
}
