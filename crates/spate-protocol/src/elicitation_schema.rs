//! The restricted JSON Schema of form-mode elicitation: a flat object of primitive properties
//! (Client Features › Elicitation › Form Mode Elicitation Requests › Requested Schema,
//! <https://modelcontextprotocol.io/specification/2026-07-28/client/elicitation>).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::fit::FitVersion;
use crate::meta::JsonObject;
use crate::version::ProtocolVersion;

/// A `format` a string property may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StringFormat {
    /// `email`.
    #[serde(rename = "email")]
    Email,
    /// `uri`.
    #[serde(rename = "uri")]
    Uri,
    /// `date`.
    #[serde(rename = "date")]
    Date,
    /// `date-time`.
    #[serde(rename = "date-time")]
    DateTime,
}

/// `{"type": "string", …}`: free text.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StringSchema {
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The shortest accepted length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// The longest accepted length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// A format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<StringFormat>,
    /// The prefilled value (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// Whether a number property accepts fractions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumberType {
    /// `"number"`.
    #[default]
    Number,
    /// `"integer"`.
    Integer,
}

/// `{"type": "number" | "integer", …}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberSchema {
    /// `number` or `integer` (written as `type`).
    #[serde(rename = "type")]
    pub number_type: NumberType,
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The smallest accepted value.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub minimum: Option<f64>,
    /// The largest accepted value.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub maximum: Option<f64>,
    /// The prefilled value (2025-11-25+).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub default: Option<f64>,
}

/// `{"type": "boolean", …}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BooleanSchema {
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The prefilled value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

/// A choice with a display title: `{"const": value, "title": label}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EnumOption {
    /// The value submitted.
    #[serde(rename = "const")]
    pub value: String,
    /// The label shown.
    pub title: String,
}

/// Single choice from plain values: `{"type":"string","enum":[…]}` (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntitledSingleSelectEnumSchema {
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The values.
    #[serde(rename = "enum")]
    pub values: Vec<String>,
    /// The preselected value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// Single choice with labels: `{"type":"string","oneOf":[{const,title}…]}` (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitledSingleSelectEnumSchema {
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The choices.
    pub one_of: Vec<EnumOption>,
    /// The preselected value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// `items` of an untitled multi-select: `{"type":"string","enum":[…]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UntitledEnumItems {
    /// Always `"string"`.
    #[serde(rename = "type", default = "string_type")]
    pub item_type: String,
    /// The values.
    #[serde(rename = "enum")]
    pub values: Vec<String>,
}

fn string_type() -> String {
    "string".to_owned()
}

/// `items` of a titled multi-select: `{"anyOf":[{const,title}…]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitledEnumItems {
    /// The choices.
    pub any_of: Vec<EnumOption>,
}

/// Several choices from plain values: `{"type":"array","items":{"type":"string","enum":[…]}}`
/// (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntitledMultiSelectEnumSchema {
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The fewest choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// The most choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// The values.
    pub items: UntitledEnumItems,
    /// The preselected values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Vec<String>>,
}

/// Several choices with labels: `{"type":"array","items":{"anyOf":[{const,title}…]}}`
/// (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitledMultiSelectEnumSchema {
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The fewest choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// The most choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// The choices.
    pub items: TitledEnumItems,
    /// The preselected values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Vec<String>>,
}

/// The 2025-06-18 enum, kept for compatibility: `{"type":"string","enum":[…],"enumNames":[…]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyTitledEnumSchema {
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The values.
    #[serde(rename = "enum")]
    pub values: Vec<String>,
    /// Labels, index by index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_names: Option<Vec<String>>,
    /// The preselected value (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// One property of a form: a primitive or one of the five enum shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum PrimitiveSchemaDefinition {
    /// Free text.
    String(StringSchema),
    /// A number or an integer.
    Number(NumberSchema),
    /// A yes/no.
    Boolean(BooleanSchema),
    /// Single choice, plain values.
    UntitledSingleSelect(UntitledSingleSelectEnumSchema),
    /// Single choice, labelled values.
    TitledSingleSelect(TitledSingleSelectEnumSchema),
    /// Several choices, plain values.
    UntitledMultiSelect(UntitledMultiSelectEnumSchema),
    /// Several choices, labelled values.
    TitledMultiSelect(TitledMultiSelectEnumSchema),
    /// Single choice with `enumNames` (the 2025-06-18 form).
    LegacyTitledEnum(LegacyTitledEnumSchema),
}

