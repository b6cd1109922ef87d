//! `crmd`: the cluster node daemon (Pacemaker's pacemakerd + controller +
//! based + attrd + execd + fenced in one process). Runs in the foreground;
//! logs go to standard error (the journal captures it under systemd).

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "crmd", about = "Cluster resource manager node daemon")]
struct Args {
    /// Stay in the foreground (the only mode; accepted for init scripts).
    #[arg(long, short = 'f')]
    foreground: bool,
    /// More logging (same as RUST_LOG=debug).
    #[arg(long)]
    debug: bool,
    /// Where the CIB is kept.
    #[arg(long, default_value = "/var/lib/pacemaker/cib")]
    cib_dir: PathBuf,
    /// The tools' socket (default: $CRMD_SOCKET or /run/crmd/cib.sock).
    #[arg(long)]
    socket: Option<PathBuf>,
}

fn main() -> Result<()> {
    // A daemon lives long on little memory: 2 MiB pages (which the one-shot
    // tools use for speed) would only inflate what it holds.
    let _ = nix::sys::prctl::set_thp_disable(true);
    let args = Args::parse();
    let default = if args.debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let cfg = crm_cli::daemon::DaemonConfig {
        cib_dir: args.cib_dir,
        socket: args.socket.unwrap_or_else(crm_cli::ipc::socket_path),
    };
    // One thread: the node is one state machine, and agents are processes.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let r = rt.block_on(crm_cli::daemon::run(cfg));
    if let Err(e) = &r {
        tracing::error!("crmd: {e:#}");
    }
    r
}
