//! Labels against real databases (SQLite and PostgreSQL): issuing, verifying online and offline,
//! key rotation, the clone rule, revocation, the catalog's badge. And the printed forms: QR codes
//! and the PDF sheet, decoded back.

use std::{collections::BTreeMap, time::Duration};

use chrono::{NaiveDate, Utc};
use souk_auth::{AuthService, AuthSettings, NewAccount, PasswordParams, Principal, Role};
use souk_cache::Cache;
use souk_catalog::{ArtisanInput, Catalog, CatalogSettings, Craft, ProductInput, import};
use souk_db::sea_orm::{ConnectionTrait, Statement};
use souk_kernel::{CraftId, Lang, LocalizedText, ProductId};
use souk_testkit::{TestDb, backend_test};

use crate::{
    CertificationFilter, CertificationInput, CertificationScope, CertificationStatus, Channel,
    CloneRule, Keyring, LabelSettings, Labels, LabelsError, NotAuthentic, OfflineVerdict, Scanner,
    Serial, Target, Verdict,
    keys::KeyStatus,
    link::{LabelLink, ProductKey, Signed, SignedPart},
    offline,
    print::{self, sheet},
};

struct Fixture {
    db: TestDb,
    cache: Cache,
    catalog: Catalog,
    labels: Labels,
    certifier: Principal,
    artisan: Principal,
    dir: tempfile::TempDir,
}

fn text(pairs: &[(Lang, &str)]) -> BTreeMap<Lang, String> {
    pairs.iter().map(|(l, s)| (*l, (*s).to_owned())).collect()
}

fn settings(dir: &std::path::Path, keyring: &str) -> LabelSettings {
    LabelSettings {
        base_url: "https://label.example.ma".into(),
        brand_name: "Fès-Meknès Handmade".into(),
        keyring: dir.join(keyring),
        create_keyring: true,
        max_batch: 10_000,
        verify_per_minute: 100_000,
        reports_per_hour: 100,
        clones: CloneRule {
            max_devices: 20,
            max_places: 5,
            max_devices_after_sale: 3,
            window: Duration::from_secs(90 * 86_400),
        },
        work: souk_kernel::WorkSlots::default(),
    }
}

