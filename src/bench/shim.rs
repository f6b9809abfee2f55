//! Temporary stand-ins for functions other modules own but have not landed
//! yet: case escaping (`module::path`, spec/integrity.md §3) and the zip
//! `h1:` hash (`verify::dirhash`). Private to `bench`; deleted once the real
//! ones exist.

use std::io::{Read, Seek};

use base64::Engine;
use sha2::{Digest, Sha256};

/// A minimal module-path check: enough to reject lines that are not module
/// paths at all. The full rules live in `module::path`.
pub(crate) fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty string".into());
    }
    if path.starts_with('/') || path.ends_with('/') || path.contains("//") {
        return Err("leading, trailing or double slash".into());
    }
    let first = path.split('/').next().unwrap_or_default();
    if !first.contains('.') {
        return Err("missing dot in first path element".into());
    }
    for element in path.split('/') {
        if element == "." || element == ".." || element.starts_with('.') {
            return Err(format!("invalid path element \"{element}\""));
        }
    }
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~/+".contains(*c)))
    {
        return Err(format!("invalid char '{c}'"));
    }
    Ok(())
}

/// A minimal version check: a single file-name element starting with `v`.
pub(crate) fn check_version(version: &str) -> Result<(), String> {
    if !version.starts_with('v') || version.len() < 2 {
        return Err("version must start with \"v\"".into());
    }
    if let Some(c) = version
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-.+_~".contains(*c)))
    {
        return Err(format!("disallowed version string (char '{c}')"));
    }
    Ok(())
}

/// `module.EscapePath`/`EscapeVersion` after validation: `X` → `!x`.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `module.UnescapePath`'s string rule: `!x` → `X`; upper case is invalid.
pub(crate) fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut bang = false;
    for c in s.chars() {
        if bang {
            if !c.is_ascii_lowercase() {
                return None;
            }
            out.push(c.to_ascii_uppercase());
            bang = false;
        } else if c == '!' {
            bang = true;
        } else if c.is_ascii_uppercase() || !c.is_ascii() {
            return None;
        } else {
            out.push(c);
        }
    }
    (!bang).then_some(out)
}

/// x/mod sumdb/dirhash `HashZip`: `h1:` over every file name in the zip.
pub(crate) fn hash_zip<R: Read + Seek>(reader: R) -> Result<String, String> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| e.to_string())?;
    let mut lines = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(|e| e.to_string())?;
        let name = file.name().map_err(|e| e.to_string())?.into_owned();
        if name.contains('\n') {
            return Err("dirhash: filenames with newlines are not supported".into());
        }
        let mut hasher = Sha256::new();
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        lines.push((name, hex::encode(hasher.finalize())));
    }
    lines.sort();
    let mut summary = Sha256::new();
    for (name, hash) in &lines {
        summary.update(format!("{hash}  {name}\n"));
    }
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary.finalize())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        assert_eq!(escape("github.com/Azure/go"), "github.com/!azure/go");
        assert_eq!(
            unescape("github.com/!azure/go").as_deref(),
            Some("github.com/Azure/go")
        );
        assert_eq!(unescape("github.com/Azure"), None);
        assert_eq!(unescape("x!"), None);
    }

    #[test]
    fn checks_reject_garbage() {
        assert!(check_path("example.com/m").is_ok());
        assert!(check_path("nodot/m").is_err());
        assert!(check_path("example.com/a b").is_err());
        assert!(check_version("v1.0.0").is_ok());
        assert!(check_version("1.0.0").is_err());
        assert!(check_version("v1/x").is_err());
    }
}
