//! Roles an account can have.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Buyer,
    Artisan,
    Agent,
    Certifier,
    Admin,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Artisan => "artisan",
            Role::Agent => "agent",
            Role::Certifier => "certifier",
            Role::Admin => "admin",
        }
    }

    /// Buyers and artisans sign themselves up; agents, certifiers and admins are appointed.
    pub const fn is_self_assignable(self) -> bool {
        matches!(self, Role::Buyer | Role::Artisan)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "buyer" => Ok(Role::Buyer),
            "artisan" => Ok(Role::Artisan),
            "agent" => Ok(Role::Agent),
            "certifier" => Ok(Role::Certifier),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.chars().take(32).collect())),
        }
    }
}
