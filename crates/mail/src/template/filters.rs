//! Filters for dates, times, numbers and money in the recipient's locale (`de-DE`, `de-AT`, `de-CH`,
//! `en-GB`, `en-US`, ...). The locale and time zone come from the template variables `locale` and
//! `timezone` (set per recipient); a filter argument overrides them.
//!
//! `{{ order.total | money }}` → `1.234,50 €` (de-DE), `€1,234.50` (en-GB);
//! `{{ order.date | date }}` → `22. November 2026`; `{{ sent_at | datetime }}` → `22. November 2026, 14:30 Uhr`.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use minijinja::{Error, ErrorKind, State, Value};

/// The locale's way of writing numbers and dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Locale {
    De,
    /// de-CH writes 1'234.50.
    DeCh,
    EnGb,
    EnUs,
}

impl Locale {
    /// Called for every filtered value, so it does not allocate.
    fn parse(tag: &str) -> Result<Self, Error> {
        let t = tag.trim().as_bytes();
        let (lang, region) = match t {
            [a, b] => ([a.to_ascii_lowercase(), b.to_ascii_lowercase()], None),
            [a, b, b'-' | b'_', region @ ..] => ([a.to_ascii_lowercase(), b.to_ascii_lowercase()], Some(region)),
            _ => ([0, 0], None),
        };
        let region_is = |r: &str| region.is_some_and(|x| x.eq_ignore_ascii_case(r.as_bytes()));
        Ok(match &lang {
            b"de" if region_is("ch") || region_is("li") => Self::DeCh,
            b"de" => Self::De,
            b"en" if region_is("us") => Self::EnUs,
            b"en" => Self::EnGb,
            _ => return Err(invalid(format!("unknown locale {tag:?} (use de-DE, de-AT, de-CH, en-GB or en-US)"))),
        })
    }

    fn of(state: &State, given: Option<&str>) -> Result<Self, Error> {
        match given {
            Some(tag) => Self::parse(tag),
            None => match state.lookup("locale") {
                Some(v) if v.as_str().is_some() => Self::parse(v.as_str().unwrap_or_default()),
                _ => Ok(Self::De),
            },
        }
    }

    fn german(self) -> bool {
        matches!(self, Self::De | Self::DeCh)
    }

