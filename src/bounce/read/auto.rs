//! Auto-replies (RFC 3834 and the common non-standard marks): vacation and
//! out-of-office notices, which say nothing about the address. Their marks
//! are read before a plain notice, unless the message shows a sign of a mail
//! system (bounces carry `Auto-Submitted` too); an out-of-office subject
//! alone only when the message is no report and no bounce notice.

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

/// Whether the message is an auto-reply: [`is_marked`], or an out-of-office
/// subject alone.
pub(super) fn is_auto_reply(headers: &[Field], subject: Option<&str>) -> bool {
    is_marked(headers, subject) || ooo_subject(subject)
}

/// Whether the header marks an auto-reply: `Auto-Submitted: auto-replied`,
/// an `X-Autoreply`, `X-Autorespond` or `X-Autoresponder` field,
/// `Precedence: auto_reply`, or `Auto-Submitted: auto-generated` (which
/// Exchange's replies carry, and much else) under an out-of-office subject.
/// Bounces carry `Auto-Submitted: auto-replied` too: see [`from_mail_system`].
pub(super) fn is_marked(headers: &[Field], subject: Option<&str>) -> bool {
    let value = |name| fields::get(headers, name).map(str::to_ascii_lowercase);
    let submitted = value("auto-submitted").unwrap_or_default();
    let precedence = value("precedence").unwrap_or_default();
    let marked = ["x-autoreply", "x-autorespond", "x-autoresponder"]
        .iter()
        .filter_map(|n| value(n))
        .any(|v| v != "no" && v != "false");
    submitted.starts_with("auto-replied")
        || marked
        || precedence.trim() == "auto_reply"
        || (submitted.starts_with("auto-generated") && ooo_subject(subject))
}

/// Whether the message shows a sign of coming from a mail system, not a
/// reader: a `multipart/report` (`report`), a `MAILER-DAEMON`, `postmaster`
/// or "Mail Delivery" sender, an empty `Return-Path`, or an
/// `X-Failed-Recipients` field. Postfix, Exim, Gmail and Exchange bounces
/// are marked `Auto-Submitted: auto-replied`; one of these signs keeps such
/// a message a bounce to read, not an auto-reply.
pub(super) fn from_mail_system(headers: &[Field], report: bool) -> bool {
    let from = fields::get(headers, "from")
        .unwrap_or("")
        .to_ascii_lowercase();
    let null_path = headers
        .iter()
        .any(|f| f.name == "return-path" && f.value.replace(' ', "") == "<>");
    report
        || from.contains("mailer-daemon")
        || from.contains("postmaster")
        || from.contains("mail delivery")
        || null_path
        || headers.iter().any(|f| f.name == "x-failed-recipients")
}

fn ooo_subject(subject: Option<&str>) -> bool {
    let subject = subject.unwrap_or("").to_lowercase();
    SUBJECTS.iter().any(|s| subject.contains(s))
}
