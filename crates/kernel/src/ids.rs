//! Typed identifiers. Every id is a UUIDv7, so ids sort by creation time.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn into_uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

typed_id!(
    /// An account: a buyer, artisan, agent, certifier or admin who signs in.
    AccountId
);
typed_id!(
    /// An artisan's public profile (with or without an account of their own).
    ArtisanId
);
typed_id!(
    /// A craft in the taxonomy.
    CraftId
);
typed_id!(
    /// A product in the catalog.
    ProductId
);
typed_id!(
    /// An order a buyer placed.
    OrderId
);
typed_id!(
    /// The part of an order one artisan ships.
    FulfilmentId
);
typed_id!(
    /// A certification of a product or of an artisan's product line.
    CertificationId
);
typed_id!(
    /// Labels issued together.
    LabelBatchId
);
typed_id!(
    /// One brand label (its public name is its serial).
    LabelId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_version_7_and_increase() {
        let a = ProductId::new();
        let b = ProductId::new();
        assert_eq!(a.into_uuid().get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn ids_round_trip_through_text() {
        let id = ArtisanId::new();
        let parsed: ArtisanId = id.to_string().parse().unwrap_or_default();
        assert_eq!(parsed, id);
        assert!("not-a-uuid".parse::<ArtisanId>().is_err());
    }
}
