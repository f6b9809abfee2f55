//! Oracle test for codehost/goflate.rs and the zip writer in
//! codehost/zipbuild.rs: a tiny Go program built at test time compresses the
//! same inputs with the toolchain's compress/flate and archive/zip (the way
//! x/mod's zip.Create drives them: `zw.Create(name)`, then `io.Copy` from an
//! `io.LimitedReader` of size+1), and our bytes must be identical.
//!
//! Skips when `go` is not on PATH, unless GOMODFETCH_REQUIRE_GO=1 (CI).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gomodfetch::codehost::goflate;
use gomodfetch::codehost::zipbuild::{Method, ZipWriter};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PEER_GO: &str = r#"package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"io"
	"os"
	"strconv"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	switch os.Args[1] {
	case "flate":
		level, _ := strconv.Atoi(os.Args[2])
		chunk, _ := strconv.Atoi(os.Args[3])
		w, err := flate.NewWriter(out, level)
		if err != nil {
			panic(err)
		}
		if chunk <= 0 {
			chunk = len(data) + 1
		}
		for len(data) > 0 {
			n := min(chunk, len(data))
			if _, err := w.Write(data[:n]); err != nil {
				panic(err)
			}
			data = data[n:]
		}
		if err := w.Close(); err != nil {
			panic(err)
		}
	case "zip":
		zw := zip.NewWriter(out)
		for len(data) > 0 {
			nl := binary.LittleEndian.Uint32(data)
			name := string(data[4 : 4+nl])
			data = data[4+nl:]
			dl := binary.LittleEndian.Uint32(data)
			content := data[4 : 4+dl]
			data = data[4+dl:]
			w, err := zw.Create(name)
			if err != nil {
				panic(err)
			}
			lr := &io.LimitedReader{R: bytes.NewReader(content), N: int64(len(content)) + 1}
			if _, err := io.Copy(w, lr); err != nil {
				panic(err)
			}
		}
		if err := zw.Close(); err != nil {
			panic(err)
		}
	}
}
"#;

use crate::support::go_required;

/// Builds the peer into `dir`; `None` if `go` is not installed (and not
/// required).
fn build_peer(dir: &Path) -> Option<PathBuf> {
    std::fs::write(
        dir.join("go.mod"),
        "module example.com/goflatepeer\n\ngo 1.22\n",
    )
    .unwrap();
    std::fs::write(dir.join("main.go"), PEER_GO).unwrap();
    let out = Command::new("go")
        .args(["build", "-o", "peer", "."])
        .current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env("GOENV", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOSUMDB", "off")
        .env("GOWORK", "off")
        .env("GOPATH", dir.join("gopath"))
        .output();
    match out {
        Ok(out) if out.status.success() => Some(dir.join("peer")),
        Ok(out) => panic!("go build: {}", String::from_utf8_lossy(&out.stderr)),
        Err(err) => {
            assert!(!go_required(), "GOMODFETCH_REQUIRE_GO=1 but go: {err}");
            None
        }
    }
}

fn run_peer(peer: &Path, args: &[&str], input: Vec<u8>) -> Vec<u8> {
    let mut child = Command::new(peer)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "peer {args:?} failed");
    out.stdout
}

fn text(rng: &mut StdRng, n: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "package ",
        "main\n",
        "import ",
        "\"fmt\"\n",
        "func ",
        "(x int) ",
        "error ",
        "{\n",
        "}\n",
        "\treturn ",
        "nil",
        ", ",
        "err\n",
        "if err != nil ",
        "// Copyright ",
        "example.com/mod",
        " v1.2.3",
        "\n",
        "x := ",
        "strconv.Itoa(",
        ")",
        "\"",
    ];
    let mut out = Vec::with_capacity(n + 32);
    while out.len() < n {
        if rng.random_range(0..50) == 0 {
            let id: u32 = rng.random();
            out.extend_from_slice(format!("id{id:x}").as_bytes());
        } else {
            out.extend_from_slice(WORDS[rng.random_range(0..WORDS.len())].as_bytes());
        }
    }
    out.truncate(n);
    out
}

fn random(rng: &mut StdRng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng.fill(&mut v[..]);
    v
}

/// Few distinct bytes: many short matches, skewed literal frequencies.
fn skewed(rng: &mut StdRng, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| {
            let r: u32 = rng.random_range(0..1000);
            match r {
                0..=600 => b'a',
                601..=850 => b'b',
                851..=950 => b'c',
                951..=990 => b'd',
                _ => rng.random(),
            }
        })
        .collect()
}

