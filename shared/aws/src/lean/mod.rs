//! What a build without the `sdk` feature answers where the AWS SDK would run: the same types
//! and calls as [`crate::sinks`], [`crate::lambda`] and [`crate::sql_functions`], each failing
//! with a message that says how to build with it.
//!
//! Why: the ten AWS SDK crates are most of `thingcore`'s build time, and the local core on its
//! embedded store needs none of them. A rule with an sqs action still loads and runs; its
//! action fails into the error action, as an unreachable queue would.

/// The message every stand-in fails with, naming what needed the SDK.
pub(crate) fn not_built(what: &str) -> String {
    format!(
        "{what} needs the AWS SDK, and this thingcore was built without it: \
         build with `--features aws` (e.g. `cargo run --release --features aws --bin thingcore -- serve`)"
    )
}
