//! A real nginx with its WebDAV module, started by the test on a free port with its own prefix,
//! root and configuration in a temporary directory, in the foreground (`daemon off`,
//! `master_process off`: one process, so killing it stops the server), and killed when dropped.
//! nginx is installed by `scripts/install-test-deps.sh`; without it the tests fail, never skip.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct Nginx {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

/// The nginx binary: `$NGINX_BIN`, else `nginx` on `PATH`, else `/usr/sbin/nginx`; it must have
/// the DAV module compiled in. Panics with what to do otherwise.
pub(crate) fn nginx_bin() -> PathBuf {
    let candidates: Vec<PathBuf> = match std::env::var_os("NGINX_BIN") {
        Some(p) => vec![PathBuf::from(p)],
        None => std::env::var_os("PATH")
            .map(|path| {
                std::env::split_paths(&path)
                    .map(|d| d.join("nginx"))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .chain([PathBuf::from("/usr/sbin/nginx")])
            .collect(),
    };
    let bin = candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx not found (looked at $NGINX_BIN, PATH and /usr/sbin/nginx): \
             run scripts/install-test-deps.sh to install it from Debian's packages"
            )
        });
    let version = Command::new(&bin)
        .arg("-V")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let text = String::from_utf8_lossy(&version.stderr).into_owned()
        + &String::from_utf8_lossy(&version.stdout);
    assert!(
        text.contains("--with-http_dav_module"),
        "{} has no WebDAV module (--with-http_dav_module): run scripts/install-test-deps.sh",
        bin.display()
    );
    bin
}

/// A port for a process to listen on (`sla_devstack::ports`: out of the ephemeral range).
pub(crate) fn free_port() -> u16 {
    sla_devstack::ports::free_port().expect("a free port")
}

impl Nginx {
    /// Starts nginx serving WebDAV (PUT, DELETE; GET) under `/dav/`.
    pub(crate) fn start() -> Nginx {
        let bin = nginx_bin();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("dav")).unwrap();
        std::fs::create_dir_all(dir.path().join("logs")).unwrap();
        let port = free_port();
        let p = dir.path().display();
        let config = format!(
            r#"
daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    client_max_body_size 0;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location /dav/ {{
            dav_methods PUT DELETE;
            create_full_put_path on;
            dav_access user:rw;
        }}
    }}
}}
"#,
            root = root.display()
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config).unwrap();
        let child = Command::new(&bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("logs/error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut nginx = Nginx {
            child: Some(child),
            port,
            dir,
        };
        nginx.wait_listening();
        nginx
    }

    fn wait_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            let child = self.child.as_mut().unwrap();
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(self.dir.path().join("logs/error.log"))
                    .unwrap_or_default();
                panic!("nginx exited with {status} before listening: {log}");
            }
            assert!(Instant::now() < deadline, "nginx did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The WebDAV collection the probe writes under.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/dav/probe/", self.port)
    }

    /// Files left in the served directory (the probe deletes what it writes).
    pub(crate) fn stored_files(&self) -> Vec<String> {
        let dir = self.dir.path().join("root/dav/probe");
        std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Kills nginx (SIGKILL) and waits for it: connections are refused from then on.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}
