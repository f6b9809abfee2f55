//! Signed notes: verifier and signer keys, ed25519 signatures, `Open` and
//! `Sign` (x/mod sumdb/note/note.go; spec/integrity.md §5.3).
//!
//! Owns: key parsing (`name+hash+base64key`, `PRIVATE+KEY+name+hash+base64seed`),
//! the key hash, note opening with Go's exact error texts, signing (used by
//! test servers and mirrors). Pure: no network, no disk. Also home of
//! [`decode_base64`], the Go-compatible base64 decoder the sumdb code shares.
//!
//! Must not: decide which key is trusted (the caller passes the verifiers).

use std::collections::{HashMap, HashSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Go's `base64.StdEncoding` decoder: padding required, non-zero trailing
/// bits accepted (Go's decoder is not strict), `\r` and `\n` ignored.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Decodes standard, padded base64 as Go's `base64.StdEncoding.DecodeString` does.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    if s.contains(['\r', '\n']) {
        let cleaned: String = s.chars().filter(|&c| c != '\r' && c != '\n').collect();
        return GO_STD.decode(cleaned).ok();
    }
    GO_STD.decode(s).ok()
}

/// Encodes standard, padded base64 (Go's `base64.StdEncoding.EncodeToString`).
pub fn encode_base64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

const ALG_ED25519: u8 = 1;

/// Errors from keys, `Open` and `Sign`, worded exactly as x/mod words them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A verifier or signer key that does not parse.
    #[error("malformed verifier id")]
    MalformedKey,
    /// A key whose algorithm byte is not Ed25519.
    #[error("unknown verifier algorithm")]
    UnknownAlgorithm,
    /// A key whose 8-hex-digit hash does not match its name and key.
    #[error("invalid verifier hash")]
    InvalidKeyHash,
    /// The note's bytes or signature block are malformed.
    #[error("malformed note")]
    MalformedNote,
    /// A signer with an invalid name.
    #[error("invalid signer")]
    InvalidSigner,
    /// A `Verifiers` implementation returned a key for another name or hash.
    #[error("verifier name or hash doesn't match signature")]
    MismatchedVerifier,
    /// No verifier has this name and hash.
    #[error("unknown key {name}+{hash:08x}")]
    UnknownVerifier {
        /// Key name.
        name: String,
        /// Key hash.
        hash: u32,
    },
    /// Several verifiers have this name and hash.
    #[error("ambiguous key {name}+{hash:08x}")]
    AmbiguousVerifier {
        /// Key name.
        name: String,
        /// Key hash.
        hash: u32,
    },
    /// A signature by a known key that does not verify.
    #[error("invalid signature for key {name}+{hash:08x}")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key hash.
        hash: u32,
    },
    /// No signature was by a known key (x/mod `UnverifiedNoteError`).
    #[error("note has no verifiable signatures")]
    Unverified(Box<Note>),
}

/// A key name: non-empty, UTF-8, no white space, no `+` (x/mod `isValidName`).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

/// First four bytes, big-endian, of SHA-256(name ‖ "\n" ‖ key), where key
/// includes the algorithm byte.
pub fn key_hash(name: &str, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key);
    let sum = h.finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// Go's `strconv.ParseUint(s, 16, 32)` restricted to exactly 8 digits.
fn parse_hash8(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// A verifier: an Ed25519 public key with its name and key hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    hash: u32,
    key: [u8; 32],
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verifier({}+{:08x})", self.name, self.hash)
    }
}

impl Verifier {
    /// Parses a verifier key `name+hash+base64(0x01 ‖ pubkey)` (x/mod `NewVerifier`).
    pub fn new(vkey: &str) -> Result<Self, NoteError> {
        let (name, rest) = vkey.split_once('+').unwrap_or((vkey, ""));
        let (hash16, key64) = rest.split_once('+').unwrap_or((rest, ""));
        let hash = parse_hash8(hash16);
        let key = decode_base64(key64);
        let (Some(hash), Some(key)) = (hash, key) else {
            return Err(NoteError::MalformedKey);
        };
        if !is_valid_name(name) || key.is_empty() {
            return Err(NoteError::MalformedKey);
        }
        if hash != key_hash(name, &key) {
            return Err(NoteError::InvalidKeyHash);
        }
        if key[0] != ALG_ED25519 {
            return Err(NoteError::UnknownAlgorithm);
        }
        // Like Go, a key that is not a curve point is accepted here and simply
        // never verifies anything (the point is decoded in `verify`).
        let key: [u8; 32] = key[1..].try_into().map_err(|_| NoteError::MalformedKey)?;
        Ok(Self {
            name: name.to_owned(),
            hash,
            key,
        })
    }

