//! What nodes say to each other over the totally ordered bus, and its wire
//! form. The encoding is a small length-prefixed binary format written by hand:
//! the messages are few and flat, and the CIB travels as its own XML, so the
//! receiver reads it with the same parser as a `cib.xml` on disk.

use std::sync::Arc;

use cib_schema::Cib;
use thiserror::Error;

/// A cluster node as Corosync numbers it (the `id` of `<node>` in the CIB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Names one action of one transition computed by one DC, so that a result
/// finds the action that asked for it and a stale result finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ActionKey {
    pub dc: NodeId,
    pub transition: u64,
    pub action: u32,
}

/// One resource operation as its node's executor reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRecord {
    /// The id the history is kept under (an anonymous clone's configured id).
    pub rsc: String,
    pub task: String,
    pub interval_ms: u64,
    pub rc: i32,
    /// Still running: recorded as Pacemaker's `record-pending` does, so that a
    /// new DC knows a start is under way and does not start it elsewhere.
    pub pending: bool,
}

/// A change to the CIB, applied by every member in delivery order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CibChange {
    /// `crm_attribute --type crm_config`: a cluster property (None deletes it).
    SetClusterProperty { name: String, value: Option<String> },
    /// `crm_resource --meta`: a resource meta attribute (None deletes it).
    SetResourceMeta { rsc: String, name: String, value: Option<String> },
    /// An operation result from `node`'s executor; `action` when a DC asked for it.
    RecordOp { node: String, op: OpRecord, action: Option<ActionKey> },
    /// `node`'s whole resource history as its executor knows it (sent on join),
    /// and the nodes it saw up since they were last fenced (`seen_up`): a node
    /// among them that is not a member now is unclean, whatever an older copy
    /// of the status section says.
    NodeHistory { node: String, ops: Vec<OpRecord>, seen_up: Vec<String> },
    /// The DC's record of who is in the membership (node_state in_ccm/crmd/join).
    NodeStates { members: Vec<String> },
    /// `node` was fenced: it runs nothing any more.
    NodeFenced { node: String, action: Option<ActionKey> },
    /// `crm_resource --cleanup`: forget fail counts (of one resource or all).
    ClearFailures { rsc: Option<String> },
    /// A tool's new configuration section (`crm configure commit`, `cibadmin
    /// --replace`): the whole `<cib>` document, of which only the configuration
    /// is taken. `base` is the `(admin_epoch, epoch)` the tool edited; if the
    /// configuration moved since, the change is refused rather than undoing
    /// someone else's.
    ReplaceConfiguration { xml: String, base: Option<(u64, u64)> },
    /// A node attribute: `transient` ones live in the status section and are
    /// forgotten when the node leaves (`crm_attribute -l reboot`, promotion
    /// scores, `shutdown`); the others are in the configuration (`standby`).
    SetNodeAttribute { node: String, name: String, value: Option<String>, transient: bool },
}

impl CibChange {
    /// Configuration changes bump `epoch`; status changes bump `num_updates`.
    pub fn is_configuration(&self) -> bool {
        match self {
            CibChange::SetClusterProperty { .. }
            | CibChange::SetResourceMeta { .. }
            | CibChange::ReplaceConfiguration { .. } => true,
            CibChange::SetNodeAttribute { transient, .. } => !transient,
            _ => false,
        }
    }
}

/// A message multicast to the members of one membership view (`ring`).
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// After a membership change every member offers its CIB; all adopt the newest.
    /// Shared: every member receives the same offer, few adopt it.
    SyncOffer { ring: u64, from: NodeId, cib: Arc<Cib> },
    /// A CIB change; `request` is the sender's client request it answers, if any.
    Change { ring: u64, from: NodeId, request: Option<u64>, change: CibChange },
    /// The DC asks `target` to run an operation.
    Execute { ring: u64, target: NodeId, key: ActionKey, op: OpRecord },
}

impl Message {
    pub fn ring(&self) -> u64 {
        match self {
            Message::SyncOffer { ring, .. }
            | Message::Change { ring, .. }
            | Message::Execute { ring, .. } => *ring,
        }
    }
}

