//! Agent meta-data: the XML an agent prints for `meta-data`, read into typed
//! parameters and actions (what `crm ra info` shows and what the scheduler
//! needs for default timeouts and unique parameters).

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::AgentError;

/// One `<parameter>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterInfo {
    pub name: String,
    /// `<content type=...>`: string, integer, boolean, ...
    pub content_type: Option<String>,
    pub default: Option<String>,
    pub required: bool,
    pub unique: bool,
    pub deprecated: bool,
    pub shortdesc: Option<String>,
    pub longdesc: Option<String>,
}

/// One `<action>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionInfo {
    pub name: String,
    pub timeout_ms: Option<u64>,
    pub interval_ms: Option<u64>,
    pub depth: Option<u32>,
    pub role: Option<String>,
}

/// A parsed `<resource-agent>` document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentMetadata {
    pub name: String,
    pub version: Option<String>,
    pub shortdesc: Option<String>,
    pub longdesc: Option<String>,
    pub parameters: Vec<ParameterInfo>,
    pub actions: Vec<ActionInfo>,
    /// The document as the agent printed it.
    pub xml: String,
}

impl AgentMetadata {
    pub fn parameter(&self, name: &str) -> Option<&ParameterInfo> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// The first action of that name (monitor may appear once per role).
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// Parses meta-data XML; `spec` names the agent in errors.
    pub fn parse(spec: &str, xml: &str) -> Result<Self, AgentError> {
        let mut r = Reader::from_str(xml);
        let mut md = AgentMetadata { xml: xml.to_string(), ..Default::default() };
        // Where text goes: the element path decides (resource-agent/shortdesc
        // is the agent's, parameter/shortdesc the parameter's).
        let mut path: Vec<String> = Vec::new();
        let mut text = String::new();
        let mut seen_root = false;
        let err = |r: &Reader<&[u8]>, e: &dyn std::fmt::Display| AgentError::MetadataXml {
            spec: spec.to_string(),
            offset: r.buffer_position(),
            reason: e.to_string(),
        };
        loop {
            let ev = r.read_event().map_err(|e| err(&r, &e))?;
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    let mut attrs = std::collections::BTreeMap::new();
                    for a in e.attributes() {
                        let a = a.map_err(|x| err(&r, &x))?;
                        let v = a.unescape_value().map_err(|x| err(&r, &x))?.into_owned();
                        attrs.insert(String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(), v);
                    }
                    let parent = path.last().map(String::as_str);
                    match (parent, name.as_str()) {
                        (None, "resource-agent") => {
                            seen_root = true;
                            md.name = attrs.get("name").cloned().unwrap_or_default();
                            md.version = attrs.get("version").cloned();
                        }
                        (Some("parameters"), "parameter") => md.parameters.push(ParameterInfo {
                            name: attrs.get("name").cloned().unwrap_or_default(),
                            required: truthy(attrs.get("required")),
                            unique: truthy(attrs.get("unique")),
                            deprecated: truthy(attrs.get("deprecated")),
                            ..Default::default()
                        }),
                        (Some("parameter"), "content") => {
                            if let Some(p) = md.parameters.last_mut() {
                                p.content_type = attrs.get("type").cloned();
                                p.default = attrs.get("default").cloned();
                            }
                        }
                        (Some("actions"), "action") => md.actions.push(ActionInfo {
                            name: attrs.get("name").cloned().unwrap_or_default(),
                            timeout_ms: attrs.get("timeout").and_then(|v| duration_ms(v)),
                            interval_ms: attrs.get("interval").and_then(|v| duration_ms(v)),
                            depth: attrs.get("depth").and_then(|v| v.trim().parse().ok()),
                            role: attrs.get("role").cloned(),
                        }),
                        _ => {}
                    }
                    if matches!(ev, Event::Start(_)) {
                        path.push(name);
                        text.clear();
                    }
                }
                Event::Text(t) => text.push_str(&t.unescape().map_err(|x| err(&r, &x))?),
                Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
                Event::End(_) => {
                    let name = path.pop().unwrap_or_default();
                    let parent = path.last().map(String::as_str);
                    let value = Some(text.trim().to_string()).filter(|s| !s.is_empty());
                    match (parent, name.as_str()) {
                        (Some("resource-agent"), "shortdesc") => md.shortdesc = value,
                        (Some("resource-agent"), "longdesc") => md.longdesc = value,
                        (Some("resource-agent"), "version") => md.version = value.or(md.version.take()),
                        (Some("parameter"), "shortdesc") => {
                            if let Some(p) = md.parameters.last_mut() {
                                p.shortdesc = value;
                            }
                        }
                        (Some("parameter"), "longdesc") => {
                            if let Some(p) = md.parameters.last_mut() {
                                p.longdesc = value;
                            }
                        }
                        _ => {}
                    }
                    text.clear();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !seen_root {
            return Err(AgentError::MetadataXml {
                spec: spec.to_string(),
                offset: 0,
                reason: "expected a <resource-agent> root element".into(),
            });
        }
        Ok(md)
    }
}

fn truthy(v: Option<&String>) -> bool {
    v.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

/// `20s`, `20`, `1m`, `1min`, `500ms`, `2h` in milliseconds (a bare number is
/// seconds, as in Pacemaker).
pub fn duration_ms(v: &str) -> Option<u64> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" => 1000,
        "ms" | "msec" | "msecs" => 1,
        "m" | "min" | "mins" => 60_000,
        "h" | "hr" | "hrs" => 3_600_000,
        "us" | "usec" | "usecs" => return Some(n / 1000),
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("20s"), Some(20_000));
        assert_eq!(duration_ms("20"), Some(20_000));
        assert_eq!(duration_ms("1min"), Some(60_000));
        assert_eq!(duration_ms("150ms"), Some(150));
        assert_eq!(duration_ms("x"), None);
    }

    #[test]
    fn parses_parameters_and_actions() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Dummy" version="1.0">
<version>1.1</version>
<longdesc lang="en">Long &amp; winding</longdesc>
<shortdesc lang="en">Example</shortdesc>
<parameters>
<parameter name="state" unique-group="state" unique="1" required="0">
<longdesc lang="en">Location</longdesc><shortdesc lang="en">State file</shortdesc>
<content type="string" default="/run/Dummy.state" />
</parameter>
<parameter name="fake" required="true"><content type="string"/></parameter>
</parameters>
<actions>
<action name="start" timeout="20s" />
<action name="monitor" timeout="20s" interval="10s" depth="0" />
</actions>
</resource-agent>"#;
        let md = AgentMetadata::parse("ocf:heartbeat:Dummy", xml).unwrap();
        assert_eq!(md.name, "Dummy");
        assert_eq!(md.version.as_deref(), Some("1.1"));
        assert_eq!(md.longdesc.as_deref(), Some("Long & winding"));
        let state = md.parameter("state").unwrap();
        assert!(state.unique && !state.required);
        assert_eq!(state.default.as_deref(), Some("/run/Dummy.state"));
        assert_eq!(state.shortdesc.as_deref(), Some("State file"));
        assert!(md.parameter("fake").unwrap().required);
        let mon = md.action("monitor").unwrap();
        assert_eq!((mon.timeout_ms, mon.interval_ms, mon.depth), (Some(20_000), Some(10_000), Some(0)));
    }

    #[test]
    fn rejects_non_metadata() {
        assert!(AgentMetadata::parse("x", "usage: foo").is_err());
        assert!(AgentMetadata::parse("x", "<resource-agent><a></b></resource-agent>").is_err());
    }
}
