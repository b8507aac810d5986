//! JSON Schemas for tool inputs and outputs, derived from Rust types with schemars.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use spate_protocol::JsonObject;

/// The JSON Schema (2020-12) of `T` as an object, the shape MCP wants for tool schemas.
///
/// The `$schema` key is dropped: 2020-12 is MCP's default dialect, and older clients choke on
/// keys they don't expect. A schema that is not an object type (e.g. of a unit type) becomes
/// `{"type": "object"}`.
pub fn schema_object<T: JsonSchema>() -> JsonObject {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut object = match serde_json::to_value(schema) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => JsonObject::new(),
    };
    object.remove("$schema");
    if object.get("type").and_then(|t| t.as_str()) != Some("object") {
        let mut fallback = JsonObject::new();
        fallback.insert("type".into(), "object".into());
        return fallback;
    }
    object
}
