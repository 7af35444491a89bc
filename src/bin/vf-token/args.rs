//! The command line: parsed by hand into an [`Invocation`], with one flag per option key.
//!
//! Flags come from [`OPTION_KEYS`], so a new option key gets its flag and its `--help` entry
//! without a change here. Nothing in this module ever quotes an argument's value: any of them
//! may be the client secret.

use std::{ffi::OsString, fmt, time::Duration};

use vidiflow_auth::{OPTION_KEYS, OptionKey, ValueKind};
use zeroize::Zeroizing;

/// The flag that reads the secret from standard input; not an option key.
pub const SECRET_STDIN_FLAG: &str = "client-secret-stdin";
/// The flag that turns the host-level cache off: `--cache-dir none`.
pub const NO_CACHE_FLAG: &str = "no-cache";

/// What the command line asks for.
pub enum Command {
    /// `--help`: print the help text.
    Help,
    /// `--version`: print the version.
    Version,
    /// Get a token and print it.
    Run(Invocation),
}

/// How to print the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The access token alone.
    Token,
    /// `Authorization: Bearer <token>`.
    Header,
    /// One line of JSON.
    Json,
}

/// Where the secret comes from when a flag names it (flags win over `VF_*` variables).
pub enum SecretSource {
    /// `--client-secret VALUE` (visible in the process list: warned about).
    Value(Zeroizing<String>),
    /// `--client-secret-file PATH`.
    File(String),
    /// `--client-secret-stdin`: the first line of standard input.
    Stdin,
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Value(_) => f.write_str("Value([redacted])"),
            // Not the path: a secret given where the path belongs would be shown.
            SecretSource::File(_) => f.write_str("File([not shown])"),
            SecretSource::Stdin => f.write_str("Stdin"),
        }
    }
}

/// A token request as the command line describes it.
#[derive(Debug)]
pub struct Invocation {
    /// Option keys and values from flags, in command-line order. Secret flags are not in here.
    pub settings: Vec<(&'static str, String)>,
    /// The secret's source, when a flag gives one.
    pub secret: Option<SecretSource>,
    /// How to print the token.
    pub output: Output,
    /// `--min-valid`.
    pub min_valid: Duration,
    /// How many times `-v` / `--verbose` was given.
    pub verbose: u8,
}

/// A mistake on the command line, described without quoting any value.
#[derive(Debug)]
pub struct UsageError(pub String);

/// `client_id` → `client-id`.
pub fn flag_name(key: &str) -> String {
    key.replace('_', "-")
}

/// Whether an option key takes true or false (and may be given alone, meaning true).
fn is_boolean(key: &OptionKey) -> bool {
    key.kind == ValueKind::Bool
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut args = args.into_iter().enumerate().map(|(index, arg)| (index + 1, arg));
    let mut invocation = Invocation {
        settings: Vec::new(),
        secret: None,
        output: Output::Token,
        min_valid: Duration::ZERO,
        verbose: 0,
    };
    let mut output_flag: Option<&'static str> = None;
    while let Some((position, arg)) = args.next() {
        let Some(arg) = arg.to_str() else {
            return Err(UsageError(format!("argument {position} is not valid UTF-8")));
        };
        let Some(flag) = arg.strip_prefix("--") else {
            match arg {
                "-h" => return Ok(Command::Help),
                "-V" => return Ok(Command::Version),
                "-v" | "-vv" => {
                    invocation.verbose = invocation.verbose.saturating_add(arg.len() as u8 - 1);
                    continue;
                }
                _ if arg.starts_with('-') && arg.len() > 1 => {
                    let name = arg.split('=').next().unwrap_or(arg);
                    return Err(UsageError(format!("unknown option '{}'", printable(name))));
                }
                // Not quoted: a stray argument is as likely to be a pasted secret as anything.
                _ => {
                    return Err(UsageError(format!(
                        "unexpected argument {position}: vf-token takes options only"
                    )));
                }
            }
        };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (flag, None),
        };
        let no_value = || match inline {
            Some(_) => Err(UsageError(format!("--{name} takes no value"))),
            None => Ok(()),
        };
        // The value after '=', or else the next argument.
        let value = |args: &mut dyn Iterator<Item = (usize, OsString)>| {
            if let Some(value) = inline {
                return Ok(value.to_owned());
            }
            match args.next() {
                Some((position, value)) => value.into_string().map_err(|_| {
                    UsageError(format!(
                        "the value of --{name} (argument {position}) is not valid UTF-8"
                    ))
                }),
                None => Err(UsageError(format!("--{name} needs a value"))),
            }
        };
        match name {
            "help" => return no_value().map(|()| Command::Help),
            "version" => return no_value().map(|()| Command::Version),
            "header" | "json" => {
                no_value()?;
                let (flag, output) = if name == "header" {
                    ("--header", Output::Header)
                } else {
                    ("--json", Output::Json)
                };
                if let Some(previous) = output_flag.filter(|previous| *previous != flag) {
                    return Err(UsageError(format!("{previous} and {flag} cannot be used together")));
                }
                output_flag = Some(flag);
                invocation.output = output;
            }
            "verbose" => {
                no_value()?;
                invocation.verbose = invocation.verbose.saturating_add(1);
            }
            "min-valid" => {
                let text = value(&mut args)?;
                let seconds = text
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| UsageError("--min-valid needs a whole number of seconds".to_owned()))?;
                invocation.min_valid = Duration::from_secs(seconds);
            }
            NO_CACHE_FLAG => {
                no_value()?;
                invocation.settings.push(("cache_dir", "none".to_owned()));
                for fleet in ["redis_url", "redis_password_file", "redis_prefix"] {
                    invocation.settings.push((fleet, String::new()));
                }
            }
            SECRET_STDIN_FLAG => {
                no_value()?;
                set_secret(&mut invocation, SecretSource::Stdin)?;
            }
            "client-secret" => {
                let secret = Zeroizing::new(value(&mut args)?);
                set_secret(&mut invocation, SecretSource::Value(secret))?;
            }
            "client-secret-file" => {
                let path = value(&mut args)?;
                set_secret(&mut invocation, SecretSource::File(path))?;
            }
            _ => {
                let Some(key) = OPTION_KEYS.iter().find(|key| flag_name(key.name) == name) else {
                    return Err(UsageError(format!("unknown option '--{}'", printable(name))));
                };
                let value = match (is_boolean(key), inline) {
                    // `--allow-http` alone means true; the next argument is never its value.
                    (true, None) => "true".to_owned(),
                    _ => value(&mut args)?,
                };
                invocation.settings.push((key.name, value));
            }
        }
    }
    Ok(Command::Run(invocation))
}

