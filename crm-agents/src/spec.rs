//! Which agent to run: `class[:provider]:type`, as written in a CIB primitive.

use std::fmt;
use std::str::FromStr;

use crate::error::AgentError;

/// The standard an agent follows, which decides how it is called and how its
/// exit code is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// OCF 1.1 scripts under `$OCF_ROOT/resource.d/<provider>/`.
    Ocf,
    /// LSB init scripts in `/etc/init.d`.
    Lsb,
    /// `service:` is LSB or systemd, whichever the host has (Pacemaker's rule).
    Service,
    /// systemd units, through `systemctl`.
    Systemd,
    /// Fence agents (`fence_*`) and legacy cluster-glue plugins (`external/*`).
    Stonith,
}

impl Class {
    pub const ALL: [Class; 5] = [Class::Ocf, Class::Lsb, Class::Service, Class::Systemd, Class::Stonith];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Ocf => "ocf",
            Class::Lsb => "lsb",
            Class::Service => "service",
            Class::Systemd => "systemd",
            Class::Stonith => "stonith",
        }
    }

    /// Only OCF agents have providers.
    pub fn has_provider(self) -> bool {
        self == Class::Ocf
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Class {
    type Err = AgentError;

    fn from_str(s: &str) -> Result<Self, AgentError> {
        Class::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            AgentError::BadSpec(format!(
                "unknown class {s:?} (expected one of ocf, lsb, service, systemd, stonith)"
            ))
        })
    }
}

/// `ocf:heartbeat:IPaddr2`, `lsb:nginx`, `systemd:httpd`, `stonith:fence_ipmilan`,
/// `stonith:external/ssh`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentSpec {
    pub class: Class,
    pub provider: Option<String>,
    pub agent: String,
}

impl AgentSpec {
    pub fn new(class: Class, provider: Option<&str>, agent: &str) -> Result<Self, AgentError> {
        let spec = AgentSpec { class, provider: provider.map(str::to_string), agent: agent.to_string() };
        spec.check()?;
        Ok(spec)
    }

    pub fn ocf(provider: &str, agent: &str) -> Result<Self, AgentError> {
        Self::new(Class::Ocf, Some(provider), agent)
    }

    /// Rejects names that would let a CIB entry reach outside the agent
    /// directories (`../../bin/sh`): the name becomes part of a path.
    fn check(&self) -> Result<(), AgentError> {
        if self.class.has_provider() != self.provider.is_some() {
            return Err(AgentError::BadSpec(format!(
                "{self}: class {} {} a provider",
                self.class,
                if self.class.has_provider() { "needs" } else { "takes no" }
            )));
        }
        let bad = |s: &str, slash_ok: bool| {
            s.is_empty()
                || s.contains('\0')
                || s.split('/').any(|p| p == ".." || p == ".")
                || (!slash_ok && s.contains('/'))
        };
        // Only legacy stonith plugins have a slash (`external/ssh`).
        if bad(&self.agent, self.class == Class::Stonith) || self.agent.starts_with('/') {
            return Err(AgentError::BadSpec(format!("{self}: invalid agent name {:?}", self.agent)));
        }
        if self.provider.as_deref().is_some_and(|p| bad(p, false)) {
            return Err(AgentError::BadSpec(format!("{self}: invalid provider name")));
        }
        Ok(())
    }
}

impl fmt::Display for AgentSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.provider {
            Some(p) => write!(f, "{}:{}:{}", self.class, p, self.agent),
            None => write!(f, "{}:{}", self.class, self.agent),
        }
    }
}

impl FromStr for AgentSpec {
    type Err = AgentError;

    fn from_str(s: &str) -> Result<Self, AgentError> {
        let mut parts = s.splitn(3, ':');
        let class: Class = parts.next().unwrap_or("").parse()?;
        let (provider, agent) = match (class.has_provider(), parts.next(), parts.next()) {
            (true, Some(p), Some(a)) => (Some(p), a),
            (false, Some(a), None) => (None, a),
            _ => {
                return Err(AgentError::BadSpec(format!(
                    "{s:?}: expected {}",
                    if class.has_provider() { "ocf:PROVIDER:TYPE" } else { "CLASS:TYPE" }
                )))
            }
        };
        AgentSpec::new(class, provider, agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for s in ["ocf:heartbeat:IPaddr2", "lsb:nginx", "systemd:httpd", "stonith:external/ssh"] {
            assert_eq!(s.parse::<AgentSpec>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_paths_and_missing_parts() {
        for s in [
            "ocf:heartbeat",
            "ocf:../x:y",
            "ocf:heartbeat:../../bin/sh",
            "lsb:a/b",
            "nagios:x",
            "stonith:/bin/sh",
        ] {
            assert!(s.parse::<AgentSpec>().is_err(), "{s}");
        }
    }
}
