//! The order state machine: which action moves an order or a fulfilment from which status to
//! which. Everything else is refused with `illegal_transition`; the tables below are the whole
//! rule, and the tests walk every pair of status and action.
//!
//! Card: pending_payment -> paid -> completed (when every fulfilment is delivered), with
//! cancelled, expired, and refunds after payment (also of a paid order an operator cancelled:
//! the books refuse to refund what was never paid). Cash on delivery: pending_confirmation ->
//! confirmed -> completed, or refused when every fulfilment was refused at the door.
//! A fulfilment: pending -> accepted -> shipped -> delivered (-> cash_remitted on delivery), or
//! refused at the door, or cancelled with its order.

use serde::{Deserialize, Serialize};

use crate::OrdersError;

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

string_enum!(
    /// Where an order stands.
    OrderStatus {
        PendingPayment => "pending_payment",
        PendingConfirmation => "pending_confirmation",
        Paid => "paid",
        Confirmed => "confirmed",
        Completed => "completed",
        Cancelled => "cancelled",
        Expired => "expired",
        Refused => "refused",
        PartiallyRefunded => "partially_refunded",
        Refunded => "refunded",
    }
);

string_enum!(
    /// Where one artisan's part of an order stands.
    FulfilmentStatus {
        Pending => "pending",
        Accepted => "accepted",
        Shipped => "shipped",
        Delivered => "delivered",
        Refused => "refused",
        CashRemitted => "cash_remitted",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// How the buyer pays.
    PaymentMethod {
        Card => "card",
        CashOnDelivery => "cash_on_delivery",
    }
);

string_enum!(
    /// What can happen to an order.
    OrderAction {
        Pay => "pay",
        ChooseCashOnDelivery => "choose_cash_on_delivery",
        Confirm => "confirm",
        Cancel => "cancel",
        Expire => "expire",
        Complete => "complete",
        RefuseAll => "refuse",
        RefundPart => "refund_part",
        RefundAll => "refund_all",
    }
);

string_enum!(
    /// What can happen to a fulfilment.
    FulfilmentAction {
        Accept => "accept",
        Ship => "ship",
        Deliver => "deliver",
        RefuseAtDoor => "refuse",
        RemitCash => "remit_cash",
        Cancel => "cancel",
    }
);

impl OrderStatus {
    /// Stock is held for the order and no money has moved: it may lapse.
    pub fn is_awaiting_buyer(self) -> bool {
        matches!(
            self,
            OrderStatus::PendingPayment | OrderStatus::PendingConfirmation
        )
    }

    /// Paid for, or confirmed for cash on delivery: the artisans may go ahead.
    pub fn is_go_ahead(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::Confirmed)
    }
}

impl FulfilmentStatus {
    /// Nothing more will happen to the goods.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            FulfilmentStatus::Delivered
                | FulfilmentStatus::CashRemitted
                | FulfilmentStatus::Refused
                | FulfilmentStatus::Cancelled
        )
    }

    /// The goods left the workshop.
    pub fn has_shipped(self) -> bool {
        matches!(
            self,
            FulfilmentStatus::Shipped
                | FulfilmentStatus::Delivered
                | FulfilmentStatus::CashRemitted
                | FulfilmentStatus::Refused
        )
    }
}

/// The status an order action leads to, if the machine allows it.
pub fn next_order(status: OrderStatus, action: OrderAction) -> Option<OrderStatus> {
    use OrderAction as A;
    use OrderStatus as S;
    Some(match (status, action) {
        (S::PendingPayment, A::Pay) => S::Paid,
        (S::PendingPayment, A::ChooseCashOnDelivery) => S::PendingConfirmation,
        (S::PendingConfirmation, A::Confirm) => S::Confirmed,
        (S::PendingPayment | S::PendingConfirmation | S::Paid | S::Confirmed, A::Cancel) => {
            S::Cancelled
        }
        (S::PendingPayment | S::PendingConfirmation, A::Expire) => S::Expired,
        (S::Paid | S::Confirmed, A::Complete) => S::Completed,
        (S::Confirmed, A::RefuseAll) => S::Refused,
        // A paid order an operator cancelled still has its money to give back.
        (S::Paid | S::Completed | S::PartiallyRefunded | S::Cancelled, A::RefundPart) => {
            S::PartiallyRefunded
        }
        (S::Paid | S::Completed | S::PartiallyRefunded | S::Cancelled, A::RefundAll) => S::Refunded,
        _ => return None,
    })
}

