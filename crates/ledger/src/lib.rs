//! Souk's books.
//!
//! A double-entry ledger in integer minor units. Every posting's entries sum to zero: debits are
//! positive, credits negative. Accounts are the money Souk holds (Stripe's clearing balance, the
//! cash couriers collected, its bank) and what it owes (each artisan, each agent, the carriers)
//! or earned (its commission).
//!
//! Rounding rule: a commission is the floor of `amount × rate`; the artisan gets the rest of the
//! line, so no centime is created or lost. A refund reverses each share in proportion to the part
//! of the line refunded so far, computed on the running total (floor of `share × refunded ÷ line`
//! minus what earlier refunds reversed), so a line refunded in full, in any number of steps, is
//! reversed exactly.

mod split;
pub mod store;

pub use split::{LineShare, SaleLine, bps_of, shares};

use serde::{Deserialize, Serialize};
use souk_kernel::{AccountId, ArtisanId};
use uuid::Uuid;

/// An account of the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Account {
    /// Card payments received, held by Stripe until paid out to Souk.
    StripeClearing,
    /// Cash collected at the door, held by the courier (or agent) until remitted.
    CourierCash,
    /// Souk's bank: where remitted cash and Stripe payouts land, and payouts leave from.
    Bank,
    /// Souk's own commission.
    PlatformCommission,
    /// Shipping fees, owed to the carriers.
    ShippingPayable,
    /// What Souk owes an artisan.
    ArtisanPayable(ArtisanId),
    /// What Souk owes an agent.
    AgentPayable(AccountId),
}

impl Account {
    /// The stored code: `stripe_clearing`, `artisan:<uuid>`...
    pub fn code(self) -> String {
        match self {
            Account::StripeClearing => "stripe_clearing".into(),
            Account::CourierCash => "courier_cash".into(),
            Account::Bank => "bank".into(),
            Account::PlatformCommission => "platform_commission".into(),
            Account::ShippingPayable => "shipping_payable".into(),
            Account::ArtisanPayable(id) => format!("artisan:{id}"),
            Account::AgentPayable(id) => format!("agent:{id}"),
        }
    }

    pub fn parse(code: &str) -> Option<Account> {
        Some(match code {
            "stripe_clearing" => Account::StripeClearing,
            "courier_cash" => Account::CourierCash,
            "bank" => Account::Bank,
            "platform_commission" => Account::PlatformCommission,
            "shipping_payable" => Account::ShippingPayable,
            _ => match code.split_once(':')? {
                ("artisan", id) => Account::ArtisanPayable(id.parse::<Uuid>().ok()?.into()),
                ("agent", id) => Account::AgentPayable(id.parse::<Uuid>().ok()?.into()),
                _ => return None,
            },
        })
    }
}

/// One line of a posting: a debit (positive) or a credit (negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub account: Account,
    pub amount_minor: i64,
}

/// What a posting records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostingKind {
    Payment,
    Refund,
    /// Cash a courier collected, handed over to Souk's bank.
    Remittance,
    Payout,
}

impl PostingKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            PostingKind::Payment => "payment",
            PostingKind::Refund => "refund",
            PostingKind::Remittance => "remittance",
            PostingKind::Payout => "payout",
        }
    }
}

/// A balanced set of entries, recorded together or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub kind: PostingKind,
    entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LedgerError {
    #[error("the entries sum to {0}, not zero")]
    Unbalanced(i64),
    #[error("amounts overflow")]
    Overflow,
    #[error("line {line}: {refunded} refunded in all, more than its {paid}")]
    RefundTooLarge {
        line: Uuid,
        refunded: i64,
        paid: i64,
    },
    #[error("shipping: {refunded} refunded in all, more than its {paid}")]
    ShippingRefundTooLarge { refunded: i64, paid: i64 },
    #[error("no line {0} in this order")]
    UnknownLine(Uuid),
    #[error("amounts must be positive")]
    NotPositive,
}

