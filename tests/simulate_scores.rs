//! `crm_simulate -s`: the node scores each primitive is placed with, compared
//! with the scores Pacemaker 2.1.5 printed for the suite inputs whose scores are
//! all primitive placements (collections print more kinds of lines). A floor
//! under the number that match keeps it from regressing.

use crm_tests::{files_with_suffix, shared_dir};

/// Inputs whose every score line matched when the floor was last raised.
const FLOOR: usize = 185;

fn primitive_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> =
        text.lines().filter(|l| l.starts_with("pcmk__primitive_assign:")).map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn primitive_scores_match_pacemaker() {
    let suite = shared_dir().join("scheduler-suite");
    let mut compared = 0;
    let mut matching = 0;
    for path in files_with_suffix(&suite.join("xml"), ".xml") {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let Ok(expected) = std::fs::read_to_string(suite.join("scores").join(format!("{name}.scores")))
        else {
            continue;
        };
        let all: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
        let exp = primitive_lines(&expected);
        if exp.is_empty() || exp.len() != all.len() {
            continue;
        }
        let mut cib = cib_schema::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let opts = crm_cli::simulate::Options { run: true, show_scores: true, ..Default::default() };
        let out = crm_cli::simulate::run(&mut cib, &opts, 0).unwrap();
        assert!(out.text.contains("Allocation scores:"), "{name}: no scores section");
        compared += 1;
        if primitive_lines(&out.text) == exp {
            matching += 1;
        }
    }
    assert!(compared >= 300, "only {compared} inputs compared");
    assert!(matching >= FLOOR, "{matching} of {compared} inputs give Pacemaker's scores (floor {FLOOR})");
    eprintln!("crm_simulate -s: {matching} of {compared} primitive-only inputs identical");
}
