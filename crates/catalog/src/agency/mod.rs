//! Selling through agents: an agent onboards an artisan with their consent on record, lists and
//! edits for them, and hands them a one-time code to take over their own account; from then on
//! the agent may do what the artisan grants. Every change is in the audit trail.

mod checks;
mod contacts;
pub mod model;

pub use checks::phone;
pub use contacts::{ArtisanContact, contacts};

use std::sync::Arc;

use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};
use souk_audit::{AuditEntry, Filter, Subject, Via};
use souk_auth::{Account, AuthService, NewAccount, Principal, Role};
use souk_db::{DatabaseTransaction, begin_write};
use souk_kernel::{AccountId, ArtisanId, Page, PageRequest};
use uuid::Uuid;

use self::model::{ArtisanRecord, ClaimCode, Consent, LabelDisclosure, OnboardInput, Payout};
use crate::{
    Catalog, CatalogError, Product, Stale,
    model::AgentGrants,
    rights::{self, Scope},
    service::{actor, build_artisan},
    store,
};

/// How long a claim code can be used.
pub const CLAIM_CODE_DAYS: i64 = 30;
/// Letters that cannot be mistaken for one another when read aloud or copied by hand.
const CLAIM_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";

impl Catalog {
    /// An agent (or an admin) onboards an artisan who has no account of their own.
    pub async fn onboard_artisan(
        &self,
        principal: &Principal,
        input: OnboardInput,
    ) -> Result<ArtisanRecord, CatalogError> {
        let tx = begin_write(self.db()).await?;
        let (record, stale) = self
            .onboard_artisan_in(&tx, principal, Via::Api, ArtisanId::new(), input)
            .await?;
        tx.commit().await?;
        self.forget(stale).await;
        Ok(record)
    }

    /// [`Catalog::onboard_artisan`] with a given id, inside the caller's transaction.
    pub async fn onboard_artisan_in(
        &self,
        tx: &DatabaseTransaction,
        principal: &Principal,
        via: Via,
        id: ArtisanId,
        input: OnboardInput,
    ) -> Result<(ArtisanRecord, Stale), CatalogError> {
        let agent = match principal.role {
            Role::Agent => {
                if input.agent.is_some_and(|a| a != principal.account_id) {
                    return Err(CatalogError::Forbidden(
                        "agents onboard artisans for themselves",
                    ));
                }
                Some(principal.account_id)
            }
            Role::Admin => input.agent,
            _ => {
                return Err(CatalogError::Forbidden(
                    "only agents and admins onboard artisans",
                ));
            }
        };
        if let Some(agent) = agent
            && !store::agency::agent_exists(tx, agent).await?
        {
            return Err(CatalogError::invalid("agent_id", "no agent with this id"));
        }
        let consent_input = input.consent.ok_or(CatalogError::ConsentRequired)?;
        let consent_input = checks::consent(consent_input)?;
        let phone = checks::phone("phone", &input.phone)?;
        let payout = input
            .payout
            .map(|p| checks::payout("payout", p))
            .transpose()?;
        let crafts = self.crafts().await?;
        let (artisan, craft_ids) = build_artisan(&crafts, input.profile, id)?;
        let consent = Consent {
            given_on: consent_input.given_on,
            method: consent_input.method,
            witness: consent_input.witness,
            reference: consent_input.reference,
            recorded_by: principal.account_id,
            recorded_at: Utc::now(),
        };
        store::artisans::insert(tx, &artisan, &craft_ids).await?;
        store::agency::set_private(
            tx,
            id,
            store::agency::Private {
                agent,
                onboarded_by: principal.account_id,
                phone: &phone,
                payout: payout.as_ref(),
                consent: &consent,
            },
        )
        .await?;
        let record = self.record_in(tx, id).await?;
        let entry = AuditEntry::new(
            actor(principal),
            Some(id),
            Subject::Artisan(id.into_uuid()),
            "artisan.onboarded",
            via,
            souk_audit::created(&private_snapshot(&record)),
        );
        souk_audit::record(tx, &entry).await?;
        Ok((record, Stale::artisan(id, [])))
    }

