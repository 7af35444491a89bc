//! Host name lookups, remembered briefly, so a token request on a kept-alive connection starts
//! no thread.
//!
//! ureq resolves the host before it looks for a pooled connection, and its `DefaultResolver`
//! runs each lookup on a new thread whenever a timeout applies (src/http.rs always sets one):
//! a thread per request even when the connection is reused. [`RememberingResolver`] answers a
//! repeated lookup from what the last one found, for [`REMEMBER`]; only the first lookup (and
//! the first after that time) goes to `DefaultResolver`, with its thread and its timeout. An
//! address that changes is seen within [`REMEMBER`].

use std::{
    fmt,
    sync::Mutex,
    time::{Duration, Instant},
};

use ureq::{
    config::Config,
    http::Uri,
    unversioned::{
        resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver},
        transport::NextTimeout,
    },
};

use crate::sync::lock;

/// How long a lookup's answer is used again.
pub const REMEMBER: Duration = Duration::from_secs(30);

/// One agent's lookups: its authority, perhaps its proxy — a few names.
const NAMES: usize = 4;

/// A `DefaultResolver` whose answers are used again for [`REMEMBER`].
#[derive(Default)]
pub struct RememberingResolver {
    inner: DefaultResolver,
    /// (host:port, when looked up, addresses), most recent last.
    remembered: Mutex<Vec<(String, Instant, ResolvedSocketAddrs)>>,
}

impl fmt::Debug for RememberingResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RememberingResolver").finish_non_exhaustive()
    }
}

impl Resolver for RememberingResolver {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let name = uri
            .scheme()
            .zip(uri.authority())
            .and_then(|(scheme, authority)| DefaultResolver::host_and_port(scheme, authority));
        let Some(name) = name else {
            return self.inner.resolve(uri, config, timeout);
        };
        let now = Instant::now();
        {
            let mut remembered = lock(&self.remembered);
            remembered.retain(|(_, at, _)| now.saturating_duration_since(*at) < REMEMBER);
            if let Some((_, _, addresses)) = remembered.iter().find(|(known, _, _)| *known == name) {
                return Ok(addresses.clone());
            }
        }
        let addresses = self.inner.resolve(uri, config, timeout)?;
        let mut remembered = lock(&self.remembered);
        if remembered.len() >= NAMES {
            remembered.remove(0);
        }
        remembered.push((name, now, addresses.clone()));
        Ok(addresses)
    }
}
