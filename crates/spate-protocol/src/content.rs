//! Content blocks: what tools return, prompts hold and resources embed.

use serde::{Deserialize, Serialize};

use crate::fit::{FitVersion, since};
use crate::meta::Meta;
use crate::resources::Resource;
use crate::result::fit_meta;
use crate::version::ProtocolVersion;

/// Who a message or a piece of content is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The human user.
    #[default]
    User,
    /// The model.
    Assistant,
}

/// Hints about how content is used or shown.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    /// Who the content is meant for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<Role>>,
    /// Importance from 0 (least) to 1 (required).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub priority: Option<f64>,
    /// ISO 8601 time of the last change (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// Plain text.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextContent {
    /// The text.
    pub text: String,
    /// Display hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// An image, base64-encoded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageContent {
    /// Base64 image data.
    pub data: String,
    /// The image type, e.g. `image/png`.
    pub mime_type: String,
    /// Display hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Audio, base64-encoded (2025-03-26+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioContent {
    /// Base64 audio data.
    pub data: String,
    /// The audio type, e.g. `audio/wav`.
    pub mime_type: String,
    /// Display hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// A link to a resource the client may read (2025-06-18+): a [`Resource`] with
/// `type: "resource_link"`.
pub type ResourceLink = Resource;

/// The contents of a text resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextResourceContents {
    /// The resource's URI.
    pub uri: String,
    /// Its type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// The text.
    pub text: String,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The contents of a binary resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobResourceContents {
    /// The resource's URI.
    pub uri: String,
    /// Its type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Base64 data.
    pub blob: String,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The contents of a resource: text or binary (told apart by `text` / `blob`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResourceContents {
    /// Text contents.
    Text(TextResourceContents),
    /// Binary contents.
    Blob(BlobResourceContents),
}

impl ResourceContents {
    /// Text contents with a URI and an optional MIME type.
    pub fn text(uri: impl Into<String>, text: impl Into<String>) -> Self {
        Self::Text(TextResourceContents {
            uri: uri.into(),
            text: text.into(),
            ..Default::default()
        })
    }

    /// Binary contents (already base64-encoded).
    pub fn blob(uri: impl Into<String>, blob: impl Into<String>) -> Self {
        Self::Blob(BlobResourceContents {
            uri: uri.into(),
            blob: blob.into(),
            ..Default::default()
        })
    }

    /// The URI, whichever kind.
    pub fn uri(&self) -> &str {
        match self {
            Self::Text(t) => &t.uri,
            Self::Blob(b) => &b.uri,
        }
    }

    /// The MIME type, whichever kind.
    pub fn mime_type(&self) -> Option<&str> {
        match self {
            Self::Text(t) => t.mime_type.as_deref(),
            Self::Blob(b) => b.mime_type.as_deref(),
        }
    }
}

/// A resource embedded in a message or result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedResource {
    /// The contents.
    pub resource: ResourceContents,
    /// Display hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// One block of content, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ContentBlock {
    /// `"text"`.
    #[serde(rename = "text")]
    Text(TextContent),
    /// `"image"`.
    #[serde(rename = "image")]
    Image(ImageContent),
    /// `"audio"` (2025-03-26+).
    #[serde(rename = "audio")]
    Audio(AudioContent),
    /// `"resource_link"` (2025-06-18+).
    #[serde(rename = "resource_link")]
    ResourceLink(ResourceLink),
    /// `"resource"`: an embedded resource.
    #[serde(rename = "resource")]
    Resource(EmbeddedResource),
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextContent {
            text: text.into(),
            ..Default::default()
        })
    }

    /// An image block from base64 data.
    pub fn image(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Image(ImageContent {
            data: data.into(),
            mime_type: mime_type.into(),
            ..Default::default()
        })
    }

    /// An audio block from base64 data.
    pub fn audio(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Audio(AudioContent {
            data: data.into(),
            mime_type: mime_type.into(),
            ..Default::default()
        })
    }

    /// A link to a resource.
    pub fn resource_link(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Self::ResourceLink(Resource::new(uri, name))
    }

    /// An embedded resource.
    pub fn embedded(resource: ResourceContents) -> Self {
        Self::Resource(EmbeddedResource {
            resource,
            annotations: None,
            meta: None,
        })
    }

    /// The text, when this is a text block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(&t.text),
            _ => None,
        }
    }
}

