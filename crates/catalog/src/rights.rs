//! Who may act for an artisan: the artisan themself, an admin, or the agent who represents them,
//! within what the artisan granted once they took over their account.

use souk_auth::{Principal, Role};
use souk_db::{ConnectionTrait, entities::artisans, sea_orm::EntityTrait};
use souk_kernel::ArtisanId;

use crate::{CatalogError, model::ArtisanAccess};

/// What an action touches, for an agent's grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Products,
    Payout,
}

/// In which capacity a principal acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Capacity {
    Artisan,
    Admin,
    Agent,
}

impl Capacity {
    /// Someone other than the artisan is acting for them.
    pub(crate) fn on_behalf(self) -> bool {
        self != Capacity::Artisan
    }
}

/// Decides whether `principal` may act on `scope` for the artisan. Acting for an artisan who has
/// no account of their own needs their consent on record: no consent, no listing.
pub(crate) fn act_for(
    principal: &Principal,
    access: &ArtisanAccess,
    scope: Scope,
) -> Result<Capacity, CatalogError> {
    let capacity = capacity(principal, access, scope)?;
    if capacity.on_behalf() && access.account.is_none() && !access.consent_on_record {
        return Err(CatalogError::ConsentRequired);
    }
    Ok(capacity)
}

fn capacity(
    principal: &Principal,
    access: &ArtisanAccess,
    scope: Scope,
) -> Result<Capacity, CatalogError> {
    match principal.role {
        Role::Admin => Ok(Capacity::Admin),
        Role::Artisan if access.account == Some(principal.account_id) => Ok(Capacity::Artisan),
        Role::Agent if access.agent == Some(principal.account_id) => {
            let granted = access.account.is_none()
                || match scope {
                    Scope::Products => access.grants.products,
                    Scope::Payout => access.grants.payout,
                };
            if granted {
                Ok(Capacity::Agent)
            } else {
                Err(CatalogError::Forbidden(
                    "the artisan has not granted this to their agent",
                ))
            }
        }
        Role::Agent => Err(CatalogError::Forbidden(
            "agents act only for the artisans assigned to them",
        )),
        _ => Err(CatalogError::Forbidden(
            "only the artisan, their agent or an admin may do this",
        )),
    }
}

/// Whether `principal` may fulfil orders for the artisan (accept, ship, hand over): the same
/// rule as editing their products.
pub fn may_fulfil(principal: &Principal, access: &ArtisanAccess) -> Result<(), CatalogError> {
    act_for(principal, access, Scope::Products).map(|_| ())
}

/// Who may act for an artisan, read inside the caller's transaction.
pub async fn access_of(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
) -> Result<ArtisanAccess, CatalogError> {
    let row = artisans::Entity::find_by_id(artisan.into_uuid())
        .one(conn)
        .await?
        .ok_or(CatalogError::NotFound("artisan"))?;
    access_of_row(&row)
}

/// Who may act for an artisan, from their row when the caller has it already.
pub fn access_of_row(row: &artisans::Model) -> Result<ArtisanAccess, CatalogError> {
    crate::store::artisans::access(row)
}

/// Whether a principal may see an artisan's unpublished products and private record.
pub fn may_view(principal: &Principal, access: &ArtisanAccess) -> bool {
    principal.is_admin()
        || access.account == Some(principal.account_id)
        || access.agent == Some(principal.account_id)
}

#[cfg(test)]
mod tests {
    use souk_kernel::AccountId;

    use super::*;
    use crate::model::AgentGrants;

    fn access(
        account: Option<AccountId>,
        agent: Option<AccountId>,
        consent: bool,
    ) -> ArtisanAccess {
        ArtisanAccess {
            artisan: ArtisanId::new(),
            account,
            agent,
            grants: AgentGrants::default(),
            consent_on_record: consent,
        }
    }

    fn as_role(role: Role, id: AccountId) -> Principal {
        Principal {
            account_id: id,
            role,
        }
    }

    #[test]
    fn an_agent_acts_only_for_their_own_artisans() {
        let agent = AccountId::new();
        let mine = access(None, Some(agent), true);
        let theirs = access(None, Some(AccountId::new()), true);
        let p = as_role(Role::Agent, agent);
        assert_eq!(
            act_for(&p, &mine, Scope::Products).ok(),
            Some(Capacity::Agent)
        );
        assert!(matches!(
            act_for(&p, &theirs, Scope::Products),
            Err(CatalogError::Forbidden(_))
        ));
    }

    #[test]
    fn without_consent_nobody_acts_for_an_artisan_without_an_account() {
        let agent = AccountId::new();
        let unconsented = access(None, Some(agent), false);
        for p in [
            as_role(Role::Agent, agent),
            as_role(Role::Admin, AccountId::new()),
        ] {
            assert!(matches!(
                act_for(&p, &unconsented, Scope::Products),
                Err(CatalogError::ConsentRequired)
            ));
        }
    }

    #[test]
    fn after_a_claim_the_agent_has_what_was_granted() {
        let agent = AccountId::new();
        let artisan = AccountId::new();
        let mut claimed = access(Some(artisan), Some(agent), true);
        let p = as_role(Role::Agent, agent);
        assert!(act_for(&p, &claimed, Scope::Products).is_ok());
        assert!(act_for(&p, &claimed, Scope::Payout).is_err());
        claimed.grants.products = false;
        assert!(act_for(&p, &claimed, Scope::Products).is_err());
        let own = as_role(Role::Artisan, artisan);
        assert_eq!(
            act_for(&own, &claimed, Scope::Payout).ok(),
            Some(Capacity::Artisan)
        );
    }
}
