//! Bulk inserts through PostgreSQL's `COPY ... FROM STDIN`: for tables written at the rate of
//! requests (label scans), where a multi-row `INSERT` costs the database (parsing and binding
//! thousands of parameters) and this process (building them) several times what `COPY` does.

use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use sqlx::postgres::PgPoolCopyExt;

/// Rows in `COPY`'s text format, written field by field.
#[derive(Debug, Default)]
pub struct CopyRows {
    data: Vec<u8>,
    /// Whether the current row has a field yet (fields after the first are tab-separated).
    in_row: bool,
}

impl CopyRows {
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            data: Vec::with_capacity(bytes),
            ..Self::default()
        }
    }

    fn separate(&mut self) {
        if self.in_row {
            self.data.push(b'\t');
        }
        self.in_row = true;
    }

    /// A text field, escaped as `COPY` reads it (backslash, tab, newline, carriage return).
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        for &byte in value.as_bytes() {
            match byte {
                b'\\' => self.data.extend_from_slice(b"\\\\"),
                b'\t' => self.data.extend_from_slice(b"\\t"),
                b'\n' => self.data.extend_from_slice(b"\\n"),
                b'\r' => self.data.extend_from_slice(b"\\r"),
                other => self.data.push(other),
            }
        }
        self
    }

    /// A field of any type PostgreSQL reads from its text form (a UUID, a timestamp...).
    pub fn display(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::io::Write;
        self.separate();
        // Writing to a Vec cannot fail. Display forms of these types hold no tab or newline.
        let _ = write!(self.data, "{value}");
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.separate();
        self.data.extend_from_slice(b"\\N");
        self
    }

    pub fn end_row(&mut self) -> &mut Self {
        self.data.push(b'\n');
        self.in_row = false;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Whether [`copy_in`] can be used on this connection (PostgreSQL only).
pub fn can_copy(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Writes `rows` into `table`'s `columns` with one `COPY`, in one transaction of its own: all
/// the rows or none. `table` and `columns` are identifiers of our schema, never input.
pub async fn copy_in(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: CopyRows,
) -> Result<u64, DbErr> {
    if !can_copy(db) {
        return Err(DbErr::Custom(format!("COPY into {table} needs PostgreSQL")));
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let statement = format!(
        "COPY {table} ({}) FROM STDIN WITH (FORMAT text)",
        columns.join(", ")
    );
    let failed = |e: sqlx::Error| DbErr::Custom(format!("COPY into {table}: {e}"));
    let mut copy = db
        .get_postgres_connection_pool()
        .copy_in_raw(&statement)
        .await
        .map_err(failed)?;
    if let Err(e) = copy.send(rows.data).await {
        // The rows are refused together; the connection is made usable again.
        let _ = copy.abort(e.to_string()).await;
        return Err(failed(e));
    }
    copy.finish().await.map_err(failed)
}