impl PrimitiveSchemaDefinition {
    /// The value a client should prefill, when the property declares one.
    ///
    /// ```
    /// use spate_protocol::PrimitiveSchemaDefinition;
    /// let p: PrimitiveSchemaDefinition = serde_json::from_value(serde_json::json!(
    ///     {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "default": ["b"]}
    /// )).unwrap();
    /// assert_eq!(p.default_value(), Some(serde_json::json!(["b"])));
    /// ```
    pub fn default_value(&self) -> Option<Value> {
        match self {
            Self::String(s) => s.default.clone().map(Value::from),
            Self::Number(n) => n.default.map(number_value),
            Self::Boolean(b) => b.default.map(Value::from),
            Self::UntitledSingleSelect(e) => e.default.clone().map(Value::from),
            Self::TitledSingleSelect(e) => e.default.clone().map(Value::from),
            Self::UntitledMultiSelect(e) => e.default.clone().map(Value::from),
            Self::TitledMultiSelect(e) => e.default.clone().map(Value::from),
            Self::LegacyTitledEnum(e) => e.default.clone().map(Value::from),
        }
    }

    /// The allowed values of an enum shape (`None` for string, number, boolean).
    pub fn choices(&self) -> Option<Vec<&str>> {
        match self {
            Self::UntitledSingleSelect(e) => Some(e.values.iter().map(String::as_str).collect()),
            Self::TitledSingleSelect(e) => Some(option_values(&e.one_of)),
            Self::UntitledMultiSelect(e) => {
                Some(e.items.values.iter().map(String::as_str).collect())
            }
            Self::TitledMultiSelect(e) => Some(option_values(&e.items.any_of)),
            Self::LegacyTitledEnum(e) => Some(e.values.iter().map(String::as_str).collect()),
            _ => None,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Self::String(_)
            | Self::UntitledSingleSelect(_)
            | Self::TitledSingleSelect(_)
            | Self::LegacyTitledEnum(_) => "string",
            Self::Number(n) => match n.number_type {
                NumberType::Number => "number",
                NumberType::Integer => "integer",
            },
            Self::Boolean(_) => "boolean",
            Self::UntitledMultiSelect(_) | Self::TitledMultiSelect(_) => "array",
        }
    }
}

fn option_values(options: &[EnumOption]) -> Vec<&str> {
    options.iter().map(|o| o.value.as_str()).collect()
}

/// A whole `f64` as a JSON integer, otherwise a JSON float (`null` for NaN/infinity).
fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

impl Serialize for PrimitiveSchemaDefinition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let value = match self {
            Self::String(s) => serde_json::to_value(s),
            Self::Number(n) => serde_json::to_value(n),
            Self::Boolean(b) => serde_json::to_value(b),
            Self::UntitledSingleSelect(e) => serde_json::to_value(e),
            Self::TitledSingleSelect(e) => serde_json::to_value(e),
            Self::UntitledMultiSelect(e) => serde_json::to_value(e),
            Self::TitledMultiSelect(e) => serde_json::to_value(e),
            Self::LegacyTitledEnum(e) => serde_json::to_value(e),
        }
        .map_err(S::Error::custom)?;
        let Value::Object(mut map) = value else {
            return Err(S::Error::custom("schema did not serialise to an object"));
        };
        map.insert("type".to_owned(), self.type_name().into());
        map.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PrimitiveSchemaDefinition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = JsonObject::deserialize(deserializer)?;
        let kind = map
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let has = |key: &str| map.contains_key(key);
        let shape = match kind.as_str() {
            "string" if has("oneOf") => "titled-single",
            "string" if has("enum") && has("enumNames") => "legacy",
            "string" if has("enum") => "untitled-single",
            "string" => "string",
            "number" | "integer" => "number",
            "boolean" => "boolean",
            "array" => {
                let titled = map.get("items").and_then(|i| i.get("anyOf")).is_some();
                if titled {
                    "titled-multi"
                } else {
                    "untitled-multi"
                }
            }
            other => {
                return Err(D::Error::custom(format!(
                    "unsupported elicitation property type {other:?}"
                )));
            }
        };
        if shape != "number" {
            map.remove("type");
        }
        let value = Value::Object(map);
        let parsed = match shape {
            "titled-single" => serde_json::from_value(value).map(Self::TitledSingleSelect),
            "legacy" => serde_json::from_value(value).map(Self::LegacyTitledEnum),
            "untitled-single" => serde_json::from_value(value).map(Self::UntitledSingleSelect),
            "string" => serde_json::from_value(value).map(Self::String),
            "number" => serde_json::from_value(value).map(Self::Number),
            "boolean" => serde_json::from_value(value).map(Self::Boolean),
            "titled-multi" => serde_json::from_value(value).map(Self::TitledMultiSelect),
            _ => serde_json::from_value(value).map(Self::UntitledMultiSelect),
        };
        parsed.map_err(D::Error::custom)
    }
}

