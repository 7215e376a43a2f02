//! Photo uploads: only real images, never their metadata, and nothing stored when refused.

use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::app_test;
use souk_media::fixtures;

async fn setup(env: &souk_api_tests::Env) -> (souk_api_tests::TestApp, String, String) {
    let app = env.spawn().await;
    let (token, _) = app.artisan("hassan@example.ma").await;
    let product = app
        .product(
            &token,
            json!({"craft": "pottery", "title": {"fr": "Bol"}, "price_minor": 9_000}),
        )
        .await;
    (app, token, product)
}

app_test!(async fn a_jpeg_with_gps_exif_is_stored_with_no_exif_at_all(env) {
    let (app, token, product) = setup(&env).await;
    let original = fixtures::jpeg_with_gps(1200, 900);
    assert!(fixtures::has_exif(&original), "the fixture carries EXIF");
    let reply = app.upload(&format!("/v1/products/{product}/photos"), &token, &original).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let variants: Vec<Value> = reply.body["variants"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = variants.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names, ["full", "medium", "small"]);
    assert_eq!((variants[1]["width"].as_u64(), variants[2]["width"].as_u64()), (Some(800), Some(320)));
    for variant in &variants {
        let url = variant["url"].as_str().unwrap_or_default();
        let (status, stored) = app.bytes(url).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert!(stored.starts_with(&[0xFF, 0xD8]), "{url} is a JPEG");
        assert!(!fixtures::has_exif(&stored), "{url} has EXIF");
        let segments = fixtures::jpeg_app_segments(&stored);
        assert!(!segments.contains(&0xE1), "{url} has an APP1 segment: {segments:x?}");
    }
    // And the stored files themselves, read from the disk.
    let files = env.photo_files();
    assert_eq!(files.len(), 3, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!fixtures::has_exif(&bytes), "{file:?}");
    }
    let page = app.get(&format!("/v1/products/{product}")).await;
    assert_eq!(page.body["photos"][0], variants[0]["url"]);
    let listed = app.get(&format!("/v1/products/{product}/photos")).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    // PNG and WebP are welcome too.
    for bytes in [fixtures::png(300, 200, true), fixtures::webp(300, 200)] {
        let reply = app.upload(&format!("/v1/products/{product}/photos"), &token, &bytes).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    // Outside the store's keys there is nothing to read.
    let (status, _) = app.bytes("/media/photos/..%2F..%2Fetc%2Fpasswd").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

app_test!(async fn what_is_not_a_whole_sane_image_is_refused_and_nothing_is_stored(env) {
    let (app, token, product) = setup(&env).await;
    let jpeg = fixtures::jpeg_with_gps(400, 300);
    let truncated = jpeg[..jpeg.len() / 2].to_vec();
    let cases: [(&str, Vec<u8>, StatusCode, &str); 5] = [
        ("text", b"just some text, not a picture".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image"),
        ("pdf", b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image"),
        ("truncated jpeg", truncated, StatusCode::UNPROCESSABLE_ENTITY, "photo_undecodable"),
        ("bomb", fixtures::png_bomb(), StatusCode::UNPROCESSABLE_ENTITY, "photo_too_many_pixels"),
        ("empty", Vec::new(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image"),
    ];
    for (what, bytes, status, code) in cases {
        let reply = app.upload(&format!("/v1/products/{product}/photos"), &token, &bytes).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.body);
        reply.assert_problem(status, code);
    }
    // Past the size bound.
    let small = env.spawn_with(|f| f.merge(figment::providers::Serialized::default("photos.max_upload_bytes", 10_000))).await;
    let mut big = fixtures::jpeg_with_gps(400, 300);
    big.resize(20_000, 0);
    assert!(big.len() > 10_000);
    small.upload(&format!("/v1/products/{product}/photos"), &token, &big).await.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "photo_too_large");
    assert!(env.photo_files().is_empty(), "{:?}", env.photo_files());
    let page = app.get(&format!("/v1/products/{product}")).await;
    assert_eq!(page.body["photos"], json!([]));
    assert_eq!(page.body["version"], 1);
    let listed = app.get(&format!("/v1/products/{product}/photos")).await;
    assert_eq!(listed.body["items"], json!([]));
});

/// A process's peak and current resident memory, in MB, from `/proc`.
fn memory_mb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Twelve uploads at once, six from each of two artisans (each to a product of their own);
/// what was answered, by status.
async fn burst(
    app: &std::sync::Arc<souk_api_tests::TestApp>,
    png: &std::sync::Arc<Vec<u8>>,
    artisans: &[(String, String)],
) -> std::collections::BTreeMap<u16, usize> {
    let mut uploads = Vec::new();
    for (token, product) in artisans {
        for _ in 0..6 {
            let (app, png, token, path) = (
                app.clone(),
                png.clone(),
                token.clone(),
                format!("/v1/products/{product}/photos"),
            );
            uploads.push(tokio::spawn(async move {
                app.upload(&path, &token, &png).await
            }));
        }
    }
    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for upload in uploads {
        let reply = upload.await.unwrap_or_else(|e| panic!("{e}"));
        *answers.entry(reply.status.as_u16()).or_default() += 1;
        match reply.status {
            StatusCode::CREATED => {}
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                assert!(!reply.header("retry-after").is_empty(), "{}", reply.body);
            }
            other => panic!("{other}: {}", reply.body),
        }
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_of_the_costliest_photos_at_once_from_two_accounts_stay_under_600_mb() {
    const GATEWAY: &str = env!("CARGO_BIN_EXE_souk-test-gateway");
    let env = souk_api_tests::Env::sqlite().await;
    let app = std::sync::Arc::new(env.spawn_process(GATEWAY, &[]).await);
    let pid = app
        .pid()
        .unwrap_or_else(|| panic!("the gateway runs as a process"));
    // Just under the pixel limit (40,000,000), 16 bits a channel with alpha.
    let png = std::sync::Arc::new(fixtures::png16(6324, 6324));
    let mut artisans = Vec::new();
    for account in ["hassan@example.ma", "latifa@example.ma"] {
        let (token, _) = app.artisan(account).await;
        let product = app
            .product(
                &token,
                json!({"craft": "pottery", "title": {"fr": "Bol"}, "price_minor": 9_000}),
            )
            .await;
        artisans.push((token, product));
    }
    let (before, _) = memory_mb(pid);
    let first = burst(&app, &png, &artisans).await;
    let (peak, after) = memory_mb(pid);
    // A second burst reuses what the first freed: memory is bounded, not accumulated.
    let second = burst(&app, &png, &artisans).await;
    let (second_peak, second_after) = memory_mb(pid);
    println!(
        "12 uploads of a {} KB 6324x6324 RGBA16 PNG at once, twice: answers {first:?} then {second:?}; \
         gateway RSS {before} MB before, peak {peak} MB ({after} MB after), peak {second_peak} MB after the second burst ({second_after} MB after)",
        png.len() / 1024
    );
    for answers in [&first, &second] {
        assert!(answers.get(&201).copied().unwrap_or(0) >= 2, "{answers:?}");
    }
    assert!(second_peak < 600, "peak RSS {second_peak} MB");
    assert!(
        second_peak <= peak + 50,
        "the second burst took {second_peak} MB, the first {peak} MB"
    );
}

/// Production keeps photos in an S3 bucket: one uploaded through a replica is served by every
/// other, and nothing lands on a replica's own disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_uploaded_through_one_replica_is_served_by_another_from_the_s3_bucket() {
    let Some(env) = souk_api_tests::Env::postgres_and_redis().await else {
        return;
    };
    let Some(s3) = souk_testkit::S3Server::start().await else {
        return;
    };
    let a = env.spawn_with(|f| souk_api_tests::photos_on(&s3, f)).await;
    let b = env.spawn_with(|f| souk_api_tests::photos_on(&s3, f)).await;
    let (token, _) = a.artisan("hassan@example.ma").await;
    let product = a
        .product(
            &token,
            json!({"craft": "pottery", "title": {"fr": "Bol"}, "price_minor": 9_000}),
        )
        .await;
    let original = fixtures::jpeg_with_gps(1200, 900);
    let reply = a
        .upload(&format!("/v1/products/{product}/photos"), &token, &original)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let variants = reply.body["variants"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(variants.len(), 3, "{}", reply.body);
    for variant in &variants {
        let url = variant["url"].as_str().unwrap_or_default();
        let (from_a, bytes_a) = a.bytes(url).await;
        let (from_b, bytes_b) = b.bytes(url).await;
        assert_eq!((from_a, from_b), (StatusCode::OK, StatusCode::OK), "{url}");
        assert!(bytes_b.starts_with(&[0xFF, 0xD8]), "{url} is a JPEG");
        assert_eq!(bytes_a, bytes_b, "{url}");
        assert!(!fixtures::has_exif(&bytes_b), "{url} has EXIF");
    }
    assert!(env.photo_files().is_empty(), "{:?}", env.photo_files());
    // The product page of the other replica lists it too.
    let page = b.get(&format!("/v1/products/{product}")).await;
    assert_eq!(page.body["photos"][0], variants[0]["url"]);
}
