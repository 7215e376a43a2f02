//! Bulk inserts through PostgreSQL's `COPY ... FROM STDIN`: for tables written at the rate of
//! requests (label scans), where a multi-row `INSERT` costs the database (parsing and binding
//! thousands of parameters) and this process (building them) several times what `COPY` does.

use chrono::{DateTime, Datelike, Timelike, Utc};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use sqlx::postgres::PgPoolCopyExt;
use uuid::Uuid;

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

    pub fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.separate();
        let mut buf = [0; uuid::fmt::Hyphenated::LENGTH];
        self.data
            .extend_from_slice(id.hyphenated().encode_lower(&mut buf).as_bytes());
        self
    }

    /// `prefix` (which must need no escaping) then `bytes` in lowercase hex.
    pub fn hex(&mut self, prefix: &str, bytes: &[u8]) -> &mut Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        self.separate();
        self.data.extend_from_slice(prefix.as_bytes());
        for b in bytes {
            self.data.push(DIGITS[usize::from(b >> 4)]);
            self.data.push(DIGITS[usize::from(b & 0xf)]);
        }
        self
    }

    /// A `timestamptz` to the microsecond, `2026-12-03 06:55:18.123456+00`, written digit by
    /// digit: chrono's formatter costs several times as much, once per scan.
    pub fn timestamp(&mut self, at: DateTime<Utc>) -> &mut Self {
        self.separate();
        let year = u32::try_from(at.year()).unwrap_or(0);
        if !(1..=9999).contains(&year) {
            let text = at.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
            self.data.extend_from_slice(text.as_bytes());
            return self;
        }
        let digits = |data: &mut Vec<u8>, value: u32, width: u32| {
            for place in (0..width).rev() {
                let digit = (value / 10_u32.pow(place)) % 10;
                data.push(b'0' + u8::try_from(digit).unwrap_or(0));
            }
        };
        digits(&mut self.data, year, 4);
        self.data.push(b'-');
        digits(&mut self.data, at.month(), 2);
        self.data.push(b'-');
        digits(&mut self.data, at.day(), 2);
        self.data.push(b' ');
        digits(&mut self.data, at.hour(), 2);
        self.data.push(b':');
        digits(&mut self.data, at.minute(), 2);
        self.data.push(b':');
        // A leap second's nanoseconds run past 10^9: PostgreSQL has no leap seconds.
        digits(&mut self.data, at.second(), 2);
        self.data.push(b'.');
        digits(&mut self.data, (at.nanosecond() % 1_000_000_000) / 1_000, 6);
        self.data.extend_from_slice(b"+00");
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fields_are_written_as_copy_reads_them() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 3, 6, 5, 9)
            .single()
            .map(|t| t + chrono::Duration::microseconds(42))
            .unwrap_or_else(|| panic!("a valid time"));
        let id = Uuid::from_u128(0x01a2_3aaf_a11b_76d6_8d51_b5cf_641e_6533);
        let mut rows = CopyRows::default();
        rows.uuid(id)
            .null()
            .text("a\tb\\c\nd")
            .timestamp(at)
            .hex("n:", &[0x0a, 0xff])
            .end_row();
        assert_eq!(
            String::from_utf8_lossy(&rows.data),
            "01a23aaf-a11b-76d6-8d51-b5cf641e6533\t\\N\ta\\tb\\\\c\\nd\t\
             2026-12-03 06:05:09.000042+00\tn:0aff\n"
        );
    }

    #[test]
    fn a_timestamp_is_written_as_chrono_formats_it() {
        for micros in [
            0_i64,
            1,
            999_999,
            1_764_743_718_123_456,
            4_102_444_799_999_999,
        ] {
            let at = DateTime::from_timestamp_micros(micros).unwrap_or_else(|| panic!("{micros}"));
            let mut rows = CopyRows::default();
            rows.timestamp(at);
            assert_eq!(
                String::from_utf8_lossy(&rows.data),
                at.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
            );
        }
    }
}