/// Why bytes from the bus are not a message.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("message truncated at byte {at}: expected {wanted} more bytes")]
    Truncated { at: usize, wanted: usize },
    #[error("unknown {what} tag {tag} at byte {at}")]
    UnknownTag { what: &'static str, tag: u8, at: usize },
    #[error("field at byte {at} is not UTF-8")]
    NotUtf8 { at: usize },
    #[error("{len} trailing bytes after the message")]
    Trailing { len: usize },
    #[error("CIB in a sync offer: {0}")]
    Cib(String),
}

/// Upper bound on one encoded field: a CIB larger than this is refused rather
/// than letting a corrupt length allocate the machine away.
pub const MAX_FIELD_BYTES: usize = 64 << 20;

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        assert!(s.len() <= MAX_FIELD_BYTES, "field of {} bytes exceeds the limit", s.len());
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    fn key(&mut self, k: Option<ActionKey>) {
        match k {
            None => self.u8(0),
            Some(k) => {
                self.u8(1);
                self.u64(k.dc.0 as u64);
                self.u64(k.transition);
                self.u64(k.action as u64);
            }
        }
    }
    fn op(&mut self, op: &OpRecord) {
        self.str(&op.rsc);
        self.str(&op.task);
        self.u64(op.interval_ms);
        self.i64(op.rc as i64);
        self.u8(op.pending as u8);
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() - self.at < n {
            return Err(DecodeError::Truncated { at: self.at, wanted: n });
        }
        let s = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn str(&mut self) -> Result<String, DecodeError> {
        let len = self.u64()?;
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(MAX_FIELD_BYTES + 1);
        let at = self.at;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::NotUtf8 { at })
    }
    fn opt_str(&mut self) -> Result<Option<String>, DecodeError> {
        match self.flag("optional string")? {
            false => Ok(None),
            true => Ok(Some(self.str()?)),
        }
    }
    fn flag(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        let at = self.at;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(DecodeError::UnknownTag { what, tag, at }),
        }
    }
    fn node(&mut self) -> Result<NodeId, DecodeError> {
        Ok(NodeId(self.u64()? as u32))
    }
    fn key(&mut self) -> Result<Option<ActionKey>, DecodeError> {
        if !self.flag("action key")? {
            return Ok(None);
        }
        Ok(Some(ActionKey { dc: self.node()?, transition: self.u64()?, action: self.u64()? as u32 }))
    }
    fn op(&mut self) -> Result<OpRecord, DecodeError> {
        Ok(OpRecord {
            rsc: self.str()?,
            task: self.str()?,
            interval_ms: self.u64()?,
            rc: self.i64()? as i32,
            pending: self.flag("pending")?,
        })
    }
}

impl Message {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(256));
        match self {
            Message::SyncOffer { ring, from, cib } => {
                w.u8(1);
                w.u64(*ring);
                w.u64(from.0 as u64);
                w.str(&cib_schema::to_xml(cib));
            }
            Message::Change { ring, from, request, change } => {
                w.u8(2);
                w.u64(*ring);
                w.u64(from.0 as u64);
                match request {
                    None => w.u8(0),
                    Some(r) => {
                        w.u8(1);
                        w.u64(*r);
                    }
                }
                encode_change(&mut w, change);
            }
            Message::Execute { ring, target, key, op } => {
                w.u8(3);
                w.u64(*ring);
                w.u64(target.0 as u64);
                w.key(Some(*key));
                w.op(op);
            }
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut r = Reader { buf: bytes, at: 0 };
        let msg = match r.u8()? {
            1 => {
                let ring = r.u64()?;
                let from = r.node()?;
                let xml = r.str()?;
                let cib = cib_schema::parse(&xml).map_err(|e| DecodeError::Cib(e.to_string()))?;
                Message::SyncOffer { ring, from, cib: Arc::new(cib) }
            }
            2 => {
                let ring = r.u64()?;
                let from = r.node()?;
                let request = if r.flag("request")? { Some(r.u64()?) } else { None };
                let change = decode_change(&mut r)?;
                Message::Change { ring, from, request, change }
            }
            3 => {
                let ring = r.u64()?;
                let target = r.node()?;
                let at = r.at;
                let key = r.key()?.ok_or(DecodeError::UnknownTag { what: "action key", tag: 0, at })?;
                let op = r.op()?;
                Message::Execute { ring, target, key, op }
            }
            tag => return Err(DecodeError::UnknownTag { what: "message", tag, at: 0 }),
        };
        if r.at != bytes.len() {
            return Err(DecodeError::Trailing { len: bytes.len() - r.at });
        }
        Ok(msg)
    }
}

