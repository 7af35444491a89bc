//! A real `redis-server` for one test: on a free 127.0.0.1 port, in a temporary directory,
//! without persistence; plain or TLS (with a throw-away CA made by openssl). Killed when dropped.

use std::{
    fs,
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    args: Vec<String>,
    tls: bool,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

impl RedisServer {
    /// A plain server; `extra` are more `redis-server` arguments, e.g. `["--requirepass", "x"]`.
    pub fn start(name: &str, extra: &[&str]) -> RedisServer {
        RedisServer::launch(name, extra, false)
    }

    /// A TLS-only server whose certificate (for `localhost` and 127.0.0.1) is signed by the CA in
    /// [`RedisServer::ca_file`].
    pub fn start_tls(name: &str) -> RedisServer {
        RedisServer::launch(name, &[], true)
    }

    fn launch(name: &str, extra: &[&str], tls: bool) -> RedisServer {
        let dir = std::env::temp_dir().join(format!("vf-redis-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let port_text = port.to_string();
        let mut args: Vec<String> = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            .iter()
            .map(|arg| arg.to_string())
            .collect();
        if tls {
            super::pki::ca_and_server(&dir, "DNS:localhost,IP:127.0.0.1");
            let file = |name: &str| dir.join(name).to_str().unwrap().to_owned();
            args.extend([
                "--port".into(),
                "0".into(),
                "--tls-port".into(),
                port_text,
                "--tls-cert-file".into(),
                file("server.pem"),
                "--tls-key-file".into(),
                file("server.key"),
                "--tls-ca-cert-file".into(),
                file("ca.pem"),
                "--tls-auth-clients".into(),
                "no".into(),
            ]);
        } else {
            args.extend(["--port".into(), port_text]);
        }
        args.extend(extra.iter().map(|arg| arg.to_string()));
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            args,
            tls,
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:PORT` (or `rediss://localhost:PORT` for TLS).
    pub fn url(&self) -> String {
        if self.tls {
            format!("rediss://localhost:{}", self.port)
        } else {
            format!("redis://127.0.0.1:{}", self.port)
        }
    }

    /// The test CA's certificate (TLS servers only).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A fresh scratch path inside the server's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Kills the server (SIGKILL): its port refuses connections, its data is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on the same port, empty, and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let log = self.dir.join("redis.log");
        let _ = fs::remove_file(&log);
        let child = Command::new("redis-server")
            .args(&self.args)
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (make test installs the Debian package)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !fs::read_to_string(&log).is_ok_and(|text| text.contains("Ready to accept connections")) {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start: {}",
                fs::read_to_string(&log).unwrap_or_default()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Runs `redis-cli` against the server with `args`; returns its standard output.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut command = Command::new("redis-cli");
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if self.tls {
            command
                .arg("--tls")
                .arg("--cacert")
                .arg(self.ca_file())
                .args(["--sni", "localhost"]);
        }
        let output = command.args(args).output().expect("redis-cli is installed");
        assert!(
            output.status.success(),
            "redis-cli {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Every key, as `redis-cli --scan` lists them.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.cli(&["--scan"]).lines().map(str::to_owned).collect();
        keys.sort();
        keys
    }

    /// The raw bytes stored under `key` (`redis-cli --no-raw` would quote them).
    pub fn get(&self, key: &str) -> Vec<u8> {
        let mut command = Command::new("redis-cli");
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if self.tls {
            command
                .arg("--tls")
                .arg("--cacert")
                .arg(self.ca_file())
                .args(["--sni", "localhost"]);
        }
        let output = command.args(["--raw", "GET", key]).output().expect("redis-cli runs");
        output.stdout
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
