//! Operation digests: the MD5 of an operation's parameters, serialized as
//! Pacemaker does (a `<parameters>` element with sorted attributes), so that a
//! changed resource definition is detected against the digest in the history.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use super::cluster::{OpDef, Resource};

fn escape(v: &str, out: &mut String) {
    if !v.contains(['&', '<', '>', '"', '\n', '\r', '\t']) {
        out.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

/// The digest of `params` (already filtered), as Pacemaker's v1 operation digest.
pub fn params_digest(params: &BTreeMap<String, String>) -> String {
    digest_of(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// The digest of parameters given in name order.
fn digest_of<'a>(params: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = String::with_capacity(256);
    s.push_str(" <parameters");
    for (k, v) in params {
        s.push(' ');
        s.push_str(k);
        s.push_str("=\"");
        escape(v, &mut s);
        s.push('"');
    }
    s.push_str("/>\n");
    let hash = Md5::digest(s.as_bytes());
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in hash {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// Whether a parameter counts for an operation's digest.
fn counts(name: &str) -> bool {
    !name.starts_with("CRM_meta_")
        && !matches!(
            name,
            "id" | "crm_feature_set" | "op-digest" | "on_node" | "on_node_uuid" | "pcmk_external_ip"
        )
}

const TIMEOUT: &str = "CRM_meta_timeout";

/// The parameters an operation's digests cover, by where they come from:
/// the resource's instance attributes, the operation's own (which win), and
/// for recurring operations the timeout.
#[derive(Clone, Copy)]
pub struct OpParams<'a> {
    pub rsc: &'a BTreeMap<String, String>,
    pub op: &'a BTreeMap<String, String>,
    pub recurring_timeout_ms: Option<u64>,
}

impl OpParams<'_> {
    /// The parameters, merged and filtered.
    pub fn map(&self) -> BTreeMap<String, String> {
        let mut all = self.rsc.clone();
        for (k, v) in self.op {
            all.insert(k.clone(), v.clone());
        }
        all.retain(|k, _| counts(k));
        if let Some(t) = self.recurring_timeout_ms {
            all.insert(TIMEOUT.into(), t.to_string());
        }
        all
    }

    /// `params_digest(&self.map())`, without building the map: both lists
    /// are merged in name order.
    pub fn digest(&self) -> String {
        let timeout = self.recurring_timeout_ms.map(|t| t.to_string());
        let mut merged: Vec<(&str, &str)> = Vec::with_capacity(self.rsc.len() + self.op.len() + 1);
        let (mut a, mut b) = (self.rsc.iter().peekable(), self.op.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(_), None) => a.next(),
                (Some((ka, _)), Some((kb, _))) if ka < kb => a.next(),
                (Some((ka, _)), Some((kb, _))) if ka == kb => {
                    a.next();
                    b.next()
                }
                _ => b.next(),
            };
            if let Some((k, v)) = next.filter(|(k, _)| counts(k)) {
                merged.push((k, v));
            }
        }
        if let Some(t) = &timeout {
            let at = merged.partition_point(|(k, _)| *k < TIMEOUT);
            merged.insert(at, (TIMEOUT, t));
        }
        digest_of(merged.into_iter())
    }
}

/// A recurring operation's timeout where its definition gives none.
pub const DEFAULT_RECURRING_TIMEOUT_MS: u64 = 20_000;

static NO_PARAMS: BTreeMap<String, String> = BTreeMap::new();

/// The parameters a start (and a probe or a promote) records the digest of:
/// the resource's, with its start operation's own.
pub fn start_params(r: &Resource) -> OpParams<'_> {
    let start = r.ops.iter().find(|d| d.name == "start" && d.interval_ms == 0);
    OpParams { rsc: &r.params, op: start.map_or(&NO_PARAMS, |d| &d.params), recurring_timeout_ms: None }
}

/// The digest of [`start_params`], computed once per resource.
pub fn start_digest(r: &Resource) -> &str {
    r.start_digest.get_or_init(|| start_params(r).digest())
}

/// The parameters recurring operation `d` of `r` records the digest of.
pub fn recurring_params<'a>(r: &'a Resource, d: &'a OpDef) -> OpParams<'a> {
    let timeout = d.timeout_ms.unwrap_or(DEFAULT_RECURRING_TIMEOUT_MS);
    OpParams { rsc: &r.params, op: &d.params, recurring_timeout_ms: Some(timeout) }
}

/// The digest of [`recurring_params`], computed once per operation.
pub fn recurring_digest<'a>(r: &'a Resource, d: &'a OpDef) -> &'a str {
    d.digest.get_or_init(|| recurring_params(r, d).digest())
}

/// Computes a primitive's digests now (the configuration is unpacked ahead of
/// the status section, on the reading's other thread where the document is
/// large), rather than while its history is unpacked.
pub fn compute_ahead(r: &Resource) {
    start_digest(r);
    for d in r.ops.iter().filter(|d| d.interval_ms > 0) {
        recurring_digest(r, d);
    }
}

/// Whether the parameters that need a restart (`op-force-restart`; all of
/// them when the history lists none) differ from those `op` recorded in its
/// restart digest. `false` when it recorded none (the parameters are then
/// not put together at all).
pub fn restart_digest_changed(op: &cib_schema::LrmRscOp, params: &OpParams) -> bool {
    let Some(recorded) = op.op_restart_digest() else { return false };
    let mut restart = params.map();
    if let Some(force) = op.op_force_restart() {
        let names: Vec<&str> = force.split_whitespace().collect();
        restart.retain(|k, _| names.contains(&k.as_str()));
    }
    recorded != params_digest(&restart)
}

