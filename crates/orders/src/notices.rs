//! What the notification relay reads of orders: the orders its events are about, as they stand,
//! many at once (three queries for a whole batch of events).

use std::collections::HashMap;

use souk_db::{
    ConnectionTrait,
    entities::orders,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};
use souk_kernel::OrderId;
use uuid::Uuid;

use crate::{Order, OrdersError, store};

/// These orders (those that exist), with their fulfilments and lines but not their history.
pub async fn orders(
    conn: &impl ConnectionTrait,
    ids: &[OrderId],
) -> Result<HashMap<OrderId, Order>, OrdersError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = ids.iter().map(|id| id.into_uuid()).collect();
    let rows = orders::Entity::find()
        .filter(orders::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let mut fulfilments = store::fulfilments_of(conn, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let own = fulfilments.remove(&row.id).unwrap_or_default();
            store::order(row, own, Vec::new()).map(|o| (o.id, o))
        })
        .collect()
}
