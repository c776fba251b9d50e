//! A real SMTP server for the email tests: `alerts/tests/smtp_sink.py` (aiosmtpd) on a random
//! free port, writing each message it accepts as JSON to a directory of its own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether python3 with aiosmtpd is there. Without it the email tests say why and skip, except
/// under `CI=true`, where a missing dependency fails the test (scripts/test.sh installs it).
pub(crate) fn available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let why = "python3 with aiosmtpd is not installed (scripts/install-python-test-deps.sh)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: {why}"
        );
        eprintln!("skipping the SMTP test: {why}");
    }
    ok
}

/// A port nobody listens on now (bound, then released).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running SMTP server; killed when dropped.
pub(crate) struct SmtpSink {
    child: Child,
    dir: PathBuf,
}

impl SmtpSink {
    /// Starts one on `port` that stores into `dir`, requiring AUTH with `auth` when given.
    pub(crate) fn start(port: u16, dir: &Path, auth: Option<(&str, &str)>) -> SmtpSink {
        std::fs::create_dir_all(dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut cmd = Command::new("python3");
        cmd.args(["-W", "ignore"])
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir)
            .stdout(Stdio::null());
        if let Some((user, password)) = auth {
            cmd.args(["--user", user, "--password", password]);
        }
        let child = cmd.spawn().expect("python3 starts");
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "the SMTP server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpSink {
            child,
            dir: dir.to_owned(),
        }
    }

    /// Every message accepted so far, in order.
    pub(crate) fn messages(&self) -> Vec<serde_json::Value> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
