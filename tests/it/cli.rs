//! Smoke tests of the command line itself.

use std::process::Command;

#[test]
fn help_lists_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .arg("--help")
        .output()
        .expect("run gomodfetch");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["download", "hash", "doctor", "mirror", "serve", "bench"] {
        assert!(text.contains(command), "--help lacks {command}:\n{text}");
    }
}
