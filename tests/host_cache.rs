//! The host-level cache: tokens shared by every process of a user through sealed files in a
//! private directory, against the dev authority (and the fault server for a slow or failing
//! token endpoint). Processes are `vf-token` runs, or a forked child of this test.

mod support;

use std::{
    fs,
    os::unix::fs::{MetadataExt, PermissionsExt, symlink},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    thread,
    time::{Duration, Instant},
};

use support::{
    Authority, POST_CLIENT, SECOND_CLIENT,
    fault::{FaultServer, Reply},
    in_child,
};
use vidiflow_auth::Client;

/// A fresh directory for one test; its cache directory is `cache` inside it.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("vf-host-cache-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn cache(&self) -> PathBuf {
        self.0.join("cache")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `vf-token -v` for `client` against `authority` (discovery) with the host level in `cache`.
fn vf_token(authority: &str, (id, secret): (&str, &str), cache: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vf-token"));
    command
        .env_clear()
        .env("VF_AUTHORITY", authority)
        .env("VF_CLIENT_ID", id)
        .env("VF_CLIENT_SECRET", secret)
        .env("VF_SCOPE", "api1")
        .env("VF_CACHE_DIR", cache)
        .env("VF_TIMEOUT_MS", "20000")
        .arg("-v")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `vf-token -v` against a fault server's token endpoint (no discovery).
fn vf_token_at(server: &FaultServer, cache: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vf-token"));
    command
        .env_clear()
        .env("VF_TOKEN_ENDPOINT", server.token_endpoint())
        .env("VF_CLIENT_ID", "vf-post")
        .env("VF_CLIENT_SECRET", "fault-secret")
        .env("VF_CACHE_DIR", cache)
        .env("VF_TIMEOUT_MS", "20000")
        .arg("-v")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs it; returns (exit code, token printed, standard error).
fn run(command: &mut Command) -> (i32, String, String) {
    finish(command.output().expect("vf-token runs"))
}

fn finish(output: Output) -> (i32, String, String) {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    support::assert_no_secret(&stderr);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        stderr,
    )
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
}

/// The token entry: the entry file that has a lock file beside it.
fn token_entry(dir: &Path) -> PathBuf {
    files(dir)
        .into_iter()
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?;
            name.strip_suffix(".lock").map(|entry| dir.join(entry))
        })
        .find(|entry| entry.exists())
        .expect("a token entry with its lock file")
}

#[test]
fn twenty_processes_started_together_send_one_token_and_one_discovery_request() {
    let authority = Authority::start();
    let scratch = Scratch::new("herd");
    let children: Vec<Child> = (0..20)
        .map(|_| vf_token(&authority.url, POST_CLIENT, &scratch.cache()).spawn().unwrap())
        .collect();
    let results: Vec<_> = children
        .into_iter()
        .map(|child| finish(child.wait_with_output().unwrap()))
        .collect();
    for (code, _, stderr) in &results {
        assert_eq!(*code, 0, "{stderr}");
    }
    assert!(
        results.iter().all(|(_, token, _)| *token == results[0].1),
        "one token for all"
    );
    assert_eq!(authority.token_requests(), 1);
    assert_eq!(authority.discovery_requests(), 1);
    let shared = results
        .iter()
        .filter(|(_, _, stderr)| stderr.contains("from the host-level cache"))
        .count();
    assert_eq!(shared, 19, "all but the first took the token from the host level");

    // One after another: no further request at all.
    for _ in 0..5 {
        let (code, token, stderr) = run(&mut vf_token(&authority.url, POST_CLIENT, &scratch.cache()));
        assert_eq!((code, token.as_str()), (0, results[0].1.as_str()), "{stderr}");
    }
    assert_eq!((authority.token_requests(), authority.discovery_requests()), (1, 1));

    // --no-cache asks the authority.
    let (code, token, _) = run(vf_token(&authority.url, POST_CLIENT, &scratch.cache()).arg("--no-cache"));
    assert_eq!(code, 0);
    assert_ne!(token, results[0].1);
    assert_eq!(authority.token_requests(), 2);
}