/// The status a fulfilment action leads to, if the machine allows it. `method` matters: only
/// cash on delivery is refused at the door or has cash to remit.
pub fn next_fulfilment(
    status: FulfilmentStatus,
    action: FulfilmentAction,
    method: PaymentMethod,
) -> Option<FulfilmentStatus> {
    use FulfilmentAction as A;
    use FulfilmentStatus as S;
    let cod = method == PaymentMethod::CashOnDelivery;
    Some(match (status, action) {
        (S::Pending, A::Accept) => S::Accepted,
        (S::Accepted, A::Ship) => S::Shipped,
        (S::Shipped, A::Deliver) => S::Delivered,
        (S::Shipped, A::RefuseAtDoor) if cod => S::Refused,
        (S::Delivered, A::RemitCash) if cod => S::CashRemitted,
        (S::Pending | S::Accepted, A::Cancel) => S::Cancelled,
        _ => return None,
    })
}

pub(crate) fn order_step(
    status: OrderStatus,
    action: OrderAction,
) -> Result<OrderStatus, OrdersError> {
    next_order(status, action).ok_or(OrdersError::IllegalTransition {
        subject: "order",
        action: action.as_str(),
        status: status.as_str(),
    })
}

pub(crate) fn fulfilment_step(
    status: FulfilmentStatus,
    action: FulfilmentAction,
    method: PaymentMethod,
) -> Result<FulfilmentStatus, OrdersError> {
    next_fulfilment(status, action, method).ok_or(OrdersError::IllegalTransition {
        subject: "fulfilment",
        action: action.as_str(),
        status: status.as_str(),
    })
}