    /// An admin assigns an artisan to an agent, moves them to another, or takes them from any.
    pub async fn assign_agent(
        &self,
        principal: &Principal,
        artisan: ArtisanId,
        agent: Option<AccountId>,
    ) -> Result<ArtisanRecord, CatalogError> {
        if !principal.is_admin() {
            return Err(CatalogError::Forbidden("only admins assign agents"));
        }
        let tx = begin_write(self.db()).await?;
        let before = self.record_in(&tx, artisan).await?;
        if let Some(agent) = agent
            && !store::agency::agent_exists(&tx, agent).await?
        {
            return Err(CatalogError::invalid("agent_id", "no agent with this id"));
        }
        store::agency::set_agent(&tx, artisan, agent).await?;
        self.commit_artisan_change(tx, principal, "artisan.agent_assigned", before)
            .await
    }

    /// Makes a one-time code with which an artisan without an account takes theirs over. Only
    /// the new code works: asking again replaces the old one.
    pub async fn issue_claim_code(
        &self,
        principal: &Principal,
        artisan: ArtisanId,
    ) -> Result<ClaimCode, CatalogError> {
        let tx = begin_write(self.db()).await?;
        let record = self.record_in(&tx, artisan).await?;
        rights::act_for(principal, &record.access, Scope::Products)?;
        if record.access.account.is_some() {
            return Err(CatalogError::AlreadyClaimed);
        }
        let code = new_claim_code();
        let expires_at = Utc::now() + Duration::days(CLAIM_CODE_DAYS);
        store::agency::set_claim_code(&tx, artisan, &claim_hash(&code), expires_at).await?;
        let entry = AuditEntry::new(
            actor(principal),
            Some(artisan),
            Subject::Artisan(artisan.into_uuid()),
            "artisan.claim_code_issued",
            Via::Api,
            serde_json::json!({"claim_code_expires_at": {"to": expires_at}}),
        );
        souk_audit::record(&tx, &entry).await?;
        tx.commit().await?;
        Ok(ClaimCode { code, expires_at })
    }

    /// The artisan takes over their record with the code their agent gave them: a new artisan
    /// account is made and the code is spent. A code works once; a second use, or a use after
    /// it expired, is refused.
    pub async fn claim_artisan(
        &self,
        auth: &AuthService,
        code: &str,
        account: NewAccount,
        grants: Option<AgentGrants>,
    ) -> Result<(Account, ArtisanRecord), CatalogError> {
        let hash = claim_hash(&normalize_claim_code(code));
        // A cheap look first, so that a wrong code does not cost a password hash.
        let row = store::agency::by_claim_code(self.db(), &hash)
            .await?
            .ok_or(CatalogError::InvalidClaimCode)?;
        let artisan = ArtisanId::from_uuid(row.id);
        let display_name = if account.display_name.trim().is_empty() {
            // The name the agent recorded, in the artisan's own language.
            let name: souk_kernel::LocalizedText = store::from_json("artisans.name", &row.name)?;
            let lang = store::lang("artisans.default_lang", &row.default_lang)?;
            name.localize(lang, lang)
                .map(|l| l.text)
                .unwrap_or_default()
        } else {
            account.display_name
        };
        let prepared = auth
            .prepare(
                NewAccount {
                    role: Role::Artisan,
                    display_name,
                    ..account
                },
                false,
            )
            .await?;
        let grants = grants.unwrap_or_default();
        let tx = begin_write(self.db()).await?;
        let before = self.record_in(&tx, artisan).await?;
        let account = AuthService::insert(&tx, prepared).await?;
        let claimed =
            store::agency::claim(&tx, artisan, &hash, account.id, grants, Utc::now()).await?;
        if !claimed {
            // Rolls back the new account with it.
            return Err(CatalogError::InvalidClaimCode);
        }
        let after = self.record_in(&tx, artisan).await?;
        let principal = Principal {
            account_id: account.id,
            role: Role::Artisan,
        };
        self.audit_artisan(
            &tx,
            &principal,
            Via::Api,
            "artisan.claimed",
            &before,
            &after,
        )
        .await?;
        let products = store::agency::products_of(&tx, &[artisan], None, None).await?;
        tx.commit().await?;
        self.forget(Stale::artisan(artisan, products)).await;
        Ok((account, after))
    }

