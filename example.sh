#!/usr/bin/env bash
# The bundled example, end to end: sends issue #41 of the fictional Platform
# Notes (drafts/2026-11-29-41.toml) to the example list (examples/subscribers.csv)
# through the built-in outbox, a Maildir under data/outbox/, with no mail
# server at all. Safe to run again: nobody gets a second copy.
set -euo pipefail
cd "$(dirname "$0")"
echo "example.sh: building gazette (cargo build --release; the first build takes a few minutes)" >&2
cargo build --release --quiet
gazette=target/release/gazette
# The token secret the example config names (secret_file = "data/secret").
if [ ! -f data/secret ]; then
    mkdir -p data
    (umask 077 && head -c 32 /dev/urandom | base64 > data/secret)
fi
"$gazette" subscribers import examples/subscribers.csv
"$gazette" send drafts/2026-11-29-41.toml --yes
