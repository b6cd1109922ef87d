//! `crm_resource`: for now the part agents and scripts use, `--locate`:
//! where a resource runs, from `CIB_file`'s status section.

use anyhow::Result;
use clap::Parser;
use crm_cli::cibio;
use crm_cli::locate::{locate, primitives_of, RunState};
use crm_cli::toolerror::{exit_with, ExitCode, ToolError};

#[derive(Parser, Debug)]
#[command(name = "crm_resource", version, about = "Locate a resource")]
struct Args {
    /// The resource.
    #[arg(short = 'r', long = "resource")]
    resource: String,
    /// Print where the resource runs.
    #[arg(short = 'W', long = "locate", required = true)]
    locate: bool,
    /// Print only node names.
    #[arg(short = 'Q', long = "quiet")]
    quiet: bool,
}

fn run(a: &Args) -> Result<()> {
    let (cib, _) = cibio::load_cib().map_err(|e| ToolError::new(ExitCode::NotConnected, format!("{e:#}")))?;
    let Some(prims) = primitives_of(&cib, &a.resource) else {
        return Err(ToolError::no_such(format!(
            "Resource '{}' not found\nError performing operation: No such object",
            a.resource
        ))
        .into());
    };
    let found = locate(&cib, &prims);
    if found.is_empty() && !a.quiet {
        eprintln!("resource {} is NOT running", a.resource);
    }
    for (node, state) in found {
        if a.quiet {
            println!("{node}");
        } else {
            let role = if state == RunState::Promoted { " Promoted" } else { "" };
            println!("resource {} is running on: {node}{role}", a.resource);
        }
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(&Args::parse()) {
        exit_with("crm_resource", e);
    }
}
