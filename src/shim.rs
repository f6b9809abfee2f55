//! TEMPORARY: stand-ins for verify::{dirhash,zipcheck} until those land;
//! deleted after rebasing.
#![allow(dead_code, clippy::all)]

use std::io::Read;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ShimError(pub String);

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

fn hash1(mut files: Vec<(String, Vec<u8>)>) -> String {
    use base64::Engine;
    use sha2::Digest;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = String::new();
    for (name, data) in files {
        summary.push_str(&format!("{}  {}\n", sha256_hex(&data), name));
    }
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(summary.as_bytes()))
    )
}

pub fn hash_go_mod(content: &[u8]) -> String {
    hash1(vec![("go.mod".into(), content.to_vec())])
}

pub fn hash_zip(path: &Path) -> Result<String, ShimError> {
    let f = std::fs::File::open(path).map_err(|e| ShimError(e.to_string()))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| ShimError(e.to_string()))?;
    let mut files = Vec::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).map_err(|e| ShimError(e.to_string()))?;
        let mut data = Vec::new();
        e.read_to_end(&mut data)
            .map_err(|e| ShimError(e.to_string()))?;
        files.push((
            e.name().map_err(|e| ShimError(e.to_string()))?.to_string(),
            data,
        ));
    }
    Ok(hash1(files))
}

pub fn unzip(dir: &Path, path: &str, version: &str, zipfile: &Path) -> Result<(), ShimError> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::File::open(zipfile).map_err(|e| ShimError(e.to_string()))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| ShimError(e.to_string()))?;
    let prefix = format!("{path}@{version}/");
    for i in 0..z.len() {
        let mut e = z.by_index(i).map_err(|e| ShimError(e.to_string()))?;
        let name = e.name().map_err(|e| ShimError(e.to_string()))?.to_string();
        let Some(rel) = name.strip_prefix(&prefix) else {
            return Err(ShimError(format!("unexpected file {name}")));
        };
        if rel.ends_with('/') {
            continue;
        }
        let dst = dir.join(rel);
        if let Some(p) = dst.parent() {
            std::fs::create_dir_all(p).map_err(|e| ShimError(e.to_string()))?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&dst)
            .map_err(|e| ShimError(e.to_string()))?;
        std::io::copy(&mut e, &mut out).map_err(|e| ShimError(e.to_string()))?;
    }
    Ok(())
}
