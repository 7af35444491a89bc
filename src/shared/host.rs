//! The host level's files: a private directory of the current user holding sealed entries
//! (0600, replaced atomically by rename) and one lock file per entry, locked with `flock`, which
//! the kernel releases when the holder dies. Nothing here follows a symbolic link or trusts a
//! file that another user owns or that others can read.

use std::{
    ffi::CString,
    fs::DirBuilder,
    io,
    os::{
        fd::{AsRawFd, FromRawFd, OwnedFd, RawFd},
        unix::{ffi::OsStrExt, fs::DirBuilderExt},
    },
    path::{Path, PathBuf},
    sync::atomic::{AtomicI32, AtomicU64, Ordering},
};

/// Entries are small; anything larger is not ours.
const MAX_ENTRY_BYTES: usize = 64 * 1024;

/// A problem with the directory or one of its files, as one sentence for the log.
pub(crate) type Trouble = String;

/// The open cache directory. Its descriptor belongs to one fork generation (see `client`).
pub(crate) struct HostDir {
    fd: OwnedFd,
    path: PathBuf,
}

fn c_name(name: &str) -> CString {
    CString::new(name).expect("entry names are hex digits")
}

fn last_error(what: &str, path: &Path) -> Trouble {
    format!("{what} {}: {}", path.display(), io::Error::last_os_error())
}

/// Refuses what another user owns, or what group or others may read or write.
fn check_private(stat: &libc::stat, what: &str, path: &Path) -> Result<(), Trouble> {
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if stat.st_uid != me {
        return Err(format!(
            "{what} {} belongs to user {}, not to this user ({me})",
            path.display(),
            stat.st_uid
        ));
    }
    if stat.st_mode & 0o077 != 0 {
        return Err(format!(
            "{what} {} is open to group or others (mode {:o}; it must be 0700 for a directory, 0600 for a file)",
            path.display(),
            stat.st_mode & 0o777
        ));
    }
    Ok(())
}

fn fstat(fd: RawFd) -> io::Result<libc::stat> {
    // SAFETY: a zeroed stat is a valid value for fstat to overwrite; `fd` is open.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    if unsafe { libc::fstat(fd, &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(stat)
}

