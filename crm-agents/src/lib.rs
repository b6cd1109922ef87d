//! `crm-agents` runs resource agents: OCF 1.1 scripts, LSB init scripts, systemd
//! units and fence agents, with timeouts, bounded output and typed results. It
//! knows nothing of scheduling.
