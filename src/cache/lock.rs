//! Go-compatible lock files. The only code that takes file locks.
