//! crm syntax -> CIB XML. Like crmsh, each statement becomes the XML element it
//! describes, with generated ids; one module per family of objects, and the
//! pieces they share here: a token cursor, scores, attribute sets, rules.

mod constraints;
mod misc;
mod resources;

use super::error::CrmError;
use super::ids::Ids;
use super::lexer::Statement;
use super::xml::Node;

/// Name of the placeholder a container leaves where a member goes; the member
/// is moved there when the object is placed into the CIB.
pub const MEMBER: &str = "#member";

/// The kinds of configuration objects, in the order `load update` creates them
/// and `show` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Node,
    Template,
    Primitive,
    Bundle,
    Group,
    Master,
    Clone,
    Tag,
    Constraint,
    Ticket,
    Fencing,
    Property,
    RscDefaults,
    OpDefaults,
    Role,
    AclTarget,
    Alert,
}

impl Kind {
    /// The kind of a CIB element, if it is a configuration object.
    pub fn of_element(name: &str) -> Option<Kind> {
        Some(match name {
            "node" => Kind::Node,
            "template" => Kind::Template,
            "primitive" => Kind::Primitive,
            "bundle" => Kind::Bundle,
            "group" => Kind::Group,
            "master" => Kind::Master,
            "clone" => Kind::Clone,
            "tag" => Kind::Tag,
            "rsc_location" | "rsc_colocation" | "rsc_order" => Kind::Constraint,
            "rsc_ticket" => Kind::Ticket,
            "fencing-topology" => Kind::Fencing,
            "cluster_property_set" => Kind::Property,
            "acl_role" => Kind::Role,
            "acl_target" | "acl_group" | "acl_user" => Kind::AclTarget,
            "alert" => Kind::Alert,
            _ => return None,
        })
    }

    /// Path below `<configuration>` where objects of this kind live.
    pub fn section(self) -> &'static str {
        match self {
            Kind::Node => "nodes",
            Kind::Template | Kind::Primitive | Kind::Bundle | Kind::Group | Kind::Master | Kind::Clone => {
                "resources"
            }
            Kind::Tag => "tags",
            Kind::Constraint | Kind::Ticket => "constraints",
            Kind::Fencing => "fencing-topology",
            Kind::Property => "crm_config",
            Kind::RscDefaults => "rsc_defaults",
            Kind::OpDefaults => "op_defaults",
            Kind::Role | Kind::AclTarget => "acls",
            Kind::Alert => "alerts",
        }
    }

    pub fn is_resource(self) -> bool {
        self.section() == "resources"
    }
}

/// One parsed statement: the element to place and where it came from.
#[derive(Debug, Clone)]
pub struct Obj {
    pub kind: Kind,
    pub id: String,
    pub node: Node,
    pub line: usize,
}

/// What a parse may depend on besides the statement.
#[derive(Debug, Default, Clone)]
pub struct Ctx {
    /// Interactive/script sessions accept `primitive id=NAME`; `load` does not.
    pub session: bool,
    /// Node names already in the CIB (`fencing_topology` without targets).
    pub nodes: Vec<String>,
}

/// Is this the first word of a configuration statement?
pub fn is_object_keyword(w: &str) -> bool {
    matches!(
        w,
        "node"
            | "primitive"
            | "rsc_template"
            | "group"
            | "clone"
            | "ms"
            | "master"
            | "bundle"
            | "location"
            | "colocation"
            | "collocation"
            | "order"
            | "rsc_ticket"
            | "property"
            | "rsc_defaults"
            | "op_defaults"
            | "tag"
            | "fencing_topology"
            | "role"
            | "acl_target"
            | "user"
            | "acl_group"
            | "alert"
            | "xml"
    )
}

