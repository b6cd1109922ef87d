//! Levels and dispatch: what a line means at the top level, in `configure`,
//! `resource`, `node`, `ra`. The same code serves one-liners (`crm configure
//! primitive ...`), scripts (`crm -f FILE`) and the interactive shell.

use crate::cibio::CibSource;

use super::error::CrmError;
use super::lexer::{self, Statement};
use super::parse;
use super::session::{error, info, ConfigSession};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Top,
    Configure,
    Resource,
    Node,
    Ra,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Top => "",
            Level::Configure => "configure",
            Level::Resource => "resource",
            Level::Node => "node",
            Level::Ra => "ra",
        }
    }
}

pub struct Shell {
    /// The CIB commands work on: `CIB_file`, a shadow, or the node's daemon.
    pub cib: CibSource,
    /// The CIB named at start (`CIB_file` or the daemon); `cib use live` goes back to it.
    live: CibSource,
    pub force: bool,
    pub level: Level,
    cfg: Option<ConfigSession>,
    /// Set by any failed command: the process exit code becomes 1.
    pub failed: bool,
    pub quit: bool,
    /// Interactive use: questions are asked instead of answered "no".
    pub interactive: bool,
}

pub const TOP_COMMANDS: &[&str] = &[
    "configure",
    "resource",
    "node",
    "ra",
    "cib",
    "status",
    "help",
    "quit",
    "exit",
    "bye",
    "up",
    "end",
    "cd",
];

pub const CONFIGURE_COMMANDS: &[&str] = &[
    "node",
    "primitive",
    "rsc_template",
    "group",
    "clone",
    "ms",
    "master",
    "bundle",
    "location",
    "colocation",
    "order",
    "rsc_ticket",
    "property",
    "rsc_defaults",
    "op_defaults",
    "tag",
    "fencing_topology",
    "role",
    "acl_target",
    "acl_group",
    "alert",
    "show",
    "commit",
    "verify",
    "load",
    "delete",
    "rename",
    "modgroup",
    "erase",
    "monitor",
    "set",
    "edit",
    "save",
    "refresh",
    "up",
    "end",
    "quit",
    "exit",
    "help",
];

impl Shell {
    /// A shell on `cib`, which is also what `cib use live` returns to.
    pub fn new(cib: CibSource, force: bool) -> Shell {
        Shell {
            live: cib.clone(),
            cib,
            force,
            level: Level::Top,
            cfg: None,
            failed: false,
            quit: false,
            interactive: false,
        }
    }

    /// Object ids, resource ids and node names of the configuration being
    /// worked on (for completion).
    pub fn completion_data(&mut self) -> (Vec<String>, Vec<String>, Vec<String>) {
        // Outside `configure` read the CIB afresh and keep nothing: other
        // levels change it directly.
        let fresh;
        let c = match &self.cfg {
            Some(c) => Ok(c),
            None => {
                fresh = ConfigSession::open(self.cib.clone(), false);
                fresh.as_ref().map_err(|_| ())
            }
        };
        match c {
            Ok(c) => {
                let objs = c.cib.objects();
                let ids = objs.iter().map(|(_, n)| n.id().to_string()).collect();
                let rscs =
                    objs.iter().filter(|(k, _)| k.is_resource()).map(|(_, n)| n.id().to_string()).collect();
                (ids, rscs, c.cib.node_names())
            }
            Err(_) => Default::default(),
        }
    }

    fn config(&mut self) -> Result<&mut ConfigSession, CrmError> {
        if self.cfg.is_none() {
            let mut c = ConfigSession::open(self.cib.clone(), self.force)?;
            if self.interactive {
                c.ask = Some(ask_user);
            }
            self.cfg = Some(c);
        }
        Ok(self.cfg.as_mut().expect("just opened"))
    }

    fn fail(&mut self, e: &CrmError) {
        error(&e.to_string());
        self.failed = true;
    }

    /// Runs a whole script (`crm -f`, standard input), then leaves every level
    /// (which commits pending changes, as crmsh does at the end of input).
    pub fn run_script(&mut self, text: &str) {
        match lexer::statements(text) {
            Ok(stmts) => {
                for st in &stmts {
                    if self.quit {
                        break;
                    }
                    self.run(st);
                }
            }
            Err(e) => self.fail(&e),
        }
        self.finish();
    }

    /// Runs one line typed by a user.
    pub fn run_line(&mut self, line: &str) {
        match lexer::statements(line) {
            Ok(stmts) => {
                for st in &stmts {
                    self.run(st);
                }
            }
            Err(e) => self.fail(&e),
        }
    }

    /// Leaves all levels, committing what is pending.
    pub fn finish(&mut self) {
        while self.level != Level::Top {
            self.up();
        }
        if self.cfg.as_ref().is_some_and(|c| c.dirty) {
            self.commit(false);
        }
    }

    fn up(&mut self) {
        if self.level == Level::Configure && self.cfg.as_ref().is_some_and(|c| c.dirty) {
            self.commit(false);
        }
        if self.level == Level::Configure {
            self.cfg = None;
        }
        self.level = Level::Top;
    }

