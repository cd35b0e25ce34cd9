//! A 5.1.x refusal at send time is a hard bounce too: the reader is
//! `bounced` and the address suppressed, so an import cannot bring it back,
//! and `subscribers list --status bounced` shows the relay's reply.

use crate::support::{Newsletter, SmtpServer, Status, shared};

#[test]
fn a_no_such_user_at_rcpt_is_suppressed_and_shown_with_its_reply() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = []\n[bounces]\n");
    let emails = n.subscribe(2);
    let reply = "550 5.1.1 Recipient address rejected: User unknown";
    let sink = SmtpServer::sink(&["-f", "RCPT", "-B", reply]);
    n.send(&["--transport", &sink.url()]).assert_code(1);
    let csv = n.dir().join("again.csv");
    std::fs::write(&csv, emails.join("\n") + "\n").unwrap();
    n.import(&csv, &["--resubscribe"]);
    for email in &emails {
        assert_eq!(n.subscriber_status(email), Some(Status::Bounced), "{email}");
    }
    let counts = n.stdout(&["subscribers", "count", "--json"]);
    let counts: serde_json::Value = serde_json::from_str(counts.trim()).unwrap();
    assert_eq!(counts["suppressed"], 2, "{counts}");
    let list = n.stdout(&["subscribers", "list", "--status", "bounced"]);
    for line in list.lines() {
        // The ledger's last reply: lettre's words around the relay's.
        assert!(line.contains("\tbounced\t"), "{line:?}");
        assert!(line.ends_with(&reply[4..]), "{line:?}");
    }
    assert_eq!(list.lines().count(), 2);
}
