//! `gazette render`: one draft's HTML or text part.

use super::{load_ok, resolve_draft, write_output};
use crate::cli::{Format, RenderArgs};
use crate::config::Config;
use crate::error::Result;
use crate::{message, render};
use std::path::Path;

pub fn run(root: &Path, args: RenderArgs) -> Result<u8> {
    let config = Config::load(root)?;
    let path = resolve_draft(root, &args.draft);
    if !path.is_file() {
        return Err(crate::Error::Input(format!(
            "no draft at {}",
            path.display()
        )));
    }
    let (draft, _warnings, _) = load_ok(&config, &path)?;
    let rendered = render::render(&draft, &config);
    if args.format == Format::Eml {
        let to = args.to.as_deref().unwrap_or_default();
        let subscriber = subscriber(&config, to)?;
        let bytes = message::eml_for(&config, &draft, &rendered, to, subscriber)?;
        write_output(args.output.as_deref(), &bytes)?;
        return Ok(0);
    }
    let (html, text) = rendered.personalise(&render::sample_unsubscribe_url(&config));
    let bytes = match args.format {
        Format::Html => html,
        _ => text,
    };
    write_output(args.output.as_deref(), bytes.as_bytes())?;
    Ok(0)
}

/// The subscriber `to` names, with their name, if the store exists and has them.
fn subscriber(config: &Config, to: &str) -> Result<Option<(u64, Option<String>)>> {
    let Ok(mailbox) = crate::address::Mailbox::parse(to) else {
        return Ok(None);
    };
    let Some(store) = super::due::open_existing(config)? else {
        return Ok(None);
    };
    Ok(store
        .get_by_email(&mailbox.address)?
        .map(|s| (s.id as u64, s.name)))
}