/// Whether `path` is a directory private to this user (not a symbolic link).
pub(crate) fn is_private_dir(path: &Path) -> bool {
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a NUL-terminated path; flags ask for a directory, never through a symlink.
    let fd = unsafe {
        libc::open(
            c_path.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return false;
    }
    // SAFETY: just opened, owned here.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    fstat(fd.as_raw_fd()).is_ok_and(|stat| check_private(&stat, "directory", path).is_ok())
}

impl HostDir {
    /// Opens `path`, creating it (mode 0700) when missing, and checks that it is a private
    /// directory of this user.
    pub fn open(path: &Path) -> Result<HostDir, Trouble> {
        if !path.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(path)
                .map_err(|error| format!("cannot create the cache directory {}: {error}", path.display()))?;
        }
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| format!("the cache directory {} contains a NUL byte", path.display()))?;
        // SAFETY: a NUL-terminated path; O_NOFOLLOW refuses a symbolic link in its last part.
        let fd = unsafe {
            libc::open(
                c_path.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(last_error(
                "cannot open the cache directory (a symbolic link is refused)",
                path,
            ));
        }
        let dir = HostDir {
            // SAFETY: just opened, owned here.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            path: path.to_owned(),
        };
        dir.check()?;
        Ok(dir)
    }

    /// Checks again that the directory is private (its mode or owner may have changed).
    pub fn check(&self) -> Result<(), Trouble> {
        let stat =
            fstat(self.fd.as_raw_fd()).map_err(|error| format!("cannot stat {}: {error}", self.path.display()))?;
        check_private(&stat, "the cache directory", &self.path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_at(&self, name: &str, flags: libc::c_int) -> Result<Option<OwnedFd>, Trouble> {
        let c_name = c_name(name);
        // SAFETY: the directory descriptor is open; the name is NUL-terminated; O_NOFOLLOW
        // refuses a symbolic link planted under the entry's name.
        let fd = unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c_name.as_ptr(),
                flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                0o600 as libc::c_uint,
            )
        };
        if fd < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::NotFound {
                return Ok(None);
            }
            return Err(format!("cannot open {}: {error}", self.path.join(name).display()));
        }
        // SAFETY: just opened, owned here.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let stat = fstat(fd.as_raw_fd())
            .map_err(|error| format!("cannot stat {}: {error}", self.path.join(name).display()))?;
        if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(format!("{} is not a regular file", self.path.join(name).display()));
        }
        check_private(&stat, "the cache file", &self.path.join(name))?;
        Ok(Some(fd))
    }

    /// The bytes of entry `name`, `None` when there is none.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>, Trouble> {
        let Some(fd) = self.open_at(name, libc::O_RDONLY)? else {
            return Ok(None);
        };
        let mut bytes = vec![0u8; MAX_ENTRY_BYTES + 1];
        let mut filled = 0;
        while filled < bytes.len() {
            // SAFETY: reads into the unfilled part of `bytes`, which is that long.
            let n = unsafe {
                libc::read(
                    fd.as_raw_fd(),
                    bytes[filled..].as_mut_ptr().cast(),
                    bytes.len() - filled,
                )
            };
            match n {
                0 => break,
                n if n > 0 => filled += n as usize,
                _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
                _ => return Err(last_error("cannot read", &self.path.join(name))),
            }
        }
        if filled > MAX_ENTRY_BYTES {
            return Err(format!(
                "{} is too large to be an entry",
                self.path.join(name).display()
            ));
        }
        bytes.truncate(filled);
        Ok(Some(bytes))
    }

    /// Replaces entry `name` with `bytes` atomically: a new 0600 file, then a rename over it.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), Trouble> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let temporary = format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let fd = self
            .open_at(&temporary, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL)?
            .ok_or_else(|| format!("cannot create a file in {}", self.path.display()))?;
        let written = write_all(&fd, bytes)
            .map_err(|error| format!("cannot write {}: {error}", self.path.join(&temporary).display()));
        drop(fd);
        let renamed = written.and_then(|()| {
            let (from, to) = (c_name(&temporary), c_name(name));
            // SAFETY: both names are NUL-terminated and relative to the open directory.
            let done = unsafe { libc::renameat(self.fd.as_raw_fd(), from.as_ptr(), self.fd.as_raw_fd(), to.as_ptr()) };
            if done == 0 {
                Ok(())
            } else {
                Err(last_error("cannot rename a new entry into", &self.path))
            }
        });
        if renamed.is_err() {
            let _ = self.remove(&temporary);
        }
        renamed
    }

    /// Removes entry `name`; a missing one is not an error.
    pub fn remove(&self, name: &str) -> Result<(), Trouble> {
        let c_name = c_name(name);
        // SAFETY: NUL-terminated name relative to the open directory.
        if unsafe { libc::unlinkat(self.fd.as_raw_fd(), c_name.as_ptr(), 0) } == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() == io::ErrorKind::NotFound {
            Ok(())
        } else {
            Err(format!("cannot remove {}: {error}", self.path.join(name).display()))
        }
    }

    /// Takes the lock of entry `name` if nobody holds it: `Ok(None)` when another process (or
    /// thread) does.
    pub fn try_lock(&self, name: &str) -> Result<Option<Lock>, Trouble> {
        let lock_name = format!("{name}.lock");
        let fd = self
            .open_at(&lock_name, libc::O_RDWR | libc::O_CREAT)?
            .ok_or_else(|| format!("cannot create a lock file in {}", self.path.display()))?;
        let lock = Lock::register(fd);
        // SAFETY: an open descriptor; LOCK_NB never blocks.
        if unsafe { libc::flock(lock.fd, libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(Some(lock));
        }
        let error = io::Error::last_os_error();
        if error.kind() == io::ErrorKind::WouldBlock {
            Ok(None)
        } else {
            Err(format!("cannot lock {}: {error}", self.path.join(&lock_name).display()))
        }
    }
}

fn write_all(fd: &OwnedFd, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: writes from `bytes`, which is that long.
        let n = unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// Descriptors of lock files open in this process, so a forked child can close its copies at
/// once: a lock taken with `flock` lives as long as any copy of its descriptor, and the child
/// must neither use its parent's lock nor keep it alive after the parent dies.
static OPEN_LOCKS: [AtomicI32; 16] = [const { AtomicI32::new(-1) }; 16];

/// Closes, in a just-forked child, the lock descriptors it inherited. Only atomics and
/// `close` (async-signal-safe), as an `atfork` handler requires.
pub(crate) fn close_inherited_locks() {
    for slot in &OPEN_LOCKS {
        let fd = slot.swap(-1, Ordering::AcqRel);
        if fd >= 0 {
            // SAFETY: the descriptor was open in the parent at fork time, so it is open here;
            // nothing in the child uses it.
            unsafe { libc::close(fd) };
        }
    }
}

/// A held (or about to be held) lock file; unlocked and closed on drop, even on a panic.
pub(crate) struct Lock {
    fd: RawFd,
    slot: Option<&'static AtomicI32>,
}

impl Lock {
    fn register(fd: OwnedFd) -> Lock {
        let fd = std::os::fd::IntoRawFd::into_raw_fd(fd);
        let slot = OPEN_LOCKS.iter().find(|slot| {
            slot.compare_exchange(-1, fd, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        });
        Lock { fd, slot }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Unlock first: a child forked just now may still hold a copy of the descriptor.
        // SAFETY: our open descriptor.
        unsafe { libc::flock(self.fd, libc::LOCK_UN) };
        if let Some(slot) = self.slot {
            slot.store(-1, Ordering::Release);
        }
        // SAFETY: our open descriptor, closed once.
        unsafe { libc::close(self.fd) };
    }
}
