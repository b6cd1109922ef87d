//! `lrm_rsc_op`, one recorded operation result. A large cluster's status holds
//! tens of thousands of them, each with some twenty attributes, so the model
//! keeps an operation's id and known attribute values in one block
//! ([`crate::packed`]), read through [`LrmRscOp::get`] and the named getters.

use std::fmt;

use crate::error::{At, CibError};
use crate::packed::read_attrs;
use crate::read::{FromXml, ReadCtx};
use crate::stream::StartTag;
use crate::write::ToElement;
use crate::xml::Element;

macro_rules! op_attrs {
    ($($var:ident $getter:ident $xml:literal),* $(,)?) => {
        /// The attributes of `lrm_rsc_op` the model knows (besides `id`), in
        /// the order they are written.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum OpAttr { $($var),* }

        impl OpAttr {
            pub const ALL: &'static [OpAttr] = &[$(OpAttr::$var),*];

            pub fn xml_name(self) -> &'static str {
                match self { $(OpAttr::$var => $xml),* }
            }

            pub fn from_xml_name(name: &str) -> Option<OpAttr> {
                match name { $($xml => Some(OpAttr::$var),)* _ => None }
            }
        }

        impl LrmRscOp {
            $(
                #[doc = concat!("The `", $xml, "` attribute as written.")]
                pub fn $getter(&self) -> Option<&str> {
                    self.get(OpAttr::$var)
                }
            )*
        }
    };
}

op_attrs! {
    OperationKey operation_key "operation_key",
    Operation operation "operation",
    CrmDebugOrigin crm_debug_origin "crm-debug-origin",
    CrmFeatureSet crm_feature_set "crm_feature_set",
    TransitionKey transition_key "transition-key",
    TransitionMagic transition_magic "transition-magic",
    ExitReason exit_reason "exit-reason",
    OnNode on_node "on_node",
    CallId call_id_text "call-id",
    RcCode rc_code_text "rc-code",
    OpStatus op_status_text "op-status",
    Interval interval_text "interval",
    LastRun last_run_text "last-run",
    LastRcChange last_rc_change_text "last-rc-change",
    ExecTime exec_time_text "exec-time",
    QueueTime queue_time_text "queue-time",
    OpDigest op_digest "op-digest",
    OpForceRestart op_force_restart "op-force-restart",
    OpRestartDigest op_restart_digest "op-restart-digest",
    OpSecureParams op_secure_params "op-secure-params",
    OpSecureDigest op_secure_digest "op-secure-digest",
    MigrateSource migrate_source "migrate_source",
    MigrateTarget migrate_target "migrate_target",
}

const N: usize = 23;
const _: () = assert!(OpAttr::ALL.len() == N);
/// The slot of the record's `id`, after the known attributes'.
const ID: usize = N;
const SLOTS: usize = N + 1;
type Values = crate::packed::Packed<SLOTS>;

/// One recorded operation result. A status section holds tens of thousands:
/// it is 32 bytes and one block of text.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LrmRscOp {
    values: Values,
    /// Attributes and child elements this model does not know.
    pub unknown: crate::Unknown,
    /// Where the element was read from; ignored by equality.
    pub pos: At,
}

impl LrmRscOp {
    pub fn new(id: impl Into<String>) -> Self {
        let mut op = LrmRscOp::default();
        op.set_id(&id.into());
        op
    }

    /// The record's `id` (empty if it has none).
    pub fn id(&self) -> &str {
        self.values.get(ID).unwrap_or("")
    }

    pub fn set_id(&mut self, id: &str) {
        self.values = self.values.with(ID, Some(id));
    }

    /// A known attribute's value as written.
    pub fn get(&self, a: OpAttr) -> Option<&str> {
        self.values.get(a as usize)
    }

    /// Sets (or with `None` removes) a known attribute.
    pub fn set(&mut self, a: OpAttr, value: Option<String>) {
        self.values = self.values.with(a as usize, value.as_deref());
    }

    /// Builder form of [`LrmRscOp::set`].
    pub fn with(mut self, a: OpAttr, value: impl Into<String>) -> Self {
        self.set(a, Some(value.into()));
        self
    }
}

impl fmt::Debug for LrmRscOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("LrmRscOp");
        d.field("id", &self.id());
        for &a in OpAttr::ALL {
            if let Some(v) = self.get(a) {
                d.field(a.xml_name(), &v);
            }
        }
        d.field("unknown", &self.unknown).finish()
    }
}