fn set_secret(invocation: &mut Invocation, source: SecretSource) -> Result<(), UsageError> {
    if invocation.secret.is_some() {
        return Err(UsageError(
            "give the client secret one way only: --client-secret, --client-secret-file or --client-secret-stdin"
                .to_owned(),
        ));
    }
    invocation.secret = Some(source);
    Ok(())
}

/// At most 40 printable characters of a flag name, for an error message.
fn printable(text: &str) -> String {
    let shown: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
    if shown.len() < text.len() {
        format!("{shown}...")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Invocation, String> {
        match parse(args.iter().map(OsString::from)) {
            Ok(Command::Run(invocation)) => Ok(invocation),
            Ok(_) => Err("not a run".to_owned()),
            Err(UsageError(message)) => Err(message),
        }
    }

    #[test]
    fn every_option_key_has_a_flag_in_both_forms() {
        for key in OPTION_KEYS {
            if key.name.starts_with("client_secret") {
                continue;
            }
            let flag = format!("--{}", flag_name(key.name));
            let spaced = run(&[&flag, "x"]).map(|i| i.settings);
            let joined = run(&[&format!("{flag}=x")]).map(|i| i.settings);
            assert_eq!(joined, Ok(vec![(key.name, "x".to_owned())]), "{flag}");
            if !is_boolean(key) {
                assert_eq!(spaced, joined, "{flag}");
            }
        }
    }

    #[test]
    fn boolean_flag_alone_means_true_and_does_not_take_the_next_argument() {
        let invocation = run(&["--allow-http", "--json"]).unwrap();
        assert_eq!(invocation.settings, vec![("allow_http", "true".to_owned())]);
        assert_eq!(invocation.output, Output::Json);
        assert!(run(&["--allow-http", "false"]).is_err());
    }

    #[test]
    fn secret_flags_are_exclusive_and_never_quoted() {
        let error = run(&["--client-secret", "hunter2-secret", "--client-secret-stdin"]).unwrap_err();
        assert!(error.contains("one way only"), "{error}");
        for args in [
            &["hunter2-secret"][..],
            &["--client-secrte=hunter2-secret"],
            &["--json=hunter2-secret"],
            &["-x=hunter2-secret"],
        ] {
            let error = run(args).unwrap_err();
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn debug_output_hides_a_secret_value() {
        let invocation = run(&["--client-secret=hunter2-secret"]).unwrap();
        assert!(!format!("{invocation:?}").contains("hunter2"));
    }

    #[test]
    fn usage_errors() {
        for (args, expect) in [
            (&["--scope"][..], "needs a value"),
            (&["--nope"], "unknown option '--nope'"),
            (&["--header", "--json"], "cannot be used together"),
            (&["--min-valid", "ten"], "whole number"),
            (&["--min-valid=-1"], "whole number"),
            (&["--header=yes"], "takes no value"),
        ] {
            let error = run(args).unwrap_err();
            assert!(error.contains(expect), "{args:?}: {error}");
        }
    }

    #[test]
    fn help_and_version_win() {
        assert!(parse(["--nope".into(), "--help".into()]).is_err());
        assert!(matches!(parse(["--json".into(), "-h".into()]), Ok(Command::Help)));
        assert!(matches!(parse(["--version".into()]), Ok(Command::Version)));
    }

    #[test]
    fn output_and_min_valid() {
        let invocation = run(&["--header", "--header", "--min-valid", "600"]).unwrap();
        assert_eq!(invocation.output, Output::Header);
        assert_eq!(invocation.min_valid, Duration::from_secs(600));
        assert_eq!(run(&[]).unwrap().output, Output::Token);
        assert_eq!(run(&["-v", "--verbose"]).unwrap().verbose, 2);
        assert_eq!(run(&["-vv"]).unwrap().verbose, 2);
    }

    #[test]
    fn no_cache_turns_the_host_level_off() {
        let invocation = run(&["--cache-dir", "/tmp/x", "--no-cache"]).unwrap();
        assert!(invocation.settings.contains(&("cache_dir", "none".to_owned())));
        assert!(invocation.settings.contains(&("redis_url", String::new())));
        assert!(run(&["--no-cache=yes"]).unwrap_err().contains("takes no value"));
    }
}
