//! The fleet level: token entries in Redis (or Valkey), shared by every host that has the
//! client's secret. Entries are the host level's bytes (same format, same seal, same name
//! bound into the seal); the Redis keys are `PREFIX{NAME}:token` and `PREFIX{NAME}:lock`, where
//! NAME is the entry's keyed hash, so key names say nothing about the identity and Redis Cluster
//! keeps an identity's keys in one slot.
//!
//! One host at a time asks the authority: it holds `PREFIX{NAME}:lock` (`SET NX PX`, a value
//! only it knows, released by compare-and-delete); the others poll the entry and take the
//! holder's token, or its failure. The lock lives no longer than the holder's own deadline, so a
//! holder that dies is replaced by a waiter.
//!
//! Redis is never the reason a call fails: every command has a short timeout, and any error
//! makes the client skip Redis for a while (1 s, doubling to 30 s), going straight to the
//! authority. Said once in the log at warning level, then at debug level.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant, SystemTime},
};

use ring::rand::SecureRandom;

use super::{
    Look, Need, Source,
    entry::{Kind, TokenEntry, unix_ms},
    fleet_config::FleetSettings,
    look_at,
    seal::Keys,
};
use crate::{
    error::{Error, Result},
    log::{LogLevel, log},
    options::Settings,
    sync::lock,
    token::Token,
};

/// Pauses between looks while another host holds the lock.
const FIRST_POLL: Duration = Duration::from_millis(2);
const MAX_POLL: Duration = Duration::from_millis(50);
/// How long Redis is skipped after an error: doubling from the first to the last.
const FIRST_BREAK: Duration = Duration::from_secs(1);
const MAX_BREAK: Duration = Duration::from_secs(30);
/// Bounds of the timeout of one Redis command (a twentieth of `timeout_ms`).
const MIN_IO_TIMEOUT: Duration = Duration::from_millis(20);
const MAX_IO_TIMEOUT: Duration = Duration::from_secs(1);
/// A failure stays visible at least this long, so the hosts waiting for it see it.
const MIN_FAILURE_VISIBLE_MS: i64 = 2_000;
/// Deletes KEYS[1] only while it holds ARGV[1]: releases a lock, or invalidates an entry.
const COMPARE_AND_DELETE: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// What the fleet level did, for `Client::stats`; kept across fork generations.
#[derive(Debug, Default)]
pub(crate) struct FleetCounters {
    /// Tokens taken from Redis instead of asking the authority.
    pub hits: AtomicU64,
    /// Looks in Redis that found no usable token.
    pub misses: AtomicU64,
    /// Redis commands that failed (each makes the client skip Redis for a while).
    pub errors: AtomicU64,
}

/// The fleet level of one identity, for one fork generation.
pub(crate) struct FleetLevel {
    client: redis::Client,
    /// Open connections not in use.
    idle: Mutex<Vec<redis::Connection>>,
    io_timeout: Duration,
    keys: Keys,
    /// The entry's name, bound into its seal (as on the host level).
    name: String,
    token_key: String,
    lock_key: String,
    /// The server as shown in the log: credentials redacted.
    shown: String,
    /// Scrubbed from anything the server or the Redis client says.
    password: Option<String>,
    counters: std::sync::Arc<FleetCounters>,
    breaker: Mutex<Breaker>,
    warned: AtomicBool,
    broken_in_a_row: AtomicU32,
}

/// Skips Redis until `until` after an error.
#[derive(Default)]
struct Breaker {
    until: Option<Instant>,
}

impl FleetLevel {
    /// The fleet level for `settings` and the cache key's stable `identity`, or `None` when no
    /// `redis_url` is set or no client can be made for it (said once in the log).
    pub fn open(settings: &Settings, identity: &[u8], counters: std::sync::Arc<FleetCounters>) -> Option<FleetLevel> {
        let fleet: &FleetSettings = settings.fleet.as_ref()?;
        let password = fleet.password().map(str::to_owned);
        let client = match fleet.client(settings.ca_file.as_ref().map(crate::options::OptionPath::path)) {
            Ok(client) => client,
            Err(trouble) => {
                let trouble = scrub(&trouble, password.as_deref());
                log(LogLevel::Warn, || {
                    format!("fleet-level token cache ({}) off: {trouble}", fleet.url)
                });
                return None;
            }
        };
        let keys = Keys::derive(settings.secret.expose().as_bytes(), identity);
        let name = keys.name(Kind::Token);
        Some(FleetLevel {
            client,
            idle: Mutex::new(Vec::new()),
            io_timeout: (settings.timeout / 20).clamp(MIN_IO_TIMEOUT, MAX_IO_TIMEOUT),
            token_key: format!("{}{{{name}}}:token", fleet.prefix),
            lock_key: format!("{}{{{name}}}:lock", fleet.prefix),
            name,
            keys,
            shown: fleet.url.to_string(),
            password,
            counters,
            breaker: Mutex::new(Breaker::default()),
            warned: AtomicBool::new(false),
            broken_in_a_row: AtomicU32::new(0),
        })
    }

