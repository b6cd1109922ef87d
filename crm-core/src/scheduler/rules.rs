//! Rule evaluation: node-attribute expressions, date expressions (against the
//! given `now`, never the clock), resource and operation expressions, nested
//! rules; and the name/value-set unpacking that uses them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use cib_schema::{DateExpression, DateSpec, Expression, NvSet, Rule, RuleItem};

use super::score::Score;

/// What a rule can look at.
#[derive(Default, Clone, Copy)]
pub struct RuleContext<'a> {
    pub node_attrs: Option<&'a BTreeMap<String, String>>,
    pub now: i64,
    pub rsc: Option<(&'a str, Option<&'a str>, &'a str)>,
    pub op: Option<(&'a str, u64)>,
    /// Resource parameters and meta, for `value-source="param|meta"`.
    pub rsc_params: Option<&'a BTreeMap<String, String>>,
    pub rsc_meta: Option<&'a BTreeMap<String, String>>,
    pub role: Option<&'a str>,
}

pub fn eval_rule(rule: &Rule, ctx: &RuleContext<'_>) -> bool {
    if let Some(role) = &rule.role {
        if let Some(cur) = ctx.role {
            if !role.eq_ignore_ascii_case(cur) {
                return false;
            }
        }
    }
    let or = rule.boolean_op.as_deref() == Some("or");
    if rule.items.is_empty() {
        // An empty rule passes (Pacemaker treats it as true).
        return true;
    }
    let mut results = rule.items.iter().map(|item| eval_item(item, ctx));
    if or {
        results.any(|r| r)
    } else {
        results.all(|r| r)
    }
}

fn eval_item(item: &RuleItem, ctx: &RuleContext<'_>) -> bool {
    match item {
        RuleItem::Expression(e) => eval_expression(e, ctx),
        RuleItem::Date(d) => eval_date(d, ctx.now) == DateResult::InRange,
        RuleItem::Rsc(r) => match ctx.rsc {
            Some((class, provider, agent)) => {
                r.class.as_deref().is_none_or(|c| c == class)
                    && r.provider.as_deref().is_none_or(|p| Some(p) == provider)
                    && r.agent.as_deref().is_none_or(|t| t == agent)
            }
            None => false,
        },
        RuleItem::Op(o) => match ctx.op {
            Some((name, interval_ms)) => {
                o.name.as_deref().is_none_or(|n| n == name)
                    && o.interval.as_deref().is_none_or(|i| parse_interval_ms(i) == Some(interval_ms))
            }
            None => false,
        },
        RuleItem::Rule(r) => eval_rule(r, ctx),
    }
}

fn eval_expression(e: &Expression, ctx: &RuleContext<'_>) -> bool {
    let attr = e.attribute.as_deref().unwrap_or("");
    let op = e.operation.as_deref().unwrap_or("");
    let actual = ctx.node_attrs.and_then(|a| a.get(attr)).map(String::as_str);
    let expected: Option<String> = match e.value_source.as_deref() {
        Some("param") => e.value.as_ref().and_then(|v| ctx.rsc_params.and_then(|p| p.get(v)).cloned()),
        Some("meta") => e.value.as_ref().and_then(|v| ctx.rsc_meta.and_then(|p| p.get(v)).cloned()),
        _ => e.value.clone(),
    };
    match op {
        "defined" => return actual.is_some(),
        "not_defined" => return actual.is_none(),
        _ => {}
    }
    let (Some(actual), Some(expected)) = (actual, expected.as_deref()) else {
        // A comparison with a missing side is false, except "ne" which is true.
        return op == "ne";
    };
    let kind = e.value_type.as_deref().unwrap_or_else(|| {
        if matches!(op, "lt" | "lte" | "gt" | "gte") && is_number(actual) && is_number(expected) {
            "number"
        } else {
            "string"
        }
    });
    let ord = match kind {
        // Integers are read as C's strtoll reads them: "3.6" is 3.
        "integer" => match (leading_integer(actual), leading_integer(expected)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => Some(actual.cmp(expected)),
        },
        "number" => {
            let a = actual.trim().parse::<f64>().ok();
            let b = expected.trim().parse::<f64>().ok();
            match (a, b) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(actual.cmp(expected)),
            }
        }
        "version" => Some(compare_versions(actual, expected)),
        _ => Some(actual.to_ascii_lowercase().cmp(&expected.to_ascii_lowercase())),
    };
    let Some(ord) = ord else { return false };
    use std::cmp::Ordering::*;
    match op {
        "eq" => ord == Equal,
        "ne" => ord != Equal,
        "lt" => ord == Less,
        "lte" => ord != Greater,
        "gt" => ord == Greater,
        "gte" => ord != Less,
        _ => false,
    }
}

