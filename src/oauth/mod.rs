//! The protocol: finding the token endpoint (discovery) and asking it for a token.

pub mod discovery;
pub mod form;
pub mod token;

use std::ops::{Deref, DerefMut};

use serde_json::{Map, Value};
use zeroize::Zeroize;

use crate::{
    error::{Error, OauthError, Result},
    text::CText,
};

/// A parsed JSON document whose strings are wiped when it is dropped: a token response holds
/// the access token, and an error may echo the request (secret included).
struct Wiped<T: WipeStrings>(T);

trait WipeStrings {
    fn wipe_strings(&mut self);
}

impl WipeStrings for Value {
    fn wipe_strings(&mut self) {
        match self {
            Value::String(text) => text.zeroize(),
            Value::Array(items) => items.iter_mut().for_each(Value::wipe_strings),
            Value::Object(map) => map.wipe_strings(),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

impl WipeStrings for Map<String, Value> {
    fn wipe_strings(&mut self) {
        self.values_mut().for_each(Value::wipe_strings);
    }
}

impl<T: WipeStrings> Deref for Wiped<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: WipeStrings> DerefMut for Wiped<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: WipeStrings> Drop for Wiped<T> {
    fn drop(&mut self) {
        self.0.wipe_strings();
    }
}

/// Parses a JSON object, or says what `what` should have been.
fn parse_object(body: &[u8], what: &str) -> Result<Wiped<Map<String, Value>>> {
    match serde_json::from_slice::<Value>(body).map(Wiped) {
        Ok(mut parsed) => match parsed.0.take() {
            Value::Object(map) => Ok(Wiped(map)),
            _ => Err(Error::protocol(format!("{what} is JSON but not an object"))),
        },
        Err(_) => Err(Error::protocol(format!("{what} is not valid JSON"))),
    }
}

/// The OAuth error in a response body (RFC 6749 §5.2), if the body carries one, each field
/// passed through `clean` (which removes anything secret the authority echoed back).
pub(crate) fn oauth_error(body: &[u8], clean: impl Fn(&str) -> String) -> Option<OauthError> {
    let map = Wiped(serde_json::from_slice::<Value>(body).ok()?);
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
