//! `crm_mon`'s live view: what `crm_mon` without `-1` shows on a terminal, a
//! full-screen status that follows the cluster as it changes.
//!
//! The daemon pushes the whole CIB on every change (`CIB_file` is watched
//! instead); each one becomes a [`model::Snapshot`] built with the one-shot
//! renderers' helpers, so the live view and `crm_mon -1` never disagree about
//! a state. Consecutive snapshots are compared into recent events
//! ([`events`]). Keys ([`keys`]) move a selection and lead, after a y/n
//! confirmation that names the command, to `crm` commands ([`actions`]).
//! [`view`] draws a frame from that state and [`app`] is the terminal loop.
//!
//! Everything but [`app`] works without a terminal, which is how the tests
//! drive it (keys in, ratatui's `TestBackend` buffer out).

pub mod actions;
pub mod app;
pub mod events;
pub mod keys;
pub mod model;
pub mod view;

pub use app::{run, Source};
