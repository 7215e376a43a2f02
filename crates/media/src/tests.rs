#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fixtures;
use crate::{
    MediaError, PhotoLimits, PhotoStore, ProcessedPhoto, SourceFormat, StorageConfig, Variant,
    content_type_of, is_valid_key, process,
};

fn decode(variant: &Variant) -> image::DynamicImage {
    image::load_from_memory(&variant.bytes).expect("an output variant decodes")
}

fn sizes(photo: &ProcessedPhoto) -> Vec<(&'static str, u32, u32)> {
    photo
        .variants
        .iter()
        .map(|v| (v.name, v.width, v.height))
        .collect()
}

/// Every declared size matches the encoded file.
fn assert_declared_sizes_are_real(photo: &ProcessedPhoto) {
    for variant in &photo.variants {
        let decoded = decode(variant);
        assert_eq!(
            (decoded.width(), decoded.height()),
            (variant.width, variant.height),
            "{} variant",
            variant.name
        );
    }
}

// ---------------------------------------------------------------- metadata

#[test]
fn gps_exif_xmp_and_comment_do_not_survive() {
    let input = fixtures::jpeg_with_gps(64, 48);

    // The fixture really carries a GPS position (read back by kamadak-exif)...
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(&input))
        .expect("the fixture has EXIF");
    for tag in [
        exif::Tag::GPSLatitudeRef,
        exif::Tag::GPSLatitude,
        exif::Tag::GPSLongitudeRef,
        exif::Tag::GPSLongitude,
    ] {
        assert!(
            exif.get_field(tag, exif::In::PRIMARY).is_some(),
            "fixture lacks {tag}"
        );
    }
    let latitude = exif
        .get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
        .unwrap();
    match &latitude.value {
        exif::Value::Rational(parts) => {
            let degrees: Vec<u32> = parts.iter().map(|r| r.num / r.denom).collect();
            assert_eq!(degrees, fixtures::GPS_LATITUDE);
        }
        other => panic!("GPSLatitude is not rational: {other:?}"),
    }
    assert!(fixtures::has_exif(&input));
    // ...and an XMP APP1 and a comment.
    assert_eq!(
        fixtures::jpeg_app_segments(&input),
        [0xE1, 0xE1, 0xFE, 0xE0]
    );

    let photo = process(&input, &PhotoLimits::default()).unwrap();
    assert_eq!(photo.source_format, SourceFormat::Jpeg);
    assert_eq!(photo.variants.len(), 3);
    for variant in &photo.variants {
        assert_eq!(variant.content_type, "image/jpeg");
        assert!(
            exif::Reader::new()
                .read_from_container(&mut Cursor::new(&variant.bytes))
                .is_err(),
            "{} variant has EXIF",
            variant.name
        );
        assert!(!fixtures::has_exif(&variant.bytes));
        // Only the JFIF APP0 header: no APP1 (EXIF, XMP), no APP2 (ICC), no COM.
        assert_eq!(
            fixtures::jpeg_app_segments(&variant.bytes),
            [0xE0],
            "{} variant",
            variant.name
        );
        for needle in [
            &b"Exif\0\0"[..],
            fixtures::XMP_NAMESPACE.as_bytes(),
            b"Derb",
        ] {
            assert!(
                !variant.bytes.windows(needle.len()).any(|w| w == needle),
                "{} variant still contains {:?}",
                variant.name,
                String::from_utf8_lossy(needle)
            );
        }
    }
}

#[test]
fn png_output_has_no_metadata_chunks() {
    let photo = process(&fixtures::png(30, 20, true), &PhotoLimits::default()).unwrap();
    for variant in &photo.variants {
        for chunk in fixtures::png_chunks(&variant.bytes) {
            assert!(
                ["IHDR", "IDAT", "IEND"].contains(&chunk.as_str()),
                "{} variant has a {chunk} chunk",
                variant.name
            );
        }
        assert!(!fixtures::has_exif(&variant.bytes));
    }
}

// ------------------------------------------------------------- orientation

#[test]
fn exif_orientation_6_is_applied() {
    let input = fixtures::jpeg_with_orientation(40, 20, 6);
    assert!(fixtures::has_exif(&input));

    let photo = process(&input, &PhotoLimits::default()).unwrap();
    assert_eq!(
        sizes(&photo),
        [("full", 20, 40), ("medium", 20, 40), ("small", 20, 40)]
    );
    assert_declared_sizes_are_real(&photo);

    // Rotated clockwise: the red left half of the stored pixels is now on top.
    let full = decode(&photo.variants[0]).to_rgb8();
    let top = full.get_pixel(10, 5).0;
    let bottom = full.get_pixel(10, 34).0;
    assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom should be blue: {bottom:?}"
    );
    // The orientation tag itself is gone with the rest of the EXIF.
    assert!(!fixtures::has_exif(&photo.variants[0].bytes));
}