    fn separators(self) -> (&'static str, char) {
        match self {
            Self::De => (".", ','),
            Self::DeCh => ("\u{2019}", '.'),
            Self::EnGb | Self::EnUs => (",", '.'),
        }
    }
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// A missing value is reported as undefined (naming the expression), not as "  is not a number".
fn defined(value: &Value) -> Result<(), Error> {
    if value.is_undefined() { Err(Error::from(ErrorKind::UndefinedError)) } else { Ok(()) }
}

/// Registers the filters on an environment.
pub(crate) fn register(env: &mut minijinja::Environment<'_>) {
    env.add_filter("money", money);
    env.add_filter("number", number);
    env.add_filter("date", date);
    env.add_filter("datetime", datetime);
}

/// `{{ x | money }}`, `{{ x | money("CHF") }}`, `{{ x | money("EUR", "en-GB") }}`. The currency
/// defaults to the variable `currency`, then EUR. Amounts are numbers or decimal strings (`"19.90"`).
fn money(state: &State, value: Value, currency: Option<Value>, locale: Option<String>) -> Result<String, Error> {
    defined(&value)?;
    let locale = Locale::of(state, locale.as_deref())?;
    let looked_up;
    let currency = match &currency {
        Some(c) => c.as_str().ok_or_else(|| invalid(format!("currency {c} is not a code such as EUR")))?,
        None => {
            looked_up = state.lookup("currency");
            looked_up.as_ref().and_then(|v| v.as_str()).unwrap_or("EUR")
        }
    };
    let cents = to_cents(&value)?;
    let symbol = match currency {
        c if c.eq_ignore_ascii_case("EUR") => "€",
        c if c.eq_ignore_ascii_case("GBP") => "£",
        c if c.eq_ignore_ascii_case("USD") => "$",
        _ => "",
    };
    // Called for every price of every recipient: one allocation.
    let mut out = String::with_capacity(24);
    let code = |out: &mut String| currency.chars().for_each(|c| out.push(c.to_ascii_uppercase()));
    if locale.german() {
        group_into(&mut out, cents, 2, locale);
        out.push(' ');
        if symbol.is_empty() { code(&mut out) } else { out.push_str(symbol) }
    } else if symbol.is_empty() {
        code(&mut out);
        out.push(' ');
        group_into(&mut out, cents, 2, locale);
    } else {
        if cents < 0 {
            out.push('-');
        }
        out.push_str(symbol);
        group_into(&mut out, cents.saturating_abs(), 2, locale);
    }
    Ok(out)
}

/// `{{ x | number }}` (as many decimals as needed, at most 2), `{{ x | number(0) }}`.
fn number(state: &State, value: Value, decimals: Option<u32>, locale: Option<String>) -> Result<String, Error> {
    defined(&value)?;
    let locale = Locale::of(state, locale.as_deref())?;
    let f = to_f64(&value)?;
    let decimals = decimals.unwrap_or(if f.fract() == 0.0 { 0 } else { 2 }).min(6);
    let scaled = (f * 10f64.powi(decimals as i32)).round();
    if !scaled.is_finite() || scaled.abs() > 9e17 {
        return Err(invalid(format!("{value} is too large to format")));
    }
    Ok(group(scaled as i64, decimals, locale))
}

/// An integer of `decimals` fixed decimal places, with grouping: 123456 (2) → `1.234,56`.
fn group(scaled: i64, decimals: u32, locale: Locale) -> String {
    let mut out = String::with_capacity(24);
    group_into(&mut out, scaled, decimals, locale);
    out
}

fn group_into(out: &mut String, scaled: i64, decimals: u32, locale: Locale) {
    let (thousands, decimal) = locale.separators();
    if scaled < 0 {
        out.push('-');
    }
    // The digits, at least one before the decimal separator, without allocating.
    let mut buf = [b'0'; 24];
    let mut n = scaled.unsigned_abs();
    let mut len = 0;
    while n > 0 || len <= decimals as usize {
        buf[buf.len() - 1 - len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    let digits = &buf[buf.len() - len..];
    let (int, frac) = digits.split_at(len - decimals as usize);
    for (i, &c) in int.iter().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push_str(thousands);
        }
        out.push(char::from(c));
    }
    if decimals > 0 {
        out.push(decimal);
        frac.iter().for_each(|&c| out.push(char::from(c)));
    }
}

fn to_f64(value: &Value) -> Result<f64, Error> {
    if let Some(s) = value.as_str() {
        return s.trim().parse::<f64>().map_err(|_| invalid(format!("{s:?} is not a number")));
    }
    f64::try_from(value.clone()).map_err(|_| invalid(format!("{value} is not a number")))
}

/// Exact for decimal strings (`"0.10"`), rounded to the cent for floats.
fn to_cents(value: &Value) -> Result<i64, Error> {
    if let Some(s) = value.as_str() {
        let s = s.trim();
        let (neg, digits) = s.strip_prefix('-').map_or((false, s), |d| (true, d));
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let ok = !int.is_empty()
            && int.len() <= 15
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 2
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(invalid(format!("{s:?} is not an amount such as 19.90")));
        }
        let frac_cents =
            frac.bytes().chain(std::iter::repeat(b'0')).take(2).fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
        let cents = int.parse::<i64>().unwrap_or(0) * 100 + frac_cents;
        return Ok(if neg { -cents } else { cents });
    }
    let f = to_f64(value)?;
    let cents = (f * 100.0).round();
    if !cents.is_finite() || cents.abs() > 9e17 {
        return Err(invalid(format!("{value} is not an amount")));
    }
    Ok(cents as i64)
}

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
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

/// A date from `2026-11-22`, an RFC 3339 time, or a Unix timestamp (seconds).
fn to_date_time(value: &Value) -> Result<DateTime<Utc>, Error> {
    if let Some(s) = value.as_str() {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(t.with_timezone(&Utc));
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
            return Ok(t.and_utc());
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(d.and_hms_opt(12, 0, 0).map(|t| t.and_utc()).unwrap_or_default());
        }
        return Err(invalid(format!("{s:?} is not a date such as 2026-11-22 or 2026-11-22T14:30:00Z")));
    }
    let secs = i64::try_from(value.clone()).map_err(|_| invalid(format!("{value} is not a date")))?;
    Utc.timestamp_opt(secs, 0).single().ok_or_else(|| invalid(format!("{secs} is not a valid timestamp")))
}

