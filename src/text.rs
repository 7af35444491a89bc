//! Strings that C can read in place: stored with a trailing NUL so handing one out is a pointer,
//! not an allocation. Their memory is wiped on drop, since some of them are access tokens.

use std::{ffi::c_char, fmt};

use zeroize::Zeroize;

/// An immutable UTF-8 string followed by a NUL byte.
#[derive(Clone, PartialEq, Eq)]
pub struct CText(Box<str>);

impl CText {
    /// Copies `text`, replacing any NUL inside it with U+FFFD so C sees the whole string.
    /// The copy is allocated once at its final size, so it leaves no unwiped copy behind; a
    /// `String` passed in is the caller's to wipe (pass a `&str` for a secret).
    pub fn new(text: impl AsRef<str>) -> CText {
        CText::concat(&[text.as_ref()])
    }

    /// The `parts` one after the other, as [`CText::new`] makes them.
    pub fn concat(parts: &[&str]) -> CText {
        const REPLACEMENT: char = '\u{FFFD}';
        let nuls: usize = parts.iter().map(|part| part.matches('\0').count()).sum();
        let len = parts.iter().map(|part| part.len()).sum::<usize>() + nuls * (REPLACEMENT.len_utf8() - 1) + 1;
        let mut text = String::with_capacity(len);
        for part in parts {
            if part.contains('\0') {
                part.chars()
                    .for_each(|c| text.push(if c == '\0' { REPLACEMENT } else { c }));
            } else {
                text.push_str(part);
            }
        }
        text.push('\0');
        debug_assert_eq!(text.len(), text.capacity());
        CText(text.into_boxed_str())
    }

    /// The text, without the trailing NUL.
    pub fn as_str(&self) -> &str {
        &self.0[..self.0.len() - 1]
    }

    /// The text as a NUL-terminated C string, valid as long as `self`.
    pub fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
}

impl Drop for CText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for CText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for CText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_and_adds_one_nul() {
        let text = CText::new("Bearer abc");
        assert_eq!(text.as_str(), "Bearer abc");
        let c = unsafe { std::ffi::CStr::from_ptr(text.as_ptr()) };
        assert_eq!(c.to_str().unwrap(), "Bearer abc");
    }

    #[test]
    fn interior_nul_becomes_replacement_character() {
        let text = CText::new("a\0b");
        assert_eq!(text.as_str(), "a\u{FFFD}b");
        assert_eq!(CText::concat(&["x\0", "\0y"]).as_str(), "x\u{FFFD}\u{FFFD}y");
    }
}
