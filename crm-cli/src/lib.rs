//! `crm-cli` holds the binaries that carry Pacemaker's names (`crm_simulate`,
//! `crm`, `crm_mon`, `cibadmin`, `crmd`, ...) and the little they share: finding
//! and loading the CIB (`CIB_file=`, `-x`, standard input). Decisions live in
//! `crm-core`; this crate only parses arguments, does I/O and prints.

pub mod attrtool;
pub mod cibdiff;
pub mod cibio;
pub mod crmsh;
pub mod daemon;
pub mod ipc;
pub mod locate;
pub mod memory;
pub mod mon;
pub mod nodeattr;
pub mod settle;
pub mod simulate;
pub mod textfile;
pub mod toolerror;
