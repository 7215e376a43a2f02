//! The catalog as readers see it. These are what the cache holds (as JSON), so a change of shape
//! only costs misses until the old entries expire.

use crate::agency::model::LabelDisclosure;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_kernel::{AccountId, ArtisanId, CraftId, Gtin, Lang, LocalizedText, Money, ProductId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Craft {
    pub id: CraftId,
    pub slug: String,
    pub parent: Option<CraftId>,
    pub name: LocalizedText,
    pub position: i32,
    /// When an operator retired it: no new product or artisan may take it.
    #[serde(default)]
    pub retired_at: Option<DateTime<Utc>>,
}

/// An artisan's public profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artisan {
    pub id: ArtisanId,
    /// The artisan's own account, if they have one (not shown publicly).
    pub account_id: Option<AccountId>,
    pub name: LocalizedText,
    pub bio: LocalizedText,
    pub default_lang: Lang,
    pub commune: String,
    pub cooperative: Option<String>,
    /// Slugs of the crafts they practise.
    pub crafts: Vec<String>,
    /// What the page of a label on their work shows of them.
    #[serde(default)]
    pub label_disclosure: LabelDisclosure,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ProductStatus::Draft),
            "active" => Some(ProductStatus::Active),
            "archived" => Some(ProductStatus::Archived),
            _ => None,
        }
    }
}

/// Outer dimensions in millimetres.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimensions {
    pub length_mm: Option<u32>,
    pub width_mm: Option<u32>,
    pub height_mm: Option<u32>,
}

/// The maker of a product, as a listing names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtisanRef {
    pub id: ArtisanId,
    pub name: LocalizedText,
    pub default_lang: Lang,
    pub commune: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub artisan: ArtisanRef,
    /// Who may act for the artisan (for edit rights; not shown publicly).
    pub access: ArtisanAccess,
    /// Who created the listing, when it was not the artisan themself.
    pub listed_by: Option<AccountId>,
    /// True when that was the artisan's agent (the public page says it was listed through one).
    pub listed_by_agent: bool,
    pub craft: String,
    pub title: LocalizedText,
    pub description: LocalizedText,
    pub default_lang: Lang,
    pub materials: Vec<String>,
    pub dimensions: Dimensions,
    pub weight_g: Option<u32>,
    pub price: Money,
    pub stock: u32,
    /// Days to make it, for made-to-order items.
    pub lead_time_days: Option<u16>,
    pub status: ProductStatus,
    pub photos: Vec<String>,
    /// Set by certifications (a product's own, or its artisan's line in its craft).
    pub certified_until: Option<DateTime<Utc>>,
    /// GS1 trade item number, as 14 digits.
    pub gtin: Option<Gtin>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who may act for an artisan: the artisan's own account, and the agent who represents them
/// within what the artisan granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtisanAccess {
    pub artisan: ArtisanId,
    /// The artisan's own account, once they have one (signed up, or claimed from their agent).
    pub account: Option<AccountId>,
    pub agent: Option<AccountId>,
    /// What the agent may do once the artisan has an account; before that the agent acts fully.
    pub grants: AgentGrants,
    /// A record of the artisan's consent to be listed through someone else.
    pub consent_on_record: bool,
}

/// What an artisan who took over their account lets their agent do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentGrants {
    /// List, edit and photograph products.
    pub products: bool,
    /// Change how the artisan is paid.
    pub payout: bool,
}

impl Default for AgentGrants {
    /// What a claim grants unless the artisan says otherwise: the agent keeps managing the
    /// listings, and only the artisan changes where the money goes.
    fn default() -> Self {
        Self {
            products: true,
            payout: false,
        }
    }
}

/// A product as a listing shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSummary {
    pub id: ProductId,
    pub artisan: ArtisanRef,
    pub craft: String,
    pub title: LocalizedText,
    pub default_lang: Lang,
    pub price: Money,
    pub stock: u32,
    pub lead_time_days: Option<u16>,
    pub photo: Option<String>,
    pub certified_until: Option<DateTime<Utc>>,
}

/// Whether a certification valid until `until` still holds at `now`.
pub fn is_certified(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    until.is_some_and(|u| u > now)
}

impl Product {
    pub fn is_certified(&self, now: DateTime<Utc>) -> bool {
        is_certified(self.certified_until, now)
    }

    /// In stock, or made to order.
    pub fn is_available(&self) -> bool {
        self.stock > 0 || self.lead_time_days.is_some()
    }
}

impl ProductSummary {
    pub fn is_certified(&self, now: DateTime<Utc>) -> bool {
        is_certified(self.certified_until, now)
    }

    pub fn is_available(&self) -> bool {
        self.stock > 0 || self.lead_time_days.is_some()
    }
}