fn scanner(device: &str) -> Scanner {
    Scanner {
        principal: None,
        device_hint: Some(device.to_owned()),
        user_agent: "test".into(),
        client_addr: "196.200.10.1".into(),
        place_hint: None,
        channel: Channel::Api,
    }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

impl Fixture {
    async fn new(db: TestDb) -> Fixture {
        let cache = Cache::in_process("labels-test", Duration::from_secs(60), 1_000);
        let catalog = Catalog::new(db.conn.clone(), cache.clone(), CatalogSettings::default());
        let auth = ok(AuthService::new(
            db.conn.clone(),
            cache.clone(),
            AuthSettings {
                password: PasswordParams {
                    memory_kib: 64,
                    iterations: 1,
                    parallelism: 1,
                },
                ..AuthSettings::default()
            },
        ));
        let crafts: Vec<Craft> = [("pottery", "Poterie"), ("zellige", "Zellige")]
            .iter()
            .enumerate()
            .map(|(i, (slug, fr))| Craft {
                id: CraftId::new(),
                slug: (*slug).into(),
                parent: None,
                name: LocalizedText::from_pairs([(Lang::Fr, *fr)]),
                position: i32::try_from(i).unwrap_or(0),
                retired_at: None,
            })
            .collect();
        ok(import::crafts(&catalog, &crafts).await);
        let certifier = ok(auth
            .appoint(NewAccount {
                email: "delegation@artisanat.ma".into(),
                password: "a long passphrase".into(),
                display_name: "Délégation régionale de l'artisanat".into(),
                role: Role::Certifier,
                lang: souk_kernel::Lang::Fr,
            })
            .await);
        let (account, _) = ok(catalog
            .register_artisan(
                &auth,
                NewAccount {
                    email: "potter@example.ma".into(),
                    password: "a long passphrase".into(),
                    display_name: "Hassan".into(),
                    role: Role::Artisan,
                    lang: souk_kernel::Lang::Fr,
                },
                ArtisanInput {
                    name: text(&[(Lang::Ar, "حسن بناني"), (Lang::Fr, "Hassan Bennani")]),
                    commune: "Fès".into(),
                    crafts: vec!["pottery".into()],
                    ..ArtisanInput::default()
                },
            )
            .await);
        let dir = ok(tempfile::tempdir());
        let labels = ok(Labels::new(
            db.conn.clone(),
            cache.clone(),
            catalog.clone(),
            settings(dir.path(), "keys.json"),
        ));
        Fixture {
            db,
            cache,
            catalog,
            labels,
            certifier: Principal {
                account_id: certifier.id,
                role: Role::Certifier,
            },
            artisan: Principal {
                account_id: account.id,
                role: Role::Artisan,
            },
            dir,
        }
    }

    /// The same database and cache, another keyring file (as another replica, or after the
    /// keys were lost).
    fn labels_with(&self, keyring: &str) -> Labels {
        ok(Labels::new(
            self.db.conn.clone(),
            self.cache.clone(),
            self.catalog.clone(),
            settings(self.dir.path(), keyring),
        ))
    }

    async fn product(&self, gtin: Option<&str>) -> ProductId {
        ok(self
            .catalog
            .create_product(
                &self.artisan,
                ProductInput {
                    craft: "pottery".into(),
                    title: text(&[(Lang::Fr, "Tajine émaillé"), (Lang::Ar, "طاجين مزجج")]),
                    price_minor: 45_000,
                    stock: 3,
                    gtin: gtin.map(str::to_owned),
                    ..ProductInput::default()
                },
            )
            .await)
        .id
    }

    fn certification(&self, scope: CertificationScope) -> CertificationInput {
        let today = Utc::now().date_naive();
        CertificationInput {
            scope,
            standard: "Label régional Fès-Meknès — poterie".into(),
            standard_version: "2026.1".into(),
            inspector: "Nadia Berrada".into(),
            inspected_on: today,
            passed: true,
            valid_from: today,
            valid_until: today + chrono::Days::new(730),
            evidence: vec![crate::Evidence {
                kind: "photo".into(),
                reference: "https://archive.example.ma/insp/1.jpg".into(),
            }],
            notes: None,
        }
    }

    /// A certified product and `count` labels issued for it: their links.
    async fn labelled(&self, gtin: Option<&str>, count: u32) -> Vec<String> {
        let product = self.product(gtin).await;
        let cert = ok(self
            .labels
            .certify(
                &self.certifier,
                self.certification(CertificationScope::Product(product)),
            )
            .await);
        let batch = ok(self
            .labels
            .issue(&self.certifier, cert.id, None, count)
            .await);
        ok(self
            .labels
            .batch_labels(&self.certifier, batch.id, None, 100)
            .await)
        .into_iter()
        .map(|l| l.url)
        .collect()
    }

    async fn online(&self, link: &str) -> Verdict {
        let (link, _) = ok(LabelLink::parse(link));
        ok(self.labels.verify(Target::Link(link), &scanner("me")).await).verdict
    }
}

/// The same link with one character of one part changed.
fn changed(url: &str, part: &str) -> String {
    let (link, _) = ok(LabelLink::parse(url));
    let swap = |s: &str, i: usize| {
        let mut chars: Vec<char> = s.chars().collect();
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let mut tampered = link.clone();
    match part {
        "serial" => tampered.serial = swap(&link.serial, 4),
        "signature" => {
            if let Some(s) = tampered.signed.as_mut() {
                s.signature = swap(&s.signature, 40);
            }
        }
        "product" => {
            tampered.product = match &link.product {
                ProductKey::Gtin(g) => {
                    // Another valid GTIN: one digit changed, its check digit made right again.
                    let mut digits: Vec<u8> = g.as_str().bytes().map(|b| b - b'0').collect();
                    digits[7] = (digits[7] + 1) % 10;
                    digits[13] = souk_kernel::Gtin::check_digit(&digits[..13]);
                    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
                    ProductKey::Gtin(ok(text.parse()))
                }
                ProductKey::Brand(code) => ProductKey::Brand(swap(code, 3)),
            }
        }
        _ => panic!("no part {part}"),
    }
    tampered.to_url("https://label.example.ma")
}

backend_test!(async fn a_label_changed_by_one_character_is_not_authentic_online_or_offline(db) {
    let f = Fixture::new(db).await;
    let keys = f.labels.keys_document();
    for gtin in [None, Some("6111234567895")] {
        let links = f.labelled(gtin, 2).await;
        let link = &links[0];
        assert_eq!(f.online(link).await, Verdict::Authentic, "{link}");
        assert!(matches!(ok(offline::verify(link, &keys, None)), OfflineVerdict::Authentic { .. }));
        for part in ["serial", "product", "signature"] {
            let tampered = changed(link, part);
            assert_ne!(&tampered, link);
            assert!(
                matches!(f.online(&tampered).await, Verdict::NotAuthentic(_)),
                "{part} changed, online: {tampered}"
            );
            assert_eq!(
                ok(offline::verify(&tampered, &keys, None)),
                OfflineVerdict::NotAuthentic(NotAuthentic::BadSignature),
                "{part} changed, offline: {tampered}"
            );
        }
        // Another label's signature on this label's fields.
        let (mut mixed, _) = ok(LabelLink::parse(link));
        let (other, _) = ok(LabelLink::parse(&links[1]));
        if let (Some(a), Some(b)) = (mixed.signed.as_mut(), other.signed) {
            a.signature = b.signature;
        }
        let mixed = mixed.to_url("https://label.example.ma");
        assert!(matches!(f.online(&mixed).await, Verdict::NotAuthentic(_)));
        assert_eq!(ok(offline::verify(&mixed, &keys, None)), OfflineVerdict::NotAuthentic(NotAuthentic::BadSignature));
    }
    // A short code typed by hand finds its label; an invented one does not.
    let links = f.labelled(None, 1).await;
    let (link, _) = ok(LabelLink::parse(&links[0]));
    let short = ok(Serial::parse(&link.serial).ok_or("serial")).short_code().to_lowercase();
    let typed = ok(f.labels.verify(Target::Code(short), &scanner("me")).await);
    assert_eq!(typed.verdict, Verdict::Authentic);
    let invented = ok(f.labels.verify(Target::Code("ZZZZZ-ZZZZZ".into()), &scanner("me")).await);
    assert_eq!(invented.verdict, Verdict::NotAuthentic(NotAuthentic::UnknownSerial));
});

backend_test!(async fn a_label_signed_with_a_rotated_out_key_verifies_and_one_signed_with_an_unknown_key_does_not(db) {
    let f = Fixture::new(db).await;
    let old_links = f.labelled(None, 1).await;
    let old_kid = f.labels.keys_document().keys[0].kid.clone();
    // Rotate in two steps. Staged, the next key is trusted by every replica that read the
    // keyring since; activated, it signs, and the old one still verifies.
    let path = f.dir.path().join("keys.json");
    let new_kid = ok(Keyring::stage(&path));
    let staged = f.labels_with("keys.json");
    assert_eq!(ok(Keyring::activate(&path)), new_kid);
    let rotated = f.labels_with("keys.json");
    let keys = rotated.keys_document();
    assert_eq!(keys.keys.len(), 2);
    let (link, _) = ok(LabelLink::parse(&old_links[0]));
    let verified = ok(rotated.verify(Target::Link(link), &scanner("me")).await);
    assert_eq!(verified.verdict, Verdict::Authentic);
    assert_eq!(verified.key_status, Some(KeyStatus::Retired));
    assert!(matches!(
        ok(offline::verify(&old_links[0], &keys, None)),
        OfflineVerdict::Authentic { key_status: KeyStatus::Retired, .. }
    ));
    let product = f.product(None).await;
    let cert = ok(rotated.certify(&f.certifier, f.certification(CertificationScope::Product(product))).await);
    let batch = ok(rotated.issue(&f.certifier, cert.id, None, 1).await);
    assert_eq!(batch.key_id, new_kid);
    assert_ne!(batch.key_id, old_kid);
    // A replica not yet restarted since the key was staged verifies what the new key signed.
    let new_link = ok(rotated.batch_labels(&f.certifier, batch.id, None, 1).await).remove(0).url;
    let (link, _) = ok(LabelLink::parse(&new_link));
    let seen_by_staged = ok(staged.verify(Target::Link(link), &scanner("me")).await);
    assert_eq!(seen_by_staged.verdict, Verdict::Authentic);
    assert_eq!(seen_by_staged.key_status, Some(KeyStatus::Next));

    // A link signed by a key nobody published: not authentic, online or offline.
    let stranger = ok(Keyring::open(&f.dir.path().join("stranger.json"), true));
    let (genuine, _) = ok(LabelLink::parse(&old_links[0]));
    let mut claimed = ok(genuine.claimed().ok_or("unsigned"));
    claimed.key_id = stranger.active_kid().to_owned();
    let forged = LabelLink {
        signed: Some(SignedPart {
            certification: claimed.certification.clone(),
            issued_on: claimed.issued_on,
            key_id: claimed.key_id.clone(),
            signature: stranger.sign(&claimed.message()),
        }),
        ..genuine
    }
    .to_url("https://label.example.ma");
    assert_eq!(ok(offline::verify(&forged, &keys, None)), OfflineVerdict::NotAuthentic(NotAuthentic::UnknownKey));
    assert_eq!(f.online(&forged).await, Verdict::NotAuthentic(NotAuthentic::UnknownKey));
    // Labels whose key is gone from the keyring no longer verify either.
    let lost = f.labels_with("replaced.json");
    f.cache.invalidate(&[&format!("l:{}", claimed.serial)]).await;
    let (link, _) = ok(LabelLink::parse(&old_links[0]));
    let verified = ok(lost.verify(Target::Link(link), &scanner("me")).await);
    assert_eq!(verified.verdict, Verdict::NotAuthentic(NotAuthentic::UnknownKey));
});

backend_test!(async fn the_clone_rule_flags_a_label_scanned_from_many_devices_and_not_one_scanned_again_by_one_buyer(db) {
    let f = Fixture::new(db).await;
    let links = f.labelled(None, 4).await;
    let parse = |i: usize| ok(LabelLink::parse(&links[i])).0;
    // Label 0: 25 phones. Label 1: one buyer, 60 times. Label 2: one phone on 7 networks.
    // Label 3 would be flagged too if a client could name its places: 7 geohashes from one
    // network count as one place.
    for device in 0..25 {
        ok(f.labels.verify(Target::Link(parse(0)), &scanner(&format!("phone-{device}"))).await);
    }
    for _ in 0..60 {
        ok(f.labels.verify(Target::Link(parse(1)), &scanner("the-buyer")).await);
    }
    for (i, place) in ["evdm", "evdk", "ev9p", "ev3h", "eyc2", "u09t", "dr5r"].iter().enumerate() {
        let mut traveller = scanner("traveller");
        traveller.client_addr = format!("41.{}.7.7", 100 + i);
        ok(f.labels.verify(Target::Link(parse(2)), &traveller).await);
        let mut liar = scanner("liar");
        liar.place_hint = Some(format!("{place}x9z"));
        ok(f.labels.verify(Target::Link(parse(3)), &liar).await);
    }
    // Short codes typed by hand and forged links prove no copy: they do not count.
    for device in 0..25 {
        let (link, _) = ok(LabelLink::parse(&changed(&links[1], "signature")));
        ok(f.labels.verify(Target::Link(link), &scanner(&format!("forger-{device}"))).await);
        ok(f.labels.verify(Target::Code(parse(1).serial), &scanner(&format!("typist-{device}"))).await);
    }
    let flushed = ok(f.labels.flush_scans().await);
    assert_eq!(flushed.scans, 25 + 60 + 7 + 7 + 50);
    let serial = |i: usize| parse(i).serial;
    let mut flagged = flushed.flagged.clone();
    flagged.sort();
    let mut expected = vec![serial(0), serial(2)];
    expected.sort();
    assert_eq!(flagged, expected);
    let labels = &f.labels;
    let verdict = |i: usize| {
        let link = parse(i);
        async move { ok(labels.verify(Target::Link(link), &scanner("me")).await) }
    };
    let many = verdict(0).await;
    assert_eq!(many.verdict, Verdict::Authentic, "a suspect label is still ours");
    assert_eq!(many.suspect.as_deref(), Some("many_devices"));
    assert_eq!(verdict(1).await.suspect, None);
    assert_eq!(verdict(2).await.suspect.as_deref(), Some("many_places"));
    assert_eq!(verdict(3).await.suspect, None);
    // A certifier who checked it clears the flag, and its counts start again.
    assert!(matches!(f.labels.clear_suspicion(&f.artisan, &serial(0)).await, Err(LabelsError::Forbidden(_))));
    ok(f.labels.clear_suspicion(&f.certifier, &serial(0)).await);
    assert_eq!(verdict(0).await.suspect, None);
    ok(f.labels.verify(Target::Link(parse(0)), &scanner("phone-0")).await);
    assert_eq!(ok(f.labels.flush_scans().await).flagged, Vec::<String>::new());
    // Every scan is on record, with its place and device hashed: the geohashes, addresses and
    // install ids given are nowhere in the table.
    let rows = ok(f.db.conn.query_all_raw(Statement::from_string(
        f.db.conn.get_database_backend(),
        "SELECT serial, device, place FROM label_scans".to_owned(),
    )).await);
    assert!(rows.len() >= 149);
    let mut places = std::collections::HashSet::new();
    for row in rows {
        let device: String = ok(row.try_get("", "device"));
        let place: String = ok(row.try_get("", "place"));
        assert_eq!(device.len(), 32, "{device}");
        assert!(place.len() == 14 && (place.starts_with("g:") || place.starts_with("n:")), "{place}");
        for raw in ["phone", "buyer", "evdm", "196.200", "41.1"] {
            assert!(!device.contains(raw) && !place.contains(raw), "{raw} stored");
        }
        places.insert(place);
    }
    assert!(places.len() >= 8, "the geohashes given are kept, hashed: {places:?}");
    // Scans are indexed by label when notable: a device or network new to the label, or a link
    // that was not authentic, or any scan of a flagged label. Label 1: the buyer's 60 scans are
    // one, the 25 forgeries 25, the typed codes none, "me" one. Label 0: the 25 phones 25, "me"
    // two (once while flagged, once after the flag was cleared and its counts forgotten), and
    // phone-0 again after the clearing one more.
    let notable = |serial: String| {
        let conn = &f.db.conn;
        async move {
            let row = ok(conn.query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM label_scans WHERE serial = '{serial}' AND notable"),
            )).await);
            row.and_then(|r| r.try_get::<i64>("", "n").ok())
        }
    };
    assert_eq!(notable(serial(1)).await, Some(1 + 25 + 1));
    assert_eq!(notable(serial(0)).await, Some(25 + 2 + 1));
});

