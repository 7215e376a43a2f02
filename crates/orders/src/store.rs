//! Rows in and out: orders with their fulfilments and lines, the history, and the outbox.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use souk_auth::Principal;
use souk_db::{
    ConnectionTrait, DbErr,
    entities::{fulfilments, order_history, order_lines, orders, outbox_events},
    sea_orm::{
        ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
        sea_query::InsertStatement,
    },
};
use souk_kernel::{AccountId, ArtisanId, FulfilmentId, OrderId, ProductId};
use uuid::Uuid;

use crate::{
    OrdersError,
    machine::{FulfilmentStatus, OrderStatus, PaymentMethod},
    model::{Fulfilment, HistoryEntry, Line, Order},
    shipping::Zone,
};

fn corrupt(what: impl std::fmt::Display) -> OrdersError {
    OrdersError::Corrupt(what.to_string())
}

pub(crate) fn order_status(row: &orders::Model) -> Result<OrderStatus, OrdersError> {
    OrderStatus::parse(&row.status)
        .ok_or_else(|| corrupt(format!("orders.status {:?}", row.status)))
}

pub(crate) fn payment_method(row: &orders::Model) -> Result<PaymentMethod, OrdersError> {
    PaymentMethod::parse(&row.payment_method)
        .ok_or_else(|| corrupt(format!("orders.payment_method {:?}", row.payment_method)))
}

pub(crate) fn fulfilment_status(row: &fulfilments::Model) -> Result<FulfilmentStatus, OrdersError> {
    FulfilmentStatus::parse(&row.status)
        .ok_or_else(|| corrupt(format!("fulfilments.status {:?}", row.status)))
}

fn to_u32(column: &str, v: i32) -> Result<u32, OrdersError> {
    u32::try_from(v).map_err(|_| corrupt(format!("{column}: {v}")))
}

fn to_u16(column: &str, v: Option<i32>) -> Result<Option<u16>, OrdersError> {
    v.map(|d| u16::try_from(d).map_err(|_| corrupt(format!("{column}: {d}"))))
        .transpose()
}

fn line(row: order_lines::Model) -> Result<Line, OrdersError> {
    Ok(Line {
        id: row.id,
        product: ProductId::from_uuid(row.product_id),
        artisan: ArtisanId::from_uuid(row.artisan_id),
        listed_by_agent: row.listed_by_agent.map(AccountId::from_uuid),
        title: serde_json::from_value(row.title).map_err(corrupt)?,
        unit_price_minor: row.unit_price_minor,
        quantity: to_u32("order_lines.quantity", row.quantity)?,
        line_total_minor: row.line_total_minor,
        made_to_order: row.made_to_order,
        lead_time_days: to_u16("order_lines.lead_time_days", row.lead_time_days)?,
        weight_g: to_u32("order_lines.weight_g", row.weight_g)?,
    })
}

