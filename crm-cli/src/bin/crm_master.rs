//! `crm_master`: the older promotion-score tool that agents still call
//! (`crm_master -l reboot -v 100`). Like Pacemaker's wrapper script, it is
//! `crm_attribute -n master-$OCF_RESOURCE_INSTANCE` with lifetime forever
//! unless told otherwise.

use clap::Parser;
use crm_cli::attrtool::{run, AttrArgs, Lifetime};
use crm_cli::nodeattr::promotion_attr_name;
use crm_cli::toolerror::{exit_with, ToolError};

#[derive(Parser, Debug)]
#[command(
    name = "crm_master",
    version,
    disable_version_flag = true,
    about = "Query, update or delete a resource's promotion score"
)]
struct Args {
    #[arg(short = 'v', long = "update", alias = "attr-value")]
    update: Option<String>,
    #[arg(short = 'G', long = "query", alias = "get-value")]
    query: bool,
    #[arg(short = 'D', long = "delete", alias = "delete-attr")]
    delete: bool,
    #[arg(short = 'N', long = "node", visible_short_alias = 'U', alias = "uname")]
    node: Option<String>,
    #[arg(short = 'l', long = "lifetime", value_enum, default_value = "forever")]
    lifetime: Lifetime,
    #[arg(short = 'i', long = "id", alias = "attr-id")]
    id: Option<String>,
    /// The resource instance (default: $OCF_RESOURCE_INSTANCE).
    #[arg(short = 'r', long = "resource")]
    resource: Option<String>,
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
    let rsc = a.resource.or_else(|| std::env::var("OCF_RESOURCE_INSTANCE").ok()).filter(|r| !r.is_empty());
    let Some(rsc) = rsc else {
        exit_with(
            "crm_master",
            ToolError::new(
                crm_cli::toolerror::ExitCode::Error,
                "No resource specified (set OCF_RESOURCE_INSTANCE or use -r)",
            )
            .into(),
        );
    };
    let args = AttrArgs {
        name: Some(promotion_attr_name(&rsc)),
        promotion: None,
        update: a.update,
        query: a.query,
        delete: a.delete,
        node: a.node,
        lifetime: Some(a.lifetime),
        section: None,
        set_name: None,
        id: a.id,
        default: None,
        quiet: a.quiet,
    };
    if let Err(e) = run(&args) {
        exit_with("crm_master", e);
    }
}
