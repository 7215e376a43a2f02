//! Reading orders: buyers see their own, artisans and agents see their fulfilments, operators
//! see everything. Lists page by id (newest first).

use souk_auth::{Principal, Role};
use souk_catalog::rights;
use souk_db::{
    ConnectionTrait,
    entities::{artisans, fulfilments, orders},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect},
};
use souk_kernel::{FulfilmentId, OrderId, Page, PageRequest};
use uuid::Uuid;

use crate::{
    Orders, OrdersError,
    machine::PaymentMethod,
    model::{FulfilmentView, Order},
    store,
};

/// Which part of a list.
#[derive(Clone, Debug)]
pub struct OrderFilter {
    /// Only this status (an order status for orders, a fulfilment status for fulfilments).
    pub status: Option<String>,
    /// Which page, by id (newest first).
    pub page: PageRequest,
}

impl Orders {
    pub(crate) async fn load(&self, id: OrderId, with_history: bool) -> Result<Order, OrdersError> {
        self.load_in(&self.db, id, with_history).await
    }

    pub(crate) async fn load_in(
        &self,
        conn: &impl ConnectionTrait,
        id: OrderId,
        with_history: bool,
    ) -> Result<Order, OrdersError> {
        let row = orders::Entity::find_by_id(id.into_uuid())
            .one(conn)
            .await?
            .ok_or(OrdersError::NotFound("order"))?;
        let mut fulfilments = store::fulfilments_of(conn, &[row.id]).await?;
        let history = if with_history {
            store::history(conn, id).await?
        } else {
            Vec::new()
        };
        store::order(
            row.clone(),
            fulfilments.remove(&row.id).unwrap_or_default(),
            history,
        )
    }

    /// One order, for services acting for the platform (the payment provider's events).
    pub async fn get(&self, id: OrderId) -> Result<Order, OrdersError> {
        self.load(id, false).await
    }

    /// One order with its history: for its buyer and operators.
    pub async fn order(&self, principal: &Principal, id: OrderId) -> Result<Order, OrdersError> {
        let order = self.load(id, true).await?;
        if principal.is_admin() || order.buyer == principal.account_id {
            Ok(order)
        } else {
            // Someone else's order does not exist, as far as they can tell.
            Err(OrdersError::NotFound("order"))
        }
    }

    /// The buyer's orders, or every order for an operator.
    pub async fn orders(
        &self,
        principal: &Principal,
        filter: &OrderFilter,
    ) -> Result<Page<Order>, OrdersError> {
        let mut query = orders::Entity::find().order_by_desc(orders::Column::Id);
        if !principal.is_admin() {
            query = query.filter(orders::Column::BuyerId.eq(principal.account_id.into_uuid()));
        }
        if let Some(status) = &filter.status {
            query = query.filter(orders::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = filter.page.after {
            query = query.filter(orders::Column::Id.lt(after));
        }
        let rows = query.limit(filter.page.fetch()).all(&self.db).await?;
        let rows = Page::of(rows, filter.page.limit, |r| r.id);
        let ids: Vec<Uuid> = rows.items.iter().map(|r| r.id).collect();
        let mut fulfilments = store::fulfilments_of(&self.db, &ids).await?;
        let items = rows
            .items
            .into_iter()
            .map(|row| {
                let own = fulfilments.remove(&row.id).unwrap_or_default();
                store::order(row, own, Vec::new())
            })
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: rows.next_cursor,
        })
    }

    /// The artisans whose fulfilments a principal handles: their own workshop, the artisans
    /// they represent as an agent (within grants), or `None` for an operator (all of them).
    async fn handled_artisans(
        &self,
        principal: &Principal,
    ) -> Result<Option<Vec<Uuid>>, OrdersError> {
        let query = match principal.role {
            Role::Admin => return Ok(None),
            Role::Artisan => artisans::Entity::find()
                .filter(artisans::Column::AccountId.eq(principal.account_id.into_uuid())),
            Role::Agent => artisans::Entity::find()
                .filter(artisans::Column::AgentId.eq(principal.account_id.into_uuid())),
            _ => return Ok(Some(Vec::new())),
        };
        let mut mine = Vec::new();
        for row in query.all(&self.db).await? {
            let access = rights::access_of_row(&row)?;
            if rights::may_fulfil(principal, &access).is_ok() {
                mine.push(row.id);
            }
        }
        Ok(Some(mine))
    }

