//! The endpoint's pages: small server-rendered documents in the newsletter's
//! name and colour, readable without JavaScript or styles. maud escapes every
//! value that comes from a request or the store.

use crate::config::Config;
use maud::{DOCTYPE, Markup, PreEscaped, html};

const CSS: &str = r#"
:root { color-scheme: light dark; }
body { margin: 0; background: #f2f3f5; color: #1f2328; font: 16px/1.5 -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; }
.wrap { max-width: 560px; margin: 0 auto; padding: 24px 16px; }
header { border-bottom: 4px solid BRAND; padding-bottom: 10px; margin-bottom: 24px; }
header a { color: inherit; text-decoration: none; font-weight: bold; font-size: 22px; }
main { background: #ffffff; padding: 24px; border-radius: 6px; }
h1 { font-size: 24px; line-height: 1.25; margin: 0 0 16px 0; }
a { color: BRAND; }
label { display: block; font-weight: 600; margin: 16px 0 4px 0; }
input { width: 100%; box-sizing: border-box; font: inherit; padding: 8px 10px; border: 1px solid #8c959f; border-radius: 4px; }
button { font: inherit; font-weight: 600; color: #ffffff; background: BRAND; border: 0; border-radius: 4px; padding: 10px 20px; margin-top: 16px; cursor: pointer; }
.consent, .date, footer { font-size: 14px; color: #57606a; }
.error { color: #b42318; font-weight: 600; }
footer { margin-top: 24px; }
ol.issues { list-style: none; padding: 0; margin: 0; }
ol.issues li { margin: 0 0 14px 0; }
@media (prefers-color-scheme: dark) {
  body { background: #0d1117; color: #e6edf3; }
  main { background: #161b22; }
  .consent, .date, footer { color: #9198a1; }
  input { background: #0d1117; color: #e6edf3; }
}
"#;

/// Where the site's pages live: the path part of `base_url` (empty at the root).
pub fn prefix(config: &Config) -> String {
    let after_scheme = config
        .base_url
        .split_once("://")
        .map_or(config.base_url.as_str(), |(_, rest)| rest);
    after_scheme.find('/').map_or(String::new(), |at| {
        after_scheme[at..].trim_end_matches('/').to_string()
    })
}

/// A whole page: the newsletter's name as a header, `body`, the postal address.
pub fn layout(config: &Config, title: &str, body: Markup) -> String {
    let prefix = prefix(config);
    let css = CSS.replace("BRAND", &config.brand_color);
    html! {
        (DOCTYPE)
        html lang=(config.language) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · " (config.name) }
                link rel="alternate" type="application/atom+xml" title=(config.name)
                    href={ (prefix) "/feed.xml" };
                style { (PreEscaped(css)) }
            }
            body { div.wrap {
                header { a href={ (prefix) "/archive" } { (config.name) } }
                main { (body) }
                footer {
                    @for (i, line) in config.postal_address.lines().map(str::trim)
                        .filter(|l| !l.is_empty()).enumerate() {
                        @if i > 0 { br; }
                        (line)
                    }
                }
            } }
        }
    }
    .into_string()
}

/// The sign-up form, with an error and the address typed when it was refused.
pub fn signup_form(config: &Config, error: Option<&str>, email: &str, name: &str) -> String {
    let prefix = prefix(config);
    let body = html! {
        h1 { "Subscribe to " (config.name) }
        p { "One email per issue. Read the " a href={ (prefix) "/archive" } { "past issues" } " first if you like." }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action={ (prefix) "/subscribe" } {
            label for="email" { "Email address" }
            input #email type="email" name="email" required autocomplete="email" value=(email);
            label for="name" { "Name (optional)" }
            input #name type="text" name="name" autocomplete="name" maxlength=(super::signup::MAX_NAME) value=(name);
            p.consent { (config.serve.consent) }
            button type="submit" { "Subscribe" }
        }
    };
    layout(config, "Subscribe", body)
}

/// The answer to every accepted sign-up, whatever the address's state.
pub fn check_inbox(config: &Config) -> String {
    let body = html! {
        h1 { "Check your inbox" }
        p { "Unless that address receives " (config.name) " already, a message with a link to \
             confirm your subscription is on its way to it. The link works for 48 hours." }
        p { "Nothing there? Look in the spam folder, or sign up again in a few minutes." }
    };
    layout(config, "Check your inbox", body)
}

/// The confirmation link's page: a button, since scanners fetch every link.
pub fn confirm_form(config: &Config) -> String {
    let body = html! {
        h1 { "Confirm your subscription" }
        p { "Press the button to start receiving " (config.name) " by email." }
        form method="post" { button type="submit" { "Confirm subscription" } }
    };
    layout(config, "Confirm your subscription", body)
}

pub fn confirmed(config: &Config) -> String {
    let prefix = prefix(config);
    let body = html! {
        h1 { "You are subscribed" }
        p { "Welcome to " (config.name) ". The next issue will come to your inbox; every issue \
             has a link to unsubscribe at its foot." }
        p { a href={ (prefix) "/archive" } { "Read the past issues" } }
    };
    layout(config, "You are subscribed", body)
}

/// The unsubscribe link's page: a button, since scanners fetch every link.
pub fn unsubscribe_form(config: &Config, masked_address: Option<&str>) -> String {
    let body = html! {
        h1 { "Unsubscribe" }
        @match masked_address {
            Some(address) => p { "Stop sending " (config.name) " to " strong { (address) } "? You can subscribe again at any time." },
            None => p { "Stop receiving " (config.name) " at this address? You can subscribe again at any time." },
        }
        form method="post" {
            input type="hidden" name="List-Unsubscribe" value="One-Click";
            button type="submit" { "Unsubscribe" }
        }
    };
    layout(config, "Unsubscribe", body)
}

/// The unsubscribe link of a test send (`send --test`, or `render --to`
/// someone not on the list): it names no subscriber, so it changes nothing.
pub fn test_send_link(config: &Config) -> String {
    let body = html! {
        h1 { "This link is from a test send" }
        p { "It came in a test send of " (config.name) ", which goes to the editor's chosen \
             addresses rather than to the list. It changes nothing: no address was unsubscribed." }
        p { "In an issue sent to the list, this link unsubscribes its reader." }
    };
    layout(config, "A test send", body)
}

pub fn unsubscribed(config: &Config) -> String {
    let prefix = prefix(config);
    let body = html! {
        h1 { "You are unsubscribed" }
        p { "You will receive no more issues of " (config.name) "." }
        p { "Changed your mind? " a href={ (prefix) "/subscribe" } { "Subscribe again" } "." }
    };
    layout(config, "You are unsubscribed", body)
}

/// Any link that is forged, cut short, expired or used up: says nothing more.
pub fn bad_link(config: &Config) -> String {
    let prefix = prefix(config);
    let body = html! {
        h1 { "This link does not work" }
        p { "It may be incomplete or out of date. Copy the whole link from the email, \
             or " a href={ (prefix) "/subscribe" } { "sign up again" } "." }
    };
    layout(config, "This link does not work", body)
}

pub fn too_many(config: &Config) -> String {
    let body = html! {
        h1 { "Too many requests" }
        p { "Please try again later." }
    };
    layout(config, "Too many requests", body)
}

pub fn not_found(config: &Config) -> String {
    let prefix = prefix(config);
    let body = html! {
        h1 { "Not found" }
        p { "There is no such page. See " a href={ (prefix) "/archive" } { "the archive" } "." }
    };
    layout(config, "Not found", body)
}

/// A page that only names the status, such as "Request Timeout".
pub fn status(config: &Config, reason: &str) -> String {
    let body = html! {
        h1 { (reason) }
        p { "Please try again." }
    };
    layout(config, reason, body)
}

/// The answer to a request that would write while the store is read-only.
pub fn not_recorded(config: &Config) -> String {
    let body = html! {
        h1 { "Not done yet" }
        p { "We could not record this just now, so nothing has changed. Please try the same \
             link again later; if it still does not work, reply to any issue of " (config.name) "." }
    };
    layout(config, "Not done yet", body)
}

pub fn failed(config: &Config) -> String {
    let body = html! {
        h1 { "Something went wrong" }
        p { "Please try again in a few minutes." }
    };
    layout(config, "Something went wrong", body)
}
