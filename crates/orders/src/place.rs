//! Placing an order: checked input, the `Idempotency-Key`, the stock reserved, and the order
//! written with its fulfilments, lines, history and outbox event in one transaction.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use souk_auth::Principal;
use souk_catalog::{Stale, stock};
use souk_db::{
    DatabaseTransaction,
    entities::{fulfilments, idempotency_keys, order_lines, orders},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait, Set, sea_query::InsertStatement},
};
use souk_kernel::{FulfilmentId, OrderId, ProductId};
use uuid::Uuid;

use crate::{
    Orders, OrdersError, after,
    machine::{FulfilmentStatus, OrderStatus, PaymentMethod},
    model::{Address, Fulfilment, Line, Order, PlaceOrder, Placed},
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

/// Checks an address, naming refused fields `<field>.<part>`.
pub(crate) fn check_address(field: &str, a: &Address) -> Result<(), OrdersError> {
    let part = |name: &str| format!("{field}.{name}");
    text(&part("name"), &a.name, 1, 120)?;
    text(&part("line1"), &a.line1, 1, 200)?;
    if let Some(l2) = &a.line2 {
        text(&part("line2"), l2, 0, 200)?;
    }
    text(&part("city"), &a.city, 1, 80)?;
    if let Some(pc) = &a.postal_code {
        text(&part("postal_code"), pc, 0, 12)?;
    }
    if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(OrdersError::invalid(
            part("country"),
            "an ISO 3166 country code in capitals, such as MA or FR",
        ));
    }
    let digits = a.phone.chars().filter(char::is_ascii_digit).count();
    let phone_chars = a
        .phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'));
    if !phone_chars || !(8..=15).contains(&digits) || a.phone.chars().count() > 20 {
        return Err(OrdersError::invalid(
            part("phone"),
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
        check_address("shipping_address", &request.shipping_address)
    }

    /// The products of a request as they are now, and the plan made from them.
    async fn plan_from(
        &self,
        conn: &impl souk_db::ConnectionTrait,
        request: &PlaceOrder,
    ) -> Result<(Vec<souk_catalog::stock::SaleItem>, Plan), OrdersError> {
        let ids: Vec<ProductId> = merge_items(&request.items)
            .iter()
            .map(|i| i.product)
            .collect();
        let products = stock::sale_items(conn, &ids).await?;
        let plan = plan(
            request,
            &products,
            &self.settings.shipping,
            self.settings.max_quantity,
        )?;
        Ok((products, plan))
    }

    /// What the order would be, without placing it: the split per artisan, shipping and totals
    /// (a cart page). Stock is checked but not reserved.
    pub async fn quote(&self, request: &PlaceOrder) -> Result<Plan, OrdersError> {
        self.check(request)?;
        let (_, plan) = self.plan_from(&self.db, request).await?;
        match shortage(&plan) {
            Some(short) => Err(short),
            None => Ok(plan),
        }
    }

    /// Places an order for the signed-in buyer under their `Idempotency-Key`.
    ///
    /// The key is inserted with the order, in its transaction: a first request places the order
    /// with no extra read, and a retry (or a copy sent at the same time, which waits on the key's
    /// row) fails on the key's uniqueness and answers the order placed under it.
    pub async fn place(
        &self,
        buyer: &Principal,
        key: &str,
        request: PlaceOrder,
    ) -> Result<Placed, OrdersError> {
        check_idempotency_key(key)?;
        self.check(&request)?;
        let hash = request_hash(&request);
        // At most twice: once more after forgetting a key past its time to live.
        for _ in 0..2 {
            let tx = souk_db::begin_write(&self.db).await?;
            match self.place_in(&tx, buyer, key, &hash, &request).await {
                Ok((order, stale)) => {
                    tx.commit().await?;
                    self.catalog.forget(stale).await;
                    return Ok(Placed {
                        order,
                        replayed: false,
                    });
                }
                Err(OrdersError::Db(err)) if souk_db::is_unique_violation(&err) => {
                    drop(tx);
                    match self.replay(buyer, key, &hash).await? {
                        Some(placed) => return Ok(placed),
                        None => self.forget_expired_key(buyer, key).await?,
                    }
                }
                Err(err) => return Err(err),
            }
        }
        Err(OrdersError::Corrupt(format!(
            "Idempotency-Key {key:?} neither fresh nor replayable"
        )))
    }

    /// The order placed under this key if it has not expired; a reused key with another body
    /// is refused.
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

    async fn forget_expired_key(&self, buyer: &Principal, key: &str) -> Result<(), OrdersError> {
        idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::AccountId.eq(buyer.account_id.into_uuid()))
            .filter(idempotency_keys::Column::Key.eq(key))
            .filter(idempotency_keys::Column::CreatedAt.lt(self.key_cutoff()))
            .exec(&self.db)
            .await?;
        Ok(())
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
        // Microseconds: what both databases keep, so the answer equals what a later read shows.
        let now = Utc::now().trunc_subsecs(6);
        let order_id = OrderId::new();
        let (_, plan) = self.plan_from(tx, request).await?;
        // Already short in what was just read: refuse before writing anything. (Only the
        // conditional update below can accept; this read can only refuse early.)
        if let Some(short) = shortage(&plan) {
            return Err(short);
        }
        let (status, window) = match request.payment_method {
            PaymentMethod::Card => (OrderStatus::PendingPayment, self.settings.payment_window),
            PaymentMethod::CashOnDelivery => (
                OrderStatus::PendingConfirmation,
                self.settings.confirmation_window,
            ),
        };
        let order = new_order(
            order_id,
            buyer,
            status,
            request,
            &plan,
            now,
            after(now, window),
        );
        let payload = json!({
            "buyer_id": buyer.account_id,
            "total_minor": plan.total_minor,
            "currency": plan.currency.code(),
            "payment_method": request.payment_method.as_str(),
            "artisans": plan.fulfilments.iter().map(|f| f.artisan).collect::<Vec<_>>(),
        });
        let placed = Change {
            order: order_id,
            fulfilment: None,
            from: None,
            to: status.as_str(),
            actor: Actor(Some(*buyer)),
            details: json!({"event": "placed"}),
            at: now,
            payload: &payload,
        };
        // The key, the order, its fulfilments and lines, its history and its event: one round
        // trip on PostgreSQL. A request with the same key running beside this one waits on the
        // key's row here until this one ends, then fails on it and answers this order.
        let key_row = idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
            account_id: Set(buyer.account_id.into_uuid()),
            key: Set(key.to_owned()),
            request_hash: Set(hash.to_owned()),
            order_id: Set(order_id.into_uuid()),
            created_at: Set(now),
        })
        .into_query();
        let mut inserts = vec![key_row];
        inserts.extend(order_inserts(&order)?);
        inserts.extend(store::record_inserts(std::slice::from_ref(&placed)));
        souk_db::insert_together(tx, inserts).await?;
        // Stock last: a hot product's row stays locked only from here to the commit. Not enough
        // left rolls back everything above.
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
        }

        let order = Order {
            history: vec![placed.entry()],
            ..order
        };
        let stale = Stale::products(reservations.iter().map(|(p, _)| *p));
        Ok((order, stale))
    }
}

