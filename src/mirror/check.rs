//! `gomodfetch mirror verify DIR`: checks a mirror tree offline, as the
//! air-gapped side does before serving a transfer.
//!
//! - every file the manifest lists is present with its size and SHA-256;
//! - every go.mod and zip in the tree hashes (`h1:`) to what the manifest
//!   records and to the checksum database's record stored beside it;
//! - every stored record is proven, through the stored tiles only, to be in
//!   the tree named by `sumdb/<name>/latest`, whose signature is checked
//!   with the database key (given by the user; the manifest's copy is only
//!   a fallback), and every stored lookup carries that same head.
//!
//! Each problem names the file. Never prints, never writes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::manifest::{self, Manifest, ManifestError};
use super::proofs::{Lookup, SumdbMirror, parse_hash};
use super::tree::MirrorTree;
use crate::module::path::unescape_path;
use crate::module::version as semver;
use crate::sumdb::check::check_lines;
use crate::sumdb::tlog::Tree;
use crate::verify::dirhash;

/// One thing wrong with the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault (or the tree root).
    pub file: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Report {
    /// Module versions checked.
    pub modules: usize,
    /// Files checked against the manifest.
    pub files: usize,
    /// Whether the proofs were checked (a checksum-database subtree exists).
    pub proofs: bool,
    /// The head the proofs were checked against (size).
    pub tree_size: Option<i64>,
    /// Everything wrong, in tree order.
    pub problems: Vec<Problem>,
}

/// Module versions with a `.mod` in the tree (path, version).
fn tree_modules(tree: &MirrorTree) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![tree.root().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if dir == tree.root() && name == "sumdb" {
                continue;
            }
            if name != "@v" {
                stack.push(entry.path());
                continue;
            }
            let Ok(module) = unescape_path(&tree.rel(&dir)) else {
                continue;
            };
            for file in std::fs::read_dir(entry.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let file_name = file.file_name().to_string_lossy().into_owned();
                if let Some(ev) = file_name.strip_suffix(".mod")
                    && let Ok(v) = crate::module::path::unescape_version(ev)
                    && semver::canonical_module_version(&v) == v
                {
                    out.insert((module.clone(), v));
                }
            }
        }
    }
    out
}

