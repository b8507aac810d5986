//! Tests of the SQLite event log: the memory log's behaviour, plus what only a database has
//! (surviving a reopen, byte limits, batched sweeps).

use super::*;

fn dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spate-log-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ev(text: &str, last: bool) -> NewEvent {
    NewEvent {
        data: Bytes::from(text.to_owned()),
        last,
        disconnect: false,
    }
}

async fn open(dir: &std::path::Path, retention: Retention) -> SqliteEventLog {
    let db = Database::open_dir(dir, super::super::Durability::Normal).unwrap();
    SqliteEventLog::open(db, retention).await.unwrap()
}

#[tokio::test]
async fn append_read_wait_and_survive_a_reopen() {
    let dir = dir();
    let log = Arc::new(open(&dir, Retention::default()).await);
    assert!(!log.read_after("s", 0, 10).await.unwrap().known);
    let last = log
        .append("s", vec![ev("a", false), ev("b", false)])
        .await
        .unwrap();
    assert_eq!(last, 2);
    let batch = log.read_after("s", 1, 10).await.unwrap();
    assert_eq!(batch.events.len(), 1);
    assert_eq!(batch.events[0].data, "b");
    assert_eq!(batch.last_seq, 2);
    let appender = {
        let log = log.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            log.append("s", vec![ev("c", true)]).await.unwrap();
        })
    };
    tokio::time::timeout(Duration::from_secs(5), log.wait_after("s", 2))
        .await
        .expect("the append wakes the waiter");
    appender.await.unwrap();
    // Many streams at once share commits, each numbered on its own.
    let keys: Vec<String> = (0..300).map(|i| format!("f{i}.1")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    log.append_each(&refs, ev("fan", false)).await.unwrap();
    drop(log);

    let log = open(&dir, Retention::default()).await;
    let batch = log.read_after("s", 0, 10).await.unwrap();
    let data: Vec<_> = batch.events.iter().map(|e| e.data.clone()).collect();
    assert_eq!(data, ["a", "b", "c"]);
    assert!(batch.events[2].last);
    assert_eq!(log.read_after("f299.1", 0, 10).await.unwrap().last_seq, 1);
    // Numbering goes on after the reopen.
    assert_eq!(log.append("s", vec![ev("d", false)]).await.unwrap(), 4);
    assert_eq!(log.keys_with_prefix("f29").await.unwrap().len(), 11);
    log.remove_prefix("f").await;
    assert_eq!(log.totals().await.unwrap().0, 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn retention_by_count_bytes_and_streams_reports_gaps() {
    let dir = dir();
    let log = open(
        &dir,
        Retention {
            max_events: 3,
            max_streams: 2,
            max_stream_bytes: 1000,
            max_total_bytes: 10_000,
            ..Default::default()
        },
    )
    .await;
    for i in 0..10 {
        log.append("s", vec![ev(&i.to_string(), false)])
            .await
            .unwrap();
    }
    let batch = log.read_after("s", 0, 100).await.unwrap();
    let seqs: Vec<_> = batch.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [8, 9, 10]);
    assert_eq!(batch.dropped, 7);
    assert_eq!(log.read_after("s", 7, 100).await.unwrap().dropped, 0);
    // Bytes: two 600-byte events do not fit in 1000.
    let big = "x".repeat(600);
    log.append("b", vec![ev(&big, false), ev(&big, false)])
        .await
        .unwrap();
    let batch = log.read_after("b", 0, 10).await.unwrap();
    assert_eq!(batch.events.len(), 1);
    assert_eq!(batch.dropped, 1);
    // A third stream evicts the finished one first, else the oldest.
    log.append("b", vec![ev("end", true)]).await.unwrap();
    log.append("c", vec![ev("x", false)]).await.unwrap();
    assert!(!log.read_after("b", 0, 1).await.unwrap().known);
    assert!(log.read_after("s", 0, 1).await.unwrap().known);
    let (streams, bytes) = log.totals().await.unwrap();
    assert_eq!(streams, 2);
    assert_eq!(bytes, 4);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_sweep_drops_old_events_and_finished_streams_and_wakes_waiters() {
    let dir = dir();
    let log = Arc::new(
        open(
            &dir,
            Retention {
                max_age: Duration::ZERO,
                completed_grace: Duration::ZERO,
                ..Default::default()
            },
        )
        .await,
    );
    for i in 0..200 {
        log.append(&format!("done{i}"), vec![ev("x", true)])
            .await
            .unwrap();
    }
    log.append("live", vec![ev("x", false)]).await.unwrap();
    let waiter = {
        let log = log.clone();
        tokio::spawn(async move { log.wait_after("done7", 1).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    log.sweep().await;
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("removing a stream wakes its waiter")
        .unwrap();
    let (streams, bytes) = log.totals().await.unwrap();
    assert_eq!((streams, bytes), (1, 0));
    let live = log.read_after("live", 0, 10).await.unwrap();
    assert!(live.known && live.events.is_empty());
    assert_eq!(live.dropped, 1);
    std::fs::remove_dir_all(dir).unwrap();
}
