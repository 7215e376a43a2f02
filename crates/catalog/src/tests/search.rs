//! Search equivalences: each is a case a buyer of this catalog would type.

use souk_kernel::{Lang, ProductId};
use souk_testkit::backend_test;

use super::fixture::Fixture;
use crate::ListingQuery;

async fn search(fixture: &Fixture, q: &str) -> Vec<ProductId> {
    let query = ListingQuery {
        q: Some(q.into()),
        ..ListingQuery::default()
    };
    let page = fixture
        .catalog
        .list_products(query)
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    page.items.iter().map(|p| p.id).collect()
}

/// A catalog of a few products, each with a word a test looks for.
async fn catalog(db: souk_testkit::TestDb) -> (Fixture, Vec<ProductId>) {
    let f = Fixture::new(db).await;
    let a = f.artisan("hassan@example.ma").await;
    let mut ids = Vec::new();
    for (craft, title, description) in [
        (
            "pottery",
            vec![
                (Lang::Ar, "فخار مطلي بالأزرق"),
                (Lang::Fr, "Poterie émaillée bleue"),
            ],
            vec![],
        ),
        (
            "zellige",
            vec![(Lang::Ar, "طاولة زليج"), (Lang::Fr, "Table en zellige")],
            vec![],
        ),
        (
            "brass",
            vec![(Lang::Ar, "إبريق نحاسي"), (Lang::Fr, "Théière en laiton")],
            vec![],
        ),
        (
            "weaving",
            vec![(Lang::Ar, "زربية أطلسية"), (Lang::Fr, "Tapis de l'Atlas")],
            vec![],
        ),
        (
            "pottery",
            vec![(Lang::Fr, "Tajine de Safi")],
            vec![(Lang::Fr, "Un bol offert avec chaque tajine")],
        ),
        (
            "pottery",
            vec![(Lang::Fr, "Bol vert")],
            vec![(Lang::Fr, "Bol pour la soupe")],
        ),
        (
            "brass",
            vec![(Lang::Ar, "صينية مُزَخْرَفَة"), (Lang::En, "Engraved tray")],
            vec![],
        ),
        (
            "weaving",
            vec![(Lang::Ar, "كرسي منسوج"), (Lang::En, "Woven chair")],
            vec![],
        ),
    ] {
        ids.push(f.product(&a, craft, &title, &description, 25_000).await.id);
    }
    (f, ids)
}

backend_test!(async fn arabic_queries_ignore_diacritics(db) {
    let (f, ids) = catalog(db).await;
    assert_eq!(search(&f, "فَخّار مَطْلِي").await, vec![ids[0]]);
    // Every pottery product has the word in its craft's name; the one with it in its title
    // first, then equals newest first.
    assert_eq!(search(&f, "فَخّار").await, vec![ids[0], ids[5], ids[4]]);
    // And the other way: the title has the diacritics, the query has none.
    assert_eq!(search(&f, "مزخرفة").await, vec![ids[6]]);
});

backend_test!(async fn arabic_queries_ignore_tatweel(db) {
    let (f, ids) = catalog(db).await;
    assert_eq!(search(&f, "زلـــيج").await, vec![ids[1]]);
});

backend_test!(async fn arabic_alef_forms_match_each_other(db) {
    let (f, ids) = catalog(db).await;
    assert_eq!(search(&f, "ابريق").await, vec![ids[2]]);
    assert_eq!(search(&f, "آبريق").await, vec![ids[2]]);
    assert_eq!(search(&f, "اطلسيه").await, vec![ids[3]]);
});

backend_test!(async fn arabic_ya_and_alif_maqsura_match(db) {
    let (f, ids) = catalog(db).await;
    assert_eq!(search(&f, "كرسى").await, vec![ids[7]]);
});

backend_test!(async fn arabic_ta_marbuta_and_ha_match(db) {
    let (f, ids) = catalog(db).await;
    assert_eq!(search(&f, "زربيه").await, vec![ids[3]]);
});

backend_test!(async fn arabic_queries_find_words_with_the_article(db) {
    let (f, ids) = catalog(db).await;
    // "الفخار" is the craft's name and "فخار" the title's word.
    let found = search(&f, "الفخار").await;
    assert!(found.contains(&ids[0]));
});

backend_test!(async fn french_queries_ignore_accents(db) {
    let (f, ids) = catalog(db).await;
    assert_eq!(search(&f, "poterie emaillee").await, vec![ids[0]]);
    assert_eq!(search(&f, "THEIERE").await, vec![ids[2]]);
});

backend_test!(async fn unfinished_words_match_as_prefixes(db) {
    let (f, ids) = catalog(db).await;
    assert_eq!(search(&f, "emai").await, vec![ids[0]]);
    assert_eq!(search(&f, "زلي").await, vec![ids[1]]);
});

backend_test!(async fn a_one_letter_typo_is_forgiven(db) {
    let (f, ids) = catalog(db).await;
    // A letter changed, missing, extra, and two swapped.
    assert_eq!(search(&f, "tapys").await, vec![ids[3]]);
    assert_eq!(search(&f, "zelige").await, vec![ids[1]]);
    assert_eq!(search(&f, "theiere laitton").await, vec![ids[2]]);
    assert_eq!(search(&f, "ibriq").await, Vec::<ProductId>::new());
    assert_eq!(search(&f, "tajnie").await, vec![ids[4]]);
});

