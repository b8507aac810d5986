//! `spate watch`: subscribe to a server's resource updates and list changes and print each
//! notification as it arrives, one line each.
//!
//! A 2026-07-28 server is asked with one `subscriptions/listen` stream; a legacy server with
//! `resources/subscribe` per resource, its notifications arriving on the session's stream.
//! Either way the same lines come out: `resources/updated demo://clock`, or with `--json` the
//! notification itself.

use std::process::ExitCode;

use clap::Args;
use spate::client::{Client, Subscription};
use spate_protocol::{Era, Notification, SubscriptionFilter, methods};
use tokio::sync::broadcast::error::RecvError;

use crate::call::{TargetArgs, connect};

/// `spate watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// A resource to be told about when it changes (repeatable).
    #[arg(long = "resource", value_name = "URI")]
    resources: Vec<String>,
    /// Stop after this many notifications (exit 0); without it, watch until interrupted.
    #[arg(long)]
    count: Option<u64>,
    /// Print each notification as one line of JSON (`method` and `params`).
    #[arg(long)]
    json: bool,
    /// `URL`, or with --stdio `-- <server command…>`. Options may follow the URL (as in
    /// `spate watch URL --resource URI`); after `--` every word is the command's.
    #[arg(required = true)]
    words: Vec<String>,
}

/// Notifications that say how to set things up or how a request goes, not that something
/// changed: not printed.
const NOT_CHANGES: [&str; 3] = [
    methods::NOTIFICATIONS_MESSAGE,
    methods::NOTIFICATIONS_PROGRESS,
    methods::NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED,
];

/// Runs `spate watch`.
pub async fn run_watch(args: WatchArgs) -> Result<ExitCode, String> {
    let client = connect(&args.target, &args.words).await?;
    let outcome = watch(&client, &args).await;
    client.close().await;
    outcome
}

async fn watch(client: &Client, args: &WatchArgs) -> Result<ExitCode, String> {
    // Listening first, so nothing sent while subscribing is missed.
    let mut notifications = client.notifications();
    let mut subscription = subscribe(client, &args.resources).await?;
    let mut seen = 0u64;
    if args.count == Some(0) {
        return Ok(ExitCode::SUCCESS);
    }
    loop {
        let received = tokio::select! {
            received = notifications.recv() => received,
            () = ended(client, subscription.as_mut()) => {
                return Err("the server ended the subscription".into());
            }
        };
        let note = match received {
            Ok(note) => note,
            Err(RecvError::Lagged(missed)) => {
                eprintln!("spate watch: {missed} notifications were missed (too slow)");
                continue;
            }
            Err(RecvError::Closed) => return Err("the connection closed".into()),
        };
        if NOT_CHANGES.contains(&note.method.as_str()) {
            continue;
        }
        println!("{}", line(&note, args.json));
        seen += 1;
        if args.count.is_some_and(|n| seen >= n) {
            return Ok(ExitCode::SUCCESS);
        }
    }
}

/// Asks the server for every list change and for updates of `resources`: one listen
/// stream (2026-07-28, returned: it lives as long as it is held), or `resources/subscribe`.
async fn subscribe(client: &Client, resources: &[String]) -> Result<Option<Subscription>, String> {
    match client.era() {
        Era::Modern => {
            let filter = SubscriptionFilter {
                tools_list_changed: Some(true),
                prompts_list_changed: Some(true),
                resources_list_changed: Some(true),
                resource_subscriptions: (!resources.is_empty()).then(|| resources.to_vec()),
                ..Default::default()
            };
            let subscription = client
                .listen(filter)
                .await
                .map_err(|e| format!("subscriptions/listen failed: {e}"))?;
            Ok(Some(subscription))
        }
        Era::Legacy => {
            for uri in resources {
                client
                    .subscribe(uri)
                    .await
                    .map_err(|e| format!("resources/subscribe {uri} failed: {e}"))?;
            }
            Ok(None)
        }
    }
}

/// Resolves when the subscription's stream ends, or (legacy) the connection does. Events
/// of the subscription also reach [`Client::notifications`], which prints them.
async fn ended(client: &Client, subscription: Option<&mut Subscription>) {
    match subscription {
        Some(subscription) => while subscription.next().await.is_some() {},
        None => client.peer().closed().await,
    }
}

/// How a notification is printed: `resources/updated URI`, `tools/list_changed`, or the
/// method and its parameters; with `json`, the notification as one line of JSON.
fn line(note: &Notification, json: bool) -> String {
    let mut params: serde_json::Map<String, serde_json::Value> = note
        .params
        .as_ref()
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default();
    if json {
        return serde_json::json!({"method": note.method, "params": params}).to_string();
    }
    params.remove("_meta"); // the subscription id of a listen stream: not news
    let name = note
        .method
        .strip_prefix("notifications/")
        .unwrap_or(&note.method);
    match params.get("uri").and_then(|u| u.as_str()) {
        Some(uri) => format!("{name} {uri}"),
        None if params.is_empty() => name.to_owned(),
        None => format!("{name} {}", serde_json::Value::Object(params)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(method: &str, params: serde_json::Value) -> Notification {
        Notification {
            method: method.to_owned(),
            params: Some(serde_json::value::RawValue::from_string(params.to_string()).unwrap()),
        }
    }

    #[test]
    fn lines_name_the_change() {
        let updated = note(
            "notifications/resources/updated",
            serde_json::json!({"uri": "demo://clock"}),
        );
        assert_eq!(line(&updated, false), "resources/updated demo://clock");
        assert_eq!(
            line(&updated, true),
            r#"{"method":"notifications/resources/updated","params":{"uri":"demo://clock"}}"#
        );
        let changed = note(
            "notifications/tools/list_changed",
            serde_json::json!({"_meta": {"io.modelcontextprotocol/subscriptionId": 3}}),
        );
        assert_eq!(line(&changed, false), "tools/list_changed");
        let other = note("x/custom", serde_json::json!({"n": 1}));
        assert_eq!(line(&other, false), r#"x/custom {"n":1}"#);
    }
}
