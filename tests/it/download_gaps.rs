//! The remaining `go mod download` behaviour gaps of issue 4, each against
//! the real `go` where it can run: whole-command argument errors outside a
//! module, Go's one re-send after an https 4xx, .netrc credentials end to end
//! over https (never to another host after a redirect, redacted in errors),
//! the 500 MiB zip cap on a streamed body, and a plain-HTTP server behind an
//! https GOPROXY URL.

use crate::support::oracle::{Sandbox, go_or_skip, make_writable};

const NO_ROOT: &str =
    "go.mod file not found in current directory or any parent directory; see 'go help modules'";

/// `m@upgrade` / `m@patch` (and the other arguments that need a main
/// module) outside a module fail the whole command with go's words, in
/// JSON mode too: no JSON at all, exit 1, nothing fetched.
#[test]
fn upgrade_and_patch_outside_a_module_fail_the_command_like_go() {
    let proxy =
        crate::support::modproxy::ModProxy::start(crate::support::modproxy::Fixtures::standard());
    let cases: &[(&[&str], String)] = &[
        (
            &["example.com/simple@upgrade"],
            format!("cannot match \"example.com/simple@upgrade\": {NO_ROOT}"),
        ),
        (
            &["example.com/simple@v1.0.0", "example.com/simple@patch"],
            format!("cannot match \"example.com/simple@patch\": {NO_ROOT}"),
        ),
        (
            &["example.com/simple@patch", "example.com/simple@upgrade"],
            format!("cannot match \"example.com/simple@patch\": {NO_ROOT}"),
        ),
        (
            &["example.com/simple@v1.0.0", "example.com/simple"],
            format!(
                "cannot match \"example.com/simple\" without -versions or an explicit version: {NO_ROOT}"
            ),
        ),
        (
            &["example.com/simple@v1.0.0", "example.com/..."],
            format!("cannot match \"example.com/...\": {NO_ROOT}"),
        ),
        (
            &["example.com/simple@v1.0.0", "all"],
            format!("cannot match \"all\": {NO_ROOT}"),
        ),
        (
            &["./simple@v1.0.0", "example.com/simple@upgrade"],
            "cannot use relative path ./simple@v1.0.0 to specify module".to_string(),
        ),
        (
            &["example.com\\simple@v1.0.0"],
            "module paths never use backslash".to_string(),
        ),
        (
            &["example.com/simple@-v1"],
            "invalid module version \"-v1\"".to_string(),
        ),
    ];
    let check_go = go_or_skip();
    for (args, message) in cases {
        for json in [false, true] {
            let sb = Sandbox::new(&proxy.url());
            proxy.clear_log();
            let mut ours_args = vec!["download"];
            if json {
                ours_args.push("--json");
            }
            ours_args.extend_from_slice(args);
            let ours = sb.ours(&ours_args);
            let ours_err = String::from_utf8_lossy(&ours.stderr).into_owned();
            assert_eq!(ours.status.code(), Some(1), "{args:?}: {ours_err}");
            assert_eq!(ours_err, format!("gomodfetch: {message}\n"), "{args:?}");
            assert!(ours.stdout.is_empty(), "{args:?}");
            assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
            if check_go {
                let mut go_args = vec!["mod", "download"];
                if json {
                    go_args.push("-json");
                }
                go_args.extend_from_slice(args);
                let go = sb.go(&go_args);
                assert_eq!(go.status.code(), ours.status.code(), "{args:?}");
                assert_eq!(
                    String::from_utf8_lossy(&go.stderr),
                    format!("go: {message}\n"),
                    "{args:?}"
                );
                assert!(go.stdout.is_empty());
            }
            make_writable(sb.dir.path());
        }
    }
    // Inside a module the same `@upgrade` is a query like any other.
    let sb = Sandbox::new(&proxy.url());
    let module = sb.dir.path().join("home");
    std::fs::write(
        module.join("go.mod"),
        "module example.com/main\n\ngo 1.21\n",
    )
    .unwrap();
    let ours = sb.ours(&["download", "--json", "example.com/simple@upgrade"]);
    let text = String::from_utf8_lossy(&ours.stdout);
    assert!(ours.status.success(), "{text}");
    assert!(text.contains("\"Query\": \"upgrade\""), "{text}");
    make_writable(sb.dir.path());
}
