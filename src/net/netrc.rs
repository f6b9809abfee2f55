//! .netrc parsing and host lookup (cmd/go/internal/auth/netrc.go
//! `parseNetrc`, spec/fetch-protocol.md §6.6). Pure: text in, entries out.
//!
//! Tokens `machine`, `login`, `password`, `macdef` (skipped up to an empty
//! line) and `default` (stops parsing; default entries are ignored). An
//! entry counts when machine, login and password are all set; for duplicate
//! machines the earliest wins. A machine name matches the request's host
//! *including* its port (`machine h` does not apply to `https://h:8443/`).

/// One usable netrc entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetrcLine {
    pub machine: String,
    pub login: String,
    pub password: String,
}

/// Parses netrc text as Go does.
pub fn parse(text: &str) -> Vec<NetrcLine> {
    let mut out: Vec<NetrcLine> = Vec::new();
    let mut current: Option<(Option<String>, Option<String>, Option<String>)> = None;
    let mut in_macro = false;
    let flush = |cur: &mut Option<(Option<String>, Option<String>, Option<String>)>,
                 out: &mut Vec<NetrcLine>| {
        if let Some((Some(m), Some(l), Some(p))) = cur.take()
            && !out.iter().any(|e| e.machine == m)
        {
            out.push(NetrcLine {
                machine: m,
                login: l,
                password: p,
            });
        }
    };
    'lines: for line in text.lines() {
        if in_macro {
            if line.trim().is_empty() {
                in_macro = false;
            }
            continue;
        }
        let mut fields = line.split_whitespace();
        while let Some(token) = fields.next() {
            match token {
                "machine" => {
                    flush(&mut current, &mut out);
                    current = Some((fields.next().map(str::to_string), None, None));
                }
                "default" => break 'lines,
                "login" => {
                    if let Some(c) = current.as_mut() {
                        c.1 = fields.next().map(str::to_string);
                    }
                }
                "password" => {
                    if let Some(c) = current.as_mut() {
                        c.2 = fields.next().map(str::to_string);
                    }
                }
                "macdef" => {
                    in_macro = true;
                    continue 'lines;
                }
                _ => {}
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

/// The entry for `host` (`host` or `host:port` exactly as in the URL).
pub fn lookup<'a>(lines: &'a [NetrcLine], host: &str) -> Option<&'a NetrcLine> {
    lines.iter().find(|l| l.machine == host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches_with_port() {
        let lines = parse(
            "machine a.example.com login u password p\n\
             macdef init\ncd /\n\n\
             machine b.example.com:8443\n login v\n password q\n\
             machine a.example.com login dup password dup\n\
             machine nopass login x\n\
             default login d password d\nmachine after login a password a\n",
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lookup(&lines, "a.example.com").unwrap().login, "u");
        assert!(lookup(&lines, "b.example.com").is_none());
        assert_eq!(lookup(&lines, "b.example.com:8443").unwrap().password, "q");
        assert!(lookup(&lines, "after").is_none());
    }
}