/// Checks the tree at `root`. `key` is the database's verifier key (else
/// the manifest's is used).
pub async fn verify_tree(root: PathBuf, key: Option<String>) -> Result<Report, ManifestError> {
    let tree = MirrorTree::new(root);
    let manifest = Manifest::read(&tree.manifest_file())?;
    let mut report = Report::default();
    let problem = |file: PathBuf, message: String| Problem { file, message };

    // 1. Files against the manifest.
    if let Some(m) = &manifest {
        for (rel, entry) in &m.files {
            // A manifest is data from the other side of the gap: never let
            // it point outside the tree.
            if rel.starts_with('/')
                || rel
                    .split('/')
                    .any(|seg| seg.is_empty() || seg == "." || seg == ".." || seg.contains('\\'))
            {
                report.problems.push(problem(
                    tree.manifest_file(),
                    format!("lists {rel:?}, which is not a path inside the tree"),
                ));
                continue;
            }
            let file = rel
                .split('/')
                .fold(tree.root().to_path_buf(), |p, s| p.join(s));
            report.files += 1;
            match std::fs::metadata(&file) {
                Err(_) => report
                    .problems
                    .push(problem(file, "missing (listed in manifest.json)".into())),
                Ok(meta) if meta.len() != entry.size => report.problems.push(problem(
                    file,
                    format!(
                        "size {} differs from manifest.json's {}",
                        meta.len(),
                        entry.size
                    ),
                )),
                Ok(_) => match manifest::sha256_file(&file) {
                    Ok(sha) if sha == entry.sha256 => {}
                    Ok(sha) => report.problems.push(problem(
                        file,
                        format!("sha256 {sha} differs from manifest.json's {}", entry.sha256),
                    )),
                    Err(e) => report.problems.push(problem(file, e.to_string())),
                },
            }
        }
    } else {
        report.problems.push(problem(
            tree.manifest_file(),
            "missing: files cannot be checked against a manifest".into(),
        ));
    }

    // 2. Hashes against the manifest and the stored records.
    let key = key.or_else(|| {
        manifest
            .as_ref()
            .and_then(|m| m.sumdb.as_ref())
            .map(|s| s.key.clone())
    });
    let sumdb = match &key {
        Some(k) => match crate::sumdb::note::Verifier::new(k) {
            Ok(v) => {
                let dir = tree.sumdb_dir(v.name());
                SumdbMirror::new(k, dir, None).ok()
            }
            Err(e) => {
                report.problems.push(problem(
                    tree.root().to_path_buf(),
                    format!("invalid key {k:?}: {e}"),
                ));
                None
            }
        },
        None => None,
    };
    let mut modules = tree_modules(&tree);
    if let Some(m) = &manifest {
        modules.extend(
            m.modules
                .iter()
                .map(|e| (e.path.clone(), e.version.clone())),
        );
    }
    let mut lookups: Vec<Lookup> = Vec::new();
    for (path, version) in &modules {
        report.modules += 1;
        let entry = manifest.as_ref().and_then(|m| m.module(path, version));
        let covered = entry.is_none_or(|e| e.sumdb) && sumdb.is_some();
        let lookup = match (&sumdb, covered) {
            (Some(s), true) => match s.lookup(path, version).await {
                Ok(l) => Some(l),
                Err(e) => {
                    let file = s
                        .lookup_file(path, version)
                        .unwrap_or_else(|_| s.dir().to_path_buf());
                    report.problems.push(problem(file, e.to_string()));
                    None
                }
            },
            _ => None,
        };
        let Ok(mod_file) = tree.module_file(path, version, "mod") else {
            continue;
        };
        match std::fs::read(&mod_file) {
            Err(e) => report
                .problems
                .push(problem(mod_file.clone(), e.to_string())),
            Ok(data) => {
                let h1 = dirhash::hash_go_mod(&data);
                if let Some(e) = entry
                    && e.go_mod != h1
                {
                    report.problems.push(problem(
                        mod_file.clone(),
                        format!(
                            "checksum mismatch\n\tdownloaded: {h1}\n\tmanifest.json: {}",
                            e.go_mod
                        ),
                    ));
                }
                if let (Some(l), Some(s)) = (&lookup, &sumdb)
                    && let Err(e) = check_lines(
                        path,
                        &format!("{version}/go.mod"),
                        &h1,
                        &s.name,
                        &l.lines(&format!("{version}/go.mod")),
                    )
                {
                    report
                        .problems
                        .push(problem(mod_file.clone(), e.to_string()));
                }
            }
        }
        let zip_file = mod_file.with_extension("zip");
        let want_zip = entry.is_some_and(|e| e.zip.is_some()) || zip_file.exists();
        if want_zip {
            let f = zip_file.clone();
            match tokio::task::spawn_blocking(move || dirhash::hash_zip(&f)).await {
                Ok(Ok(h1)) => {
                    if let Some(want) = entry.and_then(|e| e.zip.as_ref())
                        && *want != h1
                    {
                        report.problems.push(problem(
                            zip_file.clone(),
                            format!(
                                "checksum mismatch\n\tdownloaded: {h1}\n\tmanifest.json: {want}"
                            ),
                        ));
                    }
                    if let (Some(l), Some(s)) = (&lookup, &sumdb)
                        && let Err(e) = check_lines(path, version, &h1, &s.name, &l.lines(version))
                    {
                        report
                            .problems
                            .push(problem(zip_file.clone(), e.to_string()));
                    }
                }
                Ok(Err(e)) => report
                    .problems
                    .push(problem(zip_file.clone(), e.to_string())),
                Err(e) => report
                    .problems
                    .push(problem(zip_file.clone(), e.to_string())),
            }
        }
        lookups.extend(lookup);
    }

    // 3. Proofs, through stored tiles only.
    if let Some(s) = &sumdb {
        report.proofs = true;
        let mut earlier = Vec::new();
        if let Some(info) = manifest.as_ref().and_then(|m| m.sumdb.as_ref()) {
            for r in &info.earlier {
                if let Some(hash) = parse_hash(&r.hash) {
                    earlier.push(Tree { n: r.size, hash });
                }
            }
        }
        match s.prove(&lookups, &earlier).await {
            Ok(Some(proven)) => {
                report.tree_size = Some(proven.head.tree.n);
                if let Some(info) = manifest.as_ref().and_then(|m| m.sumdb.as_ref())
                    && (info.tree_size != proven.head.tree.n
                        || info.tree_hash != proven.head.tree.hash.to_string())
                {
                    report.problems.push(problem(
                        s.dir().join("latest"),
                        format!(
                            "tree#{} differs from manifest.json's tree#{}",
                            proven.head.tree.n, info.tree_size
                        ),
                    ));
                }
                for l in &lookups {
                    if l.head != proven.head {
                        report.problems.push(problem(
                            s.lookup_file(&l.path, &l.version).unwrap_or_default(),
                            format!(
                                "carries tree#{}, not the mirror's tree#{} (the go command would ask for tiles the mirror lacks)",
                                l.head.tree.n, proven.head.tree.n
                            ),
                        ));
                    }
                }
                if std::fs::metadata(s.dir().join("supported")).is_err() {
                    report.problems.push(problem(
                        s.dir().join("supported"),
                        "missing: the go command will not use this mirror's proofs".into(),
                    ));
                }
            }
            Ok(None) => {}
            Err(e) => report
                .problems
                .push(problem(s.dir().to_path_buf(), e.to_string())),
        }
    }
    Ok(report)
}