#[test]
fn entries_are_private_sealed_and_named_by_nothing_the_identity_shows() {
    let authority = Authority::start();
    let scratch = Scratch::new("sealed");
    let (code, token, stderr) = run(&mut vf_token(&authority.url, POST_CLIENT, &scratch.cache()));
    assert_eq!(code, 0, "{stderr}");
    let meta = fs::metadata(scratch.cache()).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    let files = files(&scratch.cache());
    assert_eq!(files.len(), 3, "token entry, its lock file, discovery entry: {files:?}");
    let (_, port) = authority.url.rsplit_once(':').unwrap();
    let port = port.split('/').next().unwrap();
    for file in &files {
        assert_eq!(
            fs::metadata(file).unwrap().permissions().mode() & 0o777,
            0o600,
            "{file:?}"
        );
        let name = file.file_name().unwrap().to_str().unwrap();
        for revealing in ["vf-post", "api1", port, "127.0.0.1"] {
            assert!(!name.contains(revealing), "{name} shows {revealing}");
        }
        let bytes = fs::read(file).unwrap();
        for plain in [
            token.as_bytes(),
            POST_CLIENT.1.as_bytes(),
            b"vf-post",
            b"connect/token",
            b"api1",
        ] {
            assert!(
                !bytes.windows(plain.len()).any(|w| w == plain),
                "{file:?} holds {} in plaintext",
                String::from_utf8_lossy(plain)
            );
        }
        // The token's parts (JWT header and payload) are not there either.
        for part in token.split('.').filter(|part| part.len() > 8) {
            assert!(!bytes.windows(8).any(|w| w == &part.as_bytes()[..8]), "{file:?}");
        }
    }
}

#[test]
fn corrupt_truncated_and_foreign_version_entries_fall_back_with_one_log_line_and_are_replaced() {
    let authority = Authority::start();
    let scratch = Scratch::new("corrupt");
    let get = || run(&mut vf_token(&authority.url, POST_CLIENT, &scratch.cache()));
    assert_eq!(get().0, 0);
    let entry = token_entry(&scratch.cache());
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 4] = [
        ("flipped byte", |bytes| *bytes.last_mut().unwrap() ^= 0x55),
        ("truncated", |bytes| bytes.truncate(bytes.len() / 2)),
        ("foreign version", |bytes| bytes[0] = 0x7f),
        ("empty", |bytes| bytes.clear()),
    ];
    let mut expected_requests = 1;
    for (what, damage) in damages {
        let mut bytes = fs::read(&entry).unwrap();
        damage(&mut bytes);
        fs::write(&entry, &bytes).unwrap();
        let (code, _, stderr) = get();
        assert_eq!(code, 0, "{what}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|line| line.contains("skipped")).collect();
        assert_eq!(lines.len(), 1, "{what}: one log line: {stderr}");
        assert!(lines[0].contains("warning"), "{what}: {stderr}");
        expected_requests += 1;
        assert_eq!(
            authority.token_requests(),
            expected_requests,
            "{what}: fell back to the authority"
        );
        assert_eq!(
            authority.discovery_requests(),
            1,
            "{what}: the discovery entry still serves"
        );
        // The entry was replaced: the next process takes it without a request or a complaint.
        let (code, _, stderr) = get();
        assert_eq!(code, 0);
        assert!(stderr.contains("from the host-level cache"), "{what}: {stderr}");
        assert!(!stderr.contains("skipped"), "{what}: {stderr}");
        assert_eq!(authority.token_requests(), expected_requests, "{what}");
    }
}

