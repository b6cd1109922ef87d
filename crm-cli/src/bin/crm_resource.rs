//! `crm_resource`: the parts agents, scripts and test harnesses use:
//! `--locate` (where a resource runs, from the status section) and `--wait`
//! (until the cluster has nothing left to do). Works on `CIB_file`, else on the
//! local daemon.

use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use crm_cli::cibio::{self, CibSource};
use crm_cli::locate::{locate, primitives_of, RunState};
use crm_cli::settle;
use crm_cli::toolerror::{exit_with, ExitCode, ToolError};

#[derive(Parser, Debug)]
#[command(name = "crm_resource", version, about = "Locate a resource, wait for the cluster to settle")]
#[command(group(clap::ArgGroup::new("cmd").required(true).multiple(true)))]
struct Args {
    /// The resource.
    #[arg(short = 'r', long = "resource")]
    resource: Option<String>,
    /// Print where the resource runs.
    #[arg(short = 'W', long = "locate", group = "cmd", requires = "resource")]
    locate: bool,
    /// Wait until the cluster has no actions left to carry out.
    #[arg(long = "wait", group = "cmd")]
    wait: bool,
    /// How long --wait waits (120s, 2min, 500ms; a bare number is seconds).
    #[arg(short = 'T', long = "timeout", value_parser = parse_timeout)]
    timeout: Option<Duration>,
    /// Print only node names.
    #[arg(short = 'Q', long = "quiet")]
    quiet: bool,
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    crm_cli::crmsh::agents::duration_ms(s)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("invalid duration {s:?} (e.g. 120s, 2min)"))
}

fn not_connected(e: anyhow::Error) -> ToolError {
    ToolError::new(ExitCode::NotConnected, format!("{e:#}"))
}

fn run_locate(a: &Args, rsc: &str) -> Result<()> {
    let (cib, _) = cibio::load_cib().map_err(not_connected)?;
    let Some(prims) = primitives_of(&cib, rsc) else {
        return Err(ToolError::no_such(format!(
            "Resource '{rsc}' not found\nError performing operation: No such object"
        ))
        .into());
    };
    let found = locate(&cib, &prims);
    if found.is_empty() && !a.quiet {
        eprintln!("resource {rsc} is NOT running");
    }
    for (node, state) in found {
        if a.quiet {
            println!("{node}");
        } else {
            let role = if state == RunState::Promoted { " Promoted" } else { "" };
            println!("resource {rsc} is running on: {node}{role}");
        }
    }
    Ok(())
}

fn run_wait(a: &Args) -> Result<()> {
    let timeout = a.timeout.unwrap_or(settle::DEFAULT_TIMEOUT);
    match settle::wait(&CibSource::from_env(), timeout).map_err(not_connected)? {
        Ok(()) => Ok(()),
        Err(pending) => Err(ToolError::new(
            ExitCode::Timeout,
            format!(
                "Timed out waiting for cluster to settle ({} pending: {})\nError performing operation: Timer expired",
                pending.len(),
                pending.join(", ")
            ),
        )
        .into()),
    }
}

fn run(a: &Args) -> Result<()> {
    if let (true, Some(rsc)) = (a.locate, &a.resource) {
        run_locate(a, rsc)?;
    }
    // Like Pacemaker's, --wait also follows another command.
    if a.wait {
        run_wait(a)?;
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(&Args::parse()) {
        exit_with("crm_resource", e);
    }
}
