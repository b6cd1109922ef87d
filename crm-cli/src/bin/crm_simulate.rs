//! `crm_simulate`: show what the cluster would do for a CIB, and simulate it.
//! Pacemaker's options and output format, section by section.

use std::io::Read as _;

use anyhow::{bail, Context, Result};

// The scheduler allocates many small strings, and a run's cost beyond its
// computing is mostly the fresh memory it touches: the tools' allocator packs
// blocks densely on huge pages (see `crm_cli::memory`).
#[global_allocator]
static GLOBAL: crm_cli::memory::ToolAllocator = crm_cli::memory::ToolAllocator;
use clap::Parser;
use crm_cli::textfile::TextFile;
use crm_cli::{cibio, simulate};

#[derive(Parser, Debug)]
#[command(name = "crm_simulate", about = "Simulate a Pacemaker cluster's response to events")]
struct Args {
    /// Process the input and show what actions the cluster will take
    #[arg(short = 'R', long = "run")]
    run: bool,
    /// Like --run, but also simulate taking those actions and show the new status
    #[arg(short = 'S', long = "simulate")]
    simulate: bool,
    /// Like --simulate, and store the result back into the input file
    #[arg(short = 'X', long = "in-place")]
    in_place: bool,
    /// Show allocation scores
    #[arg(short = 's', long = "show-scores")]
    show_scores: bool,
    /// Retrieve XML from the named file
    #[arg(short = 'x', long = "xml-file")]
    xml_file: Option<std::path::PathBuf>,
    /// Retrieve XML from standard input
    #[arg(short = 'p', long = "xml-pipe")]
    xml_pipe: bool,
    /// Use the running cluster's CIB
    #[arg(short = 'L', long = "live-check")]
    live: bool,
    /// Simulate bringing a node online
    #[arg(short = 'u', long = "node-up")]
    node_up: Vec<String>,
    /// Simulate taking a node offline
    #[arg(short = 'd', long = "node-down")]
    node_down: Vec<String>,
    /// Simulate a node failing
    #[arg(short = 'f', long = "node-fail")]
    node_fail: Vec<String>,
    /// Inject an operation result: ${resource}_${task}_${interval_in_ms}@${node}=${rc}
    #[arg(short = 'i', long = "op-inject")]
    op_inject: Vec<String>,
    /// Set date/time (ISO 8601)
    #[arg(short = 't', long = "set-datetime")]
    set_datetime: Option<String>,
    /// Set to 1 or true to say the cluster has quorum
    #[arg(short = 'q', long = "quorum")]
    quorum: Option<String>,
    /// Save the input configuration to the named file
    #[arg(short = 'I', long = "save-input")]
    save_input: Option<std::path::PathBuf>,
    /// Save the output configuration to the named file
    #[arg(short = 'O', long = "save-output")]
    save_output: Option<std::path::PathBuf>,
    /// Save the transition graph (XML format) to the named file
    #[arg(short = 'G', long = "save-graph")]
    save_graph: Option<std::path::PathBuf>,
    /// Save the transition graph (DOT format) to the named file
    #[arg(short = 'D', long = "save-dotfile")]
    save_dot: Option<std::path::PathBuf>,
    /// Display only essential output
    #[arg(short = 'Q', long = "quiet")]
    quiet: bool,
    /// Increase debug output
    #[arg(short = 'V', long = "verbose", action = clap::ArgAction::Count)]
    verbose: u8,
}

fn read_input(args: &Args) -> Result<TextFile> {
    if let Some(path) = &args.xml_file {
        return TextFile::open(path);
    }
    if args.xml_pipe {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s.into());
    }
    if let Some(path) = cibio::cib_file_from_env() {
        return TextFile::open(&path);
    }
    if args.live {
        bail!(
            "--live-check: could not connect to the cluster (no local daemon); use -x FILE or CIB_file=FILE"
        );
    }
    bail!("no input: give -x FILE, -p (standard input), -L or set CIB_file");
}

fn main() -> Result<()> {
    // Scheduler tracing (every action and why) only when asked for, on stderr,
    // so the output the suite compares stays Pacemaker's.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("CRM_SIMULATE_LOG") {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).without_time().init();
    }
    let args = Args::parse();
    let input = read_input(&args)?;
    let source = args.xml_file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "input".into());
    let text = input.text().with_context(|| format!("{source}: invalid CIB"))?;
    let opts = simulate::Options {
        run: args.run
            || args.simulate
            || args.in_place
            || args.save_graph.is_some()
            || args.save_dot.is_some(),
        simulate: args.simulate || args.in_place,
        show_scores: args.show_scores,
        quiet: args.quiet,
        node_up: args.node_up.clone(),
        node_down: args.node_down.clone(),
        node_fail: args.node_fail.clone(),
        op_inject: args.op_inject.clone(),
        quorum: args.quorum.clone(),
        graph: args.save_graph.is_some() || args.save_dot.is_some(),
        release_status: args.save_output.is_none() && !args.in_place,
        now: match &args.set_datetime {
            Some(t) => Some(
                crm_core::scheduler::rules::parse_datetime(t)
                    .with_context(|| format!("invalid date/time '{t}'"))?,
            ),
            None => None,
        },
    };
    let started = std::time::Instant::now();
    // The configuration is unpacked while the status section is still being
    // read (on documents over 1 MiB, by a second thread); on very large ones
    // not: that would hold the unpacked configuration and the whole text at
    // once, and there the peak memory matters more than the milliseconds.
    let wall = wall_clock();
    let mut configured = None;
    let parsed = if text.len() < CONFIGURE_AHEAD_MAX_BYTES {
        cib_schema::parse_observed(text, |head| configured = simulate::configure(head, &opts, wall))
    } else {
        cib_schema::parse(text)
    };
    let mut cib = parsed.with_context(|| format!("{source}: invalid CIB"))?;
    tracing::debug!("parsed {} bytes in {:?} ({})", text.len(), started.elapsed(), crm_cli::memory::usage());
    // The text is not needed again: free it before scheduling.
    crm_cli::memory::release(input);
    tracing::debug!("text released ({})", crm_cli::memory::usage());
    if let Some(path) = &args.save_input {
        cibio::write_cib_file(path, &cib)?;
    }
    let out = simulate::run_configured(&mut cib, &opts, wall, configured)?;
    print!("{}", out.text);
    if let Some(path) = &args.save_graph {
        std::fs::write(path, &out.graph_xml)?;
    }
    if let Some(path) = &args.save_dot {
        std::fs::write(path, &out.dot)?;
    }
    if let Some(path) = &args.save_output {
        cibio::write_cib_file(path, out.after.as_ref().unwrap_or(&cib))?;
    }
    if args.in_place {
        if let Some(path) = &args.xml_file {
            cibio::write_cib_file(path, out.after.as_ref().unwrap_or(&cib))?;
        }
    }
    // The process ends here: taking the large structures apart piece by
    // piece would only cost time (a tenth of a run on large CIBs).
    std::mem::forget(out);
    std::mem::forget(cib);
    Ok(())
}

/// Documents from this size on are unpacked after reading (see `main`).
const CONFIGURE_AHEAD_MAX_BYTES: usize = 32 << 20;

fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
