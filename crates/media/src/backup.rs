//! Backups of the photo store: every object copied to files under a folder, and back. One
//! object at a time, so memory stays at the size of one photo whatever the bucket holds. The
//! files are written with blocking calls: this runs in `souk backup`, not under requests.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::{MediaError, PhotoStore, content_type_of, is_valid_key};

fn io(path: &Path, e: &std::io::Error) -> MediaError {
    MediaError::Storage(format!("{}: {e}", path.display()))
}

impl PhotoStore {
    /// Writes every photo object to `dir/<key>`; returns how many. Objects that are not photos
    /// are left out (import would refuse them), and so is one deleted while the backup runs.
    pub async fn export_to(&self, dir: &Path) -> Result<u64, MediaError> {
        let mut count = 0;
        for key in self.list("photos").await? {
            if !is_valid_key(&key) {
                tracing::warn!(%key, "not a photo: left out of the backup");
                continue;
            }
            let bytes = match self.get(&key).await {
                Ok(bytes) => bytes,
                Err(MediaError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            let file = dir.join(&key);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, &e))?;
            }
            std::fs::write(&file, &bytes).map_err(|e| io(&file, &e))?;
            count += 1;
        }
        Ok(count)
    }

    /// Puts every file under `dir` (as [`PhotoStore::export_to`] wrote them) back as objects with
    /// their content type; returns how many. A file whose name is not a photo key is refused
    /// before anything is stored. Running it again puts the same objects again.
    pub async fn import_from(&self, dir: &Path) -> Result<u64, MediaError> {
        let photos = backup_photos(dir)?;
        for (file, key) in &photos {
            let bytes = std::fs::read(file).map_err(|e| io(file, &e))?;
            let content_type = content_type_of(key).unwrap_or("application/octet-stream");
            self.put(key, Bytes::from(bytes), content_type).await?;
        }
        Ok(photos.len() as u64)
    }
}

/// The photos of a backup folder, as (file, key); an error if any file there is not a photo.
pub fn backup_photos(dir: &Path) -> Result<Vec<(PathBuf, String)>, MediaError> {
    let mut photos = Vec::new();
    for file in files_under(&dir.join("photos"))? {
        let key = file
            .strip_prefix(dir)
            .ok()
            .and_then(Path::to_str)
            .map(|k| k.replace(std::path::MAIN_SEPARATOR, "/"))
            .filter(|k| is_valid_key(k))
            .ok_or_else(|| {
                MediaError::Storage(format!("{} is not a photo of a backup", file.display()))
            })?;
        photos.push((file, key));
    }
    Ok(photos)
}

/// The files below `dir`, sorted; none if it does not exist.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, MediaError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&folder, &e)),
        };
        for entry in entries {
            let path = entry.map_err(|e| io(&folder, &e))?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
