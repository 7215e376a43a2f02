//! Configuration loading: precedence, and errors that name the key.
#![expect(
    clippy::result_large_err,
    reason = "figment's Jail closures return figment's own error type"
)]

use figment::Jail;

use super::*;

fn load_in(jail: &Jail) -> Result<Settings, ConfigError> {
    Settings::load(&Sources {
        config_dir: Some(jail.directory().join("config")),
        ..Sources::default()
    })
}

#[test]
fn the_built_in_defaults_need_no_file_and_no_environment() {
    Jail::expect_with(|jail| {
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.data_dir, PathBuf::from("./data"));
        assert!(
            settings
                .database_url()
                .starts_with("sqlite://./data/souk.db")
        );
        assert_eq!(settings.redis_url(), None);
        assert_eq!(
            settings.account_links_url(),
            "http://127.0.0.1:8080/account"
        );
        Ok(())
    });
}

#[test]
fn account_links_follow_the_brand_address_unless_set() {
    Jail::expect_with(|jail| {
        jail.set_env("SOUK_LABELS__BASE_URL", "https://souk.ma/");
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert_eq!(settings.account_links_url(), "https://souk.ma/account");
        jail.set_env("SOUK_AUTH__LINKS_URL", "https://shop.souk.ma/compte/");
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert_eq!(settings.account_links_url(), "https://shop.souk.ma/compte");
        jail.set_env("SOUK_AUTH__LINKS_URL", "javascript:alert(1)");
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("auth.links_url"), "{err}");
        Ok(())
    });
}

#[test]
fn the_environment_overrides_files_and_flags_override_the_environment() {
    Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/staging.toml", "[cache]\nttl_seconds = 42\n")?;
        jail.set_env("SOUK_ENV", "staging");
        jail.set_env("SOUK_LISTEN", "0.0.0.0:9000");
        jail.set_env("SOUK_CATALOG__PAGE_SIZE", "12");
        jail.set_env("DATABASE_URL", "postgres://u:hunter2-pw@db/souk");
        jail.set_env("REDIS_URL", "redis://cache:6379");
        // The test harness's own variables are not settings.
        jail.set_env("SOUK_TEST_POSTGRES_URL", "postgres://127.0.0.1/postgres");
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert_eq!(settings.cache.ttl_seconds, 42);
        assert_eq!(settings.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(settings.catalog.page_size, 12);
        assert_eq!(settings.database_url(), "postgres://u:hunter2-pw@db/souk");
        assert_eq!(settings.redis_url(), Some("redis://cache:6379"));
        // Secrets never print.
        assert!(!format!("{settings:?}").contains("hunter2-pw"));
        jail.set_env("SOUK_PHOTOS__S3_SECRET_ACCESS_KEY", "s3-key-material");
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert!(!format!("{settings:?}").contains("s3-key-material"));

        let flags = Sources {
            config_dir: Some(jail.directory().join("config")),
            listen: "127.0.0.1:7000".parse().ok(),
            data_dir: Some("/srv/souk".into()),
            ..Sources::default()
        };
        let settings = Settings::load(&flags).map_err(|e| e.to_string())?;
        assert_eq!(settings.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(settings.data_dir, PathBuf::from("/srv/souk"));
        Ok(())
    });
}

#[test]
fn a_bad_value_names_its_key() {
    Jail::expect_with(|jail| {
        jail.set_env("SOUK_DATABASE__MAX_CONNECTIONS", "lots");
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("database.max_connections"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("SOUK_LISTEN", "not an address");
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("listen"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("DATABASE_URL", "mysql://x/y");
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("database.url"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("SOUK_CATALOG__PAGE_SIZE", "0");
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("catalog.page_size"), "{err}");
        Ok(())
    });
}

#[test]
fn an_unknown_key_is_refused_with_its_name() {
    Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/default.toml", "[cache]\nttl_secs = 5\n")?;
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("ttl_secs"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("SOUK_DATABSE__URL", "postgres://x/y");
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("databse"), "{err}");
        Ok(())
    });
}

#[test]
fn a_missing_environment_file_is_an_error() {
    Jail::expect_with(|jail| {
        jail.set_env("SOUK_ENV", "nowhere");
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("nowhere.toml"), "{err}");
        Ok(())
    });
}

