//! Trust as Go builds it on Linux (system roots, SSL_CERT_FILE, SSL_CERT_DIR) and the classification of TLS failures in Go's x509 wording.
