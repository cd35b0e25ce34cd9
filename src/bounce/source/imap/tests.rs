//! The pure parts of the IMAP source: batching by size, the server's words.

use super::*;

#[test]
fn batches_hold_at_most_the_limit_and_an_oversize_message_goes_alone() {
    let max = MAX_MESSAGE as u64;
    let sizes = [
        (1, 10),
        (2, max - 10),
        (3, 1),
        (4, max + 1),
        (5, 5),
        (6, max),
        (7, 7),
    ];
    let uids: Vec<Vec<u32>> = batches(&sizes)
        .iter()
        .map(|b| b.iter().map(|(uid, _)| *uid).collect())
        .collect();
    assert_eq!(
        uids,
        [vec![1, 2], vec![3], vec![4], vec![5], vec![6], vec![7]]
    );
    assert!(batches(&[]).is_empty());
    let small: Vec<(u32, u64)> = (1..=1000).map(|uid| (uid, 2000)).collect();
    assert_eq!(batches(&small).len(), 1);
}

#[test]
fn the_servers_words_are_taken_out_of_async_imaps_shape() {
    assert_eq!(
        said("code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")"),
        "[AUTHENTICATIONFAILED] Authentication failed."
    );
    assert_eq!(said(" plain words "), "plain words");
}

#[test]
fn a_missing_password_file_is_an_error_naming_it() {
    let mut imap = crate::config::parse_imap_url("imaps://u@127.0.0.1/").unwrap();
    imap.password_file = Some("/nonexistent/imap-password".into());
    let err = password(&imap).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/imap-password"),
        "{err}"
    );
    assert_eq!(err.status(), crate::exit::ExitStatus::Usage);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, " two words \r\n").unwrap();
    imap.password_file = Some(file);
    assert_eq!(password(&imap).unwrap(), " two words ");
}

/// A batch of 16 MiB cannot arrive in 30 seconds below about 4.5 Mbit/s:
/// the fetch's time grows with the bytes asked for, at 64 KiB/s at worst, so
/// a slow link still gets through while a silent server is still caught.
#[test]
fn a_fetch_has_time_for_its_bytes_on_a_slow_link() {
    let t = Duration::from_secs(30);
    assert_eq!(fetch_time(t, &[(1, 10_000)]), t);
    let full = fetch_time(t, &[(1, MAX_MESSAGE as u64), (2, 5)]);
    assert_eq!(full, t + Duration::from_secs(256));
    let oversize = fetch_time(t, &[(1, u64::MAX)]);
    assert_eq!(
        oversize, full,
        "an oversize message is fetched only up to the limit"
    );
}