/// The `requestedSchema` of a form: `{"type":"object","properties":{…},"required":[…]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(from = "SchemaWire", into = "SchemaWire")]
pub struct ElicitationSchema {
    /// `$schema`, the dialect (2025-11-25+).
    pub schema: Option<String>,
    /// The fields, by name.
    pub properties: BTreeMap<String, PrimitiveSchemaDefinition>,
    /// Names of the fields that must be filled.
    pub required: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
struct SchemaWire {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
    #[serde(rename = "type", default = "object_type")]
    kind: String,
    #[serde(default)]
    properties: BTreeMap<String, PrimitiveSchemaDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    required: Option<Vec<String>>,
}

fn object_type() -> String {
    "object".to_owned()
}

impl From<SchemaWire> for ElicitationSchema {
    fn from(w: SchemaWire) -> Self {
        Self {
            schema: w.schema,
            properties: w.properties,
            required: w.required,
        }
    }
}

impl From<ElicitationSchema> for SchemaWire {
    fn from(s: ElicitationSchema) -> Self {
        Self {
            schema: s.schema,
            kind: object_type(),
            properties: s.properties,
            required: s.required,
        }
    }
}

impl ElicitationSchema {
    /// The prefill value of one property, when it declares a default.
    pub fn default_for(&self, property: &str) -> Option<Value> {
        self.properties.get(property)?.default_value()
    }

    /// Every declared default, by property name: what a client prefills the form with.
    pub fn defaults(&self) -> JsonObject {
        self.properties
            .iter()
            .filter_map(|(name, p)| Some((name.clone(), p.default_value()?)))
            .collect()
    }

    /// Adds a property.
    pub fn with_property(
        mut self,
        name: impl Into<String>,
        definition: PrimitiveSchemaDefinition,
        required: bool,
    ) -> Self {
        let name = name.into();
        if required {
            self.required
                .get_or_insert_with(Vec::new)
                .push(name.clone());
        }
        self.properties.insert(name, definition);
        self
    }
}

/// Turns an enum shape into the 2025-06-18 `EnumSchema` (`enum` + optional `enumNames`, no
/// default). Multi-selects become single-selects over the same values: 2025-06-18 has no
/// array properties, and one answer from the right set beats a free-text field.
fn to_legacy_enum(p: &PrimitiveSchemaDefinition) -> Option<LegacyTitledEnumSchema> {
    let titled = |title: &Option<String>, description: &Option<String>, opts: &[EnumOption]| {
        LegacyTitledEnumSchema {
            title: title.clone(),
            description: description.clone(),
            values: opts.iter().map(|o| o.value.clone()).collect(),
            enum_names: Some(opts.iter().map(|o| o.title.clone()).collect()),
            default: None,
        }
    };
    let plain = |title: &Option<String>, description: &Option<String>, values: &[String]| {
        LegacyTitledEnumSchema {
            title: title.clone(),
            description: description.clone(),
            values: values.to_vec(),
            enum_names: None,
            default: None,
        }
    };
    Some(match p {
        PrimitiveSchemaDefinition::UntitledSingleSelect(e) => {
            plain(&e.title, &e.description, &e.values)
        }
        PrimitiveSchemaDefinition::TitledSingleSelect(e) => {
            titled(&e.title, &e.description, &e.one_of)
        }
        PrimitiveSchemaDefinition::UntitledMultiSelect(e) => {
            plain(&e.title, &e.description, &e.items.values)
        }
        PrimitiveSchemaDefinition::TitledMultiSelect(e) => {
            titled(&e.title, &e.description, &e.items.any_of)
        }
        PrimitiveSchemaDefinition::LegacyTitledEnum(e) => LegacyTitledEnumSchema {
            default: None,
            ..e.clone()
        },
        _ => return None,
    })
}

impl FitVersion for PrimitiveSchemaDefinition {
    /// 2025-06-18 knows only string, number, boolean (no defaults but boolean's) and the
    /// `enum`/`enumNames` shape: the four newer enum shapes are rewritten into it.
    fn fit_version(&mut self, version: ProtocolVersion) {
        if version >= ProtocolVersion::V2025_11_25 {
            return;
        }
        if let Some(legacy) = to_legacy_enum(self) {
            *self = Self::LegacyTitledEnum(legacy);
            return;
        }
        match self {
            Self::String(s) => s.default = None,
            Self::Number(n) => n.default = None,
            _ => {}
        }
    }
}

impl FitVersion for ElicitationSchema {
    fn fit_version(&mut self, version: ProtocolVersion) {
        if version < ProtocolVersion::V2025_11_25 {
            self.schema = None;
        }
        self.properties.fit_version(version);
    }
}
