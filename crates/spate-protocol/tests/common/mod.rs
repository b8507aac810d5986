//! Locating the specification and validating values against its JSON schemas.

#![allow(dead_code)]

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
}

impl SchemaSet {
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
        Self {
            label: name.to_owned(),
            root,
            defs_key,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the schema defines `name`.
    pub fn has(&self, name: &str) -> bool {
        self.root[self.defs_key].get(name).is_some()
    }

    /// The definition names.
    pub fn names(&self) -> Vec<String> {
        self.root[self.defs_key]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
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

    /// Validates `value` against definition `name`; the error lists every violation.
    pub fn validate(&self, name: &str, value: &Value) -> Result<(), String> {
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
