//! How a list send shows that it is going: a bar on a terminal (position,
//! whole messages per second, ETA), a line per tenth of the way without one.

use crate::send::engine::Progress;
use std::io::IsTerminal;

/// 12,345.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn progress(total: u64) -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar(bar(total, indicatif::ProgressDrawTarget::stderr())))
    } else {
        Box::new(Lines { total, next: 1 })
    }
}

/// The progress bar: position, rate and ETA.
fn bar(total: u64, target: indicatif::ProgressDrawTarget) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {rate} ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            // indicatif's own {per_sec} prints four decimals (312.4567/s).
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let per_sec = state.per_sec();
                    let whole = if per_sec.is_finite() {
                        per_sec.round() as u64
                    } else {
                        0
                    };
                    let _ = write!(w, "{} messages/s", thousands(whole));
                },
            ),
    );
    bar
}

struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn advance(&mut self, done: u64) {
        self.0.set_position(done);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Without a terminal: one line per tenth of the way.
struct Lines {
    total: u64,
    next: u64,
}

impl Progress for Lines {
    fn advance(&mut self, done: u64) {
        let tenths = (done * 10).checked_div(self.total).unwrap_or(10).min(10);
        if tenths >= self.next {
            eprintln!(
                "gazette: {}% ({} of {})",
                tenths * 10,
                thousands(done),
                thousands(self.total)
            );
            self.next = tenths + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    /// A terminal that keeps what is drawn on it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_progress_bar_shows_a_whole_rate() {
        let screen = Screen::default();
        let target = indicatif::ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let bar = super::bar(1000, target);
        for done in [1, 7, 313] {
            std::thread::sleep(std::time::Duration::from_millis(60));
            bar.set_position(done);
        }
        bar.abandon();
        let drawn = screen.0.lock().unwrap().clone();
        // The last drawing after the position, up to its ETA.
        let last = drawn.rsplit("313/1000").next().unwrap_or_default();
        let words: Vec<&str> = last.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "messages/s");
        let rate = at.and_then(|i| words.get(i.checked_sub(1)?));
        assert!(
            rate.is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit() || c == ',')),
            "{last:?}"
        );
    }

    #[test]
    fn thousands() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(12345), "12,345");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