#[test]
fn exif_orientation_1_keeps_the_picture_as_is() {
    let photo = process(
        &fixtures::jpeg_with_orientation(40, 20, 1),
        &PhotoLimits::default(),
    )
    .unwrap();
    assert_eq!(photo.variants[0].width, 40);
    assert_eq!(photo.variants[0].height, 20);
    let full = decode(&photo.variants[0]).to_rgb8();
    assert!(full.get_pixel(5, 10).0[0] > 150, "left half stays red");
}

// --------------------------------------------------------- refused uploads

#[test]
fn what_is_not_a_jpeg_png_or_webp_is_refused() {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF]);
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B]);
    let cases: [(&str, &[u8]); 5] = [
        ("text", b"Hello, this is a text file, not a photo.\n"),
        ("gif", &gif),
        ("pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
        ("empty", b""),
        ("the first two bytes of a JPEG", &[0xFF, 0xD8]),
    ];
    for (what, bytes) in cases {
        let error = process(bytes, &PhotoLimits::default()).unwrap_err();
        assert!(matches!(error, MediaError::NotAnImage), "{what}: {error:?}");
        assert_eq!(error.code(), "not_an_image");
    }
}

#[test]
fn truncated_jpeg_is_undecodable() {
    let input = fixtures::jpeg(64, 64);
    let half = &input[..input.len() / 2];
    let error = process(half, &PhotoLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Undecodable(_)), "{error:?}");
    assert_eq!(error.code(), "photo_undecodable");

    // Cut just before the end-of-image marker: still refused.
    let error = process(&input[..input.len() - 2], &PhotoLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Undecodable(_)), "{error:?}");
    // Cut inside the headers.
    let error = process(&input[..40], &PhotoLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Undecodable(_)), "{error:?}");
}

#[test]
fn truncated_png_is_undecodable() {
    let input = fixtures::png(64, 64, false);
    for cut in [input.len() / 2, input.len() - 1, 40] {
        let error = process(&input[..cut], &PhotoLimits::default()).unwrap_err();
        assert!(
            matches!(error, MediaError::Undecodable(_)),
            "cut at {cut}: {error:?}"
        );
    }
}

#[test]
fn truncated_webp_is_undecodable() {
    let input = fixtures::webp(64, 64);
    let error = process(&input[..input.len() / 2], &PhotoLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Undecodable(_)), "{error:?}");
}

#[test]
fn trailing_bytes_after_a_complete_jpeg_are_tolerated() {
    // Some cameras append vendor data after the end-of-image marker.
    let mut input = fixtures::jpeg(32, 32);
    input.extend_from_slice(b"vendor trailer");
    let photo = process(&input, &PhotoLimits::default()).unwrap();
    assert_eq!(photo.variants[0].width, 32);
}

