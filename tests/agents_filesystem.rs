//! ocf:heartbeat:Filesystem through crm-agents: an ext4 image on a loop device
//! the test sets up is mounted on start, readable and writable (monitor depth
//! 20 writes to it), and unmounted on stop. Loop device and mount are removed
//! whatever happens.

#[path = "agents/support.rs"]
mod support;

use std::path::{Path, PathBuf};

use crm_agents::{ExecStatus, OcfRc, OpRequest};
use support::*;

/// A loop device over an ext4 image; detached (and unmounted) on drop.
struct Loop {
    dev: String,
    mountpoint: PathBuf,
}

impl Loop {
    fn new(dir: &TempDir) -> Self {
        require("/usr/sbin/losetup", "util-linux");
        require("/usr/sbin/mkfs.ext4", "e2fsprogs");
        assert!(Path::new("/dev/loop-control").exists(), "no /dev/loop-control: this test needs loop devices (run as root on a VM or privileged container)");
        let img = dir.join("fs.img");
        sh(&["truncate", "-s", "32M", &img.display().to_string()]);
        sh(&["mkfs.ext4", "-q", "-F", "-L", "crmtest", &img.display().to_string()]);
        let dev = sh(&["losetup", "--find", "--show", &img.display().to_string()]).trim().to_string();
        let mountpoint = dir.join("mnt");
        std::fs::create_dir_all(&mountpoint).unwrap();
        Loop { dev, mountpoint }
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        if is_mounted(&self.mountpoint) {
            sh_quiet(&["umount", "-l", &self.mountpoint.display().to_string()]);
        }
        sh_quiet(&["losetup", "-d", &self.dev]);
    }
}

fn is_mounted(dir: &Path) -> bool {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let dir = dir.display().to_string();
    mounts.lines().any(|l| l.split_whitespace().nth(1) == Some(dir.as_str()))
}

#[test]
fn filesystem_mounts_and_unmounts_an_ext4_image() {
    let dir = TempDir::new("fs");
    let lo = Loop::new(&dir);
    let ex = executor(None);
    let op = |action: &str| {
        OpRequest::new("fs", "ocf:heartbeat:Filesystem".parse().unwrap(), action)
            .param("device", lo.dev.clone())
            .param("directory", lo.mountpoint.display().to_string())
            .param("fstype", "ext4")
            .timeout_ms(60_000)
    };
    let r = ex.execute_blocking(&op("monitor"));
    assert_eq!(r.rc, OcfRc::NotRunning, "probe: {r} {:?}", r.stderr);

    let r = ex.execute_blocking(&op("start"));
    assert!(r.is_success(), "start: {r} {:?}", r.stderr);
    assert!(is_mounted(&lo.mountpoint), "mounted after start");
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let line = mounts.lines().find(|l| l.contains(&lo.mountpoint.display().to_string())).unwrap();
    assert!(line.starts_with(&lo.dev) && line.contains(" ext4 "), "{line}");
    std::fs::write(lo.mountpoint.join("hello"), "data").expect("the filesystem is writable");

    for depth in [0, 10, 20] {
        let r = ex.execute_blocking(&op("monitor").interval_ms(20_000).check_level(depth));
        assert!(r.is_success(), "monitor depth {depth}: {r} {:?}", r.stderr);
    }

    let r = ex.execute_blocking(&op("stop"));
    assert!(r.is_success(), "stop: {r} {:?}", r.stderr);
    assert!(!is_mounted(&lo.mountpoint), "unmounted after stop");
    assert!(!lo.mountpoint.join("hello").exists(), "the file lives on the image, not the mount point");
    let r = ex.execute_blocking(&op("monitor"));
    assert_eq!((r.rc, r.status), (OcfRc::NotRunning, ExecStatus::Done), "monitor after stop: {r}");
}
