//! The peer engine over an in-memory transport: one side is a real `Peer`, the other either
//! another `Peer` or raw frames written by the test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use spate::engine::{
    Handler, Peer, PeerConfig, PeerError, PeerHandle, ProgressUpdate, RequestContext,
    RequestOptions,
};
use spate::engine::{InboundFrame, Transport};
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::{ErrorObject, Notification, Request};

/// Test handler: `echo` returns its params, `slow` waits until cancelled (recording that it
/// saw the cancellation), `boom` panics, `progress` sends progress then answers.
#[derive(Default)]
struct TestHandler {
    saw_cancel: Arc<Mutex<bool>>,
    notes: Arc<Mutex<Vec<String>>>,
}

impl Handler for TestHandler {
    fn on_request(
        &self,
        request: Request,
        ctx: RequestContext,
    ) -> BoxFuture<'static, Result<Box<RawValue>, ErrorObject>> {
        let saw_cancel = self.saw_cancel.clone();
        Box::pin(async move {
            match request.method.as_str() {
                "echo" => Ok(request.params.unwrap_or_else(|| to_raw(&json!({})))),
                "slow" => {
                    tokio::select! {
                        () = ctx.cancel.cancelled() => { *saw_cancel.lock().unwrap() = true; }
                        () = tokio::time::sleep(Duration::from_secs(30)) => {}
                    }
                    Ok(to_raw(&json!({"late": true})))
                }
                "boom" => panic!("handler exploded"),
                "progress" => {
                    let params: Value = request.parse_params()?;
                    let token = params["_meta"]["progressToken"].clone();
                    for p in [1.0, 1.0, 0.5, 2.0, 3.0] {
                        ctx.peer
                            .notify_related(
                                &ctx.id,
                                "notifications/progress",
                                &json!({"progressToken": token, "progress": p, "total": 3.0}),
                            )
                            .await
                            .map_err(|e| e.to_error_object())?;
                        tokio::time::sleep(Duration::from_millis(40)).await;
                    }
                    Ok(to_raw(&json!({"done": true})))
                }
                other => Err(ErrorObject::method_not_found(other)),
            }
        })
    }

    fn on_notification(
        &self,
        notification: Notification,
        _peer: &PeerHandle,
    ) -> BoxFuture<'static, ()> {
        self.notes.lock().unwrap().push(notification.method);
        Box::pin(async {})
    }
}

fn pair(config: PeerConfig) -> (PeerHandle, PeerHandle, Arc<TestHandler>) {
    let (a, b) = Transport::pair(16);
    let server_handler = Arc::new(TestHandler::default());
    let server = Peer::spawn(a, server_handler.clone(), config.clone());
    let client = Peer::spawn(b, Arc::new(TestHandler::default()), config);
    (client.handle, server.handle, server_handler)
}

/// A peer whose other side is raw frames: returns the peer's handle, the sender of raw lines
/// into it and the receiver of what it writes.
fn raw(
    config: PeerConfig,
) -> (
    PeerHandle,
    tokio::sync::mpsc::Sender<InboundFrame>,
    tokio::sync::mpsc::Receiver<spate::engine::OutboundFrame>,
    Arc<TestHandler>,
) {
    let (in_tx, inbound) = tokio::sync::mpsc::channel(16);
    let (outbound, out_rx) = tokio::sync::mpsc::channel(16);
    let handler = Arc::new(TestHandler::default());
    let peer = Peer::spawn(Transport { inbound, outbound }, handler.clone(), config);
    (peer.handle, in_tx, out_rx, handler)
}

/// The next message frame (transport instructions, such as the end of a cancelled
/// request's stream, are skipped).
async fn next_json(rx: &mut tokio::sync::mpsc::Receiver<spate::engine::OutboundFrame>) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("no frame in time")
            .expect("closed");
        if frame.is_message() {
            return serde_json::from_slice(&frame.bytes).unwrap();
        }
    }
}

#[tokio::test]
async fn request_and_response_travel_between_two_engines() {
    let (client, _server, _) = pair(PeerConfig::default());
    let result = client
        .request("echo", &json!({"x": [1, 2]}), RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(result.get()).unwrap(),
        json!({"x": [1, 2]})
    );
    let err = client
        .request("nope", &json!({}), RequestOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PeerError::Remote(ref e) if e.code == -32601),
        "{err:?}"
    );
    assert_eq!(client.pending_count(), 0);
}

