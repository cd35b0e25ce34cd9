//! Feedback reports (RFC 5965 ARF), read with mail-auth's parser. A
//! complaint is `Feedback-Type: abuse` (the reader pressed "report spam")
//! or `fraud` (reported as phishing, as surely unwanted); `virus`,
//! `auth-failure`, `not-spam`, `other` and unknown types are no reader's
//! complaint and stay unclassified. The complainant is `Original-Rcpt-To`,
//! else Microsoft's `X-HmXmrOriginalRecipient` or the `To` of the returned
//! message. Microsoft's classic JMRP report has no ARF part at all: a
//! `multipart/mixed` holding only the reported message, which carries
//! `X-HmXmrOriginalRecipient` (a field only those copies have); it is a
//! complaint too.

use super::super::{Kind, Recipient};
use super::fields::{self, Field};
use mail_auth::report::{Feedback, FeedbackType};

/// What a feedback report says.
#[derive(Debug)]
pub(super) struct Complaint {
    pub kind: Kind,
    pub recipient: Option<Recipient>,
    /// `Original-Mail-From`: the envelope sender of the reported message.
    pub mail_from: Option<String>,
}

/// Reads the first feedback-report body of `bodies` that mail-auth reads.
pub(super) fn read(bodies: &[Vec<u8>], returned: &[Vec<Field>]) -> Complaint {
    let Some(feedback) = bodies.iter().find_map(|b| Feedback::parse_arf(b)) else {
        return Complaint {
            kind: Kind::Unclassified,
            recipient: None,
            mail_from: None,
        };
    };
    let kind = match feedback.feedback_type() {
        FeedbackType::Abuse | FeedbackType::Fraud => Kind::Complaint,
        _ => Kind::Unclassified,
    };
    let address = feedback
        .original_rcpt_to()
        .and_then(fields::address)
        .or_else(|| {
            returned.iter().find_map(|headers| {
                fields::get(headers, "x-hmxmroriginalrecipient")
                    .and_then(fields::address)
                    .or_else(|| {
                        fields::get(headers, "to")
                            .and_then(|to| fields::addresses(to).into_iter().next())
                    })
            })
        });
    let mut diagnostic = format!("Feedback-Type: {}", name(feedback.feedback_type()));
    if let Some(agent) = feedback.user_agent() {
        diagnostic.push_str("; User-Agent: ");
        diagnostic.push_str(agent);
    }
    let recipient = Recipient {
        address,
        diagnostic: super::classify::diagnostic(&diagnostic),
        kind,
        ..Recipient::default()
    };
    Complaint {
        kind,
        recipient: Some(recipient),
        mail_from: feedback.original_mail_from().and_then(fields::address),
    }
}

fn name(t: FeedbackType) -> &'static str {
    match t {
        FeedbackType::Abuse => "abuse",
        FeedbackType::AuthFailure => "auth-failure",
        FeedbackType::Fraud => "fraud",
        FeedbackType::NotSpam => "not-spam",
        FeedbackType::Other => "other",
        FeedbackType::Virus => "virus",
    }
}

/// Microsoft's classic JMRP report: a returned message carrying
/// `X-HmXmrOriginalRecipient`, without any report part.
pub(super) fn classic_jmrp(returned: &[Vec<Field>]) -> Option<Complaint> {
    let address = returned
        .iter()
        .find_map(|headers| fields::get(headers, "x-hmxmroriginalrecipient"))?;
    let recipient = Recipient {
        address: fields::address(address),
        diagnostic: Some("Microsoft JMRP complaint".into()),
        kind: Kind::Complaint,
        ..Recipient::default()
    };
    Some(Complaint {
        kind: Kind::Complaint,
        recipient: Some(recipient),
        mail_from: None,
    })
}
