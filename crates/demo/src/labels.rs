//! Demo labels: the regional delegation certifies one of the demo's certified pieces and issues
//! a few labels for it, so a first run has labels to scan and verify.

use chrono::{Days, Utc};
use souk_auth::{AuthService, NewAccount, Principal, Role};
use souk_catalog::{Catalog, CatalogError, ListingQuery};
use souk_labels::{CertificationInput, CertificationScope, Evidence, Labels, LabelsError};

/// The demo certifier's account (its password is random: nobody signs in with it).
pub const DEMO_CERTIFIER: &str = "delegation@demo.souk.invalid";

/// Certifies a demo product and issues `count` labels for it; returns their links. Nothing if
/// the catalog has no certified product.
pub async fn seed_labels(
    catalog: &Catalog,
    auth: &AuthService,
    labels: &Labels,
    count: u32,
) -> Result<Vec<String>, LabelsError> {
    let page = catalog
        .list_products(ListingQuery {
            certified: Some(true),
            limit: Some(1),
            ..ListingQuery::default()
        })
        .await?;
    let Some(product) = page.items.first() else {
        return Ok(Vec::new());
    };
    let password: String = (0..32).map(|_| fastrand::alphanumeric()).collect();
    let account = auth
        .appoint(NewAccount {
            email: DEMO_CERTIFIER.into(),
            password,
            display_name: "Délégation régionale de l'artisanat Fès-Meknès (démo)".into(),
            role: Role::Certifier,
            lang: souk_kernel::Lang::Fr,
        })
        .await
        .map_err(CatalogError::from)?;
    let certifier = Principal {
        account_id: account.id,
        role: Role::Certifier,
    };
    let today = Utc::now().date_naive();
    let certification = labels
        .certify(
            &certifier,
            CertificationInput {
                scope: CertificationScope::Product(product.id),
                standard: "Label régional Fès-Meknès".into(),
                standard_version: "2026.1".into(),
                inspector: "Inspection de démonstration".into(),
                inspected_on: today,
                passed: true,
                valid_from: today,
                valid_until: today + Days::new(730),
                evidence: vec![Evidence {
                    kind: "document".into(),
                    reference: "demo".into(),
                }],
                notes: Some("Demo data: not a real certification.".into()),
            },
        )
        .await?;
    let batch = labels
        .issue(&certifier, certification.id, None, count)
        .await?;
    Ok(labels
        .batch_labels(&certifier, batch.id, None, u64::from(count))
        .await?
        .into_iter()
        .map(|l| l.url)
        .collect())
}
