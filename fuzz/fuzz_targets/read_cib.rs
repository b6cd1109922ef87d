//! Coverage-guided fuzzing of the CIB reader: any bytes in, an error or a model
//! out, never a panic; a model that was read must survive its own round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cib) = cib_schema::parse(text) {
            let again = cib_schema::parse(&cib_schema::to_xml(&cib)).expect("written CIB re-reads");
            assert_eq!(cib, again);
        }
    }
});
