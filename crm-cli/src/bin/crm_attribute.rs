//! `crm_attribute`: query, update or delete node attributes and cluster
//! options. Agents call it for promotion scores (`--promotion -v N`) and
//! shared state (`-N node -l reboot --name X -v Y`). Works on `CIB_file=`,
//! else on the local daemon.

use anyhow::Result;
use clap::Parser;
use crm_cli::attrtool::{run, AttrArgs, Lifetime};

#[derive(Parser, Debug)]
#[command(
    name = "crm_attribute",
    version,
    disable_version_flag = true,
    about = "Query and update node attributes and cluster options"
)]
struct Args {
    /// Attribute or option name.
    #[arg(short = 'n', long = "name", alias = "attr-name")]
    name: Option<String>,
    /// The promotion score of RESOURCE (default: $OCF_RESOURCE_INSTANCE); implies -l reboot.
    #[arg(short = 'p', long = "promotion", num_args = 0..=1, default_missing_value = "", value_name = "RESOURCE")]
    promotion: Option<String>,
    /// Set the value.
    #[arg(short = 'v', long = "update", alias = "attr-value", value_name = "VALUE")]
    update: Option<String>,
    /// Query the value (the default command).
    #[arg(short = 'G', long = "query", alias = "get-value")]
    query: bool,
    /// Delete the attribute.
    #[arg(short = 'D', long = "delete", alias = "delete-attr")]
    delete: bool,
    /// Node for a node attribute.
    #[arg(short = 'N', long = "node", visible_short_alias = 'U', alias = "uname")]
    node: Option<String>,
    /// reboot (transient, status section) or forever (configuration).
    #[arg(short = 'l', long = "lifetime", value_enum)]
    lifetime: Option<Lifetime>,
    /// Section: crm_config, rsc_defaults, op_defaults (or nodes, status).
    #[arg(short = 't', long = "type", value_name = "SECTION")]
    section: Option<String>,
    /// Use the set with this id.
    #[arg(short = 's', long = "set-name")]
    set_name: Option<String>,
    /// Use the nvpair with this id.
    #[arg(short = 'i', long = "id", alias = "attr-id")]
    id: Option<String>,
    /// Value to print when the attribute is not set.
    #[arg(short = 'd', long = "default")]
    default: Option<String>,
    /// Print only the value.
    #[arg(short = 'q', long = "quiet", visible_short_alias = 'Q')]
    quiet: bool,
    #[arg(short = 'V', long = "verbose", action = clap::ArgAction::Count)]
    verbose: u8,
    /// Print the version (long option only: -V is --verbose, as in Pacemaker).
    #[arg(long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
}

fn main() {
    let a = Args::parse();
    let args = AttrArgs {
        name: a.name,
        promotion: a.promotion,
        update: a.update,
        query: a.query,
        delete: a.delete,
        node: a.node,
        lifetime: a.lifetime,
        section: a.section,
        set_name: a.set_name,
        id: a.id,
        default: a.default,
        quiet: a.quiet,
    };
    let r: Result<()> = run(&args);
    if let Err(e) = r {
        crm_cli::toolerror::exit_with("crm_attribute", e);
    }
}
