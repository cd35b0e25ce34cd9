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
use std::path::Path;
use std::sync::Arc;

pub fn run(n: &Newsletter, args: ServeArgs) -> Result<ExitStatus> {
    let (root, config) = (&n.root, n.config.clone());
    let secret = Secret::load(&config)?;
    let signers = load_signers(&config)?;
    let store = n.store()?;
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

/// The transport for confirmation emails: `GAZETTE_TRANSPORT` over the config.
fn transport(config: &Config, root: &Path) -> Result<Destination> {
    let url = std::env::var("GAZETTE_TRANSPORT").ok();
    config
        .delivery
        .transport_with(url.as_deref(), root)
        .map_err(|e| Error::Input(format!("GAZETTE_TRANSPORT: {e}")))
}

pub fn archive(n: &Newsletter, args: ArchiveArgs) -> Result<ExitStatus> {
    let store = n.store()?;
    let now = clock::now()?;
    let pages = archive::write_static(n, &store, &args.out, now)?;
    eprintln!(
        "gazette: wrote the archive ({pages} issue page(s), archive/index.html, feed.xml) to {}",
        args.out.display()
    );
    Ok(ExitStatus::Ok)
}