/// Parses one configuration statement into its element, with ids from `ids`.
pub fn parse_statement(st: &Statement, ids: &mut Ids, ctx: &Ctx) -> Result<Obj, CrmError> {
    let first = st.tokens.first().map(String::as_str).unwrap_or("");
    let mut c = Cursor { toks: &st.tokens, pos: 1, line: st.line, text: &st.text, kind: first.to_string() };
    let mut obj = match first {
        "node" => misc::node(&mut c, ids)?,
        "primitive" | "rsc_template" => resources::primitive(&mut c, ids, ctx)?,
        "group" => resources::group(&mut c, ids, ctx)?,
        "clone" | "ms" | "master" => resources::clone(&mut c, ids, ctx)?,
        "bundle" => resources::bundle(&mut c, ids, ctx)?,
        "location" => constraints::location(&mut c, ids)?,
        "colocation" | "collocation" => constraints::colocation(&mut c, ids)?,
        "order" => constraints::order(&mut c, ids)?,
        "rsc_ticket" => constraints::ticket(&mut c, ids)?,
        "property" | "rsc_defaults" | "op_defaults" => misc::defaults(&mut c, ids)?,
        "tag" => misc::tag(&mut c, ids)?,
        "fencing_topology" => misc::fencing(&mut c, ids, ctx)?,
        "role" => misc::role(&mut c, ids)?,
        "acl_target" | "user" | "acl_group" => misc::acl_target(&mut c, ids)?,
        "alert" => misc::alert(&mut c, ids)?,
        "xml" => xml_object(&mut c, st, ids)?,
        _ => {
            c.kind.clear();
            c.pos = 0;
            return Err(c.err("Unknown command"));
        }
    };
    obj.line = st.line;
    // Comments before a statement live inside its element, first.
    let comments: Vec<Node> = st.comments.iter().map(|t| Node::comment(t)).collect();
    if !comments.is_empty() {
        obj.node.children.splice(0..0, comments);
    }
    Ok(obj)
}

/// `xml <element .../>`: an object given as CIB XML (what `show` prints for
/// objects crm syntax cannot express).
fn xml_object(c: &mut Cursor, st: &Statement, ids: &mut Ids) -> Result<Obj, CrmError> {
    let body = st.text.trim_start().strip_prefix("xml").unwrap_or("").trim();
    let mut node = super::xml::parse(body).map_err(|e| c.err(&format!("invalid XML: {e}")))?;
    let kind = match node.name.as_str() {
        "rsc_defaults" | "op_defaults" => {
            let kind = if node.name == "rsc_defaults" { Kind::RscDefaults } else { Kind::OpDefaults };
            let inner = node.elements().next().cloned();
            node = inner.ok_or_else(|| c.err("empty defaults section"))?;
            kind
        }
        name => Kind::of_element(name).ok_or_else(|| c.err("not a configuration object"))?,
    };
    node.walk(&mut |n| {
        if let Some(id) = n.get("id") {
            ids.claim(id);
        }
    });
    c.pos = c.toks.len();
    Ok(Obj { kind, id: node.id().to_string(), node, line: st.line })
}

/// Walks the tokens of one statement and makes errors that name the token.
pub struct Cursor<'a> {
    toks: &'a [String],
    pos: usize,
    line: usize,
    text: &'a str,
    kind: String,
}

impl<'a> Cursor<'a> {
    pub fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.pos).map(String::as_str)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<&'a str> {
        self.toks.get(self.pos + ahead).map(String::as_str)
    }

    pub fn advance(&mut self) -> Option<&'a str> {
        let t = self.peek()?;
        self.pos += 1;
        Some(t)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    /// An error at the current token (or the last one at the end).
    pub fn err(&self, msg: &str) -> CrmError {
        let tok = self.toks.get(self.pos).or(self.toks.last()).map(String::as_str).unwrap_or("");
        CrmError::syntax(self.line, &self.kind, msg, self.text).with_token(tok)
    }

    pub fn expect(&mut self, what: &str) -> Result<&'a str, CrmError> {
        self.advance().ok_or_else(|| self.err(&format!("Expected {what}")))
    }

    /// An object id: a plain identifier (`id=NAME` only in sessions).
    pub fn ident(&mut self, ctx_session: bool) -> Result<String, CrmError> {
        let t = self.peek().ok_or_else(|| self.err("Expected identifier"))?;
        let name = match t.strip_prefix("id=") {
            Some(rest) if ctx_session => rest,
            _ => t,
        };
        if !valid_id(name) {
            return Err(self.err("Expected identifier"));
        }
        self.pos += 1;
        Ok(name.to_string())
    }
}

/// XML NCName-ish check, which is what crmsh's parser demands of ids.
pub fn valid_id(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphanumeric() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || "_-.".contains(c))
}

/// `name=value` split (the first `=`).
pub fn kv(t: &str) -> Option<(&str, &str)> {
    t.split_once('=')
}

/// A score token without its colon, as crmsh stores it: `inf` -> `INFINITY`,
/// `+inf` -> `+INFINITY`, numbers as written, anything else is the name of a
/// node attribute (`score-attribute`).
pub fn score_attr(raw: &str) -> (&'static str, String) {
    let s = raw.strip_suffix(':').unwrap_or(raw);
    match s.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => ("score", "INFINITY".into()),
        "+inf" | "+infinity" => ("score", "+INFINITY".into()),
        "-inf" | "-infinity" => ("score", "-INFINITY".into()),
        _ if is_number(s) => ("score", s.to_string()),
        _ => ("score-attribute", s.to_string()),
    }
}

