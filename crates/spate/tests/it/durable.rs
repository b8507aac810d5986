//! Durable state on SQLite across a restart, in one test process: a server runs on its own
//! tokio runtime over a database, the runtime is shut down mid-work (every task of the
//! server, deliveries in flight included, is dropped where it stands, as a killed process
//! would leave them), and a new server is built on the same data directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spate::events::webhook_signature::WebhookSecret;
use spate::server::ServerConfig;
use spate::store::event_history::EventHistory;
use spate::store::sqlite::{
    Database, Durability, SqliteEventHistory, SqliteTaskStore, SqliteWebhookSubscriptions,
};
use spate::transport::http::server::HttpConfig;
use tokio::runtime::Runtime;

use crate::http_support::{start_with, test_server_with};
use crate::tasks_http::{job, modern_get, modern_until, with_tasks};
use crate::webhooks::{call, emit, numbers, receiver, serve, subscribe_params};

/// A runtime standing for one server process.
fn process() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Ends a "process": every task it runs is dropped where it stands.
fn kill(process: Runtime) {
    process.shutdown_timeout(Duration::from_secs(10));
}

struct DataDir(PathBuf);

impl DataDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("spate-durable-{}", rand::random::<u64>()));
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Events 0..N are emitted while the first server delivers them; it is killed once about a
/// third have arrived; a new server on the same database resumes the subscription, and
/// events emitted after the restart follow.
#[test]
fn webhook_delivery_resumes_from_its_watermark_after_a_restart() {
    const BEFORE: u64 = 300;
    const AFTER: u64 = 100;
    let dir = DataDir::new();
    let receiving = process();
    let secret = WebhookSecret::generate();
    let (url, r) = receiving.block_on(receiver(&secret));
    // Each delivery takes a moment, so some are in flight when the server dies.
    *r.delay.lock().unwrap() = Duration::from_millis(2);

    let first = process();
    let epoch = first.block_on(async {
        let db = Database::open_dir(dir.path(), Durability::Normal).unwrap();
        let history = Arc::new(SqliteEventHistory::open(&db, 20_000).await.unwrap());
        let store = Arc::new(SqliteWebhookSubscriptions::open(&db).await.unwrap());
        let epoch = history.epoch().to_owned();
        let (client, handle, _running) = serve(false, |config: &mut ServerConfig| {
            config.events.history = history;
            config.events.webhooks.store = store;
        })
        .await;
        call(&client, "events/subscribe", subscribe_params(&url, &secret))
            .await
            .unwrap();
        emit(&handle, 0..BEFORE).await;
        r.wait_for(
            usize::try_from(BEFORE / 3).unwrap(),
            Duration::from_secs(30),
        )
        .await;
        epoch
    });
    kill(first);
    let delivered_before = r.events().len();
    assert!(
        delivered_before < usize::try_from(BEFORE).unwrap(),
        "the restart came mid-stream ({delivered_before} delivered)"
    );

    let second = process();
    second.block_on(async {
        let db = Database::open_dir(dir.path(), Durability::Normal).unwrap();
        let history = Arc::new(SqliteEventHistory::open(&db, 20_000).await.unwrap());
        assert_eq!(history.epoch(), epoch, "cursors of before stay valid");
        let store = Arc::new(SqliteWebhookSubscriptions::open(&db).await.unwrap());
        let (_client, handle, _running) = serve(false, |config: &mut ServerConfig| {
            config.events.history = history;
            config.events.webhooks.store = store;
        })
        .await;
        assert_eq!(handle.resume_webhooks().await.unwrap(), 1);
        emit(&handle, BEFORE..BEFORE + AFTER).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while distinct(&numbers(&r.events())).len() < usize::try_from(BEFORE + AFTER).unwrap()
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let got = numbers(&r.events());
    let seen = distinct(&got);
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        (0..BEFORE + AFTER).collect::<Vec<_>>(),
        "every event arrives, those emitted before the restart and after it"
    );
    let duplicated: Vec<u64> = seen
        .iter()
        .filter(|&(_, &times)| times > 1)
        .map(|(&n, _)| n)
        .collect();
    assert!(
        got.len() - seen.len() <= 1 && duplicated.iter().all(|&n| n + 1 >= delivered_before as u64),
        "at most the delivery in flight at the restart comes twice: {duplicated:?} \
         ({delivered_before} had arrived)"
    );
    // Once each in order, apart from that one.
    let mut firsts = got.clone();
    firsts.dedup();
    assert!(
        firsts.windows(2).all(|w| w[0] < w[1]),
        "in order: {firsts:?}"
    );
    kill(second);
    kill(receiving);
}

/// How many times each number arrived.
fn distinct(numbers: &[u64]) -> BTreeMap<u64, usize> {
    let mut seen = BTreeMap::new();
    for &n in numbers {
        *seen.entry(n).or_insert(0) += 1;
    }
    seen
}

/// A task that finished before the restart keeps its result; one that was running reads
/// `failed`, saying why.
#[test]
fn tasks_keep_their_results_and_interrupted_ones_fail_after_a_restart() {
    let dir = DataDir::new();
    let tasks_server = |store: SqliteTaskStore| {
        let mut config = ServerConfig::default();
        config.tasks.store = Arc::new(store);
        test_server_with(config)
    };
    let first = process();
    let (done, running) = first.block_on(async {
        let db = Database::open_dir(dir.path(), Durability::Normal).unwrap();
        let store = SqliteTaskStore::open(&db, 100).await.unwrap();
        let s = start_with(tasks_server(store), HttpConfig::default()).await;
        let mut ids = Vec::new();
        for (id, delay_ms) in [(1, 0), (2, 600_000)] {
            let (_, created) =
                crate::http_support::modern::answer(crate::http_support::modern::request(
                    &s,
                    id,
                    "tools/call",
                    job(delay_ms, false, with_tasks()),
                ))
                .await;
            ids.push(created["result"]["taskId"].as_str().unwrap().to_owned());
        }
        modern_until(&s, &ids[0], |t| t["status"] == "completed").await;
        assert_eq!(modern_get(&s, &ids[1]).await["status"], "working");
        (ids[0].clone(), ids[1].clone())
    });
    kill(first);

    let second = process();
    second.block_on(async {
        let db = Database::open_dir(dir.path(), Durability::Normal).unwrap();
        let store = SqliteTaskStore::open(&db, 100).await.unwrap();
        assert_eq!(store.interrupted(), 1);
        let s = start_with(tasks_server(store), HttpConfig::default()).await;
        let finished = modern_get(&s, &done).await;
        assert_eq!(finished["status"], "completed", "{finished}");
        assert_eq!(
            finished["result"]["content"][0]["text"],
            "job done after 0 ms"
        );
        let interrupted = modern_get(&s, &running).await;
        assert_eq!(interrupted["status"], "failed", "{interrupted}");
        let message = interrupted["statusMessage"].as_str().unwrap();
        assert!(message.contains("restarted"), "{message}");
        assert!(
            interrupted["error"]["message"]
                .as_str()
                .unwrap()
                .contains("restarted"),
            "{interrupted}"
        );
    });
    kill(second);
}
