//! Temp file, write, rename; truncate-then-write; permissions. The only writer of cache files.