backend_test!(async fn a_revoked_label_is_on_the_signed_revocation_list_offline_verifiers_trust(db) {
    let f = Fixture::new(db).await;
    let links = f.labelled(None, 2).await;
    let (revoked, _) = ok(LabelLink::parse(&links[0]));
    let keys = f.labels.keys_document();
    let before = ok(f.labels.revocation_list().await);
    assert!(before.verifies(&keys) && before.revoked.is_empty());
    ok(f.labels.revoke(&f.certifier, &revoked.serial, "stolen from the workshop").await);
    assert!(matches!(
        f.labels.revoke(&f.certifier, &revoked.serial, "again").await,
        Err(LabelsError::AlreadyRevoked)
    ));
    assert!(matches!(
        f.labels.revoke(&f.artisan, &links[1], "not theirs to revoke").await,
        Err(LabelsError::Forbidden(_))
    ));
    assert_eq!(f.online(&links[0]).await, Verdict::Revoked);
    assert_eq!(f.online(&links[1]).await, Verdict::Authentic);
    let list = ok(f.labels.revocation_list().await);
    assert_eq!(list.revoked.len(), 1);
    assert!(matches!(ok(offline::verify(&links[0], &keys, Some(&list))), OfflineVerdict::Revoked { .. }));
    assert!(matches!(ok(offline::verify(&links[1], &keys, Some(&list))), OfflineVerdict::Authentic { .. }));
    // A list with the revocation taken out no longer verifies.
    let mut doctored = list.as_ref().clone();
    doctored.revoked.clear();
    assert!(offline::verify(&links[0], &keys, Some(&doctored)).is_err());
});