impl From<String> for ContentBlock {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&str> for ContentBlock {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl FitVersion for Annotations {
    fn fit_version(&mut self, version: ProtocolVersion) {
        since(
            &mut self.last_modified,
            version,
            ProtocolVersion::V2025_06_18,
        );
    }
}

/// Fits the `annotations` + `_meta` pair every block has.
fn fit_block_parts(
    annotations: &mut Option<Annotations>,
    meta: &mut Option<Meta>,
    version: ProtocolVersion,
) {
    annotations.fit_version(version);
    since(meta, version, ProtocolVersion::V2025_06_18);
    fit_meta(meta, version);
}

impl FitVersion for TextContent {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_block_parts(&mut self.annotations, &mut self.meta, version);
    }
}

impl FitVersion for ImageContent {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_block_parts(&mut self.annotations, &mut self.meta, version);
    }
}

impl FitVersion for AudioContent {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_block_parts(&mut self.annotations, &mut self.meta, version);
    }
}

impl FitVersion for EmbeddedResource {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.resource.fit_version(version);
        fit_block_parts(&mut self.annotations, &mut self.meta, version);
    }
}

impl FitVersion for ResourceContents {
    fn fit_version(&mut self, version: ProtocolVersion) {
        let meta = match self {
            Self::Text(t) => &mut t.meta,
            Self::Blob(b) => &mut b.meta,
        };
        since(meta, version, ProtocolVersion::V2025_06_18);
        fit_meta(meta, version);
    }
}

/// The text block that stands in for a resource link in versions without `resource_link`.
fn link_as_text(link: &ResourceLink) -> TextContent {
    let label = link.title.as_deref().unwrap_or(&link.name);
    let mut text = format!("Resource: {label} <{}>", link.uri);
    if let Some(description) = &link.description {
        text.push_str(" — ");
        text.push_str(description);
    }
    TextContent {
        text,
        annotations: link.annotations.clone(),
        meta: None,
    }
}

/// The text block that stands in for audio in 2024-11-05, which has no audio content.
fn audio_as_text(audio: &AudioContent) -> TextContent {
    TextContent {
        text: format!(
            "[audio content ({}, {} bytes of base64) omitted: not supported by this protocol version]",
            audio.mime_type,
            audio.data.len()
        ),
        annotations: audio.annotations.clone(),
        meta: None,
    }
}

impl FitVersion for ContentBlock {
    /// Besides removing fields, converts blocks the version cannot carry:
    /// - `resource_link` before 2025-06-18 becomes a text block naming the title (or name),
    ///   the URI and the description: the model still learns the resource exists;
    /// - `audio` before 2025-03-26 becomes a text block saying audio was omitted (the data is
    ///   dropped: no older block can carry it without lying about its type).
    fn fit_version(&mut self, version: ProtocolVersion) {
        use ProtocolVersion as V;
        match self {
            Self::ResourceLink(link) if version < V::V2025_06_18 => {
                *self = Self::Text(link_as_text(link));
            }
            Self::Audio(audio) if version < V::V2025_03_26 => {
                *self = Self::Text(audio_as_text(audio));
            }
            _ => {}
        }
        match self {
            Self::Text(c) => c.fit_version(version),
            Self::Image(c) => c.fit_version(version),
            Self::Audio(c) => c.fit_version(version),
            Self::ResourceLink(c) => c.fit_version(version),
            Self::Resource(c) => c.fit_version(version),
        }
    }
}
