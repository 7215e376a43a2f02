//! A buyer's address book: shipping addresses saved under a name of their own, which checkout
//! takes by id. Each account sees and changes only its own; an address is checked as an order's
//! is, when it is saved.

use chrono::{DateTime, Utc};
use souk_auth::Principal;
use souk_db::{
    entities::addresses,
    sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
        QuerySelect, Set,
    },
};
use souk_kernel::{Page, PageRequest};
use uuid::Uuid;

use crate::{Address, Orders, OrdersError, place::check_address};

/// How many addresses one account may keep.
const MAX_ADDRESSES: u64 = 20;

/// An address of the book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedAddress {
    pub id: Uuid,
    /// The holder's own name for it: "Home", "الدار".
    pub label: String,
    pub address: Address,
    pub created_at: DateTime<Utc>,
}

impl Orders {
    /// The signed-in account's addresses, newest first.
    pub async fn addresses(
        &self,
        who: &Principal,
        page: &PageRequest,
    ) -> Result<Page<SavedAddress>, OrdersError> {
        let mut query = addresses::Entity::find()
            .filter(addresses::Column::AccountId.eq(who.account_id.into_uuid()))
            .order_by_desc(addresses::Column::Id)
            .limit(page.fetch());
        if let Some(after) = page.after {
            query = query.filter(addresses::Column::Id.lt(after));
        }
        let rows = query.all(&self.db).await?;
        Ok(Page::of(rows, page.limit, |r| r.id).map(from_row))
    }

    /// One of the signed-in account's addresses (checkout uses it by id).
    pub async fn address(&self, who: &Principal, id: Uuid) -> Result<SavedAddress, OrdersError> {
        self.own_address(who, id).await.map(from_row)
    }

    /// Saves an address in the signed-in account's book.
    pub async fn save_address(
        &self,
        who: &Principal,
        label: String,
        address: Address,
    ) -> Result<SavedAddress, OrdersError> {
        check_entry(&label, &address)?;
        let mine = addresses::Column::AccountId.eq(who.account_id.into_uuid());
        let held = addresses::Entity::find()
            .filter(mine)
            .count(&self.db)
            .await?;
        if held >= MAX_ADDRESSES {
            return Err(OrdersError::invalid(
                "address",
                format!("an address book holds at most {MAX_ADDRESSES} addresses"),
            ));
        }
        let row = to_row(Uuid::now_v7(), who, label, address, Utc::now());
        Ok(from_row(row.insert(&self.db).await?))
    }

    /// Replaces one of the signed-in account's addresses.
    pub async fn update_address(
        &self,
        who: &Principal,
        id: Uuid,
        label: String,
        address: Address,
    ) -> Result<SavedAddress, OrdersError> {
        check_entry(&label, &address)?;
        let old = self.own_address(who, id).await?;
        let row = to_row(id, who, label, address, old.created_at);
        match row.update(&self.db).await {
            Ok(row) => Ok(from_row(row)),
            // Deleted meanwhile.
            Err(souk_db::DbErr::RecordNotUpdated) => Err(OrdersError::NotFound("address")),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes one of the signed-in account's addresses. Orders placed with it keep their copy.
    pub async fn delete_address(&self, who: &Principal, id: Uuid) -> Result<(), OrdersError> {
        let deleted = addresses::Entity::delete_many()
            .filter(addresses::Column::Id.eq(id))
            .filter(addresses::Column::AccountId.eq(who.account_id.into_uuid()))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(OrdersError::NotFound("address"));
        }
        Ok(())
    }

    async fn own_address(
        &self,
        who: &Principal,
        id: Uuid,
    ) -> Result<addresses::Model, OrdersError> {
        addresses::Entity::find_by_id(id)
            .filter(addresses::Column::AccountId.eq(who.account_id.into_uuid()))
            .one(&self.db)
            .await?
            .ok_or(OrdersError::NotFound("address"))
    }
}

fn check_entry(label: &str, address: &Address) -> Result<(), OrdersError> {
    let chars = label.trim().chars().count();
    if !(1..=60).contains(&chars) || label.chars().any(char::is_control) {
        return Err(OrdersError::invalid("label", "between 1 and 60 characters"));
    }
    check_address("address", address)
}

fn to_row(
    id: Uuid,
    who: &Principal,
    label: String,
    a: Address,
    created_at: DateTime<Utc>,
) -> addresses::ActiveModel {
    addresses::ActiveModel {
        id: Set(id),
        account_id: Set(who.account_id.into_uuid()),
        label: Set(label.trim().to_owned()),
        name: Set(a.name),
        phone: Set(a.phone),
        line1: Set(a.line1),
        line2: Set(a.line2),
        city: Set(a.city),
        postal_code: Set(a.postal_code),
        country: Set(a.country),
        created_at: Set(created_at),
    }
}

fn from_row(r: addresses::Model) -> SavedAddress {
    SavedAddress {
        id: r.id,
        label: r.label,
        address: Address {
            name: r.name,
            phone: r.phone,
            line1: r.line1,
            line2: r.line2,
            city: r.city,
            postal_code: r.postal_code,
            country: r.country,
        },
        created_at: r.created_at,
    }
}
