//! Where the photo variants are kept: an object store chosen by configuration.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use uuid::Uuid;

use crate::{MediaError, ProcessedPhoto};

/// Where photos are kept, chosen by configuration.
///
/// `Debug` is implemented by hand and never prints the secret access key.
#[derive(Clone)]
pub enum StorageConfig {
    /// A directory on the local file system (created if missing).
    Local {
        /// The root directory; keys become paths below it.
        dir: PathBuf,
    },
    /// An S3 bucket, or an S3-compatible service (MinIO, Garage...) through `endpoint`.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Region, e.g. `eu-west-3`.
        region: String,
        /// Custom endpoint URL for S3-compatible services; requests use path style.
        endpoint: Option<String>,
        /// Static credentials (both or neither). Without them, credentials come
        /// from the instance metadata service; the environment is not read.
        access_key_id: Option<String>,
        /// Static credentials (secret part).
        secret_access_key: Option<String>,
        /// Allow plain `http://` endpoints (local MinIO).
        allow_http: bool,
    },
}

impl fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local { dir } => f.debug_struct("Local").field("dir", dir).finish(),
            Self::S3 {
                bucket,
                region,
                endpoint,
                access_key_id,
                secret_access_key,
                allow_http,
            } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("region", region)
                .field("endpoint", endpoint)
                .field("access_key_id", access_key_id)
                .field(
                    "secret_access_key",
                    &secret_access_key.as_ref().map(|_| "<redacted>"),
                )
                .field("allow_http", allow_http)
                .finish(),
        }
    }
}

/// One stored variant, as returned by [`PhotoStore::put_photo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredVariant {
    /// `"full"`, `"medium"` or `"small"`.
    pub name: &'static str,
    /// The object key, `photos/{photo_id}/{name}.{jpg|png}`.
    pub key: String,
    /// `"image/jpeg"` or `"image/png"`.
    pub content_type: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size of the stored object in bytes.
    pub size: u64,
}

/// What [`PhotoStore`]'s `Debug` shows: where, never credentials.
#[derive(Clone)]
enum Backend {
    Local {
        dir: PathBuf,
    },
    S3 {
        bucket: String,
        endpoint: Option<String>,
    },
    Memory,
    #[cfg(test)]
    Custom,
}

impl Backend {
    /// Whether objects carry a content type, so that a bucket served directly
    /// (or through a CDN) answers with `image/jpeg` or `image/png`. The local
    /// file system cannot store one: the server uses [`content_type_of`].
    fn keeps_content_type(&self) -> bool {
        match self {
            Self::S3 { .. } | Self::Memory => true,
            Self::Local { .. } => false,
            #[cfg(test)]
            Self::Custom => false,
        }
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local { dir } => f.debug_struct("Local").field("dir", dir).finish(),
            Self::S3 { bucket, endpoint } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("endpoint", endpoint)
                .finish(),
            Self::Memory => f.write_str("Memory"),
            #[cfg(test)]
            Self::Custom => f.write_str("Custom"),
        }
    }
}

/// A handle on the object store holding the photos. Cloning is cheap (an `Arc`).
#[derive(Clone)]
pub struct PhotoStore {
    store: Arc<dyn ObjectStore>,
    backend: Backend,
}

impl fmt::Debug for PhotoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhotoStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

fn storage_error(error: object_store::Error) -> MediaError {
    MediaError::Storage(error.to_string())
}

