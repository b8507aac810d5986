//! Turning `key=value` words into tool arguments, guided by the tool's input schema.

use spate_protocol::JsonObject;

/// Parses `key=value` words into a JSON object.
///
/// A value becomes JSON when it parses as JSON, unless the schema says the property is a
/// string; otherwise it stays a string. Repeated keys are an error, as is a word without `=`.
pub fn parse(words: &[String], input_schema: Option<&JsonObject>) -> Result<JsonObject, String> {
    let mut out = JsonObject::new();
    for word in words {
        let (key, raw) = word
            .split_once('=')
            .ok_or_else(|| format!("argument {word:?} is not key=value"))?;
        if key.is_empty() {
            return Err(format!("argument {word:?} has an empty key"));
        }
        let wants_string = input_schema
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(key))
            .and_then(|p| p.get("type"))
            .is_some_and(|t| t == "string");
        let value = if wants_string {
            serde_json::Value::String(raw.to_owned())
        } else {
            serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()))
        };
        if out.insert(key.to_owned(), value).is_some() {
            return Err(format!("argument {key:?} given twice"));
        }
    }
    Ok(out)
}

/// Splits `<server command…> <tool> key=value…` from the end: trailing `key=value` words are
/// arguments, the word before them the tool, everything before that the command.
pub fn split_command_tool_args(words: &[String]) -> Result<(&[String], &str, &[String]), String> {
    let first_arg = words
        .iter()
        .rposition(|w| !looks_like_argument(w))
        .ok_or("expected <server command…> <tool> [key=value…]")?;
    let tool = &words[first_arg];
    let command = &words[..first_arg];
    if command.is_empty() {
        return Err("expected a server command before the tool name".into());
    }
    Ok((command, tool, &words[first_arg + 1..]))
}

fn looks_like_argument(word: &str) -> bool {
    !word.starts_with('-')
        && word
            .split_once('=')
            .is_some_and(|(k, _)| !k.is_empty() && !k.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn splits_from_the_end() {
        let w = words("node server.js --port=3 calculate a=10 b=20");
        let (cmd, tool, args) = split_command_tool_args(&w).unwrap();
        assert_eq!(cmd, &w[..3]);
        assert_eq!(tool, "calculate");
        assert_eq!(args, &w[4..]);
        assert!(split_command_tool_args(&words("calculate a=1")).is_err());
        assert!(split_command_tool_args(&words("a=1")).is_err());
    }

    #[test]
    fn values_follow_json_unless_the_schema_says_string() {
        let schema: JsonObject =
            serde_json::from_str(r#"{"properties":{"id":{"type":"string"}}}"#).unwrap();
        let args = parse(&words(r#"a=10 id=10 files=["x"] name=Ada"#), Some(&schema)).unwrap();
        assert_eq!(
            serde_json::Value::Object(args),
            serde_json::json!({"a": 10, "id": "10", "files": ["x"], "name": "Ada"})
        );
        assert!(parse(&words("a=1 a=2"), None).is_err());
        assert!(parse(&words("noequals"), None).is_err());
        assert!(parse(&words("=1"), None).is_err());
    }
}
