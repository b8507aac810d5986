//! Elicitation: the server asks the user for input, by form or by URL (Client Features ›
//! Elicitation,
//! <https://modelcontextprotocol.io/specification/2025-11-25/client/elicitation>).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::elicitation_schema::ElicitationSchema;
use crate::fit::{FitVersion, only};
use crate::meta::{JsonObject, Meta};
use crate::result::fit_meta;
use crate::tasks::TaskMetadata;
use crate::version::ProtocolVersion;

/// Params of `elicitation/create`, by `mode` (`"form"` when absent).
#[derive(Debug, Clone, PartialEq)]
pub enum ElicitRequestParams {
    /// Ask for structured data with a form.
    Form {
        /// What to ask the user.
        message: String,
        /// The form.
        requested_schema: ElicitationSchema,
        /// Whether `"mode": "form"` is written (it is optional; 2025-06-18 has no `mode`).
        explicit_mode: bool,
        /// Run as a task (2025-11-25 only).
        task: Option<TaskMetadata>,
        /// Request metadata (not in 2026).
        meta: Option<Meta>,
    },
    /// Send the user to a URL (2025-11-25+).
    Url {
        /// Why the user should go there.
        message: String,
        /// The URL to open (after consent).
        url: String,
        /// Correlates `notifications/elicitation/complete` (required in 2025-11-25, removed
        /// in 2026).
        elicitation_id: Option<String>,
        /// Run as a task (2025-11-25 only).
        task: Option<TaskMetadata>,
        /// Request metadata (not in 2026).
        meta: Option<Meta>,
    },
}

impl ElicitRequestParams {
    /// A form request.
    pub fn form(message: impl Into<String>, requested_schema: ElicitationSchema) -> Self {
        Self::Form {
            message: message.into(),
            requested_schema,
            explicit_mode: true,
            task: None,
            meta: None,
        }
    }

    /// A URL request.
    pub fn url(
        message: impl Into<String>,
        url: impl Into<String>,
        elicitation_id: Option<String>,
    ) -> Self {
        Self::Url {
            message: message.into(),
            url: url.into(),
            elicitation_id,
            task: None,
            meta: None,
        }
    }

    /// The message, whichever mode.
    pub fn message(&self) -> &str {
        match self {
            Self::Form { message, .. } | Self::Url { message, .. } => message,
        }
    }

    /// `"form"` or `"url"`.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Form { .. } => "form",
            Self::Url { .. } => "url",
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ElicitWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requested_schema: Option<ElicitationSchema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    elicitation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    task: Option<TaskMetadata>,
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    meta: Option<Meta>,
}

impl Serialize for ElicitRequestParams {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match self.clone() {
            Self::Form {
                message,
                requested_schema,
                explicit_mode,
                task,
                meta,
            } => ElicitWire {
                mode: explicit_mode.then(|| "form".to_owned()),
                message,
                requested_schema: Some(requested_schema),
                url: None,
                elicitation_id: None,
                task,
                meta,
            },
            Self::Url {
                message,
                url,
                elicitation_id,
                task,
                meta,
            } => ElicitWire {
                mode: Some("url".to_owned()),
                message,
                requested_schema: None,
                url: Some(url),
                elicitation_id,
                task,
                meta,
            },
        };
        wire.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ElicitRequestParams {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let w = ElicitWire::deserialize(deserializer)?;
        match w.mode.as_deref() {
            None | Some("form") => Ok(Self::Form {
                explicit_mode: w.mode.is_some(),
                message: w.message,
                requested_schema: w
                    .requested_schema
                    .ok_or_else(|| D::Error::missing_field("requestedSchema"))?,
                task: w.task,
                meta: w.meta,
            }),
            Some("url") => Ok(Self::Url {
                message: w.message,
                url: w.url.ok_or_else(|| D::Error::missing_field("url"))?,
                elicitation_id: w.elicitation_id,
                task: w.task,
                meta: w.meta,
            }),
            Some(other) => Err(D::Error::custom(format!(
                "unknown elicitation mode {other:?}"
            ))),
        }
    }
}

