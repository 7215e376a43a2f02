//! The Redis backend, shared by every gateway replica. A lookup is one round trip (a Lua script
//! reads the generation and the value together); the generation checks of hits are batched (see
//! `generation`).

use std::{
    collections::BTreeSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::sync::oneshot;

use bytes::Bytes;
use redis::{Client, Script, aio::ConnectionManager};

use crate::{
    backend::{CacheBackend, CacheError, Lookup, new_generation},
    breaker::Breaker,
};

/// Seconds an untouched generation lives; dropping one only costs a miss.
const GENERATION_TTL_SECS: u64 = 24 * 3600;

/// Reads a scope's generation (starting one if missing) and the value of a key under it.
/// Keys derived inside the script share the scope's hash tag, so they sit on one cluster slot.
const LOOKUP: &str = r"
local g = redis.call('GET', KEYS[1])
if not g then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return {ARGV[2], false}
end
return {g, redis.call('GET', KEYS[1] .. ':' .. g .. ':' .. ARGV[1])}
";

/// Stores a value under a generation only if that generation is still the scope's; says which.
const STORE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1] .. ':' .. ARGV[1] .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[4])
  return 1
end
return 0
";

/// A fixed-window counter: the count and the milliseconds left in the window.
const COUNT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
";

/// Adds members to sets (KEYS[i] gets ARGV[i + 1]), renews each set's expiry (ARGV[1], ms), and
/// returns each set's size.
const ADD_TO_SETS: &str = r"
local sizes = {}
for i, key in ipairs(KEYS) do
  redis.call('SADD', key, ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
  sizes[i] = redis.call('SCARD', key)
end
return sizes
";

/// Members added by one script call: bounds the time Redis spends in one script.
const SET_BATCH: usize = 2_000;

#[derive(Clone, Debug)]
pub struct RedisOptions {
    /// Longest wait for one Redis command (or a connection) before the cache is skipped.
    pub op_timeout: Duration,
    /// How long the cache is skipped after a failure before Redis is tried again.
    pub retry_after: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            op_timeout: Duration::from_millis(250),
            retry_after: Duration::from_secs(1),
        }
    }
}

pub struct RedisBackend(Arc<Inner>);

struct Inner {
    conn: ConnectionManager,
    options: RedisOptions,
    breaker: Breaker,
    lookup: Script,
    store: Script,
    count: Script,
    add_to_sets: Script,
    /// Generations whose deletion failed; deleted before the next read from Redis.
    pending: Mutex<BTreeSet<String>>,
    has_pending: AtomicBool,
    /// Generation checks waiting for the next batch.
    reads: Mutex<Vec<Waiter>>,
    /// Whether a task is sending batches.
    reading: AtomicBool,
}

type Waiter = (String, oneshot::Sender<Result<Option<String>, CacheError>>);

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("options", &self.0.options)
            .finish()
    }
}

fn hash_tagged(scope: &str) -> String {
    format!("{{{scope}}}")
}

impl RedisBackend {
    /// Prepares a backend for `url`. The connection is made lazily and remade after failures,
    /// so the gateway starts (and serves from the database) even while Redis is down.
    pub fn new(url: &str, options: RedisOptions) -> Result<Self, CacheError> {
        let client = Client::open(url).map_err(|e| CacheError::Unavailable(e.to_string()))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.op_timeout))
            .set_response_timeout(Some(options.op_timeout))
            .set_number_of_retries(1)
            .set_max_delay(options.retry_after);
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| CacheError::Unavailable(e.to_string()))?;
        Ok(Self(Arc::new(Inner {
            conn,
            breaker: Breaker::new(options.retry_after),
            options,
            lookup: Script::new(LOOKUP),
            store: Script::new(STORE),
            count: Script::new(COUNT),
            add_to_sets: Script::new(ADD_TO_SETS),
            pending: Mutex::new(BTreeSet::new()),
            has_pending: AtomicBool::new(false),
            reads: Mutex::new(Vec::new()),
            reading: AtomicBool::new(false),
        })))
    }
}

