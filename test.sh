#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then runs them.
set -euo pipefail
cd "$(dirname "$0")"
# Debian packages (python3-dkim, spamassassin, python3-aiosmtpd, postfix, swaks), node/npm
# and tests/tools/doiuse/node_modules, each only when missing.
bash tests/tools/install.sh
# Tells the tests that the installer ran (they still check each tool themselves).
export GAZETTE_TEST_TOOLS=1
cargo test --all-targets
