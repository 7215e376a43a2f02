//! The accounts service against real databases (SQLite and PostgreSQL).

use std::time::Duration;

use souk_testkit::backend_test;

use super::*;

fn service(db: &souk_testkit::TestDb, settings: AuthSettings) -> AuthService {
    let cache = Cache::in_process("auth-test", Duration::from_secs(60), 1_000);
    AuthService::new(db.conn.clone(), cache, settings).unwrap_or_else(|e| panic!("{e}"))
}

fn cheap_settings() -> AuthSettings {
    AuthSettings {
        password: PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        login_limit_per_account: 3,
        login_limit_per_address: 5,
        ..AuthSettings::default()
    }
}

fn new_account(email: &str, role: Role) -> NewAccount {
    NewAccount {
        email: email.into(),
        password: "a long passphrase".into(),
        display_name: "Khadija".into(),
        role,
        lang: souk_kernel::Lang::Fr,
    }
}

backend_test!(async fn a_registered_account_signs_in_and_its_token_names_it(db) {
    let auth = service(&db, cheap_settings());
    let account = auth.register(new_account("Khadija@Example.ma", Role::Buyer)).await;
    let account = account.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.email, "khadija@example.ma");

    let session = auth.login("KHADIJA@example.ma", "a long passphrase".into(), "10.0.0.1").await;
    let session = session.unwrap_or_else(|e| panic!("{e}"));
    let principal = auth.authenticate(&session.token).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(principal, Principal { account_id: account.id, role: Role::Buyer });

    assert!(matches!(auth.authenticate("souk_not-a-token").await, Err(AuthError::Unauthenticated)));
    assert!(matches!(auth.authenticate("Bearer junk").await, Err(AuthError::Unauthenticated)));
});

backend_test!(async fn a_second_account_with_the_same_email_is_refused(db) {
    let auth = service(&db, cheap_settings());
    assert!(auth.register(new_account("a@b.ma", Role::Buyer)).await.is_ok());
    let again = auth.register(new_account("A@B.MA", Role::Artisan)).await;
    assert!(matches!(again, Err(AuthError::EmailTaken)), "{again:?}");
});

backend_test!(async fn privileged_roles_cannot_be_self_chosen(db) {
    let auth = service(&db, cheap_settings());
    for role in [Role::Agent, Role::Certifier, Role::Admin] {
        let refused = auth.register(new_account("x@y.ma", role)).await;
        assert!(matches!(refused, Err(AuthError::RoleNotSelfAssignable)));
    }
    assert!(auth.appoint(new_account("admin@y.ma", Role::Admin)).await.is_ok());
});

backend_test!(async fn wrong_passwords_and_unknown_emails_give_the_same_answer(db) {
    let auth = service(&db, cheap_settings());
    assert!(auth.register(new_account("a@b.ma", Role::Buyer)).await.is_ok());
    let wrong = auth.login("a@b.ma", "not the passphrase".into(), "1").await;
    let unknown = auth.login("nobody@b.ma", "a long passphrase".into(), "2").await;
    assert!(matches!(wrong, Err(AuthError::InvalidCredentials)));
    assert!(matches!(unknown, Err(AuthError::InvalidCredentials)));
});

backend_test!(async fn an_email_that_is_not_one_signs_in_to_nothing(db) {
    let auth = service(&db, cheap_settings());
    assert!(auth.register(new_account("a@b.ma", Role::Buyer)).await.is_ok());
    // PostgreSQL cannot hold a NUL in text: looked up, it would fail the query, not the sign-in.
    for email in ["\0\u{202e}", "a@b.ma\0", "", "no-at-sign"] {
        let attempt = auth.login(email, "a long passphrase".into(), "1").await;
        assert!(matches!(attempt, Err(AuthError::InvalidCredentials)), "{email:?}: {attempt:?}");
    }
});

backend_test!(async fn sign_in_is_limited_per_account_and_per_address(db) {
    let auth = service(&db, cheap_settings());
    assert!(auth.register(new_account("a@b.ma", Role::Buyer)).await.is_ok());
    // Three attempts per account, from different addresses.
    for n in 0..3 {
        let attempt = auth.login("a@b.ma", "wrong password!".into(), &format!("10.0.0.{n}")).await;
        assert!(matches!(attempt, Err(AuthError::InvalidCredentials)));
    }
    let limited = auth.login("a@b.ma", "a long passphrase".into(), "10.0.0.9").await;
    assert!(matches!(limited, Err(AuthError::RateLimited { .. })), "{limited:?}");

    // Five attempts per address, on different accounts.
    for n in 0..5 {
        let attempt = auth.login(&format!("u{n}@b.ma"), "whatever pass".into(), "192.0.2.7").await;
        assert!(matches!(attempt, Err(AuthError::InvalidCredentials)));
    }
    let limited = auth.login("u9@b.ma", "whatever pass".into(), "192.0.2.7").await;
    assert!(matches!(limited, Err(AuthError::RateLimited { .. })));
});

backend_test!(async fn an_expired_session_no_longer_authenticates(db) {
    let auth = service(&db, AuthSettings { token_ttl: Duration::from_millis(1), ..cheap_settings() });
    assert!(auth.register(new_account("a@b.ma", Role::Buyer)).await.is_ok());
    let session = auth.login("a@b.ma", "a long passphrase".into(), "1").await.unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(matches!(auth.authenticate(&session.token).await, Err(AuthError::Unauthenticated)));
});

backend_test!(async fn operators_find_accounts_by_a_piece_of_their_email_taken_literally(db) {
    let auth = service(&db, cheap_settings());
    for email in ["a_b@souk.ma", "axb@souk.ma", "100%@souk.ma", "c\\d@souk.ma"] {
        auth.register(new_account(email, Role::Buyer)).await.unwrap_or_else(|e| panic!("{email}: {e}"));
    }
    let admin = Principal { account_id: souk_kernel::AccountId::new(), role: Role::Admin };
    let page = souk_kernel::PageRequest { after: None, limit: 10 };
    let find = |piece: &str| {
        let filter = AccountFilter { role: None, email: Some(piece.to_owned()) };
        let (auth, admin, page) = (&auth, &admin, &page);
        async move {
            let found = auth.accounts(admin, &filter, page).await.unwrap_or_else(|e| panic!("{e}"));
            found.items.into_iter().map(|a| a.email).collect::<Vec<_>>()
        }
    };
    assert_eq!(find("A_B").await, ["a_b@souk.ma"]);
    assert_eq!(find("0%").await, ["100%@souk.ma"]);
    assert_eq!(find("c\\d").await, ["c\\d@souk.ma"]);
    assert_eq!(find("@souk.ma").await.len(), 4);
    let buyer = Principal { role: Role::Buyer, ..admin };
    let refused = auth.accounts(&buyer, &AccountFilter::default(), &page).await;
    assert!(matches!(refused, Err(AuthError::Forbidden(_))), "{refused:?}");
});
