//! What the shell needs to know about resource agents: whether one exists, its
//! parameters and advised timeouts (from `meta-data`), and the lists `crm ra`
//! prints. crmsh reports unknown agents and parameters as errors but still
//! commits; so do we.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::xml::{self, Node};

/// Where OCF agents live (`OCF_ROOT`, default /usr/lib/ocf).
pub fn ocf_root() -> PathBuf {
    std::env::var_os("OCF_ROOT").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/lib/ocf"))
}

/// An agent as `class[:provider]:type`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Agent {
    pub class: String,
    pub provider: Option<String>,
    pub kind: String,
}

impl Agent {
    pub fn of_primitive(p: &Node) -> Option<Agent> {
        Some(Agent {
            class: p.get("class")?.to_string(),
            provider: p.get("provider").map(str::to_string),
            kind: p.get("type")?.to_string(),
        })
    }

    pub fn parse(spec: &str) -> Agent {
        let parts: Vec<&str> = spec.splitn(3, ':').collect();
        match parts.as_slice() {
            [t] => Agent { class: "ocf".into(), provider: Some("heartbeat".into()), kind: t.to_string() },
            [c, t] => Agent { class: c.to_string(), provider: None, kind: t.to_string() },
            [c, p, t] => Agent { class: c.to_string(), provider: Some(p.to_string()), kind: t.to_string() },
            _ => Agent { class: String::new(), provider: None, kind: spec.to_string() },
        }
    }

    fn executable(&self) -> Option<PathBuf> {
        let p = match self.class.as_str() {
            "ocf" => ocf_root().join("resource.d").join(self.provider.as_deref()?).join(&self.kind),
            "lsb" => Path::new("/etc/init.d").join(&self.kind),
            "stonith" => Path::new("/usr/sbin").join(&self.kind),
            _ => return None,
        };
        p.is_file().then_some(p)
    }

    /// Does the agent exist on this machine?
    pub fn exists(&self) -> bool {
        match self.class.as_str() {
            // cluster-glue style plugins (external/ssh, null) are not files we can see.
            "stonith" => self.kind.contains('/') || self.kind == "null" || self.executable().is_some(),
            "systemd" | "service" => {
                ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
                    .iter()
                    .any(|d| Path::new(d).join(format!("{}.service", self.kind)).exists())
            }
            _ => self.executable().is_some(),
        }
    }

    /// The agent's meta-data document, if it can be had.
    pub fn meta_data(&self) -> Option<Node> {
        let exe = self.executable()?;
        if self.class == "lsb" {
            return None;
        }
        let mut cmd = Command::new(&exe);
        if self.class == "stonith" {
            cmd.arg("-o").arg("metadata");
        } else {
            cmd.arg("meta-data").env("OCF_ROOT", ocf_root());
        }
        let out = cmd.stdin(std::process::Stdio::null()).stderr(std::process::Stdio::null()).output().ok()?;
        // Agents print a few KiB; a bound keeps a broken one from flooding us.
        let text = String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(1 << 20)]).into_owned();
        xml::parse(&text).ok()
    }
}

impl std::fmt::Display for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.provider {
            Some(p) => write!(f, "{}:{p}:{}", self.class, self.kind),
            None => write!(f, "{}:{}", self.class, self.kind),
        }
    }
}

/// Parameter names of a meta-data document.
pub fn parameters(md: &Node) -> Vec<String> {
    md.child("parameters")
        .map(|ps| ps.elements().filter_map(|p| p.get("name").map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Advised timeouts by action name (`start` -> `20s`).
pub fn advised_timeouts(md: &Node) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(acts) = md.child("actions") {
        for a in acts.elements() {
            if let (Some(n), Some(t)) = (a.get("name"), a.get("timeout")) {
                out.entry(n.to_string()).or_insert_with(|| t.to_string());
            }
        }
    }
    out
}

/// `20s`, `2min`, `1h`, `500ms`, `60` -> milliseconds.
pub fn duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits.parse().ok()?;
    let unit = s[digits.len()..].trim().to_ascii_lowercase();
    let mult = match unit.as_str() {
        "" | "s" | "sec" | "secs" => 1000,
        "ms" | "msec" | "msecs" => 1,
        "m" | "min" | "mins" => 60_000,
        "h" | "hr" | "hrs" => 3_600_000,
        _ => return None,
    };
    Some(n * mult)
}

/// The checks crmsh runs on a primitive before committing: messages with
/// their level (`ERROR`/`WARNING`), none of them fatal.
pub fn check_primitive(p: &Node, cache: &mut BTreeMap<Agent, Option<Node>>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(agent) = Agent::of_primitive(p) else { return out };
    if !agent.exists() {
        out.push(("ERROR", format!("{agent}: got no meta-data, does this RA exist?")));
        return out;
    }
    let md = cache.entry(agent.clone()).or_insert_with(|| agent.meta_data());
    let Some(md) = md else { return out };
    let known = parameters(md);
    if !known.is_empty() {
        for set in p.elements().filter(|c| c.name == "instance_attributes") {
            for nv in set.elements().filter(|c| c.name == "nvpair") {
                if let Some(name) = nv.get("name") {
                    if !known.iter().any(|k| k == name) {
                        out.push(("ERROR", format!("{}: parameter \"{name}\" is not known", p.id())));
                    }
                }
            }
        }
    }
    let advised = advised_timeouts(md);
    if let Some(ops) = p.child("operations") {
        for op in ops.elements().filter(|o| o.name == "op") {
            let (Some(name), Some(t)) = (op.get("name"), op.get("timeout")) else { continue };
            let Some(adv) = advised.get(name) else { continue };
            if let (Some(have), Some(want)) = (duration_ms(t), duration_ms(adv)) {
                if have < want {
                    out.push((
                        "WARNING",
                        format!(
                            "{}: specified timeout {t} for {name} is smaller than the advised {adv}",
                            p.id()
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// `crm ra classes`.
pub fn classes() -> Vec<String> {
    let mut out = vec!["lsb".to_string()];
    let providers = providers(None);
    out.push(format!("ocf / {}", providers.join(" ")));
    out.push("service".into());
    out.push("stonith".into());
    out.push("systemd".into());
    out
}

/// OCF providers (of one agent type, if given).
pub fn providers(kind: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(ocf_root().join("resource.d"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| kind.is_none_or(|k| e.path().join(k).is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Agents of a class (and OCF provider).
pub fn list(class: &str, provider: Option<&str>) -> Vec<String> {
    let names = |dir: PathBuf, filter: &dyn Fn(&str) -> Option<String>| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()).filter_map(|e| filter(&e.file_name().to_string_lossy())).collect()
            })
            .unwrap_or_default()
    };
    let mut out: Vec<String> = match class {
        "ocf" => {
            let provs = match provider {
                Some(p) => vec![p.to_string()],
                None => providers(None),
            };
            provs
                .iter()
                .flat_map(|p| names(ocf_root().join("resource.d").join(p), &|n| Some(n.to_string())))
                .filter(|n| !n.starts_with('.'))
                .collect()
        }
        "lsb" => names(PathBuf::from("/etc/init.d"), &|n| Some(n.to_string())),
        "stonith" => names(PathBuf::from("/usr/sbin"), &|n| n.starts_with("fence_").then(|| n.to_string())),
        "systemd" | "service" => ["/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system"]
            .iter()
            .flat_map(|d| names(PathBuf::from(d), &|n| n.strip_suffix(".service").map(str::to_string)))
            .collect(),
        _ => Vec::new(),
    };
    out.sort();
    out.dedup();
    out
}
