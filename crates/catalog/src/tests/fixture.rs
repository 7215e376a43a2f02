//! A catalog with a small taxonomy and helpers to add artisans and products.

use std::{collections::BTreeMap, time::Duration};

use souk_auth::{AuthService, AuthSettings, NewAccount, PasswordParams, Principal, Role};
use souk_cache::Cache;
use souk_kernel::{CraftId, Lang, LocalizedText};
use souk_testkit::TestDb;

use crate::{ArtisanInput, Catalog, CatalogSettings, Craft, Product, ProductInput, import};

pub(crate) struct Fixture {
    pub catalog: Catalog,
    pub auth: AuthService,
    pub _db: TestDb,
}

pub(crate) fn text(pairs: &[(Lang, &str)]) -> BTreeMap<Lang, String> {
    pairs.iter().map(|(l, s)| (*l, (*s).to_owned())).collect()
}

fn craft(slug: &str, parent: Option<CraftId>, names: &[(Lang, &str)], position: i32) -> Craft {
    Craft {
        id: CraftId::new(),
        slug: slug.into(),
        parent,
        name: LocalizedText::from_pairs(names.iter().map(|(l, s)| (*l, *s))),
        position,
        retired_at: None,
    }
}

impl Fixture {
    pub(crate) async fn new(db: TestDb) -> Fixture {
        let cache = Cache::in_process("catalog-test", Duration::from_secs(60), 1_000);
        let catalog = Catalog::new(db.conn.clone(), cache.clone(), CatalogSettings::default());
        let settings = AuthSettings {
            password: PasswordParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..AuthSettings::default()
        };
        let auth =
            AuthService::new(db.conn.clone(), cache, settings).unwrap_or_else(|e| panic!("{e}"));
        let weaving = craft(
            "weaving",
            None,
            &[
                (Lang::Ar, "النسيج"),
                (Lang::Fr, "Tissage"),
                (Lang::En, "Weaving"),
            ],
            3,
        );
        let sabra = craft(
            "sabra",
            Some(weaving.id),
            &[
                (Lang::Ar, "الصابرة"),
                (Lang::Fr, "Sabra"),
                (Lang::En, "Sabra"),
            ],
            4,
        );
        let crafts = [
            craft(
                "pottery",
                None,
                &[
                    (Lang::Ar, "الفخار"),
                    (Lang::Fr, "Poterie"),
                    (Lang::En, "Pottery"),
                ],
                1,
            ),
            craft(
                "zellige",
                None,
                &[
                    (Lang::Ar, "الزليج"),
                    (Lang::Fr, "Zellige"),
                    (Lang::En, "Zellige"),
                ],
                2,
            ),
            weaving,
            sabra,
            craft(
                "brass",
                None,
                &[
                    (Lang::Ar, "النحاس"),
                    (Lang::Fr, "Dinanderie"),
                    (Lang::En, "Brass"),
                ],
                5,
            ),
        ];
        import::crafts(&catalog, &crafts)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Fixture {
            catalog,
            auth,
            _db: db,
        }
    }

    /// Signs up an artisan and returns who they are.
    pub(crate) async fn artisan(&self, email: &str) -> Principal {
        let account = NewAccount {
            email: email.into(),
            password: "a long passphrase".into(),
            display_name: "Artisan".into(),
            role: Role::Artisan,
            lang: souk_kernel::Lang::Fr,
        };
        let profile = ArtisanInput {
            name: text(&[(Lang::Ar, "حسن بناني"), (Lang::Fr, "Hassan Bennani")]),
            commune: "Fès".into(),
            crafts: vec!["pottery".into()],
            ..ArtisanInput::default()
        };
        let (account, _) = self
            .catalog
            .register_artisan(&self.auth, account, profile)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Principal {
            account_id: account.id,
            role: Role::Artisan,
        }
    }

    pub(crate) async fn product(
        &self,
        who: &Principal,
        craft: &str,
        title: &[(Lang, &str)],
        description: &[(Lang, &str)],
        price_minor: i64,
    ) -> std::sync::Arc<Product> {
        let input = ProductInput {
            craft: craft.into(),
            title: text(title),
            description: text(description),
            price_minor,
            stock: 1,
            ..ProductInput::default()
        };
        self.catalog
            .create_product(who, input)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