backend_test!(async fn a_certification_badges_its_products_until_it_ends_and_its_labels_outlive_it(db) {
    let f = Fixture::new(db).await;
    let lone = f.product(None).await;
    let catalog = &f.catalog;
    let badge = |id: ProductId| async move {
        ok(catalog.product(id, None).await).is_certified(Utc::now())
    };
    assert!(!badge(lone).await);
    // A failed inspection gives no badge and issues nothing.
    let mut failed = f.certification(CertificationScope::Product(lone));
    failed.passed = false;
    let failed = ok(f.labels.certify(&f.certifier, failed).await);
    assert!(!badge(lone).await);
    assert!(matches!(
        f.labels.issue(&f.certifier, failed.id, None, 1).await,
        Err(LabelsError::CertificationNotCurrent(_))
    ));
    // A product line: the artisan's pottery, present and future.
    let line = ok(f.labels.certify(&f.certifier, f.certification(CertificationScope::Line {
        artisan: ok(f.catalog.product(lone, None).await).artisan.id,
        craft: "pottery".into(),
    })).await);
    assert!(badge(lone).await);
    let later = f.product(None).await;
    assert!(badge(later).await, "a new product of the line has the badge at once");
    let batch = ok(f.labels.issue(&f.certifier, line.id, Some(later), 1).await);
    let link = ok(f.labels.batch_labels(&f.certifier, batch.id, None, 1).await).remove(0).url;
    // Only certifiers issue; a line's batch names its product.
    assert!(matches!(f.labels.issue(&f.artisan, line.id, Some(later), 1).await, Err(LabelsError::Forbidden(_))));
    assert!(matches!(f.labels.issue(&f.certifier, line.id, None, 1).await, Err(LabelsError::Invalid { .. })));
    assert!(matches!(f.labels.issue(&f.certifier, line.id, Some(later), 0).await, Err(LabelsError::Invalid { .. })));
    assert!(matches!(f.labels.issue(&f.certifier, line.id, Some(later), 10_001).await, Err(LabelsError::Invalid { .. })));

    // The certification ends: the badge goes, the labels issued under it stay valid.
    let backend = f.db.conn.get_database_backend();
    let past = (Utc::now().date_naive() - chrono::Days::new(1)).format("%Y-%m-%d").to_string();
    ok(f.db.conn.execute_raw(Statement::from_string(backend, format!(
        "UPDATE certifications SET valid_from = '{past}', valid_until = '{past}', inspected_on = '{past}'"
    ))).await);
    let stale = ok(souk_catalog::certified::refresh_in(&f.db.conn, &[lone, later]).await);
    f.catalog.forget(stale).await;
    assert!(!badge(lone).await && !badge(later).await);
    assert_eq!(f.online(&link).await, Verdict::Authentic);
    assert!(matches!(
        f.labels.issue(&f.certifier, line.id, Some(later), 1).await,
        Err(LabelsError::CertificationNotCurrent(_))
    ));
    // Dates that make no sense are refused.
    let mut backwards = f.certification(CertificationScope::Product(lone));
    backwards.valid_until = day("2020-01-01");
    assert!(matches!(f.labels.certify(&f.certifier, backwards).await, Err(LabelsError::Invalid { .. })));
});

