//! The private side of an artisan's record: how to reach them, how they are paid, how they
//! agreed to be listed through someone else. Never shown to the public.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use souk_kernel::AccountId;

use crate::model::{Artisan, ArtisanAccess};

/// How an artisan is paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Payout {
    /// To a Moroccan bank account, by its 24-digit RIB.
    BankTransfer { holder: String, rib: String },
    /// To a mobile wallet, by its phone number.
    MobileWallet { provider: String, phone: String },
    /// In cash, handed over by their agent against a receipt.
    CashViaAgent,
}

impl Payout {
    /// The same, with account numbers cut to their last four digits (for the audit trail).
    pub fn masked(&self) -> Payout {
        match self {
            Payout::BankTransfer { holder, rib } => Payout::BankTransfer {
                holder: holder.clone(),
                rib: mask(rib),
            },
            Payout::MobileWallet { provider, phone } => Payout::MobileWallet {
                provider: provider.clone(),
                phone: mask(phone),
            },
            Payout::CashViaAgent => Payout::CashViaAgent,
        }
    }
}

/// `••••1234`: enough to recognise a number, not to use it.
pub fn mask(number: &str) -> String {
    let tail: String = number
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("••••{tail}")
}

/// How the artisan gave their consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// A paper form, signed.
    SignedForm,
    /// A paper form, marked with a thumbprint.
    Thumbprint,
    /// Said aloud before a witness (recorded or not).
    Oral,
}

/// A consent as given in the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentInput {
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
    /// Who saw it given: a neighbour, a cooperative's officer, a local official.
    pub witness: String,
    /// Where the proof is: the form's number, or the URL of its photo.
    pub reference: String,
}

/// A consent on record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
    pub witness: String,
    pub reference: String,
    pub recorded_by: AccountId,
    pub recorded_at: DateTime<Utc>,
}

/// An artisan onboarded in the field.
#[derive(Clone, Debug, Default)]
pub struct OnboardInput {
    pub profile: crate::ArtisanInput,
    pub phone: String,
    pub payout: Option<Payout>,
    pub consent: Option<ConsentInput>,
    /// For admins: the agent who will represent them. Agents onboard for themselves.
    pub agent: Option<AccountId>,
}

/// What the page a label's QR code opens may show of the artisan who made the item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelDisclosure {
    /// Their name, commune and cooperative (what the catalog shows too).
    #[default]
    Workshop,
    /// Their name only.
    Name,
    /// Neither: "an artisan of the region".
    Anonymous,
}

impl LabelDisclosure {
    pub const fn as_str(self) -> &'static str {
        match self {
            LabelDisclosure::Workshop => "workshop",
            LabelDisclosure::Name => "name",
            LabelDisclosure::Anonymous => "anonymous",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "workshop" => Some(LabelDisclosure::Workshop),
            "name" => Some(LabelDisclosure::Name),
            "anonymous" => Some(LabelDisclosure::Anonymous),
            _ => None,
        }
    }
}

/// An artisan's whole record, for them, their agent and admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArtisanRecord {
    pub artisan: Artisan,
    pub access: ArtisanAccess,
    pub phone: Option<String>,
    pub payout: Option<Payout>,
    pub consent: Option<Consent>,
    pub onboarded_by: Option<AccountId>,
    /// A claim code is outstanding (its value is never stored).
    pub claim_pending: bool,
    pub claim_expires_at: Option<DateTime<Utc>>,
}

/// A one-time claim code, shown once to the agent who asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}
