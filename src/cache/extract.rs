//! Extracting a verified zip into `<escaped>@<v>/` behind `.partial`.
