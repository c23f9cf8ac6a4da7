//! Fuzzes the facts-file parser behind `--facts` (strict JSON, schema, validation): no panic;
//! accepted facts have valid digests and a valid time, and replay unchanged; and what the typed
//! fast path accepts, the strict value path accepts as the same facts.
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
        // `parse_facts_document` decodes straight into `Facts` when it can and falls back to
        // the value path for every refusal: the two must never disagree on what they accept.
        let value = tollgate::gather::strict_json::from_str(text)
            .map_err(|e| e.to_string())
            .and_then(tollgate::gate::facts_from_value);
        assert_eq!(value.as_ref(), Ok(&parsed), "the value path disagrees");
    }
});
