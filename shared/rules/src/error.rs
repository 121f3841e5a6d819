//! [`ActionError`]: why an action did not complete. The type is the ActionSink port's, defined
//! in core (`thingcore::rules::sink`) and re-exported here, so sinks in other crates
//! (`thingcore-aws`) and this function's own speak the same error.

pub use thingcore::rules::sink::ActionError;
