//! Rhai: the one hardened engine, compiling rules, evaluating them over the facts, diagnostics.
