//! [`SqliteStore`]: the port's promises kept with SQLite transactions.

use crate::error::EmbeddedError;
use crate::schema;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use thingcore::store::{
    expectation_holds, validate_transaction, Expect, Item, Key, Page, PageToken, Put, Query, Store,
    Table, WriteOp,
};
use thingcore::{Clock, Error, Result, SystemClock};

/// The name of the database file inside the data directory.
pub const DATABASE_FILE: &str = "thingcore.db";

/// Most idle reader connections kept open.
const MAX_IDLE_READERS: usize = 8;

/// The Store on a SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    clock: Arc<dyn Clock>,
}

fn storage(what: &str) -> impl FnOnce(rusqlite::Error) -> Error + '_ {
    move |source| Error::storage(format!("sqlite: {what}"), source)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic inside a SQLite call rolls its transaction back when the guard unwinds, so the
    // connection behind a poisoned lock is still consistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`, judging expiry by the system clock.
    ///
    /// # Errors
    /// [`EmbeddedError`] when the directory cannot be created or written, or the file is not a
    /// thingcore database.
    pub fn open(data_dir: &Path) -> Result<Self, EmbeddedError> {
        Self::open_with_clock(data_dir, Arc::new(SystemClock))
    }

    /// Opens the store in `data_dir` with an injected clock.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_with_clock(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, EmbeddedError> {
        std::fs::create_dir_all(data_dir).map_err(|source| EmbeddedError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        check_writable(data_dir)?;
        let path = data_dir.join(DATABASE_FILE);
        let writer = open_connection(&path)?;
        let open_error = |source| EmbeddedError::Open {
            path: path.clone(),
            source,
        };
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| classify(&path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(EmbeddedError::Corrupt {
                path: path.clone(),
                reason: format!("journal mode {mode} instead of WAL"),
            });
        }
        let version: i64 = writer
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| classify(&path, e))?;
        match version {
            0 => {
                writer
                    .execute_batch(schema::CREATE)
                    .map_err(|e| classify(&path, e))?;
                writer
                    .pragma_update(None, "user_version", schema::SCHEMA_VERSION)
                    .map_err(open_error)?;
            }
            schema::SCHEMA_VERSION => {
                let has_items: bool = writer
                    .query_row(
                        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'items'",
                        [],
                        |row| row.get::<_, i64>(0).map(|n| n == 1),
                    )
                    .map_err(|e| classify(&path, e))?;
                if !has_items {
                    return Err(EmbeddedError::Corrupt {
                        path,
                        reason: "the items table is missing".into(),
                    });
                }
            }
            other => {
                return Err(EmbeddedError::Corrupt {
                    path,
                    reason: format!(
                        "schema version {other}; this build reads {}",
                        schema::SCHEMA_VERSION
                    ),
                })
            }
        }
        Ok(Self {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            clock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes expired items; returns how many. Reads already hide them.
    ///
    /// # Errors
    /// [`Error::Storage`] when SQLite fails.
    pub fn purge_expired(&self) -> Result<usize> {
        let now = self.clock.now_secs() as i64;
        let writer = lock(&self.writer);
        writer
            .execute(
                "DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                [now],
            )
            .map_err(storage("purging expired items"))
    }

    fn with_reader<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = lock(&self.readers).pop();
        let conn = match conn {
            Some(conn) => conn,
            None => open_connection(&self.path)
                .map_err(|e| Error::storage("sqlite: opening a reader", e))?,
        };
        let result = read(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    fn write<T>(&self, apply: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut writer = lock(&self.writer);
        let tx = writer
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage("beginning a write"))?;
        let value = apply(&tx)?;
        tx.commit().map_err(storage("committing"))?;
        Ok(value)
    }
}

fn check_writable(dir: &Path) -> Result<(), EmbeddedError> {
    let probe = dir.join(".thingcore-write-probe");
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|source| EmbeddedError::NotWritable {
            path: dir.to_path_buf(),
            source,
        })
}

fn open_connection(path: &Path) -> Result<Connection, EmbeddedError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    schema::configure(&conn).map_err(|e| classify(path, e))?;
    Ok(conn)
}

fn classify(path: &Path, error: rusqlite::Error) -> EmbeddedError {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            EmbeddedError::Corrupt {
                path: path.to_path_buf(),
                reason: error.to_string(),
            }
        }
        _ => EmbeddedError::Open {
            path: path.to_path_buf(),
            source: error,
        },
    }
}

fn live_version(conn: &Connection, table: Table, key: &Key, now: i64) -> Result<Option<u64>> {
    conn.prepare_cached(
        "SELECT version FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3
           AND (expires_at IS NULL OR expires_at > ?4)",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![table.name(), key.pk, key.sk, now], |row| {
            row.get::<_, i64>(0)
        })
        .optional()
    })
    .map(|version| version.map(|v| v as u64))
    .map_err(storage("reading a version"))
}

fn write_put(conn: &Connection, put: &Put, version: u64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO items (tbl, pk, sk, body, version, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tbl, pk, sk) DO UPDATE
         SET body = excluded.body, version = excluded.version, expires_at = excluded.expires_at",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            put.table.name(),
            put.key.pk,
            put.key.sk,
            put.body,
            version as i64,
            put.expires_at.map(|at| at as i64),
        ])
    })
    .map(|_| ())
    .map_err(storage("writing an item"))
}

