//! The ledger's rules, for any order: every posting balances, the shares add up to what the buyer
//! paid, and refunds (in any number of steps) reverse exactly what was credited.

use std::collections::HashMap;

use proptest::prelude::*;
use souk_kernel::{AccountId, ArtisanId};
use uuid::Uuid;

use super::*;

fn balances(postings: &[Posting]) -> HashMap<Account, i64> {
    let mut out: HashMap<Account, i64> = HashMap::new();
    for p in postings {
        for e in p.entries() {
            *out.entry(e.account).or_default() += e.amount_minor;
        }
    }
    out.retain(|_, v| *v != 0);
    out
}

/// A line as a test describes it: artisan index, agent index and commission, price.
type LineSpec = (usize, Option<(usize, u32)>, i64);

fn sale(artisans: &[ArtisanId], agents: &[AccountId], spec: &[LineSpec]) -> Vec<SaleLine> {
    spec.iter()
        .map(|(a, agent, gross)| SaleLine {
            line: Uuid::now_v7(),
            artisan: artisans[*a],
            agent: agent.map(|(i, bps)| (agents[i], bps)),
            gross: *gross,
        })
        .collect()
}

#[test]
fn a_payment_splits_to_the_centime_with_commissions_rounded_down() {
    let (artisan, agent) = (ArtisanId::new(), AccountId::new());
    let lines = sale(
        &[artisan],
        &[agent],
        &[(0, Some((0, 500)), 33_333), (0, None, 10_001)],
    );
    let s = shares(&lines, 1_000);
    // 10% of 333.33 MAD is 33.333: 3,333 centimes; 5% is 1,666.65: 1,666.
    assert_eq!(
        (s[0].platform, s[0].agent_fee, s[0].artisan_net()),
        (3_333, 1_666, 28_334)
    );
    assert_eq!(
        (s[1].platform, s[1].agent_fee, s[1].artisan_net()),
        (1_000, 0, 9_001)
    );
    let p = payment(Account::StripeClearing, &s, 2_500).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.amount(Account::StripeClearing), 45_834);
    assert_eq!(p.amount(Account::PlatformCommission), -4_333);
    assert_eq!(p.amount(Account::AgentPayable(agent)), -1_666);
    assert_eq!(p.amount(Account::ArtisanPayable(artisan)), -37_335);
    assert_eq!(p.amount(Account::ShippingPayable), -2_500);
}

#[test]
fn unbalanced_entries_and_oversized_refunds_are_refused() {
    let e = |account, amount_minor| Entry {
        account,
        amount_minor,
    };
    assert_eq!(
        Posting::new(
            PostingKind::Payment,
            [e(Account::Bank, 10), e(Account::PlatformCommission, -9)]
        ),
        Err(LedgerError::Unbalanced(1))
    );
    let lines = sale(&[ArtisanId::new()], &[], &[(0, None, 1_000)]);
    let s = shares(&lines, 1_000);
    let before = Refunded {
        lines: HashMap::from([(s[0].line, 600)]),
        shipping_minor: 0,
    };
    let too_much = [LineRefund {
        line: s[0].line,
        amount_minor: 401,
    }];
    assert!(matches!(
        refund(Account::StripeClearing, &s, &before, &too_much, 0, 0),
        Err(LedgerError::RefundTooLarge { .. })
    ));
    assert!(matches!(
        refund(
            Account::StripeClearing,
            &s,
            &Refunded::default(),
            &[],
            500,
            501
        ),
        Err(LedgerError::ShippingRefundTooLarge { .. })
    ));
    assert!(payout(Account::Bank, 0).is_err());
}

#[test]
fn account_codes_round_trip() {
    for a in [
        Account::StripeClearing,
        Account::CourierCash,
        Account::Bank,
        Account::PlatformCommission,
        Account::ShippingPayable,
        Account::ArtisanPayable(ArtisanId::new()),
        Account::AgentPayable(AccountId::new()),
    ] {
        assert_eq!(Account::parse(&a.code()), Some(a));
    }
    assert_eq!(Account::parse("artisan:nope"), None);
}

