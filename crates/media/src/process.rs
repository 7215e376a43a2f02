//! Validation, decoding and re-encoding of uploaded photos.

use std::borrow::Cow;
use std::fmt;
use std::io::Cursor;

use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{
    DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageError, ImageFormat,
    ImageReader, Limits,
};

use crate::MediaError;

/// Bounds on what is accepted, and the sizes of what is produced.
#[derive(Clone, Debug)]
pub struct PhotoLimits {
    /// Largest accepted upload, in bytes. Default 15 MiB.
    pub max_bytes: usize,
    /// Largest accepted `width * height`, read from the header before decoding.
    /// Default 40 000 000.
    pub max_pixels: u64,
    /// Longest accepted side, in pixels. Default 12 000.
    pub max_side: u32,
    /// The stored "full" image is scaled down to fit this longest side (never up).
    /// Default 2560.
    pub full_side: u32,
    /// Longest side of the "medium" variant. Default 800.
    pub medium_side: u32,
    /// Longest side of the "small" variant. Default 320.
    pub small_side: u32,
    /// JPEG quality of the outputs, 1 to 100 (clamped). Default 85.
    pub jpeg_quality: u8,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self {
            max_bytes: 15 * 1024 * 1024,
            max_pixels: 40_000_000,
            max_side: 12_000,
            full_side: 2560,
            medium_side: 800,
            small_side: 320,
            jpeg_quality: 85,
        }
    }
}

/// The real format of an upload, sniffed from its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 'PNG' 0D 0A 1A 0A`).
    Png,
    /// WebP (`'RIFF' size 'WEBP'`).
    WebP,
}

impl SourceFormat {
    /// A short lowercase name: `"jpeg"`, `"png"` or `"webp"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::WebP => ImageFormat::WebP,
        }
    }
}

/// One encoded output image.
pub struct Variant {
    /// `"full"`, `"medium"` or `"small"`.
    pub name: &'static str,
    /// `"image/jpeg"` or `"image/png"`.
    pub content_type: &'static str,
    /// `"jpg"` or `"png"`.
    pub extension: &'static str,
    /// Width in pixels, after orientation.
    pub width: u32,
    /// Height in pixels, after orientation.
    pub height: u32,
    /// The encoded file.
    pub bytes: Bytes,
}

impl fmt::Debug for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Variant")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// The result of [`process`]: the sniffed source format and the re-encoded variants.
#[derive(Debug)]
pub struct ProcessedPhoto {
    /// What the upload really was.
    pub source_format: SourceFormat,
    /// `full`, `medium` and `small`, in that order.
    pub variants: Vec<Variant>,
}

