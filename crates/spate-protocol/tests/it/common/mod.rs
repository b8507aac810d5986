//! Locating the specification and validating values against its JSON schemas.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// The spec directory: `$SPATE_SPEC_DIR`, else `<crate>/../../../shared/spec`.
/// Panics with a clear message when it is missing: these tests never skip silently.
pub fn spec_dir() -> PathBuf {
    let dir = std::env::var_os("SPATE_SPEC_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec"),
        PathBuf::from,
    );
    assert!(
        dir.join("schema").is_dir(),
        "MCP spec not found at {} (expected schema/<version>/schema.json there). \
         Set SPATE_SPEC_DIR to the directory holding `schema/`.",
        dir.display()
    );
    dir
}

/// One `schema.json` with its definitions, and compiled validators per definition.
pub struct SchemaSet {
    /// A label for messages (`2025-06-18`, `ext-tasks`).
    pub label: String,
    root: Value,
    defs_key: &'static str,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
    /// Whether the request/notification definitions include `jsonrpc` and `id` (2025-11-25+)
    /// or only `method` and `params` (the draft-07 schemas).
    envelope_in_defs: bool,
}

impl SchemaSet {
    /// Loads `schema/<name>/schema.json`, made strict (see [`strictify`]).
    pub fn load_strict(name: &str) -> Self {
        let mut set = Self::load(name);
        strictify(&mut set.root, set.defs_key);
        set.label = format!("{name} (strict)");
        set
    }

    /// Loads `schema/<name>/schema.json`.
    pub fn load(name: &str) -> Self {
        let path = spec_dir().join("schema").join(name).join("schema.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let root: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        let defs_key = if root.get("$defs").is_some() {
            "$defs"
        } else {
            "definitions"
        };
        assert!(
            root.get(defs_key).is_some_and(Value::is_object),
            "{} has no definitions",
            path.display()
        );
        let envelope_in_defs = ["CallToolRequest", "GetTaskRequest"].iter().any(|d| {
            root[defs_key].get(*d).is_some_and(|def| {
                def.get("allOf").is_some() || def["properties"].get("jsonrpc").is_some()
            })
        });
        Self {
            label: name.to_owned(),
            root,
            defs_key,
            validators: Mutex::new(HashMap::new()),
            envelope_in_defs,
        }
    }

    /// A copy of definition `name`.
    pub fn definition(&self, name: &str) -> Value {
        self.root[self.defs_key][name].clone()
    }

    /// Adds the `properties` of `extra` (an object schema) to definition `name`: how an
    /// extension's additions to a core type are accepted.
    pub fn merge_properties(&mut self, name: &str, extra: &Value) {
        let Some(Value::Object(props)) = extra.get("properties") else {
            return;
        };
        let target = &mut self.root[self.defs_key][name]["properties"];
        for (k, v) in props {
            target[k] = v.clone();
        }
    }

    /// Whether the schema defines `name`.
    pub fn has(&self, name: &str) -> bool {
        self.root[self.defs_key].get(name).is_some()
    }

    fn validator(&self, name: &str) -> Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(name) {
            return v.clone();
        }
        assert!(self.has(name), "{}: no definition {name}", self.label);
        // The whole document, entered through a `$ref`, so every `#/…/X` resolves.
        let mut schema = self.root.clone();
        schema["$ref"] = Value::from(format!("#/{}/{name}", self.defs_key));
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{}: cannot compile {name}: {e}", self.label));
        let validator = Arc::new(validator);
        cache.insert(name.to_owned(), validator.clone());
        validator
    }

    /// The message as a definition of this schema sees it: the draft-07 schemas define
    /// requests and notifications as `{method, params}` only (the envelope is
    /// `JSONRPCRequest`'s business), so `jsonrpc` and `id` are taken off for them.
    fn adapt(&self, name: &str, value: &Value) -> Value {
        let mut value = value.clone();
        let is_message_def = name.ends_with("Request")
            || name.ends_with("Notification")
            || matches!(
                name,
                "ClientRequest" | "ServerRequest" | "ClientNotification" | "ServerNotification"
            );
        if !self.envelope_in_defs && is_message_def && !name.starts_with("JSONRPC") {
            if let Value::Object(m) = &mut value {
                m.remove("jsonrpc");
                m.remove("id");
            }
        }
        value
    }

    /// Validates `value` against definition `name`; the error lists every violation.
    pub fn validate(&self, name: &str, value: &Value) -> Result<(), String> {
        let value = &self.adapt(name, value);
        let validator = self.validator(name);
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("  at {}: {e}", e.instance_path))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} {name} rejects\n{}\n{}",
                self.label,
                serde_json::to_string_pretty(value).unwrap_or_default(),
                errors.join("\n")
            ))
        }
    }
}

/// Makes a schema document strict, so "exact on output" is checked and not only "valid":
/// every object schema that lists `properties` and says nothing about other properties gets
/// `additionalProperties: false`.
///
/// Left open, because the spec means them open: `_meta` objects (and the `*MetaObject`
/// definitions), `inputSchema` / `outputSchema` (they are JSON Schemas), the members of an
/// `allOf` (each sees only part of the object), and definitions used as such members.
/// The inline `params` of a draft-07 request or notification also accept `_meta`, which
/// every request and notification inherits from the base `Request` / `Notification` type.
pub fn strictify(root: &mut Value, defs_key: &str) {
    let mut composed = std::collections::HashSet::new();
    collect_allof_members(root, &mut composed);
    let Some(defs) = root.get_mut(defs_key).and_then(Value::as_object_mut) else {
        return;
    };
    for (name, def) in defs.iter_mut() {
        let open = name.ends_with("MetaObject") || composed.contains(name.as_str());
        visit(def, open, None);
    }
}

fn ref_name(node: &Value) -> Option<String> {
    node.get("$ref")?
        .as_str()?
        .rsplit('/')
        .next()
        .map(str::to_owned)
}

fn collect_allof_members(node: &Value, out: &mut std::collections::HashSet<String>) {
    match node {
        Value::Object(m) => {
            if let Some(Value::Array(members)) = m.get("allOf") {
                for member in members {
                    out.extend(ref_name(member));
                    for alt in ["anyOf", "oneOf"] {
                        if let Some(Value::Array(alts)) = member.get(alt) {
                            out.extend(alts.iter().filter_map(ref_name));
                        }
                    }
                }
            }
            for v in m.values() {
                collect_allof_members(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_allof_members(v, out)),
        _ => {}
    }
}

fn visit(node: &mut Value, open: bool, property: Option<&str>) {
    let Value::Object(m) = node else { return };
    if matches!(property, Some("_meta" | "inputSchema" | "outputSchema")) {
        return;
    }
    let lists_properties = m.get("properties").is_some_and(Value::is_object);
    if lists_properties
        && !open
        && !m.contains_key("additionalProperties")
        && !m.contains_key("unevaluatedProperties")
    {
        if property == Some("params") {
            if let Some(Value::Object(props)) = m.get_mut("properties") {
                props
                    .entry("_meta")
                    .or_insert_with(|| serde_json::json!({"type": "object"}));
            }
        }
        m.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        for (name, sub) in props.iter_mut() {
            visit(sub, false, Some(name.as_str()));
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = m.get_mut(key) {
            visit(sub, false, None);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = m.get_mut(key) {
            for alt in alts {
                visit(alt, open, property);
            }
        }
    }
    if let Some(Value::Array(members)) = m.get_mut("allOf") {
        for member in members {
            visit(member, true, None);
            // Alternatives inside a member see only part of the object, too.
        }
    }
}