#[tokio::test]
async fn progress_is_routed_by_token_and_non_increasing_values_dropped() {
    let (client, _server, _) = pair(PeerConfig::default());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = RequestOptions {
        progress: Some(Arc::new(move |u: ProgressUpdate| {
            sink.lock().unwrap().push(u.progress)
        })),
        ..Default::default()
    };
    client
        .request("progress", &json!({}), options)
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![1.0, 2.0, 3.0]);
}

#[tokio::test]
async fn progress_resets_the_timeout_but_the_maximum_still_holds() {
    let config = {
        let mut config = PeerConfig::default();
        config.request_timeout = Duration::from_millis(150);
        config.max_request_timeout = Duration::from_secs(5);
        config
    };
    let (client, _server, _) = pair(config.clone());
    // 5 progress steps 40 ms apart (two of them dropped as non-increasing): 200 ms in all,
    // the longest gap between accepted steps 120 ms, under the 150 ms idle timeout.
    let options = RequestOptions {
        progress: Some(Arc::new(|_| {})),
        ..Default::default()
    };
    client
        .request("progress", &json!({}), options)
        .await
        .expect("progress should keep it alive");
    // Without progress the same call outlives the idle timeout.
    let err = client
        .request("progress", &json!({}), RequestOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PeerError::Timeout(_)), "{err:?}");
    // And the hard maximum wins over progress.
    let strict = {
        let mut config = PeerConfig::default();
        config.request_timeout = Duration::from_millis(100);
        config.max_request_timeout = Duration::from_millis(120);
        config
    };
    let (client, _server, _) = pair(strict);
    let options = RequestOptions {
        progress: Some(Arc::new(|_| {})),
        ..Default::default()
    };
    let err = client
        .request("progress", &json!({}), options)
        .await
        .unwrap_err();
    assert!(matches!(err, PeerError::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn a_timeout_cancels_the_request_at_the_peer() {
    let config = {
        let mut config = PeerConfig::default();
        config.request_timeout = Duration::from_millis(50);
        config
    };
    let (client, server, handler) = pair(config);
    let err = client
        .request("slow", &json!({}), RequestOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PeerError::Timeout(_)));
    for _ in 0..100 {
        if *handler.saw_cancel.lock().unwrap() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        *handler.saw_cancel.lock().unwrap(),
        "handler never saw the cancellation"
    );
    assert_eq!(server.in_flight_count(), 0);
}

#[tokio::test]
async fn a_cancelled_request_gets_no_response_and_a_caller_cancel_is_sent() {
    let (_peer, input, mut output, handler) = raw(PeerConfig::default());
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":9,"method":"slow"}"#.to_vec(),
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}"#
                .to_vec(),
        ))
        .await
        .unwrap();
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":10,"method":"echo","params":{"n":10}}"#.to_vec(),
        ))
        .await
        .unwrap();
    // Two frames, in either order: the answer to 10, and the end of 9's stream (no answer).
    let mut ended = false;
    for _ in 0..2 {
        let frame = tokio::time::timeout(Duration::from_secs(5), output.recv())
            .await
            .unwrap()
            .unwrap();
        if frame.is_message() {
            let reply: Value = serde_json::from_slice(&frame.bytes).unwrap();
            assert_eq!(
                reply["id"], 10,
                "the cancelled request must not be answered: {reply}"
            );
        } else {
            assert_eq!(
                frame.route,
                spate::engine::Route::Abandoned(spate_protocol::RequestId::Number(9))
            );
            ended = true;
        }
    }
    assert!(ended, "the cancelled request's stream is told to end");
    assert!(*handler.saw_cancel.lock().unwrap());

    let (client, _server, _) = pair(PeerConfig::default());
    let token = tokio_util::sync::CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        cancel.cancel();
    });
    let err = client
        .request(
            "slow",
            &json!({}),
            RequestOptions {
                cancel: Some(token),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, PeerError::Cancelled));
}

