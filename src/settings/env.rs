//! `Env`: the only reader of the process environment and of the `go env -w` file (GOENV) and `$GOROOT/go.env`. Buildable from a map in tests.
