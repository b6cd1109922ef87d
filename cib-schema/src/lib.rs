//! `cib-schema` is the CIB document and nothing else: the typed model of
//! Pacemaker's Cluster Information Base (configuration and status), its lossless
//! XML reader and deterministic writer, and errors that name line:column and the
//! element path. It knows nothing of processes, sockets or time.
//!
//! ```
//! let cib = cib_schema::parse("<cib epoch=\"3\"><configuration/><status/></cib>").unwrap();
//! assert_eq!(cib.version(), (0, 3, 0));
//! let again = cib_schema::parse(&cib_schema::to_xml(&cib)).unwrap();
//! assert_eq!(cib, again);
//! ```

#[macro_use]
mod macros;
pub mod error;
mod lrm_resource;
pub mod model;
mod op;
mod packed;
mod processor;
pub mod read;
mod split;
pub mod stream;
mod unknown;
pub mod write;
pub mod xml;

pub use error::{CibError, ErrorKind, Pos};
pub use model::*;
pub use unknown::Unknown;
pub use xml::Element;

use read::FromXml;
use write::ToElement;

/// Parses a CIB document (the `<cib>` element and everything under it), in one
/// pass from text to the typed model.
///
/// Large documents are read on two threads (see `split`); the result, and any
/// error, is the same as a one-thread reading's.
pub fn parse(text: &str) -> Result<Cib, CibError> {
    parse_inner(text, None)
}

/// [`parse`], showing `observer` the document once its root's attributes and
/// its configuration have been read (not at all if it has no configuration),
/// so that the caller can start on them while the status section is read
/// (on a large document, the other thread of the reading runs it).
/// What it sees is the document the parse returns, unless that is an error.
pub fn parse_observed<'a>(text: &'a str, observer: impl FnOnce(&Cib) + Send + 'a) -> Result<Cib, CibError> {
    parse_inner(text, Some(Box::new(observer)))
}

fn parse_inner<'a>(text: &'a str, observer: Option<read::Observer<'a>>) -> Result<Cib, CibError> {
    let mut ctx = read::ReadCtx::new(text);
    let observing = observer.is_some();
    ctx.observer = observer;
    let Some(plan) = split::plan(text) else {
        return parse_with(ctx);
    };
    std::thread::scope(|scope| {
        let shared = std::sync::Arc::new(split::Shared::new(&plan, observing));
        let (send, runs) = std::sync::mpsc::channel();
        let (theirs, their_plan) = (shared.clone(), plan.clone());
        let here = processor::current();
        let spawned = std::thread::Builder::new().name("cib-reader".into()).spawn_scoped(scope, move || {
            if let Some(cpu) = here {
                processor::leave(cpu);
            }
            split::read_runs(text, &their_plan, &theirs, &send)
        });
        // Without a second thread, one reads it all.
        if spawned.is_ok() {
            ctx.splice = Some(split::Splice::new(plan, shared, runs));
        }
        parse_with(ctx)
    })
}

fn parse_with(mut ctx: read::ReadCtx<'_>) -> Result<Cib, CibError> {
    let root = ctx.stream.root()?;
    if root.name() != "cib" {
        return Err(ctx.unexpected(&root, "cib"));
    }
    let mut cib = Cib::read_xml(&root, &mut ctx)?;
    ctx.restore_configuration(&mut cib);
    ctx.finish()?;
    cib.check_classes(ctx.stream.text())?;
    Ok(cib)
}

/// The element tree of a model.
pub fn to_element(cib: &Cib) -> Element {
    cib.to_element()
}

/// Writes a CIB as XML, deterministically (same model, same bytes).
pub fn to_xml(cib: &Cib) -> String {
    cib.to_element().to_xml()
}