    /// Builds a verifier from a raw public key (x/mod `NewEd25519VerifierKey`).
    pub fn from_public_key(name: &str, key: VerifyingKey) -> Self {
        let mut full = vec![ALG_ED25519];
        full.extend_from_slice(key.as_bytes());
        Self {
            name: name.to_owned(),
            hash: key_hash(name, &full),
            key: key.to_bytes(),
        }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash.
    pub fn key_hash(&self) -> u32 {
        self.hash
    }

    /// The verifier key in its text form.
    pub fn to_key_string(&self) -> String {
        let mut full = vec![ALG_ED25519];
        full.extend_from_slice(&self.key);
        format!("{}+{:08x}+{}", self.name, self.hash, encode_base64(&full))
    }

    /// Verifies an Ed25519 signature over `msg` (cofactorless, as Go's
    /// `crypto/ed25519.Verify`).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        let Ok(key) = VerifyingKey::from_bytes(&self.key) else {
            return false;
        };
        ed25519_dalek::Verifier::verify(&key, msg, &sig).is_ok()
    }
}

/// A signer: an Ed25519 private key with its name and key hash (tests, servers).
#[derive(Clone)]
pub struct Signer {
    name: String,
    hash: u32,
    key: SigningKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({}+{:08x})", self.name, self.hash)
    }
}

impl Signer {
    /// Parses `PRIVATE+KEY+name+hash+base64(0x01 ‖ seed)` (x/mod `NewSigner`).
    pub fn new(skey: &str) -> Result<Self, NoteError> {
        let (priv1, rest) = skey.split_once('+').unwrap_or((skey, ""));
        let (priv2, rest) = rest.split_once('+').unwrap_or((rest, ""));
        let (name, rest) = rest.split_once('+').unwrap_or((rest, ""));
        let (hash16, key64) = rest.split_once('+').unwrap_or((rest, ""));
        let hash = parse_hash8(hash16);
        let key = decode_base64(key64);
        let (Some(hash), Some(key)) = (hash, key) else {
            return Err(NoteError::MalformedKey);
        };
        if priv1 != "PRIVATE" || priv2 != "KEY" || !is_valid_name(name) || key.is_empty() {
            return Err(NoteError::MalformedKey);
        }
        if key[0] != ALG_ED25519 {
            return Err(NoteError::UnknownAlgorithm);
        }
        let seed: [u8; 32] = key[1..].try_into().map_err(|_| NoteError::MalformedKey)?;
        let key = SigningKey::from_bytes(&seed);
        let mut pubkey = vec![ALG_ED25519];
        pubkey.extend_from_slice(key.verifying_key().as_bytes());
        if hash != key_hash(name, &pubkey) {
            return Err(NoteError::InvalidKeyHash);
        }
        Ok(Self {
            name: name.to_owned(),
            hash,
            key,
        })
    }

    /// A signer and its verifier key from a 32-byte seed (x/mod `GenerateKey`
    /// with the randomness supplied): returns (signer key, verifier key).
    pub fn key_pair_from_seed(name: &str, seed: [u8; 32]) -> (String, String) {
        let key = SigningKey::from_bytes(&seed);
        let mut pubkey = vec![ALG_ED25519];
        pubkey.extend_from_slice(key.verifying_key().as_bytes());
        let mut privkey = vec![ALG_ED25519];
        privkey.extend_from_slice(&seed);
        let h = key_hash(name, &pubkey);
        (
            format!("PRIVATE+KEY+{name}+{h:08x}+{}", encode_base64(&privkey)),
            format!("{name}+{h:08x}+{}", encode_base64(&pubkey)),
        )
    }

