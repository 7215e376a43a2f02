//! Rendering PDFs with a real renderer (Poppler's pdftoppm), and reading QR codes off the pages.
//! A missing pdftoppm skips on a laptop and fails under CI.

use std::process::Command;

/// The QR codes a label sheet shows, read from its pages rendered at 300 dpi, cell by cell (the
/// sheet is 3 × 8 stickers of 70 × 37 mm, 0.5 mm from the top; each code sits in the sticker's
/// left 30 mm). `None` when pdftoppm is missing outside CI.
pub(crate) async fn qr_codes_on_sheet(pdf: &[u8]) -> Option<Vec<String>> {
    let probe = Command::new("pdftoppm")
        .arg("-v")
        .output()
        .map_err(|e| e.to_string())
        .map(|_| ());
    if !souk_testkit::require("pdftoppm", "poppler-utils", probe, souk_testkit::ci()) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let input = dir.path().join("sheet.pdf");
    std::fs::write(&input, pdf).unwrap_or_else(|e| panic!("{e}"));
    let rendered = tokio::process::Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png"])
        .arg(&input)
        .arg(dir.path().join("page"))
        .output()
        .await
        .unwrap_or_else(|e| panic!("pdftoppm: {e}"));
    assert!(
        rendered.status.success(),
        "pdftoppm could not open the sheet: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "pdftoppm rendered no page");
    let px = |mm: f32| (mm * 300.0 / 25.4) as u32;
    let mut codes = Vec::new();
    for page in pages {
        let image = image::open(&page)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_luma8();
        for cell in 0..24 {
            let (col, row) = ((cell % 3) as f32, (cell / 3) as f32);
            let (x, y) = (px(col * 70.0 + 1.0), px(0.5 + row * 37.0 + 2.0));
            let crop = image::imageops::crop_imm(&image, x, y, px(30.0), px(33.0)).to_image();
            let mut prepared = rqrr::PreparedImage::prepare(crop);
            for grid in prepared.detect_grids() {
                let (_, content) = grid.decode().unwrap_or_else(|e| panic!("cell {cell}: {e}"));
                codes.push(content);
            }
        }
    }
    Some(codes)
}