impl PhotoStore {
    /// Opens the store described by `config`. A local directory is created if missing.
    /// Nothing is contacted over the network here.
    pub fn open(config: &StorageConfig) -> Result<Self, MediaError> {
        match config {
            StorageConfig::Local { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    MediaError::Storage(format!("cannot create {}: {e}", dir.display()))
                })?;
                let store = LocalFileSystem::new_with_prefix(dir)
                    .map_err(storage_error)?
                    // Deleting a photo's last variant removes its now empty directory.
                    .with_automatic_cleanup(true);
                Ok(Self {
                    store: Arc::new(store),
                    backend: Backend::Local { dir: dir.clone() },
                })
            }
            StorageConfig::S3 {
                bucket,
                region,
                endpoint,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_allow_http(*allow_http)
                    .with_virtual_hosted_style_request(false);
                if let Some(endpoint) = endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(access_key_id) = access_key_id {
                    builder = builder.with_access_key_id(access_key_id);
                }
                if let Some(secret_access_key) = secret_access_key {
                    builder = builder.with_secret_access_key(secret_access_key);
                }
                let store = builder.build().map_err(storage_error)?;
                Ok(Self {
                    store: Arc::new(store),
                    backend: Backend::S3 {
                        bucket: bucket.clone(),
                        endpoint: endpoint.clone(),
                    },
                })
            }
        }
    }

    /// A store in memory, for tests.
    #[must_use]
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            backend: Backend::Memory,
        }
    }

    #[cfg(test)]
    pub(crate) fn object_store(&self) -> &dyn ObjectStore {
        self.store.as_ref()
    }

    #[cfg(test)]
    pub(crate) fn with_object_store(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            backend: Backend::Custom,
        }
    }

    /// Stores every variant under `photos/{photo_id}/{name}.{extension}` and
    /// returns them in variant order. On S3 each object also carries its
    /// `Content-Type`. If one put fails, those already put are
    /// deleted (best effort) and the error is returned.
    pub async fn put_photo(
        &self,
        photo_id: Uuid,
        photo: &ProcessedPhoto,
    ) -> Result<Vec<StoredVariant>, MediaError> {
        let mut stored: Vec<StoredVariant> = Vec::with_capacity(photo.variants.len());
        for variant in &photo.variants {
            let key = format!("photos/{photo_id}/{}.{}", variant.name, variant.extension);
            let put = self
                .put(&key, variant.bytes.clone(), variant.content_type)
                .await;
            if let Err(error) = put {
                let keys: Vec<String> = stored.into_iter().map(|s| s.key).collect();
                if let Err(cleanup) = self.delete(&keys).await {
                    tracing::warn!(%photo_id, error = %cleanup, "could not delete the variants of a photo whose storage failed");
                }
                return Err(error);
            }
            stored.push(StoredVariant {
                name: variant.name,
                key,
                content_type: variant.content_type,
                width: variant.width,
                height: variant.height,
                size: variant.bytes.len() as u64,
            });
        }
        Ok(stored)
    }

    /// Stores `bytes` under `key`, with its content type where the backend keeps one.
    pub async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &'static str,
    ) -> Result<(), MediaError> {
        let path =
            Path::parse(key).map_err(|e| MediaError::Storage(format!("invalid key {key}: {e}")))?;
        let payload = PutPayload::from(bytes);
        let put = if self.backend.keeps_content_type() {
            let mut attributes = Attributes::new();
            attributes.insert(Attribute::ContentType, content_type.into());
            self.store
                .put_opts(&path, payload, PutOptions::from(attributes))
                .await
        } else {
            self.store.put(&path, payload).await
        };
        put.map(|_| ()).map_err(storage_error)
    }

    /// The bytes stored under `key`; [`MediaError::NotFound`] if there are none
    /// (including for keys that cannot exist, such as `../x`).
    pub async fn get(&self, key: &str) -> Result<Bytes, MediaError> {
        let path = match Path::parse(key) {
            Ok(path) if !path.as_ref().is_empty() => path,
            _ => return Err(MediaError::NotFound),
        };
        let result = self.store.get(&path).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => MediaError::NotFound,
            other => storage_error(other),
        })?;
        result.bytes().await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => MediaError::NotFound,
            other => storage_error(other),
        })
    }

    /// Deletes the objects under `keys`. Missing keys are not an error.
    pub async fn delete(&self, keys: &[String]) -> Result<(), MediaError> {
        // A key that does not parse cannot have been stored: nothing to delete.
        let paths: Vec<Path> = keys.iter().filter_map(|k| Path::parse(k).ok()).collect();
        if paths.is_empty() {
            return Ok(());
        }
        let mut results = self
            .store
            .delete_stream(futures::stream::iter(paths.into_iter().map(Ok)).boxed());
        let mut first_error = None;
        while let Some(result) = results.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(storage_error(e));
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The keys under `prefix` (`""` for all), sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, MediaError> {
        let prefix = Path::parse(prefix)
            .map_err(|e| MediaError::Storage(format!("invalid prefix {prefix}: {e}")))?;
        let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
        let mut keys: Vec<String> = self
            .store
            .list(prefix.as_ref())
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(storage_error)?;
        keys.sort();
        Ok(keys)
    }
}

const VARIANT_NAMES: [&str; 3] = ["full", "medium", "small"];

/// The content type of a stored key, from its extension: `"image/jpeg"` for
/// `.jpg`, `"image/png"` for `.png`, `None` otherwise.
#[must_use]
pub fn content_type_of(key: &str) -> Option<&'static str> {
    let (_, extension) = key.rsplit_once('.')?;
    match extension {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        _ => None,
    }
}

/// Whether `key` is exactly `photos/<uuid>/(full|medium|small).(jpg|png)`, the
/// uuid in its canonical lowercase hyphenated form. An HTTP layer serving
/// photos should refuse anything else (path traversal, arbitrary objects).
#[must_use]
pub fn is_valid_key(key: &str) -> bool {
    let mut parts = key.split('/');
    let (Some("photos"), Some(id), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let canonical_id = Uuid::try_parse(id)
        .map(|uuid| uuid.hyphenated().to_string() == id)
        .unwrap_or(false);
    let Some((name, extension)) = file.split_once('.') else {
        return false;
    };
    canonical_id && VARIANT_NAMES.contains(&name) && matches!(extension, "jpg" | "png")
}
