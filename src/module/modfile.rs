//! go.mod and go.work reading: module, go, toolchain, require, replace, exclude, retract, use (x/mod modfile, spec/integrity.md §7).