/// What the user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElicitAction {
    /// Submitted the form / agreed to open the URL.
    Accept,
    /// Explicitly declined.
    Decline,
    /// Dismissed without choosing.
    #[default]
    Cancel,
}

/// Result of `elicitation/create` (a client result; an input response in 2026).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ElicitResult {
    /// What the user did.
    pub action: ElicitAction,
    /// The submitted values (form mode, accept only): strings, numbers, booleans, and
    /// (2025-11-25+) arrays of strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<JsonObject>,
    /// Result metadata (not in 2026).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl ElicitResult {
    /// An accepted form with its values.
    pub fn accept(content: JsonObject) -> Self {
        Self {
            action: ElicitAction::Accept,
            content: Some(content),
            meta: None,
        }
    }

    /// A decline.
    pub fn decline() -> Self {
        Self {
            action: ElicitAction::Decline,
            ..Self::default()
        }
    }

    /// A cancel.
    pub fn cancel() -> Self {
        Self::default()
    }
}

/// Params of `notifications/elicitation/complete` (2025-11-25 only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElicitationCompleteNotificationParams {
    /// The id of the URL elicitation that finished.
    pub elicitation_id: String,
    /// Notification metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// `data` of the `-32042` URL-elicitation-required error (2025-11-25 only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UrlElicitationRequiredData {
    /// URL-mode elicitations (each with an `elicitationId`) the user must complete first.
    pub elicitations: Vec<ElicitRequestParams>,
}

impl FitVersion for ElicitRequestParams {
    /// 2025-06-18 has no `mode` and no URL mode: a URL request becomes a form with no
    /// fields whose message carries the URL (the user can still follow it; accepting only
    /// acknowledges). 2026 drops `elicitationId`, `task` and `_meta`.
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        if version < V::V2025_11_25 {
            if let Self::Url { message, url, .. } = self {
                *self = Self::Form {
                    message: format!("{message}\n{url}"),
                    requested_schema: ElicitationSchema::default(),
                    explicit_mode: false,
                    task: None,
                    meta: None,
                };
            }
        }
        match self {
            Self::Form {
                requested_schema,
                explicit_mode,
                task,
                meta,
                ..
            } => {
                requested_schema.fit_version(version);
                if version < V::V2025_11_25 {
                    *explicit_mode = false;
                }
                only(task, version, V::V2025_11_25);
                fit_input_request_meta(meta, version);
            }
            Self::Url {
                elicitation_id,
                task,
                meta,
                ..
            } => {
                if version >= V::V2026_07_28 {
                    *elicitation_id = None;
                }
                only(task, version, V::V2025_11_25);
                fit_input_request_meta(meta, version);
            }
        }
    }
}

/// Server→client request params have `_meta` in legacy versions but not as 2026 input
/// requests.
fn fit_input_request_meta(meta: &mut Option<Meta>, version: ProtocolVersion) {
    if version >= ProtocolVersion::V2026_07_28 {
        *meta = None;
    }
    fit_meta(meta, version);
}

impl FitVersion for ElicitResult {
    /// Arrays of strings (multi-select answers) do not exist before 2025-11-25: they are
    /// joined with `", "` into one string.
    fn fit_version(&mut self, version: ProtocolVersion) {
        if version < ProtocolVersion::V2025_11_25 {
            if let Some(content) = &mut self.content {
                for value in content.values_mut() {
                    if let Value::Array(items) = value {
                        let joined: Vec<String> = items
                            .iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                            .collect();
                        *value = Value::from(joined.join(", "));
                    }
                }
            }
        }
        if version >= ProtocolVersion::V2026_07_28 {
            self.meta = None;
        }
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for UrlElicitationRequiredData {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.elicitations.fit_version(version);
    }
}

impl FitVersion for ElicitationCompleteNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_meta(&mut self.meta, version);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::elicitation_schema::PrimitiveSchemaDefinition;

