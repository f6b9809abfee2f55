//! Pseudo-versions: parse, build, base, time, revision (x/mod module/pseudo.go, spec/integrity.md §6.3).
