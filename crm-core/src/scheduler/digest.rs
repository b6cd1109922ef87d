//! Operation digests: the MD5 of an operation's parameters, serialized as
//! Pacemaker does (a `<parameters>` element with sorted attributes), so that a
//! changed resource definition is detected against the digest in the history.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use md5::{Digest, Md5};

fn escape(v: &str, out: &mut String) {
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
    let mut s = String::from(" <parameters");
    for (k, v) in params {
        let _ = write!(s, " {k}=\"");
        escape(v, &mut s);
        s.push('"');
    }
    s.push_str("/>\n");
    let hash = Md5::digest(s.as_bytes());
    hash.iter().fold(String::with_capacity(32), |mut acc, b| {
        let _ = write!(acc, "{b:02x}");
        acc
    })
}

/// Parameters that count for an operation's digest: the resource's instance
/// attributes and the operation's own, plus the timeout for recurring ones.
pub fn op_params(
    rsc_params: &BTreeMap<String, String>,
    op_params: &BTreeMap<String, String>,
    recurring_timeout_ms: Option<u64>,
) -> BTreeMap<String, String> {
    let mut all = rsc_params.clone();
    for (k, v) in op_params {
        all.insert(k.clone(), v.clone());
    }
    all.retain(|k, _| {
        !k.starts_with("CRM_meta_")
            && !matches!(
                k.as_str(),
                "id" | "crm_feature_set" | "op-digest" | "on_node" | "on_node_uuid" | "pcmk_external_ip"
            )
    });
    if let Some(t) = recurring_timeout_ms {
        all.insert("CRM_meta_timeout".into(), t.to_string());
    }
    all
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
}