pub(crate) fn fulfilment(
    row: fulfilments::Model,
    lines: Vec<Line>,
) -> Result<Fulfilment, OrdersError> {
    Ok(Fulfilment {
        id: FulfilmentId::from_uuid(row.id),
        order: OrderId::from_uuid(row.order_id),
        artisan: ArtisanId::from_uuid(row.artisan_id),
        status: fulfilment_status(&row)?,
        weight_g: to_u32("fulfilments.weight_g", row.weight_g)?,
        items_total_minor: row.items_total_minor,
        shipping_fee_minor: row.shipping_fee_minor,
        lead_time_days: to_u16("fulfilments.lead_time_days", row.lead_time_days)?,
        carrier: row.carrier,
        tracking_number: row.tracking_number,
        cash_collected_minor: row.cash_collected_minor,
        refusal_reason: row.refusal_reason,
        remittance_reference: row.remittance_reference,
        lines,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn order(
    row: orders::Model,
    fulfilments: Vec<Fulfilment>,
    history: Vec<HistoryEntry>,
) -> Result<Order, OrdersError> {
    Ok(Order {
        id: OrderId::from_uuid(row.id),
        buyer: AccountId::from_uuid(row.buyer_id),
        status: order_status(&row)?,
        payment_method: payment_method(&row)?,
        currency: row.currency,
        items_total_minor: row.items_total_minor,
        shipping_total_minor: row.shipping_total_minor,
        total_minor: row.total_minor,
        refunded_minor: row.refunded_minor,
        shipping_address: serde_json::from_value(row.shipping_address).map_err(corrupt)?,
        zone: Zone::parse(&row.zone)
            .ok_or_else(|| corrupt(format!("orders.zone {:?}", row.zone)))?,
        expires_at: row.expires_at,
        fulfilments,
        history,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The order row, locked until the transaction ends on PostgreSQL (SQLite's write transactions
/// already run one at a time). Every change to an order or its fulfilments takes this lock
/// first, so they apply one after the other.
pub(crate) async fn lock_order(
    conn: &impl ConnectionTrait,
    id: OrderId,
) -> Result<orders::Model, OrdersError> {
    let mut query = orders::Entity::find_by_id(id.into_uuid());
    if conn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(conn).await?.ok_or(OrdersError::NotFound("order"))
}

/// Fulfilments of these orders with their lines, by order.
pub(crate) async fn fulfilments_of(
    conn: &impl ConnectionTrait,
    orders: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Fulfilment>>, OrdersError> {
    if orders.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = fulfilments::Entity::find()
        .filter(fulfilments::Column::OrderId.is_in(orders.iter().copied()))
        .order_by_asc(fulfilments::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    fulfilments_with_lines(conn, rows, &ids).await.map(|list| {
        let mut by_order: HashMap<Uuid, Vec<Fulfilment>> = HashMap::new();
        for f in list {
            by_order.entry(f.order.into_uuid()).or_default().push(f);
        }
        by_order
    })
}

/// Attaches their lines to fulfilment rows (one query).
pub(crate) async fn fulfilments_with_lines(
    conn: &impl ConnectionTrait,
    rows: Vec<fulfilments::Model>,
    ids: &[Uuid],
) -> Result<Vec<Fulfilment>, OrdersError> {
    let mut lines: HashMap<Uuid, Vec<Line>> = HashMap::new();
    if !ids.is_empty() {
        for row in order_lines::Entity::find()
            .filter(order_lines::Column::FulfilmentId.is_in(ids.iter().copied()))
            .order_by_asc(order_lines::Column::Id)
            .all(conn)
            .await?
        {
            lines.entry(row.fulfilment_id).or_default().push(line(row)?);
        }
    }
    rows.into_iter()
        .map(|row| {
            let own = lines.remove(&row.id).unwrap_or_default();
            fulfilment(row, own)
        })
        .collect()
}

pub(crate) async fn history(
    conn: &impl ConnectionTrait,
    order: OrderId,
) -> Result<Vec<HistoryEntry>, OrdersError> {
    order_history::Entity::find()
        .filter(order_history::Column::OrderId.eq(order.into_uuid()))
        .order_by_asc(order_history::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(HistoryEntry {
                fulfilment: r.fulfilment_id.map(FulfilmentId::from_uuid),
                from: r.from_status,
                to: r.to_status,
                actor: r.actor_id.map(AccountId::from_uuid),
                actor_role: r.actor_role,
                details: r.details,
                at: r.at,
            })
        })
        .collect()
}

/// Who made a change: an account, or Souk itself (`None`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Actor(pub Option<Principal>);

impl Actor {
    pub(crate) const SYSTEM: Actor = Actor(None);

    fn id(self) -> Option<Uuid> {
        self.0.map(|p| p.account_id.into_uuid())
    }

    fn role(self) -> &'static str {
        self.0.map_or("system", |p| p.role.as_str())
    }
}

/// A status change to record: in the history, and as an outbox event.
pub(crate) struct Change<'a> {
    pub order: OrderId,
    pub fulfilment: Option<FulfilmentId>,
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub actor: Actor,
    pub details: Value,
    pub at: DateTime<Utc>,
    /// What the event says besides the change itself.
    pub payload: &'a Value,
}

impl Change<'_> {
    /// The history entry this change records.
    pub(crate) fn entry(&self) -> HistoryEntry {
        HistoryEntry {
            fulfilment: self.fulfilment,
            from: self.from.map(str::to_owned),
            to: self.to.to_owned(),
            actor: self.actor.0.map(|p| p.account_id),
            actor_role: self.actor.role().to_owned(),
            details: self.details.clone(),
            at: self.at,
        }
    }
}

/// Records changes in the history and the outbox, in the caller's transaction: both commit with
/// the change or not at all.
pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    changes: &[Change<'_>],
) -> Result<(), DbErr> {
    souk_db::insert_together(conn, record_inserts(changes)).await
}

/// The history and outbox inserts of these changes (none when there are none).
pub(crate) fn record_inserts(changes: &[Change<'_>]) -> Vec<InsertStatement> {
    if changes.is_empty() {
        return Vec::new();
    }
    let history = changes.iter().map(|c| order_history::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(c.order.into_uuid()),
        fulfilment_id: Set(c.fulfilment.map(FulfilmentId::into_uuid)),
        from_status: Set(c.from.map(str::to_owned)),
        to_status: Set(c.to.to_owned()),
        actor_id: Set(c.actor.id()),
        actor_role: Set(c.actor.role().to_owned()),
        details: Set(c.details.clone()),
        at: Set(c.at),
    });
    let events = changes.iter().map(|c| {
        // The order is the aggregate of its parcels' events too: whoever follows it hears of
        // "confirmed" before "shipped" before "delivered".
        let topic = match c.fulfilment {
            Some(_) => format!("fulfilment.{}", c.to),
            None => format!("order.{}", c.to),
        };
        let aggregate = c.order.into_uuid();
        let mut payload = json!({
            "order_id": c.order,
            "fulfilment_id": c.fulfilment,
            "from": c.from,
            "to": c.to,
            "actor_id": c.actor.id(),
            "actor_role": c.actor.role(),
            "details": c.details,
            "at": c.at,
        });
        if let (Some(extra), Some(obj)) = (c.payload.as_object(), payload.as_object_mut()) {
            for (k, v) in extra {
                obj.insert(k.clone(), v.clone());
            }
        }
        souk_db::outbox::event(topic, aggregate, payload, c.at)
    });
    vec![
        order_history::Entity::insert_many(history).into_query(),
        outbox_events::Entity::insert_many(events).into_query(),
    ]
}
