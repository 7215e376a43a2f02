//! `souk backup` and `souk restore`: everything a replica cannot rebuild by itself, in one folder
//! and back. That is the database, the photo store and the label keyring. The keyring holds the
//! signing keys: lose it and no new label can be signed, leak it and labels can be forged, so
//! the folder is written readable by its owner only and should be kept encrypted.
//!
//! ```text
//! <dir>/database.dump | database.sqlite   pg_dump's custom format, or the SQLite file
//! <dir>/photos/<id>/<variant>.<ext>        every object of the photo store
//! <dir>/label-keys.json                   the keyring, when there is one
//! <dir>/manifest.json                     written last: a folder without it is incomplete
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_db::Backend;
use souk_media::PhotoStore;

use crate::Settings;

const MANIFEST: &str = "manifest.json";
const KEYRING: &str = "label-keys.json";

/// What a backup holds, written beside it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    pub souk_version: String,
    /// `postgres` or `sqlite`: a backup restores into the same kind of database.
    pub database: String,
    /// The migrations applied when it was made; `souk migrate` brings a restore up to date.
    pub migrations: Vec<String>,
    pub photos: u64,
    pub keyring: bool,
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    }
}

fn database_file(dir: &Path, backend: Backend) -> PathBuf {
    dir.join(match backend {
        Backend::Postgres => "database.dump",
        Backend::Sqlite => "database.sqlite",
    })
}

fn backend_of(url: &str) -> anyhow::Result<Backend> {
    Backend::of_url(url).context("the database URL names no supported database")
}

/// Backs up the database, photos and keyring `settings` name into `dir`, which must be empty or
/// missing.
pub async fn backup(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    create_private_dir(dir)?;
    let url = settings.database_url();
    let backend = backend_of(&url)?;
    let migrations = {
        let conn = souk_db::connect(&souk_db::DbOptions::new(&url)).await?;
        let applied = souk_db::applied_migrations(&conn).await;
        conn.close().await.ok();
        applied?
    };
    souk_db::backup::dump(&url, &database_file(dir, backend)).await?;
    let store = PhotoStore::open(&settings.photo_storage())?;
    let photos = store.export_to(dir).await?;
    let keyring = settings.label_keyring();
    let has_keyring = keyring.is_file();
    if !has_keyring && !settings.labels.create_keyring {
        // Production mounts its keyring: its absence here is a wrong path, not "none yet".
        bail!("no label keyring at {}", keyring.display());
    }
    if has_keyring {
        souk_labels::keys::copy_keyring(&keyring, &dir.join(KEYRING))?;
    }
    let manifest = Manifest {
        format: 1,
        created_at: Utc::now(),
        souk_version: env!("CARGO_PKG_VERSION").to_owned(),
        database: backend_name(backend).to_owned(),
        migrations,
        photos,
        keyring: has_keyring,
    };
    std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)
        .context("write the manifest")?;
    Ok(manifest)
}

/// Restores the backup in `dir` into the database, photo store and keyring `settings` name. The
/// database must hold no tables; a keyring already there must be the backup's own. Everything is
/// checked before anything is written, and the database goes last: a restore stopped halfway
/// leaves the database empty, so it can simply be run again.
pub async fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    let manifest = read_manifest(dir)?;
    let url = settings.database_url();
    let backend = backend_of(&url)?;
    if manifest.database != backend_name(backend) {
        bail!(
            "this is a backup of a {} database; the configured one is {}",
            manifest.database,
            backend_name(backend)
        );
    }
    let keyring = settings.label_keyring();
    if manifest.keyring {
        souk_labels::keys::check_copy(&dir.join(KEYRING), &keyring)?;
    }
    let photos = souk_media::backup_photos(dir)?.len() as u64;
    if photos != manifest.photos {
        bail!(
            "the backup holds {photos} photo object(s), its manifest says {}",
            manifest.photos
        );
    }
    souk_db::backup::ensure_empty(&url).await?;

    PhotoStore::open(&settings.photo_storage())?
        .import_from(dir)
        .await?;
    if manifest.keyring {
        souk_labels::keys::copy_keyring(&dir.join(KEYRING), &keyring)?;
    }
    souk_db::backup::restore(&url, &database_file(dir, backend)).await?;
    Ok(manifest)
}

fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(dir.join(MANIFEST))
            .with_context(|| format!("no complete backup in {}", dir.display()))?,
    )
    .context("the manifest is not readable")?;
    if manifest.format != 1 {
        bail!("backup format {} is not known", manifest.format);
    }
    Ok(manifest)
}

/// `dir`, made readable by its owner only; refused if it already holds anything.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        bail!("{} is not empty: back up into a new folder", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("make {} private", dir.display()))?;
    }
    Ok(())
}
