//! `crm ra`: resource agent classes, providers, lists and meta-data.

use super::agents::{self, Agent};
use super::error::CrmError;

pub fn run(args: &[String]) -> Result<(), CrmError> {
    let Some(cmd) = args.first().map(String::as_str) else { return Ok(()) };
    match cmd {
        "classes" => {
            for c in agents::classes() {
                println!("{c}");
            }
            Ok(())
        }
        "providers" => {
            let kind = args.get(1).map(String::as_str);
            println!("{}", agents::providers(kind).join(" "));
            Ok(())
        }
        "list" => {
            let class = args.get(1).map(String::as_str).unwrap_or("ocf");
            let provider = args.get(2).map(String::as_str);
            println!("{}", agents::list(class, provider).join(" "));
            Ok(())
        }
        "info" | "meta" => {
            let spec = args.get(1).ok_or_else(|| CrmError::Other(format!("{cmd}: which agent?")))?;
            let agent = Agent::parse(spec);
            let md = agent
                .meta_data()
                .ok_or_else(|| CrmError::Other(format!("{agent}: got no meta-data, does this RA exist?")))?;
            println!("{}", info(&agent, &md));
            Ok(())
        }
        "help" => {
            println!("Available commands: {}", super::interactive::RA_COMMANDS.join(" "));
            Ok(())
        }
        _ => Err(CrmError::Other(format!("ra: unknown command {cmd}"))),
    }
}

fn text_of(n: Option<&super::xml::Node>) -> String {
    n.map(|n| n.text.trim().to_string()).unwrap_or_default()
}

/// crmsh's human-readable rendering of an agent's meta-data.
fn info(agent: &Agent, md: &super::xml::Node) -> String {
    let mut out = String::new();
    let short = text_of(md.child("shortdesc"));
    out.push_str(&format!("{short} ({agent})\n\n"));
    let long = text_of(md.child("longdesc"));
    if !long.is_empty() {
        out.push_str(&long);
        out.push_str("\n\n");
    }
    out.push_str("Parameters (*: required, []: default):\n\n");
    if let Some(ps) = md.child("parameters") {
        for p in ps.elements().filter(|p| p.name == "parameter") {
            let name = p.get("name").unwrap_or("");
            let req = if p.get("required") == Some("1") { "*" } else { "" };
            let content = p.child("content");
            let typ = content.and_then(|c| c.get("type")).unwrap_or("string");
            let def = content.and_then(|c| c.get("default")).map(|d| format!(" [{d}]")).unwrap_or_default();
            out.push_str(&format!("{name}{req} ({typ}{def}): {}\n", text_of(p.child("shortdesc"))));
            let l = text_of(p.child("longdesc"));
            if !l.is_empty() {
                for line in l.lines() {
                    out.push_str(&format!("    {}\n", line.trim()));
                }
            }
            out.push('\n');
        }
    }
    out.push_str("Operations' defaults (advisory minimum):\n\n");
    if let Some(acts) = md.child("actions") {
        for a in acts.elements() {
            let name = a.get("name").unwrap_or("");
            let mut line = format!("    {name:<14}");
            for k in ["timeout", "interval", "depth"] {
                if let Some(v) = a.get(k) {
                    line.push_str(&format!(" {k}={v}"));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}
