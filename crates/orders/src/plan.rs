//! Turning what a buyer asks for into an order: duplicate lines summed, one fulfilment per
//! artisan with its shipping fee, prices snapshotted, and totals that add up. Pure: the caller
//! reads the products and writes the result.

use std::collections::HashMap;

use souk_catalog::{ProductStatus, stock::SaleItem};
use souk_kernel::{ArtisanId, Currency, ProductId};

use crate::{
    OrdersError,
    model::{OrderItem, PlaceOrder},
    shipping::{ShippingRates, Zone},
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedLine {
    pub item: SaleItem,
    pub quantity: u32,
    pub line_total_minor: i64,
    pub weight_g: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFulfilment {
    pub artisan: ArtisanId,
    pub lines: Vec<PlannedLine>,
    pub weight_g: u32,
    pub items_total_minor: i64,
    pub shipping_fee_minor: i64,
    pub lead_time_days: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub zone: Zone,
    pub currency: Currency,
    pub fulfilments: Vec<PlannedFulfilment>,
    pub items_total_minor: i64,
    pub shipping_total_minor: i64,
    pub total_minor: i64,
}

impl Plan {
    /// Units to take from stock, one entry per product, in id order (the order every writer
    /// locks rows in, so two orders never wait on each other in a circle).
    pub fn reservations(&self) -> Vec<(ProductId, u32)> {
        let mut out: Vec<_> = self
            .fulfilments
            .iter()
            .flat_map(|f| &f.lines)
            .filter(|l| !l.item.is_made_to_order())
            .map(|l| (l.item.id, l.quantity))
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }
}

/// The items with one entry per product, quantities summed, in the order first asked.
pub fn merge_items(items: &[OrderItem]) -> Vec<OrderItem> {
    let mut merged: Vec<OrderItem> = Vec::with_capacity(items.len());
    for item in items {
        match merged.iter_mut().find(|m| m.product == item.product) {
            Some(m) => m.quantity = m.quantity.saturating_add(item.quantity),
            None => merged.push(*item),
        }
    }
    merged
}

fn overflow() -> OrdersError {
    OrdersError::invalid("items", "the order total is too large")
}

/// Plans the order. `products` are the products of the request as they are now.
pub fn plan(
    request: &PlaceOrder,
    products: &[SaleItem],
    rates: &ShippingRates,
    max_quantity: u32,
) -> Result<Plan, OrdersError> {
    let by_id: HashMap<ProductId, &SaleItem> = products.iter().map(|p| (p.id, p)).collect();
    let zone = rates.zone_of(
        &request.shipping_address.country,
        &request.shipping_address.city,
    );
    let mut fulfilments: Vec<PlannedFulfilment> = Vec::new();
    let mut currency = None;
    for item in merge_items(&request.items) {
        let product = by_id
            .get(&item.product)
            .ok_or_else(|| OrdersError::ProductUnavailable {
                product: item.product,
                why: "no such product".into(),
            })?;
        if product.status != ProductStatus::Active {
            return Err(OrdersError::ProductUnavailable {
                product: item.product,
                why: "not on sale".into(),
            });
        }
        if item.quantity > max_quantity {
            return Err(OrdersError::invalid(
                "items",
                format!("at most {max_quantity} of one product per order"),
            ));
        }
        match currency {
            None => currency = Some(product.price.currency),
            Some(c) if c != product.price.currency => {
                return Err(OrdersError::ProductUnavailable {
                    product: item.product,
                    why: "priced in another currency than the rest of the order".into(),
                });
            }
            Some(_) => {}
        }
        let unit_weight = product
            .weight_g
            .map(i64::from)
            .unwrap_or(rates.default_weight_g);
        let weight = unit_weight
            .checked_mul(i64::from(item.quantity))
            .and_then(|w| u32::try_from(w).ok())
            .ok_or_else(|| OrdersError::NoShippingRate("the parcel is too heavy".into()))?;
        let line_total = product
            .price
            .amount_minor
            .checked_mul(i64::from(item.quantity))
            .ok_or_else(overflow)?;
        let line = PlannedLine {
            item: (*product).clone(),
            quantity: item.quantity,
            line_total_minor: line_total,
            weight_g: weight,
        };
        match fulfilments
            .iter_mut()
            .find(|f| f.artisan == product.artisan)
        {
            Some(f) => f.lines.push(line),
            None => fulfilments.push(PlannedFulfilment {
                artisan: product.artisan,
                lines: vec![line],
                weight_g: 0,
                items_total_minor: 0,
                shipping_fee_minor: 0,
                lead_time_days: None,
            }),
        }
    }
    let currency = currency.ok_or_else(|| OrdersError::invalid("items", "at least one item"))?;
    let (mut items_total, mut shipping_total) = (0_i64, 0_i64);
    for f in &mut fulfilments {
        f.weight_g = f
            .lines
            .iter()
            .try_fold(0_u32, |w, l| w.checked_add(l.weight_g))
            .ok_or_else(|| OrdersError::NoShippingRate("the parcel is too heavy".into()))?;
        f.items_total_minor = f
            .lines
            .iter()
            .try_fold(0_i64, |t, l| t.checked_add(l.line_total_minor))
            .ok_or_else(overflow)?;
        f.shipping_fee_minor = rates.fee(zone, i64::from(f.weight_g))?;
        f.lead_time_days = f.lines.iter().filter_map(|l| l.item.lead_time_days).max();
        items_total = items_total
            .checked_add(f.items_total_minor)
            .ok_or_else(overflow)?;
        shipping_total = shipping_total
            .checked_add(f.shipping_fee_minor)
            .ok_or_else(overflow)?;
    }
    let total = items_total
        .checked_add(shipping_total)
        .ok_or_else(overflow)?;
    Ok(Plan {
        zone,
        currency,
        fulfilments,
        items_total_minor: items_total,
        shipping_total_minor: shipping_total,
        total_minor: total,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use souk_kernel::{LocalizedText, Money};

    use super::*;
    use crate::{machine::PaymentMethod, model::Address, shipping::ZoneRates};

    fn rates() -> ShippingRates {
        let zone = |fee| ZoneRates {
            brackets: vec![[2000, fee], [5000, fee * 2]],
            per_extra_kg: 1000,
            max_weight_g: 30_000,
        };
        ShippingRates {
            fes_cities: vec!["Fès".into()],
            default_weight_g: 1000,
            fes: zone(2500),
            morocco: zone(4000),
            international: zone(20_000),
        }
    }

    fn item(artisan: ArtisanId, price: i64, stock: u32, lead: Option<u16>) -> SaleItem {
        SaleItem {
            id: ProductId::new(),
            artisan,
            listed_by_agent: None,
            title: LocalizedText::default(),
            price: Money::mad(price),
            stock,
            lead_time_days: lead,
            weight_g: Some(800),
            status: ProductStatus::Active,
        }
    }

    fn request(items: Vec<OrderItem>, city: &str) -> PlaceOrder {
        PlaceOrder {
            saved_address: None,
            items,
            payment_method: PaymentMethod::CashOnDelivery,
            shipping_address: Address {
                name: "Salma".into(),
                phone: "0612345678".into(),
                line1: "12 Derb".into(),
                line2: None,
                city: city.into(),
                postal_code: None,
                country: "MA".into(),
            },
        }
    }

    #[test]
    fn duplicate_lines_are_summed_before_anything_else() {
        let p = item(ArtisanId::new(), 10_000, 2, None);
        let items = vec![
            OrderItem {
                product: p.id,
                quantity: 1,
            },
            OrderItem {
                product: p.id,
                quantity: 2,
            },
        ];
        let plan = plan(
            &request(items, "Fès"),
            std::slice::from_ref(&p),
            &rates(),
            10,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.reservations(), vec![(p.id, 3)]);
        assert_eq!(plan.fulfilments[0].lines.len(), 1);
        assert_eq!(plan.items_total_minor, 30_000);
    }

    #[test]
    fn one_fulfilment_per_artisan_with_its_own_fee_and_totals_that_add_up() {
        let (a, b) = (ArtisanId::new(), ArtisanId::new());
        let p1 = item(a, 10_000, 5, None);
        let p2 = item(a, 5_000, 5, None);
        let p2_id = p2.id;
        let p3 = item(b, 20_000, 0, Some(21));
        let items = vec![
            OrderItem {
                product: p1.id,
                quantity: 2,
            },
            OrderItem {
                product: p3.id,
                quantity: 1,
            },
            OrderItem {
                product: p2.id,
                quantity: 1,
            },
        ];
        let plan = plan(
            &request(items, "Meknès"),
            &[p1.clone(), p2, p3.clone()],
            &rates(),
            10,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.zone, Zone::Morocco);
        assert_eq!(plan.fulfilments.len(), 2);
        let fa = &plan.fulfilments[0];
        assert_eq!(
            (fa.artisan, fa.weight_g, fa.items_total_minor),
            (a, 2400, 25_000)
        );
        assert_eq!(
            fa.shipping_fee_minor, 8000,
            "2.4 kg is in the second bracket"
        );
        let fb = &plan.fulfilments[1];
        assert_eq!((fb.shipping_fee_minor, fb.lead_time_days), (4000, Some(21)));
        assert_eq!(plan.items_total_minor, 45_000);
        assert_eq!(plan.shipping_total_minor, 12_000);
        assert_eq!(plan.total_minor, 57_000);
        // The made-to-order line takes no stock.
        let mut expected = vec![(p1.id, 2), (p2_id, 1)];
        expected.sort_by_key(|(id, _)| *id);
        assert_eq!(plan.reservations(), expected);
        assert!(!plan.reservations().iter().any(|(id, _)| *id == p3.id));
    }

    #[test]
    fn products_not_on_sale_or_unknown_are_refused() {
        let mut p = item(ArtisanId::new(), 1000, 1, None);
        p.status = ProductStatus::Draft;
        let items = vec![OrderItem {
            product: p.id,
            quantity: 1,
        }];
        assert!(matches!(
            plan(&request(items.clone(), "Fès"), &[p], &rates(), 10),
            Err(OrdersError::ProductUnavailable { .. })
        ));
        assert!(matches!(
            plan(&request(items, "Fès"), &[], &rates(), 10),
            Err(OrdersError::ProductUnavailable { .. })
        ));
    }

    proptest::proptest! {
        /// For any cart: lines merged per product, every amount adds up to the centime, and each
        /// product's reservation is what was asked of it in total.
        #[test]
        fn totals_always_add_up(
            lines in proptest::collection::vec((0usize..6, 1u32..20), 1..15),
            prices in proptest::collection::vec(0i64..=1_000_000_000, 6),
            artisans in proptest::collection::vec(0usize..3, 6),
            city in proptest::sample::select(vec!["Fès", "Meknès", "Rabat"]),
        ) {
            let makers = [ArtisanId::new(), ArtisanId::new(), ArtisanId::new()];
            let products: Vec<SaleItem> = (0..6)
                .map(|i| item(makers[artisans[i]], prices[i], 1000, (i == 5).then_some(10)))
                .collect();
            let items: Vec<OrderItem> = lines
                .iter()
                .map(|(i, q)| OrderItem { product: products[*i].id, quantity: *q })
                .collect();
            let p = match plan(&request(items.clone(), city), &products, &rates(), 1000) {
                Ok(p) => p,
                // Too heavy for one parcel is the only refusal these carts can meet.
                Err(e) => { proptest::prop_assert!(matches!(e, OrdersError::NoShippingRate(_))); return Ok(()); }
            };
            let lines_total: i64 = p.fulfilments.iter().flat_map(|f| &f.lines).map(|l| l.line_total_minor).sum();
            proptest::prop_assert_eq!(lines_total, p.items_total_minor);
            proptest::prop_assert_eq!(p.fulfilments.iter().map(|f| f.items_total_minor).sum::<i64>(), p.items_total_minor);
            proptest::prop_assert_eq!(p.fulfilments.iter().map(|f| f.shipping_fee_minor).sum::<i64>(), p.shipping_total_minor);
            proptest::prop_assert_eq!(p.items_total_minor + p.shipping_total_minor, p.total_minor);
            for f in &p.fulfilments {
                proptest::prop_assert!(f.lines.iter().all(|l| l.item.artisan == f.artisan));
                for l in &f.lines {
                    proptest::prop_assert_eq!(l.line_total_minor, l.item.price.amount_minor * i64::from(l.quantity));
                }
            }
            let artisans_seen: HashSet<ArtisanId> = p.fulfilments.iter().map(|f| f.artisan).collect();
            proptest::prop_assert_eq!(artisans_seen.len(), p.fulfilments.len(), "one fulfilment per artisan");
            for (product, reserved) in p.reservations() {
                let asked: u32 = items.iter().filter(|i| i.product == product).map(|i| i.quantity).sum();
                proptest::prop_assert_eq!(reserved, asked);
            }
            proptest::prop_assert!(!p.reservations().iter().any(|(id, _)| *id == products[5].id), "made to order takes no stock");
        }
    }
}
