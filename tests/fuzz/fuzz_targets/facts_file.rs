//! Fuzzes the facts-file parser behind `--facts` (strict JSON, schema, validation): no panic;
//! accepted facts have valid digests and a valid time, and replay unchanged.
#![no_main]

#[path = "common/facts.rs"]
mod facts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // `--facts` reads UTF-8 text and refuses anything else before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = tollgate::gate::parse_facts_document(text) {
        facts::check_accepted(&parsed);
    }
});