/// Validates an upload and re-encodes it into the `full`, `medium` and `small` variants.
///
/// CPU-bound: call it on a blocking thread (`tokio::task::spawn_blocking`).
///
/// In order:
/// 1. refuses more than [`PhotoLimits::max_bytes`] ([`MediaError::TooLarge`]);
/// 2. sniffs the format from the magic bytes, never from a client content type
///    (anything but JPEG, PNG or WebP is [`MediaError::NotAnImage`]);
/// 3. reads the dimensions from the header and refuses too many pixels or too
///    long a side before anything is decoded ([`MediaError::TooManyPixels`]);
/// 4. checks that the file is complete (JPEG end-of-image marker, PNG `IEND`,
///    RIFF length) so a truncated upload is refused ([`MediaError::Undecodable`])
///    instead of coming out half grey;
/// 5. decodes with [`image::Limits`] (width, height and allocation bounded);
/// 6. applies the EXIF orientation so the picture is upright;
/// 7. re-encodes every variant from the pixels: no EXIF, GPS, XMP, ICC profile or
///    comment survives. Images with an alpha channel become PNG, the others
///    JPEG at [`PhotoLimits::jpeg_quality`]. Variants keep the aspect ratio and
///    are never upscaled.
pub fn process(bytes: &[u8], limits: &PhotoLimits) -> Result<ProcessedPhoto, MediaError> {
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            size: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let source_format = sniff(bytes)?;

    let (width, height) = header_dimensions(bytes, source_format, limits)?;
    let too_many = || MediaError::TooManyPixels {
        width,
        height,
        max_pixels: limits.max_pixels,
    };
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width > limits.max_side
        || height > limits.max_side
    {
        return Err(too_many());
    }

    check_complete(bytes, source_format).map_err(|why| MediaError::Undecodable(why.to_owned()))?;

    let mut reader = ImageReader::with_format(Cursor::new(bytes), source_format.image_format());
    reader.limits(decode_limits(limits, true));
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| decode_error(e, width, height, limits))?;
    // A damaged EXIF block must not make the photo unusable: it only loses its rotation.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = if source_format == SourceFormat::Png {
        drop(decoder);
        decode_png8(bytes, (width, height), limits)?
    } else {
        // `DynamicImage::from_decoder` allocates the whole output buffer: account for it first.
        decode_limits(limits, true)
            .reserve(decoder.total_bytes())
            .map_err(|_| too_many())?;
        DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, width, height, limits))?
    };
    image.apply_orientation(orientation);

    let variants = make_variants(image, limits)?;
    Ok(ProcessedPhoto {
        source_format,
        variants,
    })
}

/// The format from the magic bytes; only JPEG, PNG and WebP are accepted.
fn sniff(bytes: &[u8]) -> Result<SourceFormat, MediaError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| MediaError::NotAnImage)?;
    match reader.format() {
        Some(ImageFormat::Jpeg) => Ok(SourceFormat::Jpeg),
        Some(ImageFormat::Png) => Ok(SourceFormat::Png),
        Some(ImageFormat::WebP) => Ok(SourceFormat::WebP),
        _ => Err(MediaError::NotAnImage),
    }
}

/// Width and height as declared by the header; nothing is decoded.
fn header_dimensions(
    bytes: &[u8],
    format: SourceFormat,
    limits: &PhotoLimits,
) -> Result<(u32, u32), MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    // No width/height limits here: the dimensions are wanted even when too big,
    // to report them. The allocation bound still applies to ancillary chunks.
    reader.limits(decode_limits(limits, false));
    reader
        .into_dimensions()
        .map_err(|e| MediaError::Undecodable(format!("unreadable header: {e}")))
}

/// The decoder limits. `max_alloc` allows for the largest legitimate decoded
/// buffer (`max_pixels` at 8 bytes a pixel, 16-bit RGBA) plus decoder overhead.
fn decode_limits(limits: &PhotoLimits, with_sides: bool) -> Limits {
    const OVERHEAD: u64 = 32 * 1024 * 1024;
    let mut decode = Limits::default();
    if with_sides {
        decode.max_image_width = Some(limits.max_side);
        decode.max_image_height = Some(limits.max_side);
    }
    decode.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(OVERHEAD));
    decode
}

fn decode_error(error: ImageError, width: u32, height: u32, limits: &PhotoLimits) -> MediaError {
    match error {
        ImageError::Limits(_) => MediaError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        },
        other => MediaError::Undecodable(other.to_string()),
    }
}

