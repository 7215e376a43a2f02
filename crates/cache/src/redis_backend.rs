//! The Redis backend, shared by every gateway replica. A lookup is one round trip (a Lua script
//! reads the generation, the value and the epoch together); the checks of hits (the epoch, or a
//! generation) are batched (see `read_keys`).

use std::{
    collections::{BTreeSet, HashMap},
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
    backend::{CacheBackend, CacheError, Current, Lookup, new_epoch, new_generation},
    breaker::Breaker,
};

/// Seconds an untouched generation lives; dropping one only costs a miss.
const GENERATION_TTL_SECS: u64 = 24 * 3600;

/// Reads a scope's generation (starting one if missing), the value of a key under it, and the
/// epoch (KEYS[2], started as ARGV[4] if missing). Keys derived inside the script share the
/// scope's hash tag.
const LOOKUP: &str = r"
local e = redis.call('GET', KEYS[2])
if not e then
  e = ARGV[4]
  redis.call('SET', KEYS[2], e)
end
local g = redis.call('GET', KEYS[1])
if not g then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return {ARGV[2], false, e}
end
return {g, redis.call('GET', KEYS[1] .. ':' .. g .. ':' .. ARGV[1]), e}
";

/// Drops generations (KEYS[2..]) and replaces the epoch (KEYS[1]) with ARGV[1], in one step.
const INVALIDATE: &str = r"
redis.call('SET', KEYS[1], ARGV[1])
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
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
    invalidate: Script,
    store: Script,
    count: Script,
    add_to_sets: Script,
    /// Invalidations that failed, as (epoch key, generation key); delivered before the next read
    /// from Redis.
    pending: Mutex<BTreeSet<(String, String)>>,
    has_pending: AtomicBool,
    /// Reads of keys waiting for the next batch.
    reads: Mutex<Vec<Waiter>>,
    /// Whether a task is sending batches.
    reading: AtomicBool,
}

/// A read waiting for the next batch, and where its answer goes.
enum Waiter {
    /// An epoch (what nearly every read of a busy process is): answered parsed.
    Epoch(Arc<str>, oneshot::Sender<Result<Option<u64>, CacheError>>),
    Keys(Keys, oneshot::Sender<Result<Values, CacheError>>),
}

impl Waiter {
    fn keys(&self) -> &[Arc<str>] {
        match self {
            Waiter::Epoch(key, _) => std::slice::from_ref(key),
            Waiter::Keys(keys, _) => keys,
        }
    }

    fn fail(self, err: CacheError) {
        let _ = match self {
            Waiter::Epoch(_, tx) => tx.send(Err(err)).is_ok(),
            Waiter::Keys(_, tx) => tx.send(Err(err)).is_ok(),
        };
    }
}

type Keys = Vec<Arc<str>>;
/// Shared, so that every waiter for a key gets its value without a copy.
type Values = Vec<Option<Arc<str>>>;

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("options", &self.0.options)
            .finish()
    }
}

