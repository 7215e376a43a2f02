//! Moving orders and fulfilments through the state machine. Each change locks the order row,
//! checks the machine and who is acting, writes the new status with its history and outbox event,
//! gives stock back when goods will not go out, and settles the order when its last fulfilment
//! settles. All of it in one transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use souk_auth::{Principal, Role};
use souk_catalog::{Stale, rights, stock};
use souk_db::{
    ConnectionTrait, DatabaseTransaction,
    entities::{fulfilments, order_lines, orders},
    sea_orm::{
        ActiveValue::NotSet,
        ColumnTrait, EntityTrait, QueryFilter, Set,
        sea_query::{Expr, ExprTrait},
    },
};
use souk_kernel::{ArtisanId, FulfilmentId, OrderId, ProductId};
use uuid::Uuid;

use souk_ledger::{Account, store::PostingMeta};

use crate::{
    Orders, OrdersError, books,
    machine::{
        FulfilmentAction, FulfilmentStatus, OrderAction, OrderStatus, PaymentMethod,
        fulfilment_step, order_step, settle,
    },
    model::{FulfilmentView, Order},
    store::{self, Actor, Change},
};

/// What a reported payment did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    Paid,
    /// Not for exactly the order's total in its currency: flagged, not accepted.
    AmountMismatch,
    /// The order had moved on (already paid, or lapsed, or cancelled).
    NotWaiting(OrderStatus),
    UnknownOrder,
}

/// What an artisan, their agent or an operator does to a fulfilment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FulfilmentCommand {
    Accept,
    Ship {
        carrier: String,
        tracking_number: String,
    },
    /// Delivered; for cash on delivery, with the cash the courier collected.
    Deliver {
        cash_collected_minor: Option<i64>,
    },
    /// Refused at the door (cash on delivery): the goods come back to stock.
    Refuse {
        reason: String,
    },
    /// The courier handed the cash they collected over to Souk.
    RemitCash {
        reference: String,
    },
}

impl FulfilmentCommand {
    pub fn action(&self) -> FulfilmentAction {
        match self {
            FulfilmentCommand::Accept => FulfilmentAction::Accept,
            FulfilmentCommand::Ship { .. } => FulfilmentAction::Ship,
            FulfilmentCommand::Deliver { .. } => FulfilmentAction::Deliver,
            FulfilmentCommand::Refuse { .. } => FulfilmentAction::RefuseAtDoor,
            FulfilmentCommand::RemitCash { .. } => FulfilmentAction::RemitCash,
        }
    }
}

