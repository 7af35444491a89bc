//! `vf-token`: prints an OAuth 2.0 client-credentials access token, so a shell gets one in one
//! word: `curl -H "$(vf-token --header)" https://…`.
//!
//! Configured by `VF_*` variables and by flags that mirror the option keys (flags win); errors
//! carry the same message the C API gives, and the exit status tells the status family (see
//! `vf-token --help`). The client secret is never printed.

// A binary's root file looks for its modules beside itself, in src/bin/; these live in
// src/bin/vf-token/ to keep src/bin/ for binaries.
#[path = "vf-token/args.rs"]
mod args;
#[cfg(windows)]
#[path = "vf-token/console.rs"]
mod console;
#[path = "vf-token/help.rs"]
mod help;

use std::{
    ffi::{CStr, c_char, c_void},
    io::{self, BufRead, Read, Write},
    process::ExitCode,
    sync::atomic::{AtomicU32, Ordering},
};

use args::{Command, Invocation, Output, SecretSource, UsageError};
#[cfg(windows)]
use console::EchoOff;
use help::{EXIT_IO, EXIT_OK, EXIT_USAGE, exit_code};
use vidiflow_auth::{Client, Error, LogLevel, Options, Token, set_log_callback};
use zeroize::Zeroizing;

/// The longest secret read from standard input, a guard against reading a whole file.
const MAX_SECRET_LINE: u64 = 64 * 1024;

/// Why a run failed; each kind has its exit status.
enum Failure {
    /// A mistake on the command line.
    Usage(String),
    /// The library failed: its status and message, as C sees them.
    Library(Error),
    /// Standard input or output failed. `None` for a closed pipe, which is not worth a message.
    Io(Option<String>),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Library(error)
    }
}

impl From<UsageError> for Failure {
    fn from(UsageError(message): UsageError) -> Failure {
        Failure::Usage(message)
    }
}

fn main() -> ExitCode {
    let outcome = match args::parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => write_stdout(&help::text()),
        Ok(Command::Version) => write_stdout(&format!("vf-token {}\n", env!("CARGO_PKG_VERSION"))),
        Ok(Command::Run(invocation)) => run(invocation),
        Err(error) => Err(error.into()),
    };
    let code = match outcome {
        Ok(()) => EXIT_OK,
        Err(Failure::Usage(message)) => {
            complain(&format!("{message} (see 'vf-token --help')"));
            EXIT_USAGE
        }
        Err(Failure::Library(error)) => {
            complain(&format!("{}: {}", error.status().name(), error.message()));
            exit_code(error.status())
        }
        Err(Failure::Io(message)) => {
            if let Some(message) = message {
                complain(&message);
            }
            EXIT_IO
        }
    };
    ExitCode::from(code)
}

/// Builds the options (variables first, then flags), gets a token and prints it.
fn run(invocation: Invocation) -> Result<(), Failure> {
    if let Some(SecretSource::Value(_)) = invocation.secret {
        complain(
            "warning: --client-secret puts the secret in the process list and shell history; \
             use VF_CLIENT_SECRET, --client-secret-file or --client-secret-stdin instead",
        );
    }
    if invocation.verbose > 0 {
        let level = if invocation.verbose > 1 {
            LogLevel::Debug
        } else {
            LogLevel::Info
        };
        LOG_LEVEL.store(level as u32, Ordering::Relaxed);
        set_log_callback(Some(log_to_stderr), std::ptr::null_mut());
    }
    let mut options = Options::new();
    options.load_env()?;
    for (key, value) in &invocation.settings {
        options.set(key, value)?;
    }
    if let Some(source) = invocation.secret {
        // A secret flag replaces whatever VF_CLIENT_SECRET or VF_CLIENT_SECRET_FILE said.
        options.set("client_secret", "")?;
        options.set("client_secret_file", "")?;
        match source {
            SecretSource::Value(secret) => options.set("client_secret", &secret)?,
            SecretSource::File(path) => options.set("client_secret_file", &path)?,
            SecretSource::Stdin => options.set("client_secret", &read_secret_line()?)?,
        }
    }
    let client = Client::new(&options)?;
    let token = client.token_valid_for(invocation.min_valid)?;
    write_stdout(&render(&token, invocation.output))
}

