//! smtp-sink: the rate a relay is sent at.

use crate::support::smtp::SMTP_TOP;
use crate::support::{Newsletter, SmtpServer, alone};

#[test]
fn rate_50_sends_500_messages_in_10_seconds() {
    // Alone among these tests, so that its timing is its own.
    let _machine = alone();
    let sink = SmtpServer::sink_without_dumps(&[]);
    let relay = format!(
        "[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nrate = 50\n",
        sink.port
    );
    let n = Newsletter::new(&format!("{SMTP_TOP}{relay}"));
    n.subscribe(500);
    let run = n.send(&["--json"]);
    run.assert_code(0);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(report["sent"], 500);
    eprintln!("500 messages at 50/s: {:.2} s", run.seconds);
    assert!(
        (9.5..=10.5).contains(&run.seconds),
        "500 messages at 50/s took {:.2} s, not 10 s within 5%",
        run.seconds
    );
}
