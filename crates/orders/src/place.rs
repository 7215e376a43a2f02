//! Placing an order: checked input, the `Idempotency-Key`, the stock reserved, and the order
//! written with its fulfilments, lines, history and outbox event in one transaction.

use chrono::Utc;
use serde_json::json;
use sha2::{Digest, Sha256};
use souk_auth::Principal;
use souk_catalog::{Stale, stock};
use souk_db::{
    DatabaseTransaction,
    entities::{fulfilments, idempotency_keys, order_lines, orders},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set},
};
use souk_kernel::{FulfilmentId, OrderId, ProductId};
use uuid::Uuid;

use crate::{
    Orders, OrdersError, after,
    machine::{FulfilmentStatus, OrderStatus, PaymentMethod},
    model::{Address, Order, PlaceOrder, Placed},
    plan::{Plan, merge_items, plan},
    store::{self, Actor, Change},
};

const MAX_KEY_LEN: usize = 255;

fn text(field: &str, value: &str, min: usize, max: usize) -> Result<(), OrdersError> {
    let len = value.trim().chars().count();
    if len < min || value.chars().count() > max {
        return Err(OrdersError::invalid(
            field,
            format!("between {min} and {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(OrdersError::invalid(field, "no control characters"));
    }
    Ok(())
}

fn check_address(a: &Address) -> Result<(), OrdersError> {
    text("shipping_address.name", &a.name, 1, 120)?;
    text("shipping_address.line1", &a.line1, 1, 200)?;
    if let Some(l2) = &a.line2 {
        text("shipping_address.line2", l2, 0, 200)?;
    }
    text("shipping_address.city", &a.city, 1, 80)?;
    if let Some(pc) = &a.postal_code {
        text("shipping_address.postal_code", pc, 0, 12)?;
    }
    if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(OrdersError::invalid(
            "shipping_address.country",
            "an ISO 3166 country code in capitals, such as MA or FR",
        ));
    }
    let digits = a.phone.chars().filter(char::is_ascii_digit).count();
    let phone_chars = a
        .phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'));
    if !phone_chars || !(8..=15).contains(&digits) {
        return Err(OrdersError::invalid(
            "shipping_address.phone",
            "a phone number of 8 to 15 digits",
        ));
    }
    Ok(())
}

/// Checks an `Idempotency-Key` header value: 1 to 255 visible ASCII characters.
pub fn check_idempotency_key(key: &str) -> Result<(), OrdersError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(OrdersError::invalid(
            "Idempotency-Key",
            "1 to 255 visible ASCII characters (a UUID, say)",
        ));
    }
    Ok(())
}

impl Orders {
    fn check(&self, request: &PlaceOrder) -> Result<(), OrdersError> {
        let max = self.settings.max_lines;
        if request.items.is_empty() || request.items.len() > max {
            return Err(OrdersError::invalid(
                "items",
                format!("between 1 and {max} items"),
            ));
        }
        if request.items.iter().any(|i| i.quantity == 0) {
            return Err(OrdersError::invalid("items", "quantities start at 1"));
        }
        check_address(&request.shipping_address)
    }

    /// What the order would be, without placing it: the split per artisan, shipping and totals
    /// (a cart page). Stock is checked but not reserved.
    pub async fn quote(&self, request: &PlaceOrder) -> Result<Plan, OrdersError> {
        self.check(request)?;
        let ids: Vec<ProductId> = merge_items(&request.items)
            .iter()
            .map(|i| i.product)
            .collect();
        let products = stock::sale_items(&self.db, &ids).await?;
        let plan = plan(
            request,
            &products,
            &self.settings.shipping,
            self.settings.max_quantity,
        )?;
        for line in plan.fulfilments.iter().flat_map(|f| &f.lines) {
            if !line.item.is_made_to_order() && line.item.stock < line.quantity {
                return Err(OrdersError::OutOfStock {
                    product: line.item.id,
                    requested: line.quantity,
                    available: line.item.stock,
                });
            }
        }
        Ok(plan)
    }