#[test]
fn a_notification_channel_is_refused_without_what_it_needs() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("SOUK_NOTIFY__EMAIL", "smtp")], "notify.smtp_url"),
        (
            &[
                ("SOUK_NOTIFY__EMAIL", "smtp"),
                ("SOUK_NOTIFY__SMTP_URL", "mail.internal:25"),
            ],
            "notify.smtp_url",
        ),
        (
            &[
                ("SOUK_NOTIFY__SMS", "kannel"),
                (
                    "SOUK_NOTIFY__KANNEL_URL",
                    "kannel.internal:13013/cgi-bin/sendsms",
                ),
            ],
            "notify.kannel_url",
        ),
        (
            &[
                ("SOUK_NOTIFY__SMS", "kannel"),
                (
                    "SOUK_NOTIFY__KANNEL_URL",
                    "http://kannel.internal:13013/cgi-bin/sendsms",
                ),
            ],
            "notify.kannel_username",
        ),
    ];
    for (env, key) in cases {
        Jail::expect_with(|jail| {
            for (name, value) in env {
                jail.set_env(name, value);
            }
            let err = load_in(jail)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(key), "{env:?}: {err}");
            Ok(())
        });
    }
    Jail::expect_with(|jail| {
        jail.set_env("SOUK_NOTIFY__SMS", "kannel");
        jail.set_env(
            "SOUK_NOTIFY__KANNEL_URL",
            "http://kannel.internal:13013/cgi-bin/sendsms",
        );
        jail.set_env("SOUK_NOTIFY__KANNEL_USERNAME", "souk");
        jail.set_env("SOUK_NOTIFY__KANNEL_PASSWORD", "secret");
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        let shown = format!("{:?}", settings.relay_settings());
        assert!(
            shown.contains("kannel.internal") && !shown.contains("secret"),
            "{shown}"
        );
        Ok(())
    });
}

#[test]
fn cors_origins_are_none_by_default_and_must_be_written_as_browsers_send_them() {
    Jail::expect_with(|jail| {
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert!(settings.http.cors_origins.is_empty());
        jail.set_env(
            "SOUK_HTTP__CORS_ORIGINS",
            r#"["https://souk.ma","http://localhost:5173","http://[::1]:8080"]"#,
        );
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert_eq!(
            settings.http.cors_origins,
            [
                "https://souk.ma",
                "http://localhost:5173",
                "http://[::1]:8080"
            ]
        );
        Ok(())
    });
    for refused in [
        "*",
        "souk.ma",
        "https://souk.ma/",
        "https://souk.ma/shop",
        "https://Souk.ma",
        "https://souk.ma:443",
        "http://souk.ma:80",
        "https://souk.ma:0",
        "https://souk.ma:99999",
        "https://souk..ma",
        "ftp://souk.ma",
        "https://user@souk.ma",
        "https://[::1",
        "null",
    ] {
        assert!(check_origin(refused).is_err(), "{refused}");
        Jail::expect_with(|jail| {
            jail.create_dir("config")?;
            jail.create_file(
                "config/default.toml",
                &format!("[http]\ncors_origins = [{refused:?}]\n"),
            )?;
            let err = load_in(jail)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("http.cors_origins"), "{refused}: {err}");
            Ok(())
        });
    }
    for accepted in [
        "https://shop.souk.ma",
        "http://localhost:5173",
        "https://xn--mgbh0fb.ma",
    ] {
        assert_eq!(check_origin(accepted), Ok(()), "{accepted}");
    }
}

#[test]
fn the_body_timeout_is_a_setting_of_its_own() {
    Jail::expect_with(|jail| {
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert_eq!(settings.http.body_timeout_ms, 5_000);
        jail.set_env("SOUK_HTTP__BODY_TIMEOUT_MS", "0");
        let err = load_in(jail)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("http.body_timeout_ms"), "{err}");
        Ok(())
    });
}

#[test]
fn the_search_index_lives_in_the_data_folder_and_a_bad_vocabulary_line_is_named() {
    Jail::expect_with(|jail| {
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        assert_eq!(settings.search_index_dir(), PathBuf::from("./data/search"));
        assert!(
            settings
                .search_vocabulary()
                .map_err(|e| e.to_string())?
                .len()
                > 100
        );
        jail.create_file("words.txt", "hanbel, handira\ntapis de laine, zarbia\n")?;
        jail.set_env("SOUK_SEARCH__VOCABULARY_FILE", "words.txt");
        let settings = load_in(jail).map_err(|e| e.to_string())?;
        let err = settings
            .search_vocabulary()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("search.vocabulary_file") && err.contains("line 2"),
            "{err}"
        );
        Ok(())
    });
}
