//! Shipping fees from the rate table in `config/` (`[orders.shipping]`): two domestic zones (the
//! Fès area and the rest of Morocco) and one international zone, each priced by parcel weight.

use serde::{Deserialize, Serialize};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

use crate::OrdersError;

/// Where a parcel goes, for pricing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    Fes,
    Morocco,
    International,
}

impl Zone {
    pub const fn as_str(self) -> &'static str {
        match self {
            Zone::Fes => "fes",
            Zone::Morocco => "morocco",
            Zone::International => "international",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fes" => Some(Zone::Fes),
            "morocco" => Some(Zone::Morocco),
            "international" => Some(Zone::International),
            _ => None,
        }
    }
}

/// One zone's prices: the fee of the first bracket whose weight bound holds the parcel, and past
/// the last bracket that fee plus `per_extra_kg` for each started kilogram, up to `max_weight_g`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneRates {
    /// `[up to grams, fee in centimes]`, by increasing weight.
    pub brackets: Vec<[i64; 2]>,
    pub per_extra_kg: i64,
    pub max_weight_g: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingRates {
    /// Cities of the Fès zone, compared without case, accents or hyphens.
    pub fes_cities: Vec<String>,
    /// Weight assumed for a product that has none, per unit.
    pub default_weight_g: i64,
    pub fes: ZoneRates,
    pub morocco: ZoneRates,
    pub international: ZoneRates,
}

impl ShippingRates {
    /// Checks the table makes sense: brackets ascending with non-negative fees.
    pub fn validate(&self) -> Result<(), String> {
        if self.default_weight_g <= 0 {
            return Err("default_weight_g must be positive".into());
        }
        for (name, zone) in [
            ("fes", &self.fes),
            ("morocco", &self.morocco),
            ("international", &self.international),
        ] {
            if zone.brackets.is_empty() {
                return Err(format!("{name}: at least one bracket"));
            }
            let ascending = zone.brackets.windows(2).all(|w| w[0][0] < w[1][0]);
            let sane = zone.brackets.iter().all(|[w, fee]| *w > 0 && *fee >= 0);
            if !ascending || !sane {
                return Err(format!(
                    "{name}: brackets must be [grams, centimes] with grams increasing"
                ));
            }
            if zone.per_extra_kg < 0 || zone.max_weight_g <= 0 {
                return Err(format!("{name}: per_extra_kg >= 0 and max_weight_g > 0"));
            }
        }
        Ok(())
    }

    /// The zone of a delivery address.
    pub fn zone_of(&self, country: &str, city: &str) -> Zone {
        if !country.eq_ignore_ascii_case("MA") {
            return Zone::International;
        }
        let city = fold(city);
        if self.fes_cities.iter().any(|c| fold(c) == city) {
            Zone::Fes
        } else {
            Zone::Morocco
        }
    }

    pub fn rates(&self, zone: Zone) -> &ZoneRates {
        match zone {
            Zone::Fes => &self.fes,
            Zone::Morocco => &self.morocco,
            Zone::International => &self.international,
        }
    }

    /// The fee, in centimes, of one parcel of `weight_g` grams to `zone`.
    pub fn fee(&self, zone: Zone, weight_g: i64) -> Result<i64, OrdersError> {
        let rates = self.rates(zone);
        if weight_g > rates.max_weight_g {
            return Err(OrdersError::NoShippingRate(format!(
                "{weight_g} g is over the {} g limit to {}",
                rates.max_weight_g,
                zone.as_str()
            )));
        }
        if let Some([_, fee]) = rates.brackets.iter().find(|[w, _]| weight_g <= *w) {
            return Ok(*fee);
        }
        let [last_w, last_fee] = rates.brackets[rates.brackets.len() - 1];
        let extra_kg = (weight_g - last_w + 999) / 1000;
        Ok(last_fee + extra_kg * rates.per_extra_kg)
    }
}

/// Lower case, without accents, spaces or hyphens: "Fès", "FES" and "fes" are one city.
fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c) && !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn rates() -> ShippingRates {
        let zone = |brackets: Vec<[i64; 2]>, per_extra_kg, max_weight_g| ZoneRates {
            brackets,
            per_extra_kg,
            max_weight_g,
        };
        ShippingRates {
            fes_cities: vec!["Fès".into(), "فاس".into(), "Fez".into()],
            default_weight_g: 1000,
            fes: zone(vec![[2000, 2500], [5000, 3500]], 500, 30_000),
            morocco: zone(vec![[2000, 4000], [5000, 6000]], 800, 30_000),
            international: zone(vec![[1000, 22_000], [5000, 60_000]], 9000, 20_000),
        }
    }

    #[test]
    fn zones_follow_country_and_city() {
        let r = rates();
        assert_eq!(r.zone_of("MA", "FES"), Zone::Fes);
        assert_eq!(r.zone_of("ma", "fès"), Zone::Fes);
        assert_eq!(r.zone_of("MA", "فاس"), Zone::Fes);
        assert_eq!(r.zone_of("MA", "Meknès"), Zone::Morocco);
        assert_eq!(r.zone_of("FR", "Fès"), Zone::International);
    }

    #[test]
    fn fees_follow_brackets_then_started_kilograms() {
        let r = rates();
        assert_eq!(r.fee(Zone::Fes, 1).ok(), Some(2500));
        assert_eq!(r.fee(Zone::Fes, 2000).ok(), Some(2500));
        assert_eq!(r.fee(Zone::Fes, 2001).ok(), Some(3500));
        assert_eq!(r.fee(Zone::Morocco, 5001).ok(), Some(6800));
        assert_eq!(r.fee(Zone::Morocco, 7000).ok(), Some(7600));
        assert_eq!(r.fee(Zone::International, 900).ok(), Some(22_000));
        assert!(matches!(
            r.fee(Zone::International, 20_001),
            Err(OrdersError::NoShippingRate(_))
        ));
    }

    #[test]
    fn a_table_out_of_order_is_refused() {
        let mut r = rates();
        assert!(r.validate().is_ok());
        r.morocco.brackets = vec![[5000, 6000], [2000, 4000]];
        assert!(r.validate().is_err());
    }
}