    /// Whether Redis is being skipped after an error.
    fn broken(&self) -> bool {
        lock(&self.breaker).until.is_some_and(|until| Instant::now() < until)
    }

    /// Runs one Redis command on a pooled connection. On any error, counts and logs it and
    /// skips Redis for a while: `None` means "go on without Redis".
    fn run<T>(&self, what: &str, command: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>) -> Option<T> {
        if self.broken() {
            return None;
        }
        let pooled = lock(&self.idle).pop();
        let connection = match pooled {
            Some(connection) => Ok(connection),
            None => self.connect(),
        };
        let result = connection.and_then(|mut connection| command(&mut connection).map(|value| (value, connection)));
        match result {
            Ok((value, connection)) => {
                lock(&self.idle).push(connection);
                if self.broken_in_a_row.swap(0, Ordering::Relaxed) > 0 {
                    log(LogLevel::Info, || {
                        format!("fleet-level token cache ({}) reachable again", self.shown)
                    });
                }
                Some(value)
            }
            Err(error) => {
                self.trip(what, &error);
                None
            }
        }
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let connection = self.client.get_connection_with_timeout(self.io_timeout)?;
        connection.set_read_timeout(Some(self.io_timeout))?;
        connection.set_write_timeout(Some(self.io_timeout))?;
        Ok(connection)
    }

    /// After a failed command: skip Redis for a while, drop the pooled connections (the server
    /// may have restarted), count and log it.
    fn trip(&self, what: &str, error: &redis::RedisError) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let in_a_row = self.broken_in_a_row.fetch_add(1, Ordering::Relaxed);
        let pause = (FIRST_BREAK * (1 << in_a_row.min(5))).min(MAX_BREAK);
        lock(&self.breaker).until = Some(Instant::now() + pause);
        lock(&self.idle).clear();
        let said = if error.is_timeout() {
            format!("no answer within {} ms", self.io_timeout.as_millis())
        } else {
            // One line, whatever the server sent.
            error.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let said = scrub(&said, self.password.as_deref());
        self.trouble(|| format!("{what} failed: {said}; Redis is skipped for {} s", pause.as_secs()));
    }

    /// Logs a trouble with the fleet level: at warning level the first time, then at debug.
    fn trouble(&self, what: impl FnOnce() -> String) {
        let level = if self.warned.swap(true, Ordering::Relaxed) {
            LogLevel::Debug
        } else {
            LogLevel::Warn
        };
        log(level, || {
            format!(
                "fleet-level token cache ({}): {}; tokens come from the authority meanwhile",
                self.shown,
                what()
            )
        });
    }

    /// The token entry and its sealed bytes; `None` when Redis failed.
    fn read(&self) -> Option<Option<(TokenEntry, Vec<u8>)>> {
        let bytes: Option<Vec<u8>> = self.run("reading the token entry", |connection| {
            redis::cmd("GET").arg(&self.token_key).query(connection)
        })?;
        let Some(bytes) = bytes else {
            return Some(None);
        };
        let decoded = self
            .keys
            .open(Kind::Token, &self.name, &bytes)
            .and_then(|plain| TokenEntry::decode(&plain));
        match decoded {
            Ok(entry) => Some(Some((entry, bytes))),
            Err(unreadable) => {
                self.trouble(|| format!("{unreadable}; it will be replaced"));
                Some(None)
            }
        }
    }

