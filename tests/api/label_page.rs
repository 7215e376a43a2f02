//! The page a label's QR code opens, in headless Chromium: the verdict at once, right to left in
//! Arabic and left to right in French, with the item, its maker and its certification. A
//! screenshot of each is kept in `target/test-artifacts/`.

use souk_api_tests::Env;

use crate::{
    browser::Browser,
    labels::{labelled, path_of},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_page_shows_the_verdict_right_to_left_in_arabic_and_in_french() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let env = Env::sqlite().await;
    let app = env.spawn().await;
    let l = labelled(&env, &app, "potter", None, 1).await;
    let page = app.url(&format!("/verify{}", path_of(&l.links[0])));

    browser.open(&format!("{page}&lang=ar")).await;
    let direction = browser
        .script("return getComputedStyle(document.documentElement).direction")
        .await;
    assert_eq!(direction, "rtl");
    assert!(browser.text("#verdict h1").await.contains("أصلي"));
    assert!(
        browser
            .text("#certification")
            .await
            .contains("Délégation régionale")
    );
    assert!(browser.text("#maker").await.contains("حسن بناني"));
    // Right to left: the verdict's heading ends at the right edge of the page, not the left.
    let layout = browser
        .script("const r = document.querySelector('#verdict h1').getBoundingClientRect(); return [r.left, r.right, document.documentElement.clientWidth]")
        .await;
    let (left, right, width) = (
        layout[0].as_f64().unwrap_or(0.0),
        layout[1].as_f64().unwrap_or(0.0),
        layout[2].as_f64().unwrap_or(0.0),
    );
    let text_end = browser
        .script("const range = document.createRange(); range.selectNodeContents(document.querySelector('#verdict h1')); const r = range.getBoundingClientRect(); return [r.left, r.right]")
        .await;
    assert!(right > left && width > 0.0);
    assert!(
        text_end[1].as_f64().unwrap_or(0.0) > width - 60.0
            && text_end[0].as_f64().unwrap_or(0.0) > 60.0,
        "Arabic text should hug the right: {text_end} in {width}"
    );
    let png = browser.screenshot("label-page-ar").await;
    assert!(png.starts_with(b"\x89PNG"));

    browser.open(&format!("{page}&lang=fr")).await;
    assert_eq!(
        browser
            .script("return getComputedStyle(document.documentElement).direction")
            .await,
        "ltr"
    );
    assert!(browser.text("#verdict h1").await.contains("Authentique"));
    assert!(browser.text("#status").await.contains("pas encore vendu"));
    let text_start = browser
        .script("const range = document.createRange(); range.selectNodeContents(document.querySelector('#verdict h1')); return range.getBoundingClientRect().left")
        .await;
    assert!(
        text_start.as_f64().unwrap_or(999.0) < 60.0,
        "French text starts on the left: {text_start}"
    );
    browser.screenshot("label-page-fr").await;

    // A forged link, in English: not authentic, at once.
    let forged = page.replacen("&s=", "&s=A", 1);
    browser.open(&format!("{forged}&lang=en")).await;
    assert!(browser.text("#verdict h1").await.contains("Not authentic"));
    browser.screenshot("label-page-en-forged").await;
    browser.close().await;
}
