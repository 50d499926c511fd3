//! Times as a person reads them, in their language: "just now", "2 minutes ago", "3 hours
//! ago", "yesterday", then the date ("3 December 2026", "3 décembre 2026"). The words are
//! fluent messages (`time-*`, `date-*`), so plurals follow each language's rules and a new
//! language needs only its folder.

use crate::{Locale, Renderer};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use std::collections::HashMap;
use tera::Value;

/// How long ago `at` was, seen at `now` (both UTC). A time in the future (clocks of two
/// processes a little apart) is "just now".
pub fn relative(locale: Locale, at: NaiveDateTime, now: NaiveDateTime) -> String {
    let seconds = (now - at).num_seconds();
    let (minutes, hours) = (seconds / 60, seconds / 3600);
    if minutes < 1 {
        Renderer::translate(locale, "time-just-now", &[])
    } else if hours < 1 {
        Renderer::translate(locale, "time-minutes-ago", &[("minutes", minutes.into())])
    } else if hours < 24 {
        Renderer::translate(locale, "time-hours-ago", &[("hours", hours.into())])
    } else if hours < 48 {
        Renderer::translate(locale, "time-yesterday", &[])
    } else {
        date(locale, at.date())
    }
}

/// A day written out in the reader's language.
pub fn date(locale: Locale, day: NaiveDate) -> String {
    let month = Renderer::translate(locale, &format!("date-month-{}", day.month()), &[]);
    Renderer::translate(
        locale,
        "date-long",
        &[
            ("day", i64::from(day.day()).into()),
            ("month", month.into()),
            // As text: a year is not a quantity, it takes no thousands separator.
            ("year", day.year().to_string().into()),
        ],
    )
}

/// The templates' `{{ "2026-12-03" | day(l=lang) }}`: a day (`YYYY-MM-DD`) written out in the
/// page's language; anything else is left as it is.
pub(crate) fn day_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let locale = args.get("l").and_then(Value::as_str).and_then(Locale::from_code).unwrap_or_default();
    match value.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()) {
        Some(day) => Ok(Value::String(date(locale, day))),
        None => Ok(value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(now: NaiveDateTime, seconds: i64) -> NaiveDateTime {
        now - TimeDelta::seconds(seconds)
    }

    #[test]
    fn recent_times_are_said_relative_to_now_in_each_language() {
        let now = NaiveDate::from_ymd_opt(2026, 12, 3).and_then(|d| d.and_hms_opt(12, 0, 0)).unwrap_or_default();
        let cases = [
            (0, "just now", "à l’instant"),
            (-30, "just now", "à l’instant"),
            (59, "just now", "à l’instant"),
            (60, "1 minute ago", "il y a 1\u{a0}minute"),
            (150, "2 minutes ago", "il y a 2\u{a0}minutes"),
            (3599, "59 minutes ago", "il y a 59\u{a0}minutes"),
            (3600, "1 hour ago", "il y a 1\u{a0}heure"),
            (3 * 3600 + 10, "3 hours ago", "il y a 3\u{a0}heures"),
            (30 * 3600, "yesterday", "hier"),
            (3 * 86400, "30 November 2026", "30\u{a0}novembre 2026"),
        ];
        for (seconds, en, fr) in cases {
            assert_eq!(relative(Locale::En, at(now, seconds), now), en, "{seconds} s");
            assert_eq!(relative(Locale::Fr, at(now, seconds), now), fr, "{seconds} s");
        }
    }

    #[test]
    fn dates_are_written_out_without_grouping_the_year() {
        let day = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default();
        assert_eq!(date(Locale::En, day), "1 January 2027");
        assert_eq!(date(Locale::Fr, day), "1er\u{a0}janvier 2027");
        let fr: HashMap<String, Value> = [("l".to_owned(), Value::from("fr"))].into();
        assert_eq!(day_filter(&Value::from("2026-12-03"), &fr).ok(), Some(Value::from("3\u{a0}décembre 2026")));
        assert_eq!(day_filter(&Value::from("soon"), &fr).ok(), Some(Value::from("soon")));
    }
}
