//! `spate serve --stdio` as a real child process, spoken to line by line: the happy path and
//! every kind of bad input, each followed by a request that must still be served.

use std::time::Duration;

use serde_json::{Value, json};

use crate::stdio_support::Server;

#[tokio::test]
async fn calculate_and_process_files_over_stdio() {
    let mut s = Server::start(&[]).await;
    s.initialize().await;
    s.send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "calculate", "arguments": {"a": 10, "b": 20}}})).await;
    let (r, _) = s.response(1).await;
    assert_eq!(r["result"]["content"][0]["text"], "Result: 30", "{r}");
    assert_eq!(r["result"]["structuredContent"], json!({"result": 30.0}));
    s.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "process_files",
        "arguments": {"files": ["a", "b", "c"]}, "_meta": {"progressToken": "p1"}}})).await;
    let (r, notes) = s.response(2).await;
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Done"),
        "{r}"
    );
    let progress: Vec<f64> = notes
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .map(|n| {
            assert_eq!(n["params"]["progressToken"], "p1");
            n["params"]["progress"].as_f64().unwrap()
        })
        .collect();
    assert_eq!(progress, [1.0, 2.0, 3.0]);
    let logs: Vec<&str> = notes
        .iter()
        .filter(|n| n["method"] == "notifications/message")
        .map(|n| n["params"]["data"].as_str().unwrap())
        .collect();
    assert_eq!(
        logs,
        [
            "Processing document 1/3",
            "Processing document 2/3",
            "Processing document 3/3"
        ]
    );
    // A log level above info silences the logs, progress still flows.
    s.send(json!({"jsonrpc": "2.0", "id": 3, "method": "logging/setLevel", "params": {"level": "warning"}})).await;
    s.response(3).await;
    s.send(json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "process_files",
        "arguments": {"files": ["a"]}, "_meta": {"progressToken": 7}}})).await;
    let (_, notes) = s.response(4).await;
    assert!(
        notes.iter().all(|n| n["method"] != "notifications/message"),
        "{notes:?}"
    );
    assert_eq!(
        notes
            .iter()
            .filter(|n| n["method"] == "notifications/progress")
            .count(),
        1
    );
}

