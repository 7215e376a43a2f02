//! Test fixtures: small images built in memory, some of them hostile, and
//! helpers to inspect what came out of [`process`](crate::process).
//!
//! Compiled for this crate's tests, and for other crates with the `fixtures`
//! feature (`souk-media = { workspace = true, features = ["fixtures"] }` in
//! their `[dev-dependencies]`).
//!
//! The builders panic if the image crate fails to encode, which only happens
//! for a zero width or height: they are meant for tests.

// Fixtures are test support: a broken fixture must stop the test loudly.
#![allow(clippy::expect_used)]

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage, RgbaImage};

/// Latitude written by [`jpeg_with_gps`]: 31° 37' 48" N (Marrakech).
pub const GPS_LATITUDE: [u32; 3] = [31, 37, 48];
/// Longitude written by [`jpeg_with_gps`]: 7° 59' 24" W (Marrakech).
pub const GPS_LONGITUDE: [u32; 3] = [7, 59, 24];
/// The text of the COM (comment) segment written by [`jpeg_with_gps`].
pub const JPEG_COMMENT: &str = "Atelier, Derb Sidi Bouloukat 12, Marrakech";
/// The namespace heading the XMP APP1 segment written by [`jpeg_with_gps`].
pub const XMP_NAMESPACE: &str = "http://ns.adobe.com/xap/1.0/";

/// The colour of pixel `(x, y)` in every fixture: the left half red, the right
/// half blue, with a vertical green gradient. Upright orientation is therefore
/// visible (red left, blue right).
#[must_use]
pub fn pixel(x: u32, y: u32, width: u32, height: u32) -> [u8; 3] {
    let green = u8::try_from(u64::from(y) * 100 / u64::from(height.max(1))).unwrap_or(100);
    if x < width / 2 {
        [210, green, 30]
    } else {
        [30, green, 210]
    }
}

fn rgb_image(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| image::Rgb(pixel(x, y, width, height)))
}

/// A plain baseline JPEG (quality 90) of the fixture picture, without any
/// metadata besides the JFIF APP0 segment.
///
/// # Panics
/// If `width` or `height` is 0 or over 65535.
#[must_use]
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(
            rgb_image(width, height).as_raw(),
            width,
            height,
            ExtendedColorType::Rgb8,
        )
        .expect("fixture JPEG encodes");
    out
}

/// A JPEG carrying what a phone would leak, all inserted right after SOI:
///
/// * an EXIF APP1 segment whose IFD0 points to a GPS IFD with
///   `GPSVersionID`, `GPSLatitudeRef` (`N`), `GPSLatitude` ([`GPS_LATITUDE`]),
///   `GPSLongitudeRef` (`W`) and `GPSLongitude` ([`GPS_LONGITUDE`]);
/// * an XMP APP1 segment ([`XMP_NAMESPACE`]) repeating the position;
/// * a COM segment with a street address ([`JPEG_COMMENT`]).
///
/// The TIFF structure is written by hand, so the fixture does not depend on an
/// EXIF writer.
///
/// # Panics
/// If `width` or `height` is 0 or over 65535.
#[must_use]
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let xmp = format!(
        "{XMP_NAMESPACE}\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
         xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description \
         xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" exif:GPSLatitude=\"31,37.8N\" \
         exif:GPSLongitude=\"7,59.4W\"/></rdf:RDF></x:xmpmeta>"
    );
    insert_after_soi(
        &jpeg(width, height),
        &[
            segment(0xE1, &exif_app1_payload(None, true)),
            segment(0xE1, xmp.as_bytes()),
            segment(0xFE, JPEG_COMMENT.as_bytes()),
        ],
    )
}

/// A JPEG whose EXIF IFD0 holds `Orientation = orientation` (1 to 8; 6 means
/// "rotate 90° clockwise to display"). The pixels are stored as-is: a 40x20
/// fixture with orientation 6 should be displayed 20x40.
///
/// # Panics
/// If `width` or `height` is 0 or over 65535.
#[must_use]
pub fn jpeg_with_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    insert_after_soi(
        &jpeg(width, height),
        &[segment(0xE1, &exif_app1_payload(Some(orientation), false))],
    )
}

