//! Resources and the resource template (the suite's `resources-*` scenarios and `caching`).

use serde_json::Value;
use spate::server::{ResourceEntry, Server, TemplateEntry, Uri, prefix_matches};
use spate_protocol::{
    BlobResourceContents, Resource, ResourceContents, ResourceTemplate, TextResourceContents,
};
use std::collections::BTreeMap;

use crate::assets::{PNG, PNG_MIME};

/// Registers the resources, `test://static-text` first (the `caching` scenario reads the
/// first listed resource).
pub fn register(server: Server) -> Server {
    server
        .resource(ResourceEntry::text(
            resource(
                "test://static-text",
                "static-text",
                "Static text resource",
                "A static text resource for testing",
                "text/plain",
            ),
            "This is the content of the static text resource.",
        ))
        .resource(ResourceEntry::dynamic(
            resource(
                "test://static-binary",
                "static-binary",
                "Static binary resource",
                "A static binary resource (a 1x1 PNG image) for testing",
                PNG_MIME,
            ),
            |Uri(uri): Uri| async move {
                Ok(vec![ResourceContents::Blob(BlobResourceContents {
                    uri,
                    mime_type: Some(PNG_MIME.to_owned()),
                    blob: PNG.to_owned(),
                    meta: None,
                })])
            },
        ))
        .resource(ResourceEntry::text(
            resource(
                "test://watched-resource",
                "watched-resource",
                "Watched resource",
                "A resource clients can subscribe to for update notifications",
                "text/plain",
            ),
            "Watched resource content",
        ))
        .resource_template(template())
}

fn resource(uri: &str, name: &str, title: &str, description: &str, mime: &str) -> Resource {
    Resource {
        uri: uri.to_owned(),
        name: name.to_owned(),
        title: Some(title.to_owned()),
        description: Some(description.to_owned()),
        mime_type: Some(mime.to_owned()),
        ..Resource::default()
    }
}

/// `test://template/{id}/data`: a JSON document naming the id.
fn template() -> TemplateEntry {
    let template = ResourceTemplate {
        uri_template: "test://template/{id}/data".to_owned(),
        name: "template-data".to_owned(),
        title: Some("Template data".to_owned()),
        description: Some("A JSON document for any id, for testing resource templates".to_owned()),
        mime_type: Some("application/json".to_owned()),
        ..ResourceTemplate::default()
    };
    TemplateEntry::new(
        template,
        |Uri(uri): Uri, vars: BTreeMap<String, String>| async move {
            let id = vars.get("id").cloned().unwrap_or_default();
            Ok(vec![ResourceContents::Text(TextResourceContents {
                uri,
                mime_type: Some("application/json".to_owned()),
                text: template_text(&id),
                meta: None,
            })])
        },
    )
    .expect("test://template/{id}/data is a valid URI template")
    .complete("id", |prefix, _| {
        prefix_matches(["123", "456", "789"], prefix)
    })
}

/// `{"id":"<id>","templateTest":true,"data":"Data for ID: <id>"}`, keys in that order.
fn template_text(id: &str) -> String {
    format!(
        r#"{{"id":{},"templateTest":true,"data":{}}}"#,
        Value::from(id),
        Value::from(format!("Data for ID: {id}"))
    )
}
