//! Splitting a sale: for each line, the platform's commission, the agent's (when an agent listed
//! the product) and the artisan's remainder.

use serde::{Deserialize, Serialize};
use souk_kernel::{AccountId, ArtisanId};
use uuid::Uuid;

use super::{Account, Entry};

/// A line of an order as the ledger needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaleLine {
    pub line: Uuid,
    pub artisan: ArtisanId,
    /// The agent who listed it, with their commission in basis points.
    pub agent: Option<(AccountId, u32)>,
    /// What the buyer paid for the line (unit price × quantity).
    pub gross: i64,
}

/// Who gets what of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineShare {
    pub line: Uuid,
    pub artisan: ArtisanId,
    pub agent: Option<AccountId>,
    pub gross: i64,
    pub platform: i64,
    pub agent_fee: i64,
}

impl LineShare {
    /// The artisan's part: the line less both commissions.
    pub fn artisan_net(&self) -> i64 {
        self.gross - self.platform - self.agent_fee
    }

    /// The credits of this line's parties, times `sign` (1 for a payment).
    pub(crate) fn credits(&self, sign: i64) -> Vec<Entry> {
        let mut out = vec![
            Entry {
                account: Account::PlatformCommission,
                amount_minor: -sign * self.platform,
            },
            Entry {
                account: Account::ArtisanPayable(self.artisan),
                amount_minor: -sign * self.artisan_net(),
            },
        ];
        if let Some(agent) = self.agent {
            out.push(Entry {
                account: Account::AgentPayable(agent),
                amount_minor: -sign * self.agent_fee,
            });
        }
        out
    }
}

/// `floor(amount × bps ÷ 10 000)` for a non-negative amount.
pub fn bps_of(amount: i64, bps: u32) -> i64 {
    let v = i128::from(amount) * i128::from(bps) / 10_000;
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The shares of each line. Both commissions are taken from the line's price (never from the
/// shipping), rounded down; the artisan gets the rest. Rates above 100% in all are clamped so the
/// artisan's part never goes below zero.
pub fn shares(lines: &[SaleLine], platform_bps: u32) -> Vec<LineShare> {
    lines
        .iter()
        .map(|l| {
            let platform = bps_of(l.gross, platform_bps.min(10_000));
            let agent_fee = l
                .agent
                .map_or(0, |(_, bps)| bps_of(l.gross, bps.min(10_000)))
                .min(l.gross - platform);
            LineShare {
                line: l.line,
                artisan: l.artisan,
                agent: l.agent.map(|(a, _)| a),
                gross: l.gross,
                platform,
                agent_fee,
            }
        })
        .collect()
}
