//! `gazette render`: one draft's HTML or text part.

use super::write_output;
use crate::cli::{Format, RenderArgs};
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::id::SubscriberId;
use crate::newsletter::Newsletter;
use crate::{message, render};

pub fn run(n: &Newsletter, args: RenderArgs) -> Result<ExitStatus> {
    let config = &n.config;
    let draft = n.load_ok(&n.existing_draft(&args.draft)?)?.draft;
    let rendered = render::render(&draft, config);
    if args.format == Format::Eml {
        let to = args.to.as_deref().unwrap_or_default();
        let subscriber = subscriber(n, to)?;
        let sent_under = n.reader()?.send_list_id(draft.issue)?;
        let bytes = message::eml_for(config, &draft, &rendered, to, subscriber, sent_under)?;
        write_output(args.output.as_deref(), &bytes)?;
        return Ok(ExitStatus::Ok);
    }
    let (html, text) = rendered.personalise(&render::sample_unsubscribe_url(config));
    let bytes = match args.format {
        Format::Html => html,
        _ => text,
    };
    write_output(args.output.as_deref(), bytes.as_bytes())?;
    Ok(ExitStatus::Ok)
}

/// The subscriber `to` names, with their name, if the store exists and has them.
fn subscriber(n: &Newsletter, to: &str) -> Result<Option<(SubscriberId, Option<String>)>> {
    let Ok(mailbox) = crate::address::Mailbox::parse(to) else {
        return Ok(None);
    };
    let store = n.reader()?;
    Ok(store
        .get_by_email(&mailbox.address)?
        .map(|s| (s.id, s.name)))
}
