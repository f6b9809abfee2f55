//! GOPRIVATE-style prefix-glob matching (`MatchPrefixPatterns`, spec/fetch-protocol.md §4.1).
