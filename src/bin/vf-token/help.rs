//! `--help`, generated from [`OPTION_KEYS`] and [`Status::ALL`] so it cannot drift from them.

use std::fmt::Write as _;

use vidiflow_auth::{OPTION_KEYS, OptionKey, Status, ValueKind, env_var_name};

use super::args::{NO_CACHE_FLAG, SECRET_STDIN_FLAG, flag_name};

/// Exit status when a token was printed.
pub const EXIT_OK: u8 = 0;
/// Exit status when standard input or output failed (say, a closed pipe).
pub const EXIT_IO: u8 = 1;
/// Exit status for a mistake on the command line.
pub const EXIT_USAGE: u8 = 2;
/// Library failures exit with this plus the status number: VF_STATUS_OAUTH (7) exits with 17.
pub const EXIT_STATUS_BASE: u8 = 10;

/// The exit status for a library failure.
pub fn exit_code(status: Status) -> u8 {
    EXIT_STATUS_BASE + status as u8
}

/// The value placeholder a flag shows.
fn placeholder(key: &OptionKey) -> &'static str {
    match key.kind {
        ValueKind::Bool => "[=true|false]",
        ValueKind::Path => " PATH",
        ValueKind::Milliseconds => " MILLISECONDS",
        ValueKind::Seconds => " SECONDS",
        ValueKind::Url => " URL",
        ValueKind::Text => " VALUE",
    }
}

/// The whole `--help` text.
pub fn text() -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "\
vf-token {version}: print an OAuth 2.0 client-credentials access token for the VidiFlow Web API
(or any OpenID Connect authority).

Usage: vf-token [OPTIONS]
  e.g. curl -H \"$(vf-token --header)\" https://api.example.com/...
       vf-token --header | curl -H @- https://api.example.com/...   (token stays out of ps)

Output (one of):
  (default)           the access token, on one line
  --header            the header line 'Authorization: Bearer <token>'
  --json              one line: {{\"access_token\", \"token_type\", \"expires_in\", \"expires_at\", \"scope\"}};
                      expires_at is in seconds since the Unix epoch
  --min-valid SECONDS the token stays valid at least this long after it is printed (default 0)

Options: every option is also read from its VF_* variable, and a flag wins over its variable.
--name=VALUE works as well as --name VALUE. An empty value (--scope=) resets the option to its
default and ignores the variable. Boolean options alone mean true.
",
        version = env!("CARGO_PKG_VERSION")
    );
    for key in OPTION_KEYS {
        let _ = writeln!(out, "  --{}{}", flag_name(key.name), placeholder(key));
        let _ = writeln!(out, "        {}.", key.summary);
        let _ = write!(out, "        ");
        if !key.default.is_empty() {
            let _ = write!(out, "Default: {}. ", key.default);
        }
        let _ = writeln!(out, "Variable: {}.", env_var_name(key.name));
        if key.name == "client_secret" {
            let _ = writeln!(
                out,
                "        Warning: a value given here is visible in the process list and shell history."
            );
        }
    }
    let _ = write!(
        out,
        "  --{SECRET_STDIN_FLAG}
        Read the client secret from the first line of standard input (echo is off on a terminal).
  --{NO_CACHE_FLAG}
        Skip the host-level and fleet-level (Redis) token caches: ask the authority.

The client secret: from VF_CLIENT_SECRET or VF_CLIENT_SECRET_FILE, or --client-secret-file PATH,
or --client-secret-stdin. A secret flag replaces both variables. --client-secret VALUE works but
prints a warning. The secret is never printed, not even in error messages.

Errors go to standard error as 'vf-token: VF_STATUS_<NAME>: <message>', with the message the
C API gives (vf_error_message).

Exit status:
  {EXIT_OK:>2}  a token was printed
  {EXIT_IO:>2}  standard input or output failed (e.g. a closed pipe)
  {EXIT_USAGE:>2}  usage error: unknown option, missing or malformed value
"
    );
    for status in Status::ALL.into_iter().filter(|status| *status != Status::Ok) {
        let _ = writeln!(
            out,
            "  {:>2}  {:<27} {}",
            exit_code(status),
            status.name(),
            status.meaning().replace('`', "")
        );
    }
    let _ = write!(
        out,
        "  (that is, {EXIT_STATUS_BASE} + the C status number)

Other:
  -v, --verbose       the library's log on standard error (never the secret or the token);
                      twice (-vv) for every attempt's details
  -h, --help          this text
  -V, --version       the version
"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_flag_variable_and_exit_code() {
        let text = text();
        for key in OPTION_KEYS {
            assert!(text.contains(&format!("--{}", flag_name(key.name))), "{}", key.name);
            assert!(text.contains(&env_var_name(key.name)), "{}", key.name);
        }
        for status in &Status::ALL[1..] {
            assert!(
                text.contains(&format!("{}  {}", exit_code(*status), status.name())),
                "{status:?}"
            );
        }
    }

    #[test]
    fn lines_fit_a_terminal() {
        for line in text().lines() {
            assert!(line.chars().count() <= 100, "{line}");
        }
    }

    #[test]
    fn exit_codes_stay_below_126() {
        assert!(Status::ALL.iter().all(|status| exit_code(*status) < 126));
    }
}
