//! The seed stacks (`../shared/scenarios/*/V.scenario.xml`: DRBD + Filesystem +
//! MySQL + VIP, Percona/OpenStack groups and clones, DRBD + MySQL with Azure
//! fencing): our `crm_simulate -S` must print exactly what Pacemaker printed
//! (`V.sim.txt`), compared as Pacemaker's own regression suite compares
//! (whitespace and blank lines ignored).

use crm_tests::{files_with_suffix, shared_dir};

fn normalise(text: &str) -> Vec<String> {
    text.lines().map(|l| l.split_whitespace().collect::<String>()).filter(|l| !l.is_empty()).collect()
}

/// The normalised lines of the "Transition Summary" section.
fn transition_summary(text: &str) -> Vec<String> {
    normalise(text)
        .into_iter()
        .skip_while(|l| l != "TransitionSummary:")
        .skip(1)
        .take_while(|l| !l.ends_with(':'))
        .collect()
}

#[test]
fn seed_scenarios_simulate_exactly_as_pacemaker() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in ["a_mysql_drbd", "b_percona_openstack", "c_drbd_mysql_azure"] {
        for path in files_with_suffix(&shared_dir().join("scenarios").join(dir), ".scenario.xml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let mut cib = cib_schema::parse(&text).unwrap();
            let opts =
                crm_cli::simulate::Options { run: true, simulate: true, now: None, ..Default::default() };
            let out = crm_cli::simulate::run(&mut cib, &opts, 0).unwrap();
            // Once the transition is done, nothing is left to do (but what
            // Pacemaker also leaves blocked): compare with V.steady.txt.
            let mut after = out.after.clone().expect("simulated CIB");
            let steady = crm_cli::simulate::run(&mut after, &opts, 0).unwrap();
            let steady_path = path.to_string_lossy().replace(".scenario.xml", ".steady.txt");
            let steady_expected = std::fs::read_to_string(&steady_path).unwrap();
            if transition_summary(&steady.text) != transition_summary(&steady_expected) {
                failures.push(format!("{} (steady state):\n{}", path.display(), steady.text));
            }
            let expected_path = path.to_string_lossy().replace(".scenario.xml", ".sim.txt");
            let expected = std::fs::read_to_string(&expected_path).unwrap();
            if normalise(&out.text) != normalise(&expected) {
                failures.push(format!("{}:\n{}", path.display(), out.text));
            }
            checked += 1;
        }
    }
    println!("seed scenarios: {} of {checked} identical to Pacemaker", checked - failures.len());
    assert!(checked >= 11, "expected the 11 seed scenarios, found {checked}");
    assert!(failures.is_empty(), "differ from Pacemaker:\n{}", failures.join("\n"));
}