/// A PNG of the fixture picture. With `alpha`, it is RGBA and the left half is
/// translucent (alpha 128); without, RGB.
///
/// # Panics
/// If `width` or `height` is 0.
#[must_use]
pub fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = PngEncoder::new(&mut out);
    if alpha {
        let image = RgbaImage::from_fn(width, height, |x, y| {
            let [r, g, b] = pixel(x, y, width, height);
            image::Rgba([r, g, b, if x < width / 2 { 128 } else { 255 }])
        });
        encoder.write_image(image.as_raw(), width, height, ExtendedColorType::Rgba8)
    } else {
        let image = rgb_image(width, height);
        encoder.write_image(image.as_raw(), width, height, ExtendedColorType::Rgb8)
    }
    .expect("fixture PNG encodes");
    out
}

/// A 16-bit RGBA PNG of smooth bands: a few hundred kilobytes on the wire for what decodes to
/// 8 bytes a pixel (the costliest upload the pixel limit lets through). Written row by row.
///
/// # Panics
/// If `width` or `height` is 0.
#[must_use]
pub fn png16(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Sixteen);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().expect("fixture PNG header");
    let mut stream = writer.stream_writer().expect("fixture PNG stream");
    let mut row = vec![0u8; width as usize * 8];
    for y in 0..height {
        let shade = u16::try_from(y * 7 % 65_536).unwrap_or(0).to_be_bytes();
        for pixel in row.chunks_exact_mut(8) {
            pixel[..2].copy_from_slice(&shade);
            pixel[2..4].copy_from_slice(&[0x80, 0x00]);
            pixel[4..6].copy_from_slice(&[0x20, 0x00]);
            pixel[6..].copy_from_slice(&[0xFF, 0xFF]);
        }
        std::io::Write::write_all(&mut stream, &row).expect("fixture PNG row");
    }
    stream.finish().expect("fixture PNG end");
    drop(writer);
    out
}

/// A lossless (VP8L) WebP of the fixture picture, RGB.
///
/// # Panics
/// If `width` or `height` is 0 or over 16384.
#[must_use]
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .encode(
            rgb_image(width, height).as_raw(),
            width,
            height,
            ExtendedColorType::Rgb8,
        )
        .expect("fixture WebP encodes");
    out
}

/// Width and height claimed by [`png_bomb`].
pub const PNG_BOMB_SIDE: u32 = 60_000;

/// A decompression bomb: a PNG of a few dozen bytes whose IHDR claims
/// [`PNG_BOMB_SIDE`] x [`PNG_BOMB_SIDE`] RGB pixels (over 10 GB once decoded).
/// The chunks have correct CRCs, so a decoder reads the header without
/// complaint; the IDAT holds a tiny valid zlib stream, then comes IEND.
#[must_use]
pub fn png_bomb() -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&PNG_BOMB_SIDE.to_be_bytes());
    ihdr.extend_from_slice(&PNG_BOMB_SIDE.to_be_bytes());
    // bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);

    // zlib: header, one final stored block of 64 zero bytes, Adler-32.
    let data = [0u8; 64];
    let mut zlib = vec![0x78, 0x01, 0x01];
    let len = u16::try_from(data.len()).unwrap_or(0);
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&data);
    zlib.extend_from_slice(&adler32(&data).to_be_bytes());
    png_chunk(&mut out, b"IDAT", &zlib);

    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// Whether kamadak-exif finds an EXIF block with at least one field in
/// `bytes` (JPEG, PNG, WebP, TIFF or HEIF).
#[must_use]
pub fn has_exif(bytes: &[u8]) -> bool {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .map(|exif| exif.fields().len() > 0)
        .unwrap_or(false)
}

/// The markers (second byte: `0xE0` for APP0 ... `0xEF` for APP15, `0xFE` for
/// COM) of the APPn and COM segments of a JPEG, in file order, up to the first
/// start of scan. Empty if `bytes` is not a JPEG. A clean re-encoded JPEG gives
/// `[0xE0]` (the JFIF header) and nothing else.
#[must_use]
pub fn jpeg_app_segments(bytes: &[u8]) -> Vec<u8> {
    let mut found = Vec::new();
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return found;
    }
    let mut at = 2;
    while bytes.get(at) == Some(&0xFF) {
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else {
            break;
        };
        at += 1;
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        if (0xE0..=0xEF).contains(&marker) || marker == 0xFE {
            found.push(marker);
        }
        let Some(length) = bytes.get(at..at + 2) else {
            break;
        };
        at += usize::from(u16::from_be_bytes([length[0], length[1]]));
    }
    found
}

