#!/usr/bin/env bash
# SpamAssassin's score of one message, with local rules only (no network, no Bayes, no
# user preferences), so the result depends only on the message and the installed rules.
#
#   tests/tools/spam_score.sh MESSAGE.eml      (or - for standard input)
#
# stdout: the score alone, e.g. `1.3` or `-0.1`.
# stderr: one line `rules: NAME=POINTS ...` listing the rules that fired.
# Exit status: 0 with a score; 2 on a usage error or when SpamAssassin gave no score;
# 3 when spamassassin is not installed (Debian package `spamassassin`).
set -euo pipefail

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    echo "usage: $0 MESSAGE.eml   (prints SpamAssassin's local-rules score)" >&2
    exit 2
fi
msg=$1
if [[ $msg != - && ! -r $msg ]]; then
    echo "spam_score.sh: cannot read $msg" >&2
    exit 2
fi
if ! command -v spamassassin >/dev/null 2>&1; then
    echo "spam_score.sh: spamassassin not found: install the Debian package spamassassin" \
        "(apt-get install spamassassin), or run test.sh which installs it" >&2
    exit 3
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/spam_score.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# -L: local tests only (no DNS, RBL, Razor, Pyzor); -x: create no ~/.spamassassin;
# -p /dev/null: no user preferences; Bayes and auto-learning off (nothing learnt or written).
# The packaged rules in /usr/share/spamassassin are used even when sa-update has fetched
# newer ones, so every machine with the same package scores alike.
args=(-L -t -x -p /dev/null --cf='use_bayes 0' --cf='bayes_auto_learn 0')
if [[ -d /usr/share/spamassassin ]]; then
    args+=(--configpath=/usr/share/spamassassin)
fi
if [[ $msg == - ]]; then
    input=/dev/stdin
else
    input=$msg
fi
runner=()
if command -v timeout >/dev/null 2>&1; then
    runner=(timeout 120)
fi
if ! HOME="$tmp" "${runner[@]}" spamassassin "${args[@]}" <"$input" >"$tmp/out" 2>"$tmp/err"; then
    echo "spam_score.sh: spamassassin failed:" >&2
    cat "$tmp/err" >&2
    exit 2
fi

# The score from the X-Spam-Status header that -t adds: "X-Spam-Status: No, score=1.3 ...".
score=$(sed -n '/^$/q; s/^X-Spam-Status: .*score=\(-\{0,1\}[0-9][0-9.]*\).*/\1/p' "$tmp/out" | head -n 1)
if [[ -z $score ]]; then
    echo "spam_score.sh: no X-Spam-Status score in spamassassin's output" >&2
    cat "$tmp/err" >&2
    exit 2
fi

# The rules from the report table: lines like " 2.8 HTML_IMAGE_ONLY_28   BODY: ...".
rules=$(awk '
    /^Content analysis details:/ { table = 1; next }
    table && /^ *-?[0-9]+\.[0-9]+ [A-Z0-9_]+/ { printf "%s%s=%s", sep, $2, $1; sep = " " }
' "$tmp/out")
echo "rules: $rules" >&2
echo "$score"
