//! The dev server's request-path resolution: `serve::http::output_key`, which turns the path
//! of a request into the key of an output file (never a file-system path, but it must still
//! name one inside the output folder).
//!
//! Input: the request path (invalid UTF-8 replaced; the server gets it from `Uri::path`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use placard::serve::http::output_key;
use placard_fuzz::assert_inside_output;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let Some(key) = output_key(&raw) else {
        return;
    };
    assert!(
        raw.starts_with('/'),
        "output_key({raw:?}) accepted a path without a leading /"
    );
    assert_inside_output(&key, &format!("output_key({raw:?})"));
    // Resolving the key again as a request path names the same file.
    let encoded: String = format!("/{key}")
        .chars()
        .map(|c| match c {
            '%' => "%25".to_string(),
            c => c.to_string(),
        })
        .collect();
    assert_eq!(
        output_key(&encoded).as_deref(),
        Some(key.as_str()),
        "output_key({raw:?}) = {key:?}, but {encoded:?} resolves elsewhere"
    );
});
