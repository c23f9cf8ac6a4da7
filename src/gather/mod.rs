//! Turns cluster objects into the facts document: from a snapshot on disk (and later the live cluster).
