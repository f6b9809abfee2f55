//! One module@version end to end (Go's modfetch/fetch.go): cache check, proxy
//! list, streamed body into a temp file with a size cap, `h1:`, go.sum and
//! checksum database, commit, extraction. Reports through `Reporter`; never prints.
