//! Shared helpers for the integration suites: where the project root and the
//! shared test data (`../shared/`) are.

use std::path::PathBuf;

/// The repository root.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `../shared/` beside the checkout (CI has it there too); `SHARED_DIR` overrides.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => project_root().join("..").join("shared"),
    }
}

/// Files under `dir` whose names end with `suffix`, sorted.
pub fn files_with_suffix(dir: &std::path::Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(suffix)))
        .collect();
    out.sort();
    out
}
