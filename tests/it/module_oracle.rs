//! Differential test of `module::{version, path, pseudo, pattern}` against
//! x/mod itself: the x/mod copy vendored in the installed Go toolchain
//! (`$GOROOT/src/cmd/vendor/golang.org/x/mod`) is built into a tiny oracle
//! program, offline, and both sides answer the same ~10,000 generated
//! inputs (semver, path checks and escaping, `Check`, pseudo-versions,
//! prefix globs). Every answer, error texts included, must be identical.
//!
//! Skips when `go` is not on PATH, unless GOMODFETCH_REQUIRE_GO=1 (CI).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gomodfetch::module::{path, pattern, pseudo, version};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ORACLE_GO: &str = r#"package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

func e(err error) string {
	if err != nil {
		return "E:" + err.Error()
	}
	return "ok"
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Split(in.Text(), " ")
		var a []string
		for _, h := range f[1:] {
			b, _ := hex.DecodeString(h)
			a = append(a, string(b))
		}
		var r string
		switch f[0] {
		case "semver":
			v := a[0]
			r = fmt.Sprint(semver.IsValid(v), "|", semver.Canonical(v), "|", semver.Major(v), "|", semver.MajorMinor(v), "|",
				semver.Prerelease(v), "|", semver.Build(v), "|", module.CanonicalVersion(v))
		case "compare":
			r = fmt.Sprint(semver.Compare(a[0], a[1]), "|", semver.Max(a[0], a[1]))
		case "path":
			p := a[0]
			pre, maj, ok := module.SplitPathVersion(p)
			esc, err1 := module.EscapePath(p)
			un, err2 := module.UnescapePath(p)
			ev, err3 := module.EscapeVersion(p)
			uv, err4 := module.UnescapeVersion(p)
			r = strings.Join([]string{e(module.CheckPath(p)), e(module.CheckImportPath(p)), e(module.CheckFilePath(p)),
				fmt.Sprint(pre, "|", maj, "|", ok), esc + e(err1), un + e(err2), ev + e(err3), uv + e(err4)}, "\n")
		case "check":
			r = e(module.Check(a[0], a[1])) + "|" + e(module.CheckPathMajor(a[1], a[0]))
		case "pseudo":
			v := a[0]
			t, err1 := module.PseudoVersionTime(v)
			ts := ""
			if err1 == nil {
				ts = t.UTC().Format("2006-01-02T15:04:05Z")
			}
			rev, err2 := module.PseudoVersionRev(v)
			base, err3 := module.PseudoVersionBase(v)
			r = fmt.Sprint(module.IsPseudoVersion(v), "|", module.IsZeroPseudoVersion(v), "|", ts, e(err1), "|", rev, e(err2), "|", base, e(err3))
		case "mkpseudo":
			var sec int64
			fmt.Sscan(a[2], &sec)
			r = module.PseudoVersion(a[0], a[1], time.Unix(sec, 0), a[3])
		case "match":
			r = fmt.Sprint(module.MatchPrefixPatterns(a[0], a[1]))
		case "sort":
			l := strings.Split(a[0], "\n")
			semver.Sort(l)
			r = strings.Join(l, "\n")
		}
		fmt.Fprintln(out, hex.EncodeToString([]byte(r)))
	}
}
"#;

use crate::support::go_required;

