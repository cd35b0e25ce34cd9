//! Auto-replies (RFC 3834 and the common non-standard marks): vacation and
//! out-of-office notices, which say nothing about the address. Read only
//! when the message is no report and no bounce notice, since those carry
//! `Auto-Submitted` too.

use super::fields::{self, Field};

/// Subjects of out-of-office and vacation replies in common languages
/// (lower case), matched anywhere in the subject.
const SUBJECTS: [&str; 30] = [
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "autoresponse",
    "vacation",
    "on holiday",
    "abwesenheit",            // de: Abwesenheitsnotiz
    "automatische antwort",   // de
    "réponse automatique",    // fr
    "absence",                // fr, en
    "respuesta automática",   // es
    "fuera de la oficina",    // es
    "risposta automatica",    // it
    "fuori sede",             // it
    "automatisch antwoord",   // nl
    "afwezig",                // nl
    "resposta automática",    // pt
    "ausente",                // pt, es
    "automatiskt svar",       // sv
    "frånvaro",               // sv
    "automatisk svar",        // da, no
    "fravær",                 // da, no
    "automatyczna odpowiedź", // pl
    "автоответ",              // ru
    "自動応答",               // ja
    "自动回复",               // zh
];

/// Whether the message is an auto-reply: `Auto-Submitted: auto-replied`, an
/// `X-Autoreply`, `X-Autorespond` or `X-Autoresponder` field,
/// `Precedence: auto_reply`, or an out-of-office subject (also under
/// `Auto-Submitted: auto-generated`, which Exchange's replies carry).
pub(super) fn is_auto_reply(headers: &[Field], subject: Option<&str>) -> bool {
    let value = |name| fields::get(headers, name).map(str::to_ascii_lowercase);
    let submitted = value("auto-submitted").unwrap_or_default();
    let precedence = value("precedence").unwrap_or_default();
    let marked = ["x-autoreply", "x-autorespond", "x-autoresponder"]
        .iter()
        .filter_map(|n| value(n))
        .any(|v| v != "no" && v != "false");
    let subject = subject.unwrap_or("").to_lowercase();
    submitted.starts_with("auto-replied")
        || marked
        || precedence.trim() == "auto_reply"
        || SUBJECTS.iter().any(|s| subject.contains(s))
}
