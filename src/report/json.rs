//! The `tollgate.report/v1` JSON rendering.

use super::Report;

/// Pretty JSON with a trailing newline.
pub fn render_json(report: &Report) -> String {
    // Serialising plain data with string keys cannot fail; fall back to a minimal document anyway.
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        format!(
            "{{\"schema\":\"{}\",\"decision\":\"error\",\"error\":\"report: {e}\"}}",
            super::REPORT_SCHEMA
        )
    });
    s.push('\n');
    s
}