/// Builds the oracle from the toolchain's vendored x/mod into `dir`; `None`
/// if `go` is not installed (and not required).
fn build_oracle(dir: &Path) -> Option<PathBuf> {
    let go = |args: &[&str], cwd: &Path| {
        Command::new("go")
            .args(args)
            .current_dir(cwd)
            .env("GOTOOLCHAIN", "local")
            .env("GOENV", "off")
            .env("GOFLAGS", "-mod=mod")
            .env("GOPROXY", "off")
            .env("GOSUMDB", "off")
            .env("GOWORK", "off")
            .env("GOPATH", dir.join("gopath"))
            .env("GOMODCACHE", dir.join("gopath/pkg/mod"))
            .output()
    };
    let goroot = match go(&["env", "GOROOT"], dir) {
        Ok(out) if out.status.success() => {
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        }
        _ => {
            assert!(
                !go_required(),
                "GOMODFETCH_REQUIRE_GO=1 but `go env GOROOT` failed"
            );
            return None;
        }
    };
    let vendored = goroot.join("src/cmd/vendor/golang.org/x/mod");
    let xmod = dir.join("xmod");
    for (from, to) in [
        ("module", "module"),
        ("semver", "semver"),
        ("internal/lazyregexp", "internal/lazyregexp"),
    ] {
        let to = xmod.join(to);
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(vendored.join(from)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    std::fs::write(xmod.join("go.mod"), "module golang.org/x/mod\n\ngo 1.22\n").unwrap();
    let prog = dir.join("prog");
    std::fs::create_dir_all(&prog).unwrap();
    std::fs::write(
        prog.join("go.mod"),
        "module oracle\n\ngo 1.22\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => ../xmod\n",
    )
    .unwrap();
    std::fs::write(prog.join("main.go"), ORACLE_GO).unwrap();
    let out = go(&["build", "-o", "oracle", "."], &prog).unwrap();
    assert!(
        out.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(prog.join("oracle"))
}

/// One query: the op and its arguments as the oracle reads them.
struct Query {
    op: &'static str,
    args: Vec<String>,
}

fn q(op: &'static str, args: &[&str]) -> Query {
    Query {
        op,
        args: args.iter().map(|s| s.to_string()).collect(),
    }
}

fn e<T>(result: Result<T, path::ModulePathError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(err) => format!("E:{err}"),
    }
}

fn v_e<T: std::fmt::Display>(result: Result<T, path::ModulePathError>) -> String {
    match result {
        Ok(value) => format!("{value}ok"),
        Err(err) => format!("E:{err}"),
    }
}

/// Our answer, in the oracle's format.
fn answer(query: &Query) -> String {
    let a: Vec<&str> = query.args.iter().map(String::as_str).collect();
    match query.op {
        "semver" => format!(
            "{}|{}|{}|{}|{}|{}|{}",
            version::is_valid(a[0]),
            version::canonical(a[0]),
            version::major(a[0]),
            version::major_minor(a[0]),
            version::prerelease(a[0]),
            version::build(a[0]),
            version::canonical_module_version(a[0])
        ),
        "compare" => format!(
            "{}|{}",
            version::compare(a[0], a[1]) as i8,
            version::max(a[0], a[1])
        ),
        "path" => {
            let p = a[0];
            let (pre, maj, ok) = match path::split_path_version(p) {
                Some((pre, maj)) => (pre, maj, true),
                None => (p, "", false),
            };
            [
                e(path::check_path(p)),
                e(path::check_import_path(p)),
                e(path::check_file_path(p)),
                format!("{pre}|{maj}|{ok}"),
                v_e(path::escape_path(p)),
                v_e(path::unescape_path(p)),
                v_e(path::escape_version(p)),
                v_e(path::unescape_version(p)),
            ]
            .join("\n")
        }
        "check" => format!(
            "{}|{}",
            e(path::check(a[0], a[1])),
            e(path::check_path_major(a[1], a[0]))
        ),
        "pseudo" => {
            let v = a[0];
            let time = match pseudo::pseudo_version_time(v) {
                Ok(t) => format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Zok",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ),
                Err(err) => format!("E:{err}"),
            };
            format!(
                "{}|{}|{time}|{}|{}",
                pseudo::is_pseudo_version(v),
                pseudo::is_zero_pseudo_version(v),
                v_e(pseudo::pseudo_version_rev(v)),
                v_e(pseudo::pseudo_version_base(v))
            )
        }
        "mkpseudo" => {
            let secs: i64 = a[2].parse().unwrap();
            let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
            pseudo::pseudo_version(a[0], a[1], t, a[3])
        }
        "match" => pattern::match_prefix_patterns(a[0], a[1]).to_string(),
        "sort" => {
            let mut list: Vec<String> = a[0].split('\n').map(str::to_owned).collect();
            version::sort(&mut list);
            list.join("\n")
        }
        other => panic!("unknown op {other}"),
    }
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn gen_number(rng: &mut StdRng) -> String {
    if rng.random_bool(0.9) {
        pick(rng, &["0", "1", "2", "3", "9", "10", "11"]).to_owned()
    } else {
        pick(
            rng,
            &[
                "00",
                "01",
                "99999999999999999999",
                "18446744073709551616",
                "",
            ],
        )
        .to_owned()
    }
}

fn gen_ident(rng: &mut StdRng) -> String {
    if rng.random_bool(0.9) {
        pick(
            rng,
            &[
                "0",
                "1",
                "2",
                "11",
                "alpha",
                "beta",
                "rc",
                "-",
                "a-b",
                "incompatible",
                "A",
                "Z9",
                "001x",
            ],
        )
        .to_owned()
    } else {
        pick(rng, &["01", "00", "", "x_y", "é"]).to_owned()
    }
}

fn gen_version(rng: &mut StdRng) -> String {
    let mut v = String::new();
    if rng.random_bool(0.92) {
        v.push('v');
    }
    v.push_str(&gen_number(rng));
    for _ in 0..rng.random_range(0..3) {
        v.push('.');
        v.push_str(&gen_number(rng));
    }
    for sep in ['-', '+'] {
        if rng.random_bool(0.4) {
            v.push(sep);
            for i in 0..rng.random_range(1..4) {
                if i > 0 {
                    v.push('.');
                }
                v.push_str(&gen_ident(rng));
            }
        }
    }
    if rng.random_bool(0.03) {
        v.push_str(pick(rng, &[" ", "/", "!", "\n"]));
    }
    v
}

fn gen_element(rng: &mut StdRng) -> String {
    let good = [
        "x",
        "example",
        "Azure",
        "SDK",
        "a.b",
        "go-yaml",
        "yaml.v2",
        "yaml.v0",
        "yaml.v1-unstable",
        "v2",
        "v3",
        "v10",
        "quote",
        "x.y",
        "a~b",
        "a_b",
        "ABC",
        "z~",
        "com",
        "prn2",
        "gopkg.in",
        "github.com",
    ];
    let odd = [
        "v1",
        "v0",
        "v02",
        "v2.0",
        "v",
        "con",
        "aux.go",
        "LPT1",
        "com0",
        "z~0",
        "~1x",
        ".git",
        "..",
        ".",
        "a.",
        "-x",
        "_x",
        "a+b",
        "a b",
        "a!b",
        "a@b",
        "a[1]",
        "日本",
        "héllo",
        "e\u{301}",
        "Ⅻ",
        "\u{200b}",
        "\u{a0}",
        "a'b",
        "a\"b",
        "a\tb",
        "",
        "a,b",
        "a(b)",
        "a=b",
        "a#b",
        "a$b",
        "a%b",
        "a&b",
        "a^b",
        "a{b}",
        "a;b",
        "a:b",
        "a*b",
        "a?b",
        "a<b",
        "a|b",
        "a\\b",
        "ǅ",
        "ʰ",
        "\u{1F600}",
        "\u{e000}",
        "\u{fffd}",
        "\u{2028}",
        "a\u{300}",
        "क्ष",
        "ﬁ",
        "Σ",
        "ß",
    ];
    let mut elem = if rng.random_bool(0.75) {
        pick(rng, &good)
    } else {
        pick(rng, &odd)
    }
    .to_owned();
    if rng.random_bool(0.05) {
        elem = elem.to_uppercase();
    }
    elem
}

fn gen_path(rng: &mut StdRng) -> String {
    let mut parts = vec![];
    if rng.random_bool(0.7) {
        parts.push(
            pick(
                rng,
                &[
                    "example.com",
                    "gopkg.in",
                    "x.y",
                    "Example.com",
                    "rsc.io",
                    "-a.b",
                    "a_b.c",
                ],
            )
            .to_owned(),
        );
    }
    for _ in 0..rng.random_range(0..4) {
        parts.push(gen_element(rng));
    }
    let mut p = parts.join("/");
    if rng.random_bool(0.1) {
        // Escaped forms, good and bad.
        p = p.replace('A', "!a").replace("SDK", "!s!d!k");
        p.push_str(pick(rng, &["", "!", "!A", "!!x", "!0"]));
    }
    p
}

fn gen_pseudo(rng: &mut StdRng) -> String {
    let base = pick(
        rng,
        &[
            "v0.0.0-",
            "v1.0.0-",
            "v2.0.0-",
            "v1.2.4-0.",
            "v1.2.0-0.",
            "v1.0.0-0.",
            "v1.2.3-pre.0.",
            "v1.2.3-pre0.",
            "v0.1.0-",
            "v1.2.4-1.",
            "v1.2.3-a.b.0.",
        ],
    );
    let ts = pick(
        rng,
        &[
            "20060102150405",
            "00010101000000",
            "20061302150405",
            "20060230150405",
            "20040229235959",
            "20060102240000",
            "20060102235960",
            "2006010215040",
            "200601021504051",
            "00000101000000",
        ],
    );
    let rev = pick(
        rng,
        &["abcdef123456", "000000000000", "hash", "", "abc_def", "ABC"],
    );
    let build = pick(rng, &["", "", "+incompatible", "+meta", "+a..b", "+"]);
    format!("{base}{ts}-{rev}{build}")
}

fn gen_glob(rng: &mut StdRng) -> String {
    let mut globs = vec![];
    for _ in 0..rng.random_range(1..4) {
        let mut g = gen_path(rng);
        for (from, to) in [
            ("x", "*"),
            ("a", "?"),
            ("o", "[o]"),
            ("e", "[^a-d]"),
            ("y", "\\y"),
            ("b", "["),
        ] {
            if rng.random_bool(0.15) {
                g = g.replacen(from, to, 1);
            }
        }
        if rng.random_bool(0.2) {
            g.push('/');
        }
        if rng.random_bool(0.1) {
            g.insert(0, ' ');
        }
        globs.push(g);
    }
    globs.join(",")
}

fn queries() -> Vec<Query> {
    let mut rng = StdRng::seed_from_u64(0x606d_6f64);
    let mut out = vec![];
    for _ in 0..2000 {
        let v = gen_version(&mut rng);
        let w = gen_version(&mut rng);
        out.push(q("semver", &[&v]));
        out.push(q("compare", &[&v, &w]));
    }
    for _ in 0..2000 {
        let p = gen_path(&mut rng);
        let v = if rng.random_bool(0.5) {
            gen_version(&mut rng)
        } else {
            gen_pseudo(&mut rng)
        };
        out.push(q("path", &[&p]));
        out.push(q("check", &[&p, &v]));
    }
    for _ in 0..1000 {
        out.push(q("pseudo", &[&gen_pseudo(&mut rng)]));
        let major = pick(&mut rng, &["", "v0", "v1", "v2", "v10"]);
        let older = if rng.random_bool(0.3) {
            String::new()
        } else {
            gen_version(&mut rng)
        };
        let secs = rng
            .random_range(-62_135_596_800i64..253_402_300_799)
            .to_string();
        out.push(q("mkpseudo", &[major, &older, &secs, "abcdef123456"]));
    }
    for _ in 0..1000 {
        let target = gen_path(&mut rng);
        let globs = if rng.random_bool(0.5) {
            gen_glob(&mut rng)
        } else {
            // A glob made from the target's own leading elements, then mangled.
            let n = rng.random_range(1..4);
            let mut g = target.split('/').take(n).collect::<Vec<_>>().join("/");
            for (from, to) in [
                ("x", "*"),
                ("a", "?"),
                ("o", "[o]"),
                ("e", "[^a-d]"),
                ("m", "\\m"),
                ("b", "["),
                (".", "*"),
            ] {
                if rng.random_bool(0.2) {
                    g = g.replacen(from, to, 1);
                }
            }
            if rng.random_bool(0.3) {
                g = format!("{},{g}", gen_glob(&mut rng));
            }
            g
        };
        out.push(q("match", &[&globs, &target]));
    }
    for _ in 0..50 {
        let list: Vec<String> = (0..rng.random_range(1..12))
            .map(|_| gen_version(&mut rng))
            .collect();
        if list.iter().any(|v| v.contains('\n')) {
            continue;
        }
        out.push(q("sort", &[&list.join("\n")]));
    }
    out
}

#[test]
fn module_rules_agree_with_x_mod() {
    let dir = tempfile::tempdir().unwrap();
    let Some(oracle) = build_oracle(dir.path()) else {
        return; // go not installed; see go_required()
    };
    let queries = queries();
    let lines: Vec<String> = queries
        .iter()
        .map(|query| {
            let mut line = query.op.to_owned();
            for arg in &query.args {
                line.push(' ');
                line.push_str(&hex::encode(arg));
            }
            line
        })
        .collect();
    let mut child = Command::new(&oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Write from another thread so neither pipe can fill up and deadlock.
    let writer = std::thread::spawn(move || {
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
    });
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut mismatches = vec![];
    let mut checked = 0;
    for (query, line) in queries.iter().zip(stdout.lines()) {
        let want = String::from_utf8(hex::decode(line.unwrap().trim()).unwrap()).unwrap();
        let got = answer(query);
        if got != want {
            mismatches.push(format!(
                "{} {:?}\n  x/mod: {want:?}\n  ours:  {got:?}",
                query.op, query.args
            ));
        }
        checked += 1;
    }
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(checked, queries.len(), "oracle answered every query");
    assert!(
        mismatches.is_empty(),
        "{} of {checked} answers differ from x/mod:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
