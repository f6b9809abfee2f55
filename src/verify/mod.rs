//! Pure integrity rules: `h1:` hashes, module zip rules and go.sum.

pub mod casefold;
pub mod dirhash;
pub mod gosum;
pub mod zipcheck;
pub mod zipread;
