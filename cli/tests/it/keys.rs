//! `sla key generate` and `sla key show`: files private to their owner, never overwritten by
//! accident.

use std::os::unix::fs::PermissionsExt;

use crate::helpers::{run_sla, sla_json, stderr, stdout};

#[test]
fn generated_key_file_is_0600_and_shows_its_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reporter.key");
    let path_s = path.to_str().unwrap();
    let generated = sla_json(&["key", "generate", "--out", path_s]);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "key file mode is {mode:o}");
    let content = std::fs::read_to_string(&path).unwrap();
    assert_eq!(content.trim().len(), 64, "a hex seed");

    let shown = sla_json(&["key", "show", path_s]);
    assert_eq!(shown["public_key"], generated["public_key"]);
    let human = run_sla(&["key", "show", path_s]);
    assert_eq!(
        stdout(&human).trim(),
        generated["public_key"].as_str().unwrap()
    );
}

#[test]
fn existing_key_file_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reporter.key");
    let path_s = path.to_str().unwrap();
    let first = sla_json(&["key", "generate", "--out", path_s]);
    let before = std::fs::read(&path).unwrap();

    let refused = run_sla(&["key", "generate", "--out", path_s]);
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: ") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "untouched");

    // Loosen the permissions: --force must leave a 0600 file whatever was there.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let second = sla_json(&["key", "generate", "--out", path_s, "--force"]);
    assert_ne!(first["public_key"], second["public_key"]);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
