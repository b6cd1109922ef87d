//! `corosync-sys`: bindgen bindings to Corosync 3 (CPG, quorum, votequorum, cmap)
//! and a small safe layer for tokio. It knows nothing of the CIB.
