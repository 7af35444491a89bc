//! `_tables.py` (the `Status` enum and the option keys) and `_exceptions.py` (one exception
//! class per failure status) of the Python binding.

use std::fmt::Write as _;

use vidiflow_auth::Status;

use super::{failure_names, kind_name, option_keys, python_member, quoted, sentence};

const HEADER: &str = "# Generated from src/error.rs and src/options.rs by `make generate`: do not edit.\n";

/// Markdown `code` as reStructuredText ``code``.
fn rst(text: &str) -> String {
    text.replace('`', "``")
}

pub fn tables() -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        r#""""The library's tables: its status codes and its option keys."""

from __future__ import annotations

import enum
from typing import Dict, NamedTuple


class Status(enum.IntEnum):
    """The library's status codes (``vf_status``). Numbers are never reused or renumbered."""
"#,
    );
    for status in Status::ALL {
        let _ = write!(
            out,
            "\n    #: {}\n    {} = {}\n",
            rst(&sentence(status.meaning())),
            python_member(status),
            status as u32
        );
    }
    out.push_str(
        r#"

class OptionKey(NamedTuple):
    """One option key of the library, as ``vf_options_set`` takes it."""

    #: The key, e.g. ``"client_id"``.
    name: str
    #: What it takes: ``url``, ``path``, ``bool``, ``milliseconds``, ``seconds`` or ``text``.
    kind: str
    #: The default, in words; empty when the option has none.
    default: str
    #: One line on what it sets.
    summary: str


#: Every option key, in the order the documentation lists them.
OPTION_KEYS: Dict[str, OptionKey] = {
"#,
    );
    for key in option_keys() {
        let _ = writeln!(
            out,
            "    {name}: OptionKey({name}, {kind}, {default}, {summary}),",
            name = quoted(key.name),
            kind = quoted(kind_name(key.kind)),
            default = quoted(key.default),
            summary = quoted(key.summary),
        );
    }
    out.push_str("}\n\n#: The option keys for ``Client``'s docstring: one line each.\nOPTIONS_DOC = (\n");
    for key in option_keys() {
        let default = if key.default.is_empty() {
            String::new()
        } else {
            format!(" (default: {})", key.default)
        };
        let line = format!(
            "    * ``{}`` ({}){}: {}",
            key.name,
            kind_name(key.kind),
            default,
            key.summary
        );
        let literal = quoted(&line);
        let _ = writeln!(out, "    {}\\n\"", &literal[..literal.len() - 1]);
    }
    out.push_str(")\n");
    out
}

pub fn exceptions() -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        r#""""One exception class per failure status. ``VidiFlowAuthError.__init_subclass__`` files each
class under its status, so ``error_class(status)`` needs no second list."""

from __future__ import annotations

import builtins

from ._errors import VidiFlowAuthError
from ._tables import Status

__all__ = [
"#,
    );
    let failures: Vec<_> = Status::ALL
        .into_iter()
        .filter_map(|status| failure_names(status).map(|names| (status, names)))
        .collect();
    for (_, names) in &failures {
        let _ = writeln!(out, "    {},", quoted(names.python_class));
    }
    out.push_str("]\n");
    for (status, names) in &failures {
        let mut bases = vec!["VidiFlowAuthError"];
        bases.extend(names.python_bases);
        let _ = write!(
            out,
            "\n\nclass {class}({bases}, status=Status.{member}):\n    \"\"\"{doc} (``{name}``)\"\"\"\n",
            class = names.python_class,
            bases = bases.join(", "),
            member = python_member(*status),
            doc = rst(&sentence(status.meaning())),
            name = status.name(),
        );
    }
    out
}
