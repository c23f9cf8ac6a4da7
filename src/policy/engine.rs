//! The one hardened Rhai engine every rule runs in, and the per-evaluation outcome sink.
//!
//! Why each setting: docs/design/DEPENDENCIES.md ("Rhai"). Every limit is set explicitly because Rhai's
//! defaults differ between debug and release builds and include no operation limit at all.

use rhai::packages::{
    BasicArrayPackage, BasicMapPackage, BasicMathPackage, BitFieldPackage, CorePackage,
    LogicPackage, MoreStringPackage, Package,
};
use rhai::{Dynamic, Engine, OptimizationLevel, Position};

use super::sink::{self, print_allowed, print_suppressed_line, record};
use super::{bounded, helpers, lookups};

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

/// Builds the engine. The only place an `Engine` is made (docs/ARCHITECTURE.md rule 5).
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
        // No AST optimisation. Full would run deny()/warn() at compile time on constant
        // arguments; Simple (constant folding, dead branches) was 10 % of a whole `check`
        // process, the pack compiling once per process, and saved nothing measurable per
        // evaluation: `tollgate test` (106 evaluations) took 38.1 ms either way, decisions
        // alike; a rule runs a few more operations (BENCHMARKS.md, "Start-up").
        .set_optimization_level(OptimizationLevel::None)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true);
    engine.disable_symbol("eval");

    // Script output goes to tracing, capped per rule (a `print` in a loop would otherwise
    // write gigabytes to stderr).
    engine.on_print(|s| match print_allowed(s.len()) {
        Some(true) => tracing::info!(target: "tollgate::policy::script", "{s}"),
        Some(false) => {
            tracing::info!(target: "tollgate::policy::script", "{}", print_suppressed_line())
        }
        None => {}
    });
    engine.on_debug(|s, src, pos| match print_allowed(s.len()) {
        Some(true) => tracing::debug!(target: "tollgate::policy::script", "{}:{}: {s}", src.unwrap_or("rule"), fmt_pos(pos)),
        Some(false) => tracing::debug!(target: "tollgate::policy::script", "{}", print_suppressed_line()),
        None => {}
    });
    engine.on_progress(sink::on_progress);

    engine.register_fn("deny", |msg: Dynamic| record("deny", msg));
    engine.register_fn("warn", |msg: Dynamic| record("warn", msg));
    engine.register_fn("skip", |msg: Dynamic| record("skip", msg));
    helpers::register(&mut engine);
    bounded::register(&mut engine);
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
