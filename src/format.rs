//! Formatting of campaign figures and dates for templates: `45000000 | money` → `£45m`,
//! `1500 | number` → `1,500`, dates in the site's language. Pure.

/// Money as campaigns write it: `£45m`, `£1.5bn`, `£250,000`, `£7.5m`; `exact` gives all digits.
pub fn money(amount: f64, currency: &str, exact: bool) -> Result<String, String> {
    if !amount.is_finite() {
        return Err("money: the amount is not a number".into());
    }
    let symbol = match currency {
        "GBP" => "£",
        "EUR" => "€",
        "USD" => "$",
        other => {
            return Err(format!(
                "money: unknown currency `{other}` (use GBP, EUR or USD)"
            ));
        }
    };
    let sign = if amount < 0.0 { "-" } else { "" };
    let a = amount.abs();
    // Millions are chosen by what the amount shows once rounded to one decimal, so
    // 999,950,000 is "£1bn" rather than "£1000m".
    let in_millions = tenths(a / 1e6);
    Ok(if exact || a < 1e6 {
        format!("{sign}{symbol}{}", number(a))
    } else if in_millions < 1000.0 {
        format!("{sign}{symbol}{}m", number(in_millions))
    } else {
        format!("{sign}{symbol}{}bn", number(tenths(a / 1e9)))
    })
}

/// Rounded to one decimal: 7.25 → 7.3.
fn tenths(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Thousands separated by commas; up to two decimals when the number has them.
pub fn number(n: f64) -> String {
    let negative = n < 0.0;
    // Round to hundredths first, so 2.999 is "3" and 1999.996 is "2,000".
    let hundredths = (n.abs() * 100.0).round() as u128;
    let negative = negative && hundredths > 0;
    let whole = hundredths / 100;
    let frac = (hundredths % 100) as u32;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if frac > 0 {
        let f = format!("{frac:02}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    if negative { format!("-{out}") } else { out }
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const CY_MONTHS: [&str; 12] = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
];
const CY_DAYS: [&str; 7] = [
    "Dydd Llun",
    "Dydd Mawrth",
    "Dydd Mercher",
    "Dydd Iau",
    "Dydd Gwener",
    "Dydd Sadwrn",
    "Dydd Sul",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const FR_DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// Formats a date (`2026-03-03`) or an RFC 3339 time for people, in the site's language and
/// time zone. Formats: `long` (3 March 2026), `short` (3 Mar 2026), `time` (09:30, Tuesday
/// 3 March 2026), `iso` (2026-03-03), `rfc3339`, or a strftime pattern containing `%`.
pub fn date(
    input: &str,
    format: &str,
    language: &str,
    tz: &jiff::tz::TimeZone,
) -> Result<String, String> {
    let zoned = if input.len() == 10 {
        let d: jiff::civil::Date = input
            .parse()
            .map_err(|e| format!("date: `{input}` is not a date ({e})"))?;
        d.to_zoned_datetime(tz.clone())
            .map_err(|e| format!("date: {e}"))?
    } else {
        let t: jiff::Timestamp = input
            .parse()
            .map_err(|e| format!("date: `{input}` is not a date or time ({e})"))?;
        t.to_zoned_datetime(tz.clone())
    };
    let lang = language.split('-').next().unwrap_or("en");
    let (months, days) = match lang {
        "cy" => (CY_MONTHS, CY_DAYS),
        "fr" => (FR_MONTHS, FR_DAYS),
        _ => (EN_MONTHS, EN_DAYS),
    };
    let m = months[zoned.month() as usize - 1];
    let wd = days[zoned.weekday().to_monday_zero_offset() as usize];
    let day = zoned.day();
    let year = zoned.year();
    let us = language.eq_ignore_ascii_case("en-US");
    Ok(match format {
        "long" if us => format!("{m} {day}, {year}"),
        "long" => format!("{day} {m} {year}"),
        "short" if us => format!("{} {day}, {year}", short(m)),
        "short" => format!("{day} {} {year}", short(m)),
        "time" => format!(
            "{:02}:{:02}, {wd} {day} {m} {year}",
            zoned.hour(),
            zoned.minute()
        ),
        "iso" => zoned.date().to_string(),
        "rfc3339" => zoned.timestamp().to_string(),
        f if f.contains('%') => zoned.strftime(f).to_string(),
        other => {
            return Err(format!(
                "date: unknown format `{other}` (use long, short, time, iso, rfc3339 or a %-pattern)"
            ));
        }
    })
}

fn short(month: &str) -> String {
    month.chars().take(3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_like_a_campaign() {
        assert_eq!(money(45_000_000.0, "GBP", false).unwrap(), "£45m");
        assert_eq!(money(110_000_000.0, "GBP", false).unwrap(), "£110m");
        assert_eq!(money(1_500_000.0, "GBP", false).unwrap(), "£1.5m");
        assert_eq!(money(250_000.0, "GBP", false).unwrap(), "£250,000");
        assert_eq!(money(2_000_000_000.0, "GBP", false).unwrap(), "£2bn");
        assert_eq!(money(999_950_000.0, "GBP", false).unwrap(), "£1bn");
        assert_eq!(money(999_940_000.0, "GBP", false).unwrap(), "£999.9m");
        assert_eq!(money(999_999.0, "GBP", false).unwrap(), "£999,999");
        assert_eq!(
            money(1_500_000_000_000.0, "GBP", false).unwrap(),
            "£1,500bn"
        );
        assert_eq!(money(7_250_000.0, "GBP", false).unwrap(), "£7.3m");
        assert_eq!(money(-45_000_000.0, "GBP", false).unwrap(), "-£45m");
        assert_eq!(money(45_000_000.0, "GBP", true).unwrap(), "£45,000,000");
        assert!(money(1.0, "XYZ", false).is_err());
    }

    #[test]
    fn numbers_with_separators() {
        assert_eq!(number(1500.0), "1,500");
        assert_eq!(number(970.0), "970");
        assert_eq!(number(1234567.5), "1,234,567.5");
        assert_eq!(number(-2000.0), "-2,000");
        assert_eq!(number(2.999), "3");
        assert_eq!(number(1999.996), "2,000");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-0.001), "0");
    }

    #[test]
    fn dates_in_the_site_language() {
        let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
        assert_eq!(
            date("2026-03-03", "long", "en-GB", &tz).unwrap(),
            "3 March 2026"
        );
        assert_eq!(
            date("2026-03-03", "long", "en-US", &tz).unwrap(),
            "March 3, 2026"
        );
        assert_eq!(
            date("2026-03-03", "short", "en", &tz).unwrap(),
            "3 Mar 2026"
        );
        assert_eq!(
            date("2026-03-03T09:30:00Z", "time", "en-GB", &tz).unwrap(),
            "09:30, Tuesday 3 March 2026"
        );
        assert_eq!(
            date("2026-03-03", "long", "cy", &tz).unwrap(),
            "3 Mawrth 2026"
        );
        assert!(date("2026-02-30", "long", "en", &tz).is_err());
    }
}