    /// Stores `entry` until its token's expiry less the safety buffer, or until its failure's
    /// hold ends, whichever is later.
    fn write(&self, entry: &TokenEntry) {
        let Ok(sealed) = self.keys.seal(Kind::Token, &self.name, &entry.encode()) else {
            self.trouble(|| "cannot seal the entry".to_owned());
            return;
        };
        let ttl_ms = keep_until_ms(entry).saturating_sub(unix_ms(SystemTime::now())).max(1);
        self.run("storing the token entry", |connection| {
            redis::cmd("SET")
                .arg(&self.token_key)
                .arg(sealed)
                .arg("PX")
                .arg(ttl_ms)
                .query::<()>(connection)
        });
    }

    fn look(&self, need: Need, started: SystemTime) -> Option<Look> {
        let entry = self.read()?;
        Some(look_at(entry.as_ref().map(|(entry, _)| entry), need, started))
    }

    /// A token for `need`: from Redis, or from `fly` (which asks the authority) run by one host
    /// of the fleet at a time. Waits for another host's flight up to half the time left before
    /// `deadline`, then flies without the lock. Without Redis, simply flies.
    pub fn token(
        &self,
        need: Need,
        deadline: Instant,
        hold_after: impl Fn(&Error, u32) -> Duration,
        fly: impl FnOnce() -> Result<Token>,
    ) -> Result<(Token, Source)> {
        let started = SystemTime::now();
        match self.look(need, started) {
            None => return fly().map(|token| (token, Source::Authority)),
            Some(Look::Found(token)) => return Ok(self.hit(token)),
            Some(Look::Held(error)) => return Err(error),
            Some(Look::Nothing) => {
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
            }
        }
        let holder = match self.wait_for_lock(need, deadline, started) {
            Waited::Locked(holder) => holder,
            Waited::Found(token) => return Ok(self.hit(token)),
            Waited::Held(error) => return Err(error),
            Waited::Alone => return fly().map(|token| (token, Source::Authority)),
        };
        // While we waited for the lock, its holder may have landed.
        let Some(previous) = self.read() else {
            return fly().map(|token| (token, Source::Authority));
        };
        let previous = previous.map(|(entry, _)| entry);
        match look_at(previous.as_ref(), need, started) {
            Look::Found(token) => {
                self.release(&holder);
                return Ok(self.hit(token));
            }
            Look::Held(error) => {
                self.release(&holder);
                return Err(error);
            }
            Look::Nothing => {}
        }
        let sent = SystemTime::now();
        let outcome = fly();
        self.write(&TokenEntry::after(previous, &outcome, sent, hold_after));
        self.release(&holder);
        outcome.map(|token| (token, Source::Authority))
    }

    fn hit(&self, token: Token) -> (Token, Source) {
        self.counters.hits.fetch_add(1, Ordering::Relaxed);
        (token, Source::Shared)
    }

    /// Takes the lock (`SET NX PX`, lasting no longer than our deadline), looking at the entry
    /// between attempts. Gives up at half the time left.
    fn wait_for_lock(&self, need: Need, deadline: Instant, started: SystemTime) -> Waited {
        let now = Instant::now();
        let give_up = now + deadline.saturating_duration_since(now) / 2;
        let holder = holder_value();
        let mut pause = FIRST_POLL;
        loop {
            let lifetime_ms = deadline.saturating_duration_since(Instant::now()).as_millis().max(1);
            let taken: Option<Option<String>> = self.run("taking the lock", |connection| {
                redis::cmd("SET")
                    .arg(&self.lock_key)
                    .arg(&holder)
                    .arg("NX")
                    .arg("PX")
                    .arg(u64::try_from(lifetime_ms).unwrap_or(u64::MAX))
                    .query(connection)
            });
            match taken {
                None => return Waited::Alone,
                Some(Some(_)) => return Waited::Locked(holder),
                Some(None) => {}
            }
            if Instant::now() >= give_up {
                self.trouble(|| {
                    format!(
                        "another host held the lock for more than {} ms; asking the authority without it",
                        now.elapsed().as_millis()
                    )
                });
                return Waited::Alone;
            }
            thread::sleep(pause);
            pause = (pause * 2).min(MAX_POLL);
            // Any token the holder lands will do (a refresh takes only a newer one); a longer
            // minimum validity is checked again under the lock.
            let any = Need {
                min_valid: Duration::ZERO,
                replacing: need.replacing,
            };
            match self.look(any, started) {
                None => return Waited::Alone,
                Some(Look::Found(token)) => return Waited::Found(token),
                Some(Look::Held(error)) => return Waited::Held(error),
                Some(Look::Nothing) => {}
            }
        }
    }

