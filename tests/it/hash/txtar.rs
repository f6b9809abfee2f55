//! A reader for Go's txtar archives (golang.org/x/tools/txtar), as the zip
//! vectors use them: a comment, then `-- NAME --` sections. Names may repeat.

/// A parsed archive.
pub struct Archive {
    pub files: Vec<(String, Vec<u8>)>,
}

fn marker_name(line: &[u8]) -> Option<String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_prefix(b"-- ")?.strip_suffix(b" --")?;
    let name = String::from_utf8_lossy(inner).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// Parses `data` as txtar.
pub fn parse(data: &[u8]) -> Archive {
    let mut lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    if lines.is_empty() {
        lines.push(b"");
    }
    let mut comment = Vec::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut current: Option<(String, Vec<u8>)> = None;
    for line in lines {
        if let Some(name) = marker_name(line) {
            if let Some(done) = current.take() {
                files.push(done);
            }
            current = Some((name, Vec::new()));
            continue;
        }
        match &mut current {
            Some((_, body)) => body.extend_from_slice(line),
            None => comment.extend_from_slice(line),
        }
    }
    if let Some(done) = current.take() {
        files.push(done);
    }
    // txtar adds a final newline to a file that lacks one.
    for (_, body) in &mut files {
        if !body.is_empty() && !body.ends_with(b"\n") {
            body.push(b'\n');
        }
    }
    // The comment is read by `params`; only the files are kept here.
    let _ = comment;
    Archive { files }
}

/// The `key=value` lines of a zip test's comment (`#` starts a comment),
/// as x/mod's zip_test.go `readTest` reads them. Values are bytes so that
/// `path=\xff` survives.
pub fn params(data: &[u8]) -> std::collections::HashMap<String, Vec<u8>> {
    let mut out = std::collections::HashMap::new();
    for line in data.split(|&b| b == b'\n') {
        if line.starts_with(b"-- ") {
            break;
        }
        let line = match line.iter().position(|&b| b == b'#') {
            Some(i) => &line[..i],
            None => line,
        };
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            continue;
        };
        let key = String::from_utf8_lossy(&line[..eq]).trim().to_owned();
        let value = trim_bytes(&line[eq + 1..]).to_vec();
        out.insert(key, value);
    }
    out
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}
