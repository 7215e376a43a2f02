//! Printing labels: the QR code of a label's link as PNG or SVG, and a batch's A4 sheet of
//! stickers (3 × 8 labels of 70 × 37 mm, the common sticker-sheet format), each with its QR
//! code, its short code and the brand's name.
//!
//! QR codes use error correction level M (15% of the code may be scratched off). Each code is
//! drawn in the PDF as a 1-bit image, one pixel per module, with interpolation off: printers
//! render it crisp at any resolution, and a 10,000-label batch stays a few megabytes.

use std::collections::BTreeMap;

use printpdf::{
    BuiltinFont, Color, DictItem, ExternalStream, ExternalXObject, Greyscale, Mm, Op, PaintMode,
    PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, PdfWarnMsg, Point, Pt, Px, Rect, TextItem,
    XObjectTransform,
};
use qrcode::{Color as Module, EcLevel, QrCode, render::svg};
use souk_db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    Labels, LabelsError,
    issue::{BatchLabel, link_of},
    serial::Serial,
};

/// Modules of white around a code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

pub(crate) fn qr_code(url: &str) -> Result<QrCode, LabelsError> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| LabelsError::Print(format!("QR code: {e}")))
}

/// The QR code as a PNG, `module_px` pixels per module, with its quiet zone.
pub(crate) fn png(url: &str, module_px: u32) -> Result<Vec<u8>, LabelsError> {
    let image = qr_code(url)?
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(module_px, module_px)
        .build();
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| LabelsError::Print(format!("PNG: {e}")))?;
    Ok(png)
}

/// The QR code as an SVG document that scales to whatever size it is given.
pub(crate) fn svg(url: &str) -> Result<String, LabelsError> {
    let code = qr_code(url)?;
    let svg = code
        .render::<svg::Color>()
        .quiet_zone(true)
        .module_dimensions(1, 1)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(svg)
}

/// The code's modules with its quiet zone, as 1-bit rows (MSB first, 1 = white, rows padded to
/// whole bytes): a PDF DeviceGray image with one bit per component.
fn bitmap(code: &QrCode) -> (usize, Vec<u8>) {
    let width = code.width();
    let side = width + 2 * QUIET_ZONE;
    let row_bytes = side.div_ceil(8);
    let mut bits = vec![0xffu8; row_bytes * side];
    let colors = code.to_colors();
    for y in 0..width {
        for x in 0..width {
            if colors[y * width + x] == Module::Dark {
                let (px, py) = (x + QUIET_ZONE, y + QUIET_ZONE);
                bits[py * row_bytes + px / 8] &= !(0x80 >> (px % 8));
            }
        }
    }
    (side, bits)
}

fn image_xobject(code: &QrCode) -> ExternalXObject {
    let (side, bits) = bitmap(code);
    let side_i64 = i64::try_from(side).unwrap_or(i64::MAX);
    let mut dict = BTreeMap::new();
    for (key, value) in [
        ("Type", DictItem::Name(b"XObject".to_vec())),
        ("Subtype", DictItem::Name(b"Image".to_vec())),
        ("ColorSpace", DictItem::Name(b"DeviceGray".to_vec())),
        ("BitsPerComponent", DictItem::Int(1)),
        ("Width", DictItem::Int(side_i64)),
        ("Height", DictItem::Int(side_i64)),
        ("Interpolate", DictItem::Bool(false)),
    ] {
        dict.insert(key.to_owned(), value);
    }
    ExternalXObject {
        stream: ExternalStream {
            dict,
            content: bits,
            compress: true,
        },
        width: Some(Px(side)),
        height: Some(Px(side)),
        dpi: None,
    }
}

/// Sheet geometry, in millimetres.
pub(crate) mod sheet {
    pub const PAGE_W: f32 = 210.0;
    pub const PAGE_H: f32 = 297.0;
    pub const COLUMNS: usize = 3;
    pub const ROWS: usize = 8;
    pub const CELL_W: f32 = 70.0;
    pub const CELL_H: f32 = 37.0;
    /// Top and bottom margin: (297 - 8 × 37) / 2.
    pub const MARGIN_Y: f32 = 0.5;
    /// The QR code with its quiet zone; the code itself is about 20 mm wide.
    pub const QR: f32 = 24.0;
    pub const PAD: f32 = 3.0;
    pub const PER_PAGE: usize = COLUMNS * ROWS;

    /// Lower-left corner of cell `i` on its page (PDF coordinates start bottom left).
    pub fn cell_origin(i: usize) -> (f32, f32) {
        let (col, row) = (i % COLUMNS, i / COLUMNS);
        let x = col as f32 * CELL_W;
        let y = PAGE_H - MARGIN_Y - (row + 1) as f32 * CELL_H;
        (x, y)
    }
}

fn text(font: BuiltinFont, size: f32, x: f32, y: f32, value: String) -> [Op; 4] {
    [
        Op::StartTextSection,
        Op::SetFont {
            font: PdfFontHandle::Builtin(font),
            size: Pt(size),
        },
        Op::SetTextCursor {
            pos: Point::new(Mm(x), Mm(y)),
        },
        Op::ShowText {
            items: vec![TextItem::Text(value)],
        },
    ]
}