fn remove(conn: &Connection, table: Table, key: &Key) -> Result<()> {
    conn.prepare_cached("DELETE FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3")
        .and_then(|mut stmt| stmt.execute(params![table.name(), key.pk, key.sk]))
        .map(|_| ())
        .map_err(storage("deleting an item"))
}

/// An upper bound of the keys that start with `prefix` (bytewise), for the range scan:
/// U+10FFFF is the largest scalar value, so every key with the prefix sorts at or below
/// `prefix + U+10FFFF` except keys continuing with that noncharacter and more, which thingcore
/// never makes.
fn prefix_end(prefix: &str) -> String {
    let mut end = String::with_capacity(prefix.len() + 4);
    end.push_str(prefix);
    end.push(char::MAX);
    end
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>> {
        key.validate()?;
        let now = self.clock.now_secs() as i64;
        self.with_reader(|conn| {
            conn.prepare_cached(
                "SELECT body, version, expires_at FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3
                   AND (expires_at IS NULL OR expires_at > ?4)",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![table.name(), key.pk, key.sk, now], |row| {
                    Ok(Item {
                        key: key.clone(),
                        body: row.get(0)?,
                        version: row.get::<_, i64>(1)? as u64,
                        expires_at: row.get::<_, Option<i64>>(2)?.map(|at| at as u64),
                    })
                })
                .optional()
            })
            .map_err(storage("reading an item"))
        })
    }

    async fn put(&self, put: Put) -> Result<u64> {
        put.validate()?;
        let now = self.clock.now_secs() as i64;
        self.write(|tx| {
            let current = live_version(tx, put.table, &put.key, now)?;
            if !expectation_holds(put.expect, current) {
                return Err(Error::ConditionFailed {
                    table: put.table,
                    key: put.key.clone(),
                });
            }
            let version = put.next_version(current);
            write_put(tx, &put, version)?;
            Ok(version)
        })
    }

    async fn delete(&self, table: Table, key: &Key, expect: Expect) -> Result<bool> {
        key.validate()?;
        let now = self.clock.now_secs() as i64;
        self.write(|tx| {
            let current = live_version(tx, table, key, now)?;
            if !expectation_holds(expect, current) {
                return Err(Error::ConditionFailed {
                    table,
                    key: key.clone(),
                });
            }
            remove(tx, table, key)?;
            Ok(current.is_some())
        })
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        let after = query.validate()?;
        let now = self.clock.now_secs() as i64;
        let end = prefix_end(&query.sk_prefix);
        let limit = query.limit;
        self.with_reader(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT sk, body, version, expires_at FROM items
                     WHERE tbl = ?1 AND pk = ?2 AND sk >= ?3 AND sk > ?4 AND sk <= ?5
                       AND substr(sk, 1, length(?3)) = ?3
                       AND (expires_at IS NULL OR expires_at > ?6)
                     ORDER BY sk LIMIT ?7",
                )
                .map_err(storage("preparing a query"))?;
            let rows = stmt
                .query_map(
                    params![
                        query.table.name(),
                        query.pk,
                        query.sk_prefix,
                        after.as_deref().unwrap_or(""),
                        end,
                        now,
                        (limit + 1) as i64,
                    ],
                    |row| {
                        Ok(Item {
                            key: Key::new(query.pk.clone(), row.get::<_, String>(0)?),
                            body: row.get(1)?,
                            version: row.get::<_, i64>(2)? as u64,
                            expires_at: row.get::<_, Option<i64>>(3)?.map(|at| at as u64),
                        })
                    },
                )
                .map_err(storage("running a query"))?;
            let mut items = rows
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(storage("reading query rows"))?;
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|item| PageToken::after(&item.key.sk))
            } else {
                None
            };
            Ok(Page { items, next })
        })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<()> {
        validate_transaction(&ops)?;
        let now = self.clock.now_secs() as i64;
        self.write(|tx| {
            for (index, op) in ops.iter().enumerate() {
                let (table, key) = op.target();
                let current = live_version(tx, table, key, now)?;
                if !expectation_holds(op.expectation(), current) {
                    // Dropping the transaction uncommitted rolls back what came before.
                    return Err(Error::TransactionCanceled { index });
                }
                match op {
                    WriteOp::Put(put) => write_put(tx, put, put.next_version(current))?,
                    WriteOp::Delete { table, key, .. } => remove(tx, *table, key)?,
                    WriteOp::Check { .. } => {}
                }
            }
            Ok(())
        })
    }

    async fn flush(&self) -> Result<()> {
        self.purge_expired()?;
        lock(&self.readers).clear();
        let writer = lock(&self.writer);
        writer
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(storage("checkpointing the WAL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_every_key_with_the_prefix() {
        let end = prefix_end("thing#");
        for key in ["thing#", "thing#a", "thing#\u{FFFF}", "thing#é"] {
            assert!(key < end.as_str(), "{key}");
        }
        assert!("thing$" > end.as_str());
        assert!(prefix_end("").as_str() > "\u{10FFFE}");
    }
}
