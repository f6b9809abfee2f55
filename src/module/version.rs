//! Go semantic versions: parse, canonical form, compare, prerelease, build, `+incompatible` (x/mod semver, spec/integrity.md §6).