impl Inner {
    /// Fails fast while the breaker is open, and delivers deferred invalidations first.
    async fn ready(&self) -> Result<(), CacheError> {
        if !self.breaker.is_closed() {
            return Err(CacheError::Unavailable(
                "skipped after a recent failure".into(),
            ));
        }
        if self.has_pending.load(Ordering::Acquire) {
            self.flush_pending().await?;
        }
        Ok(())
    }

    async fn flush_pending(&self) -> Result<(), CacheError> {
        let keys: Vec<String> = match self.pending.lock() {
            Ok(pending) => pending.iter().cloned().collect(),
            Err(_) => return Err(CacheError::Unavailable("pending set poisoned".into())),
        };
        if keys.is_empty() {
            return Ok(());
        }
        let mut cmd = redis::cmd("DEL");
        cmd.arg(&keys);
        self.run(cmd.query_async::<i64>(&mut self.conn.clone()))
            .await?;
        if let Ok(mut pending) = self.pending.lock() {
            for key in &keys {
                pending.remove(key);
            }
            self.has_pending
                .store(!pending.is_empty(), Ordering::Release);
        }
        tracing::info!(
            scopes = keys.len(),
            "deferred cache invalidations delivered"
        );
        Ok(())
    }

    /// Runs one Redis call with the timeout; a failure trips the breaker.
    async fn run<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, CacheError> {
        let outcome = match tokio::time::timeout(self.options.op_timeout, call).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(err)) => err.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        if self.breaker.trip() {
            tracing::warn!(error = %outcome, "Redis unreachable: serving from the database");
        }
        Err(CacheError::Unavailable(outcome))
    }
}

