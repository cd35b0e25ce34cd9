# What the benchmark scripts share; sourced by benches/smtp.sh, rtt.sh and bounces.sh
# (never run on its own). Defines say and die, need_time, and build_gazette, which sets
# repo, target and gazette.

say() { echo "benches/$(basename "$0"): $*" >&2; }
die() {
    say "$*"
    exit 1
}

# /usr/bin/time -v measures peak memory: the Debian package time, installed when missing
# (as root or with passwordless sudo).
need_time() {
    [[ -x /usr/bin/time ]] && return
    local sudo=()
    ((EUID == 0)) || sudo=(sudo -n)
    say "installing the Debian package time (for /usr/bin/time -v)"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends time >&2 ||
        die "/usr/bin/time is missing and could not be installed: install the Debian package time"
}

# Builds the release gazette; sets repo (the checkout), target (cargo's target directory)
# and gazette (the binary, or GAZETTE_BENCH_BIN: another build to measure, to compare).
build_gazette() {
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    say "building gazette (cargo build --release)"
    (cd "$repo" && cargo build --release --quiet --bin gazette)
    target=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
        /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    gazette=${GAZETTE_BENCH_BIN:-$target/release/gazette}
    [[ -x $gazette ]] || die "no $gazette after the build"
}
