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
    /// Writes every photo object to `dir/<key>`; returns how many.
    pub async fn export_to(&self, dir: &Path) -> Result<u64, MediaError> {
        let mut count = 0;
        for key in self.list("photos").await? {
            let bytes = self.get(&key).await?;
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
    /// before anything is stored.
    pub async fn import_from(&self, dir: &Path) -> Result<u64, MediaError> {
        let files = files_under(&dir.join("photos"))?;
        let mut keys = Vec::with_capacity(files.len());
        for file in files {
            let key = file
                .strip_prefix(dir)
                .ok()
                .and_then(Path::to_str)
                .map(|k| k.replace(std::path::MAIN_SEPARATOR, "/"))
                .filter(|k| is_valid_key(k))
                .ok_or_else(|| {
                    MediaError::Storage(format!("{} is not a photo of a backup", file.display()))
                })?;
            keys.push((file, key));
        }
        for (file, key) in &keys {
            let bytes = std::fs::read(file).map_err(|e| io(file, &e))?;
            let content_type = content_type_of(key).unwrap_or("application/octet-stream");
            self.put(key, Bytes::from(bytes), content_type).await?;
        }
        Ok(keys.len() as u64)
    }
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