/// A random order: up to 8 lines over 3 artisans and 2 agents, any price up to 10 million MAD.
fn order() -> impl Strategy<Value = (Vec<LineSpec>, u32, i64)> {
    (
        prop::collection::vec(
            (
                0usize..3,
                prop::option::of((0usize..2, 0u32..=5_000)),
                1i64..=1_000_000_000,
            ),
            1..8,
        ),
        0u32..=3_000,
        0i64..=200_000,
    )
}

proptest! {
    #[test]
    fn every_posting_balances_and_the_shares_add_up_to_what_the_buyer_paid(
        (spec, platform_bps, shipping) in order(),
        // Refund steps: (line index, percent of what is left of it), and a shipping part.
        steps in prop::collection::vec((0usize..8, 1i64..=100, 0i64..=100), 0..6),
    ) {
        let artisans = [ArtisanId::new(), ArtisanId::new(), ArtisanId::new()];
        let agents = [AccountId::new(), AccountId::new()];
        let lines = sale(&artisans, &agents, &spec);
        let s = shares(&lines, platform_bps);
        let paid: i64 = lines.iter().map(|l| l.gross).sum::<i64>() + shipping;

        let pay = payment(Account::CourierCash, &s, shipping).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(pay.entries().iter().map(|e| e.amount_minor).sum::<i64>(), 0);
        prop_assert_eq!(pay.amount(Account::CourierCash), paid);
        let owed: i64 = pay.entries().iter().filter(|e| e.account != Account::CourierCash).map(|e| -e.amount_minor).sum();
        prop_assert_eq!(owed, paid, "artisans + agents + platform + carriers = what the buyer paid");
        for l in &s {
            prop_assert!(l.platform >= 0 && l.agent_fee >= 0 && l.artisan_net() >= 0);
            prop_assert_eq!(l.platform + l.agent_fee + l.artisan_net(), l.gross);
        }

        let mut postings = vec![pay];
        let mut before = Refunded::default();
        for (i, pct, ship_pct) in steps {
            let share = s[i % s.len()];
            let left = share.gross - before.lines.get(&share.line).copied().unwrap_or(0);
            let amount = left * pct / 100;
            let ship = (shipping - before.shipping_minor) * ship_pct / 100;
            let line_refunds: Vec<LineRefund> = if amount > 0 {
                vec![LineRefund { line: share.line, amount_minor: amount }]
            } else {
                Vec::new()
            };
            if line_refunds.is_empty() && ship == 0 {
                continue;
            }
            let r = refund(Account::CourierCash, &s, &before, &line_refunds, shipping, ship)
                .unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(r.entries().iter().map(|e| e.amount_minor).sum::<i64>(), 0);
            prop_assert_eq!(-r.amount(Account::CourierCash), amount + ship, "paid back what was refunded");
            *before.lines.entry(share.line).or_default() += amount;
            before.shipping_minor += ship;
            postings.push(r);
            // No party is ever reversed past what it was credited.
            for (account, balance) in balances(&postings) {
                if account != Account::CourierCash {
                    prop_assert!(balance <= 0, "{account:?} went to {balance}");
                }
            }
        }

        // Refund whatever is left: every balance comes back to zero, to the centime.
        let rest: Vec<LineRefund> = s
            .iter()
            .map(|l| LineRefund { line: l.line, amount_minor: l.gross - before.lines.get(&l.line).copied().unwrap_or(0) })
            .filter(|r| r.amount_minor > 0)
            .collect();
        let ship_rest = shipping - before.shipping_minor;
        if !rest.is_empty() || ship_rest > 0 {
            postings.push(refund(Account::CourierCash, &s, &before, &rest, shipping, ship_rest).unwrap_or_else(|e| panic!("{e}")));
        }
        prop_assert!(balances(&postings).is_empty(), "{:?}", balances(&postings));
    }

    #[test]
    fn a_payout_settles_what_is_owed(amount in 1i64..=1_000_000_000) {
        let artisan = Account::ArtisanPayable(ArtisanId::new());
        let p = payout(artisan, amount).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(p.amount(artisan), amount);
        prop_assert_eq!(p.amount(Account::Bank), -amount);
    }
}
