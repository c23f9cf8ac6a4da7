//! Fuzzes the fast YAML reader against serde-saphyr: on any text it gives up or reads exactly
//! the values and objects serde-saphyr reads.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The loader reads files as UTF-8 text and refuses anything else before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = tollgate::gather::snapshot::fast_yaml_agrees(text) {
        panic!("the fast YAML reader and serde-saphyr disagree: {e}");
    }
});
