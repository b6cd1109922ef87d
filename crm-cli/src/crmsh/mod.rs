//! A drop-in for crmsh 4.4's `crm` shell: `configure` (crm syntax to CIB XML and
//! back), `resource`, `node`, `ra`, working on `CIB_file=` offline or on the
//! node's daemon ([`store`]).
//!
//! Data flows one way: [`lexer`] splits input into statements, [`parse`] turns
//! each into CIB XML with crmsh's generated ids ([`ids`]), [`cib`] places the
//! objects into a working copy and validates it, [`session`] commits it
//! atomically, [`show`] prints the configuration back in crm syntax.
//! [`shell`] dispatches lines at the shell's levels.

pub mod agents;
pub mod attrs;
pub mod cib;
pub mod cibcmd;
pub mod error;
pub mod ids;
pub mod interactive;
pub mod lexer;
pub mod node;
pub mod parse;
pub mod ra;
pub mod resource;
pub mod session;
pub mod shell;
pub mod show;
pub mod store;
pub mod xml;

pub use error::CrmError;
pub use shell::Shell;
