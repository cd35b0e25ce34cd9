//! `gazette serve`: the web endpoint (one-click unsubscribe, double opt-in
//! sign-up, the archive and its feed); `gazette archive`: the archive and feed
//! as static files.

use crate::cli::{ArchiveArgs, ServeArgs};
use crate::clock;
use crate::config::{Config, Destination};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::message::load_signers;
use crate::message::token::Secret;
use crate::newsletter::Newsletter;
use crate::serve::{App, Mailer, archive};
use crate::store::{Store, is_unwritable};
use std::path::Path;
use std::sync::Arc;

pub fn run(n: &Newsletter, args: ServeArgs) -> Result<ExitStatus> {
    let (root, config) = (&n.root, n.config.clone());
    let secret = Secret::load(&config)?;
    let signers = load_signers(&config)?;
    let store = open_store(n)?;
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
        outln!("http://{addr}/")?;
        eprintln!(
            "gazette: serving {} on http://{addr}/ (confirmations through {}; Ctrl-C to stop)",
            config.name,
            mailer.describe()
        );
        let app = Arc::new(App::new(n.clone(), secret, store, mailer)?);
        crate::serve::serve(listener, app).await
    })?;
    Ok(ExitStatus::Ok)
}

/// The store to serve from: written to where it can be; where the file or
/// its directory is read-only, read only, with a warning (the archive is
/// served; unsubscribes and sign-ups are refused with 503, never dropped).
fn open_store(n: &Newsletter) -> Result<Store> {
    match n.store() {
        Ok(store) => Ok(store),
        Err(e) if is_unwritable(&e) && n.config.database.exists() => {
            let store = n
                .reader()
                .map_err(|_| e.to_string())
                .map_err(Error::Failed)?;
            eprintln!(
                "gazette: warning: {e}; serving it read-only: the archive works, but unsubscribes \
                 and sign-ups answer 503 until the store can be written and serve is restarted"
            );
            Ok(store)
        }
        Err(e) => Err(e),
    }
}

/// The transport for confirmation emails: `GAZETTE_TRANSPORT` over the config.
fn transport(config: &Config, root: &Path) -> Result<Destination> {
    let url = std::env::var("GAZETTE_TRANSPORT").ok();
    config
        .delivery
        .transport_with(url.as_deref(), root)
        .map_err(|e| Error::Input(format!("GAZETTE_TRANSPORT: {e}")))
}

pub fn archive(n: &Newsletter, args: ArchiveArgs) -> Result<ExitStatus> {
    let store = n.reader()?;
    let now = clock::now()?;
    let pages = archive::write_static(n, &store, &args.out, now)?;
    eprintln!(
        "gazette: wrote the archive ({pages} issue page(s), archive/index.html, feed.xml) to {}",
        args.out.display()
    );
    Ok(ExitStatus::Ok)
}
