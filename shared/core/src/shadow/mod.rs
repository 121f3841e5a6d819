//! AWS IoT Device Shadows, the document model: what a shadow holds, how an update merges into
//! it, and the JSON documents the service answers with — pure functions, the clock passed in as
//! `now_secs`, no I/O. The shadow handler loads a [`StoredShadow`], calls one of these, stores
//! the result with a conditional write, and publishes the documents on the reply topics.
//!
//! - [`request`]: request state documents, decoded and validated ([`UpdateRequest`]).
//! - [`update`]: [`apply_update`]: merge, metadata, version, and the `/accepted`, `/documents`
//!   and `/delta` documents ([`UpdateOutcome`]).
//! - [`responses`]: [`get_response`], [`apply_delete`], and the builders of each document.
//! - [`document`]: [`StoredShadow`], the form the Store keeps, with tombstones for deletes.
//! - [`delta`]: [`compute_delta`] and its metadata.
//! - [`topic`]: [`ShadowTopic`]: `$aws/things/{thing}/shadow[/name/{shadow}]/{op}` and replies.
//! - [`names`]: thing and shadow name rules. [`limits`]: [`ShadowLimits`].
//! - [`error`]: [`ShadowError`] with AWS's codes, messages and error types.
//!
//! Classic and named shadows share this model; only their topics and 404 text differ.
//!
//! AWS behaviour followed here, with where it is written down (AWS IoT Developer Guide pages
//! unless said otherwise):
//! - Only `state`, `version` and `clientToken` are read from a request; other top-level keys are
//!   ignored ("Diagnosing problems with shadows"). Keys in `state` other than `desired` and
//!   `reported` are rejected ("Device Shadow error messages").
//! - `{"state": null}` clears the shadow and keeps it; `desired: null` or `reported: null`
//!   removes that section ("Interacting with shadows", "Empty shadow document properties").
//! - Arrays are values, replaced whole and compared whole; they may not hold `null`
//!   ("Array values in shadow documents").
//! - Metadata mirrors each section with a timestamp per leaf; arrays get one per element, as
//!   the service returns them (the documentation's example shows one per array).
//! - Every accepted update bumps the version by one, even when nothing changed. Deleting a
//!   shadow does not reset the version: the delete itself bumps it, and a shadow re-created
//!   within 48 hours continues from there; later, versions start afresh ("Interacting with
//!   shadows").
//! - `/update/delta` carries the whole delta and is published after any accepted update that
//!   leaves desired and reported different ("Device Shadow MQTT topics" → `/update/delta`).
//! - The 8 KB limit is on desired plus reported after the merge, metadata excluded; nesting is
//!   limited to 6 levels per section; client tokens to 64 bytes ("Diagnosing problems with
//!   shadows", "Device Shadow error messages", AWS IoT Core quotas).

pub mod delta;
pub mod document;
pub mod error;
pub mod limits;
pub mod names;
pub mod request;
pub mod responses;
pub mod topic;
pub mod update;

#[cfg(test)]
mod examples;

pub use delta::{compute_delta, json_equal};
pub use document::{ShadowMetadata, StoredShadow};
pub use error::ShadowError;
pub use limits::ShadowLimits;
pub use names::{validate_shadow_name, validate_thing_name};
pub use request::{parse_client_token, SectionPatch, UpdateRequest};
pub use responses::{apply_delete, delta_message, get_response};
pub use topic::{ShadowOperation, ShadowReply, ShadowTopic};
pub use update::{apply_update, apply_update_request, UpdateOutcome};