impl CibChange {
    /// The change alone, as a local client sends it to its daemon.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(128));
        encode_change(&mut w, self);
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<CibChange, DecodeError> {
        let mut r = Reader { buf: bytes, at: 0 };
        let change = decode_change(&mut r)?;
        if r.at != bytes.len() {
            return Err(DecodeError::Trailing { len: bytes.len() - r.at });
        }
        Ok(change)
    }
}

fn encode_change(w: &mut Writer, c: &CibChange) {
    match c {
        CibChange::SetClusterProperty { name, value } => {
            w.u8(1);
            w.str(name);
            w.opt_str(value.as_deref());
        }
        CibChange::SetResourceMeta { rsc, name, value } => {
            w.u8(2);
            w.str(rsc);
            w.str(name);
            w.opt_str(value.as_deref());
        }
        CibChange::RecordOp { node, op, action } => {
            w.u8(3);
            w.str(node);
            w.op(op);
            w.key(*action);
        }
        CibChange::NodeHistory { node, ops, seen_up } => {
            w.u8(4);
            w.str(node);
            w.u64(ops.len() as u64);
            ops.iter().for_each(|o| w.op(o));
            w.u64(seen_up.len() as u64);
            seen_up.iter().for_each(|n| w.str(n));
        }
        CibChange::NodeStates { members } => {
            w.u8(5);
            w.u64(members.len() as u64);
            members.iter().for_each(|m| w.str(m));
        }
        CibChange::NodeFenced { node, action } => {
            w.u8(6);
            w.str(node);
            w.key(*action);
        }
        CibChange::ClearFailures { rsc } => {
            w.u8(7);
            w.opt_str(rsc.as_deref());
        }
        CibChange::ReplaceConfiguration { xml, base } => {
            w.u8(8);
            w.str(xml);
            match base {
                None => w.u8(0),
                Some((admin, epoch)) => {
                    w.u8(1);
                    w.u64(*admin);
                    w.u64(*epoch);
                }
            }
        }
        CibChange::SetNodeAttribute { node, name, value, transient } => {
            w.u8(9);
            w.str(node);
            w.str(name);
            w.opt_str(value.as_deref());
            w.u8(*transient as u8);
        }
    }
}

/// Bounds the element count a length prefix may claim, before allocating.
const MAX_LIST_LEN: u64 = 1 << 20;

fn list_len(r: &mut Reader) -> Result<usize, DecodeError> {
    let at = r.at;
    let n = r.u64()?;
    if n > MAX_LIST_LEN {
        return Err(DecodeError::Truncated { at, wanted: n as usize });
    }
    Ok(n as usize)
}