#[test]
fn a_qr_code_decodes_back_to_its_link_and_fits_two_centimetres() {
    let signed = Signed {
        product: ProductKey::Gtin(ok("6111234567895".parse())),
        serial: "K7Q2M9XP3D".into(),
        certification: "C7K2M9XP".into(),
        issued_on: day("2026-12-02"),
        key_id: "A1B2C3".into(),
    };
    let dir = ok(tempfile::tempdir());
    let keys = ok(Keyring::open(&dir.path().join("k.json"), true));
    for product in [
        signed.product.clone(),
        ProductKey::Brand("K7Q2M9XP3D".into()),
    ] {
        let signed = Signed {
            product,
            ..signed.clone()
        };
        let url = LabelLink {
            product: signed.product.clone(),
            serial: signed.serial.clone(),
            signed: Some(SignedPart {
                certification: signed.certification.clone(),
                issued_on: signed.issued_on,
                key_id: signed.key_id.clone(),
                signature: keys.sign(&signed.message()),
            }),
        }
        .to_url("https://label.fes-meknes-handmade.ma");
        let png = ok(print::png(&url, 4));
        let image = ok(image::load_from_memory(&png)).to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (meta, content) = ok(grids[0].decode());
        assert_eq!(content, url);
        // With its quiet zone in 2 cm, a module stays at least 0.3 mm wide.
        let modules = 17 + 4 * meta.version.0 + 8;
        assert!(
            modules <= 66,
            "version {} is too big for 2 cm: {url}",
            meta.version.0
        );
        let svg = ok(print::svg(&url));
        assert!(svg.contains("<svg") && svg.contains("viewBox"), "{svg}");
    }
}