#[test]
fn png_bomb_is_refused_from_its_header() {
    let bomb = fixtures::png_bomb();
    assert!(bomb.len() < 100 * 1024, "bomb is {} bytes", bomb.len());
    // The fixture is a well-formed PNG header (CRCs included) claiming 60000x60000.
    let claimed = image::ImageReader::new(Cursor::new(&bomb))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap();
    assert_eq!(claimed, (fixtures::PNG_BOMB_SIDE, fixtures::PNG_BOMB_SIDE));

    let started = Instant::now();
    let error = process(&bomb, &PhotoLimits::default()).unwrap_err();
    let elapsed = started.elapsed();
    match error {
        MediaError::TooManyPixels {
            width,
            height,
            max_pixels,
        } => {
            assert_eq!((width, height), (60_000, 60_000));
            assert_eq!(max_pixels, 40_000_000);
        }
        other => panic!("expected TooManyPixels, got {other:?}"),
    }
    // Decoding (or merely allocating 10.8 GB) would take far longer than this.
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[test]
fn the_pixel_limit_is_decided_before_decoding() {
    // 100x100 is 10 000 pixels: over a 5 000 pixel limit, though tiny.
    let limits = PhotoLimits {
        max_pixels: 5_000,
        ..PhotoLimits::default()
    };
    let error = process(&fixtures::png(100, 100, false), &limits).unwrap_err();
    assert!(
        matches!(
            error,
            MediaError::TooManyPixels {
                width: 100,
                height: 100,
                max_pixels: 5_000
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.code(), "photo_too_many_pixels");
}

#[test]
fn too_many_bytes_are_refused() {
    let input = fixtures::png(64, 64, false);
    let limits = PhotoLimits {
        max_bytes: input.len() - 1,
        ..PhotoLimits::default()
    };
    let error = process(&input, &limits).unwrap_err();
    assert!(
        matches!(error, MediaError::TooLarge { size, max } if size == input.len() && max == input.len() - 1),
        "{error:?}"
    );
    assert_eq!(error.code(), "photo_too_large");
    // Exactly at the limit is fine.
    let limits = PhotoLimits {
        max_bytes: input.len(),
        ..PhotoLimits::default()
    };
    assert!(process(&input, &limits).is_ok());

    // The default limit is 15 MiB, checked before anything else.
    let huge = vec![0u8; 15 * 1024 * 1024 + 1];
    assert!(matches!(
        process(&huge, &PhotoLimits::default()),
        Err(MediaError::TooLarge { .. })
    ));
}

#[test]
fn a_side_over_max_side_is_refused() {
    let limits = PhotoLimits {
        max_side: 200,
        ..PhotoLimits::default()
    };
    for (width, height) in [(201, 10), (10, 201)] {
        let error = process(&fixtures::png(width, height, false), &limits).unwrap_err();
        assert!(
            matches!(error, MediaError::TooManyPixels { width: w, height: h, .. } if (w, h) == (width, height)),
            "{width}x{height}: {error:?}"
        );
    }
    assert!(process(&fixtures::png(200, 10, false), &limits).is_ok());
}

// -------------------------------------------------------- formats and sizes

#[test]
fn png_with_alpha_stays_png() {
    let photo = process(&fixtures::png(64, 32, true), &PhotoLimits::default()).unwrap();
    assert_eq!(photo.source_format, SourceFormat::Png);
    for variant in &photo.variants {
        assert_eq!(variant.content_type, "image/png");
        assert_eq!(variant.extension, "png");
        assert!(variant.bytes.starts_with(b"\x89PNG"));
    }
    let full = decode(&photo.variants[0]);
    assert!(full.color().has_alpha());
    let rgba = full.to_rgba8();
    assert_eq!(rgba.get_pixel(5, 5).0[3], 128, "transparency is kept");
    assert_eq!(rgba.get_pixel(60, 5).0[3], 255);
}

#[test]
fn png_without_alpha_becomes_jpeg() {
    let photo = process(&fixtures::png(64, 32, false), &PhotoLimits::default()).unwrap();
    assert_eq!(photo.source_format, SourceFormat::Png);
    for variant in &photo.variants {
        assert_eq!(variant.content_type, "image/jpeg");
        assert_eq!(variant.extension, "jpg");
        assert!(variant.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    }
}

#[test]
fn webp_becomes_jpeg() {
    let input = fixtures::webp(120, 80);
    let photo = process(&input, &PhotoLimits::default()).unwrap();
    assert_eq!(photo.source_format, SourceFormat::WebP);
    assert_eq!(
        sizes(&photo),
        [("full", 120, 80), ("medium", 120, 80), ("small", 120, 80)]
    );
    for variant in &photo.variants {
        assert_eq!(variant.content_type, "image/jpeg");
        assert_eq!(variant.extension, "jpg");
        assert_eq!(
            image::guess_format(&variant.bytes).unwrap(),
            image::ImageFormat::Jpeg
        );
    }
    assert_declared_sizes_are_real(&photo);
}

#[test]
fn a_large_photo_gets_three_sizes() {
    let photo = process(&fixtures::jpeg(3000, 1500), &PhotoLimits::default()).unwrap();
    assert_eq!(
        sizes(&photo),
        [
            ("full", 2560, 1280),
            ("medium", 800, 400),
            ("small", 320, 160)
        ]
    );
    assert_declared_sizes_are_real(&photo);
    // The colours survive the resampling: red on the left, blue on the right.
    let small = decode(&photo.variants[2]).to_rgb8();
    assert!(small.get_pixel(40, 80).0[0] > 150);
    assert!(small.get_pixel(280, 80).0[2] > 150);
}

#[test]
fn a_portrait_photo_keeps_its_aspect_ratio() {
    let photo = process(&fixtures::png(300, 900, false), &PhotoLimits::default()).unwrap();
    assert_eq!(
        sizes(&photo),
        [
            ("full", 300, 900),
            ("medium", 267, 800),
            ("small", 107, 320)
        ]
    );
    assert_declared_sizes_are_real(&photo);
}

#[test]
fn small_photos_are_never_upscaled() {
    let photo = process(&fixtures::jpeg(200, 100), &PhotoLimits::default()).unwrap();
    assert_eq!(
        sizes(&photo),
        [
            ("full", 200, 100),
            ("medium", 200, 100),
            ("small", 200, 100)
        ]
    );
    assert_declared_sizes_are_real(&photo);

    let photo = process(&fixtures::png(300, 300, false), &PhotoLimits::default()).unwrap();
    assert_eq!(
        sizes(&photo),
        [
            ("full", 300, 300),
            ("medium", 300, 300),
            ("small", 300, 300)
        ]
    );
}

#[test]
fn jpeg_quality_is_applied() {
    let input = fixtures::png(400, 300, false);
    let low = process(
        &input,
        &PhotoLimits {
            jpeg_quality: 20,
            ..PhotoLimits::default()
        },
    )
    .unwrap();
    let high = process(
        &input,
        &PhotoLimits {
            jpeg_quality: 100,
            ..PhotoLimits::default()
        },
    )
    .unwrap();
    assert!(low.variants[0].bytes.len() < high.variants[0].bytes.len());
}

#[test]
fn error_codes_are_stable() {
    let cases = [
        (MediaError::TooLarge { size: 2, max: 1 }, "photo_too_large"),
        (MediaError::NotAnImage, "not_an_image"),
        (
            MediaError::TooManyPixels {
                width: 1,
                height: 1,
                max_pixels: 0,
            },
            "photo_too_many_pixels",
        ),
        (MediaError::Undecodable("x".into()), "photo_undecodable"),
        (MediaError::Storage("x".into()), "storage_unavailable"),
        (MediaError::NotFound, "not_found"),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code, "{error}");
    }
}

#[test]
fn fixture_helpers_work() {
    assert_eq!(fixtures::crc32(b"IEND"), 0xAE42_6082);
    assert_eq!(fixtures::crc32(b"123456789"), 0xCBF4_3926);
    assert!(!fixtures::has_exif(&fixtures::jpeg(8, 8)));
    assert_eq!(fixtures::jpeg_app_segments(&fixtures::jpeg(8, 8)), [0xE0]);
    assert!(fixtures::jpeg_app_segments(b"not a jpeg").is_empty());
    assert_eq!(
        fixtures::png_chunks(&fixtures::png_bomb()),
        ["IHDR", "IDAT", "IEND"]
    );
    assert_eq!(
        image::guess_format(&fixtures::webp(4, 4)).unwrap(),
        image::ImageFormat::WebP
    );
}

// ------------------------------------------------------------------ storage

#[test]
fn keys_are_validated() {
    let id = uuid::Uuid::now_v7();
    for good in [
        format!("photos/{id}/full.jpg"),
        format!("photos/{id}/medium.png"),
        format!("photos/{id}/small.jpg"),
    ] {
        assert!(is_valid_key(&good), "{good}");
    }
    let upper = id.hyphenated().to_string().to_uppercase();
    let simple = id.simple().to_string();
    for bad in [
        "../etc/passwd".to_owned(),
        "photos/x/full.jpg".to_owned(),
        format!("photos/{id}/../full.jpg"),
        format!("photos/{id}/full.jpg/"),
        format!("/photos/{id}/full.jpg"),
        format!("photos/{id}/huge.jpg"),
        format!("photos/{id}/full.gif"),
        format!("photos/{id}/full.jpeg"),
        format!("photos/{id}/full"),
        format!("photos/{id}/full.jpg.png"),
        format!("photos/{upper}/full.jpg"),
        format!("photos/{simple}/full.jpg"),
        format!("photos/{id}/sub/full.jpg"),
        format!("other/{id}/full.jpg"),
        format!("photos/{id}"),
        String::new(),
    ] {
        assert!(!is_valid_key(&bad), "{bad}");
    }
}

#[test]
fn content_types_come_from_the_extension() {
    assert_eq!(content_type_of("photos/a/full.jpg"), Some("image/jpeg"));
    assert_eq!(content_type_of("photos/a/small.png"), Some("image/png"));
    assert_eq!(content_type_of("photos/a/full.gif"), None);
    assert_eq!(content_type_of("photos/a/full"), None);
    assert_eq!(content_type_of(""), None);
}

async fn round_trip(store: &PhotoStore) {
    let photo = process(&fixtures::jpeg_with_gps(900, 600), &PhotoLimits::default()).unwrap();
    let id = uuid::Uuid::now_v7();
    assert!(store.list("").await.unwrap().is_empty());

    let stored = store.put_photo(id, &photo).await.unwrap();
    let keys: Vec<String> = stored.iter().map(|s| s.key.clone()).collect();
    assert_eq!(
        keys,
        [
            format!("photos/{id}/full.jpg"),
            format!("photos/{id}/medium.jpg"),
            format!("photos/{id}/small.jpg"),
        ]
    );
    for (stored, variant) in stored.iter().zip(&photo.variants) {
        assert_eq!(stored.name, variant.name);
        assert_eq!(stored.content_type, variant.content_type);
        assert_eq!(
            (stored.width, stored.height),
            (variant.width, variant.height)
        );
        assert_eq!(stored.size, variant.bytes.len() as u64);
        assert!(is_valid_key(&stored.key));
        assert_eq!(content_type_of(&stored.key), Some(stored.content_type));
        assert_eq!(store.get(&stored.key).await.unwrap(), variant.bytes);
    }

    assert_eq!(store.list("").await.unwrap(), keys);
    // A "directory" is not an object.
    for prefix in [format!("photos/{id}"), "photos".to_owned()] {
        let result = store.get(&prefix).await;
        assert!(
            matches!(result, Err(MediaError::NotFound)),
            "{prefix}: {result:?}"
        );
    }
    assert_eq!(store.list(&format!("photos/{id}")).await.unwrap(), keys);
    assert_eq!(store.list(&format!("photos/{id}/")).await.unwrap(), keys);
    assert!(
        store
            .list(&format!("photos/{}", uuid::Uuid::now_v7()))
            .await
            .unwrap()
            .is_empty()
    );

    store.delete(&keys).await.unwrap();
    assert!(store.list("").await.unwrap().is_empty());
    for key in &keys {
        assert!(matches!(store.get(key).await, Err(MediaError::NotFound)));
    }
    // Deleting again (missing keys) is fine.
    store.delete(&keys).await.unwrap();
    store.delete(&[]).await.unwrap();
}

#[tokio::test]
async fn local_store_round_trip() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().join("not").join("yet").join("there");
    let store = PhotoStore::open(&StorageConfig::Local { dir: root.clone() }).unwrap();
    assert!(root.is_dir(), "the directory is created");
    round_trip(&store).await;
}

#[tokio::test]
async fn local_store_writes_files_under_its_directory() {
    let dir = tempfile::TempDir::new().unwrap();
    let store = PhotoStore::open(&StorageConfig::Local {
        dir: dir.path().to_owned(),
    })
    .unwrap();
    let photo = process(&fixtures::png(40, 40, true), &PhotoLimits::default()).unwrap();
    let id = uuid::Uuid::now_v7();
    let stored = store.put_photo(id, &photo).await.unwrap();
    let on_disk = std::fs::read(dir.path().join(&stored[0].key)).unwrap();
    assert_eq!(on_disk, photo.variants[0].bytes);
    assert_eq!(stored[0].key, format!("photos/{id}/full.png"));
}

#[tokio::test]
async fn memory_store_round_trip() {
    round_trip(&PhotoStore::in_memory()).await;
}

#[tokio::test]
async fn stored_objects_carry_their_content_type() {
    use object_store::ObjectStoreExt;

    let store = PhotoStore::in_memory();
    let photo = process(&fixtures::png(40, 40, true), &PhotoLimits::default()).unwrap();
    let stored = store.put_photo(uuid::Uuid::now_v7(), &photo).await.unwrap();
    for variant in &stored {
        let path = object_store::path::Path::parse(&variant.key).unwrap();
        let object = store.object_store().get(&path).await.unwrap();
        let content_type = object
            .attributes
            .get(&object_store::Attribute::ContentType)
            .map(|v| v.as_ref().to_owned());
        assert_eq!(
            content_type.as_deref(),
            Some("image/png"),
            "{}",
            variant.key
        );
    }
}

#[tokio::test]
async fn missing_and_impossible_keys_are_not_found() {
    let dir = tempfile::TempDir::new().unwrap();
    let local = PhotoStore::open(&StorageConfig::Local {
        dir: dir.path().to_owned(),
    })
    .unwrap();
    let missing = format!("photos/{}/full.jpg", uuid::Uuid::now_v7());
    for store in [local, PhotoStore::in_memory()] {
        for key in [missing.as_str(), "../etc/passwd", "photos//full.jpg", ""] {
            let result = store.get(key).await;
            assert!(
                matches!(result, Err(MediaError::NotFound)),
                "{key}: {result:?}"
            );
        }
        store
            .delete(&[missing.clone(), "../etc/passwd".into()])
            .await
            .unwrap();
    }
}

#[test]
fn debug_output_never_shows_the_secret_key() {
    let config = StorageConfig::S3 {
        bucket: "souk-photos".into(),
        region: "eu-west-3".into(),
        endpoint: Some("http://127.0.0.1:9000".into()),
        access_key_id: Some("AKIDEXAMPLE".into()),
        secret_access_key: Some("wJalrXUtnFEMI-very-secret".into()),
        allow_http: true,
    };
    let shown = format!("{config:?}");
    assert!(shown.contains("souk-photos"), "{shown}");
    assert!(!shown.contains("very-secret"), "{shown}");

    // Opening an S3 store contacts nothing.
    let store = PhotoStore::open(&config).unwrap();
    let shown = format!("{store:?}");
    assert!(shown.contains("souk-photos"), "{shown}");
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(!shown.contains("AKIDEXAMPLE"), "{shown}");
}

/// An object store that refuses to store one particular file.
#[derive(Debug)]
struct FailingStore {
    inner: object_store::memory::InMemory,
    refuse_suffix: &'static str,
}

impl std::fmt::Display for FailingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FailingStore")
    }
}

