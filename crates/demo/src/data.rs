//! The region's crafts, places, people and goods, in Arabic, French and English.

/// What the demo says of a craft of the reference taxonomy (`souk_catalog::reference`, which
/// names it): a sentence about it for descriptions, materials, items and qualities.
pub(crate) struct CraftData {
    pub slug: &'static str,
    pub about: [&'static str; 3],
    pub materials: &'static [&'static str],
    pub items: &'static [Item],
    pub qualities: &'static [Quality],
}

/// A kind of item: names (ar, fr, en), whether the French noun is feminine, a price range in
/// dirhams, and a weight range in grams.
pub(crate) struct Item {
    pub name: [&'static str; 3],
    pub feminine: bool,
    pub price_mad: (i64, i64),
    pub weight_g: (u32, u32),
}

/// A qualifier: Arabic, French masculine, French feminine, English.
pub(crate) struct Quality(
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub &'static str,
);

const fn item(
    ar: &'static str,
    fr: &'static str,
    feminine: bool,
    en: &'static str,
    price_mad: (i64, i64),
    weight_g: (u32, u32),
) -> Item {
    Item {
        name: [ar, fr, en],
        feminine,
        price_mad,
        weight_g,
    }
}

pub(crate) const CRAFTS: &[CraftData] = &[
    CraftData {
        slug: "pottery",
        about: [
            "فَخّار تقليدي من طين المنطقة، مطلي بالمينا على الطريقة الفاسية.",
            "Terre cuite traditionnelle, émaillée selon le savoir-faire fassi.",
            "Traditional earthenware, glazed the Fassi way.",
        ],
        materials: &["argile", "émail", "طين"],
        items: &[
            item(
                "طاجين",
                "Tajine",
                false,
                "tagine",
                (150, 650),
                (1_500, 4_000),
            ),
            item("زلافة", "Bol", false, "bowl", (60, 220), (300, 800)),
            item("طبسيل", "Assiette", true, "plate", (80, 300), (400, 1_200)),
            item("خابية", "Jarre", true, "jar", (300, 1_800), (3_000, 12_000)),
            item("مزهرية", "Vase", false, "vase", (180, 900), (800, 3_500)),
            item("إبريق", "Pichet", false, "jug", (120, 450), (700, 1_800)),
        ],
        qualities: &[
            Quality(
                "مزجج بالأزرق الفاسي",
                "émaillé bleu de Fès",
                "émaillée bleu de Fès",
                "Fès-blue glazed",
            ),
            Quality(
                "مزخرف يدويا",
                "décoré à la main",
                "décorée à la main",
                "hand-painted",
            ),
            Quality("أخضر", "vert", "verte", "green"),
            Quality("تقليدي", "traditionnel", "traditionnelle", "traditional"),
        ],
    },
    CraftData {
        slug: "zellige",
        about: [
            "زليج مقطوع باليد قطعة قطعة من طين فاس المطبوخ.",
            "Zellige taillé à la main, tesselle par tesselle, dans l'argile cuite de Fès.",
            "Zellige cut by hand, tile by tile, from fired Fès clay.",
        ],
        materials: &["terre cuite émaillée", "زليج"],
        items: &[
            item(
                "طاولة زليج",
                "Table en zellige",
                true,
                "zellige table",
                (2_000, 9_000),
                (15_000, 40_000),
            ),
            item(
                "نافورة زليج",
                "Fontaine en zellige",
                true,
                "zellige fountain",
                (6_000, 25_000),
                (60_000, 200_000),
            ),
            item(
                "لوحة زليج",
                "Panneau de zellige",
                false,
                "zellige panel",
                (900, 4_500),
                (5_000, 20_000),
            ),
            item(
                "مرآة بإطار زليج",
                "Miroir cadre zellige",
                false,
                "zellige-framed mirror",
                (700, 2_800),
                (3_000, 9_000),
            ),
        ],
        qualities: &[
            Quality(
                "بنجمة ثمانية",
                "à étoile à huit branches",
                "à étoile à huit branches",
                "eight-pointed star",
            ),
            Quality(
                "أخضر وأبيض",
                "vert et blanc",
                "verte et blanche",
                "green and white",
            ),
            Quality(
                "متعدد الألوان",
                "multicolore",
                "multicolore",
                "multicoloured",
            ),
        ],
    },
    CraftData {
        slug: "leather",
        about: [
            "جلد مدبوغ بالطرق الطبيعية في دار الدبغ بفاس.",
            "Cuir tanné naturellement dans les tanneries de Fès.",
            "Leather tanned naturally in the tanneries of Fès.",
        ],
        materials: &["cuir de chèvre", "جلد"],
        items: &[
            item(
                "حقيبة جلدية",
                "Sac en cuir",
                false,
                "leather bag",
                (450, 1_600),
                (600, 1_500),
            ),
            item(
                "بوف جلدي",
                "Pouf en cuir",
                false,
                "leather pouf",
                (500, 1_400),
                (1_500, 3_000),
            ),
            item(
                "محفظة",
                "Portefeuille",
                false,
                "wallet",
                (150, 400),
                (100, 250),
            ),
            item("حزام", "Ceinture", true, "belt", (120, 380), (150, 350)),
        ],
        qualities: &[
            Quality("مطرز", "brodé", "brodée", "embroidered"),
            Quality("بني", "marron", "marron", "brown"),
            Quality(
                "بلون الزعفران",
                "couleur safran",
                "couleur safran",
                "saffron-coloured",
            ),
        ],
    },
    CraftData {
        slug: "babouches",
        about: [
            "بلغة فاسية مخيطة باليد على القالب.",
            "Babouches fassies cousues main sur la forme.",
            "Fassi babouches hand-stitched on the last.",
        ],
        materials: &["cuir", "جلد"],
        items: &[
            item(
                "بلغة رجالية",
                "Babouches homme",
                true,
                "men's babouches",
                (180, 450),
                (400, 700),
            ),
            item(
                "شربيل نسائي",
                "Babouches femme (cherbil)",
                true,
                "women's cherbil slippers",
                (200, 600),
                (300, 600),
            ),
        ],
        qualities: &[
            Quality("صفراء", "jaunes", "jaunes", "yellow"),
            Quality(
                "مطرزة بالصقلي",
                "brodées au fil d'or",
                "brodées au fil d'or",
                "gold-thread embroidered",
            ),
        ],
    },
    CraftData {
        slug: "brass-copper",
        about: [
            "نحاس منقوش بالإزميل في سوق الصفارين.",
            "Cuivre ciselé au burin, place Seffarine.",
            "Copper chased by chisel on Seffarine square.",
        ],
        materials: &["laiton", "cuivre", "نحاس"],
        items: &[
            item(
                "صينية",
                "Plateau",
                false,
                "tray",
                (300, 2_200),
                (900, 4_000),
            ),
            item("براد", "Théière", true, "teapot", (250, 900), (500, 1_200)),
            item(
                "ثريا",
                "Lustre",
                false,
                "chandelier",
                (1_200, 6_000),
                (3_000, 9_000),
            ),
            item(
                "فانوس",
                "Lanterne",
                true,
                "lantern",
                (350, 1_500),
                (800, 2_500),
            ),
        ],
        qualities: &[
            Quality("منقوش", "ciselé", "ciselée", "chased"),
            Quality("مخرم", "ajouré", "ajourée", "pierced"),
            Quality("مفضض", "argenté", "argentée", "silver-plated"),
        ],
    },
    CraftData {
        slug: "cedar-wood",
        about: [
            "خشب أرز الأطلس المتوسط، منحوت ومزوق.",
            "Cèdre du Moyen Atlas, sculpté et peint.",
            "Middle Atlas cedar, carved and painted.",
        ],
        materials: &["cèdre de l'Atlas", "خشب الأرز"],
        items: &[
            item("صندوق", "Coffret", false, "box", (200, 900), (500, 2_000)),
            item(
                "مائدة",
                "Table basse",
                true,
                "low table",
                (1_500, 6_000),
                (8_000, 25_000),
            ),
            item(
                "مرآة",
                "Miroir",
                false,
                "mirror",
                (600, 2_500),
                (2_000, 6_000),
            ),
        ],
        qualities: &[
            Quality("منحوت", "sculpté", "sculptée", "carved"),
            Quality(
                "مزوق",
                "peint à la main",
                "peinte à la main",
                "hand-painted",
            ),
        ],
    },
    CraftData {
        slug: "embroidery",
        about: [
            "طرز فاسي بالغرزة المزدوجة، متطابق من الوجهين.",
            "Terz fassi au point double, identique sur l'endroit et l'envers.",
            "Terz fassi in double stitch, the same on both faces.",
        ],
        materials: &["coton", "soie", "حرير"],
        items: &[
            item(
                "مفرش مائدة",
                "Nappe",
                true,
                "tablecloth",
                (600, 3_000),
                (500, 1_500),
            ),
            item("منديل", "Serviette", true, "napkin", (80, 250), (50, 120)),
            item(
                "غطاء وسادة",
                "Housse de coussin",
                true,
                "cushion cover",
                (150, 600),
                (150, 400),
            ),
        ],
        qualities: &[
            Quality("أزرق", "bleu", "bleue", "blue"),
            Quality("بالحرير", "en soie", "en soie", "silk"),
            Quality("أحمر", "rouge", "rouge", "red"),
        ],
    },
    CraftData {
        slug: "weaving",
        about: [
            "زربية منسوجة على المنسج العمودي بصوف الأطلس.",
            "Tapis noué sur métier vertical, en laine de l'Atlas.",
            "Carpet knotted on an upright loom, in Atlas wool.",
        ],
        materials: &["laine", "صوف"],
        items: &[
            item(
                "زربية",
                "Tapis",
                false,
                "carpet",
                (1_500, 25_000),
                (5_000, 40_000),
            ),
            item(
                "حنبل",
                "Hanbel",
                false,
                "hanbel rug",
                (900, 6_000),
                (3_000, 12_000),
            ),
            item(
                "بطانية",
                "Couverture",
                true,
                "blanket",
                (500, 2_500),
                (1_500, 4_000),
            ),
        ],
        qualities: &[
            Quality("أطلسية", "de l'Atlas", "de l'Atlas", "Atlas"),
            Quality(
                "بألوان طبيعية",
                "aux teintures naturelles",
                "aux teintures naturelles",
                "natural-dyed",
            ),
            Quality("بيضاء", "blanc", "blanche", "white"),
        ],
    },
    CraftData {
        slug: "sabra",
        about: [
            "صابرة: حرير نباتي من ألياف الصبار.",
            "Sabra : soie végétale tirée de l'agave.",
            "Sabra: plant silk spun from agave fibre.",
        ],
        materials: &["sabra", "صابرة"],
        items: &[
            item(
                "وسادة صابرة",
                "Coussin en sabra",
                false,
                "sabra cushion",
                (250, 900),
                (300, 800),
            ),
            item(
                "زربية صابرة",
                "Tapis en sabra",
                false,
                "sabra rug",
                (1_200, 9_000),
                (2_000, 10_000),
            ),
        ],
        qualities: &[
            Quality("لامعة", "brillant", "brillante", "lustrous"),
            Quality("بلون الزعفران", "safran", "safran", "saffron"),
        ],
    },
    CraftData {
        slug: "jewellery",
        about: [
            "حلي فضية مصنوعة بالطرق التقليدية.",
            "Bijoux en argent façonnés à l'ancienne.",
            "Silver jewellery made the old way.",
        ],
        materials: &["argent", "فضة"],
        items: &[
            item(
                "خلخال",
                "Bracelet de cheville",
                false,
                "anklet",
                (400, 2_000),
                (60, 250),
            ),
            item(
                "قلادة",
                "Collier",
                false,
                "necklace",
                (350, 3_500),
                (30, 200),
            ),
            item("خاتم", "Bague", true, "ring", (150, 900), (5, 30)),
        ],
        qualities: &[
            Quality("فضي", "en argent", "en argent", "silver"),
            Quality(
                "مرصع بالمرجان",
                "serti de corail",
                "sertie de corail",
                "coral-set",
            ),
        ],
    },
    CraftData {
        slug: "basketry",
        about: [
            "سلال من الدوم المجدول باليد.",
            "Vannerie de doum tressé à la main.",
            "Baskets of hand-plaited doum palm.",
        ],
        materials: &["doum", "دوم"],
        items: &[
            item("سلة", "Panier", false, "basket", (80, 400), (200, 900)),
            item(
                "طبق",
                "Plateau tressé",
                false,
                "woven tray",
                (60, 300),
                (150, 600),
            ),
        ],
        qualities: &[
            Quality("كبير", "grand", "grande", "large"),
            Quality("ملون", "coloré", "colorée", "coloured"),
        ],
    },
    CraftData {
        slug: "carved-plaster",
        about: [
            "جبس منقوش بالمنقاش على الطريقة المرينية.",
            "Plâtre ciselé à la main dans la tradition mérinide.",
            "Plaster carved by hand in the Marinid tradition.",
        ],
        materials: &["plâtre", "جبس"],
        items: &[
            item(
                "لوحة جبس",
                "Panneau de plâtre",
                false,
                "plaster panel",
                (800, 5_000),
                (4_000, 20_000),
            ),
            item(
                "إطار مرآة من الجبس",
                "Cadre de miroir en plâtre",
                false,
                "plaster mirror frame",
                (500, 2_000),
                (2_000, 6_000),
            ),
        ],
        qualities: &[Quality("منقوش", "ciselé", "ciselée", "chiselled")],
    },
    CraftData {
        slug: "wrought-iron",
        about: [
            "حديد مطروق على السندان.",
            "Fer forgé à l'enclume.",
            "Iron forged on the anvil.",
        ],
        materials: &["fer forgé", "حديد"],
        items: &[
            item(
                "فانوس حديدي",
                "Lanterne en fer",
                true,
                "iron lantern",
                (300, 1_400),
                (1_000, 4_000),
            ),
            item(
                "كرسي",
                "Chaise",
                true,
                "chair",
                (700, 2_500),
                (5_000, 12_000),
            ),
        ],
        qualities: &[
            Quality("أسود", "noir", "noire", "black"),
            Quality("مخرم", "ajouré", "ajourée", "openwork"),
        ],
    },
    CraftData {
        slug: "silk-buttons",
        about: [
            "عقاد الجلابة المصنوع بالإبرة في صفرو والبهاليل.",
            "Boutons de djellaba faits à l'aiguille à Sefrou et Bhalil.",
            "Djellaba buttons needle-made in Sefrou and Bhalil.",
        ],
        materials: &["soie", "حرير"],
        items: &[
            item(
                "عقاد الجلابة",
                "Boutons de djellaba",
                false,
                "djellaba buttons",
                (60, 300),
                (10, 60),
            ),
            item(
                "قيطان",
                "Ganse (kitane)",
                true,
                "kitane braid",
                (40, 200),
                (10, 80),
            ),
        ],
        qualities: &[Quality(
            "بالحرير الطبيعي",
            "en soie naturelle",
            "en soie naturelle",
            "natural silk",
        )],
    },
];

/// Places of the region: Arabic, French, English.
pub(crate) const COMMUNES: &[[&str; 3]] = &[
    ["فاس", "Fès", "Fez"],
    ["صفرو", "Sefrou", "Sefrou"],
    ["مولاي يعقوب", "Moulay Yacoub", "Moulay Yacoub"],
    ["تاونات", "Taounate", "Taounate"],
    ["بولمان", "Boulemane", "Boulemane"],
    ["البهاليل", "Bhalil", "Bhalil"],
    ["إيموزار كندر", "Imouzzer Kandar", "Imouzzer Kandar"],
    ["ميسور", "Missour", "Missour"],
    ["تيسة", "Tissa", "Tissa"],
    ["عين الشقف", "Aïn Chkef", "Ain Chkef"],
];

/// Given names (Arabic, Latin).
pub(crate) const GIVEN_NAMES: &[[&str; 2]] = &[
    ["محمد", "Mohammed"],
    ["فاطمة الزهراء", "Fatima Zahra"],
    ["عبد الكريم", "Abdelkrim"],
    ["خديجة", "Khadija"],
    ["يوسف", "Youssef"],
    ["حسن", "Hassan"],
    ["نعيمة", "Naïma"],
    ["رشيد", "Rachid"],
    ["سعيد", "Saïd"],
    ["عائشة", "Aïcha"],
    ["إبراهيم", "Brahim"],
    ["زينب", "Zineb"],
    ["مصطفى", "Mustapha"],
    ["لطيفة", "Latifa"],
    ["عمر", "Omar"],
    ["حفيظة", "Hafida"],
    ["إدريس", "Driss"],
    ["مليكة", "Malika"],
    ["عبد اللطيف", "Abdellatif"],
    ["سناء", "Sanae"],
    ["أحمد", "Ahmed"],
    ["رقية", "Rkia"],
    ["جمال", "Jamal"],
    ["نزهة", "Nezha"],
];

/// Family names (Arabic, Latin).
pub(crate) const FAMILY_NAMES: &[[&str; 2]] = &[
    ["العلوي", "El Alaoui"],
    ["بنيس", "Bennis"],
    ["التازي", "Tazi"],
    ["الفاسي", "El Fassi"],
    ["البقالي", "El Bakkali"],
    ["الشرايبي", "Chraibi"],
    ["الإدريسي", "El Idrissi"],
    ["بنجلون", "Benjelloun"],
    ["الصفريوي", "Sefrioui"],
    ["أمزيان", "Amziane"],
    ["أوحمو", "Ouhammou"],
    ["الوزاني", "Ouazzani"],
    ["السقاط", "Skat"],
    ["الحلو", "El Helou"],
    ["الطاهري", "Tahiri"],
    ["بناني", "Bennani"],
    ["الكتاني", "Kettani"],
    ["العمراني", "El Amrani"],
    ["المريني", "Merini"],
    ["الخياطي", "Khiati"],
    ["أيت علي", "Ait Ali"],
    ["أوعلي", "Ouali"],
    ["الدباغ", "Debbagh"],
    ["الزرهوني", "Zerhouni"],
];

/// Cooperatives some artisans belong to: Arabic, French.
pub(crate) const COOPERATIVES: &[[&str; 2]] = &[
    [
        "تعاونية الفخار بعين النقبي",
        "Coopérative des potiers d'Aïn Nokbi",
    ],
    [
        "تعاونية نساء صفرو للعقاد",
        "Coopérative des femmes de Sefrou pour l'akkad",
    ],
    ["تعاونية زرابي بولمان", "Coopérative des tapis de Boulemane"],
    [
        "تعاونية الصناع التقليديين بتاونات",
        "Coopérative des artisans de Taounate",
    ],
];
