//! Facts-builder unit tests.
