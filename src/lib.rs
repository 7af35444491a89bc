//! OAuth 2.0 client-credentials access tokens for the VidiFlow Web API (or any OpenID Connect
//! authority), from a process-wide, thread-safe cache — for Rust directly, and for C, C++,
//! Python and .NET through the C ABI in [`capi`].
//!
//! ```no_run
//! use vidiflow_auth::{Client, Options};
//!
//! let options = Options::new()
//!     .with("authority", "https://auth.example.com/Integrations/Authentication/core")?
//!     .with("client_id", "metadata_agent")?
//!     .with("client_secret_file", "/run/secrets/vidiflow")?
//!     .with("scope", "api1")?;
//! let client = Client::new(&options)?;
//! let token = client.token()?;
//! println!("Authorization: {}", token.authorization());
//! # Ok::<(), vidiflow_auth::Error>(())
//! ```

#![deny(missing_docs)]

#[cfg(test)]
mod alloc_audit;
mod cache;
pub mod capi;
mod client;
mod client_key;
mod clock;
mod der;
mod error;
#[cfg(feature = "fault-injection")]
mod fault;
mod hit;
mod http;
mod log;
mod oauth;
mod options;
mod process;
mod proxy;
mod random;
mod resolver;
mod secret;
mod shared;
mod striped;
mod sync;
#[cfg(test)]
mod testing;
mod text;
mod tls;
mod token;
mod url;
mod wipe;

pub use client::{Client, Stats};
pub use error::{Error, OauthError, Result, Status};
pub use log::{LogCallback, LogLevel, set_callback as set_log_callback};
pub use options::{AuthMethod, OPTION_KEYS, OptionKey, Options, ValueKind, env_var_name};
pub use text::CText;
pub use token::Token;

/// Entry points for the fuzz targets in `fuzz/`; compiled only under `cargo fuzz`.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::oauth::{discovery::fuzz_document as discovery_document, token::fuzz_response as token_response};
}