/// A PNG decoded at the precision the outputs need, 8 bits a channel: a 16-bit decode of the
/// largest PNG the limits allow would take twice the memory (320 MB for 40 megapixels of RGBA)
/// for bits every variant drops.
fn decode_png8(
    bytes: &[u8],
    (width, height): (u32, u32),
    limits: &PhotoLimits,
) -> Result<DynamicImage, MediaError> {
    let failed = |error: png::DecodingError| match error {
        png::DecodingError::LimitsExceeded => MediaError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        },
        other => MediaError::Undecodable(other.to_string()),
    };
    let bound = usize::try_from(decode_limits(limits, true).max_alloc.unwrap_or(u64::MAX))
        .unwrap_or(usize::MAX);
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: bound });
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(failed)?;
    let (color, _) = reader.output_color_type();
    let (full_width, full_height) = fit_within(width, height, limits.full_side);
    let (pixels, width, height) =
        if reader.info().interlaced || (full_width, full_height) == (width, height) {
            let size = reader
                .output_buffer_size()
                .ok_or(png::DecodingError::LimitsExceeded)
                .map_err(failed)?;
            let mut pixels = vec![0; size];
            let frame = reader.next_frame(&mut pixels).map_err(failed)?;
            pixels.truncate(frame.buffer_size());
            (pixels, width, height)
        } else {
            // Shrunk to the largest variant row by row: the whole picture is never held.
            let size = (width, height, full_width, full_height);
            let mut shrink = BoxShrink::new(size, color.samples());
            while let Some(row) = reader.next_row().map_err(failed)? {
                shrink.add_row(row.data());
            }
            (shrink.finish(), full_width, full_height)
        };
    let image = match color {
        png::ColorType::Grayscale => {
            image::GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
        }
        png::ColorType::GrayscaleAlpha => {
            image::GrayAlphaImage::from_raw(width, height, pixels).map(DynamicImage::ImageLumaA8)
        }
        png::ColorType::Rgb => {
            image::RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
        }
        png::ColorType::Rgba => {
            image::RgbaImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgba8)
        }
        png::ColorType::Indexed => None,
    };
    image.ok_or_else(|| MediaError::Undecodable("PNG pixels of an unexpected layout".into()))
}

/// Shrinks rows of 8-bit pixels as they are decoded: each output pixel is the mean of the source
/// pixels that fall in it (an area average, the right filter for large reductions).
struct BoxShrink {
    source_height: u32,
    out_height: u32,
    channels: usize,
    /// The output column of each source column.
    column: Vec<usize>,
    sums: Vec<u32>,
    counts: Vec<u32>,
    row: u32,
    out_row: u32,
    out: Vec<u8>,
}

impl BoxShrink {
    fn new((width, height, out_width, out_height): (u32, u32, u32, u32), channels: usize) -> Self {
        let column = (0..u64::from(width))
            .map(|x| usize::try_from(x * u64::from(out_width) / u64::from(width)).unwrap_or(0))
            .collect();
        let out_width = out_width as usize;
        Self {
            source_height: height,
            out_height,
            channels,
            column,
            sums: vec![0; out_width * channels],
            counts: vec![0; out_width],
            row: 0,
            out_row: 0,
            out: Vec::with_capacity(out_width * out_height as usize * channels),
        }
    }

    fn add_row(&mut self, data: &[u8]) {
        let target =
            u64::from(self.row) * u64::from(self.out_height) / u64::from(self.source_height);
        if u64::from(self.out_row) != target {
            self.emit();
        }
        for (pixel, &bin) in data.chunks_exact(self.channels).zip(&self.column) {
            let sums = &mut self.sums[bin * self.channels..(bin + 1) * self.channels];
            for (sum, &value) in sums.iter_mut().zip(pixel) {
                *sum += u32::from(value);
            }
            self.counts[bin] += 1;
        }
        self.row += 1;
    }

    fn emit(&mut self) {
        for (bin, count) in self.counts.iter_mut().enumerate() {
            let sums = &mut self.sums[bin * self.channels..(bin + 1) * self.channels];
            for sum in sums.iter_mut() {
                let mean = (*sum + *count / 2) / (*count).max(1);
                self.out.push(u8::try_from(mean).unwrap_or(u8::MAX));
                *sum = 0;
            }
            *count = 0;
        }
        self.out_row += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        if self.row > 0 {
            self.emit();
        }
        self.out
    }
}