    fn schema(value: Value) -> ElicitationSchema {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn defaults_of_all_five_enum_shapes_and_the_primitives() {
        let s = schema(json!({
            "type": "object",
            "properties": {
                "untitled_single": {"type": "string", "enum": ["a", "b"], "default": "b"},
                "titled_single": {"type": "string", "oneOf": [
                    {"const": "r", "title": "Red"}, {"const": "g", "title": "Green"}],
                    "default": "g"},
                "untitled_multi": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]},
                    "default": ["x", "y"]},
                "titled_multi": {"type": "array", "items": {"anyOf": [
                    {"const": "1", "title": "One"}, {"const": "2", "title": "Two"}]},
                    "default": ["2"]},
                "legacy": {"type": "string", "enum": ["p", "q"], "enumNames": ["P", "Q"],
                    "default": "q"},
                "text": {"type": "string", "default": "hi"},
                "count": {"type": "integer", "default": 3},
                "ratio": {"type": "number", "default": 0.5},
                "flag": {"type": "boolean", "default": false},
                "none": {"type": "string", "enum": ["z"]}
            }
        }));
        let p = |name: &str| s.properties.get(name).unwrap();
        assert!(matches!(
            p("untitled_single"),
            PrimitiveSchemaDefinition::UntitledSingleSelect(_)
        ));
        assert!(matches!(
            p("titled_single"),
            PrimitiveSchemaDefinition::TitledSingleSelect(_)
        ));
        assert!(matches!(
            p("untitled_multi"),
            PrimitiveSchemaDefinition::UntitledMultiSelect(_)
        ));
        assert!(matches!(
            p("titled_multi"),
            PrimitiveSchemaDefinition::TitledMultiSelect(_)
        ));
        assert!(matches!(
            p("legacy"),
            PrimitiveSchemaDefinition::LegacyTitledEnum(_)
        ));
        assert_eq!(s.default_for("untitled_single"), Some(json!("b")));
        assert_eq!(s.default_for("titled_single"), Some(json!("g")));
        assert_eq!(s.default_for("untitled_multi"), Some(json!(["x", "y"])));
        assert_eq!(s.default_for("titled_multi"), Some(json!(["2"])));
        assert_eq!(s.default_for("legacy"), Some(json!("q")));
        assert_eq!(s.default_for("text"), Some(json!("hi")));
        assert_eq!(s.default_for("count"), Some(json!(3)));
        assert_eq!(s.default_for("ratio"), Some(json!(0.5)));
        assert_eq!(s.default_for("flag"), Some(json!(false)));
        assert_eq!(s.default_for("none"), None);
        assert_eq!(s.default_for("missing"), None);
        assert_eq!(s.defaults().len(), 9);
        assert_eq!(
            p("titled_multi").choices(),
            Some(vec!["1", "2"]),
            "choices of the titled multi-select"
        );
        // Every shape re-encodes to what it was.
        let again: Value = serde_json::to_value(&s).unwrap();
        assert_eq!(schema(again.clone()), s);
        assert_eq!(again["properties"]["count"]["type"], "integer");
    }

    #[test]
    fn form_mode_is_the_default_and_its_presence_round_trips() {
        let implicit =
            json!({"message": "m", "requestedSchema": {"type": "object", "properties": {}}});
        let p: ElicitRequestParams = serde_json::from_value(implicit.clone()).unwrap();
        assert_eq!(p.mode(), "form");
        assert_eq!(serde_json::to_value(&p).unwrap(), implicit);
        let url = json!({"mode": "url", "message": "m", "url": "https://x.example/a"});
        let p: ElicitRequestParams = serde_json::from_value(url.clone()).unwrap();
        assert_eq!(p.mode(), "url");
        assert_eq!(serde_json::to_value(&p).unwrap(), url);
        assert!(
            serde_json::from_value::<ElicitRequestParams>(json!({"mode": "x", "message": "m"}))
                .is_err()
        );
        assert!(serde_json::from_value::<ElicitRequestParams>(json!({"message": "m"})).is_err());
    }

    #[test]
    fn legacy_versions_get_the_enum_names_shape() {
        let mut p: PrimitiveSchemaDefinition = serde_json::from_value(json!(
            {"type": "array", "items": {"anyOf": [{"const": "1", "title": "One"}]}, "default": ["1"]}
        ))
        .unwrap();
        p.fit_version(ProtocolVersion::V2025_06_18);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"type": "string", "enum": ["1"], "enumNames": ["One"]})
        );
    }
}
