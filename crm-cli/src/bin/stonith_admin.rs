//! `stonith_admin`: fence a node by hand, list the fencing devices and agents,
//! and show the fencing history. Devices come from the CIB (`CIB_file` or the
//! daemon); fencing and the history need the running daemon.

use anyhow::{bail, Context, Result};
use clap::Parser;
use crm_agents::{AgentSpec, Class, Executor, ExecutorConfig};
use crm_cli::cibio::CibSource;
use crm_cli::ipc::DaemonClient;

#[derive(Parser)]
#[command(name = "stonith_admin", about = "Access the fencing API")]
struct Args {
    /// Fence (reboot) the named node
    #[arg(short = 'B', long = "reboot", value_name = "NODE")]
    reboot: Option<String>,
    /// Fence (power off) the named node
    #[arg(short = 'F', long = "fence", value_name = "NODE")]
    fence: Option<String>,
    /// Show the fencing history of a node ('*' for every node)
    #[arg(short = 'H', long = "history", value_name = "NODE")]
    history: Option<String>,
    /// List the fencing devices configured in the cluster
    #[arg(short = 'L', long = "list-registered")]
    list_registered: bool,
    /// List the fence agents installed on this node
    #[arg(short = 'I', long = "list-installed")]
    list_installed: bool,
    /// Show the meta-data of the agent given with --agent
    #[arg(short = 'M', long = "metadata")]
    metadata: bool,
    #[arg(short = 'a', long = "agent")]
    agent: Option<String>,
    /// Be less descriptive in output
    #[arg(short = 'q', long = "quiet")]
    quiet: bool,
    #[arg(short = 'V', long = "verbose", action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        crm_cli::toolerror::exit_with("stonith_admin", e);
    }
}

fn run(args: Args) -> Result<()> {
    if let Some(node) = args.reboot.as_deref().or(args.fence.as_deref()) {
        let mut client = DaemonClient::connect()?;
        client.fence(node).with_context(|| format!("fencing {node}"))?;
        if !args.quiet {
            println!("Node {node} fenced");
        }
        return Ok(());
    }
    if let Some(node) = &args.history {
        let text = DaemonClient::connect()?.fence_history()?;
        let mut shown = 0;
        for line in text.lines() {
            let f: Vec<&str> = line.splitn(4, ' ').collect();
            let [at, target, state, by] = f[..] else { continue };
            if node != "*" && node != target {
                continue;
            }
            let when = at.parse::<i64>().map(crm_cli::mon::timefmt::ctime).unwrap_or_else(|_| at.into());
            println!("reboot of {target} {state}: delegate={by}, completed='{when}'");
            shown += 1;
        }
        if shown == 0 && !args.quiet {
            println!("No fencing history");
        }
        return Ok(());
    }
    if args.list_registered {
        let cib = CibSource::from_env().read()?;
        let devices: Vec<String> =
            crm_cli::daemon::fence::devices(&cib).into_iter().map(|r| r.rsc_id).collect();
        for d in &devices {
            println!(" {d}");
        }
        println!("{} fence device{} found", devices.len(), if devices.len() == 1 { "" } else { "s" });
        return Ok(());
    }
    let cfg = ExecutorConfig::default();
    if args.list_installed {
        let agents = crm_agents::list::agents(&cfg, Class::Stonith, None)?;
        for a in &agents {
            println!(" {a}");
        }
        println!("{} fence device{} found", agents.len(), if agents.len() == 1 { "" } else { "s" });
        return Ok(());
    }
    if args.metadata {
        let agent = args.agent.context("--metadata needs --agent AGENT")?;
        let spec = AgentSpec::new(Class::Stonith, None, &agent)?;
        let md = Executor::new(cfg).metadata_blocking(&spec)?;
        print!("{}", md.xml);
        return Ok(());
    }
    let _ = args.verbose;
    bail!("nothing to do: give one of --reboot, --fence, --history, --list-registered, --list-installed, --metadata (see --help)")
}