/// Whether the parameters differ from the recorded ones only in those the
/// history marks secure (`op-secure-params`): the simulator then treats the
/// operation as unchanged, as `crm_simulate` does on sanitized CIBs.
pub fn only_sanitized_changed(op: &cib_schema::LrmRscOp, params: &OpParams, is_stonith: bool) -> bool {
    let Some(recorded) = op.op_secure_digest() else { return false };
    let secure: Vec<&str> = op.op_secure_params().unwrap_or("").split_whitespace().collect();
    let old = version_below(op.crm_feature_set().unwrap_or(""), &[3, 16, 0]);
    let mut params = params.map();
    params.retain(|k, _| !secure.contains(&k.as_str()));
    if old {
        // Older controllers hashed only what the agent declares: neither the
        // fencing parameters Pacemaker adds nor the timeout.
        if is_stonith {
            params.retain(|k, _| !is_fence_param(k));
        }
        params.remove("CRM_meta_timeout");
    }
    params_digest(&params) == recorded
}

fn version_below(v: &str, than: &[u64]) -> bool {
    let parts: Vec<u64> = v.split('.').map(|p| p.trim().parse().unwrap_or(0)).collect();
    for (i, &t) in than.iter().enumerate() {
        let p = parts.get(i).copied().unwrap_or(0);
        if p != t {
            return p < t;
        }
    }
    false
}

/// Parameters Pacemaker's fencer interprets itself (not the agent's).
fn is_fence_param(name: &str) -> bool {
    if matches!(name, "provides" | "stonith-timeout") {
        return true;
    }
    let Some(rest) = name.strip_prefix("pcmk_") else { return false };
    if matches!(
        rest,
        "action_limit"
            | "delay_base"
            | "delay_max"
            | "host_argument"
            | "host_check"
            | "host_list"
            | "host_map"
    ) {
        return true;
    }
    rest.find('_').is_some_and(|i| matches!(&rest[i..], "_action" | "_timeout" | "_retries"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_digest_pacemaker_recorded() {
        // From the scheduler suite (params-1): rsc_c001n08's start digest.
        let mut p = BTreeMap::new();
        p.insert("ip".to_string(), "127.0.0.11".to_string());
        assert_eq!(params_digest(&p), "fd54394d262d771b8cb48f31f8df7242");
    }

    #[test]
    fn merged_digest_is_the_digest_of_the_merged_parameters() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let rsc =
            map(&[("ip", "10.0.0.1"), ("Z", "<&>"), ("id", "x"), ("CRM_meta_foo", "1"), ("nic", "eth0")]);
        let op = map(&[("nic", "eth1"), ("a", "1"), ("CRM_meta_timeout", "5"), ("on_node", "n1")]);
        let none = BTreeMap::new();
        for recurring_timeout_ms in [None, Some(20_000)] {
            for (rsc, op) in [(&rsc, &op), (&op, &rsc), (&rsc, &none), (&none, &op)] {
                let params = OpParams { rsc, op, recurring_timeout_ms };
                assert_eq!(params.digest(), params_digest(&params.map()));
            }
        }
    }

    #[test]
    fn digests_computed_ahead_are_those_of_the_operations_parameters() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let def = |name: &str, interval_ms: u64, timeout_ms: Option<u64>, params| OpDef {
            id: format!("r-{name}-{interval_ms}"),
            name: name.into(),
            interval_ms,
            role: None,
            enabled: true,
            on_fail: None,
            timeout_ms,
            params,
            digest: Default::default(),
        };
        let mut r = Resource::new("r", super::super::cluster::Variant::Primitive, 2);
        r.params = map(&[("ip", "10.0.0.1"), ("nic", "eth0")]);
        r.ops = vec![
            def("monitor", 10_000, None, map(&[("depth", "1")])),
            def("start", 0, Some(60_000), map(&[("nic", "eth1")])),
            def("monitor", 30_000, Some(5_000), BTreeMap::new()),
        ];
        compute_ahead(&r);
        let start = OpParams { rsc: &r.params, op: &r.ops[1].params, recurring_timeout_ms: None };
        assert_eq!(r.start_digest.get().map(String::as_str), Some(start.digest().as_str()));
        assert_eq!(start_digest(&r), start.digest());
        let timeouts = [Some(DEFAULT_RECURRING_TIMEOUT_MS), None, Some(5_000)];
        for (d, timeout) in r.ops.iter().zip(timeouts) {
            let params = OpParams { rsc: &r.params, op: &d.params, recurring_timeout_ms: timeout };
            let cached = d.digest.get().map(String::as_str);
            if d.interval_ms > 0 {
                assert_eq!(cached, Some(params.digest().as_str()));
                assert_eq!(recurring_digest(&r, d), params.digest());
            } else {
                assert_eq!(cached, None, "a start has no recurring digest");
            }
        }
        // Without a start definition, the resource's parameters alone.
        r.ops.remove(1);
        let r = Resource { start_digest: Default::default(), ..r };
        assert_eq!(start_digest(&r), params_digest(&r.params));
    }
}