    /// Places an order for the signed-in buyer under their `Idempotency-Key`.
    pub async fn place(
        &self,
        buyer: &Principal,
        key: &str,
        request: PlaceOrder,
    ) -> Result<Placed, OrdersError> {
        check_idempotency_key(key)?;
        self.check(&request)?;
        let hash = request_hash(&request);
        // A retry of an order already placed answers at once, without a write transaction.
        if let Some(placed) = self.replay(buyer, key, &hash).await? {
            return Ok(placed);
        }
        let tx = souk_db::begin_write(&self.db).await?;
        match self.place_in(&tx, buyer, key, &hash, &request).await {
            Ok((order, stale)) => {
                tx.commit().await?;
                self.catalog.forget(stale).await;
                Ok(Placed {
                    order,
                    replayed: false,
                })
            }
            Err(OrdersError::Db(err)) if souk_db::is_unique_violation(&err) => {
                // The same key was committed by a request running beside this one.
                drop(tx);
                self.replay(buyer, key, &hash)
                    .await?
                    .ok_or(OrdersError::Db(err))
            }
            Err(err) => Err(err),
        }
    }

    /// The order placed under this key, if there is one that has not expired; a reused key with
    /// another body is refused.
    async fn replay(
        &self,
        buyer: &Principal,
        key: &str,
        hash: &str,
    ) -> Result<Option<Placed>, OrdersError> {
        let Some(row) =
            idempotency_keys::Entity::find_by_id((buyer.account_id.into_uuid(), key.to_owned()))
                .one(&self.db)
                .await?
        else {
            return Ok(None);
        };
        if row.created_at < self.key_cutoff() {
            return Ok(None);
        }
        if row.request_hash != hash {
            return Err(OrdersError::IdempotencyKeyReused);
        }
        let order = self.load(OrderId::from_uuid(row.order_id), true).await?;
        Ok(Some(Placed {
            order,
            replayed: true,
        }))
    }

    fn key_cutoff(&self) -> chrono::DateTime<Utc> {
        let ttl = chrono::Duration::from_std(self.settings.idempotency_ttl)
            .unwrap_or(chrono::Duration::hours(24));
        Utc::now() - ttl
    }

