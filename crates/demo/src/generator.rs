//! Makes crafts, artisans and products from the region's data, reproducibly from a seed.

use chrono::{DateTime, Duration, Utc};
use souk_catalog::{
    AgentGrants, Artisan, ArtisanAccess, ArtisanRef, Craft, Dimensions, Product, ProductStatus,
};
use souk_kernel::{ArtisanId, CraftId, Lang, LocalizedText, Money, ProductId};

use crate::data::{COMMUNES, COOPERATIVES, CRAFTS, CraftData, FAMILY_NAMES, GIVEN_NAMES};

/// A craft's names (ar, fr, en), from the reference taxonomy that every demo craft is part of.
fn craft_name(slug: &str) -> [&'static str; 3] {
    souk_catalog::reference::craft(slug).map_or(["", "", ""], |c| c.name)
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

pub(crate) struct Generator {
    rng: fastrand::Rng,
    crafts: Vec<Craft>,
    now: DateTime<Utc>,
}

impl Generator {
    pub(crate) fn new(seed: u64, crafts: Vec<Craft>) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
            crafts,
            now: Utc::now(),
        }
    }

    fn craft_data(slug: &str) -> &'static CraftData {
        CRAFTS.iter().find(|c| c.slug == slug).unwrap_or(&CRAFTS[0])
    }

    fn craft_id(&self, slug: &str) -> CraftId {
        self.crafts
            .iter()
            .find(|c| c.slug == slug)
            .map_or_else(CraftId::new, |c| c.id)
    }

    /// The `i`-th artisan: a name, a commune, one or two crafts, maybe a cooperative.
    pub(crate) fn artisan(&mut self, i: usize) -> (Artisan, Vec<CraftId>) {
        let given = GIVEN_NAMES[i % GIVEN_NAMES.len()];
        let family = FAMILY_NAMES[(i * 7 + i / GIVEN_NAMES.len()) % FAMILY_NAMES.len()];
        let commune = COMMUNES[(i * 3 + i / 7) % COMMUNES.len()];
        let first = &CRAFTS[i % CRAFTS.len()];
        let mut slugs = vec![first.slug];
        if i.is_multiple_of(3) {
            slugs.push(CRAFTS[(i / 3 + 5) % CRAFTS.len()].slug);
        }
        slugs.dedup();
        let years = self.rng.u32(5..=45);
        let craft = craft_name(first.slug);
        let bio = LocalizedText::from_pairs([
            (
                Lang::Ar,
                format!(
                    "يمارس حرفة {} في {} منذ {} سنة.",
                    craft[0], commune[0], years
                ),
            ),
            (
                Lang::Fr,
                format!("{} à {} depuis {} ans.", craft[1], commune[1], years),
            ),
            (
                Lang::En,
                format!("{} in {} for {} years.", craft[2], commune[2], years),
            ),
        ]);
        let artisan = Artisan {
            id: ArtisanId::new(),
            account_id: None,
            name: LocalizedText::from_pairs([
                (Lang::Ar, format!("{} {}", given[0], family[0])),
                (Lang::Fr, format!("{} {}", given[1], family[1])),
                (Lang::En, format!("{} {}", given[1], family[1])),
            ]),
            bio,
            default_lang: if i.is_multiple_of(2) {
                Lang::Ar
            } else {
                Lang::Fr
            },
            commune: commune[1].into(),
            cooperative: i
                .is_multiple_of(5)
                .then(|| COOPERATIVES[i % COOPERATIVES.len()][1].to_owned()),
            crafts: slugs.iter().map(|s| (*s).to_owned()).collect(),
            label_disclosure: Default::default(),
            created_at: self.now,
        };
        let ids = slugs.iter().map(|s| self.craft_id(s)).collect();
        (artisan, ids)
    }

    /// A product by `artisan` in one of their crafts.
    pub(crate) fn product(&mut self, artisan: &Artisan) -> Product {
        let slug = &artisan.crafts[self.rng.usize(..artisan.crafts.len())];
        let craft = Self::craft_data(slug);
        let item = &craft.items[self.rng.usize(..craft.items.len())];
        let quality = &craft.qualities[self.rng.usize(..craft.qualities.len())];
        let commune = COMMUNES
            .iter()
            .find(|c| c[1] == artisan.commune)
            .copied()
            .unwrap_or(COMMUNES[0]);
        let with_place = self.rng.bool();
        let place = |i: usize| {
            if with_place {
                format!(" — {}", commune[i])
            } else {
                String::new()
            }
        };
        let fr_quality = if item.feminine { quality.2 } else { quality.1 };
        let title = LocalizedText::from_pairs([
            (
                Lang::Ar,
                format!("{} {}{}", item.name[0], quality.0, place(0)),
            ),
            (
                Lang::Fr,
                format!("{} {}{}", item.name[1], fr_quality, place(1)),
            ),
            (
                Lang::En,
                format!("{} {}{}", capitalize(quality.3), item.name[2], place(2)),
            ),
        ]);
        let maker_ar = artisan.name.get(Lang::Ar).unwrap_or_default();
        let maker_fr = artisan.name.get(Lang::Fr).unwrap_or_default();
        let description = LocalizedText::from_pairs([
            (
                Lang::Ar,
                format!(
                    "{} {}، صُنع يدويا في ورشة {} ب{}. {}",
                    item.name[0], quality.0, maker_ar, commune[0], craft.about[0]
                ),
            ),
            (
                Lang::Fr,
                format!(
                    "{} {}, fait main dans l'atelier de {} à {}. {}",
                    item.name[1], fr_quality, maker_fr, commune[1], craft.about[1]
                ),
            ),
            (
                Lang::En,
                format!(
                    "{} {}, handmade in the workshop of {} in {}. {}",
                    capitalize(quality.3),
                    item.name[2],
                    maker_fr,
                    commune[2],
                    craft.about[2]
                ),
            ),
        ]);
        let (low, high) = item.price_mad;
        let price_minor = self.rng.i64(low..=high) / 10 * 10 * 100;
        let made_to_order = self.rng.u8(..100) < 15;
        let stock = match (made_to_order, self.rng.u8(..100)) {
            (true, _) => 0,
            (false, r) if r < 65 => 1,
            (false, _) => self.rng.u32(2..=12),
        };
        let certified_until = match self.rng.u8(..100) {
            0..45 => Some(self.now + Duration::days(self.rng.i64(180..=1_000))),
            45..50 => Some(self.now - Duration::days(30)),
            _ => None,
        };
        let mut dimension = || Some(self.rng.u32(80..=1_200));
        Product {
            id: ProductId::new(),
            artisan: ArtisanRef {
                id: artisan.id,
                name: artisan.name.clone(),
                default_lang: artisan.default_lang,
                commune: artisan.commune.clone(),
            },
            access: ArtisanAccess {
                artisan: artisan.id,
                account: None,
                agent: None,
                grants: AgentGrants::default(),
                consent_on_record: false,
            },
            listed_by: None,
            listed_by_agent: false,
            craft: craft.slug.into(),
            title,
            description,
            default_lang: artisan.default_lang,
            materials: craft.materials.iter().map(|m| (*m).to_owned()).collect(),
            dimensions: Dimensions {
                length_mm: dimension(),
                width_mm: dimension(),
                height_mm: dimension(),
            },
            weight_g: Some(self.rng.u32(item.weight_g.0..=item.weight_g.1)),
            price: Money::mad(price_minor.max(100)),
            stock,
            lead_time_days: made_to_order.then(|| self.rng.u16(7..=45)),
            status: ProductStatus::Active,
            photos: Vec::new(),
            certified_until,
            gtin: None,
            version: 1,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}