    /// The same key claiming another name, unchecked (x/mod's tests use
    /// such a signer to show that [`sign`] rejects invalid names).
    pub fn with_name(&self, name: &str) -> Signer {
        Signer {
            name: name.to_owned(),
            ..self.clone()
        }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash.
    pub fn key_hash(&self) -> u32 {
        self.hash
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        Verifier::from_public_key(&self.name, self.key.verifying_key())
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

/// A set of known verifiers, looked up by (name, key hash) (x/mod `Verifiers`).
pub trait Verifiers {
    /// The verifier with this name and hash, or `UnknownVerifier` /
    /// `AmbiguousVerifier`.
    fn verifier(&self, name: &str, hash: u32) -> Result<&Verifier, NoteError>;
}

/// A list of verifiers (x/mod `VerifierList`).
#[derive(Debug, Clone, Default)]
pub struct VerifierList {
    map: HashMap<(String, u32), Vec<Verifier>>,
}

impl VerifierList {
    /// Builds the list; duplicates make their (name, hash) ambiguous.
    pub fn new(list: impl IntoIterator<Item = Verifier>) -> Self {
        let mut map: HashMap<(String, u32), Vec<Verifier>> = HashMap::new();
        for v in list {
            map.entry((v.name.clone(), v.hash)).or_default().push(v);
        }
        Self { map }
    }
}

impl Verifiers for VerifierList {
    fn verifier(&self, name: &str, hash: u32) -> Result<&Verifier, NoteError> {
        match self.map.get(&(name.to_owned(), hash)).map(Vec::as_slice) {
            None | Some([]) => Err(NoteError::UnknownVerifier {
                name: name.to_owned(),
                hash,
            }),
            Some([v]) => Ok(v),
            Some(_) => Err(NoteError::AmbiguousVerifier {
                name: name.to_owned(),
                hash,
            }),
        }
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Key name.
    pub name: String,
    /// Key hash.
    pub hash: u32,
    /// base64(key hash ‖ signature), as it appears in the note.
    pub base64: String,
}

/// An opened note: its text and its signatures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Verified signatures.
    pub sigs: Vec<Signature>,
    /// Signatures by unknown keys.
    pub unverified_sigs: Vec<Signature>,
}

const SIG_PREFIX: &str = "\u{2014} ";

/// Parses and verifies a signed note (x/mod `note.Open`).
pub fn open(msg: &[u8], known: &dyn Verifiers) -> Result<Note, NoteError> {
    // Valid UTF-8, and no control characters other than newline.
    let msg = std::str::from_utf8(msg).map_err(|_| NoteError::MalformedNote)?;
    if msg.chars().any(|c| c < '\u{20}' && c != '\n') {
        return Err(NoteError::MalformedNote);
    }
    let split = msg.rfind("\n\n").ok_or(NoteError::MalformedNote)?;
    let (text, mut sigs) = (&msg[..split + 1], &msg[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::MalformedNote);
    }
    let mut note = Note {
        text: text.to_owned(),
        ..Note::default()
    };
    let mut seen: HashSet<(String, u32)> = HashSet::new();
    let mut seen_unverified: HashSet<&str> = HashSet::new();
    let mut num_sig = 0;
    while let Some(i) = sigs.find('\n') {
        let line = &sigs[..i];
        sigs = &sigs[i + 1..];
        let line = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(NoteError::MalformedNote)?;
        let (name, b64) = line.split_once(' ').unwrap_or((line, ""));
        let sig = decode_base64(b64).ok_or(NoteError::MalformedNote)?;
        if !is_valid_name(name) || b64.is_empty() || sig.len() < 5 {
            return Err(NoteError::MalformedNote);
        }
        let hash = u32::from_be_bytes([sig[0], sig[1], sig[2], sig[3]]);
        let sig = &sig[4..];
        num_sig += 1;
        if num_sig > 100 {
            // Avoid spending forever parsing a note with many signatures.
            return Err(NoteError::MalformedNote);
        }
        let v = match known.verifier(name, hash) {
            Err(NoteError::UnknownVerifier { .. }) => {
                if seen_unverified.insert(line) {
                    note.unverified_sigs.push(Signature {
                        name: name.to_owned(),
                        hash,
                        base64: b64.to_owned(),
                    });
                }
                continue;
            }
            Err(e) => return Err(e),
            Ok(v) => v,
        };
        if v.name() != name || v.key_hash() != hash {
            return Err(NoteError::MismatchedVerifier);
        }
        // Only the first signature from a given key is checked.
        if !seen.insert((name.to_owned(), hash)) {
            continue;
        }
        if !v.verify(text.as_bytes(), sig) {
            return Err(NoteError::InvalidSignature {
                name: name.to_owned(),
                hash,
            });
        }
        note.sigs.push(Signature {
            name: name.to_owned(),
            hash,
            base64: b64.to_owned(),
        });
    }
    if note.sigs.is_empty() {
        return Err(NoteError::Unverified(Box::new(note)));
    }
    Ok(note)
}

/// Signs a note (x/mod `note.Sign`): the text, a blank line, the existing
/// signatures not replaced by one of `signers`, then the new signatures.
pub fn sign(note: &Note, signers: &[&Signer]) -> Result<Vec<u8>, NoteError> {
    if !note.text.ends_with('\n') {
        return Err(NoteError::MalformedNote);
    }
    let mut buf = note.text.clone();
    let mut new_sigs = String::new();
    let mut have: HashSet<(&str, u32)> = HashSet::new();
    for s in signers {
        have.insert((s.name(), s.key_hash()));
        if !is_valid_name(s.name()) {
            return Err(NoteError::InvalidSigner);
        }
        let mut raw = s.key_hash().to_be_bytes().to_vec();
        raw.extend_from_slice(&s.sign(note.text.as_bytes()));
        new_sigs.push_str(SIG_PREFIX);
        new_sigs.push_str(s.name());
        new_sigs.push(' ');
        new_sigs.push_str(&encode_base64(&raw));
        new_sigs.push('\n');
    }
    buf.push('\n');
    for sig in note.sigs.iter().chain(&note.unverified_sigs) {
        if !is_valid_name(&sig.name) {
            return Err(NoteError::MalformedNote);
        }
        if have.contains(&(sig.name.as_str(), sig.hash)) {
            continue;
        }
        match decode_base64(&sig.base64) {
            Some(raw)
                if raw.len() >= 4
                    && u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]) == sig.hash => {}
            _ => return Err(NoteError::MalformedNote),
        }
        buf.push_str(SIG_PREFIX);
        buf.push_str(&sig.name);
        buf.push(' ');
        buf.push_str(&sig.base64);
        buf.push('\n');
    }
    buf.push_str(&new_sigs);
    Ok(buf.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PETER_V: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_S: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

    #[test]
    fn verifier_round_trip() {
        let v = Verifier::new(PETER_V).unwrap();
        assert_eq!(v.name(), "PeterNeumann");
        assert_eq!(v.key_hash(), 0xc74f20a3);
        assert_eq!(v.to_key_string(), PETER_V);
        assert_eq!(Signer::new(PETER_S).unwrap().verifier(), v);
    }

    #[test]
    fn upper_case_hash_accepted_signs_rejected() {
        let upper = PETER_V.replace("c74f20a3", "C74F20A3");
        assert!(Verifier::new(&upper).is_ok());
        let plus = PETER_V.replace("c74f20a3", "+74f20a3");
        assert_eq!(Verifier::new(&plus), Err(NoteError::MalformedKey));
    }

    #[test]
    fn manglings_rejected() {
        // x/mod TestNewVerifier/TestNewSigner: every proper substring and
        // every one-byte increment must be rejected.
        for key in [PETER_V, PETER_S] {
            let b = key.as_bytes();
            let parse = |s: &str| {
                if key == PETER_V {
                    Verifier::new(s).is_ok()
                } else {
                    Signer::new(s).is_ok()
                }
            };
            for i in 0..b.len() {
                for j in i..=b.len() {
                    if (i, j) == (0, b.len()) {
                        continue;
                    }
                    let Ok(s) = std::str::from_utf8(&b[i..j]) else {
                        continue;
                    };
                    assert!(!parse(s), "accepted substring {s:?}");
                }
                let mut m = b.to_vec();
                m[i] = m[i].wrapping_add(1);
                if let Ok(s) = std::str::from_utf8(&m) {
                    assert!(!parse(s), "accepted mangled {s:?}");
                }
            }
        }
    }

    #[test]
    fn base64_like_go() {
        assert_eq!(decode_base64("AM=="), Some(vec![0]));
        assert_eq!(decode_base64("AN=="), Some(vec![0])); // trailing bits ignored
        assert_eq!(decode_base64("AA"), None); // padding required
        assert_eq!(decode_base64("AA\n=="), Some(vec![0]));
    }
}
