//! Pure rules for module paths, versions, patterns and go.mod files.

pub mod modfile;
pub mod path;
pub mod pattern;
pub mod pseudo;
pub mod version;
