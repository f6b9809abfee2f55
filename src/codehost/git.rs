//! git subprocesses for direct mode, with captured stderr in errors.
