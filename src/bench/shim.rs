//! Temporary stand-in for the zip `h1:` hash (`verify::dirhash`, x/mod
//! sumdb/dirhash `HashZip`), which another module owns and has not landed
//! yet. Private to `bench`; deleted once the real one exists.

use std::io::{Read, Seek};

use base64::Engine;
use sha2::{Digest, Sha256};

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