impl Posting {
    /// Entries merged per account (zero ones dropped), refused unless they sum to zero.
    pub fn new(
        kind: PostingKind,
        entries: impl IntoIterator<Item = Entry>,
    ) -> Result<Self, LedgerError> {
        let mut merged: Vec<Entry> = Vec::new();
        for e in entries {
            match merged.iter_mut().find(|m| m.account == e.account) {
                Some(m) => {
                    m.amount_minor = m
                        .amount_minor
                        .checked_add(e.amount_minor)
                        .ok_or(LedgerError::Overflow)?;
                }
                None => merged.push(e),
            }
        }
        merged.retain(|e| e.amount_minor != 0);
        let sum = merged
            .iter()
            .try_fold(0_i64, |s, e| s.checked_add(e.amount_minor))
            .ok_or(LedgerError::Overflow)?;
        if sum != 0 {
            return Err(LedgerError::Unbalanced(sum));
        }
        Ok(Posting {
            kind,
            entries: merged,
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The amount this posting moves on one account (0 if none).
    pub fn amount(&self, account: Account) -> i64 {
        self.entries
            .iter()
            .filter(|e| e.account == account)
            .map(|e| e.amount_minor)
            .sum()
    }
}

/// A buyer's payment of an order: the money received (`into`: Stripe's clearing balance for a
/// card, the courier's cash for cash on delivery) against what it owes each party.
pub fn payment(
    into: Account,
    lines: &[LineShare],
    shipping_minor: i64,
) -> Result<Posting, LedgerError> {
    let mut entries = Vec::with_capacity(lines.len() * 3 + 2);
    let mut total = shipping_minor;
    for l in lines {
        total = total.checked_add(l.gross).ok_or(LedgerError::Overflow)?;
        entries.extend(l.credits(1));
    }
    entries.push(Entry {
        account: Account::ShippingPayable,
        amount_minor: -shipping_minor,
    });
    entries.push(Entry {
        account: into,
        amount_minor: total,
    });
    Posting::new(PostingKind::Payment, entries)
}

/// Part of a line refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRefund {
    pub line: Uuid,
    pub amount_minor: i64,
}

/// What was refunded before, per line and of the shipping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refunded {
    pub lines: std::collections::HashMap<Uuid, i64>,
    pub shipping_minor: i64,
}

/// A refund: each refunded line's shares reversed in proportion (see the module's rounding
/// rule), the shipping refunded from what the carriers are owed, the money paid back `from` where
/// it was received.
pub fn refund(
    from: Account,
    lines: &[LineShare],
    before: &Refunded,
    refunds: &[LineRefund],
    shipping_paid: i64,
    shipping_refund: i64,
) -> Result<Posting, LedgerError> {
    let mut entries = Vec::new();
    let mut total = 0_i64;
    // Refunded so far per line, counting this refund's earlier lines (a line may appear twice).
    let mut so_far = before.lines.clone();
    for r in refunds {
        if r.amount_minor <= 0 {
            return Err(LedgerError::NotPositive);
        }
        let share = lines
            .iter()
            .find(|l| l.line == r.line)
            .ok_or(LedgerError::UnknownLine(r.line))?;
        let earlier = so_far.get(&r.line).copied().unwrap_or(0);
        let after = earlier
            .checked_add(r.amount_minor)
            .ok_or(LedgerError::Overflow)?;
        if after > share.gross {
            return Err(LedgerError::RefundTooLarge {
                line: r.line,
                refunded: after,
                paid: share.gross,
            });
        }
        so_far.insert(r.line, after);
        let reversed = |part: i64| {
            proportion(part, after, share.gross) - proportion(part, earlier, share.gross)
        };
        let platform = reversed(share.platform);
        let agent = reversed(share.agent_fee);
        let artisan = r.amount_minor - platform - agent;
        entries.push(Entry {
            account: Account::PlatformCommission,
            amount_minor: platform,
        });
        if let Some(a) = share.agent {
            entries.push(Entry {
                account: Account::AgentPayable(a),
                amount_minor: agent,
            });
        }
        entries.push(Entry {
            account: Account::ArtisanPayable(share.artisan),
            amount_minor: artisan,
        });
        total = total
            .checked_add(r.amount_minor)
            .ok_or(LedgerError::Overflow)?;
    }
    if shipping_refund < 0 {
        return Err(LedgerError::NotPositive);
    }
    let shipping_after = before.shipping_minor + shipping_refund;
    if shipping_after > shipping_paid {
        return Err(LedgerError::ShippingRefundTooLarge {
            refunded: shipping_after,
            paid: shipping_paid,
        });
    }
    entries.push(Entry {
        account: Account::ShippingPayable,
        amount_minor: shipping_refund,
    });
    total = total
        .checked_add(shipping_refund)
        .ok_or(LedgerError::Overflow)?;
    if total == 0 {
        return Err(LedgerError::NotPositive);
    }
    entries.push(Entry {
        account: from,
        amount_minor: -total,
    });
    Posting::new(PostingKind::Refund, entries)
}

/// Cash collected at the door reaching Souk's bank.
pub fn remittance(amount_minor: i64) -> Result<Posting, LedgerError> {
    if amount_minor <= 0 {
        return Err(LedgerError::NotPositive);
    }
    Posting::new(
        PostingKind::Remittance,
        [
            Entry {
                account: Account::Bank,
                amount_minor,
            },
            Entry {
                account: Account::CourierCash,
                amount_minor: -amount_minor,
            },
        ],
    )
}

/// A payout: what Souk owes a party (`to`: an artisan's or agent's payable) settled from its bank.
pub fn payout(to: Account, amount_minor: i64) -> Result<Posting, LedgerError> {
    if amount_minor <= 0 {
        return Err(LedgerError::NotPositive);
    }
    Posting::new(
        PostingKind::Payout,
        [
            Entry {
                account: to,
                amount_minor,
            },
            Entry {
                account: Account::Bank,
                amount_minor: -amount_minor,
            },
        ],
    )
}

/// `floor(part × refunded ÷ whole)` without overflow, for `0 <= refunded <= whole`.
fn proportion(part: i64, refunded: i64, whole: i64) -> i64 {
    if whole == 0 {
        return 0;
    }
    let p = i128::from(part) * i128::from(refunded) / i128::from(whole);
    // |p| <= |part|, so it fits.
    i64::try_from(p).unwrap_or(part)
}

#[cfg(test)]
mod tests;
