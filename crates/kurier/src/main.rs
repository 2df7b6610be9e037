//! `kurier`: the command line. It only wires things: configuration, the store, the web server and the
//! delivery engine (see ARCHITECTURE.md).

mod bench;
mod bounce_cli;
mod config;
mod csv_import;
mod dkim_cli;
mod lint_cli;
mod lint_template;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};

/// mimalloc instead of glibc's allocator: composing allocates a message of 100 KB and more per
/// recipient, which glibc (by its heap state) often hands back to the kernel and faults in again,
/// making composing 1.5 to 3.5 times slower (`cargo run --release -p kurier-mail --example compose_bench`).
/// Without transparent huge pages (`no_thp`): zeroing 2 MiB pages made short runs such as
/// `kurier bounce classify` slower than with glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "kurier", version, about = "Self-hosted email marketing and lifecycle messaging")]
struct Cli {
    /// Configuration file (TOML); `KURIER_*` environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, secret, admin token).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and the delivery engine until SIGTERM or Ctrl-C.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Import contacts from a CSV file into a list, in one transaction.
    Import(csv_import::ImportArgs),
    /// Write a list's contacts as CSV to standard output.
    Export {
        #[arg(long, value_name = "NAME")]
        list: String,
    },
    /// Print every configuration key with its meaning.
    ConfigKeys,
    /// Work with bounces and complaints.
    #[command(subcommand)]
    Bounce(BounceCommand),
    /// Check a message before sending it: unsubscribe, sender, merge tags, links, images, dates.
    /// Exit code 1 when a finding is an error.
    Lint(lint_cli::LintArgs),
    /// DKIM keys: make one, show the DNS records of the configured ones.
    #[command(subcommand)]
    Dkim(dkim_cli::DkimCommand),
    /// Measure throughput (see `kurier bench smtp --help`).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Subcommand)]
enum BounceCommand {
    /// Classify bounces, complaints and auto-replies in files, directories, Maildirs and mbox files.
    Classify(bounce_cli::ClassifyArgs),
}

fn main() -> ExitCode {
    // `kurier bounce classify` with plain arguments skips building the whole command tree, which
    // takes about 0.4 ms, as long as classifying a dozen bounces; anything else goes through clap.
    if let Some(args) = bounce_cli::plain_args(std::env::args_os().skip(1)) {
        return classify(args);
    }
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    if let Command::Bounce(BounceCommand::Classify(args)) = cli.command {
        return classify(args);
    }
    if let Command::Lint(args) = cli.command {
        // Pure checking: no database or runtime needed; the template mode reads the configuration
        // for the sender and domains the messages would go out with. Exit code 1 means "errors
        // found", so a failure to report them is 2.
        let config_file = cli.config.clone();
        let data_dir = cli.data_dir.clone();
        let settings = move || -> anyhow::Result<lint_template::SendSettings> {
            let overrides = Overrides { data_dir, listen: None };
            let c = Config::load(config_file.as_deref(), std::env::vars(), &overrides)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(lint_template::SendSettings {
                sender: kurier_mail::SenderIdentity {
                    name: c.sender_name,
                    address: c.sender_address,
                    postal_address: c.sender_postal_address,
                    reply_to: c.reply_to,
                },
                message_id_domain: c.message_id_domain,
                bounce_domain: c.bounce_domain,
                public_url: c.public_url.to_string(),
            })
        };
        return lint_cli::lint(args, settings).unwrap_or_else(|e| {
            eprintln!("kurier: {e:#}");
            ExitCode::from(2)
        });
    }
    if let Command::Dkim(command) = cli.command {
        // Reads the configuration only where needed (the domain, the configured keys).
        let overrides = Overrides { data_dir: cli.data_dir.clone(), listen: None };
        let config =
            Config::load(cli.config.as_deref(), std::env::vars(), &overrides).map_err(|e| anyhow::anyhow!("{e}"));
        return dkim_cli::run(command, config).unwrap_or_else(|e| {
            eprintln!("kurier: {e:#}");
            ExitCode::FAILURE
        });
    }
    if let Command::ConfigKeys = cli.command {
        for (k, doc) in config::KEYS {
            println!("{k:<24} KURIER_{:<24} {doc}", k.to_ascii_uppercase());
        }
        return ExitCode::SUCCESS;
    }
    if let Command::Bench(command) = cli.command {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
        return bench::run(command, cli.data_dir).unwrap_or_else(|e| {
            eprintln!("kurier: {e:#}");
            ExitCode::FAILURE
        });
    }
    let overrides = Overrides { data_dir: cli.data_dir.clone(), listen };
    let config = match Config::load(cli.config.as_deref(), std::env::vars(), &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprint!("kurier: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kurier: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } => serve::serve(config).await,
            Command::Import(args) => csv_import::import(config, args).await,
            Command::Export { list } => csv_import::export(config, &list).await,
            Command::ConfigKeys | Command::Bench(_) | Command::Bounce(_) | Command::Lint(_) | Command::Dkim(_) => {
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kurier: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `kurier bounce classify`: pure parsing, no configuration, database or runtime needed.
fn classify(args: bounce_cli::ClassifyArgs) -> ExitCode {
    bounce_cli::classify(args).unwrap_or_else(|e| {
        eprintln!("kurier: {e:#}");
        ExitCode::FAILURE
    })
}
