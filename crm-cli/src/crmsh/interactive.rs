//! The interactive shell: a prompt per level, line editing and history
//! (rustyline), tab completion of commands, object ids, node names and agents.

use std::borrow::Cow;
use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use super::shell::{Level, Shell, CONFIGURE_COMMANDS, TOP_COMMANDS};
use super::CrmError;
use crate::cibio::CibSource;

pub const RESOURCE_COMMANDS: &[&str] = &[
    "start",
    "stop",
    "restart",
    "promote",
    "demote",
    "manage",
    "unmanage",
    "maintenance",
    "move",
    "migrate",
    "ban",
    "clear",
    "unmove",
    "unmigrate",
    "cleanup",
    "refresh",
    "status",
    "list",
    "show",
    "locate",
    "param",
    "meta",
    "utilization",
    "failcount",
    "up",
    "end",
    "quit",
    "help",
];

pub const NODE_COMMANDS: &[&str] = &[
    "standby",
    "online",
    "maintenance",
    "ready",
    "list",
    "show",
    "attribute",
    "utilization",
    "status-attr",
    "delete",
    "clearstate",
    "up",
    "end",
    "quit",
    "help",
];

pub const RA_COMMANDS: &[&str] =
    &["classes", "providers", "list", "info", "meta", "up", "end", "quit", "help"];

/// What completion may offer; refreshed before every prompt.
#[derive(Default)]
struct CrmHelper {
    level: Option<Level>,
    ids: Vec<String>,
    resources: Vec<String>,
    nodes: Vec<String>,
    agents: Vec<String>,
    /// Parameter names by agent, from meta-data (asked once per agent).
    params: std::cell::RefCell<std::collections::BTreeMap<String, Vec<String>>>,
}

fn commands_of(level: Level) -> &'static [&'static str] {
    match level {
        Level::Top => TOP_COMMANDS,
        Level::Configure => CONFIGURE_COMMANDS,
        Level::Resource => RESOURCE_COMMANDS,
        Level::Node => NODE_COMMANDS,
        Level::Ra => RA_COMMANDS,
    }
}

fn level_of(word: &str) -> Option<Level> {
    Some(match word {
        "configure" => Level::Configure,
        "resource" => Level::Resource,
        "node" => Level::Node,
        "ra" => Level::Ra,
        _ => return None,
    })
}