#[tokio::test]
async fn a_panicking_handler_answers_internal_error_and_serving_goes_on() {
    let (_peer, input, mut output, _) = raw(PeerConfig::default());
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":1,"method":"boom"}"#.to_vec(),
        ))
        .await
        .unwrap();
    let reply = next_json(&mut output).await;
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["error"]["code"], -32603);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("handler exploded")
    );
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#.to_vec(),
        ))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut output).await,
        json!({"jsonrpc": "2.0", "id": 2, "result": {}})
    );
}

#[tokio::test]
async fn bad_frames_and_limits_are_answered() {
    let config = {
        let mut config = PeerConfig::default();
        config.max_in_flight = 1;
        config
    };
    let (_peer, input, mut output, handler) = raw(config);
    input
        .send(InboundFrame::Bytes(b"{oops".to_vec()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut output).await["error"]["code"], -32700);
    input
        .send(InboundFrame::TooLarge { limit: 10 })
        .await
        .unwrap();
    let reply = next_json(&mut output).await;
    assert_eq!(reply["error"]["code"], -32600);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10 bytes")
    );
    input
        .send(InboundFrame::Bytes(
            br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#.to_vec(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut output).await["error"]["code"], -32600);
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":1,"method":"slow"}"#.to_vec(),
        ))
        .await
        .unwrap();
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":2,"method":"echo"}"#.to_vec(),
        ))
        .await
        .unwrap();
    let reply = next_json(&mut output).await;
    assert_eq!(reply["id"], 2);
    assert_eq!(reply["error"]["code"], -32000, "{reply}");
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","method":"notifications/other"}"#.to_vec(),
        ))
        .await
        .unwrap();
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#
                .to_vec(),
        ))
        .await
        .unwrap();
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":3,"method":"echo"}"#.to_vec(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut output).await["id"], 3);
    assert_eq!(
        *handler.notes.lock().unwrap(),
        vec!["notifications/other".to_owned()]
    );
}

#[tokio::test]
async fn shutdown_lets_handlers_answer_then_fails_what_is_pending() {
    let (peer, input, mut output, _) = raw({
        let mut config = PeerConfig::default();
        config.shutdown_grace = Duration::from_millis(200);
        config
    });
    let waiting = {
        let peer = peer.clone();
        tokio::spawn(async move {
            peer.request("anything", &json!({}), RequestOptions::default())
                .await
        })
    };
    let sent = next_json(&mut output).await;
    assert_eq!(sent["method"], "anything");
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":5,"method":"echo","params":{}}"#.to_vec(),
        ))
        .await
        .unwrap();
    drop(input); // the other side goes away
    assert_eq!(
        next_json(&mut output).await["id"],
        5,
        "a handler running at shutdown still answers"
    );
    assert!(matches!(waiting.await.unwrap(), Err(PeerError::Closed)));
    tokio::time::timeout(Duration::from_secs(2), peer.closed())
        .await
        .unwrap();
    assert!(matches!(
        peer.request("x", &json!({}), RequestOptions::default())
            .await,
        Err(PeerError::Closed)
    ));
}

#[tokio::test]
async fn frames_carry_the_route_of_their_exchange() {
    use spate::engine::Route;
    let (peer, input, mut output, _) = raw(PeerConfig::default());
    input
        .send(InboundFrame::Bytes(
            br#"{"jsonrpc":"2.0","id":"r1","method":"progress","params":{"_meta":{"progressToken":1}}}"#.to_vec(),
        ))
        .await
        .unwrap();
    let id = spate_protocol::RequestId::from("r1");
    let mut routes = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), output.recv())
            .await
            .unwrap()
            .unwrap();
        let done = frame.route == Route::Response(id.clone());
        routes.push(frame.route);
        if done {
            break;
        }
    }
    assert_eq!(
        routes.len(),
        6,
        "five progress notifications, then the response"
    );
    assert!(
        routes[..5].iter().all(|r| *r == Route::Request(id.clone())),
        "{routes:?}"
    );
    peer.notify("notifications/other", &json!({}))
        .await
        .unwrap();
    let frame = output.recv().await.unwrap();
    assert_eq!(frame.route, Route::Standalone);
}
