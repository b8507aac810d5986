//! Tool descriptions with hand-written input schemas.
//!
//! The suite checks schemas as written (the `json_schema_2020_12_tool` one verbatim), so the
//! fixtures spell them out instead of deriving them from Rust types.

use serde::Deserialize;
use serde_json::{Value, json};
use spate_protocol::{JsonObject, Tool};

/// Arguments of a tool that takes none; whatever the client sends is ignored.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct NoArgs {}

/// `{"type":"object","properties":{}}`: the schema of a tool without arguments.
pub fn no_args() -> Value {
    json!({"type": "object", "properties": {}})
}

/// An object schema of required string properties, each with a description.
pub fn strings(required: &[(&str, &str)]) -> Value {
    let properties: JsonObject = required
        .iter()
        .map(|(name, description)| {
            (
                (*name).to_owned(),
                json!({"type": "string", "description": description}),
            )
        })
        .collect();
    let names: Vec<&str> = required.iter().map(|(name, _)| *name).collect();
    json!({"type": "object", "properties": properties, "required": names})
}

/// A tool description with an explicit input schema (which must be a JSON object).
pub fn tool(name: &str, description: &str, input_schema: Value) -> Tool {
    let Value::Object(input_schema) = input_schema else {
        panic!("the input schema of {name} must be a JSON object");
    };
    Tool {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        input_schema,
        ..Tool::default()
    }
}
