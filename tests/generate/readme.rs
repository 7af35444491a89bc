//! The README's option and status tables.

use std::fmt::Write as _;

use vidiflow_auth::Status;

use super::{csharp, failure_names, kind_name, option_keys, python_member};

/// The default column: words as they are, a value as `code`, nothing when there is none.
fn default_cell(default: &str) -> String {
    match default {
        "" => " ".to_owned(),
        words if words.contains(' ') => format!(" {words} "),
        value => format!(" `{value}` "),
    }
}

pub fn options() -> String {
    let mut out = String::from("| key | default | meaning |\n|---|---|---|\n");
    for key in option_keys() {
        let default = default_cell(key.default);
        let _ = writeln!(
            out,
            "| `{}` |{default}| {} |",
            key.name,
            key.summary.replace('|', "\\|")
        );
    }
    out
}

pub fn statuses() -> String {
    let mut out = String::from("| value | name | meaning |\n|---|---|---|\n");
    for status in Status::ALL {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} |",
            status as u32,
            status.name(),
            status.meaning()
        );
    }
    out
}

/// bindings/python/README.md: the keyword options.
pub fn python_options() -> String {
    let mut out = String::from("| option | takes | default | meaning |\n| --- | --- | --- | --- |\n");
    for key in option_keys() {
        let _ = writeln!(
            out,
            "| `{}` | {} |{}| {} |",
            key.name,
            kind_name(key.kind),
            default_cell(key.default),
            key.summary.replace('|', "\\|")
        );
    }
    out
}

/// bindings/python/README.md: the exception classes.
pub fn python_exceptions() -> String {
    let mut out = String::from("| class | status | raised when |\n| --- | --- | --- |\n");
    for status in Status::ALL {
        let Some(names) = failure_names(status) else {
            continue;
        };
        let also = if names.python_bases.is_empty() {
            String::new()
        } else {
            let bases: Vec<String> = names
                .python_bases
                .iter()
                .map(|base| format!("`{}`", base.trim_start_matches("builtins.")))
                .collect();
            format!(" (also {})", bases.join(", "))
        };
        let _ = writeln!(
            out,
            "| `{}`{also} | `{}` ({}) | {} |",
            names.python_class,
            python_member(status),
            status as u32,
            status.meaning()
        );
    }
    out
}

/// bindings/csharp/README.md: the option properties.
pub fn csharp_options() -> String {
    let mut out = String::from("| property | type | option | default | meaning |\n| --- | --- | --- | --- | --- |\n");
    for (key, property, ty) in csharp::properties() {
        let _ = writeln!(
            out,
            "| `{property}` | `{ty}` | `{}` |{}| {} |",
            key.name,
            default_cell(key.default),
            key.summary.replace('|', "\\|")
        );
    }
    out
}

/// bindings/csharp/README.md: the exception types.
pub fn csharp_exceptions() -> String {
    let mut out = String::from("| `Status` (C `VF_STATUS_*`) | exception | meaning |\n| --- | --- | --- |\n");
    for status in Status::ALL {
        let Some(names) = failure_names(status) else {
            continue;
        };
        let _ = writeln!(
            out,
            "| `{}` ({}) | `{}` | {} |",
            names.csharp_member,
            status as u32,
            names.csharp_class,
            status.meaning()
        );
    }
    out
}
