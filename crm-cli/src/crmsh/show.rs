//! CIB XML -> crm syntax, as `crm configure show` prints it: objects sorted by
//! kind then id, generated ids hidden, values re-quoted, one section a line.

use super::cib::Cib;
use super::parse::Kind;
use super::xml::Node;

/// `show`: the whole configuration (or the objects named in `only`).
pub fn show(cib: &Cib, only: &[String]) -> String {
    let mut objs = cib.objects();
    objs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| object_id(a.1).cmp(object_id(b.1))));
    let mut out = Vec::new();
    for (kind, n) in objs {
        if !selected(kind, n, only) {
            continue;
        }
        let mut text = String::new();
        for c in n.comments() {
            // Every line must read back as a comment.
            for line in c.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if !line.starts_with('#') {
                    text.push_str("# ");
                }
                text.push_str(line);
                text.push('\n');
            }
        }
        if needs_xml(n) {
            text.push_str(&as_xml(kind, n));
        } else {
            text.push_str(&object(kind, n));
        }
        out.push(text);
    }
    out.join("\n")
}

/// `show xml`: the objects' XML in the same order.
pub fn show_xml(cib: &Cib, only: &[String]) -> String {
    let mut objs = cib.objects();
    objs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| object_id(a.1).cmp(object_id(b.1))));
    let mut out = String::new();
    for (kind, n) in objs {
        if !selected(kind, n, only) {
            continue;
        }
        out.push_str(&n.to_xml());
    }
    out
}

/// Objects crm syntax cannot express (a rule inside a rule) are shown as
/// `xml <element ...>`, as crmsh does; `load` reads them back.
fn needs_xml(n: &Node) -> bool {
    let mut odd =
        n.name == "rsc_colocation" && n.get("score").is_none() && n.get("score-attribute").is_none();
    n.walk(&mut |e| {
        // Nested rules, and the resource/operation expressions of newer
        // Pacemaker, have no crm syntax.
        odd |= e.name == "rule" && e.elements().any(|c| c.name == "rule");
        odd |= matches!(e.name.as_str(), "rsc_expression" | "op_expression");
    });
    odd
}

fn as_xml(kind: Kind, n: &Node) -> String {
    let mut plain = n.clone();
    plain.children.retain(|c| !c.is_comment());
    // A defaults set is only known by its section: keep the section around it.
    if matches!(kind, Kind::RscDefaults | Kind::OpDefaults) {
        plain = Node::new(kind.section()).with_child(plain);
    }
    let text = plain.to_xml();
    format!("xml {}", text.trim_end().lines().collect::<Vec<_>>().join(" \\\n"))
}

/// crmsh's object selection: ids, `type:KIND`, `related:ID` (objects that
/// name ID); nothing selects all. `changed` is resolved by the caller into ids.
fn selected(kind: Kind, n: &Node, only: &[String]) -> bool {
    if only.is_empty() {
        return true;
    }
    only.iter().any(|o| {
        if let Some(t) = o.strip_prefix("type:") {
            let word = object(kind, n);
            return word.split_whitespace().next() == Some(t);
        }
        if let Some(r) = o.strip_prefix("related:") {
            let mut hit = object_id(n) == r;
            n.walk(&mut |e| {
                hit |= e.attrs.iter().any(|(k, v)| v == r && k != "id")
                    || (e.name.ends_with("_ref") && e.id() == r)
            });
            return hit;
        }
        o == object_id(n)
    })
}

fn object_id(n: &Node) -> &str {
    if n.name == "fencing-topology" {
        return "fencing_topology";
    }
    n.id()
}

