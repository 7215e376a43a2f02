//! sea-orm entities, one module per table. They mirror `migrations/`; the domain crates turn rows
//! into their own types and never hand these to the gateway.

pub mod account_tokens;
pub mod accounts;
pub mod addresses;
pub mod agents;
pub mod artisan_crafts;
pub mod artisans;
pub mod audit_events;
pub mod card_payments;
pub mod certifications;
pub mod crafts;
pub mod deliveries;
pub mod fulfilments;
pub mod idempotency_keys;
pub mod label_batches;
pub mod label_reports;
pub mod label_scans;
pub mod labels;
pub mod ledger_entries;
pub mod ledger_postings;
pub mod line_shares;
pub mod order_history;
pub mod order_lines;
pub mod orders;
pub mod outbox_events;
pub mod payout_batches;
pub mod payout_items;
pub mod product_photos;
pub mod products;
pub mod refund_lines;
pub mod refunds;
pub mod search_changes;
pub mod sessions;
pub mod stripe_events;
pub mod sync_operations;
pub mod webhook_endpoints;