    async fn place_in(
        &self,
        tx: &DatabaseTransaction,
        buyer: &Principal,
        key: &str,
        hash: &str,
        request: &PlaceOrder,
    ) -> Result<(Order, Stale), OrdersError> {
        let now = Utc::now();
        let order_id = OrderId::new();
        // The key first: a concurrent request with the same key waits here (PostgreSQL) or
        // never gets this far (SQLite), instead of reserving stock it would give back.
        idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::AccountId.eq(buyer.account_id.into_uuid()))
            .filter(idempotency_keys::Column::Key.eq(key))
            .filter(idempotency_keys::Column::CreatedAt.lt(self.key_cutoff()))
            .exec(tx)
            .await?;
        idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
            account_id: Set(buyer.account_id.into_uuid()),
            key: Set(key.to_owned()),
            request_hash: Set(hash.to_owned()),
            order_id: Set(order_id.into_uuid()),
            created_at: Set(now),
        })
        .exec_without_returning(tx)
        .await?;

        let ids: Vec<ProductId> = merge_items(&request.items)
            .iter()
            .map(|i| i.product)
            .collect();
        let products = stock::sale_items(tx, &ids).await?;
        let plan = plan(
            request,
            &products,
            &self.settings.shipping,
            self.settings.max_quantity,
        )?;
        let mut sold_out = false;
        let reservations = plan.reservations();
        for &(product, quantity) in &reservations {
            if !stock::reserve(tx, product, quantity).await? {
                let available = stock::stock_of(tx, product).await?.unwrap_or(0);
                return Err(OrdersError::OutOfStock {
                    product,
                    requested: quantity,
                    available,
                });
            }
            let before = products
                .iter()
                .find(|p| p.id == product)
                .map_or(0, |p| p.stock);
            sold_out |= before <= quantity;
        }

        let (status, window) = match request.payment_method {
            PaymentMethod::Card => (OrderStatus::PendingPayment, self.settings.payment_window),
            PaymentMethod::CashOnDelivery => (
                OrderStatus::PendingConfirmation,
                self.settings.confirmation_window,
            ),
        };
        orders::Entity::insert(orders::ActiveModel {
            id: Set(order_id.into_uuid()),
            buyer_id: Set(buyer.account_id.into_uuid()),
            status: Set(status.as_str().to_owned()),
            payment_method: Set(request.payment_method.as_str().to_owned()),
            currency: Set(plan.currency.code().to_owned()),
            items_total_minor: Set(plan.items_total_minor),
            shipping_total_minor: Set(plan.shipping_total_minor),
            total_minor: Set(plan.total_minor),
            refunded_minor: Set(0),
            shipping_address: Set(serde_json::to_value(&request.shipping_address)
                .map_err(|e| OrdersError::Corrupt(e.to_string()))?),
            zone: Set(plan.zone.as_str().to_owned()),
            expires_at: Set(Some(after(now, window))),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(tx)
        .await?;

        let mut fulfilment_rows = Vec::with_capacity(plan.fulfilments.len());
        let mut line_rows = Vec::new();
        for f in &plan.fulfilments {
            let fid = FulfilmentId::new();
            fulfilment_rows.push(fulfilments::ActiveModel {
                id: Set(fid.into_uuid()),
                order_id: Set(order_id.into_uuid()),
                artisan_id: Set(f.artisan.into_uuid()),
                status: Set(FulfilmentStatus::Pending.as_str().to_owned()),
                weight_g: Set(to_i32(f.weight_g)),
                items_total_minor: Set(f.items_total_minor),
                shipping_fee_minor: Set(f.shipping_fee_minor),
                lead_time_days: Set(f.lead_time_days.map(i32::from)),
                carrier: Set(None),
                tracking_number: Set(None),
                cash_collected_minor: Set(None),
                refusal_reason: Set(None),
                remittance_reference: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
            for l in &f.lines {
                line_rows.push(order_lines::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    order_id: Set(order_id.into_uuid()),
                    fulfilment_id: Set(fid.into_uuid()),
                    product_id: Set(l.item.id.into_uuid()),
                    artisan_id: Set(l.item.artisan.into_uuid()),
                    listed_by_agent: Set(l.item.listed_by_agent.map(|a| a.into_uuid())),
                    title: Set(serde_json::to_value(&l.item.title)
                        .map_err(|e| OrdersError::Corrupt(e.to_string()))?),
                    unit_price_minor: Set(l.item.price.amount_minor),
                    quantity: Set(to_i32(l.quantity)),
                    line_total_minor: Set(l.line_total_minor),
                    made_to_order: Set(l.item.is_made_to_order()),
                    lead_time_days: Set(l.item.lead_time_days.map(i32::from)),
                    weight_g: Set(to_i32(l.weight_g)),
                });
            }
        }
        fulfilments::Entity::insert_many(fulfilment_rows)
            .exec_without_returning(tx)
            .await?;
        order_lines::Entity::insert_many(line_rows)
            .exec_without_returning(tx)
            .await?;
        let payload = json!({
            "buyer_id": buyer.account_id,
            "total_minor": plan.total_minor,
            "currency": plan.currency.code(),
            "payment_method": request.payment_method.as_str(),
            "artisans": plan.fulfilments.iter().map(|f| f.artisan).collect::<Vec<_>>(),
        });
        store::record(
            tx,
            &[Change {
                order: order_id,
                fulfilment: None,
                from: None,
                to: status.as_str(),
                actor: Actor(Some(*buyer)),
                details: json!({"event": "placed"}),
                at: now,
                payload: &payload,
            }],
        )
        .await?;
        let order = self.load_in(tx, order_id, true).await?;
        let stale = Stale::stock(reservations.iter().map(|(p, _)| *p), sold_out);
        Ok((order, stale))
    }
}

fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// SHA-256 of the request as parsed: the same order sent with other spacing or key order is the
/// same request.
fn request_hash(request: &PlaceOrder) -> String {
    let bytes = serde_json::to_vec(request).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}