/// The chunk types of a PNG, in file order (e.g. `IHDR`, `IDAT`, `IEND`).
/// Empty if `bytes` is not a PNG. Metadata would show up as `eXIf`, `tEXt`,
/// `zTXt`, `iTXt`, `iCCP`, `tIME`...
#[must_use]
pub fn png_chunks(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    if !bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        return found;
    }
    let mut at = 8;
    while let Some(header) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        found.push(String::from_utf8_lossy(&header[4..8]).into_owned());
        let Ok(length) = usize::try_from(length) else {
            break;
        };
        at += 12 + length;
    }
    found
}

/// CRC-32 (ISO 3309, as used by PNG and zlib), bit by bit: fixtures are tiny.
#[must_use]
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).expect("fixture chunk fits");
    out.extend_from_slice(&length.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A JPEG marker segment: `FF marker`, big-endian length (itself included), payload.
fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(payload.len() + 2).expect("fixture segment fits");
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn insert_after_soi(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(jpeg.len() + segments.iter().map(Vec::len).sum::<usize>());
    out.extend_from_slice(&jpeg[..2]);
    for segment in segments {
        out.extend_from_slice(segment);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// One little-endian TIFF IFD entry: tag, type, count, value or offset.
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    value: [u8; 4],
}

const TIFF_BYTE: u16 = 1;
const TIFF_ASCII: u16 = 2;
const TIFF_SHORT: u16 = 3;
const TIFF_LONG: u16 = 4;
const TIFF_RATIONAL: u16 = 5;

fn write_ifd(out: &mut Vec<u8>, entries: &[Entry]) {
    let count = u16::try_from(entries.len()).expect("fixture IFD fits");
    out.extend_from_slice(&count.to_le_bytes());
    for entry in entries {
        out.extend_from_slice(&entry.tag.to_le_bytes());
        out.extend_from_slice(&entry.kind.to_le_bytes());
        out.extend_from_slice(&entry.count.to_le_bytes());
        out.extend_from_slice(&entry.value);
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
}

fn ifd_len(entries: usize) -> u32 {
    u32::try_from(2 + 12 * entries + 4).expect("fixture IFD fits")
}

/// `Exif\0\0` followed by a little-endian TIFF structure: IFD0 with an
/// optional Orientation and an optional pointer to a GPS IFD.
fn exif_app1_payload(orientation: Option<u16>, gps: bool) -> Vec<u8> {
    let ifd0_entries = usize::from(orientation.is_some()) + usize::from(gps);
    let gps_ifd_offset = 8 + ifd_len(ifd0_entries);
    let rationals_offset = gps_ifd_offset + ifd_len(5);

    let mut ifd0 = Vec::new();
    if let Some(orientation) = orientation {
        let [lo, hi] = orientation.to_le_bytes();
        ifd0.push(Entry {
            tag: 0x0112,
            kind: TIFF_SHORT,
            count: 1,
            value: [lo, hi, 0, 0],
        });
    }
    if gps {
        ifd0.push(Entry {
            tag: 0x8825, // GPSInfo IFD pointer
            kind: TIFF_LONG,
            count: 1,
            value: gps_ifd_offset.to_le_bytes(),
        });
    }

    let mut tiff = b"II".to_vec();
    tiff.extend_from_slice(&42u16.to_le_bytes());
    tiff.extend_from_slice(&8u32.to_le_bytes());
    write_ifd(&mut tiff, &ifd0);
    if gps {
        let gps_entries = [
            Entry {
                tag: 0x0000, // GPSVersionID
                kind: TIFF_BYTE,
                count: 4,
                value: [2, 3, 0, 0],
            },
            Entry {
                tag: 0x0001, // GPSLatitudeRef
                kind: TIFF_ASCII,
                count: 2,
                value: [b'N', 0, 0, 0],
            },
            Entry {
                tag: 0x0002, // GPSLatitude
                kind: TIFF_RATIONAL,
                count: 3,
                value: rationals_offset.to_le_bytes(),
            },
            Entry {
                tag: 0x0003, // GPSLongitudeRef
                kind: TIFF_ASCII,
                count: 2,
                value: [b'W', 0, 0, 0],
            },
            Entry {
                tag: 0x0004, // GPSLongitude
                kind: TIFF_RATIONAL,
                count: 3,
                value: (rationals_offset + 24).to_le_bytes(),
            },
        ];
        write_ifd(&mut tiff, &gps_entries);
        for value in GPS_LATITUDE.iter().chain(GPS_LONGITUDE.iter()) {
            tiff.extend_from_slice(&value.to_le_bytes()); // numerator
            tiff.extend_from_slice(&1u32.to_le_bytes()); // denominator
        }
    }

    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    payload
}