/// The QR codes drawn in a sheet, read back from its image streams.
fn decode_sheet(pdf: &[u8]) -> (usize, Vec<usize>, Vec<String>) {
    let doc = ok(lopdf::Document::load_mem(pdf));
    let pages = doc.get_pages();
    let draws: Vec<usize> = pages
        .values()
        .map(|id| {
            let content = doc.get_page_content(*id);
            ok(lopdf::content::Content::decode(&content))
                .operations
                .iter()
                .filter(|op| op.operator == "Do")
                .count()
        })
        .collect();
    let mut decoded = Vec::new();
    for object in doc.objects.values() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        let is_image = stream
            .dict
            .get(b"Subtype")
            .and_then(|v| v.as_name())
            .is_ok_and(|n| n == b"Image");
        if !is_image {
            continue;
        }
        let side = usize::try_from(ok(stream
            .dict
            .get(b"Width")
            .and_then(lopdf::Object::as_i64)))
        .unwrap_or(0);
        let bits = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        let row = side.div_ceil(8);
        let scale = 6;
        let image =
            image::GrayImage::from_fn((side * scale) as u32, (side * scale) as u32, |x, y| {
                let (x, y) = (x as usize / scale, y as usize / scale);
                let white = bits[y * row + x / 8] & (0x80 >> (x % 8)) != 0;
                image::Luma([if white { 255 } else { 0 }])
            });
        let mut prepared = rqrr::PreparedImage::prepare(image);
        for grid in prepared.detect_grids() {
            decoded.push(ok(grid.decode()).1);
        }
    }
    (pages.len(), draws, decoded)
}

