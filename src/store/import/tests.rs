use super::*;
use crate::store::Status;

fn reasons(text: &[u8]) -> Vec<(u64, String)> {
    let parsed = parse(text).unwrap();
    parsed
        .bad
        .into_iter()
        .map(|b| (b.line, b.reason.to_string()))
        .collect()
}

#[test]
fn reads_a_bare_column_with_a_bom_and_crlf() {
    let parsed = parse(b"\xef\xbb\xbfada@Example.COM\r\n\r\nbob@example.org\r\n").unwrap();
    let emails: Vec<_> = parsed.rows.iter().map(|r| r.email.as_str()).collect();
    assert_eq!(emails, ["ada@example.com", "bob@example.org"]);
    assert_eq!(parsed.rows[1].line, 3);
    assert!(parsed.rows.iter().all(|r| r.status == Status::Active));
}

#[test]
fn maps_listmonk_statuses() {
    let text = "uuid,email,name,attributes,status,created_at,updated_at,subscription_status\n\
        u1,a@x.org,A,\"{\"\"city\"\": \"\"Oslo\"\"}\",enabled,2021-04-04 12:41:55.431046+00:00,,confirmed\n\
        u2,b@x.org,B,{},blocklisted,2021-04-04 12:41:55+00,,\n\
        u3,c@x.org,C,{},enabled,2021-04-04 12:41:55Z,,unconfirmed\n";
    let parsed = parse(text.as_bytes()).unwrap();
    assert!(parsed.bad.is_empty(), "{:?}", parsed.bad);
    let got: Vec<_> = parsed.rows.iter().map(|r| r.status).collect();
    assert_eq!(got, [Status::Active, Status::Unsubscribed, Status::Pending]);
    assert_eq!(
        parsed.rows[0].created,
        Some("2021-04-04T12:41:55.431046Z".parse().unwrap())
    );
}

#[test]
fn reads_mailchimp_names_times_and_ips() {
    let text = "Email Address,First Name,Last Name,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,UNSUB_TIME\n\
        ada@example.com,Ada,Lovelace,2019-02-01 10:00:00,,2019-02-01 10:05:00,192.0.2.1,\n\
        bob@example.com,,,,,,,2020-01-01 00:00:00\n";
    let parsed = parse(text.as_bytes()).unwrap();
    let ada = &parsed.rows[0];
    assert_eq!(ada.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        ada.consent.at,
        Some("2019-02-01T10:00:00Z".parse().unwrap())
    );
    assert_eq!(ada.confirmed, Some("2019-02-01T10:05:00Z".parse().unwrap()));
    assert_eq!(ada.consent.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(parsed.rows[1].status, Status::Unsubscribed);
}

#[test]
fn reports_each_bad_row_with_its_line() {
    let text = b"email,name,status,created,id,source\n\
        ,Nobody,,,,\n\
        not-an-address,X,,,,\n\
        ok@example.com,\xff\xfe,,,,\n\
        s@example.com,S,gone,,,\n\
        t@example.com,T,active,yesterday,,\n\
        i@example.com,I,active,,-3,\n\
        w@example.com,W,active,,,web\n\
        fine@example.com,Fine,active,,,\n";
    assert_eq!(
        reasons(text),
        [
            (2, "the address is empty".to_string()),
            (3, "`not-an-address` has no `@`".to_string()),
            (4, "the row is not valid UTF-8".to_string()),
            (5, "unknown status `gone`".to_string()),
            (6, "`created` is not a timestamp: `yesterday`".to_string()),
            (7, "`id` is not a positive whole number: `-3`".to_string()),
            (
                8,
                "`source` must be `cli`, `form` or `import:FILE`, not `web`".to_string()
            ),
        ]
    );
}

#[test]
fn folds_duplicates_case_insensitively() {
    let parsed = parse(b"email,name\nAda@example.com,\nada@EXAMPLE.com,Ada\n").unwrap();
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.duplicates, 1);
    assert_eq!(parsed.rows[0].email, "Ada@example.com");
    assert_eq!(parsed.rows[0].name.as_deref(), Some("Ada"));
}

#[test]
fn a_file_without_addresses_is_refused() {
    assert_eq!(parse(b"").unwrap_err().to_string(), "the file is empty");
    assert!(
        parse(b"uuid,name\n1,Ada\n")
            .unwrap_err()
            .to_string()
            .starts_with("no email column")
    );
}

#[test]
fn reads_semicolon_and_tab_separated_files() {
    let parsed = parse(b"email;name\nada@example.org;Ada\ncarl@example.org;Carl\n").unwrap();
    assert_eq!(parsed.delimiter, b';');
    assert!(parsed.bad.is_empty(), "{:?}", parsed.bad);
    assert_eq!(parsed.rows[1].name.as_deref(), Some("Carl"));
    let parsed = parse(b"email\tname\nada@example.org\tAda\n").unwrap();
    assert_eq!(parsed.delimiter, b'\t');
    // A comma on the first line keeps commas, whatever else is there.
    assert_eq!(parse(b"email,name\na@x.org,A;B\n").unwrap().delimiter, b',');
}

#[test]
fn blocklisted_rows_are_marked_and_merged_rows_named() {
    let text =
        "email,status\na@x.org,blocklisted\nb@x.org,unsubscribed\nA@x.org,\nB@x.org,Blacklisted\n";
    let parsed = parse(text.as_bytes()).unwrap();
    let flags: Vec<bool> = parsed.rows.iter().map(|r| r.blocklisted).collect();
    // A blocklisted row merged into an earlier one still blocklists it.
    assert_eq!(flags, [true, true]);
    assert_eq!(
        parsed.merged,
        [(4, "A@x.org".to_string(), 2), (5, "B@x.org".to_string(), 3)]
    );
}

#[test]
fn a_bad_cell_is_located_by_line_and_column() {
    let text = "name,email\n\"Lovelace, Ada\",ada@\n\"Zoë\";x,b@@x\n";
    let parsed = parse(text.as_bytes()).unwrap();
    let at: Vec<(u64, u64)> = parsed.bad.iter().map(|b| (b.line, b.column)).collect();
    // Past a quoted comma; counted in characters, not bytes.
    assert_eq!(at, [(2, 17), (3, 9)]);
}

#[test]
fn a_byte_order_mark_does_not_shift_columns() {
    let parsed = parse(b"\xef\xbb\xbfAda,bad@@x.org\n").unwrap();
    let at: Vec<(u64, u64)> = parsed.bad.iter().map(|b| (b.line, b.column)).collect();
    assert_eq!(at, [(1, 5)]);
}