    /// The artisan (or an admin) sets what their agent may do for them.
    pub async fn set_agent_grants(
        &self,
        principal: &Principal,
        artisan: ArtisanId,
        grants: AgentGrants,
    ) -> Result<ArtisanRecord, CatalogError> {
        let tx = begin_write(self.db()).await?;
        let before = self.record_in(&tx, artisan).await?;
        let own = before.access.account == Some(principal.account_id);
        if !(own || principal.is_admin()) {
            return Err(CatalogError::Forbidden(
                "only the artisan sets what their agent may do",
            ));
        }
        store::agency::set_grants(&tx, artisan, grants).await?;
        self.commit_artisan_change(tx, principal, "artisan.grants_changed", before)
            .await
    }

    /// Sets what a label's page shows of the artisan. A matter of their consent: the artisan
    /// themself, an admin, or their agent while the artisan has no account (and their consent is
    /// on record), as for listing.
    pub async fn set_label_disclosure(
        &self,
        principal: &Principal,
        artisan: ArtisanId,
        disclosure: LabelDisclosure,
    ) -> Result<ArtisanRecord, CatalogError> {
        let tx = begin_write(self.db()).await?;
        let before = self.record_in(&tx, artisan).await?;
        let agent_for_unclaimed = principal.role == Role::Agent && before.access.account.is_none();
        let own = before.access.account == Some(principal.account_id);
        if !(own || principal.is_admin() || agent_for_unclaimed) {
            return Err(CatalogError::Forbidden(
                "only the artisan (or their agent before they take over their account) sets this",
            ));
        }
        rights::act_for(principal, &before.access, Scope::Products)?;
        store::agency::set_label_disclosure(&tx, artisan, disclosure).await?;
        self.commit_artisan_change(tx, principal, "artisan.label_disclosure_changed", before)
            .await
    }

