#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions
//! The two migration trees must describe one schema: this migrates a fresh SQLite file and a
//! fresh PostgreSQL database and compares tables, columns, types, nullability, primary keys,
//! foreign keys and indexes. It also checks that both trees hold the same migration names
//! and that every column uses one of the portable types.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text};
use signons_store::testing::{TempDatabase, TestBackend};
use signons_store::{Database, DatabaseUrl, DbConnection};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// name → (portable type, nullable)
    columns: BTreeMap<String, (String, bool)>,
    primary_key: BTreeSet<String>,
    /// (column, referenced table, referenced column, on delete)
    foreign_keys: BTreeSet<(String, String, String, String)>,
    /// name → (unique, columns in order)
    indexes: BTreeMap<String, (bool, Vec<String>)>,
}

type Schema = BTreeMap<String, Table>;

fn portable(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "text" => "text",
        "integer" => "integer",
        "bigint" => "bigint",
        "boolean" => "bool",
        "bytea" | "blob" => "binary",
        "timestamp" | "timestamp without time zone" => "timestamp",
        other => panic!("column type {other:?} is not one of the portable types"),
    }
    .to_owned()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = type_)]
    type_: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    unique: bool,
    #[diesel(sql_type = Text)]
    origin: String,
}

#[derive(QueryableByName)]
struct SqliteForeignKey {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    from: String,
    #[diesel(sql_type = Text)]
    to: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    let mut schema = Schema::new();
    for Name { name: table } in tables {
        let mut t = Table::default();
        let columns: Vec<SqliteColumn> =
            diesel::sql_query(format!("SELECT name, type AS type_, \"notnull\", pk FROM pragma_table_info('{table}')"))
                .load(conn)
                .unwrap();
        for c in columns {
            if c.pk > 0 {
                t.primary_key.insert(c.name.clone());
            }
            t.columns.insert(c.name, (portable(&c.type_), c.notnull == 0));
        }
        let fks: Vec<SqliteForeignKey> = diesel::sql_query(format!(
            "SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{table}')"
        ))
        .load(conn)
        .unwrap();
        for fk in fks {
            t.foreign_keys.insert((fk.from, fk.table, fk.to, fk.on_delete.to_ascii_lowercase()));
        }
        let indexes: Vec<SqliteIndex> =
            diesel::sql_query(format!("SELECT name, \"unique\", origin FROM pragma_index_list('{table}')"))
                .load(conn)
                .unwrap();
        for index in indexes.into_iter().filter(|i| i.origin == "c") {
            let columns: Vec<Name> =
                diesel::sql_query(format!("SELECT name FROM pragma_index_info('{}') ORDER BY seqno", index.name))
                    .load(conn)
                    .unwrap();
            t.indexes.insert(index.name, (index.unique, columns.into_iter().map(|c| c.name).collect()));
        }
        schema.insert(table, t);
    }
    schema
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

#[derive(QueryableByName)]
struct PgKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    ref_table: String,
    #[diesel(sql_type = Text)]
    ref_column: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct PgIndex {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = BigInt)]
    position: i64,
}