/// `{{ d | date }}` (long), `{{ d | date("short") }}`, `{{ d | date("medium", "en-US") }}`.
fn date(state: &State, value: Value, style: Option<String>, locale: Option<String>) -> Result<String, Error> {
    defined(&value)?;
    let locale = Locale::of(state, locale.as_deref())?;
    let t = to_date_time(&value)?;
    format_day(t.date_naive(), style.as_deref().unwrap_or("long"), locale)
}

fn format_day(d: NaiveDate, style: &str, locale: Locale) -> Result<String, Error> {
    let (day, month, year) = (d.day(), d.month0() as usize, d.year());
    let long = if locale.german() { MONTHS_DE[month] } else { MONTHS_EN[month] };
    let short_month =
        if long.len() > 4 { &long[..long.char_indices().nth(3).map_or(long.len(), |(i, _)| i)] } else { long };
    Ok(match (style, locale) {
        ("short", Locale::De | Locale::DeCh) => format!("{day:02}.{:02}.{year}", month + 1),
        ("short", Locale::EnGb) => format!("{day:02}/{:02}/{year}", month + 1),
        ("short", Locale::EnUs) => format!("{}/{day}/{year}", month + 1),
        ("medium", Locale::De | Locale::DeCh) if long.len() > 4 => format!("{day}. {short_month}. {year}"),
        ("medium", Locale::De | Locale::DeCh) => format!("{day}. {long} {year}"),
        ("medium", Locale::EnGb) => format!("{day} {short_month} {year}"),
        ("medium", Locale::EnUs) => format!("{short_month} {day}, {year}"),
        ("long", Locale::De | Locale::DeCh) => format!("{day}. {long} {year}"),
        ("long", Locale::EnGb) => format!("{day} {long} {year}"),
        ("long", Locale::EnUs) => format!("{long} {day}, {year}"),
        (other, _) => return Err(invalid(format!("unknown date style {other:?} (use short, medium or long)"))),
    })
}

/// `{{ t | datetime }}` in the variable `timezone` (default Europe/Berlin), or `datetime("Europe/London")`.
fn datetime(state: &State, value: Value, tz: Option<String>, locale: Option<String>) -> Result<String, Error> {
    defined(&value)?;
    let locale = Locale::of(state, locale.as_deref())?;
    let tz_name = match tz {
        Some(t) => t,
        None => state
            .lookup("timezone")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "Europe/Berlin".into()),
    };
    let zone = jiff::tz::TimeZone::get(&tz_name).map_err(|_| invalid(format!("unknown time zone {tz_name:?}")))?;
    let utc = to_date_time(&value)?;
    let instant = jiff::Timestamp::new(utc.timestamp(), 0).map_err(|e| invalid(format!("{utc}: {e}")))?;
    let offset = FixedOffset::east_opt(zone.to_offset(instant).seconds())
        .ok_or_else(|| invalid(format!("time zone {tz_name:?} has no usable offset at {utc}")))?;
    let t = utc.with_timezone(&offset);
    let day = format_day(t.date_naive(), "long", locale)?;
    Ok(match locale {
        Locale::De | Locale::DeCh => format!("{day}, {:02}:{:02} Uhr", t.hour(), t.minute()),
        Locale::EnGb => format!("{day}, {:02}:{:02}", t.hour(), t.minute()),
        Locale::EnUs => {
            let (pm, h) = t.hour12();
            format!("{day}, {h}:{:02} {}", t.minute(), if pm { "PM" } else { "AM" })
        }
    })
}

#[cfg(test)]
mod tests {
    use minijinja::{Environment, context};

    use super::*;

    fn render(src: &str, ctx: Value) -> Result<String, Error> {
        let mut env = Environment::new();
        register(&mut env);
        env.render_str(src, ctx)
    }

