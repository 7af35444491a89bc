//! `VidiFlowStatus.cs`, `StatusExceptions.cs` (one exception class per failure status and the
//! table from status to class) and `TokenClientOptions.Generated.cs` (one property per option
//! key, the known keys) of the .NET binding.

use std::fmt::Write as _;

use vidiflow_auth::{OptionKey, Status, ValueKind};

use super::{csharp_member, failure_names, kind_name, option_keys, pascal, quoted, sentence};

const HEADER: &str = "// Generated from src/error.rs and src/options.rs by `make generate`: do not edit.\n";

/// Table text as XML documentation: markup escaped, Markdown `code` as `<c>code</c>`.
fn xml(text: &str) -> String {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<c>{part}</c>");
        } else {
            out.push_str(part);
        }
    }
    out
}

pub fn status_enum() -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "namespace VidiFlow.Auth
{
    /// <summary>
    /// The outcome of a library call, with the numbers of <c>enum vf_status</c> in
    /// include/vidiflow_auth.h. Numbers are never reused or renumbered.
    /// </summary>
    public enum VidiFlowStatus : uint
    {
",
    );
    for (i, status) in Status::ALL.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(
            out,
            "        /// <summary>{} (<c>{}</c>)</summary>\n        {} = {},\n",
            xml(&sentence(status.meaning())),
            status.name(),
            csharp_member(status),
            status as u32
        );
    }
    out.push_str("    }\n}\n");
    out
}

pub fn exceptions() -> String {
    let failures: Vec<_> = Status::ALL
        .into_iter()
        .filter_map(|status| failure_names(status).map(|names| (status, names)))
        .collect();
    let mut out = String::from(HEADER);
    out.push_str(
        "namespace VidiFlow.Auth
{
    public partial class VidiFlowAuthException
    {
        /// <summary>
        /// The one table from status to exception type: every failure of the library becomes the
        /// type listed for its status; a status this binding does not know becomes a plain
        /// <see cref=\"VidiFlowAuthException\"/>.
        /// </summary>
        internal static readonly Family[] Families =
        {
",
    );
    for (_, names) in &failures {
        let _ = writeln!(
            out,
            "            new Family(VidiFlowStatus.{member}, typeof({class}), d => new {class}(d)),",
            member = names.csharp_member,
            class = names.csharp_class
        );
    }
    out.push_str("        };\n    }\n");
    for (status, names) in &failures {
        let _ = write!(
            out,
            "
    /// <summary>{doc} (<see cref=\"VidiFlowStatus.{member}\"/>)</summary>
    public class {class} : VidiFlowAuthException
    {{
        /// <summary>Creates the exception with a message.</summary>
        /// <param name=\"message\">What failed and why.</param>
        public {class}(string message) : base(VidiFlowStatus.{member}, message)
        {{
        }}

        internal {class}(ErrorDetails details) : base(details)
        {{
        }}
    }}
",
            doc = xml(&sentence(status.meaning())),
            member = names.csharp_member,
            class = names.csharp_class,
        );
    }
    out.push_str("}\n");
    out
}

/// Options whose property is written by hand in TokenClientOptions.cs (an enum, not text), with
/// the expression that gives their value or null.
const HAND_WRITTEN: &[(&str, &str)] = &[
    ("auth_method", "AuthMethodText()"),
    ("basic_auth_style", "BasicAuthStyleText()"),
];

/// Every option key with its property's name and type (C# spelling); the hand-written enum
/// properties are listed with their enum type.
pub fn properties() -> Vec<(&'static OptionKey, String, &'static str)> {
    option_keys()
        .iter()
        .map(|key| match key.name {
            "auth_method" => (key, "AuthMethod".to_owned(), "ClientAuthMethod?"),
            "basic_auth_style" => (key, "BasicAuthStyle".to_owned(), "BasicAuthStyle?"),
            _ => (key, property(key), property_type(key.kind)),
        })
        .collect()
}

/// The property name: the key in PascalCase, without a unit suffix (`timeout_ms` is `Timeout`).
fn property(key: &OptionKey) -> String {
    pascal(key.name.trim_end_matches("_ms"))
}

fn property_type(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Url | ValueKind::Path | ValueKind::Text => "string",
        ValueKind::Bool => "bool?",
        ValueKind::Milliseconds | ValueKind::Seconds => "TimeSpan?",
    }
}

/// The expression giving the option's text, or null when the property is null.
fn value_text(key: &OptionKey, name: &str) -> String {
    match key.kind {
        ValueKind::Url | ValueKind::Path | ValueKind::Text => name.to_owned(),
        ValueKind::Bool => format!("BoolText({name})"),
        ValueKind::Milliseconds => format!("MillisecondsText({name}, \"{name}\")"),
        ValueKind::Seconds => format!("SecondsText({name}, \"{name}\")"),
    }
}

pub fn options() -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "using System;
using System.Collections.Generic;

namespace VidiFlow.Auth
{
    public sealed partial class TokenClientOptions
    {
        /// <summary>Every option key of the library, so a key is checked here before it is
        /// handed over.</summary>
        internal static readonly HashSet<string> KnownKeys = new HashSet<string>(StringComparer.Ordinal)
        {
",
    );
    for key in option_keys() {
        let _ = writeln!(out, "            {},", quoted(key.name));
    }
    out.push_str("        };\n");
    for key in option_keys() {
        if HAND_WRITTEN.iter().any(|(name, _)| *name == key.name) {
            continue;
        }
        let unit = match key.kind {
            ValueKind::Milliseconds => " Whole milliseconds, rounded up.",
            ValueKind::Seconds => " Whole seconds, rounded up.",
            _ => "",
        };
        let default = if key.default.is_empty() {
            String::new()
        } else {
            format!("; default {}", xml(key.default))
        };
        let _ = write!(
            out,
            "
        /// <summary>{summary} (option <c>{name}</c>, {kind}{default}).{unit}</summary>
        public {ty} {property} {{ get; set; }}
",
            summary = xml(key.summary),
            name = key.name,
            kind = kind_name(key.kind),
            ty = property_type(key.kind),
            property = property(key),
        );
    }
    out.push_str(
        "
        /// <summary>The properties' (key, value) pairs in the table's order; null values are
        /// skipped.</summary>
        private void AddProperties(List<KeyValuePair<string, string>> pairs)
        {
",
    );
    for key in option_keys() {
        let value = match HAND_WRITTEN.iter().find(|(name, _)| *name == key.name) {
            Some((_, expression)) => (*expression).to_owned(),
            None => value_text(key, &property(key)),
        };
        let _ = writeln!(out, "            Add(pairs, {}, {value});", quoted(key.name));
    }
    out.push_str("        }\n    }\n}\n");
    out
}