fn is_number(s: &str) -> bool {
    s.trim().parse::<f64>().is_ok()
}

fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let pa: Vec<u64> = a.split('.').map(|x| x.parse().unwrap_or(0)).collect();
    let pb: Vec<u64> = b.split('.').map(|x| x.parse().unwrap_or(0)).collect();
    let n = pa.len().max(pb.len());
    for i in 0..n {
        let (x, y) = (pa.get(i).copied().unwrap_or(0), pb.get(i).copied().unwrap_or(0));
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

#[derive(Debug, PartialEq, Eq)]
pub enum DateResult {
    InRange,
    Before,
    After,
}

pub fn eval_date(d: &DateExpression, now: i64) -> DateResult {
    let start = d.start.as_deref().and_then(parse_datetime);
    let mut end = d.end.as_deref().and_then(parse_datetime);
    match d.operation.as_deref().unwrap_or("in_range") {
        "gt" => match start {
            Some(s) if now > s => DateResult::InRange,
            _ => DateResult::Before,
        },
        "lt" => match end {
            Some(e) if now < e => DateResult::InRange,
            _ => DateResult::After,
        },
        "date_spec" => match &d.date_spec {
            Some(spec) if date_spec_matches(spec, now) => DateResult::InRange,
            _ => DateResult::Before,
        },
        _ => {
            if end.is_none() {
                if let (Some(s), Some(dur)) = (start, &d.duration) {
                    end = Some(add_duration(s, dur));
                }
            }
            if let Some(s) = start {
                if now < s {
                    return DateResult::Before;
                }
            }
            if let Some(e) = end {
                if now > e {
                    return DateResult::After;
                }
            }
            DateResult::InRange
        }
    }
}

fn add_duration(start: i64, d: &cib_schema::Duration) -> i64 {
    let n = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let (y, mo, d0, h, mi, s) = civil_from_ts(start);
    let total_months = y * 12 + (mo - 1) + n(&d.years) * 12 + n(&d.months);
    let (ny, nmo) = (total_months.div_euclid(12), total_months.rem_euclid(12) + 1);
    let base = ts_from_civil(ny, nmo, d0.min(days_in_month(ny, nmo)), h, mi, s);
    base + n(&d.weeks) * 7 * 86400
        + n(&d.days) * 86400
        + n(&d.hours) * 3600
        + n(&d.minutes) * 60
        + n(&d.seconds)
}

fn in_ranges(spec: &Option<String>, value: i64) -> bool {
    let Some(spec) = spec else { return true };
    spec.split(',').any(|part| {
        let part = part.trim();
        match part.split_once('-') {
            Some((a, b)) if !a.is_empty() => {
                let a = a.trim().parse::<i64>().unwrap_or(i64::MIN);
                let b = b.trim().parse::<i64>().unwrap_or(i64::MAX);
                value >= a && value <= b
            }
            _ => part.parse::<i64>().map(|v| v == value).unwrap_or(false),
        }
    })
}

fn date_spec_matches(spec: &DateSpec, now: i64) -> bool {
    let (y, mo, d, h, mi, s) = civil_from_ts(now);
    let days = now.div_euclid(86400);
    // 1970-01-01 was a Thursday; ISO weekday 1 = Monday.
    let weekday = (days + 3).rem_euclid(7) + 1;
    let yearday = days - days_from_civil(y, 1, 1) + 1;
    let (wy, wk) = iso_week(y, yearday, weekday);
    in_ranges(&spec.years, y)
        && in_ranges(&spec.months, mo)
        && in_ranges(&spec.monthdays, d)
        && in_ranges(&spec.hours, h)
        && in_ranges(&spec.minutes, mi)
        && in_ranges(&spec.seconds, s)
        && in_ranges(&spec.weekdays, weekday)
        && in_ranges(&spec.yeardays, yearday)
        && in_ranges(&spec.weekyears, wy)
        && in_ranges(&spec.weeks, wk)
}

fn iso_week(y: i64, yearday: i64, weekday: i64) -> (i64, i64) {
    let wk = (yearday - weekday + 10) / 7;
    if wk < 1 {
        let prev_days = if is_leap(y - 1) { 366 } else { 365 };
        return iso_week(y - 1, yearday + prev_days, weekday);
    }
    let days_in_year = if is_leap(y) { 366 } else { 365 };
    if wk == 53 && (yearday - weekday + 10) / 7 > 52 {
        // Week 53 exists only if Dec 31 is a Thursday (or Friday in leap years)...
        let dec31_weekday = (weekday + (days_in_year - yearday)).rem_euclid(7);
        let dec31 = if dec31_weekday == 0 { 7 } else { dec31_weekday };
        if dec31 < 4 {
            return (y + 1, 1);
        }
    }
    (y, wk)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub fn ts_from_civil(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
    days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
}

/// (year, month, day, hour, minute, second) in UTC.
pub fn civil_from_ts(ts: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = ts.div_euclid(86400);
    let secs = ts.rem_euclid(86400);
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d, secs / 3600, (secs % 3600) / 60, secs % 60)
}

/// Parses ISO 8601 date-times as Pacemaker accepts them: `2005-05-09 09:30:00`,
/// `2005-05-09T09:30Z`, `2005-129` (ordinal), optional offset. Returns seconds
/// since the epoch, UTC.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let days = match parts.as_slice() {
        [y, m, d] => days_from_civil(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        [y, doy] => days_from_civil(y.parse().ok()?, 1, 1) + doy.parse::<i64>().ok()? - 1,
        [y] => days_from_civil(y.parse().ok()?, 1, 1),
        _ => return None,
    };
    let mut secs = 0;
    if !time.is_empty() {
        let (clock, offset) = split_offset(time);
        let t: Vec<&str> = clock.split(':').collect();
        let num = |i: usize| t.get(i).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(0.0) as i64;
        secs = num(0) * 3600 + num(1) * 60 + num(2) - offset;
    }
    Some(days * 86400 + secs)
}