fn hash_tagged(scope: &str) -> String {
    // By hand, not `format!`: every cached read names its scope once.
    let mut key = String::with_capacity(scope.len() + 2);
    key.push('{');
    key.push_str(scope);
    key.push('}');
    key
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
            invalidate: Script::new(INVALIDATE),
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
        let keys: Vec<(String, String)> = match self.pending.lock() {
            Ok(pending) => pending.iter().cloned().collect(),
            Err(_) => return Err(CacheError::Unavailable("pending set poisoned".into())),
        };
        if keys.is_empty() {
            return Ok(());
        }
        let mut by_epoch: HashMap<&str, Vec<&str>> = HashMap::new();
        for (epoch_key, key) in &keys {
            by_epoch.entry(epoch_key).or_default().push(key);
        }
        for (epoch_key, scopes) in by_epoch {
            self.invalidate_now(epoch_key, &scopes).await?;
        }
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

    /// Drops these (hash-tagged) generation keys and replaces the epoch.
    async fn invalidate_now(&self, epoch_key: &str, keys: &[&str]) -> Result<(), CacheError> {
        let mut invocation = self.invalidate.key(epoch_key);
        invocation.arg(new_epoch());
        for key in keys {
            invocation.key(*key);
        }
        self.run(invocation.invoke_async::<i64>(&mut self.conn.clone()))
            .await
            .map(|_| ())
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

/// Sends the queued reads as one `MGET` (each key once), again and again until none are waiting.
async fn send_batches(inner: Arc<Inner>) {
    loop {
        // Tasks that are ready run first (tokio wakes a yielding task after the others and the
        // I/O driver): the reads they ask for join this batch rather than each sending its own.
        // Every read is still answered by an MGET sent after it was asked.
        tokio::task::yield_now().await;
        let batch = inner
            .reads
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default();
        if batch.is_empty() {
            inner.reading.store(false, Ordering::Release);
            // A read queued after the take, by a caller that saw this task running, must not
            // be stranded: take the role back if so.
            let stranded = inner.reads.lock().map(|q| !q.is_empty()).unwrap_or(false);
            if stranded && !inner.reading.swap(true, Ordering::AcqRel) {
                continue;
            }
            return;
        }
        // Each distinct key once: under load, every waiter asks for the same epoch key (the
        // same `Arc`, so it is recognised without hashing).
        let mut index: HashMap<Arc<str>, usize, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(4, Default::default());
        let mut last: Option<(&Arc<str>, usize)> = None;
        let mut slots: Vec<usize> = Vec::with_capacity(batch.len() + 1);
        let mut cmd = redis::cmd("MGET");
        for waiter in &batch {
            for key in waiter.keys() {
                let slot = match last {
                    Some((seen, slot)) if Arc::ptr_eq(seen, key) => slot,
                    _ => {
                        let next = index.len();
                        let slot = *index.entry(Arc::clone(key)).or_insert_with(|| {
                            cmd.arg(key.as_ref());
                            next
                        });
                        last = Some((key, slot));
                        slot
                    }
                };
                slots.push(slot);
            }
        }
        let answers = async {
            inner.ready().await?;
            inner
                .run(cmd.query_async::<Vec<Option<String>>>(&mut inner.conn.clone()))
                .await
        }
        .await;
        let values: Values = match answers {
            Ok(values) if values.len() == index.len() => {
                values.into_iter().map(|v| v.map(Arc::from)).collect()
            }
            Ok(_) => {
                for waiter in batch {
                    waiter.fail(CacheError::Protocol("MGET answered a wrong count".into()));
                }
                continue;
            }
            Err(err) => {
                let reason = err.to_string();
                for waiter in batch {
                    waiter.fail(CacheError::Unavailable(reason.clone()));
                }
                continue;
            }
        };
        // Each epoch parsed once, whoever waits for it.
        let epochs: Vec<Option<u64>> = values.iter().map(|v| parse_epoch(v.as_deref())).collect();
        let mut slots = slots.into_iter();
        for waiter in batch {
            match waiter {
                Waiter::Epoch(_, tx) => {
                    let epoch = slots.next().and_then(|slot| epochs[slot]);
                    let _ = tx.send(Ok(epoch));
                }
                Waiter::Keys(keys, tx) => {
                    let mine = keys
                        .iter()
                        .map(|_| slots.next().and_then(|slot| values[slot].clone()))
                        .collect();
                    let _ = tx.send(Ok(mine));
                }
            }
        }
    }
}

impl RedisBackend {
    /// Reads keys in the next batch. The reads of hits are the whole Redis cost of a busy
    /// process, so they are batched: while one `MGET` is in flight, the reads that arrive wait
    /// and go together in the next one. Every read is answered by an `MGET` sent after it was
    /// asked, so it sees every write acknowledged before it; under load one round trip answers
    /// many requests.
    async fn read_keys(&self, keys: Keys) -> Result<Values, CacheError> {
        let (tx, rx) = oneshot::channel();
        self.queue(Waiter::Keys(keys, tx))?;
        rx.await
            .unwrap_or_else(|_| Err(CacheError::Unavailable("batch dropped".into())))
    }

    /// Reads an epoch in the next batch (see [`RedisBackend::read_keys`]).
    async fn read_epoch(&self, epoch_key: &Arc<str>) -> Result<Option<u64>, CacheError> {
        let (tx, rx) = oneshot::channel();
        self.queue(Waiter::Epoch(Arc::clone(epoch_key), tx))?;
        rx.await
            .unwrap_or_else(|_| Err(CacheError::Unavailable("batch dropped".into())))
    }

    fn queue(&self, waiter: Waiter) -> Result<(), CacheError> {
        if !self.0.breaker.is_closed() {
            return Err(CacheError::Unavailable(
                "skipped after a recent failure".into(),
            ));
        }
        match self.0.reads.lock() {
            Ok(mut queue) => queue.push(waiter),
            Err(_) => return Err(CacheError::Unavailable("read queue poisoned".into())),
        }
        if !self.0.reading.swap(true, Ordering::AcqRel) {
            tokio::spawn(send_batches(self.0.clone()));
        }
        Ok(())
    }
}

/// An epoch as stored (a decimal number); anything else reads as none.
fn parse_epoch(value: Option<&str>) -> Option<u64> {
    value.and_then(|v| v.parse().ok())
}

#[async_trait::async_trait]
impl CacheBackend for RedisBackend {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn shares_values(&self) -> bool {
        true
    }

    async fn epoch(&self, epoch_key: &Arc<str>) -> Result<Option<u64>, CacheError> {
        self.read_epoch(epoch_key).await
    }

    async fn generation(&self, epoch_key: &Arc<str>, scope: &str) -> Result<Current, CacheError> {
        let values = self
            .read_keys(vec![Arc::clone(epoch_key), Arc::from(hash_tagged(scope))])
            .await?;
        let mut values = values.into_iter();
        let epoch = parse_epoch(values.next().flatten().as_deref());
        Ok(Current {
            generation: values.next().flatten().map(|g| String::from(&*g)),
            epoch,
        })
    }

    async fn lookup(&self, epoch_key: &str, scope: &str, key: &str) -> Result<Lookup, CacheError> {
        self.0.ready().await?;
        let mut conn = self.0.conn.clone();
        let mut invocation = self.0.lookup.key(hash_tagged(scope));
        invocation
            .key(epoch_key)
            .arg(key)
            .arg(new_generation())
            .arg(GENERATION_TTL_SECS)
            .arg(new_epoch());
        let (generation, value, epoch): (String, Option<Vec<u8>>, Option<String>) =
            self.0.run(invocation.invoke_async(&mut conn)).await?;
        Ok(Lookup {
            generation,
            value: value.map(Bytes::from),
            epoch: parse_epoch(epoch.as_deref()),
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

    async fn invalidate(&self, epoch_key: &str, scopes: &[String]) -> Result<(), CacheError> {
        let keys: Vec<String> = scopes.iter().map(|s| hash_tagged(s)).collect();
        let delivered = async {
            self.0.ready().await?;
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            self.0.invalidate_now(epoch_key, &keys).await
        }
        .await;
        if let Err(err) = delivered {
            if let Ok(mut pending) = self.0.pending.lock() {
                pending.extend(keys.into_iter().map(|k| (epoch_key.to_owned(), k)));
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