fn required(field: &str, value: &str, max: usize) -> Result<String, OrdersError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(OrdersError::invalid(
            field,
            format!("1 to {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

/// What a change did besides the status: stock to give back, caches to drop.
#[derive(Default)]
struct Effects {
    released: BTreeMap<ProductId, u32>,
}

impl Effects {
    fn stale(&self) -> Option<Stale> {
        if self.released.is_empty() {
            None
        } else {
            Some(Stale::products(self.released.keys().copied()))
        }
    }
}

/// Gives back the stock of these lines (made-to-order lines took none).
async fn release_lines(
    tx: &impl ConnectionTrait,
    lines: Vec<order_lines::Model>,
    effects: &mut Effects,
) -> Result<(), OrdersError> {
    let mut by_product: BTreeMap<ProductId, u32> = BTreeMap::new();
    for line in lines.iter().filter(|l| !l.made_to_order) {
        let q = u32::try_from(line.quantity).unwrap_or(0);
        *by_product
            .entry(ProductId::from_uuid(line.product_id))
            .or_default() += q;
    }
    for (&product, &quantity) in &by_product {
        stock::release(tx, product, quantity).await?;
        *effects.released.entry(product).or_default() += quantity;
    }
    Ok(())
}

pub(crate) struct OrderChange<'a> {
    pub action: OrderAction,
    pub actor: Actor,
    pub details: Value,
    pub now: DateTime<Utc>,
    pub payload: &'a Value,
}

/// Applies an order-level action to a locked order row; cancels its open fulfilments and gives
/// stock back when the order ends before shipping.
async fn change_order(
    tx: &DatabaseTransaction,
    row: &orders::Model,
    change: OrderChange<'_>,
    effects: &mut Effects,
) -> Result<OrderStatus, OrdersError> {
    let from = store::order_status(row)?;
    let to = order_step(from, change.action)?;
    let order_id = OrderId::from_uuid(row.id);
    let mut changes = Vec::new();
    if matches!(to, OrderStatus::Cancelled | OrderStatus::Expired) {
        let open = fulfilments::Entity::find()
            .filter(fulfilments::Column::OrderId.eq(row.id))
            .all(tx)
            .await?;
        if open
            .iter()
            .map(store::fulfilment_status)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .any(FulfilmentStatus::has_shipped)
        {
            return Err(OrdersError::IllegalTransition {
                subject: "order",
                action: change.action.as_str(),
                status: "shipped",
            });
        }
        for f in &open {
            let status = store::fulfilment_status(f)?;
            if status == FulfilmentStatus::Cancelled {
                continue;
            }
            fulfilments::Entity::update_many()
                .col_expr(
                    fulfilments::Column::Status,
                    Expr::value(FulfilmentStatus::Cancelled.as_str()),
                )
                .col_expr(
                    fulfilments::Column::Version,
                    Expr::col(fulfilments::Column::Version).add(1),
                )
                .col_expr(fulfilments::Column::UpdatedAt, Expr::value(change.now))
                .filter(fulfilments::Column::Id.eq(f.id))
                .exec(tx)
                .await?;
            changes.push((FulfilmentId::from_uuid(f.id), status));
        }
        let lines = order_lines::Entity::find()
            .filter(order_lines::Column::OrderId.eq(row.id))
            .all(tx)
            .await?;
        release_lines(tx, lines, effects).await?;
    }
    orders::Entity::update(orders::ActiveModel {
        id: Set(row.id),
        status: Set(to.as_str().to_owned()),
        expires_at: if to.is_awaiting_buyer() {
            NotSet
        } else {
            Set(None)
        },
        version: Set(row.version + 1),
        updated_at: Set(change.now),
        ..Default::default()
    })
    .exec(tx)
    .await?;
    let empty = json!({});
    let mut records = vec![Change {
        order: order_id,
        fulfilment: None,
        from: Some(from.as_str()),
        to: to.as_str(),
        actor: change.actor,
        details: change.details.clone(),
        at: change.now,
        payload: change.payload,
    }];
    for (fid, status) in changes {
        records.push(Change {
            order: order_id,
            fulfilment: Some(fid),
            from: Some(status.as_str()),
            to: FulfilmentStatus::Cancelled.as_str(),
            actor: change.actor,
            details: json!({"because": format!("order {}", to.as_str())}),
            at: change.now,
            payload: &empty,
        });
    }
    store::record(tx, &records).await?;
    Ok(to)
}

impl Orders {
    /// Expires one order whose reservation lapsed, if it still is unpaid and lapsed (another
    /// replica may have done it first). `true` when this call expired it.
    pub(crate) async fn expire_one(
        &self,
        id: OrderId,
        now: DateTime<Utc>,
    ) -> Result<bool, OrdersError> {
        let tx = souk_db::begin_write(&self.db).await?;
        let row = store::lock_order(&tx, id).await?;
        let status = store::order_status(&row)?;
        if !status.is_awaiting_buyer() || row.expires_at.is_none_or(|at| at > now) {
            return Ok(false);
        }
        let mut effects = Effects::default();
        change_order(
            &tx,
            &row,
            OrderChange {
                action: OrderAction::Expire,
                actor: Actor::SYSTEM,
                details: json!({"expired_at": row.expires_at}),
                now,
                payload: &json!({"buyer_id": row.buyer_id}),
            },
            &mut effects,
        )
        .await?;
        tx.commit().await?;
        self.forget(&effects).await;
        Ok(true)
    }

    async fn forget(&self, effects: &Effects) {
        if let Some(stale) = effects.stale() {
            self.catalog.forget(stale).await;
        }
    }

    /// A cash-on-delivery order confirmed with the buyer (by phone), by an operator or by the
    /// agent of one of its artisans.
    pub async fn confirm(
        &self,
        principal: &Principal,
        id: OrderId,
        note: Option<String>,
    ) -> Result<Order, OrdersError> {
        let note = note.map(|n| required("note", &n, 300)).transpose()?;
        let tx = souk_db::begin_write(&self.db).await?;
        let row = store::lock_order(&tx, id).await?;
        if !principal.is_admin() {
            let may = principal.role == Role::Agent
                && self.acts_for_some_artisan(&tx, principal, row.id).await?;
            if !may {
                return Err(OrdersError::Forbidden(
                    "an operator or the agent of one of the order's artisans confirms it",
                ));
            }
        }
        let mut effects = Effects::default();
        change_order(
            &tx,
            &row,
            OrderChange {
                action: OrderAction::Confirm,
                actor: Actor(Some(*principal)),
                details: json!({"channel": "phone", "note": note}),
                now: Utc::now(),
                payload: &json!({"buyer_id": row.buyer_id}),
            },
            &mut effects,
        )
        .await?;
        let order = self.load_in(&tx, id, true).await?;
        tx.commit().await?;
        Ok(order)
    }

    /// Cancels an order before anything shipped and gives its stock back. Buyers cancel their own
    /// orders until they are paid; operators cancel any order that has not shipped.
    pub async fn cancel(
        &self,
        principal: &Principal,
        id: OrderId,
        reason: Option<String>,
    ) -> Result<Order, OrdersError> {
        let reason = reason.map(|r| required("reason", &r, 300)).transpose()?;
        let tx = souk_db::begin_write(&self.db).await?;
        let row = store::lock_order(&tx, id).await?;
        let status = store::order_status(&row)?;
        if !principal.is_admin() {
            if row.buyer_id != principal.account_id.into_uuid() {
                return Err(OrdersError::NotFound("order"));
            }
            if status == OrderStatus::Paid {
                return Err(OrdersError::Forbidden(
                    "a paid order is cancelled by an operator, who refunds it",
                ));
            }
        }
        let mut effects = Effects::default();
        change_order(
            &tx,
            &row,
            OrderChange {
                action: OrderAction::Cancel,
                actor: Actor(Some(*principal)),
                details: json!({"reason": reason}),
                now: Utc::now(),
                payload: &json!({"buyer_id": row.buyer_id}),
            },
            &mut effects,
        )
        .await?;
        let order = self.load_in(&tx, id, true).await?;
        tx.commit().await?;
        self.forget(&effects).await;
        Ok(order)
    }

    /// Records a payment: the order's only way to `paid`. For the payments crate, which calls it
    /// on a verified provider event, never on a client's word.
    pub async fn mark_paid(&self, id: OrderId, reference: &str) -> Result<Order, OrdersError> {
        let tx = souk_db::begin_write(&self.db).await?;
        let row = store::lock_order(&tx, id).await?;
        self.pay_in(&tx, &row, reference).await?;
        let order = self.load_in(&tx, id, true).await?;
        tx.commit().await?;
        Ok(order)
    }

    /// Records a payment the provider reports, if it is for exactly the order's total in its
    /// currency and the order is waiting for it. The webhook's path: it answers what happened
    /// rather than the order, which saves reading it back.
    pub async fn record_payment(
        &self,
        id: OrderId,
        reference: &str,
        amount_minor: i64,
        currency: &str,
    ) -> Result<PaymentOutcome, OrdersError> {
        let tx = souk_db::begin_write(&self.db).await?;
        let row = match store::lock_order(&tx, id).await {
            Ok(row) => row,
            Err(OrdersError::NotFound(_)) => return Ok(PaymentOutcome::UnknownOrder),
            Err(e) => return Err(e),
        };
        if amount_minor != row.total_minor || !currency.eq_ignore_ascii_case(&row.currency) {
            return Ok(PaymentOutcome::AmountMismatch);
        }
        let status = store::order_status(&row)?;
        if status != OrderStatus::PendingPayment {
            return Ok(PaymentOutcome::NotWaiting(status));
        }
        self.pay_in(&tx, &row, reference).await?;
        tx.commit().await?;
        Ok(PaymentOutcome::Paid)
    }

    /// The order paid, and the sale in the books, inside the caller's transaction on the locked row.
    async fn pay_in(
        &self,
        tx: &DatabaseTransaction,
        row: &orders::Model,
        reference: &str,
    ) -> Result<(), OrdersError> {
        let mut effects = Effects::default();
        let now = Utc::now();
        change_order(
            tx,
            row,
            OrderChange {
                action: OrderAction::Pay,
                actor: Actor::SYSTEM,
                details: json!({"payment_reference": reference}),
                now,
                payload: &json!({"buyer_id": row.buyer_id, "total_minor": row.total_minor}),
            },
            &mut effects,
        )
        .await?;
        // The card payment in the books: the whole order, received into Stripe's balance.
        let lines = order_lines::Entity::find()
            .filter(order_lines::Column::OrderId.eq(row.id))
            .all(tx)
            .await?;
        books::post_sale(
            tx,
            &lines,
            books::Received {
                into: Account::StripeClearing,
                shipping_minor: row.shipping_total_minor,
                currency: &row.currency,
                at: now,
            },
            PostingMeta {
                order: Some(row.id),
                fulfilment: None,
                reference: Some(reference.to_owned()),
            },
            self.settings.platform_commission_bps,
        )
        .await
    }

    /// A card order the buyer decides to pay cash on delivery instead: it now waits for
    /// confirmation by phone, with that window from now.
    pub async fn choose_cash_on_delivery(
        &self,
        principal: &Principal,
        id: OrderId,
    ) -> Result<Order, OrdersError> {
        let tx = souk_db::begin_write(&self.db).await?;
        let row = store::lock_order(&tx, id).await?;
        if !principal.is_admin() && row.buyer_id != principal.account_id.into_uuid() {
            return Err(OrdersError::NotFound("order"));
        }
        if store::payment_method(&row)? == PaymentMethod::CashOnDelivery {
            // Already so: nothing to do, as a retry expects.
            drop(tx);
            return self.load(id, true).await;
        }
        let now = Utc::now();
        let mut effects = Effects::default();
        change_order(
            &tx,
            &row,
            OrderChange {
                action: OrderAction::ChooseCashOnDelivery,
                actor: Actor(Some(*principal)),
                details: json!({"payment_method": "cash_on_delivery"}),
                now,
                payload: &json!({"buyer_id": row.buyer_id}),
            },
            &mut effects,
        )
        .await?;
        orders::Entity::update(orders::ActiveModel {
            id: Set(row.id),
            payment_method: Set(PaymentMethod::CashOnDelivery.as_str().to_owned()),
            expires_at: Set(Some(crate::after(now, self.settings.confirmation_window))),
            ..Default::default()
        })
        .exec(&tx)
        .await?;
        let order = self.load_in(&tx, id, true).await?;
        tx.commit().await?;
        Ok(order)
    }

    /// Whether an agent represents (within their grants) one of the order's artisans.
    async fn acts_for_some_artisan(
        &self,
        tx: &DatabaseTransaction,
        principal: &Principal,
        order: Uuid,
    ) -> Result<bool, OrdersError> {
        let rows = fulfilments::Entity::find()
            .filter(fulfilments::Column::OrderId.eq(order))
            .all(tx)
            .await?;
        for f in rows {
            let access = rights::access_of(tx, ArtisanId::from_uuid(f.artisan_id)).await?;
            if rights::may_fulfil(principal, &access).is_ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Moves a fulfilment one step: accepted, shipped (carrier and tracking number), delivered
    /// (with the cash collected, for cash on delivery), refused at the door (stock back), cash
    /// remitted. Settles the order when its last fulfilment settles.
    pub async fn fulfil(
        &self,
        principal: &Principal,
        id: FulfilmentId,
        command: FulfilmentCommand,
    ) -> Result<FulfilmentView, OrdersError> {
        let order_id = fulfilments::Entity::find_by_id(id.into_uuid())
            .one(&self.db)
            .await?
            .map(|f| OrderId::from_uuid(f.order_id))
            .ok_or(OrdersError::NotFound("fulfilment"))?;
        let tx = souk_db::begin_write(&self.db).await?;
        let order = store::lock_order(&tx, order_id).await?;
        let current = fulfilments::Entity::find_by_id(id.into_uuid())
            .one(&tx)
            .await?
            .ok_or(OrdersError::NotFound("fulfilment"))?;
        let action = command.action();
        // Remitting cash is the operator's: they are the ones who receive it.
        if action == FulfilmentAction::RemitCash {
            if !principal.is_admin() {
                return Err(OrdersError::Forbidden("an operator records remitted cash"));
            }
        } else {
            let access = rights::access_of(&tx, ArtisanId::from_uuid(current.artisan_id)).await?;
            rights::may_fulfil(principal, &access).map_err(|_| {
                OrdersError::Forbidden(
                    "only the artisan, their agent or an operator handles this fulfilment",
                )
            })?;
        }
        let method = store::payment_method(&order)?;
        let order_status = store::order_status(&order)?;
        let from = store::fulfilment_status(&current)?;
        let to = fulfilment_step(from, action, method)?;
        // Goods move once the order is paid or confirmed; cash is remitted after delivery, when
        // the order may already be completed.
        let order_allows = match action {
            FulfilmentAction::RemitCash => {
                matches!(
                    order_status,
                    OrderStatus::Confirmed | OrderStatus::Completed
                )
            }
            _ => order_status.is_go_ahead(),
        };
        if !order_allows {
            return Err(OrdersError::IllegalTransition {
                subject: "fulfilment of an order",
                action: action.as_str(),
                status: order_status.as_str(),
            });
        }
        let now = Utc::now();
        let mut update = fulfilments::ActiveModel {
            id: Set(current.id),
            status: Set(to.as_str().to_owned()),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        let mut effects = Effects::default();
        let details = match &command {
            FulfilmentCommand::Accept => json!({}),
            FulfilmentCommand::Ship {
                carrier,
                tracking_number,
            } => {
                let carrier = required("carrier", carrier, 60)?;
                let tracking = required("tracking_number", tracking_number, 60)?;
                update.carrier = Set(Some(carrier.clone()));
                update.tracking_number = Set(Some(tracking.clone()));
                json!({"carrier": carrier, "tracking_number": tracking})
            }
            FulfilmentCommand::Deliver {
                cash_collected_minor,
            } => {
                let due = current.items_total_minor + current.shipping_fee_minor;
                match (method, cash_collected_minor) {
                    (PaymentMethod::CashOnDelivery, Some(cash)) if *cash == due => {}
                    (PaymentMethod::CashOnDelivery, _) => {
                        return Err(OrdersError::invalid(
                            "cash_collected_minor",
                            format!(
                                "cash on delivery: the courier collects {due} (items and shipping)"
                            ),
                        ));
                    }
                    (PaymentMethod::Card, None) => {}
                    (PaymentMethod::Card, Some(_)) => {
                        return Err(OrdersError::invalid(
                            "cash_collected_minor",
                            "a card order has no cash to collect",
                        ));
                    }
                }
                update.cash_collected_minor = Set(*cash_collected_minor);
                if method == PaymentMethod::CashOnDelivery {
                    // The buyer paid this parcel at the door: its sale goes in the books now.
                    let lines = order_lines::Entity::find()
                        .filter(order_lines::Column::FulfilmentId.eq(current.id))
                        .all(&tx)
                        .await?;
                    books::post_sale(
                        &tx,
                        &lines,
                        books::Received {
                            into: Account::CourierCash,
                            shipping_minor: current.shipping_fee_minor,
                            currency: &order.currency,
                            at: now,
                        },
                        PostingMeta {
                            order: Some(order.id),
                            fulfilment: Some(current.id),
                            reference: Some("cash collected at the door".into()),
                        },
                        self.settings.platform_commission_bps,
                    )
                    .await?;
                }
                json!({"cash_collected_minor": cash_collected_minor})
            }
            FulfilmentCommand::Refuse { reason } => {
                let reason = required("reason", reason, 300)?;
                update.refusal_reason = Set(Some(reason.clone()));
                let lines = order_lines::Entity::find()
                    .filter(order_lines::Column::FulfilmentId.eq(current.id))
                    .all(&tx)
                    .await?;
                release_lines(&tx, lines, &mut effects).await?;
                json!({"reason": reason})
            }
            FulfilmentCommand::RemitCash { reference } => {
                let reference = required("reference", reference, 120)?;
                update.remittance_reference = Set(Some(reference.clone()));
                books::post_remittance(
                    &tx,
                    current.cash_collected_minor.unwrap_or(0),
                    PostingMeta {
                        order: Some(order.id),
                        fulfilment: Some(current.id),
                        reference: Some(reference.clone()),
                    },
                    &order.currency,
                    now,
                )
                .await?;
                json!({"reference": reference, "amount_minor": current.cash_collected_minor})
            }
        };
        fulfilments::Entity::update(update).exec(&tx).await?;
        let payload = json!({"artisan_id": current.artisan_id, "buyer_id": order.buyer_id});
        store::record(
            &tx,
            &[Change {
                order: order_id,
                fulfilment: Some(id),
                from: Some(from.as_str()),
                to: to.as_str(),
                actor: Actor(Some(*principal)),
                details,
                at: now,
                payload: &payload,
            }],
        )
        .await?;
        // The last fulfilment to settle settles the order.
        let statuses = fulfilments::Entity::find()
            .filter(fulfilments::Column::OrderId.eq(order.id))
            .all(&tx)
            .await?
            .iter()
            .map(store::fulfilment_status)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(action) = settle(&statuses)
            && order_step(order_status, action).is_ok()
        {
            change_order(
                &tx,
                &order,
                OrderChange {
                    action,
                    actor: Actor(Some(*principal)),
                    details: json!({"because": "every fulfilment settled"}),
                    now,
                    payload: &json!({"buyer_id": order.buyer_id}),
                },
                &mut effects,
            )
            .await?;
        }
        let view = self.fulfilment_view_in(&tx, id).await?;
        tx.commit().await?;
        self.forget(&effects).await;
        Ok(view)
    }
}