/// Sends the queued generation checks as one `MGET`, again and again until none are waiting.
async fn send_batches(inner: Arc<Inner>) {
    loop {
        // Tasks that are ready run first (tokio wakes a yielding task after the others and the
        // I/O driver): the checks they ask for join this batch rather than each sending its
        // own. Every check is still answered by an MGET sent after it was asked.
        tokio::task::yield_now().await;
        let batch = inner
            .reads
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default();
        if batch.is_empty() {
            inner.reading.store(false, Ordering::Release);
            // A check queued after the take, by a caller that saw this task running, must not
            // be stranded: take the role back if so.
            let stranded = inner.reads.lock().map(|q| !q.is_empty()).unwrap_or(false);
            if stranded && !inner.reading.swap(true, Ordering::AcqRel) {
                continue;
            }
            return;
        }
        let answers = async {
            inner.ready().await?;
            let mut cmd = redis::cmd("MGET");
            for (key, _) in &batch {
                cmd.arg(key);
            }
            inner
                .run(cmd.query_async::<Vec<Option<String>>>(&mut inner.conn.clone()))
                .await
        }
        .await;
        match answers {
            Ok(generations) if generations.len() == batch.len() => {
                for ((_, waiter), generation) in batch.into_iter().zip(generations) {
                    let _ = waiter.send(Ok(generation));
                }
            }
            Ok(_) => {
                for (_, waiter) in batch {
                    let _ = waiter.send(Err(CacheError::Protocol(
                        "MGET answered a wrong count".into(),
                    )));
                }
            }
            Err(err) => {
                let reason = err.to_string();
                for (_, waiter) in batch {
                    let _ = waiter.send(Err(CacheError::Unavailable(reason.clone())));
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl CacheBackend for RedisBackend {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn shares_values(&self) -> bool {
        true
    }

    /// Generation checks are the whole Redis cost of a hit, so they are batched: while one
    /// `MGET` is in flight, the checks that arrive wait and go together in the next one. Every
    /// check is answered by an `MGET` sent after it was asked, so it sees every write
    /// acknowledged before it; under load one round trip answers many requests.
    async fn generation(&self, scope: &str) -> Result<Option<String>, CacheError> {
        if !self.0.breaker.is_closed() {
            return Err(CacheError::Unavailable(
                "skipped after a recent failure".into(),
            ));
        }
        let (tx, rx) = oneshot::channel();
        match self.0.reads.lock() {
            Ok(mut queue) => queue.push((hash_tagged(scope), tx)),
            Err(_) => return Err(CacheError::Unavailable("read queue poisoned".into())),
        }
        if !self.0.reading.swap(true, Ordering::AcqRel) {
            tokio::spawn(send_batches(self.0.clone()));
        }
        rx.await
            .unwrap_or_else(|_| Err(CacheError::Unavailable("batch dropped".into())))
    }

    async fn lookup(&self, scope: &str, key: &str) -> Result<Lookup, CacheError> {
        self.0.ready().await?;
        let mut conn = self.0.conn.clone();
        let mut invocation = self.0.lookup.key(hash_tagged(scope));
        invocation
            .arg(key)
            .arg(new_generation())
            .arg(GENERATION_TTL_SECS);
        let (generation, value): (String, Option<Vec<u8>>) =
            self.0.run(invocation.invoke_async(&mut conn)).await?;
        Ok(Lookup {
            generation,
            value: value.map(Bytes::from),
        })
    }

    async fn store(
        &self,
        scope: &str,
        generation: &str,
        key: &str,
        value: Option<Bytes>,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let Some(value) = value else {
            return Err(CacheError::Protocol("a shared cache stores bytes".into()));
        };
        self.0.ready().await?;
        let mut conn = self.0.conn.clone();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut invocation = self.0.store.key(hash_tagged(scope));
        invocation
            .arg(generation)
            .arg(key)
            .arg(value.as_ref())
            .arg(ttl_ms);
        let stored: i64 = self.0.run(invocation.invoke_async(&mut conn)).await?;
        Ok(stored == 1)
    }

    async fn invalidate(&self, scopes: &[String]) -> Result<(), CacheError> {
        let keys: Vec<String> = scopes.iter().map(|s| hash_tagged(s)).collect();
        let delivered = async {
            self.0.ready().await?;
            let mut cmd = redis::cmd("DEL");
            cmd.arg(&keys);
            self.0
                .run(cmd.query_async::<i64>(&mut self.0.conn.clone()))
                .await
        }
        .await;
        if let Err(err) = delivered {
            if let Ok(mut pending) = self.0.pending.lock() {
                pending.extend(keys);
                self.0.has_pending.store(true, Ordering::Release);
            }
            return Err(err);
        }
        Ok(())
    }

    async fn count(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError> {
        if !self.0.breaker.is_closed() {
            return Err(CacheError::Unavailable(
                "skipped after a recent failure".into(),
            ));
        }
        let mut conn = self.0.conn.clone();
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut invocation = self.0.count.key(key);
        invocation.arg(window_ms);
        let (count, ttl_ms): (u64, i64) = self.0.run(invocation.invoke_async(&mut conn)).await?;
        let reset = Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0));
        Ok((count, reset))
    }

    async fn add_to_sets(
        &self,
        members: &[(String, String)],
        ttl: Duration,
    ) -> Result<Vec<u64>, CacheError> {
        if !self.0.breaker.is_closed() {
            return Err(CacheError::Unavailable(
                "skipped after a recent failure".into(),
            ));
        }
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut sizes = Vec::with_capacity(members.len());
        for chunk in members.chunks(SET_BATCH) {
            let mut invocation = self.0.add_to_sets.prepare_invoke();
            invocation.arg(ttl_ms);
            for (key, member) in chunk {
                invocation.key(key).arg(member);
            }
            let mut conn = self.0.conn.clone();
            let answered: Vec<u64> = self.0.run(invocation.invoke_async(&mut conn)).await?;
            if answered.len() != chunk.len() {
                return Err(CacheError::Protocol("set sizes of a wrong count".into()));
            }
            sizes.extend(answered);
        }
        Ok(sizes)
    }

    async fn remove_sets(&self, keys: &[String]) -> Result<(), CacheError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.0.ready().await?;
        let mut cmd = redis::cmd("DEL");
        cmd.arg(keys);
        self.0
            .run(cmd.query_async::<i64>(&mut self.0.conn.clone()))
            .await
            .map(|_| ())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let mut conn = self.0.conn.clone();
        let pong: String = self
            .0
            .run(redis::cmd("PING").query_async(&mut conn))
            .await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(CacheError::Protocol(format!("PING answered {pong:?}")))
        }
    }
}
