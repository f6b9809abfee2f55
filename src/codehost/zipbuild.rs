//! Building module zips from a file list or a directory under x/mod's zip rules (Create, CreateFromDir).
