//! Meta-data for classes whose agents have none of their own: LSB scripts (from
//! their `### BEGIN INIT INFO` header) and systemd units. Pacemaker makes the
//! same kind of document so that tools show every class alike.

use crate::config::ExecutorConfig;
use crate::error::AgentError;
use crate::spec::AgentSpec;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn document(name: &str, shortdesc: &str, longdesc: &str, actions: &[(&str, &str)]) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\"?>\n<resource-agent name=\"{}\" version=\"1.0\">\n  <version>1.1</version>\n  <longdesc lang=\"en\">{}</longdesc>\n  <shortdesc lang=\"en\">{}</shortdesc>\n  <parameters/>\n  <actions>\n",
        escape(name),
        escape(longdesc),
        escape(shortdesc)
    );
    for (a, extra) in actions {
        x.push_str(&format!("    <action name=\"{a}\" timeout=\"100s\"{extra}/>\n"));
    }
    x.push_str("  </actions>\n</resource-agent>\n");
    x
}

pub fn lsb_metadata(cfg: &ExecutorConfig, spec: &AgentSpec) -> Result<String, AgentError> {
    let path = cfg.lsb_dir.join(&spec.agent);
    let text = std::fs::read(&path).map_err(|source| AgentError::Io { path: path.clone(), source })?;
    let text = String::from_utf8_lossy(&text);
    let field = |key: &str| {
        text.lines()
            .skip_while(|l| !l.starts_with("### BEGIN INIT INFO"))
            .take_while(|l| !l.starts_with("### END INIT INFO"))
            .find_map(|l| {
                l.strip_prefix('#')
                    .map(str::trim)
                    .and_then(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_string())
            })
    };
    let short = field("Short-Description:").unwrap_or_else(|| spec.agent.clone());
    let long = field("Description:").unwrap_or_else(|| short.clone());
    Ok(document(
        &spec.agent,
        &short,
        &long,
        &[
            ("meta-data", ""),
            ("start", ""),
            ("stop", ""),
            ("status", ""),
            ("restart", ""),
            ("monitor", " interval=\"15s\""),
        ],
    ))
}

pub fn systemd_metadata(spec: &AgentSpec) -> String {
    let unit = crate::class::systemd::unit_name(&spec.agent);
    document(
        &spec.agent,
        &format!("systemd unit file for {unit}"),
        &format!("Cluster controlled systemd unit {unit}"),
        &[("start", ""), ("stop", ""), ("status", ""), ("monitor", " interval=\"60s\""), ("meta-data", "")],
    )
}
