//! Souk's product photos: what artisans and agents upload, made safe to publish.
//!
//! The crate knows nothing about HTTP or SQL. It has two halves:
//!
//! * [`process`] turns the uploaded bytes into three re-encoded variants
//!   (`full`, `medium`, `small`). It is CPU-bound: call it on a blocking thread.
//! * [`PhotoStore`] keeps those variants in an object store (a local directory
//!   or S3), under keys of the form `photos/{photo_id}/{variant}.{jpg|png}`.
//!
//! # Why every photo is re-encoded
//!
//! A photo straight from a phone carries metadata: EXIF (with the GPS position
//! of the artisan's home or workshop, the device serial number, the date),
//! XMP, IPTC, ICC profiles, comments and sometimes an embedded thumbnail that
//! still shows what was cropped out. Removing those segments one by one is a
//! blacklist: every format and every vendor extension is a new way to leak.
//!
//! Instead, [`process`] decodes the picture to plain pixels and encodes brand
//! new files from those pixels only. The encoders are never given any
//! metadata, so nothing but pixels can survive — metadata stripping holds *by
//! construction*, whatever the input contained. The one piece of metadata that
//! matters for display, the EXIF orientation, is applied to the pixels before
//! re-encoding so that the picture is upright without it.
//!
//! The format is sniffed from the bytes themselves (JPEG, PNG or WebP); the
//! content type or file name claimed by the client is never trusted.
//!
//! # Why the dimensions are checked before decoding
//!
//! A "decompression bomb" is a small file whose header claims an enormous
//! picture: a 50 KB PNG can declare 60000×60000 pixels, i.e. more than 10 GB of
//! RGB once decoded. [`process`] reads only the header first and refuses any
//! image with more than [`PhotoLimits::max_pixels`] pixels or a side over
//! [`PhotoLimits::max_side`] *before* a single pixel buffer is allocated. The
//! decoder then runs with [`image::Limits`] (maximum width, height and
//! allocation) as a second line of defence, and the upload size itself is
//! capped by [`PhotoLimits::max_bytes`].
//!
//! Truncated uploads are refused too ([`MediaError::Undecodable`]) rather than
//! published as half-grey pictures: the structure of the file (JPEG end of
//! image marker, PNG `IEND` chunk, RIFF length) is verified before decoding.

mod backup;
mod error;
mod process;
mod store;

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;

#[cfg(test)]
mod tests;

pub use backup::backup_photos;
pub use error::MediaError;
pub use process::{PhotoLimits, ProcessedPhoto, SourceFormat, Variant, process};
pub use store::{PhotoStore, StorageConfig, StoredVariant, content_type_of, is_valid_key};
