//! Matching resource URIs against RFC 6570 templates (the subset MCP servers use).
//!
//! Supported expressions: `{var}` (simple: stops at `/`, `?`, `#`, `,`), `{+var}` (reserved:
//! may span `/`), `{var1,var2}` is not supported and makes the template invalid. Query
//! expressions `{?a,b}` match an optional query string and capture its named parameters.

use std::collections::BTreeMap;

/// A parsed template, ready to match URIs.
#[derive(Debug, Clone, PartialEq)]
pub struct UriTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Simple(String),
    Reserved(String),
    Query(Vec<String>),
}

/// Why a template could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid URI template {template:?}: {reason}")]
pub struct TemplateError {
    template: String,
    reason: &'static str,
}

impl UriTemplate {
    /// Parses a template such as `file:///{+path}` or `users://{id}/profile`.
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let error = |reason| TemplateError {
            template: template.to_owned(),
            reason,
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest.find('}').ok_or_else(|| error("unclosed '{'"))?;
                    let expr = &rest[1..end];
                    let part = if let Some(names) = expr.strip_prefix('?') {
                        Part::Query(names.split(',').map(str::to_owned).collect())
                    } else if let Some(name) = expr.strip_prefix('+') {
                        Part::Reserved(name.to_owned())
                    } else {
                        Part::Simple(expr.to_owned())
                    };
                    let names: Vec<&str> = match &part {
                        Part::Query(n) => n.iter().map(String::as_str).collect(),
                        Part::Simple(n) | Part::Reserved(n) => vec![n.as_str()],
                        Part::Literal(_) => vec![],
                    };
                    if names.iter().any(|n| {
                        n.is_empty()
                            || !n
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    }) {
                        return Err(error("variable names must be letters, digits, '_' or '.'"));
                    }
                    if matches!(parts.last(), Some(Part::Simple(_) | Part::Reserved(_)))
                        && !matches!(part, Part::Query(_))
                    {
                        return Err(error("two variables in a row cannot be told apart"));
                    }
                    parts.push(part);
                    rest = &rest[end + 1..];
                }
                Some(i) => {
                    parts.push(Part::Literal(rest[..i].to_owned()));
                    rest = &rest[i..];
                }
                None => {
                    if rest.contains('}') {
                        return Err(error("unmatched '}'"));
                    }
                    parts.push(Part::Literal(rest.to_owned()));
                    rest = "";
                }
            }
        }
        Ok(Self {
            source: template.to_owned(),
            parts,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The names of the template's variables, in order.
    pub fn variables(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Simple(n) | Part::Reserved(n) => out.push(n.as_str()),
                Part::Query(names) => out.extend(names.iter().map(String::as_str)),
                Part::Literal(_) => {}
            }
        }
        out
    }

    /// Matches a URI; on success returns each variable's (percent-decoded) value.
    pub fn matches(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        let mut vars = BTreeMap::new();
        let mut rest = uri;
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Simple(name) | Part::Reserved(name) => {
                    let stop = |c: char| match part {
                        Part::Simple(_) => matches!(c, '/' | '?' | '#' | ','),
                        _ => matches!(c, '?' | '#'),
                    };
                    // The value runs to the next literal (or the end), never past a stop char.
                    let limit = rest.find(stop).unwrap_or(rest.len());
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Literal(next)) => {
                            rest[..limit].find(next.as_str()).or_else(|| {
                                // the literal may begin with a stop char, e.g. "/" after {id}
                                rest[limit..].starts_with(next.as_str()).then_some(limit)
                            })?
                        }
                        _ => limit,
                    };
                    if end == 0 {
                        return None;
                    }
                    vars.insert(name.clone(), percent_decode(&rest[..end])?);
                    rest = &rest[end..];
                }
                Part::Query(names) => {
                    let Some(query) = rest.strip_prefix('?') else {
                        continue; // the whole query is optional
                    };
                    for pair in query.split('&') {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        if names.iter().any(|n| n == k) {
                            vars.insert(k.to_owned(), percent_decode(v)?);
                        }
                    }
                    rest = "";
                }
            }
        }
        rest.is_empty().then_some(vars)
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(template: &str, uri: &str) -> Option<Vec<(String, String)>> {
        UriTemplate::parse(template)
            .unwrap()
            .matches(uri)
            .map(|m| m.into_iter().collect())
    }

    #[test]
    fn simple_and_reserved_variables() {
        assert_eq!(
            vars("users://{id}/profile", "users://42/profile"),
            Some(vec![("id".into(), "42".into())])
        );
        assert_eq!(vars("users://{id}/profile", "users://4/2/profile"), None);
        assert_eq!(vars("users://{id}", "users://"), None);
        assert_eq!(
            vars("file:///{+path}", "file:///a/b%20c.txt"),
            Some(vec![("path".into(), "a/b c.txt".into())])
        );
        assert_eq!(
            vars("demo://{a}-{b}", "demo://x-y"),
            Some(vec![("a".into(), "x".into()), ("b".into(), "y".into())])
        );
        assert_eq!(vars("demo://static", "demo://static"), Some(vec![]));
        assert_eq!(vars("demo://static", "demo://static/x"), None);
    }

    #[test]
    fn query_expressions_are_optional() {
        assert_eq!(
            vars("search://{q}{?limit}", "search://cats"),
            Some(vec![("q".into(), "cats".into())])
        );
        assert_eq!(
            vars("search://{q}{?limit}", "search://cats?limit=5&x=1"),
            Some(vec![
                ("limit".into(), "5".into()),
                ("q".into(), "cats".into())
            ])
        );
    }

    #[test]
    fn hostile_templates_and_uris_are_refused_not_panicking() {
        for bad in ["x{", "x}", "{}", "{a}{b}", "{a b}", "{+}"] {
            assert!(UriTemplate::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(vars("u://{id}", "u://%zz"), None);
        assert_eq!(vars("u://{id}", "u://%"), None);
        assert_eq!(vars("u://{id}", "u://%ff"), None);
        assert_eq!(
            vars("u://{id}", "u://é"),
            Some(vec![("id".into(), "é".into())])
        );
        assert_eq!(
            UriTemplate::parse("a://{x}/{+y}").unwrap().variables(),
            ["x", "y"]
        );
    }
}
