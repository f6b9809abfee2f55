//! The indicatif implementation of `Reporter`; hidden when stderr is not a terminal.