/// The line printed for `token`, allocated once at its final size (no copy of the token is left
/// behind by a growing buffer) and wiped from memory once written.
fn render(token: &Token, output: Output) -> Zeroizing<String> {
    match output {
        Output::Token => joined(&[token.access_token(), "\n"]),
        Output::Header => joined(&["Authorization: ", token.authorization(), "\n"]),
        Output::Json => {
            // The access token is made of Bearer-token characters only: as a JSON string it
            // needs quotes and no escapes.
            let expires_in = token.remaining(std::time::Instant::now()).as_secs().to_string();
            let expires_at = token.expires_at_unix().to_string();
            let scope = serde_json::Value::from(token.scope()).to_string();
            joined(&[
                "{\"access_token\":\"",
                token.access_token(),
                "\",\"token_type\":\"Bearer\",\"expires_in\":",
                &expires_in,
                ",\"expires_at\":",
                &expires_at,
                ",\"scope\":",
                &scope,
                "}\n",
            ])
        }
    }
}

/// `parts` one after the other, in a string of exactly their length.
fn joined(parts: &[&str]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(parts.iter().map(|part| part.len()).sum()));
    parts.iter().for_each(|part| text.push_str(part));
    text
}

/// The first line of standard input, without its line break. On a terminal, asks for it with
/// echo off.
fn read_secret_line() -> Result<Zeroizing<String>, Failure> {
    // Room for the longest line allowed, so reading never grows (and copies) the buffer.
    let mut line = Zeroizing::new(String::with_capacity(MAX_SECRET_LINE as usize + 1));
    {
        let _echo_off = EchoOff::on_terminal();
        io::stdin()
            .lock()
            .take(MAX_SECRET_LINE)
            .read_line(&mut line)
            .map_err(|error| {
                Failure::Io(Some(format!(
                    "cannot read the client secret from standard input: {error}"
                )))
            })?;
    }
    let secret = line.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(Failure::Usage(
            "--client-secret-stdin: standard input held no secret".to_owned(),
        ));
    }
    Ok(Zeroizing::new(secret.to_owned()))
}

/// Writes `text` to standard output and flushes it.
fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|error| {
            Failure::Io(
                (error.kind() != io::ErrorKind::BrokenPipe).then(|| format!("cannot write the output: {error}")),
            )
        })
}

/// One line on standard error, prefixed with the program name. A failure to write it is ignored:
/// there is nowhere left to report it.
fn complain(message: &str) {
    let _ = writeln!(io::stderr(), "vf-token: {message}");
}

/// The most detailed log level `--verbose` shows.
static LOG_LEVEL: AtomicU32 = AtomicU32::new(0);

/// The library's log messages (which never hold a secret or a token) on standard error.
extern "C" fn log_to_stderr(_user_data: *mut c_void, level: LogLevel, message: *const c_char) {
    if level as u32 > LOG_LEVEL.load(Ordering::Relaxed) || message.is_null() {
        return;
    }
    // SAFETY: the library passes a NUL-terminated message that lives for the call.
    let message = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    let level = match level {
        LogLevel::Error => "error",
        LogLevel::Warn => "warning",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
    };
    complain(&format!("{level}: {message}"));
}

/// Terminal echo switched off while the secret is typed, and back on when dropped.
#[cfg(unix)]
struct EchoOff(Option<libc::termios>);

#[cfg(unix)]
impl EchoOff {
    /// Prompts and switches echo off if standard input is a terminal; otherwise does nothing.
    fn on_terminal() -> EchoOff {
        // SAFETY: isatty, tcgetattr and tcsetattr only read and write the termios value passed,
        // which lives on this stack frame; a zeroed termios is a valid value to be overwritten.
        unsafe {
            if libc::isatty(libc::STDIN_FILENO) != 1 {
                return EchoOff(None);
            }
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0 {
                return EchoOff(None);
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            let echo_off = libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) == 0;
            let _ = write!(io::stderr(), "vf-token: client secret: ");
            EchoOff(echo_off.then_some(saved))
        }
    }
}

#[cfg(unix)]
impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            // SAFETY: restores the settings read in `on_terminal`, from a live reference.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved) };
            let _ = writeln!(io::stderr());
        }
    }
}
