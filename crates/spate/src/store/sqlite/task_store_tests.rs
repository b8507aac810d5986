use std::sync::Arc;

use serde_json::json;
use spate_protocol::Task;

use super::*;
use crate::store::sqlite::testing::{TempDir, refuse_writes};

fn record(id: &str, owner: Option<&str>, expires_at_ms: Option<u64>) -> TaskRecord {
    TaskRecord {
        task: Task::working(id, iso8601(1)),
        owner: owner.map(str::to_owned),
        expires_at_ms,
        responses: Default::default(),
    }
}

fn complete(result: serde_json::Value) -> TaskChange {
    Arc::new(move |r: &mut TaskRecord| {
        r.task.status = TaskStatus::Completed;
        r.task.result = result.as_object().cloned();
    })
}

#[tokio::test]
async fn a_finished_task_survives_and_an_interrupted_one_reads_failed() {
    let dir = TempDir::new();
    let db = dir.open();
    let store = SqliteTaskStore::open(&db, 10).await.unwrap();
    assert_eq!(store.interrupted(), 0);
    store.create(record("done", None, None)).await.unwrap();
    store.create(record("running", None, None)).await.unwrap();
    store
        .create(record("asking", Some("s1"), None))
        .await
        .unwrap();
    let result = json!({"content": [{"type": "text", "text": "42"}], "isError": false});
    let after = store
        .update("done", complete(result.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.task.status, TaskStatus::Completed);
    store
        .update(
            "asking",
            Arc::new(|r: &mut TaskRecord| {
                r.task.status = TaskStatus::InputRequired;
                r.responses.insert("k".into(), json!(1));
            }),
        )
        .await
        .unwrap();
    drop(store);
    drop(db);

    let db = dir.open();
    let store = SqliteTaskStore::open(&db, 10).await.unwrap();
    assert_eq!(store.interrupted(), 2);
    let done = store.get("done").await.unwrap().unwrap();
    assert_eq!(done.task.status, TaskStatus::Completed);
    assert_eq!(Some(result.as_object().unwrap()), done.task.result.as_ref());
    for id in ["running", "asking"] {
        let task = store.get(id).await.unwrap().unwrap().task;
        assert_eq!(task.status, TaskStatus::Failed, "{id}");
        assert_eq!(task.status_message.as_deref(), Some(INTERRUPTED));
        assert!(task.error.unwrap().message.contains("restarted"));
        assert!(task.input_requests.is_none());
    }
    // A failed task is finished: the next open leaves it as it is.
    drop(store);
    let store = SqliteTaskStore::open(&db, 10).await.unwrap();
    assert_eq!(store.interrupted(), 0);
    let owned = store.list(Some("s1"), 0, 10).await.unwrap();
    assert_eq!(owned.len(), 1);
    assert!(owned[0].responses.is_empty());
}

#[tokio::test]
async fn listing_expiry_capacity_and_sweeping() {
    let dir = TempDir::new();
    let db = dir.open();
    let store = SqliteTaskStore::open(&db, 4).await.unwrap();
    store.create(record("a", None, None)).await.unwrap();
    store.create(record("b", Some("s"), None)).await.unwrap();
    store.create(record("c", None, Some(1))).await.unwrap(); // long expired
    store
        .create(record("d", None, Some(u64::MAX)))
        .await
        .unwrap();
    assert!(matches!(
        store.create(record("e", None, None)).await,
        Err(TaskStoreError::Full(4))
    ));
    let ids = |records: Vec<TaskRecord>| -> Vec<String> {
        records.into_iter().map(|r| r.task.task_id).collect()
    };
    assert_eq!(ids(store.list(None, 0, 10).await.unwrap()), ["a", "d"]);
    assert_eq!(ids(store.list(None, 1, 1).await.unwrap()), ["d"]);
    assert_eq!(ids(store.list(Some("s"), 0, 10).await.unwrap()), ["b"]);
    assert!(
        store.get("c").await.unwrap().is_none(),
        "expired is invisible"
    );
    assert!(
        store
            .update("c", complete(json!({})))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .update("zz", complete(json!({})))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.sweep(now_ms()).await.unwrap(), 1);
    store.create(record("e", None, None)).await.unwrap();
    // A duplicate id is the backend's error, not a panic.
    assert!(matches!(
        store.create(record("e", None, None)).await,
        Err(TaskStoreError::Full(_) | TaskStoreError::Backend(_))
    ));
}

#[tokio::test]
async fn a_failing_write_is_the_stores_error() {
    let dir = TempDir::new();
    let db = dir.open();
    let store = SqliteTaskStore::open(&db, 10).await.unwrap();
    store.create(record("a", None, None)).await.unwrap();
    refuse_writes(&db, true).await;
    let e = store.create(record("b", None, None)).await.unwrap_err();
    assert!(
        matches!(&e, TaskStoreError::Backend(m) if m.contains("spate.db")),
        "{e}"
    );
    assert!(store.update("a", complete(json!({}))).await.is_err());
    assert!(store.sweep(u64::MAX).await.is_err());
    let a = store.get("a").await.unwrap().unwrap();
    assert_eq!(
        a.task.status,
        TaskStatus::Working,
        "the failed update left nothing"
    );
    refuse_writes(&db, false).await;
    assert!(
        store
            .update("a", complete(json!({})))
            .await
            .unwrap()
            .is_some()
    );
}
