//! `gazette serve`: the web endpoint (one-click unsubscribe, double opt-in
//! sign-up, the archive and its feed); `gazette archive`: the archive and feed
//! as static files.

use crate::clock;
use crate::config::Config;
use crate::config::Destination as TransportSetting;
use crate::error::{Error, Result};
use crate::message::load_signers;
use crate::message::token::Secret;
use crate::serve::{App, Mailer, archive};
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free one); the URL is printed
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// The directory to write the pages and feed into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(root: &Path, args: ServeArgs) -> Result<u8> {
    let config = Config::load(root)?;
    let secret = Secret::load(&config)?;
    let signers = load_signers(&config)?;
    let store = Store::open(&config.database)?;
    let transport = transport(&config, root)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the runtime"))?;
    runtime.block_on(async move {
        let mailer = Mailer::new(&config, &transport, signers)?;
        let listener = tokio::net::TcpListener::bind(args.listen.as_str())
            .await
            .map_err(Error::io(format!("cannot listen on {}", args.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io("cannot read the bound address"))?;
        println!("http://{addr}/");
        eprintln!(
            "gazette: serving {} on http://{addr}/ (confirmations through {}; Ctrl-C to stop)",
            config.name,
            mailer.describe()
        );
        let app = Arc::new(App::new(config, secret, store, mailer));
        crate::serve::serve(listener, app).await
    })?;
    Ok(0)
}

/// The transport for confirmation emails: `GAZETTE_TRANSPORT` over the config.
fn transport(config: &Config, root: &Path) -> Result<TransportSetting> {
    let url = std::env::var("GAZETTE_TRANSPORT").ok();
    config
        .delivery
        .transport_with(url.as_deref(), root)
        .map_err(|e| Error::Input(format!("GAZETTE_TRANSPORT: {e}")))
}

pub fn archive(root: &Path, args: ArchiveArgs) -> Result<u8> {
    let config = Config::load(root)?;
    let store = Store::open(&config.database)?;
    let now = clock::now()?;
    let pages = archive::write_static(&config, &store, &args.out, now)?;
    eprintln!(
        "gazette: wrote the archive ({pages} issue page(s), archive/index.html, feed.xml) to {}",
        args.out.display()
    );
    Ok(0)
}
