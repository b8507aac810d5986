//! Content blocks, resources and icons.

use proptest::collection::vec;
use proptest::prelude::*;
use spate_protocol::*;

use super::{MetaKind, base64, big_u64, meta, mime, name, opt, text, timestamp, unit, uri};

pub fn role() -> BoxedStrategy<Role> {
    prop_oneof![Just(Role::User), Just(Role::Assistant)].boxed()
}

pub fn annotations() -> BoxedStrategy<Annotations> {
    (opt(vec(role(), 0..3)), opt(unit()), opt(timestamp()))
        .prop_map(|(audience, priority, last_modified)| Annotations {
            audience,
            priority,
            last_modified,
        })
        .boxed()
}

pub fn icon() -> BoxedStrategy<Icon> {
    (
        prop_oneof![uri(), Just("data:image/png;base64,iVBORw0KGgo=".to_owned())],
        opt(mime()),
        opt(vec(
            prop_oneof![Just("any".to_owned()), "[1-9][0-9]{0,2}x[1-9][0-9]{0,2}"],
            0..3,
        )),
        opt(prop_oneof![Just(IconTheme::Light), Just(IconTheme::Dark)]),
    )
        .prop_map(|(src, mime_type, sizes, theme)| Icon {
            src,
            mime_type,
            sizes,
            theme,
        })
        .boxed()
}

pub fn icons() -> BoxedStrategy<Option<Vec<Icon>>> {
    opt(vec(icon(), 0..3)).boxed()
}

pub fn text_content() -> BoxedStrategy<TextContent> {
    (text(), opt(annotations()), meta(MetaKind::Plain))
        .prop_map(|(text, annotations, meta)| TextContent {
            text,
            annotations,
            meta,
        })
        .boxed()
}

pub fn image_content() -> BoxedStrategy<ImageContent> {
    (base64(), mime(), opt(annotations()), meta(MetaKind::Plain))
        .prop_map(|(data, mime_type, annotations, meta)| ImageContent {
            data,
            mime_type,
            annotations,
            meta,
        })
        .boxed()
}

pub fn audio_content() -> BoxedStrategy<AudioContent> {
    (base64(), mime(), opt(annotations()), meta(MetaKind::Plain))
        .prop_map(|(data, mime_type, annotations, meta)| AudioContent {
            data,
            mime_type,
            annotations,
            meta,
        })
        .boxed()
}

pub fn resource() -> BoxedStrategy<Resource> {
    (
        uri(),
        name(),
        opt(text()),
        opt(text()),
        opt(mime()),
        opt(big_u64()),
        opt(annotations()),
        icons(),
        meta(MetaKind::Plain),
    )
        .prop_map(
            |(uri, name, title, description, mime_type, size, annotations, icons, meta)| Resource {
                uri,
                name,
                title,
                description,
                mime_type,
                size,
                annotations,
                icons,
                meta,
            },
        )
        .boxed()
}

pub fn resource_template() -> BoxedStrategy<ResourceTemplate> {
    (
        super::uri_template(),
        name(),
        opt(text()),
        opt(text()),
        opt(mime()),
        opt(annotations()),
        icons(),
        meta(MetaKind::Plain),
    )
        .prop_map(
            |(uri_template, name, title, description, mime_type, annotations, icons, meta)| {
                ResourceTemplate {
                    uri_template,
                    name,
                    title,
                    description,
                    mime_type,
                    annotations,
                    icons,
                    meta,
                }
            },
        )
        .boxed()
}

pub fn resource_contents() -> BoxedStrategy<ResourceContents> {
    prop_oneof![
        (uri(), opt(mime()), text(), meta(MetaKind::Plain)).prop_map(
            |(uri, mime_type, text, meta)| ResourceContents::Text(TextResourceContents {
                uri,
                mime_type,
                text,
                meta
            })
        ),
        (uri(), opt(mime()), base64(), meta(MetaKind::Plain)).prop_map(
            |(uri, mime_type, blob, meta)| ResourceContents::Blob(BlobResourceContents {
                uri,
                mime_type,
                blob,
                meta
            })
        ),
    ]
    .boxed()
}

pub fn embedded_resource() -> BoxedStrategy<EmbeddedResource> {
    (
        resource_contents(),
        opt(annotations()),
        meta(MetaKind::Plain),
    )
        .prop_map(|(resource, annotations, meta)| EmbeddedResource {
            resource,
            annotations,
            meta,
        })
        .boxed()
}

pub fn content_block() -> BoxedStrategy<ContentBlock> {
    prop_oneof![
        3 => text_content().prop_map(ContentBlock::Text),
        1 => image_content().prop_map(ContentBlock::Image),
        1 => audio_content().prop_map(ContentBlock::Audio),
        1 => resource().prop_map(ContentBlock::ResourceLink),
        1 => embedded_resource().prop_map(ContentBlock::Resource),
    ]
    .boxed()
}