/// A sheet of stickers for these labels, in order.
pub(crate) fn sheet_pdf(
    title: &str,
    brand: &str,
    verify_at: &str,
    labels: &[BatchLabel],
) -> Result<Vec<u8>, LabelsError> {
    use sheet::*;
    let mut doc = PdfDocument::new(title);
    let black = Color::Greyscale(Greyscale {
        percent: 0.0,
        icc_profile: None,
    });
    let grey = Color::Greyscale(Greyscale {
        percent: 0.75,
        icc_profile: None,
    });
    let mut pages = Vec::new();
    for chunk in labels.chunks(PER_PAGE) {
        let mut ops = vec![
            Op::SetFillColor { col: black.clone() },
            Op::SetOutlineColor { col: grey.clone() },
            Op::SetOutlineThickness { pt: Pt(0.2) },
        ];
        for (i, label) in chunk.iter().enumerate() {
            let (x, y) = cell_origin(i);
            let code = qr_code(&label.url)?;
            let modules = code.width() + 2 * QUIET_ZONE;
            let id = doc.add_xobject(&image_xobject(&code));
            let qr_y = y + (CELL_H - QR) / 2.0;
            ops.push(Op::UseXobject {
                id,
                transform: XObjectTransform {
                    translate_x: Some(Mm(x + PAD).into_pt()),
                    translate_y: Some(Mm(qr_y).into_pt()),
                    // `modules` pixels drawn QR millimetres wide.
                    dpi: Some(modules as f32 * 25.4 / QR),
                    ..Default::default()
                },
            });
            // A cut guide around the sticker, for printers without die-cut sheets.
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Mm(x + 1.0).into_pt(),
                    y: Mm(y + 1.0).into_pt(),
                    width: Mm(CELL_W - 2.0).into_pt(),
                    height: Mm(CELL_H - 2.0).into_pt(),
                    mode: Some(PaintMode::Stroke),
                    winding_order: None,
                },
            });
            let tx = x + PAD + QR + 2.0;
            ops.extend(text(
                BuiltinFont::HelveticaBold,
                8.0,
                tx,
                y + CELL_H - 9.0,
                brand.to_owned(),
            ));
            ops.push(Op::EndTextSection);
            ops.extend(text(
                BuiltinFont::Helvetica,
                6.5,
                tx,
                y + CELL_H - 13.5,
                "Label / Étiquette".to_owned(),
            ));
            ops.push(Op::EndTextSection);
            ops.extend(text(
                BuiltinFont::CourierBold,
                11.0,
                tx,
                y + CELL_H / 2.0 - 3.0,
                label.serial.short_code(),
            ));
            ops.push(Op::EndTextSection);
            ops.extend(text(
                BuiltinFont::Helvetica,
                5.5,
                tx,
                y + 5.0,
                verify_at.to_owned(),
            ));
            ops.push(Op::EndTextSection);
        }
        pages.push(PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops));
    }
    let mut warnings: Vec<PdfWarnMsg> = Vec::new();
    let bytes = doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings);
    Ok(bytes)
}

impl Labels {
    /// A label's QR code as a PNG (8 pixels a module) or SVG: for whoever may print it.
    pub async fn qr(
        &self,
        principal: &souk_auth::Principal,
        serial: &str,
        format: QrFormat,
    ) -> Result<Vec<u8>, LabelsError> {
        let serial = Serial::parse(serial).ok_or(LabelsError::NotFound("label"))?;
        let row = souk_db::entities::labels::Entity::find()
            .filter(souk_db::entities::labels::Column::Serial.eq(serial.as_str()))
            .one(self.db())
            .await?
            .ok_or(LabelsError::NotFound("label"))?;
        self.require_printer(principal, souk_kernel::ProductId::from_uuid(row.product_id))
            .await?;
        let url = link_of(&row)?.to_url(&self.inner.settings.base_url);
        match format {
            QrFormat::Png => png(&url, 8),
            QrFormat::Svg => svg(&url).map(String::into_bytes),
        }
    }

    /// A batch's printable sheet (PDF).
    pub async fn sheet(
        &self,
        principal: &souk_auth::Principal,
        batch: souk_kernel::LabelBatchId,
    ) -> Result<Vec<u8>, LabelsError> {
        let info = self.batch(principal, batch).await?;
        let labels = self
            .labels_of_batch(batch, None, u64::from(info.count))
            .await?;
        let brand = self.inner.settings.brand_name.clone();
        let host = self
            .inner
            .settings
            .base_url
            .split("://")
            .nth(1)
            .unwrap_or(&self.inner.settings.base_url)
            .to_owned();
        let title = format!("{brand} labels {batch}");
        let slot = self.inner.settings.work.take().await?;
        tokio::task::spawn_blocking(move || {
            let sheet = sheet_pdf(&title, &brand, &host, &labels);
            drop(slot);
            sheet
        })
        .await
        .map_err(|e| LabelsError::Print(e.to_string()))?
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrFormat {
    Png,
    Svg,
}