    /// The fulfilments a principal handles, newest first.
    pub async fn fulfilments(
        &self,
        principal: &Principal,
        filter: &OrderFilter,
    ) -> Result<Page<FulfilmentView>, OrdersError> {
        let mut query = fulfilments::Entity::find().order_by_desc(fulfilments::Column::Id);
        match self.handled_artisans(principal).await? {
            None => {}
            Some(ids) if ids.is_empty() => {
                if principal.role == Role::Buyer || principal.role == Role::Certifier {
                    return Err(OrdersError::Forbidden(
                        "fulfilments are for artisans, their agents and operators",
                    ));
                }
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
            Some(ids) => query = query.filter(fulfilments::Column::ArtisanId.is_in(ids)),
        }
        if let Some(status) = &filter.status {
            query = query.filter(fulfilments::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = filter.page.after {
            query = query.filter(fulfilments::Column::Id.lt(after));
        }
        let rows = query.limit(filter.page.fetch()).all(&self.db).await?;
        let rows = Page::of(rows, filter.page.limit, |r| r.id);
        Ok(Page {
            items: self.views(&self.db, rows.items).await?,
            next_cursor: rows.next_cursor,
        })
    }

    /// One fulfilment, for whoever handles it.
    pub async fn fulfilment(
        &self,
        principal: &Principal,
        id: FulfilmentId,
    ) -> Result<FulfilmentView, OrdersError> {
        let view = self.fulfilment_view_in(&self.db, id).await?;
        if !principal.is_admin() {
            let access = rights::access_of(&self.db, view.fulfilment.artisan).await?;
            if rights::may_fulfil(principal, &access).is_err() {
                return Err(OrdersError::NotFound("fulfilment"));
            }
        }
        Ok(view)
    }

    pub(crate) async fn fulfilment_view_in(
        &self,
        conn: &impl ConnectionTrait,
        id: FulfilmentId,
    ) -> Result<FulfilmentView, OrdersError> {
        let row = fulfilments::Entity::find_by_id(id.into_uuid())
            .one(conn)
            .await?
            .ok_or(OrdersError::NotFound("fulfilment"))?;
        self.views(conn, vec![row])
            .await?
            .pop()
            .ok_or(OrdersError::NotFound("fulfilment"))
    }

    async fn views(
        &self,
        conn: &impl ConnectionTrait,
        rows: Vec<fulfilments::Model>,
    ) -> Result<Vec<FulfilmentView>, OrdersError> {
        let order_ids: Vec<Uuid> = rows.iter().map(|r| r.order_id).collect();
        let orders: Vec<orders::Model> = if order_ids.is_empty() {
            Vec::new()
        } else {
            orders::Entity::find()
                .filter(orders::Column::Id.is_in(order_ids))
                .all(conn)
                .await?
        };
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let list = store::fulfilments_with_lines(conn, rows, &ids).await?;
        list.into_iter()
            .map(|fulfilment| {
                let order = orders
                    .iter()
                    .find(|o| o.id == fulfilment.order.into_uuid())
                    .ok_or_else(|| OrdersError::Corrupt("a fulfilment without its order".into()))?;
                let method = store::payment_method(order)?;
                let parsed = store::order(order.clone(), Vec::new(), Vec::new())?;
                Ok(FulfilmentView {
                    cash_due_minor: (method == PaymentMethod::CashOnDelivery)
                        .then(|| fulfilment.amount_due_minor()),
                    fulfilment,
                    order_status: parsed.status,
                    payment_method: method,
                    shipping_address: parsed.shipping_address,
                    zone: parsed.zone,
                })
            })
            .collect()
    }
}