#[async_trait::async_trait]
impl object_store::ObjectStore for FailingStore {
    async fn put_opts(
        &self,
        location: &object_store::path::Path,
        payload: object_store::PutPayload,
        opts: object_store::PutOptions,
    ) -> object_store::Result<object_store::PutResult> {
        if location.as_ref().ends_with(self.refuse_suffix) {
            return Err(object_store::Error::Generic {
                store: "FailingStore",
                source: "disk full".into(),
            });
        }
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &object_store::path::Path,
        opts: object_store::PutMultipartOptions,
    ) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &object_store::path::Path,
        options: object_store::GetOptions,
    ) -> object_store::Result<object_store::GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: futures::stream::BoxStream<
            'static,
            object_store::Result<object_store::path::Path>,
        >,
    ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::path::Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> object_store::Result<object_store::ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &object_store::path::Path,
        to: &object_store::path::Path,
        options: object_store::CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[tokio::test]
async fn a_failed_put_leaves_nothing_behind() {
    let store = PhotoStore::with_object_store(Arc::new(FailingStore {
        inner: object_store::memory::InMemory::new(),
        refuse_suffix: "small.jpg",
    }));
    let photo = process(&fixtures::jpeg(400, 300), &PhotoLimits::default()).unwrap();
    let error = store
        .put_photo(uuid::Uuid::now_v7(), &photo)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, MediaError::Storage(m) if m.contains("disk full")),
        "{error:?}"
    );
    assert_eq!(error.code(), "storage_unavailable");
    assert!(
        store.list("").await.unwrap().is_empty(),
        "full and medium were removed"
    );
}

#[tokio::test]
async fn a_store_exported_to_a_folder_comes_back_whole_in_another() {
    let source = PhotoStore::in_memory();
    let photo = crate::process(
        &crate::fixtures::png(400, 300, true),
        &crate::PhotoLimits::default(),
    )
    .unwrap();
    let id = uuid::Uuid::now_v7();
    let stored = source.put_photo(id, &photo).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(source.export_to(dir.path()).await.unwrap(), 3);

    let target = PhotoStore::in_memory();
    assert_eq!(target.import_from(dir.path()).await.unwrap(), 3);
    for variant in &stored {
        assert_eq!(
            target.get(&variant.key).await.unwrap(),
            source.get(&variant.key).await.unwrap()
        );
    }
    // A stray file is refused before anything is stored.
    std::fs::write(dir.path().join("photos").join("notes.txt"), b"x").unwrap();
    let empty = PhotoStore::in_memory();
    assert!(empty.import_from(dir.path()).await.is_err());
    assert!(empty.list("").await.unwrap().is_empty());
}
