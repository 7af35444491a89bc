//! The host level's directory on systems without the POSIX calls it is built on (Windows): it
//! cannot be opened, so a client falls back to the in-process cache with one log line, as it
//! does for any unusable directory. The default (`XDG_RUNTIME_DIR`) is never set there.

use std::path::Path;

/// A problem with the directory or one of its files, as one sentence for the log.
pub(crate) type Trouble = String;

const UNSUPPORTED: &str = "the host-level token cache needs POSIX file locks and is not available on this system";

/// Never opened: see the module documentation.
pub(crate) enum HostDir {}

/// Never held.
pub(crate) enum Lock {}

/// No directory is private here in the POSIX sense the host level requires.
pub(crate) fn is_private_dir(_path: &Path) -> bool {
    false
}

impl HostDir {
    pub fn open(_path: &Path) -> Result<HostDir, Trouble> {
        Err(UNSUPPORTED.to_owned())
    }

    pub fn check(&self) -> Result<(), Trouble> {
        match *self {}
    }

    pub fn path(&self) -> &Path {
        match *self {}
    }

    pub fn read(&self, _name: &str) -> Result<Option<Vec<u8>>, Trouble> {
        match *self {}
    }

    pub fn write(&self, _name: &str, _bytes: &[u8]) -> Result<(), Trouble> {
        match *self {}
    }

    pub fn remove(&self, _name: &str) -> Result<(), Trouble> {
        match *self {}
    }

    pub fn try_lock(&self, _name: &str) -> Result<Option<Lock>, Trouble> {
        match *self {}
    }
}
