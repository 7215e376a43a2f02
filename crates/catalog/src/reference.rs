//! Reference data: the crafts taxonomy the brand starts with, named in Arabic, French and
//! English. Production loads it with `souk seed --reference` (no demo data); operators then add,
//! rename and retire crafts through the admin API. Loading is idempotent: only slugs not there yet
//! are added, so a craft an operator renamed or retired stays as they left it.

/// A craft of the reference taxonomy: its slug, the slug of the broader craft, its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferenceCraft {
    pub slug: &'static str,
    pub parent: Option<&'static str>,
    /// Arabic, French, English.
    pub name: [&'static str; 3],
}

/// The region's crafts, broader crafts before the ones under them, in display order.
pub const CRAFTS: &[ReferenceCraft] = &[
    ReferenceCraft {
        slug: "pottery",
        parent: None,
        name: [
            "الفخار والخزف",
            "Poterie et céramique",
            "Pottery and ceramics",
        ],
    },
    ReferenceCraft {
        slug: "zellige",
        parent: None,
        name: ["الزليج", "Zellige", "Zellige tilework"],
    },
    ReferenceCraft {
        slug: "leather",
        parent: None,
        name: ["الجلد والدباغة", "Maroquinerie", "Leatherwork"],
    },
    ReferenceCraft {
        slug: "babouches",
        parent: Some("leather"),
        name: ["البلغة", "Babouches", "Babouche slippers"],
    },
    ReferenceCraft {
        slug: "brass-copper",
        parent: None,
        name: [
            "النحاس",
            "Dinanderie (cuivre et laiton)",
            "Brass and copper",
        ],
    },
    ReferenceCraft {
        slug: "cedar-wood",
        parent: None,
        name: ["خشب الأرز", "Bois de cèdre", "Cedar woodwork"],
    },
    ReferenceCraft {
        slug: "embroidery",
        parent: None,
        name: [
            "الطرز الفاسي",
            "Broderie fassie (terz fassi)",
            "Fassi embroidery (terz fassi)",
        ],
    },
    ReferenceCraft {
        slug: "weaving",
        parent: None,
        name: ["النسيج والزرابي", "Tissage et tapis", "Weaving and carpets"],
    },
    ReferenceCraft {
        slug: "sabra",
        parent: Some("weaving"),
        name: ["الصابرة", "Sabra (soie végétale)", "Sabra (cactus silk)"],
    },
    ReferenceCraft {
        slug: "jewellery",
        parent: None,
        name: ["الحلي", "Bijouterie", "Jewellery"],
    },
    ReferenceCraft {
        slug: "basketry",
        parent: None,
        name: ["صناعة السلال", "Vannerie", "Basketry"],
    },
    ReferenceCraft {
        slug: "carved-plaster",
        parent: None,
        name: ["الجبس المنقوش", "Plâtre sculpté", "Carved plaster"],
    },
    ReferenceCraft {
        slug: "wrought-iron",
        parent: None,
        name: ["الحدادة الفنية", "Ferronnerie d'art", "Wrought iron"],
    },
    ReferenceCraft {
        slug: "silk-buttons",
        parent: None,
        name: ["العقاد", "Boutons de soie (akkad)", "Silk buttons (akkad)"],
    },
];

/// The reference craft with this slug.
pub fn craft(slug: &str) -> Option<&'static ReferenceCraft> {
    CRAFTS.iter().find(|c| c.slug == slug)
}
