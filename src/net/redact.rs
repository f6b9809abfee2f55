//! `SafeUrl`: a URL whose `Display` hides credentials.
