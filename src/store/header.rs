//! Which column of an imported CSV file holds what, found by header name.
//!
//! One table of names covers gazette's own export, `email,name`, listmonk's
//! export (`uuid,email,name,attributes,status,created_at,updated_at`) and
//! Mailchimp's audience export (`Email Address`, `First Name`, `OPTIN_TIME`,
//! ...), in any column order. A file without a header must hold addresses.

/// What a column means to gazette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    Email,
    Name,
    FirstName,
    LastName,
    Status,
    /// listmonk's per-list status: `unconfirmed`, `confirmed`, `unsubscribed`.
    SubscriptionStatus,
    Created,
    Confirmed,
    Unsubscribed,
    /// Mailchimp's `CLEAN_TIME`: when the address bounced.
    Cleaned,
    Source,
    ConsentAt,
    ConsentHow,
    ConsentText,
    ConsentIp,
    /// Mailchimp's `CONFIRM_IP`, used when there is no opt-in IP.
    ConfirmIp,
    /// listmonk's `attributes`: a JSON object, kept as written.
    Attributes,
}

/// The columns gazette's export writes, in order; `import` reads them back.
pub const EXPORT_HEADER: [&str; 13] = [
    "id",
    "email",
    "name",
    "status",
    "created",
    "confirmed",
    "unsubscribed",
    "source",
    "consent_at",
    "consent_how",
    "consent_text",
    "consent_ip",
    "attributes",
];

/// Where each known field is in a file's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Whether the first row is a header (and so holds no subscriber).
    pub has_header: bool,
    columns: Vec<(Field, usize)>,
}

/// Why a file cannot be read as a list of subscribers at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    #[error("the file is empty")]
    Empty,
    #[error(
        "no email column: no header is named `email` (or `Email Address`) and the first row holds no address"
    )]
    NoEmailColumn,
}

impl Layout {
    /// Reads the first row of a file: a header naming an email column, or a
    /// first subscriber whose address shows which column holds addresses.
    pub fn detect(first: &[&str]) -> Result<Layout, FileProblem> {
        let mut columns: Vec<(Field, usize)> = Vec::new();
        for (i, cell) in first.iter().enumerate() {
            if let Some(f) = field(cell)
                && !columns.iter().any(|&(g, _)| g == f)
            {
                columns.push((f, i));
            }
        }
        let has_address = first.iter().any(|c| c.contains('@'));
        if !has_address && !columns.iter().any(|&(f, _)| f == Field::Email) {
            // A header such as "Subscriber Email" that the table does not list.
            let guess = first
                .iter()
                .position(|c| c.to_lowercase().contains("email"));
            if let Some(i) = guess {
                columns.push((Field::Email, i));
            }
        }
        if !has_address && columns.iter().any(|&(f, _)| f == Field::Email) {
            return Ok(Layout {
                has_header: true,
                columns,
            });
        }
        let Some(email) = first.iter().position(|c| c.contains('@')) else {
            return Err(FileProblem::NoEmailColumn);
        };
        let mut columns = vec![(Field::Email, email)];
        if first.len() == 2 {
            columns.push((Field::Name, 1 - email));
        }
        Ok(Layout {
            has_header: false,
            columns,
        })
    }

    /// The column holding a field, if any.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .find(|&&(f, _)| f == field)
            .map(|&(_, i)| i)
    }
}

/// The field a header names, if gazette knows it.
pub fn field(header: &str) -> Option<Field> {
    let name: String = header
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    Some(match name.as_str() {
        "id" => Field::Id,
        "email" | "email_address" | "e_mail" | "e_mail_address" | "mail" => Field::Email,
        "name" | "full_name" => Field::Name,
        "first_name" | "firstname" | "fname" | "given_name" => Field::FirstName,
        "last_name" | "lastname" | "lname" | "surname" | "family_name" => Field::LastName,
        "status" => Field::Status,
        "subscription_status" => Field::SubscriptionStatus,
        "created" | "created_at" => Field::Created,
        "confirmed" | "confirmed_at" | "confirm_time" => Field::Confirmed,
        "unsubscribed" | "unsubscribed_at" | "unsub_time" => Field::Unsubscribed,
        "clean_time" => Field::Cleaned,
        "source" => Field::Source,
        "consent_at" | "optin_time" => Field::ConsentAt,
        "consent_how" => Field::ConsentHow,
        "consent_text" => Field::ConsentText,
        "consent_ip" | "optin_ip" => Field::ConsentIp,
        "confirm_ip" => Field::ConfirmIp,
        "attributes" => Field::Attributes,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(row: &str) -> Layout {
        let cells: Vec<&str> = row.split(',').collect();
        Layout::detect(&cells).unwrap()
    }

    #[test]
    fn finds_headers_in_any_order() {
        let l = detect("name,Email");
        assert!(l.has_header);
        assert_eq!(l.column(Field::Email), Some(1));
        assert_eq!(l.column(Field::Name), Some(0));

        let l = detect("uuid,email,name,attributes,status,created_at,updated_at");
        assert_eq!(l.column(Field::Email), Some(1));
        assert_eq!(l.column(Field::Status), Some(4));
        assert_eq!(l.column(Field::Created), Some(5));

        let l = detect("Email Address,First Name,Last Name,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME");
        assert_eq!(l.column(Field::Email), Some(0));
        assert_eq!(l.column(Field::LastName), Some(2));
        assert_eq!(l.column(Field::ConsentAt), Some(3));
        assert_eq!(l.column(Field::Confirmed), Some(5));

        let l = detect(&EXPORT_HEADER.join(","));
        for (i, name) in EXPORT_HEADER.iter().enumerate() {
            assert_eq!(field(name).and_then(|f| l.column(f)), Some(i), "{name}");
        }

        let l = detect("Subscriber Email,Joined");
        assert_eq!(l.column(Field::Email), Some(0));
    }

    #[test]
    fn a_file_without_a_header_holds_addresses() {
        let l = detect("ada@example.com");
        assert!(!l.has_header);
        assert_eq!(l.column(Field::Email), Some(0));
        let l = detect("Ada Lovelace,ada@example.com");
        assert_eq!(l.column(Field::Email), Some(1));
        assert_eq!(l.column(Field::Name), Some(0));
    }

    #[test]
    fn no_email_column_is_an_error() {
        let cells = ["uuid", "name"];
        let err = Layout::detect(&cells).unwrap_err();
        assert!(err.to_string().starts_with("no email column"), "{err}");
    }
}
