//! ocf:heartbeat:mysql through crm-agents with MariaDB on a fresh data
//! directory: the agent creates the database (`enable_creation`), starts
//! mysqld, monitors it at OCF_CHECK_LEVEL 0 (process) and 10 (a query through
//! the socket), and stops it. No mysqld outlives the test.

#[path = "agents/support.rs"]
mod support;

use crm_agents::{ExecStatus, OcfRc, OpRequest};
use support::*;

/// Kills any mysqld of this test's data directory (after a failure).
struct MysqldGuard(String);

impl Drop for MysqldGuard {
    fn drop(&mut self) {
        for (pid, _) in live_processes_matching(&self.0) {
            sh_quiet(&["kill", "-9", &pid.to_string()]);
        }
    }
}

#[test]
fn mysql_starts_monitors_and_stops_mariadb() {
    require("/usr/sbin/mariadbd", "mariadb-server");
    require("/usr/bin/mysqld_safe", "mariadb-server");
    require("/usr/bin/mysql", "mariadb-client");
    let dir = TempDir::new("mysql");
    let datadir = dir.join("data");
    let _guard = MysqldGuard(datadir.display().to_string());
    // The administrator's part: an empty data directory mysqld may write.
    std::fs::create_dir(&datadir).unwrap();
    sh(&["chown", "mysql:mysql", &datadir.display().to_string(), &dir.path().display().to_string()]);
    let config = dir.join("my.cnf");
    let socket = dir.join("mysqld.sock");
    // Our own configuration: no TCP port, so it cannot clash with anything.
    std::fs::write(
        &config,
        format!(
            "[mysqld]\nskip-networking\nskip-log-bin\ninnodb_buffer_pool_size=16M\n[client]\nsocket={}\n",
            socket.display()
        ),
    )
    .unwrap();
    let ex = executor(None);
    let op = |action: &str| {
        OpRequest::new("db", "ocf:heartbeat:mysql".parse().unwrap(), action)
            .param("binary", "/usr/bin/mysqld_safe")
            .param("config", config.display().to_string())
            .param("datadir", datadir.display().to_string())
            .param("socket", socket.display().to_string())
            .param("pid", dir.join("mysqld.pid").display().to_string())
            .param("log", dir.join("error.log").display().to_string())
            .param("user", "mysql")
            .param("group", "mysql")
            .param("enable_creation", "1")
            .timeout_ms(120_000)
    };

    let r = ex.execute_blocking(&op("monitor"));
    assert_eq!(r.rc, OcfRc::NotRunning, "probe: {r} {:?}", r.stderr);

    let r = ex.execute_blocking(&op("start"));
    let log = || std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    assert!(r.is_success(), "start: {r}\nstderr: {:?}\nerror.log:\n{}", r.stderr, log());
    assert!(datadir.join("mysql").is_dir(), "the agent created the database");
    assert!(socket.exists(), "mysqld listens on its socket");
    assert!(!live_processes_matching(&datadir.display().to_string()).is_empty(), "mysqld runs");

    for level in [0, 10] {
        let r = ex.execute_blocking(&op("monitor").interval_ms(30_000).check_level(level));
        assert!(r.is_success(), "monitor OCF_CHECK_LEVEL={level}: {r} {:?}", r.stderr);
    }
    // The level-10 monitor really queries: it fails on a table that does not exist.
    let r = ex.execute_blocking(&op("monitor").param("test_table", "mysql.no_such_table").check_level(10));
    assert_eq!(r.rc, OcfRc::ErrGeneric, "level-10 monitor with a missing test table: {r}");
    let out = sh(&["mysql", "--socket", &socket.display().to_string(), "-N", "-e", "SELECT 40+2"]);
    assert_eq!(out.trim(), "42");

    let r = ex.execute_blocking(&op("stop"));
    assert!(r.is_success(), "stop: {r} {:?}", r.stderr);
    assert!(
        wait_for(10_000, || live_processes_matching(&datadir.display().to_string()).is_empty()),
        "mysqld still running after stop"
    );
    let r = ex.execute_blocking(&op("monitor"));
    assert_eq!((r.rc, r.status), (OcfRc::NotRunning, ExecStatus::Done), "monitor after stop: {r}");
}