/// What an order becomes once every fulfilment is settled: refused if none was delivered (and at
/// least one was refused at the door), completed otherwise. `None` while goods are on their way.
pub fn settle(fulfilments: &[FulfilmentStatus]) -> Option<OrderAction> {
    if fulfilments.is_empty() || !fulfilments.iter().all(|f| f.is_settled()) {
        return None;
    }
    let delivered = fulfilments.iter().any(|f| {
        matches!(
            f,
            FulfilmentStatus::Delivered | FulfilmentStatus::CashRemitted
        )
    });
    let refused = fulfilments.contains(&FulfilmentStatus::Refused);
    match (delivered, refused) {
        (true, _) => Some(OrderAction::Complete),
        (false, true) => Some(OrderAction::RefuseAll),
        (false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (status, action) pair the machine allows, and nothing else.
    #[test]
    fn every_order_transition_not_in_the_table_is_refused() {
        use OrderAction as A;
        use OrderStatus as S;
        let allowed = [
            (S::PendingPayment, A::Pay, S::Paid),
            (
                S::PendingPayment,
                A::ChooseCashOnDelivery,
                S::PendingConfirmation,
            ),
            (S::PendingPayment, A::Cancel, S::Cancelled),
            (S::PendingPayment, A::Expire, S::Expired),
            (S::PendingConfirmation, A::Confirm, S::Confirmed),
            (S::PendingConfirmation, A::Cancel, S::Cancelled),
            (S::PendingConfirmation, A::Expire, S::Expired),
            (S::Paid, A::Cancel, S::Cancelled),
            (S::Paid, A::Complete, S::Completed),
            (S::Paid, A::RefundPart, S::PartiallyRefunded),
            (S::Paid, A::RefundAll, S::Refunded),
            (S::Confirmed, A::Cancel, S::Cancelled),
            (S::Confirmed, A::Complete, S::Completed),
            (S::Confirmed, A::RefuseAll, S::Refused),
            (S::Completed, A::RefundPart, S::PartiallyRefunded),
            (S::Completed, A::RefundAll, S::Refunded),
            (S::PartiallyRefunded, A::RefundPart, S::PartiallyRefunded),
            (S::PartiallyRefunded, A::RefundAll, S::Refunded),
            (S::Cancelled, A::RefundPart, S::PartiallyRefunded),
            (S::Cancelled, A::RefundAll, S::Refunded),
        ];
        let mut checked = 0;
        for &status in OrderStatus::ALL {
            for &action in OrderAction::ALL {
                let expected = allowed
                    .iter()
                    .find(|(s, a, _)| *s == status && *a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(
                    next_order(status, action),
                    expected,
                    "{status:?} {action:?}"
                );
                if expected.is_none() {
                    let err = order_step(status, action);
                    assert!(
                        matches!(err, Err(OrdersError::IllegalTransition { .. })),
                        "{status:?} {action:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(
            checked,
            OrderStatus::ALL.len() * OrderAction::ALL.len() - allowed.len()
        );
    }

    #[test]
    fn every_fulfilment_transition_not_in_the_table_is_refused() {
        use FulfilmentAction as A;
        use FulfilmentStatus as S;
        use PaymentMethod as M;
        let allowed = [
            (S::Pending, A::Accept, M::Card, S::Accepted),
            (S::Pending, A::Accept, M::CashOnDelivery, S::Accepted),
            (S::Accepted, A::Ship, M::Card, S::Shipped),
            (S::Accepted, A::Ship, M::CashOnDelivery, S::Shipped),
            (S::Shipped, A::Deliver, M::Card, S::Delivered),
            (S::Shipped, A::Deliver, M::CashOnDelivery, S::Delivered),
            (S::Shipped, A::RefuseAtDoor, M::CashOnDelivery, S::Refused),
            (
                S::Delivered,
                A::RemitCash,
                M::CashOnDelivery,
                S::CashRemitted,
            ),
            (S::Pending, A::Cancel, M::Card, S::Cancelled),
            (S::Pending, A::Cancel, M::CashOnDelivery, S::Cancelled),
            (S::Accepted, A::Cancel, M::Card, S::Cancelled),
            (S::Accepted, A::Cancel, M::CashOnDelivery, S::Cancelled),
        ];
        for &status in FulfilmentStatus::ALL {
            for &action in FulfilmentAction::ALL {
                for &method in PaymentMethod::ALL {
                    let expected = allowed
                        .iter()
                        .find(|(s, a, m, _)| *s == status && *a == action && *m == method)
                        .map(|(.., to)| *to);
                    assert_eq!(
                        next_fulfilment(status, action, method),
                        expected,
                        "{status:?} {action:?} {method:?}"
                    );
                    assert_eq!(
                        fulfilment_step(status, action, method).is_err(),
                        expected.is_none()
                    );
                }
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(*s));
        }
        for s in FulfilmentStatus::ALL {
            assert_eq!(FulfilmentStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(OrderStatus::parse("shipped"), None);
    }

    #[test]
    fn an_order_settles_only_when_every_fulfilment_has() {
        use FulfilmentStatus as F;
        assert_eq!(settle(&[F::Delivered, F::Shipped]), None);
        assert_eq!(
            settle(&[F::Delivered, F::Refused]),
            Some(OrderAction::Complete)
        );
        assert_eq!(settle(&[F::CashRemitted]), Some(OrderAction::Complete));
        assert_eq!(
            settle(&[F::Refused, F::Refused]),
            Some(OrderAction::RefuseAll)
        );
        assert_eq!(settle(&[F::Cancelled]), None);
        assert_eq!(settle(&[]), None);
    }
}
