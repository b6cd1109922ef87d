//! What the crm shell suites share: finding (building) our `crm` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `crm` binary of this build (built on demand: the binaries of another
/// package are not built for this package's tests).
pub fn crm_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/crmsh_corpus-HASH -> target/<profile>/crm
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf();
    let bin = profile_dir.join("crm");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-q", "-p", "crm-cli", "--bin", "crm"]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("running cargo build for crm");
    assert!(status.success(), "building crm failed");
    assert!(bin.exists(), "{} not found after build", bin.display());
    bin
}
