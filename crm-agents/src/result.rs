//! What an operation came back with, in the terms the CIB records
//! (`rc-code`, `op-status`, `exec-time`, `queue-time`, `exit-reason`).

use std::fmt;

use crate::capture::Captured;

/// OCF exit codes (OCF 1.1 and Pacemaker's additions). Every class's result is
/// translated into these, as Pacemaker's executor does, so the scheduler reads
/// one vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OcfRc {
    Success,
    ErrGeneric,
    ErrArgs,
    ErrUnimplemented,
    ErrPerm,
    ErrInstalled,
    ErrConfigured,
    NotRunning,
    RunningPromoted,
    FailedPromoted,
    /// 190: running but not healthy (OCF 1.1).
    Degraded,
    /// 191: promoted but not healthy (OCF 1.1).
    DegradedPromoted,
    /// Anything else an agent returned; treated as a soft error.
    Other(i32),
}

/// How bad a failing code is, which decides recovery (Pacemaker's meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Not a failure in itself (success, not running, promoted, degraded).
    None,
    /// Recover on this node (restart), counting towards migration-threshold.
    Soft,
    /// The resource cannot run on this node: ban it from here.
    Hard,
    /// The configuration is wrong: the resource can run nowhere.
    Fatal,
}

impl OcfRc {
    pub fn from_code(code: i32) -> Self {
        match code {
            0 => OcfRc::Success,
            1 => OcfRc::ErrGeneric,
            2 => OcfRc::ErrArgs,
            3 => OcfRc::ErrUnimplemented,
            4 => OcfRc::ErrPerm,
            5 => OcfRc::ErrInstalled,
            6 => OcfRc::ErrConfigured,
            7 => OcfRc::NotRunning,
            8 => OcfRc::RunningPromoted,
            9 => OcfRc::FailedPromoted,
            190 => OcfRc::Degraded,
            191 => OcfRc::DegradedPromoted,
            n => OcfRc::Other(n),
        }
    }

    pub fn code(self) -> i32 {
        match self {
            OcfRc::Success => 0,
            OcfRc::ErrGeneric => 1,
            OcfRc::ErrArgs => 2,
            OcfRc::ErrUnimplemented => 3,
            OcfRc::ErrPerm => 4,
            OcfRc::ErrInstalled => 5,
            OcfRc::ErrConfigured => 6,
            OcfRc::NotRunning => 7,
            OcfRc::RunningPromoted => 8,
            OcfRc::FailedPromoted => 9,
            OcfRc::Degraded => 190,
            OcfRc::DegradedPromoted => 191,
            OcfRc::Other(n) => n,
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            OcfRc::Success
            | OcfRc::NotRunning
            | OcfRc::RunningPromoted
            | OcfRc::Degraded
            | OcfRc::DegradedPromoted => Severity::None,
            OcfRc::ErrGeneric | OcfRc::FailedPromoted | OcfRc::Other(_) => Severity::Soft,
            OcfRc::ErrArgs | OcfRc::ErrUnimplemented | OcfRc::ErrPerm | OcfRc::ErrInstalled => Severity::Hard,
            OcfRc::ErrConfigured => Severity::Fatal,
        }
    }

    /// Pacemaker's name for the code, as `crm_mon` prints it.
    pub fn name(self) -> &'static str {
        match self {
            OcfRc::Success => "ok",
            OcfRc::ErrGeneric => "error",
            OcfRc::ErrArgs => "invalid parameter",
            OcfRc::ErrUnimplemented => "unimplemented feature",
            OcfRc::ErrPerm => "insufficient privileges",
            OcfRc::ErrInstalled => "not installed",
            OcfRc::ErrConfigured => "not configured",
            OcfRc::NotRunning => "not running",
            OcfRc::RunningPromoted => "promoted",
            OcfRc::FailedPromoted => "promoted (failed)",
            OcfRc::Degraded => "OCF_DEGRADED",
            OcfRc::DegradedPromoted => "promoted (degraded)",
            OcfRc::Other(_) => "unknown",
        }
    }
}

impl fmt::Display for OcfRc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

