//! The one hardened Rhai engine every rule runs in, and the per-evaluation outcome sink.
//!
//! Why each setting: DEPENDENCIES.md ("Rhai"). Every limit is set explicitly because Rhai's
//! defaults differ between debug and release builds and include no operation limit at all.

use std::cell::RefCell;

use rhai::packages::{
    BasicArrayPackage, BasicMapPackage, BasicMathPackage, BitFieldPackage, CorePackage,
    LogicPackage, MoreStringPackage, Package,
};
use rhai::{Dynamic, Engine, EvalAltResult, OptimizationLevel, Position};

use super::{helpers, lookups};

/// Operations one rule may perform before it is stopped (a loop over a few hundred bindings
/// needs a few thousand; 200k is ~10 ms in a debug build and stops an endless loop quickly).
pub const MAX_OPERATIONS: u64 = 200_000;
/// Nested function calls. Rules run on the caller's thread (no thread spawn per promotion), so
/// the limit must trip before the native stack runs out. Measured in a debug build on a 2 MiB
/// test thread: a simple recursive rule function overflowed between 40 and 48 levels; 24 leaves
/// about 2x headroom (tests/policy_engine.rs recurses to the limit, also through nested
/// expressions). Release frames are far smaller. Rules are flat loops over facts.
pub const MAX_CALL_LEVELS: usize = 24;
/// Expression nesting at top level / inside functions: parse-time recursion, bounded for the
/// same stack reason.
pub const MAX_EXPR_DEPTH: usize = 48;
pub const MAX_FN_EXPR_DEPTH: usize = 32;
/// Longest string a rule may build (messages are short; facts strings are well below this).
pub const MAX_STRING_SIZE: usize = 256 * 1024;
/// Largest array/map a rule may build or hold (a big cluster's bindings fit comfortably).
pub const MAX_ARRAY_SIZE: usize = 50_000;
pub const MAX_MAP_SIZE: usize = 10_000;
/// Variables alive at once, and script functions per rule.
pub const MAX_VARIABLES: usize = 1_000;
pub const MAX_FUNCTIONS: usize = 100;
/// Library modules one rule may import (`policies/lib/`); a rule needs one or two.
pub const MAX_MODULES: usize = 16;

/// What one rule said while it ran: filled by `deny`/`warn`/`skip` and the progress callback.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub denies: Vec<String>,
    pub warns: Vec<String>,
    pub skips: Vec<String>,
    pub operations: u64,
}

thread_local! {
    // Evaluation is synchronous on one thread, so a thread-local is the simplest way for the
    // registered functions (which the shared engine owns) to reach the current rule's sink.
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// Runs `f` with a fresh sink installed, returning its result and what the rule recorded.
pub(crate) fn with_sink<T>(f: impl FnOnce() -> T) -> (T, Sink) {
    SINK.with(|s| *s.borrow_mut() = Some(Sink::default()));
    let out = f();
    let sink = SINK.with(|s| s.borrow_mut().take()).unwrap_or_default();
    (out, sink)
}

fn record(kind: &str, msg: Dynamic) -> Result<(), Box<EvalAltResult>> {
    let text = match msg.clone().into_immutable_string() {
        Ok(s) => s.to_string(),
        Err(_) => msg.to_string(),
    };
    SINK.with(|s| match s.borrow_mut().as_mut() {
        Some(sink) => {
            match kind {
                "deny" => sink.denies.push(text),
                "warn" => sink.warns.push(text),
                _ => sink.skips.push(text),
            }
            Ok(())
        }
        None => Err(format!("{kind}() called outside a rule evaluation").into()),
    })
}

/// Builds the engine. The only place an `Engine` is made (ARCHITECTURE.md rule 5).
pub fn build_engine() -> Engine {
    let mut engine = Engine::new_raw();
    // Packages chosen one by one: no BasicTime (no clock beyond promotion.time), no Blob.
    engine.register_global_module(CorePackage::new().as_shared_module());
    engine.register_global_module(LogicPackage::new().as_shared_module());
    engine.register_global_module(BasicMathPackage::new().as_shared_module());
    engine.register_global_module(BasicArrayPackage::new().as_shared_module());
    engine.register_global_module(BasicMapPackage::new().as_shared_module());
    engine.register_global_module(MoreStringPackage::new().as_shared_module());
    engine.register_global_module(BitFieldPackage::new().as_shared_module());

    engine
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_FN_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING_SIZE)
        .set_max_array_size(MAX_ARRAY_SIZE)
        .set_max_map_size(MAX_MAP_SIZE)
        .set_max_variables(MAX_VARIABLES)
        .set_max_functions(MAX_FUNCTIONS)
        // No module resolver is installed (new_raw): a rule's imports are resolved when it is
        // compiled, from its policy directory's `lib/` only, and embedded in its AST.
        .set_max_modules(MAX_MODULES)
        // Full optimisation would run deny()/warn() at compile time on constant arguments.
        .set_optimization_level(OptimizationLevel::Simple)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true);
    engine.disable_symbol("eval");

    engine.on_print(|s| tracing::info!(target: "tollgate::policy::script", "{s}"));
    engine.on_debug(|s, src, pos| {
        tracing::debug!(target: "tollgate::policy::script", "{}:{}: {s}", src.unwrap_or("rule"), fmt_pos(pos));
    });
    engine.on_progress(|ops| {
        SINK.with(|s| {
            if let Some(sink) = s.borrow_mut().as_mut() {
                sink.operations = ops;
            }
        });
        None
    });

    engine.register_fn("deny", |msg: Dynamic| record("deny", msg));
    engine.register_fn("warn", |msg: Dynamic| record("warn", msg));
    engine.register_fn("skip", |msg: Dynamic| record("skip", msg));
    helpers::register(&mut engine);
    lookups::register(&mut engine);
    engine
}

/// The engine that compiles the rules of a policy directory with a library: the hardened
/// engine whose only module resolver serves that directory's `lib/` modules, by name.
/// Rules compiled with it are self-contained and run on the ordinary engine.
pub(crate) fn build_engine_with_modules(
    modules: rhai::module_resolvers::StaticModuleResolver,
) -> Engine {
    let mut engine = build_engine();
    engine.set_module_resolver(modules);
    engine
}

fn fmt_pos(pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{l}:{c}"),
        (Some(l), None) => l.to_string(),
        _ => "?".into(),
    }
}
