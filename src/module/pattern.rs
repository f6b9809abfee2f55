//! GOPRIVATE-style prefix-glob matching (`MatchPrefixPatterns`, spec/fetch-protocol.md §4.1).
//!
//! A port of x/mod `module.MatchPrefixPatterns` and of the Go standard
//! library's `path.Match`, used for GOPRIVATE, GONOPROXY, GONOSUMDB,
//! GOINSECURE and GOVCS. The glob list is split on `,` only (no trimming);
//! one trailing `/` is dropped from each pattern; a pattern with N slashes is
//! matched against the first N+1 elements of the target. Malformed patterns
//! never match and are not reported, as in Go. Matching is byte-wise and
//! case-sensitive. Proven on testdata/vectors/module/match_prefix_patterns.json.
//! Pure; never panics.

/// `module.MatchPrefixPatterns(globs, target)`: whether any pattern in the
/// comma-separated `globs` matches a path-element prefix of `target`.
pub fn match_prefix_patterns(globs: &str, target: &str) -> bool {
    globs.split(',').any(|glob| {
        let glob = glob.strip_suffix('/').unwrap_or(glob);
        if glob.is_empty() {
            return false;
        }
        let mut n = glob.bytes().filter(|&b| b == b'/').count();
        let mut prefix = target;
        for (i, b) in target.bytes().enumerate() {
            if b == b'/' {
                if n == 0 {
                    prefix = &target[..i];
                    break;
                }
                n -= 1;
            }
        }
        // The target has fewer elements than the pattern.
        if n > 0 {
            return false;
        }
        path_match(glob, prefix).unwrap_or(false)
    })
}

/// Go's `path.ErrBadPattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Go's `path.Match(pattern, name)`: `*` matches any run of non-`/` bytes,
/// `?` one non-`/` character, `[...]`/`[^...]` a character class with
/// ranges, `\` escapes. Works on bytes like Go (a `*` may resume inside a
/// multi-byte character, where Go decodes `U+FFFD`).
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // Trailing * matches the rest of the name unless it has a '/'.
            return Ok(!name.contains(&b'/'));
        }
        // Look for a match at the current position.
        let (t, ok, err) = match_chunk(chunk, name);
        // If we're the last chunk, make sure we've exhausted the name,
        // otherwise we'll give a false result even if we could still match
        // using the star.
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if err {
            return Err(BadPattern);
        }
        if star {
            // Look for a match skipping i+1 bytes; cannot skip '/'.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                let (t, ok, err) = match_chunk(chunk, &name[i + 1..]);
                if ok {
                    // If we're the last chunk, make sure we exhausted the name.
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                if err {
                    return Err(BadPattern);
                }
                i += 1;
            }
        }
        // Before returning false with no error, check that the rest of the
        // pattern is well-formed (Go 1.16+).
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            if match_chunk(chunk, b"").2 {
                return Err(BadPattern);
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Go's `scanChunk`: leading stars, then the chunk up to the next star
/// outside a class.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let Some(rest) = pattern.strip_prefix(b"*") {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            // A trailing backslash is reported as bad syntax by match_chunk.
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => return (star, &pattern[..i], &pattern[i..]),
            _ => {}
        }
        i += 1;
    }
    (star, pattern, b"")
}

