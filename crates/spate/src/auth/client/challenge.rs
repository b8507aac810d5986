//! The `WWW-Authenticate: Bearer …` challenge of a 401 or 403 (RFC 6750 §3, RFC 9728 §5.1).

use http::header::{HeaderMap, WWW_AUTHENTICATE};

/// What a `Bearer` challenge says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    /// Where the Protected Resource Metadata is (`resource_metadata`).
    pub resource_metadata: Option<String>,
    /// The scopes the request needs (`scope`, space-separated).
    pub scope: Option<String>,
    /// The error code (`error`), e.g. `invalid_token` or `insufficient_scope`.
    pub error: Option<String>,
}

impl Challenge {
    /// The `Bearer` challenge among a response's `WWW-Authenticate` headers, or an empty one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(Self::parse)
            .unwrap_or_default()
    }

    /// Parses a `WWW-Authenticate` value; `None` when it holds no `Bearer` challenge.
    pub fn parse(header: &str) -> Option<Self> {
        let start = find_bearer(header)?;
        let mut challenge = Self::default();
        for (name, value) in params(&header[start..]) {
            match name.to_ascii_lowercase().as_str() {
                "resource_metadata" => challenge.resource_metadata = Some(value),
                "scope" => challenge.scope = Some(value),
                "error" => challenge.error = Some(value),
                _ => {}
            }
        }
        Some(challenge)
    }

    /// The challenge asks for more scope (a 403 `insufficient_scope`).
    pub fn insufficient_scope(&self) -> bool {
        self.error.as_deref() == Some("insufficient_scope")
    }
}

/// The offset just after the `Bearer` scheme name, if the header has that scheme.
fn find_bearer(header: &str) -> Option<usize> {
    let lower = header.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("bearer") {
        let at = from + at;
        let before_ok = at == 0 || matches!(lower.as_bytes()[at - 1], b' ' | b',');
        let end = at + "bearer".len();
        let after_ok = end == lower.len() || lower.as_bytes()[end] == b' ';
        if before_ok && after_ok {
            return Some(end);
        }
        from = end;
    }
    None
}

/// The `name=value` pairs after a scheme, values unquoted; stops at the next scheme.
fn params(text: &str) -> Vec<(String, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b',' | b'\t') {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b' ' | b',') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' || i == name_start {
            return out; // the end, or another scheme begins
        }
        let name = text[name_start..i].to_owned();
        i += 1;
        let mut value = String::new();
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            let mut chars = text[i..].char_indices();
            let mut end = text.len() - i;
            while let Some((at, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = at + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            i += end;
        } else {
            let value_start = i;
            while i < bytes.len() && !matches!(bytes[i], b',' | b' ') {
                i += 1;
            }
            value.push_str(&text[value_start..i]);
        }
        out.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_and_bare_parameters() {
        let c = Challenge::parse(
            r#"Bearer error="insufficient_scope", scope="a b", resource_metadata="http://h/.well-known/x""#,
        )
        .unwrap();
        assert_eq!(c.scope.as_deref(), Some("a b"));
        assert_eq!(
            c.resource_metadata.as_deref(),
            Some("http://h/.well-known/x")
        );
        assert!(c.insufficient_scope());
        let bare = Challenge::parse("Basic realm=\"x\", Bearer error=invalid_token").unwrap();
        assert_eq!(bare.error.as_deref(), Some("invalid_token"));
        assert_eq!(Challenge::parse("Basic realm=\"x\""), None);
        assert_eq!(Challenge::parse("Bearer"), Some(Challenge::default()));
        let escaped = Challenge::parse(r#"Bearer scope="a\"b""#).unwrap();
        assert_eq!(escaped.scope.as_deref(), Some("a\"b"));
    }
}
