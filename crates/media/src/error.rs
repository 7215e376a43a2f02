//! The errors of photo processing and storage.

/// Why a photo was refused or could not be stored.
///
/// Every variant has a stable machine-readable [`code`](MediaError::code) that
/// an HTTP layer can return to clients.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The uploaded file is bigger than [`PhotoLimits::max_bytes`](crate::PhotoLimits::max_bytes).
    #[error("photo is {size} bytes, the limit is {max} bytes")]
    TooLarge {
        /// Size of the upload in bytes.
        size: usize,
        /// The limit in bytes.
        max: usize,
    },

    /// The bytes are not a JPEG, PNG or WebP image (GIF, PDF, text, empty...).
    #[error("not a JPEG, PNG or WebP image")]
    NotAnImage,

    /// The header declares more pixels than allowed, or a side longer than
    /// allowed. Decided from the header, before anything is decoded.
    #[error(
        "photo is {width}x{height} pixels, over the limits ({max_pixels} pixels in all, or a side too long)"
    )]
    TooManyPixels {
        /// Width declared by the image header.
        width: u32,
        /// Height declared by the image header.
        height: u32,
        /// The pixel limit ([`PhotoLimits::max_pixels`](crate::PhotoLimits::max_pixels)).
        max_pixels: u64,
    },

    /// The image data is truncated or corrupt.
    #[error("photo data is truncated or corrupt: {0}")]
    Undecodable(String),

    /// The object store failed.
    #[error("photo storage failed: {0}")]
    Storage(String),

    /// No object under that key.
    #[error("photo not found")]
    NotFound,
}

impl MediaError {
    /// A stable, machine-readable code for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "photo_too_large",
            Self::NotAnImage => "not_an_image",
            Self::TooManyPixels { .. } => "photo_too_many_pixels",
            Self::Undecodable(_) => "photo_undecodable",
            Self::Storage(_) => "storage_unavailable",
            Self::NotFound => "not_found",
        }
    }
}
