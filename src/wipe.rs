//! Buffers for secrets that never leave an unwiped copy behind.
//!
//! A `String` or `Vec` that grows moves its bytes to a larger block and frees the old one as it
//! is: a copy of whatever it held stays in freed memory. Buffers that hold a secret, a request
//! body or a token are therefore sized exactly before they are written, or grown here: into a
//! new block, after which the old one is wiped by `Zeroizing` before it is freed.

use std::io::{self, Read};

use zeroize::Zeroizing;

/// Makes room for `additional` more bytes in `buffer` without leaving an unwiped copy: if it
/// must grow, its contents move to a new block of exactly the size needed and the old block is
/// wiped before it is freed.
pub fn reserve(buffer: &mut Zeroizing<String>, additional: usize) {
    let needed = buffer.len() + additional;
    if buffer.capacity() < needed {
        let mut grown = Zeroizing::new(String::with_capacity(needed));
        grown.push_str(buffer);
        *buffer = grown; // the old one is wiped as it drops
    }
}

/// Reads `reader` to its end, at most `limit` bytes (more is not an error: the caller sees
/// `limit` bytes and decides), into a buffer that never leaves an unwiped copy when it grows.
pub fn read_to_end(mut reader: impl Read, limit: u64) -> io::Result<Zeroizing<Vec<u8>>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut buffer = Zeroizing::new(Vec::with_capacity(limit.min(4096)));
    loop {
        if buffer.len() == limit {
            return Ok(buffer);
        }
        if buffer.len() == buffer.capacity() {
            let mut grown = Zeroizing::new(Vec::with_capacity((buffer.capacity() * 2).clamp(64, limit)));
            grown.extend_from_slice(&buffer);
            buffer = grown;
        }
        let filled = buffer.len();
        let room = buffer.capacity() - filled;
        buffer.resize(filled + room, 0);
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => {
                buffer.truncate(filled);
                return Ok(buffer);
            }
            Ok(read) => buffer.truncate(filled + read),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => buffer.truncate(filled),
            Err(error) => return Err(error),
        }
    }
}

/// Why an I/O operation on a file failed, in words that never include the path.
pub fn io_reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "it is a directory".to_owned(),
        // The OS's own words ("Input/output error (os error 5)"); std adds no path to them.
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_everything_up_to_the_limit() {
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        assert_eq!(*read_to_end(&data[..], 1 << 20).unwrap(), data);
        assert_eq!(read_to_end(&data[..], 100).unwrap().len(), 100);
        assert!(read_to_end(&b""[..], 10).unwrap().is_empty());
    }

    #[test]
    fn reserve_makes_exactly_the_room_asked_for() {
        let mut text = Zeroizing::new(String::from("ab"));
        reserve(&mut text, 10);
        assert_eq!((text.as_str(), text.capacity()), ("ab", 12));
        reserve(&mut text, 5);
        assert_eq!(text.capacity(), 12, "no growth when there is room");
    }
}
