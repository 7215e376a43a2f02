//! "Report a fake": whoever holds a labelled item they doubt tells the certifier. Reports are
//! public and anonymous (a contact only if the reporter leaves one), rate limited per client.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_auth::Principal;
use souk_cache::RateDecision;
use souk_db::{
    entities::{label_reports, labels},
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect},
};
use souk_kernel::{Page, PageRequest};
use uuid::Uuid;

use crate::{
    Labels, LabelsError, certifications::require_certifier, scans::Scanner, serial::Serial,
};

pub const REPORT_REASONS: [&str; 5] = [
    "suspected_fake",
    "label_damaged",
    "item_differs",
    "seller_suspicious",
    "other",
];

#[derive(Clone, Debug, Default)]
pub struct ReportInput {
    pub serial: String,
    pub reason: String,
    pub details: Option<String>,
    pub contact: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub id: Uuid,
    pub serial: String,
    /// Whether the serial is one of ours.
    pub known_label: bool,
    pub reason: String,
    pub details: Option<String>,
    pub contact: Option<String>,
    /// Hashed, like a scan's.
    pub place: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, LabelsError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| crate::certifications::text(field, v, max))
        .transpose()
}

impl Labels {
    /// Stores a report for the certifier.
    pub async fn report(
        &self,
        input: ReportInput,
        scanner: &Scanner,
    ) -> Result<Report, LabelsError> {
        let bucket = ["label-report:", &scanner.client_addr].concat();
        if let RateDecision::Limited { retry_after } = self.inner.cache.rate_limit_here(
            &bucket,
            self.inner.settings.reports_per_hour,
            Duration::from_secs(3600),
        ) {
            return Err(LabelsError::RateLimited { retry_after });
        }
        if !REPORT_REASONS.contains(&input.reason.as_str()) {
            return Err(LabelsError::invalid(
                "reason",
                format!("one of {}", REPORT_REASONS.join(", ")),
            ));
        }
        let details = optional("details", input.details.as_deref(), 2000)?;
        let contact = optional("contact", input.contact.as_deref(), 200)?;
        let serial = Serial::parse(&input.serial);
        let label: Option<Uuid> = match &serial {
            Some(serial) => {
                labels::Entity::find()
                    .select_only()
                    .column(labels::Column::Id)
                    .filter(labels::Column::Serial.eq(serial.as_str()))
                    .into_tuple()
                    .one(self.db())
                    .await?
            }
            None => None,
        };
        let typed: String = input
            .serial
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(20)
            .collect();
        if typed.is_empty() {
            return Err(LabelsError::invalid("serial", "is required"));
        }
        let report = Report {
            id: Uuid::now_v7(),
            serial: serial.map(|s| s.to_string()).unwrap_or(typed),
            known_label: label.is_some(),
            reason: input.reason,
            details,
            contact,
            place: self
                .place_of(scanner)
                .unwrap_or_else(|| self.network_of(scanner))
                .to_string(),
            status: "open".into(),
            created_at: Utc::now(),
        };
        label_reports::Entity::insert(label_reports::ActiveModel {
            id: Set(report.id),
            label_id: Set(label),
            serial: Set(report.serial.clone()),
            reason: Set(report.reason.clone()),
            details: Set(report.details.clone()),
            place: Set(report.place.clone()),
            device: Set(self.device_of(scanner).to_string()),
            contact: Set(report.contact.clone()),
            status: Set(report.status.clone()),
            created_at: Set(report.created_at),
        })
        .exec_without_returning(self.db())
        .await?;
        tracing::info!(serial = %report.serial, reason = %report.reason, "fake label reported");
        Ok(report)
    }

    /// The newest reports, for certifiers and operators.
    pub async fn reports(
        &self,
        principal: &Principal,
        page: &PageRequest,
    ) -> Result<Page<Report>, LabelsError> {
        require_certifier(principal)?;
        let mut query = label_reports::Entity::find()
            .order_by_desc(label_reports::Column::Id)
            .limit(page.fetch());
        if let Some(after) = page.after {
            query = query.filter(label_reports::Column::Id.lt(after));
        }
        let rows = query.all(self.db()).await?;
        Ok(Page::of(rows, page.limit, |r| r.id).map(|r| Report {
            id: r.id,
            serial: r.serial,
            known_label: r.label_id.is_some(),
            reason: r.reason,
            details: r.details,
            contact: r.contact,
            place: r.place,
            status: r.status,
            created_at: r.created_at,
        }))
    }
}
