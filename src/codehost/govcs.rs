//! GOVCS: which version-control tools may run for which repository roots
//! (vcs/vcs.go: `parseGOVCS`, `govcsConfig.allow`, `checkGOVCS`;
//! spec/fetch-protocol.md §9.5). Pure.
//!
//! The user's rules come first, then Go's built-in `private:all,public:git|hg`;
//! the first rule whose pattern matches the root decides, and no match means
//! nothing is allowed. `private`/`public` are decided by GOPRIVATE (not
//! GONOPROXY) against the root path.

use crate::module::pattern::match_prefix_patterns;

/// A malformed GOVCS value, worded as Go words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovcsError {
    #[error("empty entry in GOVCS")]
    EmptyEntry,
    #[error("malformed entry in GOVCS (missing colon): {0:?}")]
    MissingColon(String),
    #[error("empty pattern in GOVCS: {0:?}")]
    EmptyPattern(String),
    #[error("empty VCS list in GOVCS: {0:?}")]
    EmptyList(String),
    #[error("relative pattern not allowed in GOVCS: {0:?}")]
    Relative(String),
    #[error("unreachable pattern in GOVCS: {item:?} after {old:?}")]
    Unreachable { item: String, old: String },
    #[error("empty VCS name in GOVCS: {0:?}")]
    EmptyName(String),
    #[error("GOVCS disallows using {vcs} for {what} {root}; see 'go help vcs'")]
    Disallowed {
        vcs: String,
        what: &'static str,
        root: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    pattern: String,
    allowed: Vec<String>,
}

/// A parsed GOVCS setting with Go's defaults appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Govcs {
    rules: Vec<Rule>,
}

impl Default for Govcs {
    fn default() -> Self {
        Govcs {
            rules: default_rules(),
        }
    }
}

fn default_rules() -> Vec<Rule> {
    vec![
        Rule {
            pattern: "private".into(),
            allowed: vec!["all".into()],
        },
        Rule {
            pattern: "public".into(),
            allowed: vec!["git".into(), "hg".into()],
        },
    ]
}

/// Go's `search.IsRelativePath`: `.`, `..`, or starting with `./` or `../`.
fn is_relative_path(pattern: &str) -> bool {
    pattern.starts_with("./") || pattern.starts_with("../") || pattern == "." || pattern == ".."
}

impl Govcs {
    /// Parses a GOVCS value (trimmed; empty means only the defaults).
    pub fn parse(value: &str) -> Result<Govcs, GovcsError> {
        let value = value.trim();
        let mut rules = Vec::new();
        if !value.is_empty() {
            let mut have: Vec<(String, String)> = Vec::new();
            for item in value.split(',') {
                let item = item.trim();
                if item.is_empty() {
                    return Err(GovcsError::EmptyEntry);
                }
                let Some((pattern, list)) = item.split_once(':') else {
                    return Err(GovcsError::MissingColon(item.to_owned()));
                };
                let (pattern, list) = (pattern.trim(), list.trim());
                if pattern.is_empty() {
                    return Err(GovcsError::EmptyPattern(item.to_owned()));
                }
                if list.is_empty() {
                    return Err(GovcsError::EmptyList(item.to_owned()));
                }
                if is_relative_path(pattern) {
                    return Err(GovcsError::Relative(pattern.to_owned()));
                }
                if let Some((_, old)) = have.iter().find(|(p, _)| p == pattern) {
                    return Err(GovcsError::Unreachable {
                        item: item.to_owned(),
                        old: old.clone(),
                    });
                }
                have.push((pattern.to_owned(), item.to_owned()));
                let mut allowed = Vec::new();
                for a in list.split('|') {
                    let a = a.trim();
                    if a.is_empty() {
                        return Err(GovcsError::EmptyName(item.to_owned()));
                    }
                    allowed.push(a.to_owned());
                }
                rules.push(Rule {
                    pattern: pattern.to_owned(),
                    allowed,
                });
            }
        }
        rules.extend(default_rules());
        Ok(Govcs { rules })
    }

    /// Whether `vcs` (the command name: `git`, `hg`, ...) may be used for
    /// `root`, which is private or not (govcsConfig.allow).
    pub fn allow(&self, root: &str, private: bool, vcs: &str) -> bool {
        for rule in &self.rules {
            let matched = match rule.pattern.as_str() {
                "private" => private,
                "public" => !private,
                pattern => match_prefix_patterns(pattern, root),
            };
            if matched {
                return rule.allowed.iter().any(|a| a == vcs || a == "all");
            }
        }
        false
    }

    /// Go's `checkGOVCS`: `goprivate` is the GOPRIVATE value.
    pub fn check(&self, vcs: &str, root: &str, goprivate: &str) -> Result<(), GovcsError> {
        let private = match_prefix_patterns(goprivate, root);
        if self.allow(root, private, vcs) {
            return Ok(());
        }
        Err(GovcsError::Disallowed {
            vcs: vcs.to_owned(),
            what: if private { "private" } else { "public" },
            root: root.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_allow_git_and_hg_publicly_and_everything_privately() {
        let g = Govcs::default();
        assert!(g.allow("example.com/a", false, "git"));
        assert!(g.allow("example.com/a", false, "hg"));
        assert!(!g.allow("example.com/a", false, "svn"));
        assert!(g.allow("example.com/a", true, "svn"));
        assert_eq!(
            g.check("svn", "example.com/a", "").unwrap_err().to_string(),
            "GOVCS disallows using svn for public example.com/a; see 'go help vcs'"
        );
        assert_eq!(
            g.check("svn", "corp.example.com/a", "*.example.com")
                .map_err(|e| e.to_string()),
            Ok(())
        );
    }

    #[test]
    fn user_rules_come_first() {
        let g = Govcs::parse("example.com:off, *.test:git|svn").unwrap();
        assert!(!g.allow("example.com/a", false, "git"));
        assert!(!g.allow("example.com/a", true, "git"));
        assert!(g.allow("a.test/x", false, "svn"));
        assert!(!g.allow("a.test/x", false, "hg"));
        assert!(g.allow("other.example.org/x", false, "git"));
        let g = Govcs::parse("public:off").unwrap();
        assert_eq!(
            g.check("git", "example.com/a", "").unwrap_err().to_string(),
            "GOVCS disallows using git for public example.com/a; see 'go help vcs'"
        );
        let g = Govcs::parse("private:off").unwrap();
        assert_eq!(
            g.check("git", "example.com/a", "example.com")
                .unwrap_err()
                .to_string(),
            "GOVCS disallows using git for private example.com/a; see 'go help vcs'"
        );
    }

    #[test]
    fn parse_errors_are_gos() {
        let cases = [
            ("a:git,,b:git", "empty entry in GOVCS"),
            ("a", "malformed entry in GOVCS (missing colon): \"a\""),
            (":git", "empty pattern in GOVCS: \":git\""),
            ("a:", "empty VCS list in GOVCS: \"a:\""),
            ("./a:git", "relative pattern not allowed in GOVCS: \"./a\""),
            (
                "a:git,a:hg",
                "unreachable pattern in GOVCS: \"a:hg\" after \"a:git\"",
            ),
            ("a:git||hg", "empty VCS name in GOVCS: \"a:git||hg\""),
        ];
        for (value, want) in cases {
            assert_eq!(
                Govcs::parse(value).unwrap_err().to_string(),
                want,
                "{value}"
            );
        }
        assert_eq!(Govcs::parse("  ").unwrap(), Govcs::default());
    }
}
