//! The `h1:` hash (x/mod sumdb/dirhash Hash1) over a zip, a directory and a go.mod, streaming.
