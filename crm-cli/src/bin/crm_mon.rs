//! `crm_mon`: the cluster's status. One-shot text (`-1`) in Pacemaker 2.1.5's
//! format, or XML (`--output-as=xml`); reads `CIB_file` when set, else asks
//! the local daemon. Without `-1` on a terminal, a live view that follows
//! every change (`mon::live`).

use std::io::IsTerminal;

use anyhow::{bail, Result};
use clap::Parser;
use crm_cli::toolerror::{ExitCode, ToolError};
use crm_cli::{cibio, mon};

#[derive(Parser, Debug)]
#[command(name = "crm_mon", about = "Provides a summary of cluster's current state")]
struct Args {
    /// Display the cluster status once and exit
    #[arg(short = '1', long = "one-shot")]
    one_shot: bool,
    /// Display inactive resources
    #[arg(short = 'r', long = "inactive")]
    inactive: bool,
    /// Display resource fail counts
    #[arg(short = 'f', long = "failcounts")]
    failcounts: bool,
    /// Display node attributes
    #[arg(short = 'A', long = "show-node-attributes")]
    attributes: bool,
    /// Display resource operation history
    #[arg(short = 'o', long = "operations")]
    operations: bool,
    /// Display resource operation history with timing details
    #[arg(short = 't', long = "timing-details")]
    timing: bool,
    /// Group resources by node
    #[arg(short = 'n', long = "group-by-node")]
    group_by_node: bool,
    /// Specify output format as one of: console (default), html, text, xml
    #[arg(long = "output-as", default_value = "text")]
    output_as: String,
    /// Be less descriptive in output (accepted for compatibility)
    #[arg(short = 'V', long = "verbose", action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() {
    if let Err(e) = run(&Args::parse()) {
        crm_cli::toolerror::exit_with("crm_mon", e);
    }
}

fn run(args: &Args) -> Result<()> {
    let text_output = matches!(args.output_as.as_str(), "text" | "console" | "plain");
    // Output going to a file or a pipe gets the one-shot status, as if `-1`
    // was given: there is nobody to drive a live view.
    if !args.one_shot && text_output && std::io::stdout().is_terminal() {
        let source = match cibio::cib_file_from_env() {
            Some(path) => mon::live::Source::File(path),
            None => mon::live::Source::Daemon,
        };
        return mon::live::run(source);
    }
    let (cib, _source) =
        cibio::load_cib().map_err(|e| ToolError::new(ExitCode::NotConnected, format!("{e:#}")))?;
    let now = mon::timefmt::now();
    let status = mon::Status::new(&cib, now);
    let opts = mon::Options {
        inactive: args.inactive,
        failcounts: args.failcounts,
        attributes: args.attributes,
        operations: args.operations || args.timing,
        timing: args.timing,
        group_by_node: args.group_by_node,
    };
    let text = match args.output_as.as_str() {
        "text" | "console" | "plain" => mon::text::render(&status, &opts),
        // XML results always carry the operations' timing details.
        "xml" => mon::xml::render(&status, &mon::Options { timing: true, ..opts }, &request_line()),
        other => bail!("unsupported output format: {other}"),
    };
    print!("{text}");
    Ok(())
}

/// The command line as Pacemaker echoes it in XML results.
fn request_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}
