//! Who is listening to each event type, so a source can start its upstream when the first
//! subscriber arrives and stop it when the last one leaves
//! ([`EventEntry::on_subscribers`](super::EventEntry::on_subscribers)).
//!
//! A push stream and a webhook subscription hold their type while they live ([`Hold`]).
//! Polling is stateless, so a poll holds its type for a lease (renewed by every poll) that
//! ends when no poll came for a while.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::mutex::lock;
use crate::server::ServerHandle;

/// A change in who listens to an event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriberChange {
    /// The type had no subscriber and now has one.
    FirstArrived,
    /// The type's last subscriber left.
    LastLeft,
}

/// What a type's hook is told, at each change.
pub(crate) type SubscriberHook = Arc<dyn Fn(SubscriberChange) + Send + Sync>;

/// How many hold each type.
#[derive(Debug, Default)]
pub(crate) struct Subscribers {
    types: Mutex<HashMap<String, Count>>,
}

#[derive(Debug, Default)]
struct Count {
    holds: usize,
    /// Until when pollers hold the type (one hold while it runs).
    poll_lease: Option<Instant>,
}

/// One subscriber's hold on its type; dropping it lets go.
#[derive(Debug)]
pub(crate) struct Hold {
    server: ServerHandle,
    name: String,
}

impl Drop for Hold {
    fn drop(&mut self) {
        release(&self.server, &self.name);
    }
}

/// Takes a hold on `name` (the first one tells the type's hook).
pub(crate) fn hold(server: &ServerHandle, name: &str) -> Hold {
    let first = {
        let mut types = lock(&server.shared.subscribers.types);
        let count = types.entry(name.to_owned()).or_default();
        count.holds += 1;
        count.holds == 1
    };
    if first {
        tell(server, name, SubscriberChange::FirstArrived);
    }
    Hold {
        server: server.clone(),
        name: name.to_owned(),
    }
}

/// A poll of `name`: pollers hold the type until `lease` after the last poll.
pub(crate) fn polled(server: &ServerHandle, name: &str, lease: Duration) {
    let until = Instant::now() + lease;
    {
        let mut types = lock(&server.shared.subscribers.types);
        let count = types.entry(name.to_owned()).or_default();
        if let Some(current) = &mut count.poll_lease {
            *current = (*current).max(until);
            return;
        }
        count.poll_lease = Some(until);
    }
    let held = hold(server, name);
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        loop {
            let until = {
                let mut types = lock(&held.server.shared.subscribers.types);
                let Some(count) = types.get_mut(&held.name) else {
                    return;
                };
                match count.poll_lease {
                    Some(until) if until > Instant::now() => until,
                    _ => {
                        count.poll_lease = None;
                        break;
                    }
                }
            };
            tokio::time::sleep_until(until).await;
        }
        drop(held);
    });
}

fn release(server: &ServerHandle, name: &str) {
    let last = {
        let mut types = lock(&server.shared.subscribers.types);
        let Some(count) = types.get_mut(name) else {
            return;
        };
        count.holds = count.holds.saturating_sub(1);
        let last = count.holds == 0;
        if last {
            types.remove(name);
        }
        last
    };
    if last {
        tell(server, name, SubscriberChange::LastLeft);
    }
}

/// Calls the hook of `name`, if it has one (outside every lock).
fn tell(server: &ServerHandle, name: &str, change: SubscriberChange) {
    let hook = server
        .shared
        .catalog
        .snapshot()
        .event(name)
        .and_then(|entry| entry.subscriber_hook());
    if let Some(hook) = hook {
        hook(change);
    }
}
