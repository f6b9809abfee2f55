//! `ProxyRepo` over http(s) and file:// : GET, status into an outcome, streamed bodies with a size cap.