backend_test!(async fn every_word_must_match(db) {
    let (f, ids) = catalog(db).await;
    assert_eq!(search(&f, "poterie bleue").await, vec![ids[0]]);
    assert!(search(&f, "poterie rouge").await.is_empty());
    assert!(search(&f, "qwertyuiop").await.is_empty());
});

backend_test!(async fn a_title_match_ranks_above_a_description_match(db) {
    let (f, ids) = catalog(db).await;
    // "bol" is the title of one product and only in the description of another.
    assert_eq!(search(&f, "bol").await, vec![ids[5], ids[4]]);
});

backend_test!(async fn a_query_of_only_function_words_finds_nothing(db) {
    let (f, _) = catalog(db).await;
    assert!(search(&f, "de la").await.is_empty());
});

backend_test!(async fn a_product_matching_a_word_twice_is_listed_once_with_its_best_match(db) {
    let f = Fixture::new(db).await;
    let a = f.artisan("a@example.ma").await;
    let both = f.product(&a, "zellige", &[(Lang::Fr, "Bol et bols")], &[], 1_000).await.id;
    let prefix_only = f.product(&a, "zellige", &[(Lang::Fr, "Bols")], &[], 1_000).await.id;
    assert_eq!(search(&f, "bol").await, vec![both, prefix_only]);
});

/// A catalog of pieces whose names have broken plurals, Moroccan forms and spelling variants.
async fn trade(db: souk_testkit::TestDb) -> (Fixture, Vec<ProductId>) {
    let f = Fixture::new(db).await;
    let a = f.artisan("khadija@example.ma").await;
    let mut ids = Vec::new();
    for (craft, title) in [
        (
            "weaving",
            vec![
                (Lang::Ar, "بلغة جلدية صفراء"),
                (Lang::Fr, "Babouche en cuir jaune"),
            ],
        ),
        ("brass", vec![(Lang::Ar, "فانوس نحاسي منقوش")]),
        ("weaving", vec![(Lang::Ar, "زرابي أطلسية صغيرة")]),
        (
            "pottery",
            vec![(Lang::Ar, "طاجين مراكشي"), (Lang::Fr, "Tajine marrakchi")],
        ),
        ("brass", vec![(Lang::En, "Silver jewellery box")]),
        (
            "brass",
            vec![(Lang::Fr, "Ferronnerie d'art, grille de fenêtre")],
        ),
        (
            "weaving",
            vec![(Lang::Ar, "قفطان مطرز"), (Lang::Fr, "Caftan brodé")],
        ),
        ("pottery", vec![(Lang::En, "Grey vase")]),
    ] {
        ids.push(f.product(&a, craft, &title, &[], 40_000).await.id);
    }
    (f, ids)
}

backend_test!(async fn arabic_broken_plurals_find_the_singular_and_back(db) {
    let (f, ids) = trade(db).await;
    // The plural of بلغة and of فانوس, each finding the piece named in the singular.
    assert_eq!(search(&f, "بلاغي").await, vec![ids[0]]);
    assert_eq!(search(&f, "الفوانيس").await, vec![ids[1]]);
    // And a title in the plural found by the singular, with diacritics.
    assert_eq!(search(&f, "زَرْبِيَّة").await, vec![ids[2]]);
    assert_eq!(search(&f, "طواجن").await, vec![ids[3]]);
});

backend_test!(async fn moroccan_forms_find_the_standard_ones(db) {
    let (f, ids) = trade(db).await;
    assert_eq!(search(&f, "طجين").await, vec![ids[3]]);
    assert_eq!(search(&f, "كفطان").await, vec![ids[6]]);
    assert_eq!(search(&f, "belgha").await, vec![ids[0]]);
});

backend_test!(async fn spelling_variants_in_the_three_languages_meet(db) {
    let (f, ids) = trade(db).await;
    assert_eq!(search(&f, "jewelry").await, vec![ids[4]]);
    assert_eq!(search(&f, "gray vase").await, vec![ids[7]]);
    assert_eq!(search(&f, "tagine").await, vec![ids[3]]);
    assert_eq!(search(&f, "kaftan").await, vec![ids[6]]);
});

backend_test!(async fn long_words_forgive_two_typos_and_short_words_do_not(db) {
    let (f, ids) = trade(db).await;
    // Eleven letters, two missing.
    assert_eq!(search(&f, "feronerie").await, vec![ids[5]]);
    // Two letters swapped twice over.
    assert_eq!(search(&f, "ferronenire").await, vec![ids[5]]);
    // Seven letters (fenêtre), two typos: too far; one is forgiven.
    assert!(search(&f, "fanetro").await.is_empty());
    assert_eq!(search(&f, "fanetre").await, vec![ids[5]]);
    // Four letters (vase), two typos: nothing.
    assert!(search(&f, "vzsa").await.is_empty());
    assert!(search(&f, "vzsa grey").await.is_empty());
});

backend_test!(async fn nonsense_finds_nothing(db) {
    let (f, _) = trade(db).await;
    for q in ["qwertyuiop", "xzxzxzxz", "zzzzzzzzzzzz", "ضصثقفغعه", "ⵣⵣⵣⵣ", "babouche qwertyuiop", "12345678"] {
        assert!(search(&f, q).await.is_empty(), "{q}");
    }
});
