//! Errors of opening the embedded store. Once open, failures surface through the port as
//! `thingcore::Error::Storage` with the SQLite error kept as the source.

use std::path::PathBuf;

/// Why the embedded store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The directory or database file is not writable.
    #[error("the data directory {path} is not writable: {source}")]
    NotWritable {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// SQLite could not open or set up the database.
    #[error("cannot open the database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },

    /// The file exists but is not a thingcore database (corrupt, or something else).
    #[error("{path} is not a usable thingcore database ({reason}); move it away or pick another --data-dir")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
}
