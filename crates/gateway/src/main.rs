//! `souk`: serve the API (the default), migrate the database, seed demo or benchmark data, or
//! appoint accounts.

use std::{io::BufRead, net::SocketAddr, path::PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use souk_auth::{AuthService, NewAccount, Role};
use souk_catalog::{Catalog, CatalogSettings};
use souk_gateway::{App, Settings, Sources, app, telemetry};
use tokio::net::TcpListener;

/// mimalloc: under load, glibc's allocator spent about a fifth of the server's time in malloc,
/// free and their arena locks (measured with perf on the catalog benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "souk",
    version,
    about = "The marketplace of certified crafts of Fès-Meknès"
)]
struct Cli {
    /// Address to listen on (default 127.0.0.1:8080; also SOUK_LISTEN).
    #[arg(long, global = true, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Folder for the SQLite database and other files (default ./data; also SOUK_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Folder of default.toml and <SOUK_ENV>.toml (default ./config; also SOUK_CONFIG_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    config_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (what `souk` alone does).
    Serve,
    /// Apply migrations (default), roll them back, or list them.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Seed the demo catalog into an empty database, generate a large catalog, or load only the
    /// reference data (the crafts taxonomy) for production.
    Seed {
        /// Only the reference data, no demo artisans or products (safe to run on every release:
        /// adds what is missing, leaves operators' changes as they are).
        #[arg(long, conflicts_with = "products")]
        reference: bool,
        /// Generate this many products (with artisans for them) instead of the demo catalog.
        #[arg(long)]
        products: Option<usize>,
        /// Random seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Create an account of any role (agents, certifiers and admins cannot sign themselves up).
    /// The password is read from standard input.
    CreateAccount {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        name: String,
        /// For an agent: their commission in basis points of their artisans' sales (100 = 1%).
        #[arg(long, default_value_t = 0)]
        commission_bps: u32,
        /// For an agent: their phone, for short messages.
        #[arg(long)]
        phone: Option<String>,
        /// The language of the messages Souk sends them: ar, fr, en or zgh (default: French).
        #[arg(long)]
        lang: Option<souk_kernel::Lang>,
    },
    /// Back up the database, the photo store and the label keyring into a new folder (kept
    /// private: it holds the label signing keys).
    Backup {
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Restore a backup made by `souk backup` into an empty database, the configured photo store
    /// and keyring; then `souk migrate` brings it up to this version.
    Restore {
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
    /// Brand labels: check one offline, or rotate the signing key.
    Label {
        #[command(subcommand)]
        action: LabelAction,
    },
}

#[derive(Subcommand)]
enum LabelAction {
    /// Checks a label with no network: its link (the QR code's URL, or its path and query)
    /// against the public keys. Exits with 1 unless it is authentic.
    Verify {
        /// The label's link.
        link: String,
        /// The published keys (a saved /.well-known/souk-label-keys.json); default: this
        /// server's own keyring.
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
        /// A saved /.well-known/souk-label-revocations.json, to also catch revoked labels.
        #[arg(long, value_name = "FILE")]
        revocations: Option<PathBuf>,
    },
    /// Rotates the signing key in two steps: first stages a next key (deploy the keyring to
    /// every replica and restart them), then `--activate` makes it sign (restart them again);
    /// the old key is retired and still verifies what it signed.
    RotateKey {
        #[arg(long)]
        activate: bool,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    Up,
    /// Roll back the last migration, or all of them with --all.
    Down {
        #[arg(long)]
        all: bool,
    },
    Status,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Buyer,
    Artisan,
    Agent,
    Certifier,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Buyer => Role::Buyer,
            RoleArg::Artisan => Role::Artisan,
            RoleArg::Agent => Role::Agent,
            RoleArg::Certifier => Role::Certifier,
            RoleArg::Admin => Role::Admin,
        }
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("souk: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("souk: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let sources = Sources {
        config_dir: cli.config_dir,
        env: None,
        listen: cli.listen,
        data_dir: cli.data_dir,
    };
    let settings = Settings::load(&sources)?;
    telemetry::init_logs(&settings.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings).await,
        Command::Migrate { action } => {
            migrate(&settings, action.unwrap_or(MigrateAction::Up)).await
        }
        Command::Seed {
            reference,
            products,
            seed,
        } => seed_catalog(&settings, reference, products, seed).await,
        Command::CreateAccount {
            email,
            role,
            name,
            commission_bps,
            phone,
            lang,
        } => {
            let new = NewAccount {
                email,
                password: String::new(),
                display_name: name,
                role: role.into(),
                lang: souk_auth::account_lang(lang, None),
            };
            create_account(&settings, new, commission_bps, phone).await
        }
        Command::Label { action } => label(&settings, action),
        Command::Backup { to } => {
            let m = souk_gateway::backup::backup(&settings, &to).await?;
            println!(
                "backed up the {} database ({} migrations), {} photo object(s) and {} into {}",
                m.database,
                m.migrations.len(),
                m.photos,
                if m.keyring {
                    "the label keyring"
                } else {
                    "no keyring"
                },
                to.display()
            );
            Ok(())
        }
        Command::Restore { from } => {
            let m = souk_gateway::backup::restore(&settings, &from).await?;
            println!(
                "restored the {} database of {}, {} photo object(s){}",
                m.database,
                m.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                m.photos,
                if m.keyring {
                    " and the label keyring"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = App::build(settings).await?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, database = ?souk_db::Backend::of_url(&settings.database_url()), cache = app.state.health.cache.backend_kind(), "Souk is listening");
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!("Souk is listening on http://{address} (API docs at http://{address}/docs)");
    }
    app.serve(listener, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on the first SIGTERM or Ctrl-C; a second one stops the process at once.
async fn shutdown_signal() {
    signal().await;
    tracing::info!("shutting down (a second signal stops at once)");
    tokio::spawn(async {
        signal().await;
        tracing::warn!("second signal: stopping at once");
        std::process::exit(130);
    });
}

async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

fn label(settings: &Settings, action: LabelAction) -> anyhow::Result<()> {
    use souk_labels::{Keyring, KeysDocument, OfflineVerdict, RevocationList, offline};
    // Nothing heavy runs here: slots of their own.
    let labels = settings.label_settings(souk_kernel::WorkSlots::default());
    match action {
        LabelAction::RotateKey { activate: false } => {
            let kid = Keyring::stage(&labels.keyring)?;
            println!(
                "key {kid} in {}: staged (or made active if it is the first). Deploy the keyring \
                 to every replica and restart them, then run `souk label rotate-key --activate`",
                labels.keyring.display()
            );
            Ok(())
        }
        LabelAction::RotateKey { activate: true } => {
            let kid = Keyring::activate(&labels.keyring)?;
            println!(
                "key {kid} in {} signs from now on; deploy the keyring and restart the replicas",
                labels.keyring.display()
            );
            Ok(())
        }
        LabelAction::Verify {
            link,
            keys,
            revocations,
        } => {
            let read = |path: &PathBuf| {
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))
            };
            let keys: KeysDocument = match &keys {
                Some(path) => serde_json::from_slice(&read(path)?)
                    .with_context(|| format!("{} is not a keys document", path.display()))?,
                None => Keyring::open(&labels.keyring, false)?.document(&labels.base_url),
            };
            let revocations: Option<RevocationList> = match &revocations {
                Some(path) => Some(
                    serde_json::from_slice(&read(path)?)
                        .with_context(|| format!("{} is not a revocation list", path.display()))?,
                ),
                None => None,
            };
            match offline::verify(&link, &keys, revocations.as_ref())? {
                OfflineVerdict::Authentic { signed, key_status } => {
                    println!(
                        "AUTHENTIC: label {} of product {}, certification {}, issued {}, signed by key {} ({})",
                        signed.serial,
                        signed.product.path(),
                        signed.certification,
                        signed.issued_on,
                        signed.key_id,
                        match key_status {
                            souk_labels::KeyStatus::Next => "staged",
                            souk_labels::KeyStatus::Active => "active",
                            souk_labels::KeyStatus::Retired => "retired",
                        }
                    );
                    if revocations.is_none() {
                        println!("(not checked against a revocation list: pass --revocations)");
                    }
                    Ok(())
                }
                OfflineVerdict::Revoked { signed, revoked_at } => {
                    bail!(
                        "REVOKED: label {} was revoked at {revoked_at}",
                        signed.serial
                    )
                }
                OfflineVerdict::NotAuthentic(why) => bail!("NOT AUTHENTIC: {}", why.as_str()),
            }
        }
    }
}

async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = app::open_database(settings).await?;
    match action {
        MigrateAction::Up => {
            let pending = souk_db::pending_migrations(&db).await?;
            souk_db::migrate_up(&db).await?;
            println!("applied {} migration(s)", pending.len());
        }
        MigrateAction::Down { all } => {
            souk_db::migrate_down(&db, if all { None } else { Some(1) }).await?;
            println!(
                "rolled back {}",
                if all {
                    "every migration"
                } else {
                    "the last migration"
                }
            );
        }
        MigrateAction::Status => {
            for name in souk_db::applied_migrations(&db).await? {
                println!("applied  {name}");
            }
            for name in souk_db::pending_migrations(&db).await? {
                println!("pending  {name}");
            }
        }
    }
    Ok(())
}

async fn seed_catalog(
    settings: &Settings,
    reference: bool,
    products: Option<usize>,
    seed: u64,
) -> anyhow::Result<()> {
    let db = app::open_database(settings).await?;
    if souk_db::Backend::of_url(&settings.database_url()) == Some(souk_db::Backend::Sqlite) {
        souk_db::migrate_up(&db).await?;
    } else if !souk_db::pending_migrations(&db).await?.is_empty() {
        bail!("the database has migrations pending: run `souk migrate` first");
    }
    let cache = app::open_cache(settings)?;
    let catalog = Catalog::new(
        db,
        cache,
        CatalogSettings {
            page_size: settings.catalog.page_size,
            cache_listings: settings.catalog.cache_listings,
        },
    );
    if reference {
        let added = catalog.load_reference().await?;
        println!("added {added} craft(s) of the reference taxonomy");
        return Ok(());
    }
    let report = match products {
        Some(n) => {
            souk_demo::generate(
                &catalog,
                n,
                seed,
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
            )
            .await?
        }
        None => souk_demo::seed_demo(&catalog).await?,
    };
    println!(
        "added {} product(s), {} artisan(s), {} craft(s)",
        report.products, report.artisans, report.crafts
    );
    Ok(())
}

/// `new` without its password, which is read from standard input.
async fn create_account(
    settings: &Settings,
    new: NewAccount,
    commission_bps: u32,
    phone: Option<String>,
) -> anyhow::Result<()> {
    let db = app::open_database(settings).await?;
    let cache = app::open_cache(settings)?;
    let auth = AuthService::new(db.clone(), cache.clone(), app::auth_settings(settings))?;
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let role = new.role;
    let new = NewAccount { password, ..new };
    if role == Role::Agent {
        // An agent is an account and an agent record (with their commission).
        let catalog = Catalog::new(db.clone(), cache, CatalogSettings::default());
        let agents = souk_agents::Agents::new(db, catalog, auth, Default::default());
        let agent = agents
            .create_agent(
                None,
                souk_agents::AgentInput {
                    account: new,
                    commission_bps,
                    phone,
                },
            )
            .await?;
        println!(
            "created agent account {} ({}), commission {} bps",
            agent.id, agent.email, agent.commission_bps
        );
        return Ok(());
    }
    let account = auth.appoint(new).await?;
    println!(
        "created {} account {} ({})",
        account.role, account.id, account.email
    );
    Ok(())
}
