//! Just enough DER (X.690) to read the few certificate and key fields the library needs.

use crate::http::days_from_civil;

/// The contents of the DER element at the start of `input` if its tag is `tag`, and what follows.
pub fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, input) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, mut input) = input.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let bytes = usize::from(first & 0x7f);
        if bytes == 0 || bytes > 4 || input.len() < bytes {
            return None;
        }
        let (length, rest) = input.split_at(bytes);
        input = rest;
        length.iter().fold(0usize, |n, &b| n << 8 | usize::from(b))
    };
    (input.len() >= length).then(|| input.split_at(length))
}

/// A UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as Unix seconds.
pub fn der_time(input: &[u8]) -> Option<(i64, &[u8])> {
    let (text, rest, year) = if let Some((text, rest)) = der_element(input, 0x17) {
        let yy = digits(text.get(0..2)?)?;
        (text.get(2..)?, rest, if yy >= 50 { 1900 + yy } else { 2000 + yy })
    } else {
        let (text, rest) = der_element(input, 0x18)?;
        (text.get(4..)?, rest, digits(text.get(0..4)?)?)
    };
    if text.len() != 11 || text[10] != b'Z' {
        return None;
    }
    let field = |at: usize| digits(&text[at..at + 2]);
    let (month, day, hour, minute, second) = (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some((seconds, rest))
}

fn digits(text: &[u8]) -> Option<i64> {
    text.iter()
        .try_fold(0i64, |n, &b| b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        assert_eq!(
            der_element(&[0x02, 0x01, 0x07, 0xff], 0x02),
            Some((&[0x07][..], &[0xff][..]))
        );
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend([9u8; 256]);
        assert_eq!(
            der_element(&long, 0x04).map(|(c, r)| (c.len(), r.len())),
            Some((256, 0))
        );
    }

    #[test]
    fn wrong_tag_or_short_input_is_none() {
        assert!(der_element(&[0x30, 0x02, 0x01], 0x30).is_none());
        assert!(der_element(&[0x31, 0x00], 0x30).is_none());
        assert!(der_element(&[], 0x30).is_none());
    }
}