pub fn is_number(s: &str) -> bool {
    let d = s.strip_prefix(['+', '-']).unwrap_or(s);
    !d.is_empty() && d.chars().all(|c| c.is_ascii_digit())
}

/// Is `t` a score (`100:`, `inf:`, `-inf:`, `attr:`) rather than `name=value`?
pub fn is_score(t: &str) -> bool {
    t.len() > 1 && t.ends_with(':') && !t.contains('=')
}

/// Words that end an op line or an attribute set inside a primitive.
pub const PRIMITIVE_STOP: &[&str] =
    &["params", "meta", "utilization", "op", "operations", "op_params", "op_meta"];

const RULE_OPS: &[&str] = &["lt", "gt", "lte", "gte", "eq", "ne"];
const DURATION_KEYS: &[&str] = &["years", "months", "weeks", "days", "hours", "minutes", "seconds"];
const DATE_SPEC_KEYS: &[&str] = &[
    "hours",
    "monthdays",
    "weekdays",
    "yeardays",
    "months",
    "weeks",
    "years",
    "weekyears",
    "moon",
    "minutes",
    "seconds",
];

/// `rule [$id=X|$id-ref=X] [$role=R|role=R] [SCORE:] EXPR {and|or EXPR}`;
/// the word `rule` is already consumed. `owner` is the id the rule id derives from.
pub fn rule(c: &mut Cursor, ids: &mut Ids, owner: &str) -> Result<Node, CrmError> {
    let mut r = Node::new("rule");
    let mut explicit = None;
    loop {
        match c.peek() {
            Some(t) if t.starts_with("$id-ref=") => {
                c.advance();
                return Ok(r.with("id-ref", &t["$id-ref=".len()..]));
            }
            Some(t) if t.starts_with("$id=") => {
                c.advance();
                let id = &t[4..];
                ids.claim(id);
                r.set("id", id);
                explicit = Some(id.to_string());
            }
            Some(t) if t.starts_with("$role=") || t.starts_with("role=") => {
                c.advance();
                r.set("role", kv(t).map(|(_, v)| v).unwrap_or(""));
            }
            _ => break,
        }
    }
    match c.peek() {
        Some(t) if is_score(t) => {
            c.advance();
            let (k, v) = score_attr(t);
            r.set(k, &v);
        }
        _ => r.set("score", "INFINITY"),
    }
    let rid = match explicit {
        Some(id) => id,
        None => {
            let id = ids.fresh(&format!("{owner}-rule"));
            r.set("id", &id);
            id
        }
    };
    let mut bool_op = None;
    loop {
        let e = expression(c, ids, &rid)?;
        r.children.push(e);
        match c.peek() {
            Some(op @ ("and" | "or")) => {
                c.advance();
                if bool_op.is_none() || op == "or" {
                    bool_op = Some(op);
                }
            }
            _ => break,
        }
    }
    if bool_op == Some("or") {
        // The attribute sits before the id, as crmsh writes it.
        let id = r.unset("id").unwrap_or_default();
        r.set("boolean-op", "or");
        r.set("id", &id);
    }
    Ok(r)
}

fn expression(c: &mut Cursor, ids: &mut Ids, rule_id: &str) -> Result<Node, CrmError> {
    let first = c.peek().ok_or_else(|| c.err("Expected expression"))?;
    let base = format!("{rule_id}-expression");
    match first {
        "defined" | "not_defined" => {
            c.advance();
            let attr = c.expect("attribute")?;
            let id = ids.fresh(&base);
            Ok(Node::new("expression").with("operation", first).with("attribute", attr).with("id", &id))
        }
        "date" => {
            c.advance();
            date_expression(c, ids, &base)
        }
        _ => {
            if first.contains('=') || is_score(first) {
                return Err(c.err("Expected expression"));
            }
            c.advance();
            let op_tok = c.peek().ok_or_else(|| c.err("Expected operator"))?;
            let (typ, op) = match op_tok.split_once(':') {
                Some((t, o)) => (Some(t), o),
                None => (None, op_tok),
            };
            if !RULE_OPS.contains(&op) {
                return Err(c.err("Expected operator"));
            }
            c.advance();
            let value = c.expect("value")?;
            let mut e = Node::new("expression").with("operation", op).with("attribute", first);
            if let Some(t) = typ {
                e.set("type", t);
            }
            e.set("value", value);
            let id = ids.fresh(&base);
            e.set("id", &id);
            Ok(e)
        }
    }
}

