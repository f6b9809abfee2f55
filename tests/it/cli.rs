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

#[test]
fn go_style_json_flag_is_accepted() {
    // `go mod download -json` users paste Go's single-dash spelling.
    let out = Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .args(["download", "-json", "--help"])
        .output()
        .expect("run gomodfetch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .args(["download", "-jsonx", "--help"])
        .output()
        .expect("run gomodfetch");
    assert!(
        !bad.status.success(),
        "only the exact Go spelling is rewritten"
    );
}
