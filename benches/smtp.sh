#!/usr/bin/env bash
# gazette's SMTP throughput, beside Postfix's smtp-source as the yardstick.
#
#   benches/smtp.sh [--dkim] [--extra-items K] [N...]        (default N: 10000)
#
# For each N: a fresh newsletter directory holding the example issue (config/gazette.toml,
# drafts/2026-11-29-41.toml) and N imported subscribers; smtp-sink on 127.0.0.1 (a free port)
# receives and discards. gazette (release build) sends the N personalised messages over 4
# connections; then smtp-source sends N messages of the same size over 4 connections kept
# open (-d). Prints both rates in messages per second and gazette's peak memory
# (/usr/bin/time -v, "Maximum resident set size"). With --dkim every message is also signed
# with a new RSA-2048 key. --extra-items K adds K news items to the issue (12 make it about
# 20 KB a message).
#
# Needs the Debian packages postfix (smtp-sink, smtp-source; the daemon is never started),
# time and python3; installs `time` when missing (as root or with passwordless sudo).
set -euo pipefail

CONNECTIONS=4
DRAFT=drafts/2026-11-29-41.toml
SECRET="a benchmark secret of at least 32 bytes"

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

dkim=0
extra=0
counts=()
while (($# > 0)); do
    arg=$1
    shift
    case $arg in
    --dkim) dkim=1 ;;
    --extra-items)
        extra=${1:-}
        shift || true
        [[ $extra =~ ^[0-9]+$ ]] || die "--extra-items takes a number"
        ;;
    -h | --help)
        sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    '' | *[!0-9]*) die "not a message count: $arg (usage: benches/smtp.sh [--dkim] [--extra-items K] [N...])" ;;
    *) counts+=("$arg") ;;
    esac
done
((${#counts[@]} > 0)) || counts=(10000)

for prog in smtp-sink smtp-source; do
    [[ -x /usr/sbin/$prog ]] || die "/usr/sbin/$prog is missing: install the Debian package postfix"
done
[[ -x /usr/bin/python3 ]] || die "/usr/bin/python3 is missing: install the Debian package python3"
need_time

build_gazette

work=$(mktemp -d "${TMPDIR:-/tmp}/gazette-bench.XXXXXX")
sink_pid=
cleanup() {
    if [[ -n $sink_pid ]]; then
        kill "$sink_pid" 2>/dev/null || true
        wait "$sink_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# smtp-sink on a free port of 127.0.0.1; sets sink_pid and port.
start_sink() {
    local tries user=()
    ((EUID == 0)) && user=(-u nobody)
    for tries in 1 2 3 4 5 6 7 8 9 10; do
        port=$(free_port)
        /usr/sbin/smtp-sink "${user[@]}" "127.0.0.1:$port" 256 2>"$work/sink.log" &
        sink_pid=$!
        for _ in $(seq 50); do
            kill -0 "$sink_pid" 2>/dev/null || break
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                return 0
            fi
            sleep 0.1
        done
        kill "$sink_pid" 2>/dev/null || true
        wait "$sink_pid" 2>/dev/null || true
        sink_pid=
    done
    die "smtp-sink did not start: $(cat "$work/sink.log")"
}

# A newsletter directory with the example issue and $1 subscribers.
newsletter() {
    local dir=$1 n=$2
    mkdir -p "$dir/config" "$dir/drafts"
    cp "$repo/config/gazette.toml" "$dir/config/"
    cp "$repo/$DRAFT" "$dir/drafts/"
    for i in $(seq 1 "$extra"); do
        printf '\n[[news]]\ntext = "Extra item %s for the benchmark: a paragraph about the week in operations, long enough to weigh what a real item weighs, with a link to read more and a few words on why it matters to people who run services."\nlinks = ["https://bench.example.org/items/%s"]\n' \
            "$i" "$i" >>"$dir/$DRAFT"
    done
    if ((dkim)); then
        "$gazette" -C "$dir" dkim keygen --selector bench --algorithm rsa >/dev/null 2>&1 ||
            die "gazette dkim keygen failed"
        printf '\n[[dkim]]\nselector = "bench"\nkey_file = "data/dkim/bench.pem"\n' >>"$dir/config/gazette.toml"
    fi
    seq 1 "$n" | sed 's/.*/reader&@example.org/' >"$dir/readers.csv"
    "$gazette" -C "$dir" subscribers import "$dir/readers.csv" >/dev/null 2>&1 ||
        die "gazette subscribers import failed"
}

field() { # field NAME FILE: a value from a one-line JSON object
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[2]))[sys.argv[1]])' "$1" "$2"
}

now() { date +%s.%N; }

export GAZETTE_SECRET=$SECRET
unset GAZETTE_TRANSPORT GAZETTE_NOW GAZETTE_SMTP_PASSWORD
start_sink
cpus=$(nproc)
label=$([[ $dkim == 1 ]] && echo ", DKIM RSA-2048" || echo "")
echo "smtp-sink on 127.0.0.1:$port; $CONNECTIONS connections; $cpus CPUs$label"

for n in "${counts[@]}"; do
    dir=$work/n$n
    newsletter "$dir" "$n"
    # The size of one subscriber's message as sent (a middle-of-the-range address).
    size=$("$gazette" -C "$dir" render "$DRAFT" --format eml --to "reader$(((n + 1) / 2))@example.org" | wc -c)

    start=$(now)
    /usr/bin/time -v -o "$dir/time.txt" "$gazette" -C "$dir" send "$DRAFT" --yes \
        --transport "smtp://127.0.0.1:$port" --connections "$CONNECTIONS" --json \
        >"$dir/report.json" 2>"$dir/send.log" ||
        die "gazette send failed: $(tail -5 "$dir/send.log")"
    end=$(now)
    sent=$(field sent "$dir/report.json")
    ((sent == n)) || die "gazette sent $sent of $n: $(tail -5 "$dir/send.log")"
    engine_rate=$(field rate "$dir/report.json")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time.txt")

    start_source=$(now)
    /usr/sbin/smtp-source -s "$CONNECTIONS" -d -m "$n" -l "$size" \
        -f bench@platformnotes.example -t reader@example.org "127.0.0.1:$port" ||
        die "smtp-source failed"
    end_source=$(now)

    /usr/bin/python3 - "$n" "$size" "$start" "$end" "$engine_rate" "$rss" "$start_source" "$end_source" <<'EOF'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
start, end, engine, rss, s0, s1 = map(float, sys.argv[3:9])
print(f"N={n:,}  message {size:,} bytes")
print(f"  gazette      {n / (end - start):8,.0f} messages/s  ({end - start:.1f} s with start-up; "
      f"{engine:,.0f}/s while sending); peak RSS {rss / 1024:,.1f} MiB")
print(f"  smtp-source  {n / (s1 - s0):8,.0f} messages/s  ({s1 - s0:.1f} s)")
EOF
    rm -rf "$dir"
done
