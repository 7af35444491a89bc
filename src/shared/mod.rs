//! Cache levels shared beyond one process. Today the host level: sealed entries in a private
//! per-user directory, with single-flight across processes through a lock file per entry.
//!
//! The entry format ([`entry`]) and its sealing ([`seal`]) know nothing about files, so another
//! shared level (Redis, say) can store the same bytes.
//!
//! A shared level is never the reason a call fails: any trouble with it is logged (once at
//! warning level, then at debug level) and the call goes on as if the level were not there.

mod entry;
mod fleet;
mod fleet_config;
#[cfg(unix)]
mod host;
#[cfg(not(unix))]
#[path = "host_unsupported.rs"]
mod host;
mod seal;

use std::{
    path::PathBuf,
    sync::atomic::{AtomicBool, Ordering},
    thread,
    time::{Duration, Instant, SystemTime},
};

use entry::{DiscoveryRecord, FailureRecord, Kind, TokenEntry, unix_ms};
use host::{HostDir, Lock};
use seal::Keys;

pub(crate) use fleet::{FleetCounters, FleetLevel};
pub(crate) use fleet_config::{DEFAULT_PREFIX, FleetSettings, RedisUrl, check_prefix, read_password_file};
#[cfg(unix)]
pub(crate) use host::close_inherited_locks;

use crate::{
    error::{Error, Result, Status},
    log::{LogLevel, log},
    oauth::discovery::Discovered,
    options::{CacheDir, Settings},
    token::Token,
    url::HttpUrl,
};

/// The directory under `XDG_RUNTIME_DIR` used by default.
const DEFAULT_SUBDIRECTORY: &str = "vidiflow-auth";
/// How long a discovered token endpoint is kept in the shared level.
const DISCOVERY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// Pauses between attempts to take a lock held by someone else.
const FIRST_POLL: Duration = Duration::from_millis(1);
const MAX_POLL: Duration = Duration::from_millis(10);

/// What a caller needs from a token found in the shared level.
#[derive(Clone, Copy)]
pub(crate) struct Need<'a> {
    /// It must stay valid this long beyond the safety buffer.
    pub min_valid: Duration,
    /// A refresh of this token: only a newer token will do.
    pub replacing: Option<&'a Token>,
}

impl Need<'_> {
    fn accepts(&self, token: &Token) -> bool {
        let now = Instant::now();
        token.usable(now, self.min_valid)
            && self.replacing.is_none_or(|old| {
                token.access_token() != old.access_token()
                    && token.expires_at_unix() > old.expires_at_unix()
                    && !token.refresh_due(now)
            })
    }
}

/// Where a token came from.
pub(crate) enum Source {
    /// The shared level: another process fetched it.
    Shared,
    /// The authority, asked by this process.
    Authority,
}

/// What the shared level says about a token entry.
enum Look {
    Found(Token),
    /// Failures hold requests back: this is the error to report.
    Held(Error),
    Nothing,
}

/// The host level of one identity, for one fork generation.
pub(crate) struct HostLevel {
    dir: HostDir,
    keys: Keys,
    token_name: String,
    discovery_name: String,
    /// Whether a trouble was logged at warning level already.
    warned: AtomicBool,
}

/// The directory the host level uses for `settings`, if any: `cache_dir` when set, else
/// `$XDG_RUNTIME_DIR/vidiflow-auth` when that variable names a private directory of this user.
fn directory(settings: &Settings) -> Option<PathBuf> {
    match &settings.cache_dir {
        CacheDir::Off => None,
        CacheDir::Path(path) => Some(path.clone()),
        CacheDir::Default => {
            let runtime = PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?);
            if !runtime.is_absolute() {
                return None;
            }
            if !host::is_private_dir(&runtime) {
                log(LogLevel::Info, || {
                    format!(
                        "host-level token cache off: XDG_RUNTIME_DIR ({}) is not a private directory of this user",
                        runtime.display()
                    )
                });
                return None;
            }
            Some(runtime.join(DEFAULT_SUBDIRECTORY))
        }
    }
}

impl HostLevel {
    /// The host level for `settings` and the cache key's stable `identity`, or `None` when it
    /// is off or its directory cannot be used (said once in the log).
    pub fn open(settings: &Settings, identity: &[u8]) -> Option<HostLevel> {
        let path = directory(settings)?;
        let dir = match HostDir::open(&path) {
            Ok(dir) => dir,
            Err(trouble) => {
                log(LogLevel::Warn, || {
                    format!("host-level token cache off, tokens are cached in this process only: {trouble}")
                });
                return None;
            }
        };
        let keys = Keys::derive(settings.secret.expose().as_bytes(), identity);
        Some(HostLevel {
            dir,
            token_name: keys.name(Kind::Token),
            discovery_name: keys.name(Kind::Discovery),
            keys,
            warned: AtomicBool::new(false),
        })
    }

