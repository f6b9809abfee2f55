//! Tests for go.mod / go.work reading: Go's vectors (testdata/vectors/modfile/modfile.json),
//! table tests for directives and errors, and a never-panics property.

use super::*;
use serde_json::Value;

const VECTORS: &str = "testdata/vectors/modfile/modfile.json";

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{VECTORS}: field {k}"))
        .to_string()
}

#[test]
fn vectors_modfile_json() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(VECTORS);
    let data = std::fs::read_to_string(&path).expect(VECTORS);
    let doc: Value = serde_json::from_str(&data).expect(VECTORS);
    let mut rows = 0usize;
    let mut failures = Vec::new();
    let rows_of = |k: &str| -> Vec<Value> {
        match &doc[k] {
            Value::Array(a) => a.clone(),
            Value::Object(_) => vec![doc[k].clone()],
            _ => panic!("{VECTORS}: table {k} missing"),
        }
    };

    for r in rows_of("module_path") {
        rows += 1;
        let input = s(&r, "input");
        let want = s(&r, "want");
        let got = module_path(input.as_bytes()).unwrap_or_default();
        if got != want {
            failures.push(format!("module_path {input:?}: got {got:?}, want {want:?}"));
        }
    }

    for r in rows_of("parse_versions") {
        rows += 1;
        let input = s(&r, "input");
        let desc = s(&r, "desc");
        let strict_ok = r["strict_ok"].as_bool().unwrap_or(false);
        let lax_may = r["lax_may_succeed"].as_bool().unwrap_or(false);
        let strict = parse("go.mod", input.as_bytes());
        let lax = parse_lax("go.mod", input.as_bytes());
        if strict.is_ok() != strict_ok {
            failures.push(format!("parse_versions {desc}: strict {strict:?}"));
        }
        if let (Err(e), Some(want)) = (&strict, r["x_mod_strict_error"].as_str())
            && e.to_string() != want
        {
            failures.push(format!(
                "parse_versions {desc}: strict error {e} want {want}"
            ));
        }
        if strict_ok && lax.is_err() {
            failures.push(format!("parse_versions {desc}: lax failed {lax:?}"));
        }
        if !lax_may && lax.is_ok() {
            failures.push(format!("parse_versions {desc}: lax succeeded"));
        }
        // We follow x/mod exactly where it recorded an outcome.
        let x_lax_ok = r["x_mod_lax_ok"].as_bool().unwrap_or(false);
        if lax.is_ok() != x_lax_ok {
            failures.push(format!(
                "parse_versions {desc}: lax differs from x/mod: {lax:?}"
            ));
        }
        if let (Err(e), Some(want)) = (&lax, r["x_mod_lax_error"].as_str())
            && e.to_string() != want
        {
            failures.push(format!("parse_versions {desc}: lax error {e} want {want}"));
        }
    }

    for r in rows_of("punctuation") {
        rows += 1;
        let input = s(&r, "input");
        let want = s(&r, "want_tokens");
        match statement_tokens(input.as_bytes()) {
            Ok(got) if got == want => {}
            other => failures.push(format!("punctuation {input:?}: {other:?} want {want}")),
        }
    }

    for r in rows_of("parse_lax") {
        rows += 1;
        let input = s(&r, "input");
        match parse_lax("file", input.as_bytes()) {
            Ok(f) => {
                let m = f
                    .module
                    .as_ref()
                    .map(|m| m.path.clone())
                    .unwrap_or_default();
                if m != s(&r, "want_module") {
                    failures.push(format!("parse_lax: module {m:?}"));
                }
                let reqs: Vec<String> = f
                    .require
                    .iter()
                    .map(|r| format!("{} {}", r.path, r.version))
                    .collect();
                let want: Vec<String> = r["want_requires"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                if reqs != want {
                    failures.push(format!("parse_lax: requires {reqs:?} want {want:?}"));
                }
            }
            Err(e) => failures.push(format!("parse_lax: failed: {e}")),
        }
        match parse("file", input.as_bytes()) {
            Ok(_) => failures.push("parse_lax: strict parse succeeded".into()),
            Err(e) => {
                let want = s(&r, "x_mod_strict_error");
                if e.to_string() != want {
                    failures.push(format!("parse_lax: strict error\n{e}\nwant\n{want}"));
                }
            }
        }
    }

    for r in rows_of("retract_rationale") {
        rows += 1;
        let desc = s(&r, "desc");
        let got = parse("in", s(&r, "input").as_bytes())
            .map(|f| f.retract.first().map(|r| r.rationale.clone()));
        let want = s(&r, "want_rationale");
        if got.as_ref().ok().cloned().flatten().as_deref() != Some(want.as_str()) {
            failures.push(format!(
                "retract_rationale {desc}: got {got:?} want {want:?}"
            ));
        }
    }

    for r in rows_of("module_deprecated") {
        rows += 1;
        let desc = s(&r, "desc");
        let got = parse("in", s(&r, "input").as_bytes())
            .map(|f| f.module.map(|m| m.deprecated).unwrap_or_default());
        let want = s(&r, "want_deprecated");
        if got.as_deref().ok() != Some(want.as_str()) {
            failures.push(format!(
                "module_deprecated {desc}: got {got:?} want {want:?}"
            ));
        }
    }

    for r in rows_of("retract_version_errors") {
        rows += 1;
        let desc = s(&r, "desc");
        let path = s(&r, "module_path");
        let got = check_canonical_version(&path, &s(&r, "high"))
            .and_then(|()| check_canonical_version(&path, &s(&r, "low")));
        let want = s(&r, "want_error");
        if got.as_ref().err() != Some(&want) {
            failures.push(format!(
                "retract_version_errors {desc}: got {got:?} want {want}"
            ));
        }
    }

    for r in rows_of("exclude_version_errors") {
        rows += 1;
        let desc = s(&r, "desc");
        let got = check_canonical_version(&s(&r, "module_path"), &s(&r, "version"));
        let want = s(&r, "want_error");
        if got.as_ref().err() != Some(&want) {
            failures.push(format!(
                "exclude_version_errors {desc}: got {got:?} want {want}"
            ));
        }
    }

    assert!(
        failures.is_empty(),
        "{VECTORS}: {} of {rows} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(rows, 89, "{VECTORS}: row count");
}

const SAMPLE: &str = r#"// Deprecated: use example.com/new
module example.com/m

go 1.21
toolchain go1.22.1
godebug default=go1.21

require (
	example.com/a v1.2 // indirect
	"example.com/b" v1.0.0
	example.com/c/v2 v2.0.0 // indirect; note
	example.com/d v0.0.0-20200101000000-abcdefabcdef // not indirect
)

exclude example.com/a v1.1.0
replace example.com/b => ../b
replace (
	example.com/c/v2 v2.0.0 => example.com/fork/c/v2 v2.0.1
)
// oops
retract [v1.0.0, v1.0.5]
retract (
	v0.9.0 // bad
)
tool example.com/a/cmd/x
ignore ./testdata
"#;

#[test]
fn parses_every_directive() {
    let f = parse("go.mod", SAMPLE.as_bytes()).unwrap();
    let m = f.module.unwrap();
    assert_eq!(m.path, "example.com/m");
    assert_eq!(m.deprecated, "use example.com/new");
    assert_eq!(f.go.as_deref(), Some("1.21"));
    assert_eq!(f.toolchain.as_deref(), Some("go1.22.1"));
    assert_eq!(f.godebug[0].key, "default");
    let reqs: Vec<(&str, &str, bool)> = f
        .require
        .iter()
        .map(|r| (r.path.as_str(), r.version.as_str(), r.indirect))
        .collect();
    assert_eq!(
        reqs,
        vec![
            ("example.com/a", "v1.2.0", true),
            ("example.com/b", "v1.0.0", false),
            ("example.com/c/v2", "v2.0.0", true),
            ("example.com/d", "v0.0.0-20200101000000-abcdefabcdef", false),
        ]
    );
    assert_eq!(f.require[0].line, 9);
    assert_eq!(f.exclude[0].version, "v1.1.0");
    assert_eq!(f.replace[0].new_path, "../b");
    assert_eq!(f.replace[0].new_version, None);
    assert_eq!(f.replace[1].old_version.as_deref(), Some("v2.0.0"));
    assert_eq!(f.replace[1].new_version.as_deref(), Some("v2.0.1"));
    assert_eq!(f.retract[0].low, "v1.0.0");
    assert_eq!(f.retract[0].high, "v1.0.5");
    assert_eq!(f.retract[0].rationale, "oops");
    assert_eq!(f.retract[1].rationale, "bad");
    assert_eq!(f.tool, vec!["example.com/a/cmd/x"]);
    assert_eq!(f.ignore, vec!["./testdata"]);

    let lax = parse_lax("go.mod", SAMPLE.as_bytes()).unwrap();
    assert!(lax.replace.is_empty() && lax.exclude.is_empty() && lax.toolchain.is_none());
    assert_eq!(lax.require.len(), 4);
}

#[test]
fn errors_print_as_go() {
    let cases: &[(&str, &str)] = &[
        ("module m\nfoo bar\n", "go.mod:2: unknown directive: foo"),
        (
            "module m\nrequire example.com/a v1\nrequire example.com/b x1\n",
            "go.mod:3: require example.com/b: version \"x1\" invalid: must be of the form v1.2.3",
        ),
        (
            "module m\nrequire example.com/a/v2 v1.0.0\n",
            "go.mod:2: require example.com/a/v2: version \"v1.0.0\" invalid: should be v2, not v1",
        ),
        (
            "module m\n/* x */\n",
            "go.mod:2: mod files must use // comments (not /* */ comments)",
        ),
        (
            "module m\nrequire (\n\tx v1.0.0\n",
            "go.mod:4: syntax error (unterminated block started at go.mod:2:1)",
        ),
        (
            "module m\nmodule n\n",
            "go.mod:2: repeated module statement",
        ),
        (
            "module m\nreplace a => b\n",
            "go.mod:2: replacement module without version must be directory path (rooted or starting with . or ..)",
        ),
        (
            "module m\nreplace a => ./b v1.0.0\n",
            "go.mod:2: replacement module directory path \"./b\" cannot have version",
        ),
        (
            "module m\nrequire \"a\\q\" v1.0.0\n",
            "go.mod:2: invalid quoted string: invalid syntax",
        ),
        (
            "module m\nrequire a'b v1.0.0\n",
            "go.mod:2: invalid quoted string: unquoted string cannot contain quote",
        ),
        ("module \"m\n", "go.mod:1:10: unexpected newline in string"),
        (
            "module m\n\u{1}\n",
            "go.mod:2: unexpected input character '\\x01'",
        ),
        (
            "module m\nrequire (\n) x\n",
            "go.mod:3:4: syntax error (expected newline after closing paren)",
        ),
    ];
    for (input, want) in cases {
        let got = parse("go.mod", input.as_bytes())
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert_eq!(&got, want, "input {input:?}");
    }
}

#[test]
fn work_files() {
    let w = parse_work(
        "go.work",
        b"go 1.22\ntoolchain go1.22.0\nuse (\n\t./a\n\t\"./b c\"\n)\nuse ./d\nreplace example.com/x v1.0.0 => ../x\n",
    )
    .unwrap();
    assert_eq!(w.go.as_deref(), Some("1.22"));
    let uses: Vec<&str> = w.use_.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(uses, vec!["./a", "./b c", "./d"]);
    assert_eq!(w.replace[0].new_path, "../x");
    let e = parse_work("go.work", b"go 1.22\nrequire x v1.0.0\nmodule m\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "go.work:2: unknown directive: require\ngo.work:3: unknown directive: module"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
    #[test]
    fn never_panics_on_bytes(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        let _ = parse("go.mod", &data);
        let _ = parse_lax("go.mod", &data);
        let _ = parse_work("go.work", &data);
        let _ = module_path(&data);
    }

    #[test]
    fn never_panics_on_gomod_like_text(
        data in "((module|go|require|replace|retract|exclude|use|toolchain|\\(|\\)|\\[|\\]|,|=>|//|\"|`|\\\\|v1\\.2\\.3|1\\.21|example\\.com/a|\\./d| |\t|\n|\r|x)){0,60}"
    ) {
        let _ = parse("go.mod", data.as_bytes());
        let _ = parse_lax("go.mod", data.as_bytes());
        let _ = parse_work("go.work", data.as_bytes());
        let _ = module_path(data.as_bytes());
    }
}
