//! Same input, same output: scheduling every suite input twice gives
//! byte-identical simulations, and scheduling does not depend on the order in
//! which hash-based containers happen to iterate (there are none to leak),
//! nor on whether the configuration was unpacked while the document was read.

use crm_tests::{files_with_suffix, shared_dir};

fn simulate(text: &str, configure_ahead: bool) -> String {
    let opts = crm_cli::simulate::Options {
        run: true,
        simulate: true,
        now: Some(1_700_000_000),
        graph: true,
        ..Default::default()
    };
    let out = if configure_ahead {
        let mut configured = None;
        let mut cib = cib_schema::parse_observed(text, |head| {
            assert!(configured.is_none(), "the document is shown once");
            configured = crm_cli::simulate::configure(head, &opts, 0);
        })
        .unwrap();
        assert_eq!(configured.is_some(), cib.configuration.is_some());
        crm_cli::simulate::run_configured(&mut cib, &opts, 0, configured).unwrap()
    } else {
        let mut cib = cib_schema::parse(text).unwrap();
        crm_cli::simulate::run(&mut cib, &opts, 0).unwrap()
    };
    format!("{}{}", out.text, out.graph_xml)
}

#[test]
fn every_suite_input_schedules_identically_twice() {
    let files = files_with_suffix(&shared_dir().join("scheduler-suite/xml"), ".xml");
    assert!(files.len() >= 799);
    // Every input: a crash (a panic or a stack overflow) fails this too.
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let (a, b) = (simulate(&text, false), simulate(&text, false));
        assert_eq!(a, b, "{} is not deterministic", path.display());
        let ahead = simulate(&text, true);
        assert_eq!(a, ahead, "{}: unpacking the configuration ahead changes the result", path.display());
    }
}
