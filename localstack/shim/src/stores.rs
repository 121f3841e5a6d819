//! Opening the Store that the flags ask for, and `thingcore init-tables`.

use crate::cli::{InitTablesOptions, ServeOptions, StoreKind};
use anyhow::Context;
use std::sync::Arc;
use thingcore::store::{MemoryStore, Store};
use thingcore_aws::{connect, tables, TableNames};
use thingcore_embedded::SqliteStore;

/// An open Store and a line describing it for the start-up banner.
pub struct OpenStore {
    /// The store.
    pub store: Arc<dyn Store>,
    /// e.g. "embedded (SQLite at .thingcore/thingcore.db)".
    pub description: String,
}

/// Opens the store chosen by `options`.
///
/// # Errors
/// A data directory that cannot be used, a corrupt database, DynamoDB that does not answer
/// or lacks its tables: each with a message that says what to do.
pub async fn open(options: &ServeOptions) -> anyhow::Result<OpenStore> {
    match options.store_kind() {
        StoreKind::Memory => Ok(OpenStore {
            store: Arc::new(MemoryStore::default()),
            description: "memory (nothing is kept after exit)".into(),
        }),
        StoreKind::Embedded => {
            let data_dir = options.data_dir.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&data_dir))
                .await
                .context("opening the embedded store")??;
            let description = format!("embedded (SQLite at {})", store.path().display());
            Ok(OpenStore {
                store: Arc::new(store),
                description,
            })
        }
        StoreKind::Dynamodb => {
            let endpoint = options.dynamodb_endpoint.as_deref();
            let names = TableNames::new(&options.table_prefix);
            let (store, created) =
                connect::open_store(endpoint, names, options.create_tables).await?;
            for table in created {
                tracing::info!(%table, "created DynamoDB table");
            }
            let description = format!(
                "dynamodb (tables {}-*, endpoint {})",
                options.table_prefix,
                endpoint.unwrap_or("from the AWS SDK configuration")
            );
            Ok(OpenStore { store, description })
        }
    }
}

/// `thingcore init-tables`: creates the tables and says which were new.
///
/// # Errors
/// DynamoDB unreachable or refusing.
pub async fn init_tables(options: InitTablesOptions) -> anyhow::Result<()> {
    let names = TableNames::new(&options.table_prefix);
    if let Some(dir) = &options.write_definitions {
        return write_definitions(dir, &names);
    }
    let created = connect::init_tables(options.endpoint.as_deref(), &names).await?;
    for table in thingcore::store::Table::ALL {
        let name = names.name(table);
        let state = if created.contains(&name) {
            "created"
        } else {
            "exists"
        };
        println!("{name}\t{state}");
    }
    Ok(())
}

/// Writes `{table}.json` (create-table) and `{table}.ttl.json` (update-time-to-live) files.
fn write_definitions(dir: &std::path::Path, names: &TableNames) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for spec in tables::table_specs(names) {
        let path = dir.join(format!("{}.json", spec.name));
        let text = serde_json::to_string_pretty(&spec.create_table_json())? + "\n";
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
        if let Some(ttl) = spec.time_to_live_json() {
            let path = dir.join(format!("{}.ttl.json", spec.name));
            std::fs::write(&path, serde_json::to_string_pretty(&ttl)? + "\n")
                .with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
        }
    }
    Ok(())
}
