#!/usr/bin/env bash
# gazette's SMTP rate across a network round trip, plain and over TLS, beside the bound.
#
#   benches/rtt.sh [N]        (N: messages a run at RTT 0; default 20000)
#
# smtp-sink on 127.0.0.1 receives and discards; stunnel (Debian stunnel4) in front of it
# offers implicit TLS and, with `protocol = smtp`, STARTTLS, with a certificate from a CA made
# for the run (openssl); smtp-sink's own EHLO reply, read through either, offers PIPELINING.
# For a round trip of 10, 20 and 50 ms, delay_proxy (benches/delay_proxy.rs) sits in front
# of each, delaying every chunk by half the round trip each way; at 0 ms gazette connects
# directly. For each RTT and 4 and 16 connections: gazette's rate (release build, the example
# issue, a fresh list) over plain text, STARTTLS and implicit TLS; Postfix's smtp-source
# (which does not pipeline) through the same proxy, plain; and the bound of one round trip a
# message, connections / RTT. Prints one table, in messages per second, and gazette's peak
# memory. Each gazette run sends enough messages for about 8 s at the bound
# (GAZETTE_BENCH_SECONDS), smtp-source a quarter as many.
#
# Needs postfix (smtp-sink, smtp-source; the daemon is never started), stunnel4, openssl, time
# and python3.
set -euo pipefail

# GAZETTE_BENCH_RTTS and GAZETTE_BENCH_CONNECTIONS: fewer rows, to look at one.
read -r -a RTTS <<<"${GAZETTE_BENCH_RTTS:-0 10 20 50}"
read -r -a CONNS <<<"${GAZETTE_BENCH_CONNECTIONS:-4 16}"
PATHS=(plain starttls tls)
DRAFT=drafts/2026-11-29-41.toml
SECRET="a benchmark secret of at least 32 bytes"

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

n0=${1:-20000}
[[ $n0 =~ ^[0-9]+$ ]] || die "not a message count: $n0 (usage: benches/rtt.sh [N])"
for prog in /usr/sbin/smtp-sink /usr/sbin/smtp-source /usr/bin/stunnel4 /usr/bin/openssl /usr/bin/time /usr/bin/python3; do
    [[ -x $prog ]] || die "$prog is missing (Debian packages: postfix stunnel4 openssl time python3)"
done

build_gazette
say "building delay_proxy (release)"
proxy=$(cd "$repo" && cargo bench --no-run --quiet --bench delay_proxy --message-format=json |
    /usr/bin/python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "delay_proxy":
        print(m["executable"])')
[[ -x $proxy ]] || die "no delay_proxy after the build"

work=$(mktemp -d "${TMPDIR:-/tmp}/gazette-rtt.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    die "nothing listens on 127.0.0.1:$1: $(cat "$work"/*.log 2>/dev/null | tail -5)"
}

# The CA and the relay's certificate (for 127.0.0.1).
(
    cd "$work"
    key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl req -x509 -days 2 -subj /CN=bench-CA $key -keyout ca.key -out ca.pem \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -new -subj /CN=localhost $key -keyout leaf.key -out leaf.csr 2>/dev/null
    printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n' >leaf.ext
    openssl x509 -req -days 2 -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -extfile leaf.ext -out leaf.pem 2>/dev/null
) || die "openssl could not make the certificates"

user=()
((EUID == 0)) && user=(-u nobody)
sink=$(free_port)
/usr/sbin/smtp-sink "${user[@]}" "127.0.0.1:$sink" 1024 2>"$work/sink.log" &
pids+=($!)
wait_port "$sink"
port_tls=$(free_port)
port_starttls=$(free_port)
cat >"$work/stunnel.conf" <<EOF
foreground = yes
pid =
debug = 3
output = $work/stunnel.log
cert = $work/leaf.pem
key = $work/leaf.key
[tls]
accept = 127.0.0.1:$port_tls
connect = 127.0.0.1:$sink
[starttls]
accept = 127.0.0.1:$port_starttls
connect = 127.0.0.1:$sink
protocol = smtp
EOF
/usr/bin/stunnel4 "$work/stunnel.conf" 2>"$work/stunnel.err" &
pids+=($!)
wait_port "$port_tls"
wait_port "$port_starttls"

# A proxy delaying $2 ms each way in front of 127.0.0.1:$1; sets proxy_port. (Not in a
# command substitution: its pid must reach `pids` for the cleanup.)
start_proxy() {
    local out=$work/proxy.$1.$2
    "$proxy" "$1" "$2" >"$out" 2>>"$work/proxy.log" &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q '^PORT ' "$out" 2>/dev/null && break
        sleep 0.05
    done
    proxy_port=$(awk '/^PORT / {print $2}' "$out")
    [[ -n $proxy_port ]] || die "delay_proxy did not start: $(cat "$work/proxy.log")"
}

export GAZETTE_SECRET=$SECRET
unset GAZETTE_TRANSPORT GAZETTE_NOW GAZETTE_SMTP_PASSWORD

# A newsletter directory with the example issue and $2 subscribers.
newsletter() {
    local dir=$1 n=$2
    mkdir -p "$dir/config" "$dir/drafts"
    cp "$repo/config/gazette.toml" "$dir/config/"
    cp "$repo/$DRAFT" "$dir/drafts/"
    seq 1 "$n" | sed 's/.*/reader&@example.org/' >"$dir/readers.csv"
    "$gazette" -C "$dir" subscribers import "$dir/readers.csv" >/dev/null 2>&1 ||
        die "gazette subscribers import failed"
}

field() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[2]))[sys.argv[1]])' "$1" "$2"; }
now() { date +%s.%N; }