#[test]
fn the_sheet_opens_and_has_one_qr_code_per_label() {
    let labels: Vec<crate::BatchLabel> = (0..30)
        .map(|i| {
            let serial = Serial::random();
            crate::BatchLabel {
                url: format!("https://label.example.ma/p/0123456789/21/{serial}?c=C7K2M9XP&d=261202&k=A1B2C3&s={i:0>86}"),
                serial,
                status: "issued".into(),
            }
        })
        .collect();
    let pdf = ok(print::sheet_pdf(
        "labels",
        "Fès-Meknès Handmade",
        "label.example.ma",
        &labels,
    ));
    assert!(pdf.starts_with(b"%PDF-"));
    let (pages, draws, mut decoded) = decode_sheet(&pdf);
    assert_eq!(pages, 2);
    assert_eq!(
        draws,
        vec![sheet::PER_PAGE, 30 - sheet::PER_PAGE],
        "one QR code drawn per label"
    );
    let mut expected: Vec<String> = labels.iter().map(|l| l.url.clone()).collect();
    decoded.sort();
    expected.sort();
    assert_eq!(decoded, expected);
}

backend_test!(async fn batches_and_sheets_wait_for_a_heavy_work_slot_and_are_told_busy_past_the_wait(db) {
    let f = Fixture::new(db).await;
    let work = souk_kernel::WorkSlots::new(1, Duration::from_millis(50));
    let labels = ok(Labels::new(
        f.db.conn.clone(),
        f.cache.clone(),
        f.catalog.clone(),
        LabelSettings { work: work.clone(), ..settings(f.dir.path(), "keys.json") },
    ));
    let product = f.product(None).await;
    let cert = ok(labels
        .certify(&f.certifier, f.certification(CertificationScope::Product(product)))
        .await);
    let batch = ok(labels.issue(&f.certifier, cert.id, None, 3).await);
    assert_eq!(work.available(), 1, "the slot is given back");

    // Another photo, sheet or batch holds the replica's only slot.
    let held = work.take().await.map_err(|e| e.to_string());
    let busy = labels.issue(&f.certifier, cert.id, None, 3).await;
    assert!(matches!(busy, Err(LabelsError::Busy(b)) if b.retry_after.as_secs() > 0), "{busy:?}");
    let busy = labels.sheet(&f.certifier, batch.id).await;
    assert!(matches!(busy, Err(LabelsError::Busy(_))), "{:?}", busy.map(|b| b.len()));
    drop(held);
    let pdf = ok(labels.sheet(&f.certifier, batch.id).await);
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(work.available(), 1);
});