fn date_expression(c: &mut Cursor, ids: &mut Ids, base: &str) -> Result<Node, CrmError> {
    let op = c.expect("date operation")?;
    let mut e = Node::new("date_expression");
    match op {
        "lt" | "gt" => {
            let v = c.expect("date")?;
            let id = ids.fresh(base);
            e.set("operation", op);
            e.set(if op == "lt" { "end" } else { "start" }, v);
            e.set("id", &id);
        }
        "in" | "in_range" => {
            e.set("operation", "in_range");
            let mut dur = Node::new("duration");
            while let Some((k, v)) = c.peek().and_then(kv) {
                if k == "start" || k == "end" {
                    e.set(k, v);
                } else if DURATION_KEYS.contains(&k) {
                    dur.set(k, v);
                } else {
                    break;
                }
                c.advance();
            }
            let id = ids.fresh(base);
            e.set("id", &id);
            if !dur.attrs.is_empty() {
                let did = ids.fresh(&format!("{id}-duration"));
                dur.set("id", &did);
                e.children.push(dur);
            }
        }
        "spec" | "date_spec" => {
            e.set("operation", "date_spec");
            let mut spec = Node::new("date_spec");
            while let Some((k, v)) = c.peek().and_then(kv) {
                if !DATE_SPEC_KEYS.contains(&k) {
                    break;
                }
                spec.set(k, v);
                c.advance();
            }
            let id = ids.fresh(base);
            e.set("id", &id);
            let sid = ids.fresh(&format!("{id}-date_spec"));
            spec.set("id", &sid);
            e.children.push(spec);
        }
        _ => return Err(c.err("Expected date operation")),
    }
    Ok(e)
}

/// An attribute set after its keyword (`params`, `meta`, `utilization`,
/// `attributes`, `op_params`, ...): `[$id=X|$id-ref=X] [SCORE:] [rule ...]* nvpairs`,
/// up to the next word in `stop`. `base` is the generated set id's base.
pub fn attr_set(
    c: &mut Cursor,
    ids: &mut Ids,
    elem: &str,
    base: &str,
    stop: &[&str],
) -> Result<Node, CrmError> {
    attr_set_id(c, ids, elem, base, None, stop)
}

/// [`attr_set`] with a fixed id (`property NAME:`, `cib-bootstrap-options`).
pub fn attr_set_id(
    c: &mut Cursor,
    ids: &mut Ids,
    elem: &str,
    base: &str,
    fixed: Option<&str>,
    stop: &[&str],
) -> Result<Node, CrmError> {
    let mut set = Node::new(elem);
    let mut id: Option<String> = fixed.map(str::to_string);
    let mut rules = Vec::new();
    let mut pairs = Vec::new();
    let mut score = None;
    let ensure = |id: &mut Option<String>, ids: &mut Ids| -> String {
        id.get_or_insert_with(|| ids.fresh(base)).clone()
    };
    while let Some(t) = c.peek() {
        if stop.contains(&t) {
            break;
        }
        if let Some(v) = t.strip_prefix("$id=") {
            c.advance();
            ids.claim(v);
            id = Some(v.to_string());
        } else if let Some(v) = t.strip_prefix("$id-ref=") {
            c.advance();
            set.set("id-ref", v);
            return Ok(set);
        } else if is_score(t) && rules.is_empty() && pairs.is_empty() && score.is_none() {
            c.advance();
            score = Some(score_attr(t).1);
        } else if t == "rule" {
            c.advance();
            let sid = ensure(&mut id, ids);
            rules.push(rule(c, ids, &sid)?);
        } else {
            c.advance();
            let sid = ensure(&mut id, ids);
            pairs.push(nvpair(t, ids, &sid));
        }
    }
    if let Some(s) = score {
        set.set("score", &s);
    }
    let sid = ensure(&mut id, ids);
    set.set("id", &sid);
    set.children.extend(rules);
    set.children.extend(pairs);
    Ok(set)
}

