//! .netrc parsing and host lookup.