/// Double-quotes a value unless it is a plain word, the way crmsh prints it.
pub fn q(v: &str) -> String {
    if !v.is_empty() && v.chars().all(|c| c.is_alphanumeric() || "_.-".contains(c)) {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn lines(head: String, parts: Vec<String>) -> String {
    let mut s = head;
    for p in parts {
        s.push_str(" \\\n\t");
        s.push_str(&p);
    }
    s
}

pub fn object(kind: Kind, n: &Node) -> String {
    match kind {
        Kind::Primitive | Kind::Template => primitive(n),
        Kind::Group => {
            let members: Vec<&str> =
                n.elements().filter(|c| Kind::of_element(&c.name).is_some()).map(Node::id).collect();
            lines(format!("group {} {}", n.id(), members.join(" ")), container_parts(n))
        }
        Kind::Clone | Kind::Master => {
            let child =
                n.elements().find(|c| Kind::of_element(&c.name).is_some()).map(Node::id).unwrap_or("");
            let word = if kind == Kind::Master { "ms" } else { "clone" };
            lines(format!("{word} {} {child}", n.id()), container_parts(n))
        }
        Kind::Bundle => bundle(n),
        Kind::Node => node(n),
        Kind::Constraint | Kind::Ticket => constraint(n),
        Kind::Property | Kind::RscDefaults | Kind::OpDefaults => {
            let word = match kind {
                Kind::Property => "property",
                Kind::RscDefaults => "rsc_defaults",
                _ => "op_defaults",
            };
            let mut parts = Vec::new();
            for c in n.elements() {
                match c.name.as_str() {
                    "rule" => parts.push(rule(c, n.id())),
                    "nvpair" => parts.push(nvpair(c)),
                    _ => {}
                }
            }
            let score = n.get("score").map(|s| format!(" {}:", score(s))).unwrap_or_default();
            lines(format!("{word} {}:{score}", n.id()), parts)
        }
        Kind::Tag => {
            let refs: Vec<&str> = n.elements().map(Node::id).collect();
            format!("tag {} {}", n.id(), refs.join(" "))
        }
        Kind::Fencing => fencing(n),
        Kind::Role => role(n),
        Kind::AclTarget => {
            let word = if n.name == "acl_group" { "acl_group" } else { "acl_target" };
            lines(format!("{word} {}", n.id()), n.elements().map(|r| r.id().to_string()).collect())
        }
        Kind::Alert => alert(n),
    }
}

fn agent(n: &Node) -> String {
    if let Some(t) = n.get("template") {
        return format!("@{t}");
    }
    let class = n.get("class").unwrap_or("");
    let typ = n.get("type").unwrap_or("");
    match n.get("provider") {
        Some("heartbeat") if class == "ocf" => typ.to_string(),
        Some(p) => format!("{class}:{p}:{typ}"),
        None => format!("{class}:{typ}"),
    }
}

fn primitive(n: &Node) -> String {
    let word = if n.name == "template" { "rsc_template" } else { "primitive" };
    let mut parts = Vec::new();
    if let Some(d) = n.get("description") {
        parts.push(format!("description={}", q(d)));
    }
    for c in n.elements() {
        match c.name.as_str() {
            "instance_attributes" => parts.push(set("params", c)),
            "meta_attributes" => parts.push(set("meta", c)),
            "utilization" => parts.push(set("utilization", c)),
            "operations" => {
                if let Some(r) = c.get("id-ref") {
                    parts.push(format!("operations  $id-ref={r}"));
                    continue;
                }
                if let Some(id) = c.get("id") {
                    parts.push(format!("operations $id={id}"));
                }
                for op in c.elements().filter(|o| o.name == "op") {
                    let mut s = format!("op {}", op.get("name").unwrap_or(""));
                    for (k, v) in &op.attrs {
                        if k != "name" && k != "id" {
                            s.push_str(&format!(" {k}={}", q(v)));
                        }
                    }
                    parts.push(s);
                    for sub in op.elements() {
                        match sub.name.as_str() {
                            "instance_attributes" => parts.push(set("op_params", sub)),
                            "meta_attributes" => parts.push(set("op_meta", sub)),
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    lines(format!("{word} {} {}", n.id(), agent(n)), parts)
}

fn container_parts(n: &Node) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(d) = n.get("description") {
        parts.push(format!("description={}", q(d)));
    }
    for c in n.elements() {
        match c.name.as_str() {
            "meta_attributes" => parts.push(set("meta", c)),
            "instance_attributes" => parts.push(set("params", c)),
            _ => {}
        }
    }
    parts
}

fn bundle(n: &Node) -> String {
    let mut parts = Vec::new();
    let mut tail = Vec::new();
    if let Some(d) = n.get("description") {
        parts.push(format!("description={}", q(d)));
    }
    for c in n.elements() {
        match c.name.as_str() {
            "docker" | "rkt" | "podman" | "network" | "storage" => {
                let mut s = c.name.clone();
                for (k, v) in &c.attrs {
                    s.push_str(&format!(" {k}={}", q(v)));
                }
                for sub in c.elements() {
                    s.push_str(&format!(" {}", sub.name));
                    for (k, v) in &sub.attrs {
                        s.push_str(&format!(" {k}={}", q(v)));
                    }
                }
                parts.push(s);
            }
            "meta_attributes" => parts.push(set("meta", c)),
            "instance_attributes" => parts.push(set("params", c)),
            "primitive" => tail.push(format!("primitive {}", c.id())),
            _ => {}
        }
    }
    parts.extend(tail);
    lines(format!("bundle {}", n.id()), parts)
}

fn node(n: &Node) -> String {
    let uname = n.get("uname").unwrap_or(n.id());
    let mut head =
        if n.id() != uname { format!("node {}: {uname}", n.id()) } else { format!("node {uname}") };
    if let Some(t) = n.get("type") {
        head.push(':');
        head.push_str(t);
    }
    let mut parts = Vec::new();
    if let Some(d) = n.get("description") {
        parts.push(format!("description={}", q(d)));
    }
    for c in n.elements() {
        match c.name.as_str() {
            "instance_attributes" => parts.push(set("attributes", c)),
            "utilization" => parts.push(set("utilization", c)),
            _ => {}
        }
    }
    lines(head, parts)
}

/// crmsh hides values of parameters whose name matches `passw*`.
fn obscured(name: &str) -> bool {
    name.starts_with("passw")
}

fn nvpair(n: &Node) -> String {
    if let Some(r) = n.get("id-ref") {
        return format!("@{r}");
    }
    let name = n.get("name").unwrap_or("");
    match n.get("value") {
        Some(_) if obscured(name) => format!("{name}=\"******\""),
        Some(v) => format!("{name}={}", q(v)),
        None => name.to_string(),
    }
}

/// One attribute set on one line: `params [SCORE:] [rule ...] a=1 b=2`.
fn set(word: &str, s: &Node) -> String {
    let mut out = word.to_string();
    if let Some(r) = s.get("id-ref") {
        out.push_str(&format!(" $id-ref={r}"));
        return out;
    }
    if let Some(sc) = s.get("score") {
        out.push_str(&format!(" {}:", score(sc)));
    }
    for c in s.elements() {
        match c.name.as_str() {
            "rule" => {
                out.push(' ');
                out.push_str(&rule(c, s.id()));
            }
            "nvpair" => {
                out.push(' ');
                out.push_str(&nvpair(c));
            }
            _ => {}
        }
    }
    out
}

/// Scores as crmsh prints them: `INFINITY` -> `inf`.
pub fn score(s: &str) -> String {
    match s {
        "INFINITY" | "infinity" => "inf".into(),
        "+INFINITY" | "+infinity" => "+inf".into(),
        "-INFINITY" | "-infinity" => "-inf".into(),
        _ => s.to_string(),
    }
}

/// Is `id` what crmsh would have generated for a child of `owner` named `what`?
fn generated(id: &str, owner: &str, what: &str) -> bool {
    let base = format!("{owner}-{what}");
    id == base || id.strip_prefix(&format!("{base}-")).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

pub fn rule(r: &Node, owner: &str) -> String {
    if let Some(x) = r.get("id-ref") {
        return format!("rule $id-ref={x}");
    }
    let mut s = String::from("rule");
    if let Some(id) = r.get("id") {
        if !generated(id, owner, "rule") {
            s.push_str(&format!(" $id={id}"));
        }
    }
    if let Some(role) = r.get("role") {
        s.push_str(&format!(" $role={role}"));
    }
    match (r.get("score"), r.get("score-attribute")) {
        (Some("INFINITY" | "+INFINITY"), _) | (None, None) => {}
        (Some(sc), _) => s.push_str(&format!(" {}:", score(sc))),
        (None, Some(a)) => s.push_str(&format!(" {a}:")),
    }
    let joiner = if r.get("boolean-op") == Some("or") { " or " } else { " and " };
    let exprs: Vec<String> = r.elements().map(expression).collect();
    s.push(' ');
    s.push_str(&exprs.join(joiner));
    s
}

fn expression(e: &Node) -> String {
    let op = e.get("operation").unwrap_or("");
    if e.name == "date_expression" {
        return match op {
            "lt" => format!("date lt {}", q(e.get("end").unwrap_or(""))),
            "gt" => format!("date gt {}", q(e.get("start").unwrap_or(""))),
            "date_spec" => {
                let mut s = "date spec".to_string();
                if let Some(spec) = e.child("date_spec") {
                    for (k, v) in spec.attrs.iter().filter(|(k, _)| k != "id") {
                        s.push_str(&format!(" {k}={}", q(v)));
                    }
                }
                s
            }
            _ => {
                let mut s = "date in".to_string();
                for k in ["start", "end"] {
                    if let Some(v) = e.get(k) {
                        s.push_str(&format!(" {k}={}", q(v)));
                    }
                }
                if let Some(d) = e.child("duration") {
                    for (k, v) in d.attrs.iter().filter(|(k, _)| k != "id") {
                        s.push_str(&format!(" {k}={}", q(v)));
                    }
                }
                s
            }
        };
    }
    let attr = e.get("attribute").unwrap_or("");
    match op {
        "defined" | "not_defined" => format!("{op} {attr}"),
        _ => {
            let typed = match e.get("type") {
                Some(t) if t != "string" => format!("{t}:{op}"),
                _ => op.to_string(),
            };
            format!("{attr} {typed} {}", q(e.get("value").unwrap_or("")))
        }
    }
}

/// `a b`, `( a b )`, `[ a b ]` with `:role`/`:action` suffixes.
fn sets(n: &Node, sub_attr: &str) -> String {
    let mut parts = Vec::new();
    for s in n.elements().filter(|c| c.name == "resource_set") {
        let sub = s.get(sub_attr).map(|r| format!(":{r}")).unwrap_or_default();
        let members: Vec<String> = s.elements().map(|r| format!("{}{sub}", r.id())).collect();
        let require_all_false = s.get("require-all") == Some("false");
        let seq_false = s.get("sequential") == Some("false");
        let mut extra = Vec::new();
        for (k, v) in &s.attrs {
            if !matches!(k.as_str(), "id" | "sequential" | "require-all") && k != sub_attr {
                extra.push(format!("{k}={v}"));
            }
        }
        if require_all_false {
            if !seq_false {
                extra.push("sequential=true".into());
            }
            parts.push(format!("[ {} ]", members.iter().cloned().chain(extra).collect::<Vec<_>>().join(" ")));
        } else if seq_false {
            parts.push(format!("( {} )", members.iter().cloned().chain(extra).collect::<Vec<_>>().join(" ")));
        } else {
            parts.push(members.join(" "));
        }
    }
    parts.join(" ")
}

fn with_sub(rsc: &str, sub: Option<&str>) -> String {
    match sub {
        Some(s) => format!("{rsc}:{s}"),
        None => rsc.to_string(),
    }
}

fn constraint(n: &Node) -> String {
    let id = n.id();
    match n.name.as_str() {
        "rsc_location" => {
            let mut head = format!("location {id} ");
            if let Some(p) = n.get("rsc-pattern") {
                head.push_str(&format!("/{p}/"));
            } else if let Some(r) = n.get("rsc") {
                head.push_str(r);
            } else if let Some(s) = n.child("resource_set") {
                let m: Vec<&str> = s.elements().map(Node::id).collect();
                head.push_str(&format!("{{ {} }}", m.join(" ")));
            }
            if let Some(r) = n.get("role") {
                head.push_str(&format!(" role={r}"));
            }
            if let Some(d) = n.get("resource-discovery") {
                head.push_str(&format!(" resource-discovery={d}"));
            }
            if let Some(node) = n.get("node") {
                let sc = n.get("score").map(score).unwrap_or_default();
                return format!("{head} {sc}: {node}");
            }
            let rules = n.elements().filter(|c| c.name == "rule").map(|r| rule(r, id)).collect();
            lines(head, rules)
        }
        "rsc_colocation" => {
            let sc = n.get("score").map(score).or_else(|| n.get("score-attribute").map(str::to_string));
            let mut s = format!("colocation {id} {}:", sc.unwrap_or_default());
            if let Some(r) = n.get("rsc") {
                s.push_str(&format!(
                    " {} {}",
                    with_sub(r, n.get("rsc-role")),
                    with_sub(n.get("with-rsc").unwrap_or(""), n.get("with-rsc-role"))
                ));
            } else {
                s.push(' ');
                s.push_str(&sets(n, "role"));
            }
            if let Some(a) = n.get("node-attribute") {
                s.push_str(&format!(" node-attribute={a}"));
            }
            s
        }
        "rsc_order" => {
            let mut s = format!("order {id}");
            if let Some(k) = n.get("kind") {
                s.push_str(&format!(" {k}:"));
            } else if let Some(sc) = n.get("score") {
                s.push_str(&format!(" {}:", score(sc)));
            }
            if let Some(f) = n.get("first") {
                s.push_str(&format!(
                    " {} {}",
                    with_sub(f, n.get("first-action")),
                    with_sub(n.get("then").unwrap_or(""), n.get("then-action"))
                ));
            } else {
                s.push(' ');
                s.push_str(&sets(n, "action"));
            }
            if let Some(v) = n.get("symmetrical") {
                s.push_str(&format!(" symmetrical={v}"));
            }
            s
        }
        _ => {
            let mut s = format!("rsc_ticket {id} {}:", n.get("ticket").unwrap_or(""));
            if let Some(r) = n.get("rsc") {
                s.push_str(&format!(" {}", with_sub(r, n.get("rsc-role"))));
            } else {
                s.push(' ');
                s.push_str(&sets(n, "role"));
            }
            if let Some(v) = n.get("loss-policy") {
                s.push_str(&format!(" loss-policy={v}"));
            }
            s
        }
    }
}

fn fencing(n: &Node) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut last_target = String::new();
    for l in n.elements() {
        let target = if let Some(t) = l.get("target") {
            format!("{t}:")
        } else if let Some(p) = l.get("target-pattern") {
            format!("pattern:{p}")
        } else {
            format!(
                "attr:{}={}",
                l.get("target-attribute").unwrap_or(""),
                l.get("target-value").unwrap_or("")
            )
        };
        let devs = l.get("devices").unwrap_or("");
        if target == last_target {
            if let Some(p) = parts.last_mut() {
                p.push(' ');
                p.push_str(devs);
            }
        } else {
            parts.push(format!("{target} {devs}"));
            last_target = target;
        }
    }
    lines("fencing_topology".to_string(), parts)
}

/// Turns a permission's xpath back into crmsh's shortcut when it is one.
fn xpath_shortcut(x: &str) -> Option<String> {
    match x {
        "/cib/status" => return Some("status".into()),
        "/cib" => return Some("cib".into()),
        "//crm_config/cluster_property_set" => return Some("property".into()),
        _ => {}
    }
    let meta = x.strip_prefix("//primitive[@id='")?;
    let (rsc, rest) = meta.split_once("']")?;
    for (word, elem) in [("meta", "meta_attributes"), ("params", "instance_attributes")] {
        if let Some(r) = rest.strip_prefix(&format!("/{elem}")) {
            if r.is_empty() {
                return Some(format!("{word}:{rsc}"));
            }
            let name = r.strip_prefix("/nvpair[@name='")?.strip_suffix("']")?;
            return Some(format!("{word}:{rsc}:{name}"));
        }
    }
    None
}

fn role(n: &Node) -> String {
    let mut parts = Vec::new();
    if let Some(d) = n.get("description") {
        parts.push(format!("description={}", q(d)));
    }
    for p in n.elements() {
        let mut s = p.get("kind").unwrap_or("").to_string();
        if let Some(x) = p.get("xpath") {
            match xpath_shortcut(x) {
                Some(sc) => s.push_str(&format!(" {sc}")),
                None => s.push_str(&format!(" xpath:{}", q(x))),
            }
        }
        if let Some(r) = p.get("reference") {
            s.push_str(&format!(" ref:{r}"));
        }
        if let Some(a) = p.get("attribute") {
            s.push_str(&format!(" attr:{a}"));
        }
        if let Some(t) = p.get("object-type") {
            s.push_str(&format!(" type:{t}"));
        }
        parts.push(s);
    }
    lines(format!("role {}", n.id()), parts)
}

fn alert(n: &Node) -> String {
    let mut parts = Vec::new();
    for c in n.elements() {
        match c.name.as_str() {
            "instance_attributes" => parts.push(set("attributes", c)),
            "meta_attributes" => parts.push(set("meta", c)),
            "select" => {
                let mut s = "select".to_string();
                for k in c.elements() {
                    let w = k.name.strip_prefix("select_").unwrap_or(&k.name);
                    s.push_str(&format!(" {w}"));
                    if w == "attributes" && k.elements().next().is_some() {
                        let names: Vec<&str> = k.elements().filter_map(|a| a.get("name")).collect();
                        s.push_str(&format!(" {{ {} }}", names.join(" ")));
                    }
                }
                parts.push(s);
            }
            "recipient" => {
                let mut s = format!("to {}", q(c.get("value").unwrap_or("")));
                for sub in c.elements() {
                    match sub.name.as_str() {
                        "instance_attributes" => s.push_str(&format!(" {}", set("attributes", sub))),
                        "meta_attributes" => s.push_str(&format!(" {}", set("meta", sub))),
                        _ => {}
                    }
                }
                parts.push(s);
            }
            _ => {}
        }
    }
    lines(format!("alert {} {}", n.id(), q(n.get("path").unwrap_or(""))), parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_unless_plain_words() {
        assert_eq!(q("192.168.1.10"), "192.168.1.10");
        assert_eq!(q("/etc/my.cnf"), "\"/etc/my.cnf\"");
        assert_eq!(q(""), "\"\"");
        assert_eq!(q("with \"dq\""), "\"with \\\"dq\\\"\"");
    }
}
