//! A bounded, seeded mutation fuzzer over the CIB reader, run with the tests: the
//! shared CIBs are truncated, spliced and bit-flipped, and the reader must answer
//! every mutant with a model or an error, never a panic. A failure prints the
//! seed, which replays exactly. (`fuzz/` holds the libFuzzer target for longer runs.)

use crm_tests::{files_with_suffix, shared_dir};

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "<",
    ">",
    "/>",
    "</",
    "\"",
    "&",
    "&amp;",
    "id=\"x\"",
    "<rule>",
    "id-ref=\"",
    "<primitive ",
    "]]>",
    "\u{0}",
];

fn mutate(rng: &mut Rng, src: &str) -> String {
    let mut b = src.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            break;
        }
        let at = rng.below(b.len());
        match rng.below(4) {
            0 => b.truncate(at),
            1 => b[at] ^= 1 << rng.below(8),
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            _ => {
                let end = (at + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

#[test]
fn mutated_cibs_never_panic() {
    let mut inputs = files_with_suffix(&shared_dir().join("crmsh-corpus"), ".xml");
    let suite = files_with_suffix(&shared_dir().join("scheduler-suite/xml"), ".xml");
    inputs.extend(suite.into_iter().step_by(20));
    let texts: Vec<String> = inputs.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let iterations: u64 =
        std::env::var("CIB_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(20000);
    let mut parsed = 0;
    for seed in 1..=iterations {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let text = &texts[rng.below(texts.len())];
        let mutant = mutate(&mut rng, text);
        let outcome = std::panic::catch_unwind(|| {
            if let Ok(cib) = cib_schema::parse(&mutant) {
                let again = cib_schema::parse(&cib_schema::to_xml(&cib)).expect("written CIB re-reads");
                assert_eq!(cib, again, "round trip of an accepted mutant");
                return true;
            }
            false
        });
        match outcome {
            Ok(ok) => parsed += ok as usize,
            Err(_) => panic!("CIB reader panicked on mutation seed {seed}"),
        }
    }
    // Some mutants must still parse, or the fuzzer is only exercising the tokenizer.
    assert!(parsed > 0, "no mutant parsed: mutations too destructive");
}
