#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then runs them.
set -euo pipefail
cd "$(dirname "$0")"
# Debian packages (python3-dkim, spamassassin, python3-aiosmtpd, python3-dnslib, postfix, swaks), node/npm
# and tests/tools/doiuse/node_modules, each only when missing.
bash tests/tools/install.sh
# Tells the tests that the installer ran (they still check each tool themselves).
export GAZETTE_TEST_TOOLS=1
# Formatting and lints first: cheap, and a failure names the line.
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
# Each benchmark once, as a smoke test (figures come from `cargo bench`, not here).
cargo test --benches
# The unit and integration tests, last, so that their summary closes the output
# (no doc-tests: there are none, and their empty summary would close it instead).
cargo test --lib --bins --tests
# The same tests again with the clock 400 days ahead (libfaketime, for gazette and every
# server the tests start), so that none of them depends on today's date.
faketime '+400 days' cargo test --lib --bins --tests
