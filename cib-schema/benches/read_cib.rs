//! Reading a large CIB made by `../shared/tools/gen_cib.py`. Set `CIB_BENCH_FILE`
//! to a file to measure it; otherwise a 5,000-resource CIB is generated in-process
//! with the same shape (primitives with ops, a status section with history).

use criterion::{criterion_group, criterion_main, Criterion};

// A fast small-block allocator, as the tools have (theirs lives in crm-cli).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn synthetic_cib(resources: usize, nodes: usize) -> String {
    let mut s = String::from("<cib admin_epoch=\"0\" epoch=\"1\" num_updates=\"0\" validate-with=\"pacemaker-3.7\"><configuration><crm_config/><nodes>");
    for n in 1..=nodes {
        s.push_str(&format!("<node id=\"{n}\" uname=\"node{n}\"/>"));
    }
    s.push_str("</nodes><resources>");
    for r in 0..resources {
        s.push_str(&format!(
            "<primitive id=\"r{r}\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"><instance_attributes id=\"r{r}-ia\"><nvpair id=\"r{r}-ia-s\" name=\"state\" value=\"/run/r{r}\"/></instance_attributes><operations><op id=\"r{r}-mon\" name=\"monitor\" interval=\"10s\" timeout=\"20s\"/></operations></primitive>"
        ));
    }
    s.push_str("</resources><constraints/></configuration><status>");
    for n in 1..=nodes {
        s.push_str(&format!("<node_state id=\"{n}\" uname=\"node{n}\" in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\"><lrm id=\"{n}\"><lrm_resources>"));
        for r in (0..resources).filter(|r| r % nodes == n - 1) {
            s.push_str(&format!("<lrm_resource id=\"r{r}\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"><lrm_rsc_op id=\"r{r}_last_0\" operation_key=\"r{r}_start_0\" operation=\"start\" crm-debug-origin=\"do_update_resource\" crm_feature_set=\"3.16.2\" transition-key=\"1:1:0:abc\" transition-magic=\"0:0;1:1:0:abc\" call-id=\"{r}\" rc-code=\"0\" op-status=\"0\" interval=\"0\" last-rc-change=\"1700000000\" exec-time=\"10\" queue-time=\"0\" op-digest=\"0123456789abcdef0123456789abcdef\"/></lrm_resource>"));
        }
        s.push_str("</lrm_resources></lrm></node_state>");
    }
    s.push_str("</status></cib>");
    s
}

fn bench(c: &mut Criterion) {
    let text = match std::env::var("CIB_BENCH_FILE") {
        Ok(path) => std::fs::read_to_string(path).expect("CIB_BENCH_FILE readable"),
        Err(_) => synthetic_cib(5000, 8),
    };
    let mut g = c.benchmark_group("cib");
    g.sample_size(20);
    // The tokenizer alone: every item and attribute, no model.
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            let mut stream = cib_schema::stream::Stream::new(&text);
            let mut n = 0usize;
            loop {
                match stream.next_item().unwrap() {
                    cib_schema::stream::Item::Start(tag) => n += tag.attrs().count(),
                    cib_schema::stream::Item::Eof => break n,
                    _ => {}
                }
            }
        })
    });
    g.bench_function("parse", |b| b.iter(|| cib_schema::parse(&text).unwrap()));
    let cib = cib_schema::parse(&text).unwrap();
    g.bench_function("write", |b| b.iter(|| cib_schema::to_xml(&cib)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
