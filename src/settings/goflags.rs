//! GOFLAGS: splitting with shell-like quoting (cmd/internal/quoted `Split`)
//! and the flags gomodfetch honours: `-modcacherw`, `-mod=`, `-x`,
//! `-insecure` (base/goflags.go `InitGOFLAGS`, spec/fetch-protocol.md §1.2).
//! Pure: takes the GOFLAGS string, returns values or Go's error text.

/// The fetch-relevant flags found in GOFLAGS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoFlags {
    /// `-modcacherw`: leave extracted module directories writable.
    pub modcacherw: bool,
    /// `-mod=readonly|vendor|mod`.
    pub mod_mode: Option<String>,
    /// `-x`: print the requests made.
    pub x: bool,
    /// `-insecure` (deprecated in Go; honoured where Go still reads it).
    pub insecure: bool,
}

/// A GOFLAGS value Go refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoFlagsError {
    #[error("parsing $GOFLAGS: {0}")]
    Quote(String),
    #[error("parsing $GOFLAGS: non-flag {0:?}")]
    NonFlag(String),
    #[error("invalid boolean value {value:?} for flag -{flag} (from $GOFLAGS)")]
    BadBool { flag: String, value: String },
}

/// Splits like `quoted.Split`: fields separated by white space; a field may
/// be wrapped in `'` or `"` (no escapes inside).
pub fn split(s: &str) -> Result<Vec<String>, GoFlagsError> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        let Some(first) = rest.chars().next() else {
            return Ok(out);
        };
        if first == '"' || first == '\'' {
            let body = &rest[1..];
            let Some(end) = body.find(first) else {
                return Err(GoFlagsError::Quote(format!("unterminated {first} string")));
            };
            out.push(body[..end].to_string());
            rest = &body[end + 1..];
            if !rest.is_empty() && !rest.starts_with([' ', '\t', '\n', '\r']) {
                return Err(GoFlagsError::Quote(
                    "quoted string must be followed by space".into(),
                ));
            }
        } else {
            let end = rest.find([' ', '\t', '\n', '\r']).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
}

fn parse_bool(flag: &str, value: Option<&str>) -> Result<bool, GoFlagsError> {
    match value {
        None => Ok(true),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
        Some(other) => Err(GoFlagsError::BadBool {
            flag: flag.to_string(),
            value: other.to_string(),
        }),
    }
}

/// Parses GOFLAGS. Flags that do not concern fetching are ignored (the go
/// command ignores flags its current subcommand does not take).
pub fn parse(goflags: &str) -> Result<GoFlags, GoFlagsError> {
    let mut flags = GoFlags::default();
    for word in split(goflags)? {
        let Some(flag) = word
            .strip_prefix("--")
            .or_else(|| word.strip_prefix('-'))
            .filter(|f| !f.is_empty())
        else {
            return Err(GoFlagsError::NonFlag(word));
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (flag, None),
        };
        match name {
            "modcacherw" => flags.modcacherw = parse_bool(name, value)?,
            "x" => flags.x = parse_bool(name, value)?,
            "insecure" => flags.insecure = parse_bool(name, value)?,
            "mod" => flags.mod_mode = value.map(str::to_string),
            _ => {}
        }
    }
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_with_quotes() {
        assert_eq!(
            split(r#" -a  "-b=c d" '-e' "#).unwrap(),
            vec!["-a", "-b=c d", "-e"]
        );
        assert!(split(r#"-a "b"#).is_err());
    }

    #[test]
    fn parses_fetch_flags() {
        let f = parse("-modcacherw --mod=mod -x=false -insecure -trimpath").unwrap();
        assert!(f.modcacherw && f.insecure && !f.x);
        assert_eq!(f.mod_mode.as_deref(), Some("mod"));
        assert_eq!(parse("x"), Err(GoFlagsError::NonFlag("x".into())));
        assert!(parse("-x=maybe").is_err());
    }
}
