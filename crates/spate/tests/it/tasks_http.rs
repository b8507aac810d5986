//! Tasks over real HTTP: the 2026 extension on stateless requests and the 2025-11-25
//! experimental tasks on a session, with the test server's `job` tool (task support
//! optional; `ask: true` needs a go-ahead first).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use spate::transport::http::server::HttpConfig;

use crate::http_support::modern::{answer, meta, request};
use crate::http_support::{self, Running, read_events, start};

const TASKS: &str = "io.modelcontextprotocol/tasks";

pub(crate) fn with_tasks() -> Value {
    json!({"extensions": {TASKS: {}}})
}

pub(crate) fn job(delay_ms: u64, ask: bool, caps: Value) -> Value {
    json!({"name": "job", "arguments": {"delay_ms": delay_ms, "ask": ask}, "_meta": meta(caps)})
}

fn task_request(s: &Running, id: i64, method: &str, params: Value) -> reqwest::RequestBuilder {
    let task_id = params["taskId"].as_str().unwrap_or_default().to_owned();
    request(s, id, method, params).header("mcp-name", task_id)
}

pub(crate) async fn modern_get(s: &Running, task_id: &str) -> Value {
    let (status, body) = answer(task_request(
        s,
        9,
        "tasks/get",
        json!({"taskId": task_id, "_meta": meta(with_tasks())}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["result"].clone()
}

pub(crate) async fn modern_until(
    s: &Running,
    task_id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..200 {
        let task = modern_get(s, task_id).await;
        if done(&task) {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("task {task_id} did not get there in time");
}

#[tokio::test]
async fn a_2026_task_is_created_polled_and_completed() {
    let s = start(HttpConfig::default()).await;
    // Without the extension the call runs at once.
    let (_, sync) = answer(request(&s, 1, "tools/call", job(0, false, json!({})))).await;
    assert_eq!(sync["result"]["resultType"], "complete", "{sync}");
    assert!(sync["result"].get("taskId").is_none());

    let (status, created) =
        answer(request(&s, 2, "tools/call", job(200, false, with_tasks()))).await;
    assert_eq!(status, StatusCode::OK);
    let created = &created["result"];
    assert_eq!(created["resultType"], "task", "{created}");
    assert_eq!(created["status"], "working");
    assert!(
        created["ttlMs"].is_u64() && created.get("ttl").is_none(),
        "{created}"
    );
    assert!(created.get("task").is_none() && created.get("result").is_none());
    let id = created["taskId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);

    // Visible at once, then completed with the result inlined.
    assert_eq!(modern_get(&s, &id).await["status"], "working");
    let done = modern_until(&s, &id, |t| t["status"] == "completed").await;
    assert_eq!(
        done["result"]["content"][0]["text"],
        "job done after 200 ms"
    );
    assert_eq!(done["resultType"], "complete");

    // Unknown ids, and clients without the extension, are refused.
    let (status, unknown) = answer(task_request(
        &s,
        3,
        "tasks/get",
        json!({"taskId": "nope", "_meta": meta(with_tasks())}),
    ))
    .await;
    assert_eq!(
        (status, unknown["error"]["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(-32602))
    );
    let (status, gated) = answer(task_request(
        &s,
        4,
        "tasks/get",
        json!({"taskId": id, "_meta": meta(json!({}))}),
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(gated["error"]["code"], -32021);
    assert_eq!(
        gated["error"]["data"]["requiredCapabilities"]["extensions"][TASKS],
        json!({})
    );
    // The 2025-11-25 methods are gone in 2026.
    let (status, removed) = answer(task_request(
        &s,
        5,
        "tasks/result",
        json!({"taskId": id, "_meta": meta(with_tasks())}),
    ))
    .await;
    assert_eq!(
        (status, removed["error"]["code"].clone()),
        (StatusCode::NOT_FOUND, json!(-32601))
    );
}

#[tokio::test]
async fn a_2026_task_waits_for_input_and_can_be_cancelled() {
    let s = start(HttpConfig::default()).await;
    // Listen for the task's notifications first.
    let (_, created) = answer(request(&s, 1, "tools/call", job(50, true, with_tasks()))).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    let mut listen = request(
        &s,
        2,
        "subscriptions/listen",
        json!({"notifications": {"taskIds": [id]}, "_meta": meta(with_tasks())}),
    )
    .send()
    .await
    .unwrap();
    let parked = modern_until(&s, &id, |t| t["status"] == "input_required").await;
    assert_eq!(
        parked["inputRequests"]["go_ahead"]["method"],
        "elicitation/create"
    );

    let (status, ack) = answer(task_request(
        &s,
        3,
        "tasks/update",
        json!({"taskId": id, "inputResponses": {"go_ahead": {"action": "accept", "content": {"go": true}},
                                                 "unknown_key": {"action": "decline"}},
               "_meta": meta(with_tasks())}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ack["result"], json!({"resultType": "complete"}));
    let done = modern_until(&s, &id, |t| t["status"] == "completed").await;
    assert!(done.get("inputRequests").is_none());

    // The listener (subscribed after the task parked) saw the acknowledgement and the changes
    // since: back to working once answered, then completed with the result, tagged with its id.
    // (Whether it also saw input_required depends on who came first; the end is the same.)
    let mut events = Vec::new();
    while !events
        .iter()
        .any(|e: &http_support::Event| e.data.contains("\"completed\""))
    {
        let more = read_events(&mut listen, 1, Duration::from_secs(5)).await;
        assert!(!more.is_empty(), "no more events: {events:?}");
        events.extend(more);
    }
    let events: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert_eq!(events[0]["params"]["notifications"]["taskIds"], json!([id]));
    let statuses: Vec<&str> = events[1..]
        .iter()
        .filter(|e| e["method"] == "notifications/tasks")
        .map(|e| {
            assert_eq!(
                e["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
                2
            );
            e["params"]["status"].as_str().unwrap()
        })
        .collect();
    assert!(statuses.ends_with(&["working", "completed"]), "{events:?}");
    let last = events.last().unwrap();
    assert_eq!(
        last["params"]["result"]["content"][0]["text"],
        "job done after 50 ms"
    );

    // A long job cancelled while it runs ends cancelled, and a second cancel is the same ack.
    let (_, long) = answer(request(
        &s,
        4,
        "tools/call",
        job(60_000, false, with_tasks()),
    ))
    .await;
    let long = long["result"]["taskId"].as_str().unwrap().to_owned();
    for id in [5, 6] {
        let (status, ack) = answer(task_request(
            &s,
            id,
            "tasks/cancel",
            json!({"taskId": long, "_meta": meta(with_tasks())}),
        ))
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ack["result"], json!({"resultType": "complete"}));
    }
    assert_eq!(modern_get(&s, &long).await["status"], "cancelled");
}

#[tokio::test]
async fn legacy_sessions_get_2025_11_25_tasks_of_their_own() {
    let s = start(HttpConfig::default()).await;
    let session = s.initialize().await;
    let call = |id: i64, method: &'static str, params: Value| {
        let s = &s;
        let session = session.clone();
        async move {
            let r = s.call(&session, id, method, params).await;
            let text = r.text().await.unwrap();
            let line = text
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap_or(&text)
                .to_owned();
            serde_json::from_str::<Value>(&line).unwrap()
        }
    };
    // The tool's task support shows in tools/list for 2025-11-25.
    let listed = call(1, "tools/list", json!({})).await;
    let job_tool = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "job")
        .unwrap()
        .clone();
    assert_eq!(job_tool["execution"]["taskSupport"], "optional");

    let created = call(
        2,
        "tools/call",
        json!({"name": "job", "arguments": {"delay_ms": 100}, "task": {"ttl": 60_000}}),
    )
    .await;
    let task = &created["result"]["task"];
    assert_eq!(task["status"], "working", "{created}");
    assert_eq!(task["ttl"], 60_000);
    let id = task["taskId"].as_str().unwrap().to_owned();

    // tasks/result waits for the end and answers the call's own result, tagged.
    let result = call(3, "tasks/result", json!({"taskId": id})).await;
    assert_eq!(
        result["result"]["content"][0]["text"],
        "job done after 100 ms"
    );
    assert_eq!(
        result["result"]["_meta"]["io.modelcontextprotocol/related-task"]["taskId"],
        id
    );
    let got = call(4, "tasks/get", json!({"taskId": id})).await;
    assert_eq!(got["result"]["status"], "completed");
    assert!(
        got["result"].get("result").is_none(),
        "2025-11-25 tasks/get has no details"
    );
    let list = call(5, "tasks/list", json!({})).await;
    assert_eq!(list["result"]["tasks"][0]["taskId"], id);
    let again = call(6, "tasks/cancel", json!({"taskId": id})).await;
    assert_eq!(
        again["error"]["code"], -32602,
        "an ended task cannot be cancelled: {again}"
    );

    // Another session cannot see it; nor can a 2026 request.
    let other = s.initialize().await;
    let foreign = s.call(&other, 1, "tasks/get", json!({"taskId": id})).await;
    let foreign: Value = foreign.json().await.unwrap();
    assert_eq!(foreign["error"]["code"], -32602);
    let (_, modern) = answer(task_request(
        &s,
        7,
        "tasks/get",
        json!({"taskId": id, "_meta": meta(with_tasks())}),
    ))
    .await;
    assert_eq!(modern["error"]["code"], -32602);

    // A cancel while it runs: the task comes back cancelled.
    let created = call(
        8,
        "tools/call",
        json!({"name": "job", "arguments": {"delay_ms": 60_000}, "task": {}}),
    )
    .await;
    let long = created["result"]["task"]["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancelled = call(9, "tasks/cancel", json!({"taskId": long})).await;
    assert_eq!(cancelled["result"]["status"], "cancelled", "{cancelled}");
    // A sync-only call with params.task is refused; the job without it runs at once.
    let forbidden = call(
        10,
        "tools/call",
        json!({"name": "add", "arguments": {"a": 1, "b": 1}, "task": {}}),
    )
    .await;
    assert_eq!(forbidden["error"]["code"], -32601);
    let plain = call(
        11,
        "tools/call",
        json!({"name": "job", "arguments": {"delay_ms": 0}}),
    )
    .await;
    assert_eq!(plain["result"]["content"][0]["text"], "job done after 0 ms");
}
