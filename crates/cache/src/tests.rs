//! The cache's behaviour, on both backends: in-process, and the real Redis of the machine.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use super::*;

const TTL: Duration = Duration::from_secs(60);

fn key<'a>(scope: &'a str) -> CacheKey<'a> {
    CacheKey {
        family: "product",
        scope,
        key: "v1",
    }
}

/// A cache on the shared test Redis, in a namespace of its own so tests do not meet.
async fn redis_cache(namespace: &str) -> Option<Cache> {
    let url = souk_testkit::redis_url().await?;
    let backend = RedisBackend::new(&url, RedisOptions::default()).ok()?;
    Some(Cache::new(Arc::new(backend), namespace, TTL, 1_000))
}

fn unique_namespace() -> String {
    format!("test-{:016x}", fastrand::u64(..))
}

fn memory_cache() -> Cache {
    Cache::in_process("test", TTL, 1_000)
}

/// Loads through the cache, counting how often the loader ran.
async fn read(cache: &Cache, scope: &str, value: &str, loads: &AtomicUsize) -> String {
    let loaded: Result<Arc<String>, std::convert::Infallible> = cache
        .get_or_load(key(scope), || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok(value.to_owned())
        })
        .await;
    loaded.map(|v| (*v).clone()).unwrap_or_default()
}

async fn a_value_is_loaded_once_then_served_from_the_cache(cache: Cache) {
    let loads = AtomicUsize::new(0);
    assert_eq!(read(&cache, "p:1", "a", &loads).await, "a");
    assert_eq!(read(&cache, "p:1", "b", &loads).await, "a");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    let counts = cache.stats().snapshot();
    assert_eq!(counts[0].1.hits, 1);
    assert_eq!(counts[0].1.misses, 1);
}

async fn an_invalidation_makes_the_next_read_load_again(cache: Cache) {
    let loads = AtomicUsize::new(0);
    read(&cache, "p:2", "old", &loads).await;
    read(&cache, "p:other", "x", &loads).await;
    cache.invalidate(&["p:2"]).await;
    assert_eq!(read(&cache, "p:2", "new", &loads).await, "new");
    // Other scopes keep their values.
    assert_eq!(read(&cache, "p:other", "y", &loads).await, "x");
    assert_eq!(loads.load(Ordering::SeqCst), 3);
}

/// The classic cache-aside race: a reader loads the old row, a write commits and invalidates,
/// then the reader stores what it loaded. The next reader must not get that old value.
async fn a_value_loaded_before_an_invalidation_is_never_served_after_it(cache: Cache) {
    let stale: Result<Arc<String>, std::convert::Infallible> = cache
        .get_or_load(key("p:3"), || async {
            cache.invalidate(&["p:3"]).await;
            Ok("old".to_owned())
        })
        .await;
    assert_eq!(stale.map(|v| (*v).clone()).unwrap_or_default(), "old");
    let loads = AtomicUsize::new(0);
    assert_eq!(read(&cache, "p:3", "new", &loads).await, "new");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

async fn rate_limits_allow_the_limit_then_refuse(cache: Cache) {
    let window = Duration::from_secs(30);
    for remaining in (0..3).rev() {
        assert_eq!(
            cache.rate_limit("login:a", 3, window).await,
            RateDecision::Allowed { remaining }
        );
    }
    assert!(matches!(
        cache.rate_limit("login:a", 3, window).await,
        RateDecision::Limited { .. }
    ));
    assert!(matches!(
        cache.rate_limit("login:b", 3, window).await,
        RateDecision::Allowed { .. }
    ));
}

/// `along` runs on a value this process holds, and its result counts only while that value is
/// current: not on a first load, not after an invalidation.
async fn a_read_along_a_held_value_counts_only_while_the_value_is_current(cache: Cache) {
    async fn read_along(cache: &Cache, value: &str) -> (String, Option<usize>) {
        let loaded: Result<_, std::convert::Infallible> = cache
            .get_or_load_along(
                key("p:4"),
                || async { Ok(value.to_owned()) },
                |held: Arc<String>| async move { held.len() },
            )
            .await;
        loaded
            .map(|(v, along)| ((*v).clone(), along))
            .unwrap_or_default()
    }
    assert_eq!(read_along(&cache, "old").await, ("old".into(), None));
    assert_eq!(read_along(&cache, "ignored").await, ("old".into(), Some(3)));
    cache.invalidate(&["p:4"]).await;
    assert_eq!(read_along(&cache, "newer").await, ("newer".into(), None));
    assert_eq!(
        read_along(&cache, "ignored").await,
        ("newer".into(), Some(5))
    );
}

/// Another scope's invalidation moves the epoch on, not this value's generation: the value this
/// process holds is still served (confirmed by its generation, then by the new epoch).
async fn a_held_value_outlives_the_invalidation_of_another_scope(cache: Cache) {
    let loads = AtomicUsize::new(0);
    assert_eq!(read(&cache, "p:5", "kept", &loads).await, "kept");
    cache.invalidate(&["p:6"]).await;
    assert_eq!(read(&cache, "p:5", "ignored", &loads).await, "kept");
    assert_eq!(read(&cache, "p:5", "ignored", &loads).await, "kept");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    cache.invalidate(&["p:5"]).await;
    assert_eq!(read(&cache, "p:5", "new", &loads).await, "new");
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[tokio::test]
            async fn in_process() {
                super::$name(memory_cache()).await;
            }

            #[tokio::test]
            async fn on_redis() {
                let Some(cache) = redis_cache(&unique_namespace()).await else { return };
                super::$name(cache).await;
            }
        }
    )*};
}