    /// Changes how an artisan is paid: the artisan, an admin, or their agent if granted.
    pub async fn set_payout(
        &self,
        principal: &Principal,
        artisan: ArtisanId,
        payout: Payout,
    ) -> Result<ArtisanRecord, CatalogError> {
        let payout = checks::payout("payout", payout)?;
        let tx = begin_write(self.db()).await?;
        let before = self.record_in(&tx, artisan).await?;
        rights::act_for(principal, &before.access, Scope::Payout)?;
        store::agency::set_payout(&tx, artisan, &payout).await?;
        let after = self.record_in(&tx, artisan).await?;
        self.audit_artisan(
            &tx,
            principal,
            Via::Api,
            "artisan.payout_changed",
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// An artisan's whole record: for the artisan, their agent and admins.
    pub async fn artisan_record(
        &self,
        principal: &Principal,
        artisan: ArtisanId,
    ) -> Result<ArtisanRecord, CatalogError> {
        let record = self.record_in(self.db(), artisan).await?;
        if rights::may_view(principal, &record.access) {
            Ok(record)
        } else {
            Err(CatalogError::Forbidden(
                "only the artisan, their agent or an admin may see this record",
            ))
        }
    }

    /// The artisans an agent represents, in the order they were onboarded: for that agent and
    /// admins.
    pub async fn agent_artisans(
        &self,
        principal: &Principal,
        agent: AccountId,
        page: &PageRequest,
    ) -> Result<Page<ArtisanRecord>, CatalogError> {
        may_see_agent(principal, agent)?;
        let ids = store::agency::of_agent(self.db(), agent, page.after, Some(page.fetch())).await?;
        let ids = Page::of(ids, page.limit, |id| id.into_uuid());
        let mut records = Vec::with_capacity(ids.items.len());
        for id in &ids.items {
            records.push(self.record_in(self.db(), *id).await?);
        }
        Ok(Page {
            items: records,
            next_cursor: ids.next_cursor,
        })
    }

    /// The products of an agent's artisans, drafts included, newest first.
    pub async fn agent_products(
        &self,
        principal: &Principal,
        agent: AccountId,
        page: &PageRequest,
    ) -> Result<Page<Arc<Product>>, CatalogError> {
        may_see_agent(principal, agent)?;
        let artisans = store::agency::of_agent(self.db(), agent, None, None).await?;
        let ids = if artisans.is_empty() {
            Vec::new()
        } else {
            store::agency::products_of(self.db(), &artisans, page.after, Some(page.fetch())).await?
        };
        let ids = Page::of(ids, page.limit, |id| id.into_uuid());
        let mut products = Vec::with_capacity(ids.items.len());
        for id in &ids.items {
            products.push(self.product(*id, Some(principal)).await?);
        }
        Ok(Page {
            items: products,
            next_cursor: ids.next_cursor,
        })
    }

    /// An artisan's audit trail, newest first: for admins and the artisan themself.
    pub async fn audit_trail(
        &self,
        principal: &Principal,
        artisan: ArtisanId,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, CatalogError> {
        let record = self.record_in(self.db(), artisan).await?;
        let own = record.access.account == Some(principal.account_id);
        if !(own || principal.is_admin()) {
            return Err(CatalogError::Forbidden(
                "only admins and the artisan concerned read the audit trail",
            ));
        }
        souk_audit::list(self.db(), Filter::Artisan(artisan), before, limit)
            .await
            .map_err(|e| match e {
                souk_audit::AuditError::Db(e) => CatalogError::Db(e),
                souk_audit::AuditError::Corrupt(e) => CatalogError::Corrupt(e),
            })
    }

    async fn record_in(
        &self,
        conn: &impl souk_db::ConnectionTrait,
        artisan: ArtisanId,
    ) -> Result<ArtisanRecord, CatalogError> {
        let crafts = self.crafts().await?;
        store::agency::record(conn, artisan, &crafts)
            .await?
            .ok_or(CatalogError::NotFound("artisan"))
    }

    /// Ends a change to an artisan's record: audits it, commits, and drops the cached profile
    /// and products (what an agent may do with them changed).
    async fn commit_artisan_change(
        &self,
        tx: DatabaseTransaction,
        principal: &Principal,
        action: &str,
        before: ArtisanRecord,
    ) -> Result<ArtisanRecord, CatalogError> {
        let artisan = before.artisan.id;
        let after = self.record_in(&tx, artisan).await?;
        self.audit_artisan(&tx, principal, Via::Api, action, &before, &after)
            .await?;
        let products = store::agency::products_of(&tx, &[artisan], None, None).await?;
        tx.commit().await?;
        self.forget(Stale::artisan(artisan, products)).await;
        Ok(after)
    }

    async fn audit_artisan(
        &self,
        tx: &DatabaseTransaction,
        principal: &Principal,
        via: Via,
        action: &str,
        before: &ArtisanRecord,
        after: &ArtisanRecord,
    ) -> Result<(), CatalogError> {
        let entry = AuditEntry::new(
            actor(principal),
            Some(after.artisan.id),
            Subject::Artisan(after.artisan.id.into_uuid()),
            action,
            via,
            souk_audit::diff(&private_snapshot(before), &private_snapshot(after)),
        );
        souk_audit::record(tx, &entry).await?;
        Ok(())
    }
}

fn may_see_agent(principal: &Principal, agent: AccountId) -> Result<(), CatalogError> {
    if principal.is_admin() || (principal.role == Role::Agent && principal.account_id == agent) {
        Ok(())
    } else {
        Err(CatalogError::Forbidden(
            "only the agent themself or an admin may see this",
        ))
    }
}

/// What the audit trail compares for an artisan. Account numbers are masked.
fn private_snapshot(r: &ArtisanRecord) -> serde_json::Value {
    serde_json::json!({
        "name": r.artisan.name,
        "commune": r.artisan.commune,
        "cooperative": r.artisan.cooperative,
        "crafts": r.artisan.crafts,
        "account": r.access.account,
        "agent": r.access.agent,
        "agent_grants": r.access.account.map(|_| r.access.grants),
        "phone": r.phone.as_deref().map(model::mask),
        "payout": r.payout.as_ref().map(Payout::masked),
        "consent": r.consent,
    })
}

fn new_claim_code() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("operating system randomness: {e}"));
    let letters: String = bytes
        .iter()
        .map(|b| char::from(CLAIM_ALPHABET[usize::from(*b) % CLAIM_ALPHABET.len()]))
        .collect();
    format!("{}-{}-{}", &letters[..4], &letters[4..8], &letters[8..])
}

/// Codes are read aloud and typed by hand: case, spaces and dashes do not matter.
fn normalize_claim_code(code: &str) -> String {
    let letters: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() == 12 {
        format!("{}-{}-{}", &letters[..4], &letters[4..8], &letters[8..])
    } else {
        letters
    }
}

fn claim_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_codes_forgive_case_and_spacing() {
        let code = new_claim_code();
        assert_eq!(code.len(), 14);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(claim_hash(&normalize_claim_code(&typed)), claim_hash(&code));
        assert_ne!(new_claim_code(), code);
    }
}
