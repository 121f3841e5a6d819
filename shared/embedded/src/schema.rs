//! The database layout: one table of items, keyed like DynamoDB, versioned by `user_version`.

use rusqlite::Connection;

/// The schema version this code writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Statements that create the schema on an empty database.
pub const CREATE: &str = "
CREATE TABLE IF NOT EXISTS items (
    tbl        TEXT    NOT NULL,
    pk         TEXT    NOT NULL,
    sk         TEXT    NOT NULL,
    body       BLOB    NOT NULL,
    version    INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (tbl, pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_by_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
";

/// Settings applied to every connection.
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    Ok(())
}