#[tokio::test]
async fn bad_input_gets_precise_errors_and_serving_continues() {
    let mut s = Server::start(&["--max-message-size", "4096"]).await;
    s.initialize().await;

    s.send_raw(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ")
        .await;
    let r = s.recv().await;
    assert_eq!(r["error"]["code"], -32700, "{r}");
    assert_eq!(r["id"], Value::Null);
    s.still_serving(100).await;

    s.send(json!({"jsonrpc": "2.0", "id": 2, "method": "no/such/method"}))
        .await;
    let (r, _) = s.response(2).await;
    assert_eq!(r["error"]["code"], -32601, "{r}");
    s.still_serving(101).await;

    s.send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"arguments": {}}}))
        .await;
    let (r, _) = s.response(3).await;
    assert_eq!(r["error"]["code"], -32602, "missing tool name: {r}");
    s.send(json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "nope"}}))
        .await;
    let (r, _) = s.response(4).await;
    assert_eq!(r["error"]["code"], -32602, "unknown tool: {r}");
    s.send(json!({"jsonrpc": "2.0", "id": 5, "method": "prompts/get", "params": {"name": "summarize"}})).await;
    let (r, _) = s.response(5).await;
    assert_eq!(
        r["error"]["code"], -32602,
        "missing required prompt argument: {r}"
    );
    s.send(
        json!({"jsonrpc": "2.0", "id": 6, "method": "tools/list", "params": {"cursor": "forged"}}),
    )
    .await;
    let (r, _) = s.response(6).await;
    assert_eq!(r["error"]["code"], -32602, "forged cursor: {r}");
    // Invalid tool arguments are a tool error the model can see (SEP-1303), not a protocol error.
    s.send(json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "calculate", "arguments": {"a": "ten"}}})).await;
    let (r, _) = s.response(7).await;
    assert_eq!(r["result"]["isError"], true, "{r}");
    s.still_serving(102).await;

    let long = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\",\"params\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(10_000)
    );
    s.send_raw(long.as_bytes()).await;
    let r = s.recv().await;
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("4096"),
        "{r}"
    );
    s.still_serving(103).await;

    for (i, hostile) in [
        &b"[]"[..],
        b"42",
        b"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
        b"\xff\xfe",
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":7}",
    ]
    .into_iter()
    .enumerate()
    {
        s.send_raw(hostile).await;
        let r = s.recv().await;
        assert!(
            r["error"]["code"] == -32600 || r["error"]["code"] == -32700,
            "{i}: {r}"
        );
        s.still_serving(200 + i as i64).await;
    }
    // Batches are refused outside 2025-03-26.
    s.send_raw(br#"[{"jsonrpc":"2.0","id":9,"method":"ping"}]"#)
        .await;
    assert_eq!(s.recv().await["error"]["code"], -32600);
    s.still_serving(104).await;

    drop(s.stdin);
    let status = tokio::time::timeout(Duration::from_secs(10), s.child.wait())
        .await
        .expect("exit on stdin EOF")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn requests_before_initialize_are_refused_and_2025_03_26_batches_work() {
    let mut s = Server::start(&[]).await;
    s.send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .await;
    let (r, _) = s.response(1).await;
    assert_eq!(r["error"]["code"], -32600, "{r}");
    s.still_serving(2).await; // ping is allowed before initialize
    s.send(json!({"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "old", "version": "0"}}})).await;
    let (r, _) = s.response(3).await;
    assert_eq!(r["result"]["protocolVersion"], "2025-03-26");
    s.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    s.send_raw(br#"[{"jsonrpc":"2.0","id":4,"method":"ping"},{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"calculate","arguments":{"a":1,"b":2}}},{"jsonrpc":"2.0","method":"notifications/x"}]"#).await;
    let batch = s.recv().await;
    let answers = batch
        .as_array()
        .unwrap_or_else(|| panic!("expected a batch answer: {batch}"));
    assert_eq!(answers.len(), 2);
    let text =
        answers.iter().find(|a| a["id"] == 5).unwrap()["result"]["content"][0]["text"].clone();
    assert_eq!(text, "Result: 3");
    // 2025-03-26 has no structuredContent: the output is shaped for the negotiated version.
    assert!(
        answers.iter().find(|a| a["id"] == 5).unwrap()["result"]
            .get("structuredContent")
            .is_none()
    );
}

#[tokio::test]
async fn sampling_and_elicitation_round_trips_over_stdio() {
    let mut s = Server::start(&[]).await;
    s.send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {"sampling": {}, "elicitation": {"form": {}}},
        "clientInfo": {"name": "test", "version": "0"}}}))
        .await;
    s.response(0).await;
    s.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;

    s.send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "ask_model", "arguments": {"prompt": "hi"}}})).await;
    let ask = s.recv().await;
    assert_eq!(ask["method"], "sampling/createMessage", "{ask}");
    assert_eq!(ask["params"]["messages"][0]["content"]["text"], "hi");
    s.send(json!({"jsonrpc": "2.0", "id": ask["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "hello back"}, "model": "m1"}}))
        .await;
    let (r, _) = s.response(1).await;
    assert_eq!(
        r["result"]["content"][0]["text"], "Model (m1) said: hello back",
        "{r}"
    );

    s.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "confirm_action", "arguments": {"action": "deploy"}}})).await;
    let ask = s.recv().await;
    assert_eq!(ask["method"], "elicitation/create", "{ask}");
    assert_eq!(
        ask["params"]["requestedSchema"]["properties"]["confirm"]["type"],
        "boolean"
    );
    s.send(json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "accept", "content": {"confirm": true}}})).await;
    let (r, _) = s.response(2).await;
    assert_eq!(
        r["result"]["content"][0]["text"], "User accept: {\"confirm\":true}",
        "{r}"
    );

    // A client error answer to the server's request becomes a tool error the model can read.
    s.send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "ask_model", "arguments": {"prompt": "x"}}})).await;
    let ask = s.recv().await;
    s.send(json!({"jsonrpc": "2.0", "id": ask["id"], "error": {"code": -1, "message": "User rejected sampling request"}})).await;
    let (r, _) = s.response(3).await;
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("rejected")
    );
}