fn corpus() -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(0x60f1a7e);
    let mut out: Vec<Vec<u8>> = vec![
        vec![],
        b"x".to_vec(),
        b"hello, hello, hello world\n".to_vec(),
        vec![0u8; 1 << 20],
        vec![b'z'; 65535],
    ];
    for n in [
        3usize, 4, 5, 16, 100, 258, 262, 1000, 4096, 16384, 32767, 32768, 32769, 65273, 65274,
        65275, 65535, 65536, 65537, 100_000,
    ] {
        out.push(text(&mut rng, n));
        out.push(random(&mut rng, n));
    }
    out.push(skewed(&mut rng, 300_000));
    out.push(text(&mut rng, 3 << 20));
    out.push(random(&mut rng, 1 << 20));
    let mut mixed = Vec::new();
    for i in 0..40 {
        let n = rng.random_range(1..60_000);
        match i % 4 {
            0 => mixed.extend(text(&mut rng, n)),
            1 => mixed.extend(random(&mut rng, n)),
            2 => mixed.extend(skewed(&mut rng, n)),
            _ => {
                // A repeat of something far back (beyond the window too).
                let start = rng.random_range(0..mixed.len());
                let end = (start + n).min(mixed.len());
                let copy = mixed[start..end].to_vec();
                mixed.extend(copy);
            }
        }
    }
    out.push(mixed);
    out
}

#[test]
fn deflate_is_byte_identical_to_go() {
    let dir = tempfile::tempdir().unwrap();
    let Some(peer) = build_peer(dir.path()) else {
        return; // go not installed; see go_required()
    };
    let corpus = corpus();
    let mut checked = 0;
    for (i, input) in corpus.iter().enumerate() {
        // DefaultCompression, and archive/zip's level 5; one Write each.
        for level in [-1, 5] {
            let theirs = run_peer(&peer, &["flate", &level.to_string(), "0"], input.clone());
            let ours = goflate::compress(input, level).unwrap();
            assert!(
                ours == theirs,
                "input #{i} ({} bytes) level {level}: ours {} bytes, go {} bytes, first difference at {:?}",
                input.len(),
                ours.len(),
                theirs.len(),
                ours.iter().zip(&theirs).position(|(a, b)| a != b)
            );
            checked += 1;
        }
    }
    // Other levels and chunked writes on a few inputs.
    for input in corpus.iter().filter(|c| c.len() >= 30_000).take(6) {
        for (level, chunk) in [(2, 0), (4, 0), (9, 0), (5, 32768), (6, 1000), (5, 777)] {
            let theirs = run_peer(
                &peer,
                &["flate", &level.to_string(), &chunk.to_string()],
                input.clone(),
            );
            let mut w = goflate::Writer::new(Vec::new(), level).unwrap();
            let size = if chunk == 0 {
                input.len().max(1)
            } else {
                chunk
            };
            for part in input.chunks(size) {
                w.write_all(part).unwrap();
            }
            let ours = w.finish().unwrap();
            assert!(
                ours == theirs,
                "{} bytes level {level} chunk {chunk}: ours {} go {}",
                input.len(),
                ours.len(),
                theirs.len()
            );
            checked += 1;
        }
    }
    assert!(checked > 100);
}

#[test]
fn module_zip_is_byte_identical_to_go_archive_zip() {
    let dir = tempfile::tempdir().unwrap();
    let Some(peer) = build_peer(dir.path()) else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(0x21b);
    let prefix = "example.com/m~x@v1.0.0/";
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            format!("{prefix}go.mod"),
            b"module example.com/m~x\n".to_vec(),
        ),
        (format!("{prefix}LICENSE"), text(&mut rng, 1500)),
        (format!("{prefix}empty.txt"), vec![]),
        (
            format!("{prefix}caf\u{e9}/\u{65e5}\u{672c}.go"),
            text(&mut rng, 5000),
        ),
        (format!("{prefix}big/random.bin"), random(&mut rng, 200_000)),
        (format!("{prefix}big/text.go"), text(&mut rng, 1 << 20)),
        ("plain-ascii_name.go".to_owned(), text(&mut rng, 70_000)),
    ];
    for i in 0..30 {
        let n = rng.random_range(0..20_000);
        files.push((format!("{prefix}pkg{i}/f.go"), text(&mut rng, n)));
    }
    let mut input = Vec::new();
    for (name, data) in &files {
        input.extend_from_slice(&(name.len() as u32).to_le_bytes());
        input.extend_from_slice(name.as_bytes());
        input.extend_from_slice(&(data.len() as u32).to_le_bytes());
        input.extend_from_slice(data);
    }
    let theirs = run_peer(&peer, &["zip"], input);
    let mut zw = ZipWriter::new(Vec::new());
    for (name, data) in &files {
        let mut content = &data[..];
        zw.add(
            name.as_bytes(),
            Method::Deflate,
            &mut content,
            Some(data.len() as u64 + 1),
        )
        .unwrap();
    }
    let ours = zw.finish().unwrap();
    assert!(
        ours == theirs,
        "zip: ours {} bytes, go {} bytes, first difference at {:?}",
        ours.len(),
        theirs.len(),
        ours.iter().zip(&theirs).position(|(a, b)| a != b)
    );
}