/// The order a plan makes, as it will be stored.
fn new_order(
    id: OrderId,
    buyer: &Principal,
    status: OrderStatus,
    request: &PlaceOrder,
    plan: &Plan,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Order {
    let fulfilments = plan
        .fulfilments
        .iter()
        .map(|f| {
            let fid = FulfilmentId::new();
            Fulfilment {
                id: fid,
                order: id,
                artisan: f.artisan,
                status: FulfilmentStatus::Pending,
                weight_g: f.weight_g,
                items_total_minor: f.items_total_minor,
                shipping_fee_minor: f.shipping_fee_minor,
                lead_time_days: f.lead_time_days,
                carrier: None,
                tracking_number: None,
                cash_collected_minor: None,
                refusal_reason: None,
                remittance_reference: None,
                lines: f
                    .lines
                    .iter()
                    .map(|l| Line {
                        id: Uuid::now_v7(),
                        product: l.item.id,
                        artisan: l.item.artisan,
                        listed_by_agent: l.item.listed_by_agent,
                        title: l.item.title.clone(),
                        unit_price_minor: l.item.price.amount_minor,
                        quantity: l.quantity,
                        line_total_minor: l.line_total_minor,
                        made_to_order: l.item.is_made_to_order(),
                        lead_time_days: l.item.lead_time_days,
                        weight_g: l.weight_g,
                    })
                    .collect(),
                version: 1,
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    Order {
        id,
        buyer: buyer.account_id,
        status,
        payment_method: request.payment_method,
        currency: plan.currency.code().to_owned(),
        items_total_minor: plan.items_total_minor,
        shipping_total_minor: plan.shipping_total_minor,
        total_minor: plan.total_minor,
        refunded_minor: 0,
        shipping_address: request.shipping_address.clone(),
        zone: plan.zone,
        expires_at: Some(expires_at),
        fulfilments,
        history: Vec::new(),
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The inserts of the order, its fulfilments and its lines.
fn order_inserts(order: &Order) -> Result<Vec<InsertStatement>, OrdersError> {
    let json = |v: serde_json::Result<serde_json::Value>| {
        v.map_err(|e| OrdersError::Corrupt(e.to_string()))
    };
    let order_row = orders::Entity::insert(orders::ActiveModel {
        id: Set(order.id.into_uuid()),
        buyer_id: Set(order.buyer.into_uuid()),
        status: Set(order.status.as_str().to_owned()),
        payment_method: Set(order.payment_method.as_str().to_owned()),
        currency: Set(order.currency.clone()),
        items_total_minor: Set(order.items_total_minor),
        shipping_total_minor: Set(order.shipping_total_minor),
        total_minor: Set(order.total_minor),
        refunded_minor: Set(0),
        shipping_address: Set(json(serde_json::to_value(&order.shipping_address))?),
        zone: Set(order.zone.as_str().to_owned()),
        expires_at: Set(order.expires_at),
        version: Set(order.version),
        created_at: Set(order.created_at),
        updated_at: Set(order.updated_at),
    })
    .into_query();
    let mut fulfilment_rows = Vec::with_capacity(order.fulfilments.len());
    let mut line_rows = Vec::new();
    for f in &order.fulfilments {
        fulfilment_rows.push(fulfilments::ActiveModel {
            id: Set(f.id.into_uuid()),
            order_id: Set(order.id.into_uuid()),
            artisan_id: Set(f.artisan.into_uuid()),
            status: Set(f.status.as_str().to_owned()),
            weight_g: Set(to_i32(f.weight_g)),
            items_total_minor: Set(f.items_total_minor),
            shipping_fee_minor: Set(f.shipping_fee_minor),
            lead_time_days: Set(f.lead_time_days.map(i32::from)),
            carrier: Set(None),
            tracking_number: Set(None),
            cash_collected_minor: Set(None),
            refusal_reason: Set(None),
            remittance_reference: Set(None),
            version: Set(f.version),
            created_at: Set(f.created_at),
            updated_at: Set(f.updated_at),
        });
        for l in &f.lines {
            line_rows.push(order_lines::ActiveModel {
                id: Set(l.id),
                order_id: Set(order.id.into_uuid()),
                fulfilment_id: Set(f.id.into_uuid()),
                product_id: Set(l.product.into_uuid()),
                artisan_id: Set(l.artisan.into_uuid()),
                listed_by_agent: Set(l.listed_by_agent.map(|a| a.into_uuid())),
                title: Set(json(serde_json::to_value(&l.title))?),
                unit_price_minor: Set(l.unit_price_minor),
                quantity: Set(to_i32(l.quantity)),
                line_total_minor: Set(l.line_total_minor),
                made_to_order: Set(l.made_to_order),
                lead_time_days: Set(l.lead_time_days.map(i32::from)),
                weight_g: Set(to_i32(l.weight_g)),
            });
        }
    }
    Ok(vec![
        order_row,
        fulfilments::Entity::insert_many(fulfilment_rows).into_query(),
        order_lines::Entity::insert_many(line_rows).into_query(),
    ])
}

/// The first stocked line asking more than the stock the plan was made from.
fn shortage(plan: &Plan) -> Option<OrdersError> {
    plan.fulfilments
        .iter()
        .flat_map(|f| &f.lines)
        .find(|l| !l.item.is_made_to_order() && l.item.stock < l.quantity)
        .map(|l| OrdersError::OutOfStock {
            product: l.item.id,
            requested: l.quantity,
            available: l.item.stock,
        })
}

fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// SHA-256 of the request as parsed: the same order sent with other spacing or key order is the
/// same request.
fn request_hash(request: &PlaceOrder) -> String {
    let bytes = match request.saved_address {
        Some(id) => serde_json::to_vec(&(&request.items, request.payment_method, id)),
        None => serde_json::to_vec(request),
    }
    .unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}
