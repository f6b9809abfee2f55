//! Module zip rules (x/mod zip CheckZip/CheckFiles/CheckDir, limits, case-fold collisions) and safe extraction.