    /// Releases the lock if we still hold it (it may have expired and been taken by another).
    fn release(&self, holder: &str) {
        self.run("releasing the lock", |connection| {
            redis::cmd("EVAL")
                .arg(COMPARE_AND_DELETE)
                .arg(1)
                .arg(&self.lock_key)
                .arg(holder)
                .query::<i64>(connection)
        });
    }

    /// Removes the entry if it still holds `access_token` (compare-and-delete on its sealed
    /// bytes, so a newer token stored meanwhile is kept). Returns whether it removed one.
    pub fn invalidate(&self, access_token: &str) -> bool {
        let Some(Some((entry, sealed))) = self.read() else {
            return false;
        };
        let holds_it = entry.token.is_some_and(|record| *record.access_token == access_token);
        holds_it
            && self
                .run("removing the rejected token", |connection| {
                    redis::cmd("EVAL")
                        .arg(COMPARE_AND_DELETE)
                        .arg(1)
                        .arg(&self.token_key)
                        .arg(sealed)
                        .query::<i64>(connection)
                })
                .is_some_and(|removed| removed == 1)
    }
}

/// The outcome of waiting for the lock.
enum Waited {
    /// We hold it, with this value.
    Locked(String),
    /// The holder landed a token.
    Found(Token),
    /// The holder failed, or a failure holds requests back.
    Held(Error),
    /// Go on without the lock (Redis failed, or the holder took too long).
    Alone,
}

/// A value only this holder knows: 128 random bits.
fn holder_value() -> String {
    let mut bytes = [0u8; 16];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // No randomness: the clock and the process still tell holders apart.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        bytes = (nanos ^ (u128::from(std::process::id()) << 96)).to_be_bytes();
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Until when (Unix ms) an entry is worth keeping: its token's expiry less the safety buffer
/// (a tenth of the lifetime, at most a minute), or its failure's hold.
fn keep_until_ms(entry: &TokenEntry) -> i64 {
    let token_until = entry.token.as_ref().map_or(0, |record| {
        let lifetime = record.expires_at_ms.saturating_sub(record.issued_at_ms);
        record.expires_at_ms - (lifetime / 10).min(60_000)
    });
    let failure_until = entry.failure.as_ref().map_or(0, |failure| {
        failure
            .hold_until_ms
            .max(failure.failed_at_ms.saturating_add(MIN_FAILURE_VISIBLE_MS))
    });
    token_until.max(failure_until)
}

/// `text` with `password` replaced by `[redacted]`.
fn scrub(text: &str, password: Option<&str>) -> String {
    match password {
        Some(password) if !password.is_empty() => text.replace(password, "[redacted]"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        error::Status,
        shared::entry::{FailureRecord, TokenRecord},
    };

    #[test]
    fn an_entry_is_kept_until_its_token_expires_less_the_buffer_or_its_hold_ends() {
        let now = SystemTime::now();
        let now_ms = unix_ms(now);
        let token = Token::new("tok", "", Duration::from_secs(3600), Instant::now(), now);
        let with_token = TokenEntry {
            token: Some(TokenRecord::of(&token, now)),
            failure: None,
        };
        assert_eq!(keep_until_ms(&with_token) - now_ms, 3_540_000);
        let short = Token::new("tok", "", Duration::from_secs(100), Instant::now(), now);
        let entry = TokenEntry {
            token: Some(TokenRecord::of(&short, now)),
            failure: Some(FailureRecord::of(
                &Error::new(Status::Network, "down"),
                1,
                now,
                Duration::from_secs(300),
            )),
        };
        assert_eq!(keep_until_ms(&entry) - now_ms, 300_000);
        let brief = TokenEntry {
            token: None,
            failure: Some(FailureRecord::of(
                &Error::new(Status::Network, "down"),
                1,
                now,
                Duration::ZERO,
            )),
        };
        assert_eq!(keep_until_ms(&brief) - now_ms, MIN_FAILURE_VISIBLE_MS);
    }

    #[test]
    fn holder_values_differ_and_passwords_are_scrubbed() {
        assert_ne!(holder_value(), holder_value());
        assert_eq!(holder_value().len(), 32);
        assert_eq!(
            scrub("WRONGPASS for hunter2", Some("hunter2")),
            "WRONGPASS for [redacted]"
        );
        assert_eq!(scrub("x", Some("")), "x");
    }
}