impl FromXml for LrmRscOp {
    fn accepts(name: &str) -> bool {
        name == "lrm_rsc_op"
    }

    fn read_xml<'a>(tag: &StartTag<'a>, ctx: &mut ReadCtx<'a>) -> Result<Self, CibError> {
        let mut out = LrmRscOp { pos: At(tag.at), ..Default::default() };
        let slot_of = |k: &str| OpAttr::from_xml_name(k).map(|a| a as usize);
        let attrs = read_attrs(tag, ctx, ID, slot_of, &mut out.unknown)?;
        out.values = attrs.values;
        let Some(id) = attrs.id else { return Err(ctx.missing(tag, "id")) };
        ctx.enter(tag, Some(id), attrs.id_ref.as_deref())?;
        while let Some(child) = ctx.next_child(tag)? {
            let child = Element::read_xml(&child, &mut ctx.stream)?;
            out.unknown.push_child(child);
        }
        ctx.leave();
        Ok(out)
    }
}

impl ToElement for LrmRscOp {
    fn to_element(&self) -> Element {
        let attrs = OpAttr::ALL.iter().filter_map(|&a| Some((a.xml_name(), self.get(a)?)));
        crate::packed::element("lrm_rsc_op", self.id(), attrs, std::iter::empty(), &self.unknown)
    }
}

fn parse_num<T: std::str::FromStr + TryFrom<u64>>(v: Option<&str>) -> Option<T> {
    let s = v?;
    // Recorded numbers are nearly always plain digits: read those directly
    // (a status section holds some hundred thousand of them).
    if (1..=18).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit()) {
        let n = s.bytes().fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
        return T::try_from(n).ok();
    }
    s.trim().parse().ok()
}

impl LrmRscOp {
    pub fn call_id(&self) -> Option<i64> {
        parse_num(self.call_id_text())
    }
    pub fn rc_code(&self) -> Option<i32> {
        parse_num(self.rc_code_text())
    }
    pub fn op_status(&self) -> Option<i32> {
        parse_num(self.op_status_text())
    }
    /// Interval in milliseconds, as recorded.
    pub fn interval_ms(&self) -> u64 {
        parse_num(self.interval_text()).unwrap_or(0)
    }
    pub fn last_rc_change(&self) -> Option<i64> {
        parse_num(self.last_rc_change_text())
    }
    pub fn last_run(&self) -> Option<i64> {
        parse_num(self.last_run_text())
    }
    pub fn exec_time_ms(&self) -> Option<u64> {
        parse_num(self.exec_time_text())
    }
    pub fn queue_time_ms(&self) -> Option<u64> {
        parse_num(self.queue_time_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_compare_by_content() {
        let a = LrmRscOp::new("x_last_0").with(OpAttr::Operation, "start").with(OpAttr::RcCode, "0");
        assert_eq!(a.operation(), Some("start"));
        assert_eq!(a.rc_code(), Some(0));
        assert_eq!(a.operation_key(), None);
        let b = LrmRscOp::new("x_last_0").with(OpAttr::RcCode, "0").with(OpAttr::Operation, "start");
        assert_eq!(a, b);
        let mut c = b.clone();
        c.set(OpAttr::Operation, None);
        assert_eq!(c.operation(), None);
        assert_eq!(c.rc_code_text(), Some("0"));
        assert_ne!(a, c);
        let empty = LrmRscOp::new("y").with(OpAttr::ExitReason, "");
        assert_eq!(empty.exit_reason(), Some(""));
        assert_eq!(empty.id(), "y");
        assert_eq!(LrmRscOp::default().id(), "");
    }

    #[test]
    fn long_values_take_wide_offsets() {
        let long = "p".repeat(70_000);
        let op = LrmRscOp::new("z").with(OpAttr::OpSecureParams, long.as_str()).with(OpAttr::CallId, "7");
        assert_eq!(op.op_secure_params(), Some(long.as_str()));
        assert_eq!(op.call_id(), Some(7));
        assert_eq!(op.id(), "z");
        let mut short = op.clone();
        short.set(OpAttr::OpSecureParams, Some("x".into()));
        assert_eq!(short, LrmRscOp::new("z").with(OpAttr::CallId, "7").with(OpAttr::OpSecureParams, "x"));
    }
}
