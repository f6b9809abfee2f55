//! `SafeUrl`: a URL whose `Display` hides credentials as Go's `url.Redacted`
//! does (the password becomes `xxxxx`). Every URL shown to a user goes
//! through it. Pure.

use std::fmt;

/// A URL that displays with its password redacted.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SafeUrl(url::Url);

impl SafeUrl {
    /// Wraps a URL.
    pub fn new(url: url::Url) -> Self {
        Self(url)
    }

    /// The full URL, credentials included: for sending, never for showing.
    pub fn expose(&self) -> &url::Url {
        &self.0
    }
}

impl From<url::Url> for SafeUrl {
    fn from(url: url::Url) -> Self {
        Self(url)
    }
}

/// Redacts the password of `url` as Go's `(*url.URL).Redacted` does.
pub fn redact(url: &url::Url) -> String {
    if url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_password(Some("xxxxx"));
        shown.to_string()
    } else {
        url.to_string()
    }
}

impl fmt::Display for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl fmt::Debug for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafeUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_password_only() {
        let u = url::Url::parse("https://user:secret@proxy.example.com/p").unwrap();
        assert_eq!(
            SafeUrl::new(u).to_string(),
            "https://user:xxxxx@proxy.example.com/p"
        );
        let u = url::Url::parse("https://user@proxy.example.com/p").unwrap();
        assert_eq!(redact(&u), "https://user@proxy.example.com/p");
    }
}
