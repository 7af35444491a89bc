//! The protocol: finding the token endpoint (discovery) and asking it for a token.

pub mod discovery;
pub mod form;
pub mod token;

use serde_json::{Map, Value};

use crate::{
    error::{Error, OauthError, Result},
    text::CText,
};

/// Parses a JSON object, or says what `what` should have been.
fn parse_object(body: &[u8], what: &str) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::protocol(format!("{what} is JSON but not an object"))),
        Err(_) => Err(Error::protocol(format!("{what} is not valid JSON"))),
    }
}

/// The OAuth error in a response body (RFC 6749 §5.2), if the body carries one, each field
/// passed through `clean` (which removes anything secret the authority echoed back).
fn oauth_error(body: &[u8], clean: impl Fn(&str) -> String) -> Option<OauthError> {
    let map = serde_json::from_slice::<Value>(body).ok()?;
    let text = |name: &str| {
        map.get(name)
            .and_then(Value::as_str)
            .map(|s| CText::new(limit(&clean(s))))
    };
    Some(OauthError {
        error: text("error")?,
        description: text("error_description"),
        uri: text("error_uri"),
    })
}

/// Server-supplied text is shown to people; keep it printable and short.
fn limit(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(512).collect()
}
