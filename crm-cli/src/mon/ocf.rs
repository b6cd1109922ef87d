//! Names for operation results as Pacemaker's tools print them.

/// An OCF exit code's name ("ok", "not running", ...).
pub fn exit_str(rc: i32) -> &'static str {
    crm_core::display::ocf_exit_str(rc)
}

/// An executor status's name ("Timed Out", "Error", ...).
pub fn exec_status_str(status: i32) -> &'static str {
    match status {
        -1 => "Pending",
        0 => "complete",
        1 => "Cancelled",
        2 => "Timed Out",
        3 => "NOT SUPPORTED",
        4 => "Error",
        5 => "Hard error",
        6 => "Fatal error",
        7 => "Not installed",
        8 => "Internal communication failure",
        9 => "Cannot execute now",
        10 => "No fence device",
        11 => "CIB secrets unavailable",
        _ => "UNKNOWN",
    }
}

/// A duration in milliseconds as Pacemaker abbreviates it: "10s", "1m35.134s",
/// "20ms". A unit is used only when the duration exceeds it, so exactly one
/// minute reads "60s" and exactly one second "1000ms".
pub fn readable_interval(ms: u64) -> String {
    const S: u64 = 1000;
    const M: u64 = 60 * S;
    const H: u64 = 60 * M;
    const D: u64 = 24 * H;
    let mut s = String::new();
    let mut rest = ms;
    for (unit, name) in [(D, "d"), (H, "h"), (M, "m")] {
        if rest > unit {
            s.push_str(&format!("{}{}", rest / unit, name));
            rest %= unit;
        }
    }
    if rest > S {
        s.push_str(&format!("{}", rest / S));
        if !rest.is_multiple_of(S) {
            s.push_str(&format!(".{:03}", rest % S));
        }
        s.push('s');
        rest = 0;
    }
    if rest > 0 {
        s.push_str(&format!("{rest}ms"));
    }
    if s.is_empty() {
        s.push_str("0s");
    }
    s
}

/// Splits an operation key `RSC_TASK_INTERVAL` into its parts; tasks may
/// themselves contain underscores (`migrate_to`, `pre_notify_start`).
pub fn parse_op_key(key: &str) -> Option<(String, String, u64)> {
    let (rest, interval) = key.rsplit_once('_')?;
    let interval: u64 = interval.parse().ok()?;
    for special in ["migrate_to", "migrate_from"] {
        if let Some(rsc) = rest.strip_suffix(special).and_then(|r| r.strip_suffix('_')) {
            return Some((rsc.to_string(), special.to_string(), interval));
        }
    }
    let (mut rsc, mut task) = rest.rsplit_once('_')?;
    // Notifications: RSC_pre_notify_start_0 / RSC_post_notify_stop_0.
    for prefix in ["_pre_notify", "_post_notify", "_confirmed-pre_notify", "_confirmed-post_notify"] {
        if let Some(r) = rsc.strip_suffix(prefix) {
            let start = r.len() + 1;
            task = &rest[start..];
            rsc = r;
            break;
        }
    }
    if rsc.is_empty() {
        return None;
    }
    Some((rsc.to_string(), task.to_string(), interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(readable_interval(10_000), "10s");
        assert_eq!(readable_interval(60_000), "60s");
        assert_eq!(readable_interval(1000), "1000ms");
        assert_eq!(readable_interval(95_134), "1m35.134s");
        assert_eq!(readable_interval(30_160), "30.160s");
        assert_eq!(readable_interval(20), "20ms");
    }

    #[test]
    fn op_keys() {
        assert_eq!(parse_op_key("rsc_monitor_10000"), Some(("rsc".into(), "monitor".into(), 10_000)));
        assert_eq!(parse_op_key("a_b_migrate_to_0"), Some(("a_b".into(), "migrate_to".into(), 0)));
        assert_eq!(parse_op_key("r:1_start_0"), Some(("r:1".into(), "start".into(), 0)));
    }
}
