//! .netrc parsing and host lookup (cmd/go/internal/auth/netrc.go
//! `parseNetrc`, spec/fetch-protocol.md §6.6). Pure: text in, entries out.
//!
//! Tokens `machine`, `login`, `password`, `macdef` (skipped up to an empty
//! line) and `default` (stops parsing; default entries are ignored). An
//! entry counts when machine, login and password are all set; for duplicate
//! machines the earliest wins. A machine name matches the request's host
//! *including* its port (`machine h` does not apply to `https://h:8443/`),
//! or a path prefix of the URL ([`lookup_url`]).

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

/// The entry whose machine names `url` or a path prefix of it, as Go's
/// `auth.loadCredential` finds stored credentials: the URL without its
/// `https://` and one trailing `/`, then shorter at each `/`
/// (`h:8443/a/b`, `h:8443/a`, `h:8443`). A URL with user information never
/// matches (its text starts with the user). Only https URLs get credentials.
pub fn lookup_url<'a>(lines: &'a [NetrcLine], url: &url::Url) -> Option<&'a NetrcLine> {
    let text = url.as_str().strip_prefix("https://")?;
    let mut prefix = text.strip_suffix('/').unwrap_or(text);
    loop {
        let machine = |l: &&NetrcLine| {
            let m = l.machine.strip_prefix("https://").unwrap_or(&l.machine);
            m.strip_suffix('/').unwrap_or(m) == prefix
        };
        if let Some(line) = lines.iter().find(machine) {
            return Some(line);
        }
        prefix = &prefix[..prefix.rfind('/')?];
    }
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

    #[test]
    fn url_lookup_walks_path_prefixes_as_go() {
        let lines = parse(
            "machine h.example.com:8443 login a password 1\n\
             machine p.example.com/team login b password 2\n",
        );
        let u = |s: &str| url::Url::parse(s).unwrap();
        let login = |s: &str| lookup_url(&lines, &u(s)).map(|l| l.login.as_str());
        assert_eq!(login("https://h.example.com:8443/m/@v/list"), Some("a"));
        assert_eq!(login("https://h.example.com/m/@v/list"), None);
        assert_eq!(login("http://h.example.com:8443/m/@v/list"), None);
        assert_eq!(login("https://u@h.example.com:8443/m/@v/list"), None);
        assert_eq!(login("https://p.example.com/team/m/@v/list"), Some("b"));
        assert_eq!(login("https://p.example.com/team"), Some("b"));
        assert_eq!(login("https://p.example.com/other/m/@v/list"), None);
    }
}