fn split_offset(t: &str) -> (&str, i64) {
    if let Some(stripped) = t.strip_suffix('Z') {
        return (stripped, 0);
    }
    if let Some(i) = t.rfind(['+', '-']) {
        let (clock, off) = t.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let digits: String = off[1..].chars().filter(|c| c.is_ascii_digit()).collect();
        let (h, m) = match digits.len() {
            0 => (0, 0),
            1 | 2 => (digits.parse().unwrap_or(0), 0),
            _ => (digits[..2].parse().unwrap_or(0), digits[2..].parse().unwrap_or(0)),
        };
        return (clock, sign * (h * 3600 + m * 60));
    }
    (t, 0)
}

/// The integer a string starts with (sign and digits), as `strtoll` reads it.
fn leading_integer(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits_from = usize::from(s.starts_with(['-', '+']));
    let end = s[digits_from..].find(|c: char| !c.is_ascii_digit()).map_or(s.len(), |i| i + digits_from);
    s[..end].parse().ok()
}

/// Parses an interval or timeout as Pacemaker does (`10s`, `5min`, `1h`, `500ms`,
/// bare seconds, ISO 8601 `PT10S`) into milliseconds.
pub fn parse_interval_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix('P').or_else(|| s.strip_prefix('p')) {
        return parse_iso_duration_ms(rest);
    }
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let unit = unit.trim();
    let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(unit));
    // Microseconds per unit.
    let per_unit: u64 = if is(&["", "s", "sec", "secs", "second", "seconds"]) {
        1_000_000
    } else if is(&["ms", "msec", "msecs"]) {
        1_000
    } else if is(&["us", "usec", "usecs"]) {
        1
    } else if is(&["m", "min", "mins", "minute", "minutes"]) {
        60_000_000
    } else if is(&["h", "hr", "hrs", "hour", "hours"]) {
        3_600_000_000
    } else {
        return None;
    };
    // Whole numbers (nearly all) in integers; fractions as Pacemaker does, in floating point.
    if let Ok(n) = num.parse::<u64>() {
        return Some(n.saturating_mul(per_unit) / 1000);
    }
    let n: f64 = num.parse().ok()?;
    Some((n * (per_unit as f64 / 1000.0)) as u64)
}