impl CrmHelper {
    /// Candidates for word number `index` (0-based) after `words`.
    fn candidates(&self, level: Level, words: &[&str], index: usize) -> Vec<String> {
        if index == 0 {
            return commands_of(level).iter().map(|s| s.to_string()).collect();
        }
        let first = words[0];
        // `configure show ...` typed at the top level.
        if level == Level::Top {
            if let Some(l) = level_of(first) {
                return self.candidates(l, &words[1..], index - 1);
            }
            return Vec::new();
        }
        match level {
            Level::Configure => match (first, index) {
                ("primitive" | "rsc_template", 1) => Vec::new(),
                ("primitive" | "rsc_template", 2) => self.agents.clone(),
                ("primitive" | "rsc_template", _) => {
                    let mut v: Vec<String> = ["params", "meta", "op", "utilization", "operations"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect();
                    // After `params`, the agent's parameters from its meta-data.
                    let section =
                        words.iter().rev().find(|w| ["params", "meta", "op", "utilization"].contains(w));
                    if section == Some(&"params") {
                        if let Some(agent) = words.get(2) {
                            v.extend(self.agent_params(agent).into_iter().map(|p| format!("{p}=")));
                        }
                    }
                    v
                }
                ("group" | "clone" | "ms" | "master" | "location" | "colocation" | "order" | "tag", 1) => {
                    Vec::new()
                }
                ("show", _) => {
                    let mut v = vec!["xml".to_string()];
                    v.extend(self.ids.iter().cloned());
                    v
                }
                ("load", 1) => vec!["update".into(), "replace".into()],
                ("node", _) => self.nodes.clone(),
                _ => self.ids.clone(),
            },
            Level::Resource => self.resources.clone(),
            Level::Node => self.nodes.clone(),
            Level::Ra => match first {
                "list" | "providers" => {
                    ["ocf", "lsb", "service", "stonith", "systemd"].iter().map(|s| s.to_string()).collect()
                }
                _ => self.agents.clone(),
            },
            Level::Top => Vec::new(),
        }
    }
}

impl CrmHelper {
    fn agent_params(&self, spec: &str) -> Vec<String> {
        let mut cache = self.params.borrow_mut();
        cache
            .entry(spec.to_string())
            .or_insert_with(|| {
                super::agents::Agent::parse(spec)
                    .meta_data()
                    .map(|md| super::agents::parameters(&md))
                    .unwrap_or_default()
            })
            .clone()
    }
}

impl Completer for CrmHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
        let partial = &before[start..];
        let words: Vec<&str> = before[..start].split_whitespace().collect();
        let level = self.level.unwrap_or(Level::Top);
        let mut cands: Vec<String> = self
            .candidates(level, &words, words.len())
            .into_iter()
            .filter(|c| c.starts_with(partial))
            .collect();
        cands.sort();
        cands.dedup();
        let pairs = cands
            .into_iter()
            .map(|c| {
                let replacement = if c.ends_with('=') { c.clone() } else { format!("{c} ") };
                Pair { display: c, replacement }
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for CrmHelper {
    type Hint = String;
}

impl Highlighter for CrmHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(&'s self, prompt: &'p str, _default: bool) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for CrmHelper {}

impl Helper for CrmHelper {}

fn history_path() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    Some(PathBuf::from(home).join(".crm_history"))
}

/// Agent names for completion: `ocf:PROVIDER:TYPE`, short names for heartbeat.
fn agent_names() -> Vec<String> {
    let mut out = Vec::new();
    for p in super::agents::providers(None) {
        for a in super::agents::list("ocf", Some(&p)) {
            out.push(format!("ocf:{p}:{a}"));
            if p == "heartbeat" {
                out.push(a);
            }
        }
    }
    for a in super::agents::list("stonith", None) {
        out.push(format!("stonith:{a}"));
    }
    out
}

pub fn run(shell: &mut Shell) -> Result<(), CrmError> {
    shell.interactive = true;
    // Bash-like completion: complete the common prefix, list on a second Tab.
    let config = rustyline::Config::builder().completion_type(rustyline::CompletionType::List).build();
    let mut rl: Editor<CrmHelper, rustyline::history::DefaultHistory> =
        Editor::with_config(config).map_err(|e| CrmError::Other(e.to_string()))?;
    let agents = agent_names();
    rl.set_helper(Some(CrmHelper { agents, ..Default::default() }));
    let hist = history_path();
    if let Some(h) = &hist {
        let _ = rl.load_history(h);
    }
    loop {
        let (ids, resources, nodes) = shell.completion_data();
        if let Some(h) = rl.helper_mut() {
            h.level = Some(shell.level);
            h.ids = ids;
            h.resources = resources;
            h.nodes = nodes;
        }
        // crmsh's prompt: crm(CIB/NODE)LEVEL# where CIB is `live` or the shadow's name.
        let lvl = shell.level.name();
        let cib = match &shell.cib {
            CibSource::File(p) => p.file_name().and_then(|n| n.to_str()?.strip_prefix("shadow.")),
            CibSource::Daemon => None,
        }
        .unwrap_or("live")
        .to_string();
        let prompt = format!("crm({cib}/{}){lvl}# ", super::resource::local_node());
        let mut line = match rl.readline(&prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(CrmError::Other(e.to_string())),
        };
        // A trailing backslash continues the statement on the next line.
        while line.trim_end().ends_with('\\') {
            match rl.readline("> ") {
                Ok(more) => {
                    line.push('\n');
                    line.push_str(&more);
                }
                Err(_) => break,
            }
        }
        if !line.trim().is_empty() {
            let _ = rl.add_history_entry(line.replace('\n', " ").as_str());
        }
        shell.run_line(&line);
        if shell.quit {
            break;
        }
    }
    if let Some(h) = &hist {
        let _ = rl.save_history(h);
    }
    shell.finish();
    Ok(())
}