#[test]
fn a_directory_open_to_others_owned_by_another_user_or_a_symlink_is_refused_with_a_log_line() {
    let authority = Authority::start();
    let scratch = Scratch::new("refused");
    let cache = scratch.cache();
    fs::create_dir(&cache).unwrap();
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o770)).unwrap();
    let check = |what: &str, expect: &str, cache: &Path| {
        let requests = authority.token_requests();
        let (code, _, stderr) = run(&mut vf_token(&authority.url, POST_CLIENT, cache));
        assert_eq!(code, 0, "{what}: the token call does not fail: {stderr}");
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("host-level token cache off"))
            .collect();
        assert_eq!(lines.len(), 1, "{what}: {stderr}");
        assert!(lines[0].contains(expect), "{what}: {stderr}");
        assert_eq!(authority.token_requests(), requests + 1, "{what}");
    };
    check("group-writable", "open to group or others", &cache);
    assert!(files(&cache).is_empty(), "nothing written into a refused directory");

    fs::set_permissions(&cache, fs::Permissions::from_mode(0o704)).unwrap();
    check("world-readable", "open to group or others", &cache);

    fs::set_permissions(&cache, fs::Permissions::from_mode(0o700)).unwrap();
    let link = scratch.0.join("link");
    symlink(&cache, &link).unwrap();
    check("symlink", "symbolic link", &link);
    assert!(files(&cache).is_empty());

    // As root, a directory of another user (nobody).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&cache, Some(65534), Some(65534)).unwrap();
        assert_eq!(fs::metadata(&cache).unwrap().uid(), 65534);
        check("owned by nobody", "belongs to user 65534", &cache);
        assert!(files(&cache).is_empty());
    } else {
        eprintln!("not root: the other-owner case needs chown and is skipped");
    }
}

#[test]
fn a_different_secret_sharing_the_directory_shares_nothing_and_sees_no_error() {
    let authority = Authority::start();
    let scratch = Scratch::new("secrets");
    let cache = scratch.cache();
    let (code, first, _) = run(&mut vf_token(&authority.url, POST_CLIENT, &cache));
    assert_eq!(code, 0);
    // The same client id with a wrong secret: asks the authority itself, and is refused.
    let (code, _, stderr) = run(&mut vf_token(&authority.url, (POST_CLIENT.0, "wrong-secret"), &cache));
    assert_eq!(code, 17, "VF_STATUS_OAUTH: {stderr}");
    assert!(
        !stderr.contains("skipped") && !stderr.contains("host-level"),
        "{stderr}"
    );
    assert_eq!(authority.token_requests(), 2);
    // Another client: its own token and entries, no complaint about the first one's.
    let (code, second, stderr) = run(&mut vf_token(&authority.url, SECOND_CLIENT, &cache));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(second, first);
    assert!(!stderr.contains("skipped"), "{stderr}");
    assert_eq!(authority.token_requests(), 3);
    // Each still finds its own; the refused one's failure did not touch the good one.
    let (_, again, stderr) = run(&mut vf_token(&authority.url, POST_CLIENT, &cache));
    assert_eq!(again, first, "{stderr}");
    let (_, again, _) = run(&mut vf_token(&authority.url, SECOND_CLIENT, &cache));
    assert_eq!(again, second);
    assert_eq!(authority.token_requests(), 3);
}