fn parse_iso_duration_ms(s: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut in_time = false;
    for c in s.chars() {
        match c {
            'T' | 't' => in_time = true,
            '0'..='9' | '.' => num.push(c),
            u => {
                let n: f64 = num.parse().ok()?;
                num.clear();
                total += n * match (u.to_ascii_uppercase(), in_time) {
                    ('Y', false) => 365.0 * 86400.0,
                    ('M', false) => 30.0 * 86400.0,
                    ('W', false) => 7.0 * 86400.0,
                    ('D', false) => 86400.0,
                    // Hours and seconds are unambiguous, so Pacemaker takes
                    // them without the `T` too (`P10S`).
                    ('H', _) => 3600.0,
                    ('M', true) => 60.0,
                    ('S', _) => 1.0,
                    _ => return None,
                };
            }
        }
    }
    Some((total * 1000.0) as u64)
}

/// Copies of `sets` with each `id-ref` replaced by the set it refers to.
pub fn resolve_nvsets(sets: &[&NvSet], resolve: &dyn Fn(&NvSet) -> Option<NvSet>) -> Vec<NvSet> {
    resolved_views(sets, resolve).into_iter().map(Cow::into_owned).collect()
}

/// `sets` with each `id-ref` replaced by the set it refers to, borrowing
/// the rest.
fn resolved_views<'a>(sets: &[&'a NvSet], resolve: &dyn Fn(&NvSet) -> Option<NvSet>) -> Vec<Cow<'a, NvSet>> {
    sets.iter()
        .map(|s| match s.id_ref.is_some().then(|| resolve(s)).flatten() {
            Some(target) => Cow::Owned(target),
            None => Cow::Borrowed(*s),
        })
        .collect()
}

/// Merges name/value sets into one map as Pacemaker does: sets whose rules pass,
/// highest score first (`first` named set before all), and the first value found
/// for a name wins.
pub fn unpack_nvsets(
    sets: &[&NvSet],
    ctx: &RuleContext<'_>,
    first: Option<&str>,
    resolve: &dyn Fn(&NvSet) -> Option<NvSet>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if sets.is_empty() {
        return out;
    }
    let resolved = resolved_views(sets, resolve);
    // Stable sort: score descending; the always-first set leads.
    let score_of = |s: &NvSet| s.score.as_deref().and_then(Score::parse).unwrap_or(Score::ZERO);
    let mut order: Vec<usize> = (0..resolved.len()).collect();
    if resolved.len() > 1 {
        order.sort_by(|&a, &b| {
            let fa = first.is_some() && resolved[a].id.as_deref() == first;
            let fb = first.is_some() && resolved[b].id.as_deref() == first;
            fb.cmp(&fa).then(score_of(&resolved[b]).cmp(&score_of(&resolved[a])))
        });
    }
    for i in order {
        let set = &resolved[i];
        if !set.rules.iter().all(|r| eval_rule(r, ctx)) {
            continue;
        }
        for p in &set.nvpairs {
            if let (Some(n), Some(v)) = (&p.name, &p.value) {
                // "#default" means "not set here".
                if v.eq_ignore_ascii_case("#default") {
                    continue;
                }
                if !out.contains_key(n) {
                    out.insert(n.clone(), v.clone());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_dates() {
        assert_eq!(parse_interval_ms("10s"), Some(10_000));
        assert_eq!(parse_interval_ms("5min"), Some(300_000));
        assert_eq!(parse_interval_ms("PT1M30S"), Some(90_000));
        assert_eq!(parse_interval_ms("P10S"), Some(10_000));
        assert_eq!(parse_interval_ms("15"), Some(15_000));
        assert_eq!(parse_datetime("1970-01-02 00:00:01"), Some(86401));
        assert_eq!(civil_from_ts(86401), (1970, 1, 2, 0, 0, 1));
        assert_eq!(parse_datetime("2009-02-03T10:00:00+01:00"), Some(ts_from_civil(2009, 2, 3, 9, 0, 0)));
    }
}