/// `name=value`, `$ID:name=value` (explicit id), `@ID` (reference) or a bare
/// `name` (crmsh keeps it as a value-less nvpair).
pub fn nvpair(t: &str, ids: &mut Ids, set_id: &str) -> Node {
    if let Some(r) = t.strip_prefix('@') {
        return Node::new("nvpair").with("id-ref", r);
    }
    if let Some(rest) = t.strip_prefix('$') {
        if let Some((id, pair)) = rest.split_once(':') {
            if let Some((k, v)) = kv(pair) {
                ids.claim(id);
                return Node::new("nvpair").with("id", id).with("name", k).with("value", v);
            }
        }
    }
    match kv(t) {
        Some((k, v)) => {
            let id = ids.fresh(&format!("{set_id}-{k}"));
            Node::new("nvpair").with("name", k).with("value", v).with("id", &id)
        }
        None => {
            let id = ids.fresh(&format!("{set_id}-{t}"));
            Node::new("nvpair").with("name", t).with("id", &id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crmsh::lexer::statements;

    fn one(text: &str) -> Obj {
        let st = statements(text).unwrap().remove(0);
        parse_statement(&st, &mut Ids::default(), &Ctx::default()).unwrap()
    }

    #[test]
    fn scores_as_crmsh_stores_them() {
        assert_eq!(score_attr("inf:"), ("score", "INFINITY".into()));
        assert_eq!(score_attr("+inf:"), ("score", "+INFINITY".into()));
        assert_eq!(score_attr("-inf:"), ("score", "-INFINITY".into()));
        assert_eq!(score_attr("100:"), ("score", "100".into()));
        assert_eq!(score_attr("pingd:"), ("score-attribute", "pingd".into()));
    }

    #[test]
    fn op_ids_keep_the_interval_as_written() {
        let o = one("primitive d2 Dummy op start timeout=60s op monitor interval=10s OCF_CHECK_LEVEL=10");
        let ops = o.node.child("operations").unwrap();
        let ids: Vec<&str> = ops.elements().map(Node::id).collect();
        assert_eq!(ids, ["d2-start-0", "d2-monitor-10s"]);
        let nested = ops.children[1].child("instance_attributes").unwrap();
        assert_eq!(nested.id(), "d2-monitor-10s-instance_attributes");
    }

    #[test]
    fn three_resources_make_one_sequential_set() {
        let o = one("colocation c2 inf: d1 d2 d3");
        assert_eq!(o.node.elements().count(), 1);
        assert_eq!(o.node.children[0].id(), "c2-0");
        assert_eq!(o.node.children[0].get("sequential"), None);
    }

    /// Every prefix of every statement, and every statement with one token
    /// left out, parses or fails cleanly: no panics on malformed input.
    #[test]
    fn malformed_input_never_panics() {
        let samples = [
            "primitive d7 Dummy params rule inf: #uname eq node1 fake=1 op start interval=0 op_params 2: rule #uname eq node1 a=b op_meta 1: start-delay=60m",
            "primitive p1 Dummy params rule role=Started date in start=2009-05-26 end=2010-05-26 or date gt 2014-01-01 state=2",
            "location l5 d1 rule -inf: not_defined pingd or pingd lte 0 rule inf: date spec years=2009 hours=09-17",
            "location l-set { d1 d2 } role=Master resource-discovery=never -inf: node2",
            "colocation c6 -inf: [ d1 d2 sequential=true ] ( d3 d4 ) d5:Master node-attribute=rack",
            "order o1 Serialize: d1:start d2 ( d3 d4 ) [ d5 ] symmetrical=false",
            "rsc_ticket t ticket-A: m6 m5:Master loss-policy=fence",
            "bundle b docker image=test network ip-range-start=10.0.0.1 port-mapping id=p port=80 storage storage-mapping id=s target-dir=t primitive d meta target-role=Stopped",
            "alert a /p attributes x=1 meta timeout=15s select attributes { a b } fencing to { /log attributes d=1 }",
            "fencing_topology node1: st st2,st3 attr:rack=1 st3 pattern:green.* st",
            "role r write meta:d0:target-role read ref:d0 deny xpath:\"//nodes\" read type:node attr:uname",
            "node $id=3 node3:member description=x attributes a=1 utilization cpu=2",
            "property $id=x rule #uname eq node1 a=b",
            "group g a b description=x meta target-role=Started",
            "ms m s meta notify=true",
        ];
        for text in samples {
            let words = crate::crmsh::lexer::split(text).unwrap();
            let mut variants: Vec<Vec<String>> = (0..=words.len()).map(|n| words[..n].to_vec()).collect();
            for skip in 0..words.len() {
                let mut v = words.clone();
                v.remove(skip);
                variants.push(v);
            }
            for tokens in variants {
                let st = Statement { line: 1, text: tokens.join(" "), tokens, comments: vec![] };
                let _ = parse_statement(
                    &st,
                    &mut Ids::default(),
                    &Ctx { session: true, nodes: vec!["n1".into()] },
                );
            }
        }
    }

    #[test]
    fn syntax_errors_name_line_and_token() {
        let st = statements("\n\nprimitive id=d1 Dummy").unwrap().remove(0);
        let e = parse_statement(&st, &mut Ids::default(), &Ctx::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "3: syntax in primitive: Expected identifier near <id=d1> parsing 'primitive id=d1 Dummy'"
        );
    }
}