#[test]
fn a_holder_killed_mid_flight_releases_the_lock_and_a_waiter_takes_over() {
    let server = FaultServer::start(vec![
        Reply::Delayed(Duration::from_secs(30), Box::new(Reply::token("3600"))),
        Reply::token("3600"),
    ]);
    let scratch = Scratch::new("killed");
    let mut holder = vf_token_at(&server, &scratch.cache()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.token_requests() == 0 {
        assert!(Instant::now() < deadline, "the holder never asked");
        thread::sleep(Duration::from_millis(10));
    }
    let waiter = vf_token_at(&server, &scratch.cache()).spawn().unwrap();
    thread::sleep(Duration::from_millis(300)); // the waiter is polling the lock now
    assert_eq!(server.token_requests(), 1, "the waiter waits for the holder's flight");
    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    let (code, token, stderr) = finish(waiter.wait_with_output().unwrap());
    assert_eq!(code, 0, "{stderr}");
    assert!(token.starts_with("tok."), "{token}");
    assert!(
        !stderr.contains("held the lock"),
        "the waiter took the lock, not a timeout: {stderr}"
    );
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn a_failure_and_its_retry_after_hold_are_shared_with_other_processes() {
    let server = FaultServer::start(vec![
        Reply::json(503, r#"{"error":"temporarily_unavailable"}"#).with_header("Retry-After", "30"),
        Reply::token("3600"),
    ]);
    let scratch = Scratch::new("failure");
    let (code, _, stderr) = run(&mut vf_token_at(&server, &scratch.cache()));
    assert_ne!(code, 0, "{stderr}");
    let (code, _, stderr) = run(&mut vf_token_at(&server, &scratch.cache()));
    assert_eq!(code, 20, "VF_STATUS_THROTTLED: {stderr}");
    assert!(stderr.contains("another process"), "{stderr}");
    assert_eq!(server.token_requests(), 1, "the second process did not ask");
    // Without the host level, nothing is shared.
    let (code, _, _) = run(vf_token_at(&server, &scratch.cache()).arg("--no-cache"));
    assert_eq!(code, 0);
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn invalidate_removes_the_shared_entry_only_while_it_holds_the_rejected_token() {
    let authority = Authority::start();
    let scratch = Scratch::new("invalidate");
    let options = authority
        .options(POST_CLIENT)
        .with("cache_dir", scratch.cache().to_str().unwrap())
        .unwrap();
    let client = Client::new(&options).unwrap();
    let token = client.token().unwrap();
    assert!(!client.invalidate("some-older-token"));
    let (_, shared, _) = run(&mut vf_token(&authority.url, POST_CLIENT, &scratch.cache()));
    assert_eq!(shared, token.access_token(), "kept: another token was rejected");
    assert_eq!(authority.token_requests(), 1);
    assert!(client.invalidate(token.access_token()));
    let (_, fresh, _) = run(&mut vf_token(&authority.url, POST_CLIENT, &scratch.cache()));
    assert_ne!(fresh, token.access_token(), "removed: the next process asks again");
    assert_eq!(authority.token_requests(), 2);
    // The fresh entry is another process's newer token: rejecting the old one again keeps it.
    assert!(!client.invalidate(token.access_token()));
    let (_, again, _) = run(&mut vf_token(&authority.url, POST_CLIENT, &scratch.cache()));
    assert_eq!(again, fresh);
    assert_eq!(
        client.token().unwrap().access_token(),
        fresh,
        "this process takes it too"
    );
    assert_eq!(client.stats().shared_hits, 1);
    assert_eq!(authority.token_requests(), 2);
}

/// Whether this process has a lock file of the host level open.
fn holds_a_lock_file() -> bool {
    fs::read_dir("/proc/self/fd")
        .unwrap()
        .any(|fd| fs::read_link(fd.unwrap().path()).is_ok_and(|target| target.to_string_lossy().ends_with(".lock")))
}

#[test]
fn a_child_forked_while_this_process_holds_the_lock_drops_it_and_waits_for_the_parents_token() {
    let server = FaultServer::start(vec![
        Reply::Delayed(Duration::from_millis(1500), Box::new(Reply::token("3600"))),
        Reply::token("3600"),
    ]);
    let scratch = Scratch::new("fork");
    let options = vidiflow_auth::Options::new()
        .with("token_endpoint", &server.token_endpoint())
        .and_then(|o| o.with("client_id", "vf-post"))
        .and_then(|o| o.with("client_secret", "fork-secret"))
        .and_then(|o| o.with("timeout_ms", "20000"))
        .and_then(|o| o.with("cache_dir", scratch.cache().to_str().unwrap()))
        .unwrap();
    let client = Client::new(&options).unwrap();
    let flight = thread::scope(|scope| {
        let flight = scope.spawn(|| client.token().map(|t| t.access_token().to_owned()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.token_requests() == 0 {
            assert!(Instant::now() < deadline, "the flight never started");
            thread::sleep(Duration::from_millis(5));
        }
        assert!(holds_a_lock_file(), "the parent holds the lock during its flight");
        let child = in_child(|| {
            if holds_a_lock_file() {
                return false; // the inherited lock descriptor must be closed at fork
            }
            let client = Client::new(&options).expect("a client in the child");
            let token = client.token().expect("a token in the child");
            client.stats().shared_hits == 1 && token.access_token().starts_with("tok.")
        });
        assert_eq!(
            child,
            Some(0),
            "the child gets the parent's token without a request of its own"
        );
        flight.join().unwrap()
    });
    let token = flight.unwrap();
    assert!(token.starts_with("tok."));
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn a_refresh_takes_the_newer_token_another_process_stored_instead_of_asking() {
    // t0 lives 6 s (refresh due from 3.9 to 4.5 s, served until 5.4 s); then hour-long tokens.
    let server = FaultServer::start(vec![Reply::token("6"), Reply::token("3600")]);
    let scratch = Scratch::new("refresh");
    let options = vidiflow_auth::Options::new()
        .with("token_endpoint", &server.token_endpoint())
        .and_then(|o| o.with("client_id", "vf-post"))
        .and_then(|o| o.with("client_secret", "fault-secret"))
        .and_then(|o| o.with("cache_dir", scratch.cache().to_str().unwrap()))
        .unwrap();
    let client = Client::new(&options).unwrap();
    let started = Instant::now();
    let t0 = client.token().unwrap().access_token().to_owned();
    // Another process needs 10 s of validity: t0 cannot give it, so it fetches t1 and stores it.
    let (code, t1, stderr) = run(vf_token_at(&server, &scratch.cache()).args(["--min-valid", "10"]));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(t1, t0);
    assert_eq!(server.token_requests(), 2);
    // Past t0's refresh point: the hit still serves t0 and the refresh finds t1.
    thread::sleep(Duration::from_millis(4_600).saturating_sub(started.elapsed()));
    assert_eq!(client.token().unwrap().access_token(), t0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while client.stats().shared_hits == 0 {
        assert!(Instant::now() < deadline, "the refresh never landed");
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(client.token().unwrap().access_token(), t1);
    assert_eq!(server.token_requests(), 2, "the refresh asked nobody");
}

#[test]
fn by_default_the_cache_lives_in_a_private_xdg_runtime_dir_and_is_off_otherwise() {
    let authority = Authority::start();
    let scratch = Scratch::new("default");
    let runtime = scratch.0.join("run");
    fs::create_dir(&runtime).unwrap();
    let default = |runtime: &Path| {
        let mut command = vf_token(&authority.url, POST_CLIENT, Path::new("/unused"));
        command.env_remove("VF_CACHE_DIR").env("XDG_RUNTIME_DIR", runtime);
        run(&mut command)
    };
    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o750)).unwrap();
    let (code, _, stderr) = default(&runtime);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("is not a private directory"), "{stderr}");
    assert!(files(&runtime).is_empty(), "off: nothing created");

    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).unwrap();
    let (code, first, _) = default(&runtime);
    assert_eq!(code, 0);
    let cache = runtime.join("vidiflow-auth");
    assert_eq!(fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o700);
    let (_, second, stderr) = default(&runtime);
    assert_eq!(second, first, "{stderr}");
    assert_eq!(authority.token_requests(), 2);
}

#[test]
fn an_entry_replaced_by_a_symlink_is_not_followed_read_or_written_through() {
    let authority = Authority::start();
    let scratch = Scratch::new("symlink-entry");
    let get = || run(&mut vf_token(&authority.url, POST_CLIENT, &scratch.cache()));
    assert_eq!(get().0, 0);
    let entry = token_entry(&scratch.cache());
    let target = scratch.0.join("elsewhere");
    fs::write(&target, b"someone else's file").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
    fs::remove_file(&entry).unwrap();
    symlink(&target, &entry).unwrap();
    let (code, _, stderr) = get();
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("skipped")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("cannot open"),
        "refused to open, not read and found damaged: {stderr}"
    );
    assert_eq!(authority.token_requests(), 2, "fell back to the authority");
    assert_eq!(
        fs::read(&target).unwrap(),
        b"someone else's file",
        "the link's target is untouched"
    );
    assert!(
        !fs::symlink_metadata(&entry).unwrap().file_type().is_symlink(),
        "replaced by a file"
    );
    let (_, _, stderr) = get();
    assert!(stderr.contains("from the host-level cache"), "{stderr}");
}