    fn commit(&mut self, force: bool) {
        let r = match self.config() {
            Ok(c) => c.commit(force),
            Err(e) => Err(e),
        };
        // On failure the working copy stays, so that it can be fixed and
        // committed again; leaving the level drops it (crmsh answering "no" to
        // its question in non-interactive use).
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    /// One statement at the current level.
    pub fn run(&mut self, st: &Statement) {
        let Some(first) = st.tokens.first().map(String::as_str) else { return };
        match first {
            "quit" | "exit" | "bye" | "q" => {
                self.finish();
                self.quit = true;
                return;
            }
            "up" | "end" => {
                self.up();
                return;
            }
            "cd" => {
                match st.tokens.get(1).map(String::as_str) {
                    None | Some("..") | Some("/") => self.up(),
                    Some(l) => self.enter(l),
                }
                return;
            }
            _ => {}
        }
        if first == "cib" && (self.level == Level::Top || st.tokens.len() > 1) {
            // Switching CIBs leaves (and commits) the configuration in hand.
            if self.cfg.as_ref().is_some_and(|c| c.dirty) {
                self.commit(false);
            }
            self.cfg = None;
            if let Err(e) = super::cibcmd::run(&self.live, &mut self.cib, &st.tokens[1..]) {
                self.fail(&e);
            }
            return;
        }
        let level_word = match first {
            "status" => self.level == Level::Top,
            "node" => self.level != Level::Configure,
            "configure" | "resource" | "ra" => true,
            _ => false,
        };
        if level_word {
            if first == "status" {
                self.status();
                return;
            }
            if st.tokens.len() == 1 {
                self.enter(first);
                return;
            }
            // `configure primitive ...`: run at that level, then come back
            // (committing), like crmsh's transit commands.
            let saved = self.level;
            if saved != Level::Top && saved.name() != first {
                self.up();
            }
            let was_in = self.level.name() == first;
            self.enter(first);
            let rest = sub_statement(st, 1);
            self.run(&rest);
            if !was_in {
                self.up();
            }
            return;
        }
        match self.level {
            Level::Top => {
                if first == "help" {
                    println!("Available commands: {}", TOP_COMMANDS.join(" "));
                } else {
                    self.fail(&CrmError::syntax(st.line, "", "Unknown command", &st.text).with_token(first));
                }
            }
            Level::Configure => self.configure(st),
            Level::Resource => self.resource_cmd(st),
            Level::Node => self.node_cmd(st),
            Level::Ra => self.ra_cmd(st),
        }
    }

    fn enter(&mut self, level: &str) {
        self.level = match level {
            "configure" => Level::Configure,
            "resource" => Level::Resource,
            "node" => Level::Node,
            "ra" => Level::Ra,
            other => {
                self.fail(&CrmError::Other(format!("{other}: no such level")));
                return;
            }
        };
    }

    fn configure(&mut self, st: &Statement) {
        let args: Vec<String> = st.tokens[1..].to_vec();
        let first = st.tokens[0].as_str();
        let r: Result<(), CrmError> = (|| {
            if parse::is_object_keyword(first) {
                return self.config()?.create(st);
            }
            match first {
                "commit" => {
                    let force = args.iter().any(|a| a == "force");
                    let c = self.config()?;
                    if !c.dirty {
                        info("apparently there is nothing to commit");
                        info("try changing something first");
                        return Ok(());
                    }
                    c.commit(force)
                }
                "show" => {
                    let out = self.config()?.show(&args);
                    if !out.is_empty() {
                        println!("{}", out.trim_end());
                    }
                    Ok(())
                }
                "verify" => {
                    let c = self.config()?;
                    let mut errs = c.cib.verify_errors();
                    errs.extend(c.cib.schema_errors().iter().map(ToString::to_string));
                    for e in &errs {
                        error(e);
                    }
                    if errs.is_empty() {
                        Ok(())
                    } else {
                        Err(CrmError::Invalid("verify: configuration has errors".into()))
                    }
                }
                "load" => {
                    let xml = args.first().is_some_and(|a| a == "xml");
                    let args = if xml { &args[1..] } else { &args[..] };
                    let (Some(method), Some(file)) = (args.first(), args.get(1)) else {
                        return Err(CrmError::Other("usage: load update|replace FILE".into()));
                    };
                    if method != "update" && method != "replace" && method != "push" {
                        return Err(CrmError::Other(format!("load: unknown method {method}")));
                    }
                    let text = if file == "-" {
                        let mut s = String::new();
                        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                            .map_err(|e| CrmError::Other(e.to_string()))?;
                        s
                    } else {
                        std::fs::read_to_string(file).map_err(|e| CrmError::Other(format!("{file}: {e}")))?
                    };
                    let method = if method == "push" { "replace" } else { method.as_str() };
                    if xml {
                        return self.config()?.load_xml(method, &text);
                    }
                    match self.config()?.load(method, &text) {
                        Ok(()) => Ok(()),
                        Err(errs) => {
                            let last = errs.len() - 1;
                            for (i, e) in errs.into_iter().enumerate() {
                                if i == last {
                                    return Err(e);
                                }
                                error(&e.to_string());
                            }
                            Ok(())
                        }
                    }
                }
                "delete" | "rm" => self.config()?.delete(&args),
                "rename" | "mv" => match args.as_slice() {
                    [a, b] => self.config()?.rename(a, b),
                    _ => Err(CrmError::Other("usage: rename OLD NEW".into())),
                },
                "modgroup" => self.config()?.modgroup(&args),
                "erase" => {
                    let nodes = args.first().is_some_and(|a| a == "nodes");
                    self.config()?.erase(nodes);
                    Ok(())
                }
                "monitor" => match args.as_slice() {
                    [r, s] => self.config()?.monitor(r, s),
                    _ => Err(CrmError::Other("usage: monitor RSC[:ROLE] INTERVAL[:TIMEOUT]".into())),
                },
                "set" => match args.as_slice() {
                    [p, v] => self.config()?.set(p, v),
                    _ => Err(CrmError::Other("usage: set ID.NAME VALUE".into())),
                },
                "save" => {
                    let Some(f) = args.first() else {
                        return Err(CrmError::Other("usage: save FILE".into()));
                    };
                    let out = self.config()?.show(&[]);
                    std::fs::write(f, format!("{out}\n")).map_err(|e| CrmError::Other(format!("{f}: {e}")))
                }
                "refresh" => {
                    self.cfg = None;
                    self.config().map(|_| ())
                }
                "edit" => self.edit(&args),
                "help" => {
                    println!("Available commands: {}", CONFIGURE_COMMANDS.join(" "));
                    Ok(())
                }
                _ => Err(CrmError::syntax(st.line, "", "Unknown command", &st.text).with_token(first)),
            }
        })();
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    /// `edit [ID...]`: the configuration (or those objects) in `$EDITOR`,
    /// loaded back (replace for everything, update for a selection).
    fn edit(&mut self, only: &[String]) -> Result<(), CrmError> {
        let text = self.config()?.show(only);
        if text.trim().is_empty() && !only.is_empty() {
            return Err(CrmError::Other(format!("no such object: {}", only.join(" "))));
        }
        let tmp = std::env::temp_dir().join(format!("crm-edit-{}.crm", std::process::id()));
        std::fs::write(&tmp, format!("{text}\n")).map_err(|e| CrmError::Other(e.to_string()))?;
        let editor = std::env::var("EDITOR").unwrap_or_else(|_| "vi".into());
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&tmp)
            .status()
            .map_err(|e| CrmError::Other(format!("{editor}: {e}")))?;
        let edited = std::fs::read_to_string(&tmp).map_err(|e| CrmError::Other(e.to_string()))?;
        let _ = std::fs::remove_file(&tmp);
        if !status.success() || edited.trim() == text.trim() {
            return Ok(());
        }
        let method = if only.is_empty() { "replace" } else { "update" };
        match self.config()?.load(method, &edited) {
            Ok(()) => Ok(()),
            Err(mut errs) => Err(errs.remove(0)),
        }
    }

    fn status(&mut self) {
        // crm status is crm_mon -1: ours or Pacemaker's when installed, else
        // the nodes and resources as the CIB file has them.
        match std::process::Command::new("crm_mon").arg("-1").status() {
            Ok(s) if s.success() => {}
            Ok(_) => self.failed = true,
            Err(_) => {
                let node = vec!["list".to_string()];
                let rsc = vec!["status".to_string()];
                println!("Node List:");
                if let Err(e) = super::node::run(&self.cib, &node) {
                    self.fail(&e);
                }
                println!("\nFull List of Resources:");
                if let Err(e) = super::resource::run(&self.cib, &rsc) {
                    self.fail(&e);
                }
            }
        }
    }

    fn resource_cmd(&mut self, st: &Statement) {
        let r = super::resource::run(&self.cib, &st.tokens);
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    fn node_cmd(&mut self, st: &Statement) {
        let r = super::node::run(&self.cib, &st.tokens);
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    fn ra_cmd(&mut self, st: &Statement) {
        if let Err(e) = super::ra::run(&st.tokens) {
            self.fail(&e);
        }
    }
}

/// A yes/no question on the terminal.
fn ask_user(question: &str) -> bool {
    use std::io::Write as _;
    print!("{question}");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// The statement without its first `skip` words.
fn sub_statement(st: &Statement, skip: usize) -> Statement {
    let words = lexer::split(&st.text).unwrap_or_default();
    let mut text = st.text.as_str();
    for w in words.iter().take(skip) {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix(w.as_str()) {
            text = rest;
        }
    }
    Statement {
        line: st.line,
        text: text.trim().to_string(),
        tokens: st.tokens[skip..].to_vec(),
        comments: st.comments.clone(),
    }
}
