//! The administrative commands the keys lead to. They run the `crm` shell
//! beside this `crm_mon` rather than editing the CIB here, so the monitor
//! does exactly what an administrator typing the command would do (and shows
//! it by name before it runs).

use std::path::PathBuf;
use std::process::{Command, Stdio};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Standby(String),
    Online(String),
    Cleanup(String),
    Move { rsc: String, node: String },
    Clear(String),
}

impl Action {
    /// The `crm` arguments.
    pub fn args(&self) -> Vec<String> {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match self {
            Action::Standby(n) => v(&["node", "standby", n]),
            Action::Online(n) => v(&["node", "online", n]),
            Action::Cleanup(r) => v(&["resource", "cleanup", r]),
            Action::Move { rsc, node } => v(&["resource", "move", rsc, node]),
            Action::Clear(r) => v(&["resource", "clear", r]),
        }
    }

    /// The command as the confirmation dialog and status line name it.
    pub fn command_line(&self) -> String {
        format!("crm {}", self.args().join(" "))
    }
}

/// How a command ended, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub command: String,
    pub ok: bool,
    /// The command's last line of output (its error when it failed).
    pub message: String,
}

/// `crm` in the directory of the running executable: the tools are installed
/// (and built) side by side, and PATH may hold Pacemaker's own `crm`.
pub fn crm_path() -> PathBuf {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(|d| d.join("crm"))).unwrap_or("crm".into())
}

/// Runs the action to completion (the caller puts it on its own thread: a
/// change waits until every member applied it).
pub fn run(action: &Action) -> Outcome {
    let command = action.command_line();
    // No terminal for the child: it must not read keys meant for the monitor
    // or draw over it.
    let crm = crm_path();
    let out = Command::new(&crm)
        .args(action.args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    match out {
        Err(e) => Outcome { command, ok: false, message: format!("cannot run {}: {e}", crm.display()) },
        Ok(out) => {
            let text =
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
            let ok = out.status.success();
            let message = match (ok, last.is_empty()) {
                (true, true) => "done".to_string(),
                (false, true) => format!("failed ({})", out.status),
                _ => last,
            };
            Outcome { command, ok, message }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        assert_eq!(Action::Standby("n1".into()).command_line(), "crm node standby n1");
        assert_eq!(Action::Online("n1".into()).command_line(), "crm node online n1");
        assert_eq!(Action::Cleanup("vip".into()).command_line(), "crm resource cleanup vip");
        assert_eq!(
            Action::Move { rsc: "vip".into(), node: "n2".into() }.command_line(),
            "crm resource move vip n2"
        );
        assert_eq!(Action::Clear("vip".into()).command_line(), "crm resource clear vip");
    }
}
