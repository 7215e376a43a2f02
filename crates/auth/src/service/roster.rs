//! Every account, for operators: by role, or by a piece of their email.

use souk_db::{
    entities::accounts,
    sea_orm::{
        ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::LikeExpr,
    },
};
use souk_kernel::{Page, PageRequest};

use super::{Account, AuthService, Principal, account_from_row};
use crate::{AuthError, Role};

/// Which accounts a list shows.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    pub role: Option<Role>,
    /// A piece of the email, any case.
    pub email: Option<String>,
}

impl AuthService {
    /// Accounts, newest first (operators only).
    pub async fn accounts(
        &self,
        principal: &Principal,
        filter: &AccountFilter,
        page: &PageRequest,
    ) -> Result<Page<Account>, AuthError> {
        if !principal.is_admin() {
            return Err(AuthError::Forbidden("accounts are listed for operators"));
        }
        let mut query = accounts::Entity::find()
            .order_by_desc(accounts::Column::Id)
            .limit(page.fetch());
        if let Some(role) = filter.role {
            query = query.filter(accounts::Column::Role.eq(role.as_str()));
        }
        if let Some(piece) = &filter.email {
            query = query.filter(accounts::Column::Email.like(containing(piece)));
        }
        if let Some(after) = page.after {
            query = query.filter(accounts::Column::Id.lt(after));
        }
        let rows = Page::of(query.all(&self.db).await?, page.limit, |r| r.id);
        Ok(Page {
            items: rows
                .items
                .into_iter()
                .map(account_from_row)
                .collect::<Result<_, _>>()?,
            next_cursor: rows.next_cursor,
        })
    }
}

/// `LIKE` for emails holding `piece` (lower-cased, as emails are stored), its `%`, `_` and `\`
/// taken literally on both backends.
fn containing(piece: &str) -> LikeExpr {
    let mut pattern = String::from("%");
    for c in piece.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}