    #[test]
    fn money_per_locale() {
        let cases = [
            ("de-DE", "EUR", "1.234,50 €"),
            ("de-AT", "EUR", "1.234,50 €"),
            ("de-CH", "CHF", "1\u{2019}234.50 CHF"),
            ("en-GB", "GBP", "£1,234.50"),
            ("en-GB", "EUR", "€1,234.50"),
            ("en-US", "USD", "$1,234.50"),
        ];
        for (locale, currency, want) in cases {
            let got = render("{{ x | money }}", context! { x => "1234.5", locale, currency }).unwrap();
            assert_eq!(got, want, "{locale} {currency}");
        }
        assert_eq!(render("{{ x | money }}", context! { x => 0.1 + 0.2 }).unwrap(), "0,30 €");
        assert_eq!(render("{{ x | money('USD', 'en-US') }}", context! { x => -5 }).unwrap(), "-$5.00");
        assert_eq!(render("{{ x | money }}", context! { x => 1234567 }).unwrap(), "1.234.567,00 €");
        assert_eq!(render("{{ x | money('SEK', 'en-GB') }}", context! { x => "7" }).unwrap(), "SEK 7.00");
        let e = render("{{ x | money }}", context! { x => "12,50" }).unwrap_err();
        assert!(e.to_string().contains("\"12,50\" is not an amount"), "{e}");
        assert!(
            render("{{ x | money }}", context! { x => 1, locale => "fr-FR" })
                .unwrap_err()
                .to_string()
                .contains("unknown locale")
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(render("{{ 1234567 | number }}", context! {}).unwrap(), "1.234.567");
        assert_eq!(render("{{ 3.14159 | number(2, 'en-US') }}", context! {}).unwrap(), "3.14");
        assert_eq!(render("{{ 0.5 | number }}", context! { locale => "de-DE" }).unwrap(), "0,50");
    }

    #[test]
    fn dates_and_times() {
        let d = "2026-11-02";
        let cases = [
            ("de-DE", "long", "2. November 2026"),
            ("de-DE", "medium", "2. Nov. 2026"),
            ("de-DE", "short", "02.11.2026"),
            ("en-GB", "long", "2 November 2026"),
            ("en-GB", "short", "02/11/2026"),
            ("en-US", "long", "November 2, 2026"),
            ("en-US", "medium", "Nov 2, 2026"),
            ("en-US", "short", "11/2/2026"),
        ];
        for (locale, style, want) in cases {
            assert_eq!(
                render("{{ d | date(style) }}", context! { d, style, locale }).unwrap(),
                want,
                "{locale} {style}"
            );
        }
        assert_eq!(render("{{ d | date('medium') }}", context! { d => "2026-05-01" }).unwrap(), "1. Mai 2026");
        let t = "2026-07-01T12:30:00Z";
        assert_eq!(render("{{ t | datetime }}", context! { t }).unwrap(), "1. Juli 2026, 14:30 Uhr");
        assert_eq!(
            render("{{ t | datetime }}", context! { t, locale => "en-US", timezone => "America/New_York" }).unwrap(),
            "July 1, 2026, 8:30 AM"
        );
        assert_eq!(
            render("{{ t | datetime('Europe/London', 'en-GB') }}", context! { t }).unwrap(),
            "1 July 2026, 13:30"
        );
        // Winter time, and the night the clocks go back (02:59 summer time is followed by 02:00).
        let winter = "2026-01-15T12:00:00Z";
        assert_eq!(render("{{ winter | datetime }}", context! { winter }).unwrap(), "15. Januar 2026, 13:00 Uhr");
        for (t, want) in [("2026-10-25T00:59:00Z", "02:59"), ("2026-10-25T01:00:00Z", "02:00")] {
            let got = render("{{ t | datetime }}", context! { t }).unwrap();
            assert!(got.ends_with(&format!("{want} Uhr")), "{t}: {got}");
        }
        assert_eq!(render("{{ 0 | date('short', 'en-GB') }}", context! {}).unwrap(), "01/01/1970");
        assert!(render("{{ 'gestern' | date }}", context! {}).unwrap_err().to_string().contains("not a date"));
        for filter in ["money", "number", "date", "datetime"] {
            let e = render(&format!("{{{{ missing | {filter} }}}}"), context! {}).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UndefinedError, "{filter}: {e}");
        }
        assert!(
            render("{{ t | datetime('Mars/Base') }}", context! { t })
                .unwrap_err()
                .to_string()
                .contains("unknown time zone")
        );
    }
}