// The list's status filter (SQL) and `Certification::status` (Rust) say the same of every case,
// on both backends.
backend_test!(async fn a_certifications_status_is_the_same_in_the_list_and_on_the_certification(db) {
    let f = Fixture::new(db).await;
    let product = f.product(None).await;
    let mut failed = f.certification(CertificationScope::Product(product));
    failed.passed = false;
    ok(f.labels.certify(&f.certifier, failed).await);
    for _ in 0..4 {
        ok(f.labels.certify(&f.certifier, f.certification(CertificationScope::Product(product))).await);
    }
    // Move the passed ones around `today`: upcoming, current (from today, until today), expired.
    let today = day("2026-12-07");
    use souk_db::{entities::certifications as certs, sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr}};
    let spans = [("2026-12-08", "2027-12-08"), ("2026-12-07", "2027-01-01"), ("2026-01-01", "2026-12-07"), ("2025-01-01", "2026-12-06")];
    let ids: Vec<uuid::Uuid> = ok(certs::Entity::find()
        .filter(certs::Column::Result.eq("passed"))
        .all(&f.db.conn)
        .await)
    .into_iter()
    .map(|r| r.id)
    .collect();
    for (id, (from, until)) in ids.iter().zip(spans) {
        ok(certs::Entity::update_many()
            .col_expr(certs::Column::ValidFrom, Expr::value(day(from)))
            .col_expr(certs::Column::ValidUntil, Expr::value(day(until)))
            .filter(certs::Column::Id.eq(*id))
            .exec(&f.db.conn)
            .await);
    }
    let page = souk_kernel::PageRequest { after: None, limit: 100 };
    let all = ok(f.labels.certifications(&f.certifier, &CertificationFilter::default(), today, &page).await).items;
    assert_eq!(all.len(), 5);
    for status in [CertificationStatus::Failed, CertificationStatus::Upcoming, CertificationStatus::Current, CertificationStatus::Expired] {
        let filter = CertificationFilter { status: Some(status), ..CertificationFilter::default() };
        let listed: Vec<_> = ok(f.labels.certifications(&f.certifier, &filter, today, &page).await).items.into_iter().map(|c| c.id).collect();
        let said: Vec<_> = all.iter().filter(|c| c.status(today) == status).map(|c| c.id).collect();
        assert_eq!(listed, said, "{status:?}");
        assert!(!listed.is_empty(), "{status:?}");
    }
    // Only certifiers and operators list them.
    assert!(matches!(f.labels.certifications(&f.artisan, &CertificationFilter::default(), today, &page).await, Err(LabelsError::Forbidden(_))));
});