/// Go's `matchChunk`: returns (rest of name, matched, bad pattern). Like Go
/// it keeps scanning the chunk after a failure, to report bad syntax.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> (&'a [u8], bool, bool) {
    const BAD: (&[u8], bool, bool) = (b"", false, true);
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        failed = failed || s.is_empty();
        match c {
            b'[' => {
                let mut r = 0;
                if !failed {
                    let (decoded, n) = decode_rune(s);
                    r = decoded;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if let Some(rest) = chunk.strip_prefix(b"^") {
                    negated = true;
                    chunk = rest;
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if nrange > 0 && chunk.first() == Some(&b']') {
                        chunk = &chunk[1..];
                        break;
                    }
                    let Some((lo, rest)) = get_esc(chunk) else {
                        return BAD;
                    };
                    chunk = rest;
                    let mut hi = lo;
                    if let Some(rest) = chunk.strip_prefix(b"-") {
                        let Some((h, rest)) = get_esc(rest) else {
                            return BAD;
                        };
                        hi = h;
                        chunk = rest;
                    }
                    matched = matched || (lo <= r && r <= hi);
                    nrange += 1;
                }
                failed = failed || matched == negated;
            }
            b'?' => {
                if !failed {
                    failed = s[0] == b'/';
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let mut literal = c;
                if c == b'\\' {
                    chunk = &chunk[1..];
                    match chunk.first() {
                        Some(&escaped) => literal = escaped,
                        None => return BAD,
                    }
                }
                if !failed {
                    failed = literal != s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        (b"", false, false)
    } else {
        (s, true, false)
    }
}

/// Go's `getEsc`: one possibly escaped character of a class; `None` for bad
/// syntax (empty, `-` or `]` where a character is due, bad UTF-8, or
/// nothing left after it).
fn get_esc(mut chunk: &[u8]) -> Option<(u32, &[u8])> {
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return None,
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return None;
            }
        }
        Some(_) => {}
    }
    let (r, n) = decode_rune(chunk);
    if r == u32::from(char::REPLACEMENT_CHARACTER) && n == 1 {
        return None;
    }
    let rest = &chunk[n..];
    if rest.is_empty() {
        return None;
    }
    Some((r, rest))
}

