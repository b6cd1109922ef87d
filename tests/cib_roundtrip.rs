//! Every CIB in the shared data parses, writes back and re-parses to an equal
//! model; writing is deterministic; malformed documents give the right error.

use cib_schema::ErrorKind;
use crm_tests::{files_with_suffix, shared_dir};

fn round_trip(path: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let cib = cib_schema::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let written = cib_schema::to_xml(&cib);
    let again = cib_schema::parse(&written).map_err(|e| format!("{} (re-read): {e}", path.display()))?;
    if cib != again {
        return Err(format!("{}: model changed on round trip", path.display()));
    }
    if cib_schema::to_xml(&again) != written {
        return Err(format!("{}: writing is not deterministic", path.display()));
    }
    // Nothing is lost: the written tree equals the source tree up to child order
    // inside an element (known children are grouped by kind).
    let source = cib_schema::Element::parse(&text).unwrap();
    let target = cib_schema::Element::parse(&written).unwrap();
    if count_nodes(&source) != count_nodes(&target) {
        return Err(format!("{}: element/attribute count changed", path.display()));
    }
    Ok(())
}

fn count_nodes(el: &cib_schema::Element) -> (usize, usize) {
    el.children.iter().map(count_nodes).fold((1, el.attrs.len()), |a, b| (a.0 + b.0, a.1 + b.1))
}

fn check_dir(dir: &str, suffix: &str, min: usize) {
    let dir = shared_dir().join(dir);
    let files = files_with_suffix(&dir, suffix);
    assert!(files.len() >= min, "expected at least {min} files in {}", dir.display());
    let failures: Vec<String> = files.iter().filter_map(|p| round_trip(p).err()).collect();
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

#[test]
fn scheduler_suite_inputs_round_trip() {
    check_dir("scheduler-suite/xml", ".xml", 799);
}

#[test]
fn crmsh_corpus_round_trips() {
    check_dir("crmsh-corpus", ".xml", 50);
}

#[test]
fn scenario_cibs_round_trip() {
    for d in ["a_mysql_drbd", "b_percona_openstack", "c_drbd_mysql_azure"] {
        check_dir(&format!("scenarios/{d}"), ".xml", 5);
    }
}

const SMALL: &str = r#"<cib admin_epoch="0" epoch="1" num_updates="0">
  <configuration>
    <crm_config/>
    <nodes/>
    <resources>
      <primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>"#;

#[test]
fn truncated_document_names_the_open_element() {
    let cut = &SMALL[..SMALL.find("<constraints").unwrap()];
    let err = cib_schema::parse(cut).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Malformed(_)), "{err}");
    assert!(err.path.starts_with("/cib/configuration"), "{err}");
}

#[test]
fn duplicate_id_names_both_places() {
    let text = SMALL.replace(
        "<constraints/>",
        "<constraints>\n      <rsc_location id=\"a\" rsc=\"a\" node=\"n\" score=\"1\"/>\n    </constraints>",
    );
    let err = cib_schema::parse(&text).unwrap_err();
    match &err.kind {
        ErrorKind::DuplicateId { id, first } => {
            assert_eq!(id, "a");
            assert_eq!(first.line, 6);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.pos.unwrap().line, 9, "{err}");
    assert!(err.path.contains("rsc_location[@id='a']"), "{err}");
}

#[test]
fn bad_nesting_is_reported_with_position() {
    let text = SMALL.replace("<nodes/>", "<nodes>\n    </resources>");
    let err = cib_schema::parse(&text).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Malformed(_)), "{err}");
    assert_eq!(err.pos.unwrap().line, 5, "{err}");
}

#[test]
fn missing_id_and_unknown_class_and_dangling_ref() {
    let err = cib_schema::parse(&SMALL.replace("primitive id=\"a\"", "primitive")).unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::MissingAttribute { ref attribute, .. } if attribute == "id"),
        "{err}"
    );

    let err = cib_schema::parse(&SMALL.replace("class=\"ocf\"", "class=\"bogus\"")).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::UnknownClass(ref c) if c == "bogus"), "{err}");

    let text = SMALL.replace(
        "type=\"Dummy\"/>",
        "type=\"Dummy\">\n        <meta_attributes id-ref=\"nowhere\"/>\n      </primitive>",
    );
    let err = cib_schema::parse(&text).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::DanglingIdRef { ref id, .. } if id == "nowhere"), "{err}");
    assert_eq!(err.pos.unwrap().line, 7);
}

#[test]
fn unknown_elements_and_attributes_survive() {
    let text = SMALL
        .replace("<status/>", "<status future=\"x\"><widget a=\"1\"><b/></widget></status>")
        .replace("type=\"Dummy\"/>", "type=\"Dummy\" shiny=\"yes\"/>");
    let cib = cib_schema::parse(&text).unwrap();
    let out = cib_schema::to_xml(&cib);
    assert!(out.contains("future=\"x\""));
    assert!(out.contains("<widget a=\"1\">"));
    assert!(out.contains("shiny=\"yes\""));
}
