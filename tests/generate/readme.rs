//! The README's option and status tables.

use std::fmt::Write as _;

use vidiflow_auth::Status;

use super::option_keys;

pub fn options() -> String {
    let mut out = String::from("| key | default | meaning |\n|---|---|---|\n");
    for key in option_keys() {
        let default = match key.default {
            "" => " ".to_owned(),
            words if words.contains(' ') => format!(" {words} "),
            value => format!(" `{value}` "),
        };
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
