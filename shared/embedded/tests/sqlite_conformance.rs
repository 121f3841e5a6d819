//! The Store conformance suite on SQLite, plus what only a file-backed store can promise.

use std::sync::Arc;
use thingcore::store::{Key, Put, Store, Table};
use thingcore::ManualClock;
use thingcore_embedded::{EmbeddedError, SqliteStore};

async fn open(clock: Arc<ManualClock>) -> Option<Arc<dyn Store>> {
    // Each case gets its own directory; it is removed when the process exits (the store keeps
    // the files open, so the TempDir is leaked on purpose rather than removed under it).
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let store = SqliteStore::open_with_clock(&dir, clock).expect("open sqlite store");
    Some(Arc::new(store))
}

thingcore_conformance::store_conformance!(open);

#[tokio::test]
async fn writes_survive_dropping_and_reopening_the_store() {
    let harness = thingcore_conformance::Harness::new("reopen");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    thingcore_conformance::cases::durable_after_reopen(&harness, || {
        let path = path.clone();
        async move {
            Arc::new(SqliteStore::open(&path).expect("open sqlite store")) as Arc<dyn Store>
        }
    })
    .await;
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("thingcore.db"), vec![0x5a; 8192]).expect("write garbage");
    let error = SqliteStore::open(dir.path()).expect_err("garbage must not open");
    assert!(matches!(error, EmbeddedError::Corrupt { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("not a usable thingcore database"),
        "{error}"
    );
}

#[test]
fn a_data_dir_under_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").expect("write file");
    let error = SqliteStore::open(&file.join("data")).expect_err("cannot create under a file");
    assert!(
        matches!(error, EmbeddedError::CreateDir { .. }),
        "{error:?}"
    );
}

#[test]
fn a_read_only_data_dir_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("ro");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let result = SqliteStore::open(&data);
    // root ignores permission bits: there the directory is writable and opening succeeds.
    let is_root = std::fs::write(data.join("probe"), b"x").is_ok();
    if is_root {
        assert!(result.is_ok(), "{result:?}");
    } else {
        let error = result.expect_err("read-only dir must not open");
        assert!(
            matches!(error, EmbeddedError::NotWritable { .. }),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_newer_schema_is_refused_not_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = SqliteStore::open(dir.path()).expect("open");
        store
            .put(Put::new(
                Table::Registry,
                Key::new("p", "s"),
                b"keep".to_vec(),
            ))
            .await
            .expect("put");
        store.flush().await.expect("flush");
    }
    set_user_version(dir.path(), 99);
    let error = SqliteStore::open(dir.path()).expect_err("newer schema");
    assert!(error.to_string().contains("schema version 99"), "{error}");
}

fn set_user_version(dir: &std::path::Path, version: u32) {
    // A hand-edit of the SQLite file header: user_version is at offset 60, big-endian.
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("thingcore.db"))
        .expect("open db file");
    file.seek(SeekFrom::Start(60)).expect("seek");
    file.write_all(&version.to_be_bytes()).expect("write");
}
