//! Revocation: a certifier revokes a label (lost, stolen, stuck on the wrong item, copied). It
//! takes effect at once on every replica (the label's cached view is dropped through the shared
//! cache), and the signed revocation list for offline verifiers is made anew.

use chrono::{SecondsFormat, Utc};
use souk_auth::Principal;
use souk_cache::CacheKey;
use souk_db::{
    begin_write,
    entities::labels,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr},
};

use crate::{
    Labels, LabelsError,
    cache_keys::{self, FAMILY_REVOCATIONS, REVOCATIONS},
    certifications::require_certifier,
    offline::{RevocationList, Revoked},
    serial::Serial,
    view::LabelView,
};

impl Labels {
    /// Revokes a label. Revoking it again is a conflict, not a second revocation.
    pub async fn revoke(
        &self,
        principal: &Principal,
        serial: &str,
        reason: &str,
    ) -> Result<LabelView, LabelsError> {
        require_certifier(principal)?;
        let reason = crate::certifications::text("reason", reason, 300)?;
        if reason.is_empty() {
            return Err(LabelsError::invalid("reason", "is required"));
        }
        let serial = Serial::parse(serial).ok_or(LabelsError::NotFound("label"))?;
        let tx = begin_write(self.db()).await?;
        let now = Utc::now();
        let revoked = labels::Entity::update_many()
            .col_expr(labels::Column::Status, Expr::value("revoked"))
            .col_expr(labels::Column::RevokedAt, Expr::value(now))
            .col_expr(
                labels::Column::RevokedBy,
                Expr::value(principal.account_id.into_uuid()),
            )
            .col_expr(labels::Column::RevokedReason, Expr::value(reason.as_str()))
            .col_expr(labels::Column::UpdatedAt, Expr::value(now))
            .filter(labels::Column::Serial.eq(serial.as_str()))
            .filter(labels::Column::Status.ne("revoked"))
            .exec(&tx)
            .await?
            .rows_affected;
        let view = self
            .load_view(&tx, &serial)
            .await?
            .ok_or(LabelsError::NotFound("label"))?;
        if revoked == 0 {
            return Err(LabelsError::AlreadyRevoked);
        }
        tx.commit().await?;
        let scope = cache_keys::label(serial.as_str());
        self.inner.cache.invalidate(&[&scope, REVOCATIONS]).await;
        tracing::info!(%serial, "label revoked");
        Ok(view)
    }

    /// Every revoked label, signed with the active key: for verifiers that work offline.
    pub async fn revocation_list(&self) -> Result<std::sync::Arc<RevocationList>, LabelsError> {
        let key = CacheKey {
            family: FAMILY_REVOCATIONS,
            scope: REVOCATIONS,
            key: "",
        };
        self.inner
            .cache
            .get_or_load(key, || async {
                let rows: Vec<(String, Option<chrono::DateTime<Utc>>)> = labels::Entity::find()
                    .select_only()
                    .columns([labels::Column::Serial, labels::Column::RevokedAt])
                    .filter(labels::Column::Status.eq("revoked"))
                    .order_by_asc(labels::Column::RevokedAt)
                    .order_by_asc(labels::Column::Serial)
                    .into_tuple()
                    .all(self.db())
                    .await?;
                let revoked: Vec<Revoked> = rows
                    .into_iter()
                    .map(|(serial, at)| Revoked {
                        serial,
                        revoked_at: at
                            .unwrap_or_default()
                            .to_rfc3339_opts(SecondsFormat::Secs, true),
                    })
                    .collect();
                let issuer = self.inner.settings.base_url.clone();
                let issued_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
                let kid = self.inner.keys.active_kid().to_owned();
                let signature = self.inner.keys.sign(&RevocationList::message(
                    &issuer, &issued_at, &kid, &revoked,
                ));
                Ok::<_, LabelsError>(RevocationList {
                    issuer,
                    issued_at,
                    kid,
                    revoked,
                    signature,
                })
            })
            .await
    }
}