on_both_backends!(
    a_value_is_loaded_once_then_served_from_the_cache,
    an_invalidation_makes_the_next_read_load_again,
    a_value_loaded_before_an_invalidation_is_never_served_after_it,
    rate_limits_allow_the_limit_then_refuse,
    a_read_along_a_held_value_counts_only_while_the_value_is_current,
    a_held_value_outlives_the_invalidation_of_another_scope,
);

/// What one process holds is checked against what another did: its value stays while the other
/// invalidates other scopes, goes when the other invalidates its scope, and goes when Redis
/// loses the keys (a restarted Redis): no epoch then confirms anything.
#[tokio::test]
async fn a_held_value_is_served_only_while_redis_says_nothing_changed() {
    let namespace = unique_namespace();
    let (Some(a), Some(b)) = (redis_cache(&namespace).await, redis_cache(&namespace).await) else {
        return;
    };
    let loads = AtomicUsize::new(0);
    assert_eq!(read(&a, "p:1", "one", &loads).await, "one");
    assert_eq!(read(&a, "p:1", "ignored", &loads).await, "one");
    b.invalidate(&["p:2"]).await;
    assert_eq!(read(&a, "p:1", "ignored", &loads).await, "one");
    assert_eq!(read(&a, "p:1", "ignored", &loads).await, "one");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    b.invalidate(&["p:1"]).await;
    assert_eq!(read(&a, "p:1", "two", &loads).await, "two");
    assert_eq!(read(&a, "p:1", "ignored", &loads).await, "two");

    let Some(url) = souk_testkit::redis_url().await else {
        return;
    };
    let lost: redis::RedisResult<()> = async {
        let mut conn = redis::Client::open(url)?
            .get_multiplexed_async_connection()
            .await?;
        // The epoch and the scope's generation, as the backend names them.
        let keys = [format!("{namespace}:epoch"), format!("{{{namespace}:p:1}}")];
        let deleted: u64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await?;
        assert_eq!(deleted, 2, "{keys:?}");
        Ok(())
    }
    .await;
    assert!(lost.is_ok(), "{lost:?}");
    assert_eq!(read(&a, "p:1", "three", &loads).await, "three");
    assert_eq!(loads.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn two_processes_on_one_redis_see_each_others_invalidations() {
    let namespace = unique_namespace();
    let (Some(a), Some(b)) = (redis_cache(&namespace).await, redis_cache(&namespace).await) else {
        return;
    };
    let loads = AtomicUsize::new(0);
    read(&a, "p:9", "old", &loads).await;
    assert_eq!(read(&b, "p:9", "ignored", &loads).await, "old");
    a.invalidate(&["p:9"]).await;
    assert_eq!(read(&b, "p:9", "new", &loads).await, "new");
    assert_eq!(read(&a, "p:9", "ignored", &loads).await, "new");
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn rate_limits_are_shared_by_processes_on_one_redis() {
    let namespace = unique_namespace();
    let (Some(a), Some(b)) = (redis_cache(&namespace).await, redis_cache(&namespace).await) else {
        return;
    };
    let window = Duration::from_secs(30);
    assert!(matches!(
        a.rate_limit("ip", 2, window).await,
        RateDecision::Allowed { .. }
    ));
    assert!(matches!(
        b.rate_limit("ip", 2, window).await,
        RateDecision::Allowed { .. }
    ));
    assert!(matches!(
        a.rate_limit("ip", 2, window).await,
        RateDecision::Limited { .. }
    ));
}

fn private_redis_cache(url: &str) -> Option<Cache> {
    let options = RedisOptions {
        op_timeout: Duration::from_millis(100),
        retry_after: Duration::from_millis(100),
    };
    let backend = RedisBackend::new(url, options).ok()?;
    Some(Cache::new(Arc::new(backend), "outage", TTL, 1_000))
}

#[tokio::test]
async fn reads_load_from_the_source_while_redis_is_down_and_use_it_again_when_it_returns() {
    let Some(mut server) = souk_testkit::RedisServer::start().await else {
        return;
    };
    let Some(cache) = private_redis_cache(&server.url()) else {
        panic!("redis backend")
    };
    let loads = AtomicUsize::new(0);
    read(&cache, "p:1", "v", &loads).await;
    read(&cache, "p:1", "v", &loads).await;
    assert_eq!(loads.load(Ordering::SeqCst), 1);

    server.stop().await;
    for _ in 0..3 {
        assert_eq!(read(&cache, "p:1", "v", &loads).await, "v");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 4);
    assert!(cache.stats().snapshot()[0].1.errors > 0);
    assert!(cache.ping().await.is_err());

    server.restart().await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    // Back: the first read repopulates, the next one is a hit again.
    read(&cache, "p:1", "v", &loads).await;
    let before = loads.load(Ordering::SeqCst);
    read(&cache, "p:1", "v", &loads).await;
    assert_eq!(loads.load(Ordering::SeqCst), before);
    assert!(cache.ping().await.is_ok());
}

#[tokio::test]
async fn an_invalidation_made_while_redis_is_unreachable_is_delivered_before_the_next_read() {
    let Some(server) = souk_testkit::RedisServer::start().await else {
        return;
    };
    let Some(writer) = private_redis_cache(&server.url()) else {
        panic!("redis backend")
    };
    let Some(reader) = private_redis_cache(&server.url()) else {
        panic!("redis backend")
    };
    let loads = AtomicUsize::new(0);
    read(&reader, "p:1", "old", &loads).await;

    // Freeze Redis (it keeps its data) so the writer's invalidation times out.
    let paused = pause_redis(&server.url(), 600).await;
    assert!(paused.is_ok(), "CLIENT PAUSE: {paused:?}");
    writer.invalidate(&["p:1"]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;

    // Redis answers again and still holds the old value. The writer delivers its deferred
    // invalidation before it reads, so it loads afresh; so does every other reader after it.
    assert_eq!(read(&writer, "p:1", "new", &loads).await, "new");
    assert_eq!(read(&reader, "p:1", "ignored", &loads).await, "new");
    drop(server);
}

async fn pause_redis(url: &str, millis: u64) -> redis::RedisResult<()> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(millis)
        .arg("ALL")
        .query_async(&mut conn)
        .await
}

/// Many readers at once on another process, right after each write: batched generation checks
/// must still all see the write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_after_a_write_all_see_it() {
    let namespace = unique_namespace();
    let (Some(writer), Some(reader)) =
        (redis_cache(&namespace).await, redis_cache(&namespace).await)
    else {
        return;
    };
    let database = Arc::new(AtomicUsize::new(0));
    let read = |cache: Cache, database: Arc<AtomicUsize>| async move {
        let value: Result<Arc<usize>, std::convert::Infallible> = cache
            .get_or_load(key("p:hot"), || async move {
                Ok(database.load(Ordering::SeqCst))
            })
            .await;
        value.map(|v| *v).unwrap_or(usize::MAX)
    };
    for round in 1..=30 {
        // Warm the reader's cache with the current value.
        read(reader.clone(), database.clone()).await;
        database.store(round, Ordering::SeqCst);
        writer.invalidate(&["p:hot"]).await;
        let readers: Vec<_> = (0..40)
            .map(|_| tokio::spawn(read(reader.clone(), database.clone())))
            .collect();
        for handle in readers {
            assert_eq!(
                handle.await.unwrap_or(usize::MAX),
                round,
                "a reader saw a value from before the write"
            );
        }
    }
    let hits = reader
        .stats()
        .snapshot()
        .iter()
        .map(|(_, c)| c.hits)
        .sum::<u64>();
    assert!(hits > 0, "the reads never hit the cache");
}

/// The epoch exists from the first lookup (so held values can be confirmed by it alone) and
/// every invalidation replaces it.
#[tokio::test]
async fn the_first_lookup_starts_the_epoch_and_every_invalidation_replaces_it() {
    let Some(url) = souk_testkit::redis_url().await else {
        return;
    };
    let Ok(backend) = RedisBackend::new(&url, RedisOptions::default()) else {
        panic!("redis backend")
    };
    let namespace = unique_namespace();
    let epoch_key: Arc<str> = Arc::from(format!("{namespace}:epoch"));
    assert!(matches!(backend.epoch(&epoch_key).await, Ok(None)));
    let found = backend
        .lookup(&epoch_key, &format!("{namespace}:p:1"), "v1")
        .await;
    let started = found.ok().and_then(|l| l.epoch);
    assert!(started.is_some());
    assert_eq!(backend.epoch(&epoch_key).await.ok(), Some(started));
    let current = backend
        .generation(&epoch_key, &format!("{namespace}:p:1"))
        .await;
    assert_eq!(current.ok().and_then(|c| c.epoch), started);
    let invalidated = backend
        .invalidate(&epoch_key, &[format!("{namespace}:p:2")])
        .await;
    assert!(invalidated.is_ok());
    let moved = backend.epoch(&epoch_key).await.ok().flatten();
    assert!(moved.is_some() && moved != started);
}