/// Whether the operation ran to completion: Pacemaker's `op-status`
/// (`enum pcmk_exec_status`); the numbers are what the CIB stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecStatus {
    /// The agent ran and exited; `rc` says how it went.
    Done = 0,
    Cancelled = 1,
    /// The agent did not finish in time and was killed.
    Timeout = 2,
    /// The class or action is not supported here.
    NotSupported = 3,
    /// The agent could not be run or died by a signal.
    Error = 4,
    ErrorHard = 5,
    ErrorFatal = 6,
    /// The agent's executable is missing.
    NotInstalled = 7,
    /// A service the class needs is not there (systemd not running).
    NotConnected = 8,
}

impl ExecStatus {
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl fmt::Display for ExecStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ExecStatus::Done => "complete",
            ExecStatus::Cancelled => "Cancelled",
            ExecStatus::Timeout => "Timed Out",
            ExecStatus::NotSupported => "NOT SUPPORTED",
            ExecStatus::Error => "Error",
            ExecStatus::ErrorHard => "Hard error",
            ExecStatus::ErrorFatal => "Fatal error",
            ExecStatus::NotInstalled => "Not installed",
            ExecStatus::NotConnected => "Not connected",
        };
        f.write_str(s)
    }
}

/// How the agent's process ended, before any translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessEnd {
    Exited(i32),
    Signaled(i32),
    /// Killed by us after the timeout.
    TimedOut,
    /// Never started (not installed, class unavailable).
    NotStarted,
}

/// The result of one operation.
#[derive(Debug, Clone)]
pub struct OpResult {
    pub rc: OcfRc,
    pub status: ExecStatus,
    /// The agent's `ocf-exit-reason:` message, or ours when it could not run.
    pub exit_reason: Option<String>,
    pub stdout: Captured,
    pub stderr: Captured,
    pub end: ProcessEnd,
    /// From spawn to exit (and kill, on timeout).
    pub exec_time_ms: u64,
    /// Waiting for a free slot before running.
    pub queue_time_ms: u64,
}

impl OpResult {
    /// An operation that never ran.
    pub fn not_run(rc: OcfRc, status: ExecStatus, reason: impl Into<String>) -> Self {
        OpResult {
            rc,
            status,
            exit_reason: Some(reason.into()),
            stdout: Captured::default(),
            stderr: Captured::default(),
            end: ProcessEnd::NotStarted,
            exec_time_ms: 0,
            queue_time_ms: 0,
        }
    }

    /// Ran to completion with `OCF_SUCCESS`.
    pub fn is_success(&self) -> bool {
        self.status == ExecStatus::Done && self.rc == OcfRc::Success
    }
}

impl fmt::Display for OpResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rc={} status={} exec={}ms queue={}ms",
            self.rc, self.status, self.exec_time_ms, self.queue_time_ms
        )?;
        if let Some(r) = &self.exit_reason {
            write!(f, " reason={r:?}")?;
        }
        Ok(())
    }
}

/// The last `ocf-exit-reason:` line an agent printed on stderr (OCF 1.1).
pub fn exit_reason_from(stderr: &[u8]) -> Option<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find_map(|l| l.split_once("ocf-exit-reason:").map(|(_, r)| r.trim().to_string()))
        .filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_severity() {
        for c in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 190, 191, 42] {
            assert_eq!(OcfRc::from_code(c).code(), c);
        }
        assert_eq!(OcfRc::from_code(6).severity(), Severity::Fatal);
        assert_eq!(OcfRc::from_code(5).severity(), Severity::Hard);
        assert_eq!(OcfRc::from_code(1).severity(), Severity::Soft);
        assert_eq!(OcfRc::from_code(190).severity(), Severity::None);
    }

    #[test]
    fn exit_reason_takes_the_last() {
        let err = b"x\nocf-exit-reason:first\nERROR: ocf-exit-reason:Cannot mount\n";
        assert_eq!(exit_reason_from(err).as_deref(), Some("Cannot mount"));
        assert_eq!(exit_reason_from(b"nothing"), None);
    }
}