/// Refuses files cut short, which some decoders would silently pad with grey.
fn check_complete(bytes: &[u8], format: SourceFormat) -> Result<(), &'static str> {
    match format {
        SourceFormat::Jpeg => jpeg_complete(bytes),
        SourceFormat::Png => png_complete(bytes),
        SourceFormat::WebP => webp_complete(bytes),
    }
}

fn be_u16(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(usize::from(u16::from_be_bytes([b[0], b[1]])))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok()
}

/// Walks the JPEG segments up to the first start of scan, then requires an
/// end-of-image marker after it. Inside entropy-coded data a `0xFF` byte is
/// always followed by `0x00` or a restart marker, so `FF D9` there is the EOI.
/// Bytes after the EOI (vendor trailers) are tolerated.
fn jpeg_complete(bytes: &[u8]) -> Result<(), &'static str> {
    const TRUNCATED: &str = "truncated JPEG";
    let mut at = 2; // after SOI
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return Err(if at >= bytes.len() {
                TRUNCATED
            } else {
                "malformed JPEG segment"
            });
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1; // fill bytes
        }
        let marker = *bytes.get(at).ok_or(TRUNCATED)?;
        at += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => {}
            0xD9 => return Err("JPEG without image data"),
            0x00 | 0xD8 => return Err("malformed JPEG segment"),
            _ => {
                let length = be_u16(bytes, at).ok_or(TRUNCATED)?;
                if length < 2 {
                    return Err("malformed JPEG segment");
                }
                let end = at + length;
                if end > bytes.len() {
                    return Err(TRUNCATED);
                }
                if marker == 0xDA {
                    let scan = bytes.get(end..).unwrap_or_default();
                    return if scan.windows(2).any(|pair| pair == [0xFF, 0xD9]) {
                        Ok(())
                    } else {
                        Err("truncated JPEG: no end-of-image marker")
                    };
                }
                at = end;
            }
        }
    }
}

/// Walks the PNG chunks and requires every one complete up to `IEND`.
fn png_complete(bytes: &[u8]) -> Result<(), &'static str> {
    const TRUNCATED: &str = "truncated PNG: no IEND chunk";
    let mut at = 8; // after the signature
    loop {
        let length = be_u32(bytes, at).ok_or(TRUNCATED)?;
        let kind = bytes.get(at + 4..at + 8).ok_or(TRUNCATED)?;
        // length, type, data, CRC
        let end = length
            .checked_add(12)
            .and_then(|n| n.checked_add(at))
            .ok_or(TRUNCATED)?;
        if end > bytes.len() {
            return Err(TRUNCATED);
        }
        if kind == b"IEND" {
            return Ok(());
        }
        at = end;
    }
}

/// Requires the whole RIFF container announced by the header.
fn webp_complete(bytes: &[u8]) -> Result<(), &'static str> {
    let size = bytes
        .get(4..8)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or("truncated WebP")?;
    let needed = u64::from(size) + 8;
    if (bytes.len() as u64) < needed {
        return Err("truncated WebP");
    }
    Ok(())
}

/// The dimensions that fit `width x height` within a longest side of `side`,
/// keeping the aspect ratio and never enlarging.
fn fit_within(width: u32, height: u32, side: u32) -> (u32, u32) {
    let side = side.max(1);
    let longest = width.max(height);
    if longest <= side {
        return (width, height);
    }
    let scale = |x: u32| {
        let scaled = (u64::from(x) * u64::from(side) + u64::from(longest) / 2) / u64::from(longest);
        u32::try_from(scaled.max(1)).unwrap_or(side)
    };
    if width >= height {
        (side, scale(height))
    } else {
        (scale(width), side)
    }
}

/// `image` resized to exactly `width x height`, or unchanged when it already has that size.
fn resized(image: DynamicImage, (width, height): (u32, u32)) -> DynamicImage {
    if (width, height) == (image.width(), image.height()) {
        image
    } else {
        image.resize_exact(width, height, FilterType::CatmullRom)
    }
}