fn pg_schema(conn: &mut PgConnection) -> Schema {
    let mut schema = Schema::new();
    let columns: Vec<PgColumn> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    for c in columns {
        schema
            .entry(c.table_name)
            .or_default()
            .columns
            .insert(c.column_name, (portable(&c.data_type), c.is_nullable == "YES"));
    }
    // Primary and foreign keys, one row per column.
    let keys: Vec<PgKey> = diesel::sql_query(
        "SELECT rel.relname::text AS table_name, att.attname::text AS column_name,
                COALESCE(frel.relname::text, '') AS ref_table, COALESCE(fatt.attname::text, '') AS ref_column,
                con.contype::text AS kind,
                CASE con.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'r' THEN 'restrict' ELSE 'no action' END AS on_delete
         FROM pg_constraint con
         JOIN pg_class rel ON rel.oid = con.conrelid
         JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = 'public'
         CROSS JOIN LATERAL unnest(con.conkey, COALESCE(con.confkey, con.conkey)) WITH ORDINALITY AS k(attnum, fattnum, n)
         JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.attnum
         LEFT JOIN pg_class frel ON frel.oid = con.confrelid
         LEFT JOIN pg_attribute fatt ON fatt.attrelid = con.confrelid AND fatt.attnum = k.fattnum
         WHERE con.contype IN ('p', 'f') AND rel.relname <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    for k in keys {
        let t = schema.entry(k.table_name).or_default();
        if k.kind == "p" {
            t.primary_key.insert(k.column_name);
        } else {
            t.foreign_keys.insert((k.column_name, k.ref_table, k.ref_column, k.on_delete));
        }
    }
    let indexes: Vec<PgIndex> = diesel::sql_query(
        "SELECT t.relname::text AS table_name, i.relname::text AS index_name, ix.indisunique AS is_unique,
                a.attname::text AS column_name, k.n AS position
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_namespace ns ON ns.oid = t.relnamespace AND ns.nspname = 'public'
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE NOT ix.indisprimary AND t.relname <> '__diesel_schema_migrations'
         ORDER BY i.relname, k.n",
    )
    .load(conn)
    .unwrap();
    for ix in indexes {
        let _ = ix.position;
        let entry =
            schema.entry(ix.table_name).or_default().indexes.entry(ix.index_name).or_insert((ix.is_unique, Vec::new()));
        entry.1.push(ix.column_name);
    }
    schema
}

#[test]
fn both_migration_trees_give_the_same_schema() {
    let sqlite_db = TempDatabase::unmigrated(TestBackend::Sqlite);
    let sqlite = Database::connect(&sqlite_db.url, 1).unwrap();
    let applied_sqlite = sqlite.migrate().unwrap();

    let pg_db = TempDatabase::unmigrated(TestBackend::Postgres);
    let pg = Database::connect(&pg_db.url, 1).unwrap();
    let applied_pg = pg.migrate().unwrap();
    assert_eq!(applied_sqlite, applied_pg, "both trees must hold the same migrations");
    assert!(!applied_pg.is_empty());

    let sqlite_schema = sqlite
        .read(|conn| -> Result<_, signons_store::StoreError> {
            let DbConnection::Sqlite(c) = conn else { unreachable!() };
            Ok(sqlite_schema(c))
        })
        .unwrap();
    let pg_schema = pg
        .read(|conn| -> Result<_, signons_store::StoreError> {
            let DbConnection::Pg(c) = conn else { unreachable!() };
            Ok(pg_schema(c))
        })
        .unwrap();

    assert!(sqlite_schema.contains_key("signatures"), "{sqlite_schema:#?}");
    assert_eq!(sqlite_schema.keys().collect::<Vec<_>>(), pg_schema.keys().collect::<Vec<_>>(), "tables differ");
    for (name, table) in &sqlite_schema {
        assert_eq!(
            Some(table),
            pg_schema.get(name),
            "table {name} differs between SQLite (left) and PostgreSQL (right)"
        );
    }
}

#[test]
fn migration_trees_hold_the_same_names() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    let names = |backend: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!("{root}/{backend}"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect()
    };
    assert_eq!(names("postgres"), names("sqlite"));
}

#[test]
fn the_backend_comes_from_the_url_scheme() {
    use signons_store::Backend;
    assert_eq!(DatabaseUrl::parse("data/signons.db").unwrap().backend(), Backend::Sqlite);
    assert_eq!(DatabaseUrl::parse("sqlite://data/x.db").unwrap().backend(), Backend::Sqlite);
    assert_eq!(DatabaseUrl::parse("postgres://u@h/db").unwrap().backend(), Backend::Postgres);
    assert_eq!(DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend(), Backend::Postgres);
    assert!(DatabaseUrl::parse("mysql://u@h/db").is_err());
    assert!(DatabaseUrl::parse("").is_err());
    // A PostgreSQL server that is down must be an error, never a stray SQLite file.
    let down = DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/nothing").unwrap();
    assert!(down.connect().is_err());
    assert!(!std::path::Path::new("postgres:").exists());
    assert!(!format!("{down:?}").contains("postgres@"), "passwords and users stay out of logs");
}