/// Go's `utf8.DecodeRune`: the first character and its length, or
/// (`U+FFFD`, 1) for an invalid or truncated sequence, or (`U+FFFD`, 0)
/// for empty input.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    const ERROR: u32 = char::REPLACEMENT_CHARACTER as u32;
    if s.is_empty() {
        return (ERROR, 0);
    }
    // Only the correct length of a valid sequence is valid UTF-8 on its own.
    for n in 1..=s.len().min(4) {
        if let Some(c) = std::str::from_utf8(&s[..n])
            .ok()
            .and_then(|t| t.chars().next())
        {
            return (u32::from(c), n);
        }
    }
    (ERROR, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    const FILE: &str = "module/match_prefix_patterns.json";

    #[test]
    fn vectors_match_prefix_patterns() {
        let path = format!("{}/testdata/vectors/{FILE}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let data: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut checked = 0;
        for row in data["cases"].as_array().unwrap() {
            let globs = row["globs"].as_str().unwrap();
            let target = row["target"].as_str().unwrap();
            let want = row["want"].as_bool().unwrap();
            assert_eq!(
                match_prefix_patterns(globs, target),
                want,
                "{FILE}: ({globs:?}, {target:?})"
            );
            checked += 1;
        }
        assert_eq!(checked, 26, "{FILE}");
    }

    #[test]
    fn spec_examples() {
        // spec/fetch-protocol.md §4.1, several observed with go 1.26.
        for (globs, target, want) in [
            ("example.com/a", "example.com/a", true),
            ("example.com/a", "example.com/a/sub", true),
            ("example.com/a", "example.com/ab", false),
            ("example.com/a/", "example.com/a", true),
            ("example.co*", "example.com/a", true),
            ("*/a", "example.com/a", true),
            ("*.com", "example.com/a", true),
            ("*.corp.example.com", "git.corp.example.com/x", true),
            ("*.corp.example.com", "corp.example.com/x", false),
            ("Example.com", "example.com/a", false),
            ("a.example.com, b.example.com", "b.example.com/x", false),
            ("a.example.com,b.example.com", "b.example.com/x", true),
            (",,b.example.com,", "b.example.com", true),
            ("[", "example.com/a", false),
            ("exa[", "example.com/a", false),
            ("exa[m]ple.com", "example.com/a", true),
            ("exa[^m]ple.com", "example.com/a", false),
            ("exa[a-z]ple.com", "example.com/a", true),
            ("example\\.com", "example.com/a", true),
            ("example\\", "example.com/a", false),
        ] {
            assert_eq!(
                match_prefix_patterns(globs, target),
                want,
                "({globs:?}, {target:?})"
            );
        }
    }

    #[test]
    fn path_match_table() {
        // Go's path/match_test.go matchTests.
        let ok = Ok(true);
        let no = Ok(false);
        let bad = Err(BadPattern);
        for (pattern, name, want) in [
            ("abc", "abc", ok),
            ("*", "abc", ok),
            ("*c", "abc", ok),
            ("a*", "a", ok),
            ("a*", "abc", ok),
            ("a*", "ab/c", no),
            ("a*/b", "abc/b", ok),
            ("a*/b", "a/c/b", no),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", ok),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", ok),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", no),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", no),
            ("a*b?c*x", "abxbbxdbxebxczzx", ok),
            ("a*b?c*x", "abxbbxdbxebxczzy", no),
            ("ab[c]", "abc", ok),
            ("ab[b-d]", "abc", ok),
            ("ab[e-g]", "abc", no),
            ("ab[^c]", "abc", no),
            ("ab[^b-d]", "abc", no),
            ("ab[^e-g]", "abc", ok),
            ("a\\*b", "a*b", ok),
            ("a\\*b", "ab", no),
            ("a?b", "a☺b", ok),
            ("a[^a]b", "a☺b", ok),
            ("a???b", "a☺b", no),
            ("a[^a][^a][^a]b", "a☺b", no),
            ("[a-ζ]*", "α", ok),
            ("*[a-ζ]", "A", no),
            ("a?b", "a/b", no),
            ("a*b", "a/b", no),
            ("[\\]a]", "]", ok),
            ("[\\-]", "-", ok),
            ("[x\\-]", "x", ok),
            ("[x\\-]", "-", ok),
            ("[x\\-]", "z", no),
            ("[\\-x]", "x", ok),
            ("[\\-x]", "-", ok),
            ("[\\-x]", "a", no),
            ("[]a]", "]", bad),
            ("[-]", "-", bad),
            ("[x-]", "x", bad),
            ("[x-]", "-", bad),
            ("[x-]", "z", bad),
            ("[-x]", "x", bad),
            ("[-x]", "-", bad),
            ("[-x]", "a", bad),
            ("\\", "a", bad),
            ("[a-b-c]", "a", bad),
            ("[", "a", bad),
            ("[^", "a", bad),
            ("[^bc", "a", bad),
            ("a[", "a", bad),
            ("a[", "ab", bad),
            ("a[", "x", bad),
            ("a/b[", "x", bad),
            ("*x", "xxx", ok),
        ] {
            assert_eq!(
                path_match(pattern, name),
                want,
                "path_match({pattern:?}, {name:?})"
            );
        }
    }

    proptest! {
        #[test]
        fn never_panics(globs in "[a-z*?\\[\\]^\\\\/,.☺-]{0,16}", target in "[a-z/.☺-]{0,16}") {
            let _ = match_prefix_patterns(&globs, &target);
            let _ = path_match(&globs, &target);
        }

        #[test]
        fn never_panics_on_anything(globs in "\\PC*", target in "\\PC*") {
            let _ = match_prefix_patterns(&globs, &target);
        }

        #[test]
        fn a_path_matches_itself_and_its_children(path in "[a-z]{1,6}\\.test(/[a-z0-9]{1,5}){0,3}", child in "(/[a-z]{1,4}){0,2}") {
            let target = format!("{path}{child}");
            prop_assert!(match_prefix_patterns(&path, &target));
            let slash = format!("{path}/");
            let longer = format!("{path}x");
            prop_assert!(match_prefix_patterns(&slash, &target));
            prop_assert!(!match_prefix_patterns(&longer, &target));
        }
    }
}
