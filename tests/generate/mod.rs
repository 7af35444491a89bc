//! Writes the per-language pieces of the API description from the Rust tables: the option keys
//! ([`OPTION_KEYS`]) and the statuses ([`Status::ALL`] with [`Status::meaning`]). The only
//! facts kept here are the names each binding gives a status, in a `match` without a wildcard,
//! so a new status does not compile until every binding has named it.

pub mod csharp;
mod python;
mod readme;

use vidiflow_auth::{OPTION_KEYS, OptionKey, Status, ValueKind};

/// One generated file, or one region of a hand-written file between marker comments.
pub struct Generated {
    /// Relative to the repository root.
    pub path: &'static str,
    /// `Some(name)`: only the region between `<!-- generated: name -->` and
    /// `<!-- end generated: name -->` is generated.
    pub region: Option<&'static str>,
    pub text: String,
}

/// Every generated piece, in a fixed order.
pub fn files() -> Vec<Generated> {
    vec![
        Generated {
            path: "bindings/python/src/vidiflow_auth/_tables.py",
            region: None,
            text: python::tables(),
        },
        Generated {
            path: "bindings/python/src/vidiflow_auth/_exceptions.py",
            region: None,
            text: python::exceptions(),
        },
        Generated {
            path: "bindings/csharp/src/VidiFlowStatus.cs",
            region: None,
            text: csharp::status_enum(),
        },
        Generated {
            path: "bindings/csharp/src/StatusExceptions.cs",
            region: None,
            text: csharp::exceptions(),
        },
        Generated {
            path: "bindings/csharp/src/TokenClientOptions.Generated.cs",
            region: None,
            text: csharp::options(),
        },
        Generated {
            path: "README.md",
            region: Some("options"),
            text: readme::options(),
        },
        Generated {
            path: "README.md",
            region: Some("statuses"),
            text: readme::statuses(),
        },
        Generated {
            path: "bindings/python/README.md",
            region: Some("options"),
            text: readme::python_options(),
        },
        Generated {
            path: "bindings/python/README.md",
            region: Some("exceptions"),
            text: readme::python_exceptions(),
        },
        Generated {
            path: "bindings/csharp/README.md",
            region: Some("options"),
            text: readme::csharp_options(),
        },
        Generated {
            path: "bindings/csharp/README.md",
            region: Some("exceptions"),
            text: readme::csharp_exceptions(),
        },
    ]
}

/// `text` with the region `name` replaced by `body`; an error when the markers are missing.
pub fn replace_region(text: &str, name: &str, body: &str) -> Result<String, String> {
    let begin = format!("<!-- generated: {name} (make generate; do not edit) -->\n");
    let end = format!("<!-- end generated: {name} -->");
    let start = text.find(&begin).ok_or_else(|| format!("no marker line {begin:?}"))? + begin.len();
    let stop = text[start..]
        .find(&end)
        .ok_or_else(|| format!("no marker {end:?} after {begin:?}"))?
        + start;
    Ok(format!("{}{body}{}", &text[..start], &text[stop..]))
}

/// The names a binding gives one failure status.
pub struct FailureNames {
    /// The Python exception class.
    pub python_class: &'static str,
    /// Builtin exceptions the Python class also derives from, so `except ValueError` works.
    pub python_bases: &'static [&'static str],
    /// The member of the C# `VidiFlowStatus` enum.
    pub csharp_member: &'static str,
    /// The C# exception class.
    pub csharp_class: &'static str,
}

/// The bindings' names for a status; `None` for success, which has no exception.
pub fn failure_names(status: Status) -> Option<FailureNames> {
    let names = |python_class, python_bases, csharp_member, csharp_class| FailureNames {
        python_class,
        python_bases,
        csharp_member,
        csharp_class,
    };
    Some(match status {
        Status::Ok => return None,
        Status::InvalidArgument => names(
            "InvalidArgumentError",
            &["ValueError"],
            "InvalidArgument",
            "InvalidArgumentException",
        ),
        Status::Config => names("ConfigError", &[], "Config", "ConfigurationException"),
        Status::Discovery => names("DiscoveryError", &[], "Discovery", "DiscoveryException"),
        Status::Network => names("NetworkError", &["ConnectionError"], "Network", "NetworkException"),
        Status::Timeout => names(
            "AuthTimeoutError",
            &["builtins.TimeoutError"],
            "Timeout",
            "AuthTimeoutException",
        ),
        Status::Tls => names("TLSError", &[], "Tls", "TlsException"),
        Status::Oauth => names("OAuthError", &[], "OAuth", "OAuthException"),
        Status::Http => names("HTTPError", &[], "Http", "HttpStatusException"),
        Status::Protocol => names("ProtocolError", &[], "Protocol", "ProtocolException"),
        Status::Throttled => names("ThrottledError", &[], "Throttled", "ThrottledException"),
        Status::Internal => names("InternalError", &[], "Internal", "InternalException"),
    })
}

/// The C# enum member for any status (success included).
pub fn csharp_member(status: Status) -> &'static str {
    failure_names(status).map_or("Ok", |names| names.csharp_member)
}

/// The name of the Python `Status` member: the C name without `VF_STATUS_`.
pub fn python_member(status: Status) -> &'static str {
    status.name().trim_start_matches("VF_STATUS_")
}

/// The kind's name as the bindings' tables spell it.
pub fn kind_name(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Url => "url",
        ValueKind::Path => "path",
        ValueKind::Bool => "bool",
        ValueKind::Milliseconds => "milliseconds",
        ValueKind::Seconds => "seconds",
        ValueKind::Text => "text",
    }
}

/// A sentence from a table's line: capital first letter, full stop.
pub fn sentence(line: &str) -> String {
    let mut chars = line.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
    let mut out = format!("{}{}", first.unwrap_or_default(), chars.as_str());
    if !out.ends_with(['.', '…']) {
        out.push('.');
    }
    out
}

/// A string literal both Python and C# read back as `text` (the tables hold printable text).
pub fn quoted(text: &str) -> String {
    assert!(
        !text.chars().any(char::is_control),
        "a table entry holds a control character: {text:?}"
    );
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The option keys, for the generators.
pub fn option_keys() -> &'static [OptionKey] {
    OPTION_KEYS
}

/// `snake_case` to `PascalCase`.
pub fn pascal(key: &str) -> String {
    key.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
