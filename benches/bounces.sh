#!/usr/bin/env bash
# gazette bounces over a Maildir of N reports: wall time and peak memory.
#
#   benches/bounces.sh [N...]        (default N: 1000 10000 30000)
#
# Once: a fresh newsletter directory holding the example issue, 10,000 imported subscribers
# and a [bounces] table (so VERP is on), and the issue sent to all of them through the outbox,
# which keeps each message's envelope sender (Return-Path), recipient and Message-ID. For each
# N: a copy of that newsletter, and a Maildir of N reports made from the corpus
# (tests/fixtures/bounces/*.eml, cycling through its files in name order, each report given
# its own Message-ID and the next subscriber's VERP address, address and Message-ID; past
# 10,000 the subscribers come round again); then `gazette bounces MAILDIR` (release build)
# under /usr/bin/time -v: wall time, reports per second and peak memory ("Maximum resident set
# size"). The goal: 10,000 reports in under 10 seconds, with memory flat in N.
#
# Not part of ./test.sh. Needs python3 and the Debian package time (installed when missing,
# as root or with passwordless sudo).
set -euo pipefail

SUBSCRIBERS=10000
DRAFT=drafts/2026-11-29-41.toml
SECRET="a benchmark secret of at least 32 bytes"

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

counts=()
for arg in "$@"; do
    case $arg in
    -h | --help)
        sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    '' | *[!0-9]*) die "not a report count: $arg (usage: benches/bounces.sh [N...])" ;;
    *) counts+=("$arg") ;;
    esac
done
((${#counts[@]} > 0)) || counts=(1000 10000 30000)

[[ -x /usr/bin/python3 ]] || die "/usr/bin/python3 is missing: install the Debian package python3"
need_time

build_gazette
corpus=$repo/tests/fixtures/bounces
compgen -G "$corpus/*.eml" >/dev/null || die "no reports in $corpus"

work=$(mktemp -d "${TMPDIR:-/tmp}/gazette-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

export GAZETTE_SECRET=$SECRET
unset GAZETTE_TRANSPORT GAZETTE_NOW GAZETTE_SMTP_PASSWORD GAZETTE_IMAP_PASSWORD

# The sent newsletter, once.
base=$work/base
mkdir -p "$base/config" "$base/drafts"
cp "$repo/config/gazette.toml" "$base/config/"
printf '\n[bounces]\n' >>"$base/config/gazette.toml"
cp "$repo/$DRAFT" "$base/drafts/"
seq 1 "$SUBSCRIBERS" | sed 's/.*/reader&@example.org/' >"$base/readers.csv"
"$gazette" -C "$base" subscribers import "$base/readers.csv" >/dev/null 2>&1 ||
    die "gazette subscribers import failed"
say "sending the example issue to $SUBSCRIBERS subscribers through the outbox"
"$gazette" -C "$base" send "$DRAFT" --yes --transport "outbox://$base/outbox" >/dev/null 2>"$base/send.log" ||
    die "gazette send failed: $(tail -5 "$base/send.log")"

# What each delivery's reports name: envelope sender, recipient, Message-ID (one line each).
/usr/bin/python3 - "$base/outbox/new" >"$base/deliveries.tsv" <<'EOF'
import os, re, sys
new = sys.argv[1]
for name in sorted(os.listdir(new)):
    with open(os.path.join(new, name), "rb") as f:
        head = f.read(16384).split(b"\r\n\r\n", 1)[0].decode()
    field = lambda n: re.search(r"^" + n + r": *<?([^>\r\n]*)>?", head, re.M | re.I).group(1)
    print(field("Return-Path"), field("Delivered-To"), field("Message-ID"), sep="\t")
EOF
rm -rf "$base/outbox"
(($(wc -l <"$base/deliveries.tsv") == SUBSCRIBERS)) || die "the outbox does not hold $SUBSCRIBERS messages"
echo "$SUBSCRIBERS subscribers, issue #41 sent; corpus: $(ls "$corpus"/*.eml | wc -l) reports; $(nproc) CPUs"

for n in "${counts[@]}"; do
    dir=$work/n$n
    cp -a "$base" "$dir"
    /usr/bin/python3 - "$corpus" "$dir/deliveries.tsv" "$dir/reports" "$n" <<'EOF'
import os, re, sys
corpus, deliveries, maildir, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
templates = [open(os.path.join(corpus, f), "rb").read() for f in sorted(os.listdir(corpus)) if f.endswith(".eml")]
rows = [line.rstrip("\n").split("\t") for line in open(deliveries)]
for sub in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(maildir, sub))
own_id = re.compile(rb"^Message-I[Dd]:[^\r\n]*(\r?\n[ \t][^\r\n]*)*", re.M)
for i in range(n):
    verp, rcpt, mid = rows[i % len(rows)]
    raw = templates[i % len(templates)]
    raw = raw.replace(b"${VERP}", verp.encode()).replace(b"${RCPT}", rcpt.encode())
    raw = raw.replace(b"${MESSAGE_ID}", mid.encode())
    # Each report its own Message-ID: the report's own header (the first, in its head).
    head, sep, body = raw.partition(b"\n\n") if b"\r\n\r\n" not in raw[:65536] else raw.partition(b"\r\n\r\n")
    mine = b"Message-ID: <bench-%d@mx.example.net>" % i
    head, found = own_id.subn(mine, head, count=1)
    if not found:
        head = mine + b"\n" + head
    with open(os.path.join(maildir, "new", "%010d.bench.mx" % i), "wb") as f:
        f.write(head + sep + body)
EOF
    sync
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$dir/time.txt" "$gazette" -C "$dir" bounces "$dir/reports" \
        >"$dir/out.txt" 2>"$dir/err.txt" || die "gazette bounces failed: $(tail -5 "$dir/err.txt")"
    end=$(date +%s.%N)
    summary=$(grep 'bounces: read' "$dir/err.txt" || true)
    read_count=$(sed -n 's/.*read \([0-9]*\) report.*/\1/p' <<<"$summary")
    [[ $read_count == "$n" ]] || die "gazette read ${read_count:-no} reports of $n: $(tail -3 "$dir/err.txt")"
    left=$(ls "$dir/reports/new" | wc -l)
    ((left == 0)) || die "$left reports left in new/"
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time.txt")
    /usr/bin/python3 - "$n" "$start" "$end" "$rss" "$summary" <<'EOF'
import sys
n, start, end, rss = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"N={n:,}  {end - start:6.2f} s  {n / (end - start):8,.0f} reports/s  peak RSS {rss / 1024:,.1f} MiB")
print("  " + sys.argv[5].removeprefix("gazette: "))
EOF
    rm -rf "$dir"
done
