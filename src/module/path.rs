//! Module, import and file path checks; case escaping (`!x`) both ways; major-version suffixes (x/mod module/module.go, spec/integrity.md §3).
