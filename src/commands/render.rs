//! `gazette render`: one draft's HTML or text part.

use super::{load_ok, resolve_draft, write_output};
use crate::cli::{Format, RenderArgs};
use crate::config::Config;
use crate::error::Result;
use crate::render;
use std::path::Path;

pub fn run(root: &Path, args: RenderArgs) -> Result<u8> {
    let config = Config::load(root)?;
    let (draft, _warnings, _) = load_ok(&config, &resolve_draft(root, &args.draft))?;
    let rendered = render::render(&draft, &config);
    let (html, text) = rendered.personalise(&render::sample_unsubscribe_url(&config));
    let bytes = match args.format {
        Format::Html => html,
        Format::Text => text,
    };
    write_output(args.output.as_deref(), bytes.as_bytes())?;
    Ok(0)
}
