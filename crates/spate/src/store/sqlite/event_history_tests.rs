use serde_json::json;

use super::*;
use crate::store::sqlite::testing::{TempDir, refuse_writes};

async fn events(history: &SqliteEventHistory, name: &str) -> Vec<(u64, String)> {
    history
        .read_after(name, 0, 1000)
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| (e.seq, e.event_id))
        .collect()
}

#[tokio::test]
async fn positions_epoch_and_events_survive_a_reopen() {
    let dir = TempDir::new();
    let db = dir.open();
    let history = SqliteEventHistory::open(&db, 3).await.unwrap();
    let epoch = history.epoch().to_owned();
    assert_eq!(epoch.len(), 16);
    for i in 1..=5u64 {
        let e = history
            .append("t", format!("e{i}"), i, json!({"i": i}))
            .await
            .unwrap();
        assert_eq!(e.seq, i);
    }
    let again = history
        .append("t", "e5".into(), 99, json!({"other": true}))
        .await
        .unwrap();
    assert_eq!(
        (again.seq, again.timestamp_ms, &*again.data),
        (5, 5, &json!({"i": 5})),
        "a kept id is the kept event"
    );
    // e1 was trimmed, so its id is free again: a new event.
    let e1 = history
        .append("t", "e1".into(), 6, json!({}))
        .await
        .unwrap();
    assert_eq!(e1.seq, 6);
    drop(history);
    drop(db);

    let db = dir.open();
    let history = SqliteEventHistory::open(&db, 3).await.unwrap();
    assert_eq!(history.epoch(), epoch, "the epoch is the database's");
    let read = history.read_after("t", 0, 10).await.unwrap();
    assert_eq!((read.first_seq, read.last_seq), (4, 6));
    assert_eq!(
        events(&history, "t").await,
        [(4, "e4".into()), (5, "e5".into()), (6, "e1".into())]
    );
    assert_eq!(*read.events[0].data, json!({"i": 4}));
    let next = history
        .append("t", "e7".into(), 7, json!({}))
        .await
        .unwrap();
    assert_eq!(next.seq, 7, "numbering goes on where it was");
    let page = history.read_after("t", 5, 1).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].seq, 6);
    let none = history.read_after("unknown", 0, 10).await.unwrap();
    assert_eq!(
        (none.first_seq, none.last_seq, none.events.len()),
        (1, 0, 0)
    );
}

#[tokio::test]
async fn age_and_byte_bounds_trim_the_oldest_but_never_the_newest() {
    let dir = TempDir::new();
    let db = dir.open();
    let retention = HistoryRetention::events(100).with_max_bytes(250);
    let history = SqliteEventHistory::open_with(&db, retention).await.unwrap();
    let pad = "x".repeat(90); // each payload is 100 bytes of JSON
    for i in 1..=5u64 {
        history
            .append("b", format!("b{i}"), i, json!({ "p": pad }))
            .await
            .unwrap();
    }
    let read = history.read_after("b", 0, 10).await.unwrap();
    assert_eq!(
        (read.first_seq, read.last_seq),
        (4, 5),
        "two fit in 250 bytes"
    );
    // A payload bigger than the bound on its own is still kept, alone.
    history
        .append("b", "big".into(), 6, json!({ "p": "y".repeat(1000) }))
        .await
        .unwrap();
    assert_eq!(events(&history, "b").await, [(6, "big".into())]);

    let now = crate::store::now_ms();
    let aged = SqliteEventHistory::open_with(
        &db,
        HistoryRetention::events(100).with_max_age(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    aged.append("a", "old1".into(), now - 120_000, json!({}))
        .await
        .unwrap();
    aged.append("a", "old2".into(), now - 90_000, json!({}))
        .await
        .unwrap();
    aged.append("a", "new".into(), now, json!({}))
        .await
        .unwrap();
    assert_eq!(events(&aged, "a").await, [(3, "new".into())]);
}

#[tokio::test]
async fn a_failing_write_is_an_error_and_nothing_half_written_is_read() {
    let dir = TempDir::new();
    let db = dir.open();
    let history = SqliteEventHistory::open(&db, 10).await.unwrap();
    history.append("t", "a".into(), 1, json!({})).await.unwrap();
    refuse_writes(&db, true).await;
    let e = history
        .append("t", "b".into(), 2, json!({}))
        .await
        .unwrap_err();
    assert!(e.0.contains("spate.db"), "names the file: {e}");
    refuse_writes(&db, false).await;
    let read = history.read_after("t", 0, 10).await.unwrap();
    assert_eq!(read.last_seq, 1, "the failed append left nothing");
    let b = history.append("t", "b".into(), 2, json!({})).await.unwrap();
    assert_eq!(b.seq, 2);

    // Hostile names, ids and payloads are data, nothing more.
    let name = "x'); DROP TABLE event_history; --\u{0}é";
    let big = json!({ "blob": "z".repeat(2 << 20), "nested": [[[[{"k": null}]]]] });
    let e = history
        .append(name, "\u{1F600}".into(), u64::MAX, big.clone())
        .await
        .unwrap();
    let read = history.read_after(name, 0, 10).await.unwrap();
    assert_eq!(read.events[0].seq, e.seq);
    assert_eq!(*read.events[0].data, big);
    assert_eq!(read.events[0].timestamp_ms, i64::MAX as u64);
    let huge = history.read_after("t", u64::MAX, usize::MAX).await.unwrap();
    assert!(huge.events.is_empty());
}

#[tokio::test]
async fn a_waiter_wakes_after_the_commit_of_the_next_event() {
    let dir = TempDir::new();
    let db = dir.open();
    let history = Arc::new(SqliteEventHistory::open(&db, 10).await.unwrap());
    history.append("t", "a".into(), 1, json!({})).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), history.wait_after("t", 0))
        .await
        .expect("an event is there already");
    let waiter = {
        let history = history.clone();
        tokio::spawn(async move {
            history.wait_after("t", 1).await;
            history.read_after("t", 1, 10).await.unwrap().events.len()
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished());
    history.append("t", "b".into(), 2, json!({})).await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("woken")
        .unwrap();
    assert_eq!(seen, 1, "what woke it is readable");
}