fn make_variants(image: DynamicImage, limits: &PhotoLimits) -> Result<Vec<Variant>, MediaError> {
    let base = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    // Sizes are computed from the upright original, so that they are exact;
    // each variant is then scaled from the previous one, which is cheaper.
    let (width, height) = (base.width(), base.height());
    let full_side = limits.full_side;
    let medium_side = limits.medium_side.min(full_side);
    let small_side = limits.small_side.min(medium_side);

    // The first step down averages whole areas of the source (memory: the output alone); a
    // Catmull-Rom filter over a 40-megapixel source would hold a float copy of it, hundreds of MB.
    let (full_width, full_height) = fit_within(width, height, full_side);
    let full = if (full_width, full_height) == (width, height) {
        base
    } else {
        base.thumbnail_exact(full_width, full_height)
    };
    let full_variant = encode("full", &full, limits)?;
    let medium = resized(full, fit_within(width, height, medium_side));
    let medium_variant = encode("medium", &medium, limits)?;
    let small = resized(medium, fit_within(width, height, small_side));
    let small_variant = encode("small", &small, limits)?;
    Ok(vec![full_variant, medium_variant, small_variant])
}

/// Encodes pixels only: the encoders are given no metadata whatsoever.
/// RGBA becomes PNG, anything else JPEG (as RGB8).
fn encode(
    name: &'static str,
    image: &DynamicImage,
    limits: &PhotoLimits,
) -> Result<Variant, MediaError> {
    let (width, height) = (image.width(), image.height());
    let mut out = Vec::new();
    let (content_type, extension, result) = if let DynamicImage::ImageRgba8(rgba) = image {
        let result = PngEncoder::new(&mut out).write_image(
            rgba.as_raw(),
            width,
            height,
            ExtendedColorType::Rgba8,
        );
        ("image/png", "png", result)
    } else {
        let rgb = match image.as_rgb8() {
            Some(rgb) => Cow::Borrowed(rgb),
            None => Cow::Owned(image.to_rgb8()),
        };
        let quality = limits.jpeg_quality.clamp(1, 100);
        let result = JpegEncoder::new_with_quality(&mut out, quality).write_image(
            rgb.as_raw(),
            width,
            height,
            ExtendedColorType::Rgb8,
        );
        ("image/jpeg", "jpg", result)
    };
    result.map_err(|e| MediaError::Undecodable(format!("re-encoding the {name} variant: {e}")))?;
    Ok(Variant {
        name,
        content_type,
        extension,
        width,
        height,
        bytes: Bytes::from(out),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn fit_within_keeps_ratio_and_never_enlarges() {
        assert_eq!(fit_within(3000, 1500, 2560), (2560, 1280));
        assert_eq!(fit_within(1500, 3000, 800), (400, 800));
        assert_eq!(fit_within(200, 100, 320), (200, 100));
        assert_eq!(fit_within(320, 320, 320), (320, 320));
        assert_eq!(fit_within(10_000, 1, 320), (320, 1));
    }

    #[test]
    fn structure_checks_accept_complete_files_only() {
        let png_signature = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let mut png = png_signature.to_vec();
        png.extend_from_slice(&[0, 0, 0, 0]);
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
        assert_eq!(png_complete(&png), Ok(()));
        assert!(png_complete(&png[..png.len() - 1]).is_err());
        assert!(png_complete(&png_signature).is_err());

        let jpeg = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9];
        assert_eq!(jpeg_complete(&jpeg), Ok(()));
        assert!(jpeg_complete(&jpeg[..8]).is_err());
        assert!(jpeg_complete(&[0xFF, 0xD8]).is_err());
        assert!(jpeg_complete(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x00]).is_err());

        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&4u32.to_le_bytes());
        webp.extend_from_slice(b"WEBP");
        assert_eq!(webp_complete(&webp), Ok(()));
        assert!(webp_complete(&webp[..11]).is_err());
    }
}
