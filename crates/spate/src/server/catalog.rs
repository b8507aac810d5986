//! The server's registries of tools, resources, templates, prompts and event types.
//!
//! Readers take a snapshot (an `Arc`), so listing never blocks a change and a change never
//! blocks the request path; a change builds a new snapshot and swaps it in.

use std::sync::{Arc, RwLock};

use super::prompt::PromptEntry;
use super::resource::{ResourceEntry, TemplateEntry};
use super::tool::ToolEntry;
use super::triggers::EventEntry;

/// One snapshot of everything the server offers, in registration order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub(crate) tools: Vec<ToolEntry>,
    pub(crate) resources: Vec<ResourceEntry>,
    pub(crate) templates: Vec<TemplateEntry>,
    pub(crate) prompts: Vec<PromptEntry>,
    pub(crate) events: Vec<EventEntry>,
}

/// Inserts or replaces (by key) keeping the original position of a replaced entry.
pub(crate) fn upsert<T>(list: &mut Vec<T>, entry: T, key: impl Fn(&T) -> &str) {
    match list.iter().position(|e| key(e) == key(&entry)) {
        Some(i) => list[i] = entry,
        None => list.push(entry),
    }
}

/// Removes by key; whether anything was removed.
pub(crate) fn remove<T>(list: &mut Vec<T>, name: &str, key: impl Fn(&T) -> &str) -> bool {
    let before = list.len();
    list.retain(|e| key(e) != name);
    list.len() != before
}

impl Catalog {
    pub(crate) fn tool(&self, name: &str) -> Option<&ToolEntry> {
        self.tools.iter().find(|t| t.tool.name == name)
    }

    pub(crate) fn prompt(&self, name: &str) -> Option<&PromptEntry> {
        self.prompts.iter().find(|p| p.prompt.name == name)
    }

    pub(crate) fn event(&self, name: &str) -> Option<&EventEntry> {
        self.events.iter().find(|e| e.descriptor.name == name)
    }
}

/// The shared, swappable catalog.
#[derive(Debug, Default)]
pub(crate) struct CatalogCell(RwLock<Arc<Catalog>>);

impl CatalogCell {
    pub(crate) fn snapshot(&self) -> Arc<Catalog> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn change<R>(&self, edit: impl FnOnce(&mut Catalog) -> R) -> R {
        let mut slot = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut next = Catalog::clone(&slot);
        let out = edit(&mut next);
        *slot = Arc::new(next);
        out
    }
}