    /// Logs a trouble with the shared level: at warning level the first time, then at debug.
    fn trouble(&self, what: impl FnOnce() -> String) {
        let level = if self.warned.swap(true, Ordering::Relaxed) {
            LogLevel::Debug
        } else {
            LogLevel::Warn
        };
        log(level, || {
            format!(
                "host-level token cache ({}) skipped, going on without it: {}",
                self.dir.path().display(),
                what()
            )
        });
    }

    fn read_token_entry(&self) -> Option<TokenEntry> {
        let bytes = match self.dir.read(&self.token_name) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return None,
            Err(trouble) => {
                self.trouble(|| trouble);
                return None;
            }
        };
        let decoded = self
            .keys
            .open(Kind::Token, &self.token_name, &bytes)
            .and_then(|plain| TokenEntry::decode(&plain));
        match decoded {
            Ok(entry) => Some(entry),
            Err(unreadable) => {
                self.trouble(|| format!("{unreadable}; it will be replaced"));
                None
            }
        }
    }

    fn write_token_entry(&self, entry: &TokenEntry) {
        let written = self
            .keys
            .seal(Kind::Token, &self.token_name, &entry.encode())
            .map_err(|_| "cannot seal the entry".to_owned())
            .and_then(|sealed| self.dir.write(&self.token_name, &sealed));
        if let Err(trouble) = written {
            self.trouble(|| trouble);
        }
    }

    /// What the entry offers a caller with `need`. A failure newer than `started` is the
    /// outcome of the flight the caller waited for, reported as it was; an older one, while
    /// it holds, is reported the way the in-process cache reports a hold.
    fn look(&self, need: Need, started: SystemTime) -> Look {
        look_at(self.read_token_entry().as_ref(), need, started)
    }

    /// A token for `need`: from the shared level, or from `fly` (which asks the authority),
    /// run by one process at a time. Waits for another process's flight up to half the time
    /// left before `deadline`, then flies without the lock.
    pub fn token(
        &self,
        need: Need,
        deadline: Instant,
        hold_after: impl Fn(&Error, u32) -> Duration,
        fly: impl FnOnce() -> Result<Token>,
    ) -> Result<(Token, Source)> {
        let started = SystemTime::now();
        match self.look(need, started) {
            Look::Found(token) => return Ok((token, Source::Shared)),
            Look::Held(error) => return Err(error),
            Look::Nothing => {}
        }
        if let Err(trouble) = self.dir.check() {
            self.trouble(|| trouble);
            return fly().map(|token| (token, Source::Authority));
        }
        let lock = match self.wait_for_lock(deadline, true) {
            Waited::Locked(lock) => lock,
            Waited::Gave(look) => match look {
                Look::Found(token) => return Ok((token, Source::Shared)),
                Look::Held(error) => return Err(error),
                Look::Nothing => return fly().map(|token| (token, Source::Authority)),
            },
        };
        // While we waited for the lock, its holder may have landed.
        let previous = self.read_token_entry();
        match look_at(previous.as_ref(), need, started) {
            Look::Found(token) => return Ok((token, Source::Shared)),
            Look::Held(error) => return Err(error),
            Look::Nothing => {}
        }
        let sent = SystemTime::now();
        let outcome = fly();
        let entry = TokenEntry::after(previous, &outcome, sent, hold_after);
        self.write_token_entry(&entry);
        drop(lock);
        outcome.map(|token| (token, Source::Authority))
    }

    /// Takes the token entry's lock, looking at the entry between attempts when `look` says so.
    /// Gives up at half the time left, or at once when locks do not work here.
    fn wait_for_lock(&self, deadline: Instant, look: bool) -> Waited {
        let started = Instant::now();
        let give_up = started + deadline.saturating_duration_since(started) / 2;
        let started_wall = SystemTime::now();
        let mut pause = FIRST_POLL;
        loop {
            match self.dir.try_lock(&self.token_name) {
                Ok(Some(lock)) => return Waited::Locked(lock),
                Ok(None) => {}
                Err(trouble) => {
                    self.trouble(|| trouble);
                    return Waited::Gave(Look::Nothing);
                }
            }
            if Instant::now() >= give_up {
                self.trouble(|| {
                    format!(
                        "another process held the lock for more than {} ms",
                        started.elapsed().as_millis()
                    )
                });
                return Waited::Gave(Look::Nothing);
            }
            thread::sleep(pause);
            pause = (pause * 2).min(MAX_POLL);
            if look {
                match self.look_while_waiting(started_wall) {
                    Look::Nothing => {}
                    found => return Waited::Gave(found),
                }
            }
        }
    }

    fn look_while_waiting(&self, started: SystemTime) -> Look {
        // Any token the holder lands will do for a plain caller; needs beyond that are checked
        // again under the lock.
        self.look(
            Need {
                min_valid: Duration::ZERO,
                replacing: None,
            },
            started,
        )
    }

    /// Removes the shared entry if it still holds `access_token`; a newer token is kept.
    /// Returns whether it removed one.
    pub fn invalidate(&self, access_token: &str, deadline: Instant) -> bool {
        let Waited::Locked(lock) = self.wait_for_lock(deadline, false) else {
            return false;
        };
        let holds_it = self
            .read_token_entry()
            .and_then(|entry| entry.token)
            .is_some_and(|record| *record.access_token == access_token);
        let removed = holds_it
            && match self.dir.remove(&self.token_name) {
                Ok(()) => true,
                Err(trouble) => {
                    self.trouble(|| trouble);
                    false
                }
            };
        drop(lock);
        removed
    }

    /// What another process discovered for this identity, if still fresh.
    pub fn discovered(&self) -> Option<Discovered> {
        let bytes = match self.dir.read(&self.discovery_name) {
            Ok(bytes) => bytes?,
            Err(trouble) => {
                self.trouble(|| trouble);
                return None;
            }
        };
        let record = self
            .keys
            .open(Kind::Discovery, &self.discovery_name, &bytes)
            .and_then(|plain| DiscoveryRecord::decode(&plain));
        match record {
            Ok(record) if record.fresh(SystemTime::now()) => {
                let url = |text: &str| HttpUrl::parse(text, "a cached discovery").ok();
                Some(Discovered {
                    token_endpoint: url(&record.token_endpoint)?,
                    issuer: url(&record.issuer)?,
                    mtls_token_endpoint: Some(record.mtls_token_endpoint).filter(|alias| !alias.is_empty()),
                })
            }
            Ok(_) => None,
            Err(unreadable) => {
                self.trouble(|| format!("discovery {unreadable}; it will be replaced"));
                None
            }
        }
    }

    /// Keeps what discovery found for the other processes of this identity.
    pub fn store_discovery(&self, discovered: &Discovered) {
        let now = unix_ms(SystemTime::now());
        let record = DiscoveryRecord {
            token_endpoint: discovered.token_endpoint.as_str().to_owned(),
            issuer: discovered.issuer.as_str().to_owned(),
            mtls_token_endpoint: discovered.mtls_token_endpoint.clone().unwrap_or_default(),
            fetched_at_ms: now,
            expires_at_ms: now.saturating_add(DISCOVERY_LIFETIME.as_millis() as i64),
        };
        let written = self
            .keys
            .seal(Kind::Discovery, &self.discovery_name, &record.encode())
            .map_err(|_| "cannot seal the entry".to_owned())
            .and_then(|sealed| self.dir.write(&self.discovery_name, &sealed));
        if let Err(trouble) = written {
            self.trouble(|| trouble);
        }
    }

    /// Drops the discovered endpoint (it may have moved).
    pub fn forget_discovery(&self) {
        if let Err(trouble) = self.dir.remove(&self.discovery_name) {
            self.trouble(|| trouble);
        }
    }
}