# Messages for a run: about SECONDS s at the bound, at least 200 (n0 at RTT 0).
SECONDS_AT_BOUND=${GAZETTE_BENCH_SECONDS:-8}
count() {
    local rtt=$1 conns=$2 n
    ((rtt == 0)) && { echo "$n0"; return; }
    n=$((conns * 1000 * SECONDS_AT_BOUND / rtt))
    echo $((n > 200 ? n : 200))
}

results=$work/results.txt
: >"$results"
size=
for rtt in "${RTTS[@]}"; do
    half=$((rtt / 2))
    declare -A ports=()
    if ((rtt == 0)); then
        ports=([plain]=$sink [starttls]=$port_starttls [tls]=$port_tls)
    else
        start_proxy "$sink" "$half"
        ports[plain]=$proxy_port
        start_proxy "$port_starttls" "$half"
        ports[starttls]=$proxy_port
        start_proxy "$port_tls" "$half"
        ports[tls]=$proxy_port
    fi
    for conns in "${CONNS[@]}"; do
        n=$(count "$rtt" "$conns")
        template=$work/list$n
        [[ -d $template ]] || newsletter "$template" "$n"
        if [[ -z $size ]]; then
            size=$("$gazette" -C "$template" render "$DRAFT" --format eml --to "reader1@example.org" | wc -c)
        fi
        for path in "${PATHS[@]}"; do
            dir=$work/run
            rm -rf "$dir"
            cp -a "$template" "$dir"
            tls=$([[ $path == plain ]] && echo none || echo "$path")
            # Through the relay below, not the example's outbox.
            sed -i 's/^transport = "outbox"$/transport = "smtp"/' "$dir/config/gazette.toml"
            grep -q '^transport = "smtp"$' "$dir/config/gazette.toml" || die "config/gazette.toml has no transport line"
            printf '\n[[smtp]]\nhost = "127.0.0.1"\nport = %s\ntls = "%s"\nca_file = "%s"\nconnections = %s\n' \
                "${ports[$path]}" "$tls" "$work/ca.pem" "$conns" >>"$dir/config/gazette.toml"
            start=$(now)
            /usr/bin/time -v -o "$dir/time.txt" "$gazette" -C "$dir" send "$DRAFT" --yes --json \
                >"$dir/report.json" 2>"$dir/send.log" ||
                die "gazette send ($path, RTT $rtt, $conns connections) failed: $(tail -5 "$dir/send.log")"
            end=$(now)
            sent=$(field sent "$dir/report.json")
            ((sent == n)) || die "gazette sent $sent of $n: $(tail -5 "$dir/send.log")"
            rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time.txt")
            echo "$rtt $conns $path $n $start $end $(field rate "$dir/report.json") $rss" >>"$results"
        done
        # smtp-source, at four round trips a message, with a quarter of the messages.
        ((rtt == 0)) || n=$((n / 4))
        start=$(now)
        /usr/sbin/smtp-source -s "$conns" -d -m "$n" -l "$size" \
            -f bench@platformnotes.example -t reader@example.org "127.0.0.1:${ports[plain]}" ||
            die "smtp-source failed"
        end=$(now)
        echo "$rtt $conns smtp-source $n $start $end 0 0" >>"$results"
        say "RTT $rtt ms, $conns connections: done"
    done
done

/usr/bin/python3 - "$results" "$size" "$(nproc)" <<'EOF'
import sys
rows = [line.split() for line in open(sys.argv[1])]
size, cpus = int(sys.argv[2]), sys.argv[3]
got, rss = {}, []
for rtt, conns, path, n, start, end, engine, peak in rows:
    # gazette's rate while sending, connecting included (its report: sent / the send's
    # seconds); smtp-source's over its whole run.
    rate = float(engine) if path != "smtp-source" else int(n) / (float(end) - float(start))
    got[(int(rtt), int(conns), path)] = rate
    if path != "smtp-source":
        rss.append(int(peak) / 1024)
print(f"messages/s; the example issue ({size:,} bytes a message); smtp-sink, stunnel for TLS; {cpus} CPUs")
print()
print("| RTT | connections | bound | plain | STARTTLS | implicit TLS | smtp-source (plain) |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for rtt in sorted({k[0] for k in got}):
    for conns in sorted({k[1] for k in got if k[0] == rtt}):
        bound = conns / (rtt / 1000) if rtt else None
        cell = []
        for path in ("plain", "starttls", "tls", "smtp-source"):
            r = got[(rtt, conns, path)]
            cell.append(f"{r:,.0f}" + (f" ({100 * r / bound:.0f}%)" if bound else ""))
        b = f"{bound:,.0f}" if bound else "–"
        print(f"| {rtt} ms | {conns} | {b} | " + " | ".join(cell) + " |")
print()
print(f"gazette's peak memory: {min(rss):.0f} to {max(rss):.0f} MiB")
EOF
