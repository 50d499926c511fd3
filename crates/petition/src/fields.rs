//! Field-level validation errors, shown next to the field in forms and returned by the
//! API. Each carries a stable code, which is also the translation key of its message.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    /// The bound that was crossed (a length, a count), for the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, field: &'static str, code: &'static str, limit: Option<u64>) {
        self.0.push(FieldError { field, code, limit });
    }

    /// Records the error of a parse, if any, and returns the parsed value.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }
}

/// Plain text as a person typed it: trimmed, within bounds, without control characters
/// (newlines and tabs allowed only where `multiline`). HTML is kept as text; templates
/// escape it on output.
pub fn text(field: &'static str, input: &str, min: usize, max: usize, multiline: bool) -> Result<String, FieldError> {
    let value = input.trim();
    let len = value.chars().count();
    if len == 0 && min > 0 {
        return Err(FieldError { field, code: "error-required", limit: None });
    }
    if len < min {
        return Err(FieldError { field, code: "error-too-short", limit: Some(min as u64) });
    }
    if len > max {
        return Err(FieldError { field, code: "error-too-long", limit: Some(max as u64) });
    }
    let bad = value.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')));
    if bad {
        return Err(FieldError { field, code: "error-control-characters", limit: None });
    }
    Ok(value.to_owned())
}

/// Optional text: empty means absent.
pub fn optional_text(
    field: &'static str,
    input: Option<&str>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, FieldError> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => text(field, s, 1, max, multiline).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_bounds_and_controls() {
        assert_eq!(text("t", "  hi  ", 1, 10, false).unwrap(), "hi");
        assert_eq!(text("t", "", 1, 10, false).unwrap_err().code, "error-required");
        assert_eq!(text("t", "a", 2, 10, false).unwrap_err().code, "error-too-short");
        assert_eq!(text("t", &"é".repeat(11), 1, 10, false).unwrap_err().code, "error-too-long");
        assert_eq!(text("t", "a\u{0}b", 1, 10, false).unwrap_err().code, "error-control-characters");
        assert_eq!(text("t", "a\nb", 1, 10, false).unwrap_err().code, "error-control-characters");
        assert_eq!(text("t", "a\nb", 1, 10, true).unwrap(), "a\nb");
        assert_eq!(optional_text("t", Some("  "), 5, false).unwrap(), None);
    }
}