/// What `entry` offers a caller with `need` (see [`HostLevel::look`]).
fn look_at(entry: Option<&TokenEntry>, need: Need, started: SystemTime) -> Look {
    let Some(entry) = entry else {
        return Look::Nothing;
    };
    let now = SystemTime::now();
    if let Some(token) = entry.token.as_ref().and_then(|record| record.to_token(now)) {
        if need.accepts(&token) {
            return Look::Found(token);
        }
    }
    match &entry.failure {
        Some(failure) if failure.failed_at_ms >= unix_ms(started) => Look::Held(failure.error()),
        Some(failure) => match failure.hold_left(now) {
            Some(left) => Look::Held(held_back(failure, left)),
            None => Look::Nothing,
        },
        None => Look::Nothing,
    }
}

/// The outcome of waiting for a lock.
enum Waited {
    Locked(Lock),
    /// Not locked: what the entry said meanwhile (`Nothing`: fly without the lock).
    Gave(Look),
}

/// The error for a caller who arrives while another process's failure holds requests back:
/// a refusal is repeated as it was, anything else is THROTTLED — as in the in-process cache.
fn held_back(failure: &FailureRecord, left: Duration) -> Error {
    let error = failure.error();
    let seconds = left.as_secs_f64();
    if !error.is_transient() {
        return error.context_after(&format!(
            " (remembered by another process; the authority is asked again in {seconds:.1} s)"
        ));
    }
    Error::new(
        Status::Throttled,
        format!(
            "not sent: another process's request failed ({} in a row); next attempt in {seconds:.1} s. Last failure: {}",
            failure.consecutive,
            error.message()
        ),
    )
    .with_retry_after(Some(left))
}
