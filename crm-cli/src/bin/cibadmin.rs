//! `cibadmin`: for now `-Q` (print the CIB, or one section of it with `-o`),
//! which agents and scripts use to read the configuration.

use anyhow::Result;
use clap::Parser;
use crm_cli::cibio;
use crm_cli::toolerror::{exit_with, ExitCode, ToolError};

#[derive(Parser, Debug)]
#[command(name = "cibadmin", version, about = "Read the CIB")]
struct Args {
    /// Print the CIB (or the section given with -o).
    #[arg(short = 'Q', long = "query", required = true)]
    query: bool,
    /// Only this section: configuration, nodes, resources, constraints, crm_config, status, ...
    #[arg(short = 'o', long = "scope")]
    scope: Option<String>,
    /// Accepted for compatibility: there is only the local copy.
    #[arg(short = 'l', long = "local")]
    local: bool,
}

fn run(a: &Args) -> Result<()> {
    let (cib, _) = cibio::load_cib().map_err(|e| ToolError::new(ExitCode::NotConnected, format!("{e:#}")))?;
    let root = cib_schema::to_element(&cib);
    let el = match a.scope.as_deref() {
        None => &root,
        Some(s) => root
            .child(s)
            .or_else(|| root.child("configuration").and_then(|c| c.child(s)))
            .ok_or_else(|| {
                ToolError::no_such(format!(
                    "Call cib_query failed: No such device or address (no section {s:?})"
                ))
            })?,
    };
    let xml = el.to_xml();
    print!("{xml}");
    if !xml.ends_with('\n') {
        println!();
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(&Args::parse()) {
        exit_with("cibadmin", e);
    }
}
