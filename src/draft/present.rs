//! How a draft presents itself where the editor left it to gazette: the long
//! date ("6th December 2020"), the subject from the config's template, and the
//! preheader taken from the intro's first sentence.

use super::markdown;
use jiff::civil;

/// "6th December 2020".
pub fn long_date(date: civil::Date) -> String {
    let day = date.day();
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix} {}", date.strftime("%B %Y"))
}

/// Fills `{name}`, `{issue}` and `{date}` in a subject template.
pub fn subject_from_template(template: &str, name: &str, issue: u32, date: civil::Date) -> String {
    template
        .replace("{name}", name)
        .replace("{issue}", &issue.to_string())
        .replace("{date}", &long_date(date))
}

/// The intro's first sentence, cut at 140 characters on a word boundary.
pub(super) fn default_preheader(intro: &[markdown::Block]) -> String {
    let markdown::Block::Paragraph(first) = &intro[0];
    let text = markdown::plain(first);
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') && text[i + 1..].starts_with(' ') {
            end = i + 1;
            break;
        }
    }
    let sentence = &text[..end];
    if sentence.chars().count() <= 140 {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(139).collect();
    let cut = cut
        .rsplit_once(' ')
        .map_or(cut.as_str(), |(head, _)| head)
        .trim_end_matches([',', ';', ':']);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::markdown;

    #[test]
    fn long_dates() {
        let d = |y, m, d| civil::date(y, m, d);
        assert_eq!(long_date(d(2020, 12, 6)), "6th December 2020");
        assert_eq!(long_date(d(2021, 1, 1)), "1st January 2021");
        assert_eq!(long_date(d(2021, 1, 22)), "22nd January 2021");
        assert_eq!(long_date(d(2021, 1, 13)), "13th January 2021");
        assert_eq!(long_date(d(2021, 1, 23)), "23rd January 2021");
    }

    #[test]
    fn preheader_is_the_first_sentence() {
        let blocks = markdown::parse("Hello *there*. Second one.", 0..0, "").unwrap();
        assert_eq!(default_preheader(&blocks), "Hello there.");
        let long = "word ".repeat(60);
        let blocks = markdown::parse(&long, 0..0, "").unwrap();
        let p = default_preheader(&blocks);
        assert!(p.chars().count() <= 140 && p.ends_with("word…"), "{p}");
    }
}
