//! `crm_node`: the local node's name and id, the node list, the partition and
//! quorum, as agents ask for them (`crm_node -n`, `-p`, `-q`). Offline it
//! answers from `CIB_file` and the executor's environment; Pacemaker's asks the
//! controller and fails without one, which would leave agents with no name.

use anyhow::Result;
use clap::Parser;
use crm_cli::cibio;
use crm_cli::nodeattr::{local_node_name, node_id};
use crm_cli::toolerror::{exit_with, ExitCode, ToolError};

#[derive(Parser, Debug)]
#[command(
    name = "crm_node",
    version,
    about = "Show the local node's name, the node list, partition and quorum"
)]
#[command(group(clap::ArgGroup::new("cmd").required(true)))]
struct Args {
    /// Print the local node's name.
    #[arg(short = 'n', long = "name", group = "cmd")]
    name: bool,
    /// Print the local node's id.
    #[arg(short = 'i', long = "cluster-id", group = "cmd")]
    id: bool,
    /// List nodes: `id name state`.
    #[arg(short = 'l', long = "list", group = "cmd")]
    list: bool,
    /// Print the names of the nodes in our partition.
    #[arg(short = 'p', long = "partition", group = "cmd")]
    partition: bool,
    /// Print 1 if our partition has quorum, else 0.
    #[arg(short = 'q', long = "quorum", group = "cmd")]
    quorum: bool,
}

fn load() -> Result<cib_schema::Cib> {
    Ok(cibio::load_cib().map_err(|e| ToolError::new(ExitCode::NotConnected, format!("{e:#}")))?.0)
}

fn run(a: &Args) -> Result<()> {
    if a.name {
        println!("{}", local_node_name());
        return Ok(());
    }
    let cib = load()?;
    let states = cib.status.as_ref().map(|s| s.nodes.as_slice()).unwrap_or(&[]);
    let member = |uname: &str| {
        states.iter().any(|s| {
            s.uname.as_deref() == Some(uname)
                && s.in_ccm.as_deref().is_some_and(|v| v == "true" || v.parse::<u64>().is_ok())
        })
    };
    if a.id {
        let me = local_node_name();
        let id = node_id(&cib, &me)
            .ok_or_else(|| ToolError::no_such(format!("Could not map name={me} to a UUID")))?;
        println!("{id}");
    } else if a.list {
        let nodes = cib
            .configuration
            .as_ref()
            .and_then(|c| c.nodes.as_ref())
            .map(|n| n.nodes.as_slice())
            .unwrap_or(&[]);
        for n in nodes {
            let uname = n.uname.as_deref().unwrap_or(&n.id);
            println!("{} {} {}", n.id, uname, if member(uname) { "member" } else { "lost" });
        }
    } else if a.partition {
        let names: Vec<&str> =
            states.iter().filter_map(|s| s.uname.as_deref()).filter(|u| member(u)).collect();
        println!("{}", names.join(" "));
    } else if a.quorum {
        let q = cib.have_quorum.as_deref().is_some_and(|v| v == "1" || v == "true");
        println!("{}", u8::from(q));
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(&Args::parse()) {
        exit_with("crm_node", e);
    }
}