fn decode_change(r: &mut Reader) -> Result<CibChange, DecodeError> {
    let at = r.at;
    Ok(match r.u8()? {
        1 => CibChange::SetClusterProperty { name: r.str()?, value: r.opt_str()? },
        2 => CibChange::SetResourceMeta { rsc: r.str()?, name: r.str()?, value: r.opt_str()? },
        3 => CibChange::RecordOp { node: r.str()?, op: r.op()?, action: r.key()? },
        4 => {
            let node = r.str()?;
            let n = list_len(r)?;
            let ops = (0..n).map(|_| r.op()).collect::<Result<_, _>>()?;
            let n = list_len(r)?;
            let seen_up = (0..n).map(|_| r.str()).collect::<Result<_, _>>()?;
            CibChange::NodeHistory { node, ops, seen_up }
        }
        5 => {
            let n = list_len(r)?;
            CibChange::NodeStates { members: (0..n).map(|_| r.str()).collect::<Result<_, _>>()? }
        }
        6 => CibChange::NodeFenced { node: r.str()?, action: r.key()? },
        7 => CibChange::ClearFailures { rsc: r.opt_str()? },
        8 => {
            let xml = r.str()?;
            let base = if r.flag("base version")? { Some((r.u64()?, r.u64()?)) } else { None };
            CibChange::ReplaceConfiguration { xml, base }
        }
        9 => CibChange::SetNodeAttribute {
            node: r.str()?,
            name: r.str()?,
            value: r.opt_str()?,
            transient: r.flag("transient")?,
        },
        tag => return Err(DecodeError::UnknownTag { what: "CIB change", tag, at }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> OpRecord {
        OpRecord { rsc: "vip".into(), task: "start".into(), interval_ms: 0, rc: 0, pending: false }
    }

    #[test]
    fn every_message_kind_round_trips() {
        let key = ActionKey { dc: NodeId(1), transition: 7, action: 3 };
        let cib = cib_schema::parse(
            r#"<cib admin_epoch="0" epoch="3" num_updates="9"><configuration/><status/></cib>"#,
        )
        .unwrap();
        let msgs = vec![
            Message::SyncOffer { ring: 4, from: NodeId(2), cib: Arc::new(cib) },
            Message::Execute { ring: 4, target: NodeId(3), key, op: op() },
            Message::Change {
                ring: 4,
                from: NodeId(1),
                request: Some(12),
                change: CibChange::SetResourceMeta {
                    rsc: "vip".into(),
                    name: "target-role".into(),
                    value: None,
                },
            },
            Message::Change {
                ring: 4,
                from: NodeId(1),
                request: None,
                change: CibChange::NodeHistory {
                    node: "node1".into(),
                    ops: vec![op(), op()],
                    seen_up: vec!["node3".into()],
                },
            },
            Message::Change {
                ring: 4,
                from: NodeId(1),
                request: None,
                change: CibChange::NodeStates { members: vec!["node1".into(), "node2".into()] },
            },
            Message::Change {
                ring: 1,
                from: NodeId(1),
                request: None,
                change: CibChange::RecordOp { node: "n".into(), op: op(), action: Some(key) },
            },
            Message::Change {
                ring: 1,
                from: NodeId(1),
                request: None,
                change: CibChange::NodeFenced { node: "n".into(), action: None },
            },
            Message::Change {
                ring: 1,
                from: NodeId(1),
                request: None,
                change: CibChange::ClearFailures { rsc: Some("vip".into()) },
            },
            Message::Change {
                ring: 1,
                from: NodeId(1),
                request: None,
                change: CibChange::SetClusterProperty { name: "a".into(), value: Some("b".into()) },
            },
            Message::Change {
                ring: 1,
                from: NodeId(2),
                request: Some(1),
                change: CibChange::ReplaceConfiguration { xml: "<cib/>".into(), base: Some((0, 7)) },
            },
            Message::Change {
                ring: 1,
                from: NodeId(2),
                request: None,
                change: CibChange::SetNodeAttribute {
                    node: "n".into(),
                    name: "master-p".into(),
                    value: Some("10".into()),
                    transient: true,
                },
            },
        ];
        for m in msgs {
            assert_eq!(Message::decode(&m.encode()).unwrap(), m);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let good = Message::Execute {
            ring: 1,
            target: NodeId(1),
            key: ActionKey { dc: NodeId(1), transition: 1, action: 1 },
            op: op(),
        }
        .encode();
        for cut in 0..good.len() {
            assert!(Message::decode(&good[..cut]).is_err());
        }
        assert!(matches!(Message::decode(&[9]), Err(DecodeError::UnknownTag { .. })));
        let mut long = good.clone();
        long.push(0);
        assert_eq!(Message::decode(&long), Err(DecodeError::Trailing { len: 1 }));
    }
}
