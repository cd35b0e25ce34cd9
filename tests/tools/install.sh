#!/usr/bin/env bash
# Installs what gazette's tests need, only when it is missing (quick when all is there):
#   Debian packages  python3-dkim spamassassin python3-aiosmtpd python3-dnslib postfix swaks
#                    openssl chromium faketime (test.sh runs the suite a second time 400 days
#                    ahead) dovecot-imapd (the bounce tests' IMAP server) stunnel4 (TLS in
#                    front of smtp-sink, for the pipelining tests)
#                    (+ libnet-ssleay-perl, which swaks needs for STARTTLS; it is only a
#                    Recommends of swaks, and we install without recommends)
#   node and npm     Debian's nodejs npm, when `node` or `npm` is not on PATH
#   tests/tools/doiuse/node_modules   by `npm ci`, when missing or older than the lock file
#   tests/tools/browser/node_modules  (playwright-core, driving /usr/bin/chromium) likewise
# Postfix is installed for its smtp-sink and smtp-source programs only: it is preseeded as
# "No configuration", service starts are refused while installing, and if it runs after
# all it is stopped, so nothing listens on port 25. Dovecot likewise: the tests start their
# own, with a throwaway config on free ports; the system's is stopped if its install ran it.
#
# Run by test.sh; may be run by itself. Exits non-zero, naming the package, when an
# install fails. Works from any directory, as root (or with passwordless sudo).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

DEBIAN_PACKAGES=(python3-dkim spamassassin python3-aiosmtpd python3-dnslib postfix swaks libnet-ssleay-perl openssl chromium faketime dovecot-imapd stunnel4)

say() { echo "tests/tools/install.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
        installed "$pkg" || missing+=("$pkg")
    done
else
    say "dpkg-query not found: not a Debian system, so nothing is installed; the tests need" \
        "the Debian packages ${DEBIAN_PACKAGES[*]} (or their equivalents) and node/npm"
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi

if ((${#missing[@]} > 0)); then
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: install these packages by hand: ${missing[*]}"
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 ||
            die "not root and no sudo: cannot install the Debian packages ${missing[*]}"
        sudo=(sudo -n)
    fi
    say "installing the Debian packages ${missing[*]}"

    # Refuse service starts during the install (Postfix's postinst would start it), unless
    # the machine already has a policy (Docker images have one that refuses everything).
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# temporary, by gazette tests/tools/install.sh\nexit 101\n' |
            "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
        trap '"${sudo[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    if [[ " ${missing[*]} " == *" postfix "* ]]; then
        echo "postfix postfix/main_mailer_type select No configuration" |
            "${sudo[@]}" debconf-set-selections ||
            say "could not preseed postfix (debconf-set-selections failed); installing anyway"
    fi

    apt_install() {
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "$@"
    }
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
        die "apt-get update failed, so the Debian packages ${missing[*]} cannot be installed"
    if ! apt_install "${missing[@]}"; then
        # Name the culprits: try each package on its own.
        failed=()
        for pkg in "${missing[@]}"; do
            apt_install "$pkg" || failed+=("$pkg")
        done
        if ((${#failed[@]} > 0)); then
            die "could not install the Debian package(s): ${failed[*]}"
        fi
    fi

    if [[ " ${missing[*]} " == *" postfix "* ]] && command -v postfix >/dev/null 2>&1; then
        if "${sudo[@]}" postfix status >/dev/null 2>&1; then
            say "the Postfix daemon was started by its install: stopping it"
            "${sudo[@]}" postfix stop >/dev/null 2>&1 || say "warning: postfix stop failed"
        fi
    fi
    if [[ " ${missing[*]} " == *" dovecot-imapd "* ]] && [[ -e /run/dovecot/master.pid ]]; then
        say "the system's Dovecot was started by its install: stopping it"
        "${sudo[@]}" doveadm stop >/dev/null 2>&1 || say "warning: doveadm stop failed"
    fi
fi

# Check that what was installed (or was there) works.
[[ -x /usr/bin/python3 ]] || die "/usr/bin/python3 missing: install the Debian package python3"
/usr/bin/python3 -c 'import dkim' 2>/dev/null ||
    die "Debian's /usr/bin/python3 cannot import dkim: install the Debian package python3-dkim"
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
    die "Debian's /usr/bin/python3 cannot import aiosmtpd: install the Debian package python3-aiosmtpd"
/usr/bin/python3 -c 'import dnslib' 2>/dev/null ||
    die "Debian's /usr/bin/python3 cannot import dnslib: install the Debian package python3-dnslib"
command -v spamassassin >/dev/null 2>&1 || die "spamassassin not found: install the Debian package spamassassin"
command -v swaks >/dev/null 2>&1 || die "swaks not found: install the Debian package swaks"
[[ -x /usr/bin/openssl ]] || die "/usr/bin/openssl missing: install the Debian package openssl"
for prog in smtp-sink smtp-source; do
    [[ -x /usr/sbin/$prog ]] || die "/usr/sbin/$prog missing: install the Debian package postfix"
done
for prog in /usr/sbin/dovecot /usr/lib/dovecot/imap /usr/lib/dovecot/imap-login; do
    [[ -x $prog ]] || die "$prog missing: install the Debian package dovecot-imapd"
done
command -v node >/dev/null 2>&1 || die "node not found: install the Debian package nodejs"
command -v npm >/dev/null 2>&1 || die "npm not found: install the Debian package npm"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || die "node $(node --version) is too old for @jsx-email/doiuse-email: need 18 or later"

# The doiuse checker's npm packages, exactly as locked.
doiuse=$here/doiuse
if [[ ! -f $doiuse/node_modules/.package-lock.json || $doiuse/package-lock.json -nt $doiuse/node_modules/.package-lock.json ]]; then
    say "npm ci in tests/tools/doiuse (@jsx-email/doiuse-email)"
    (cd "$doiuse" && npm ci --no-audit --no-fund --loglevel=error) ||
        die "npm ci failed in tests/tools/doiuse: could not install @jsx-email/doiuse-email"
fi

# The browser test's playwright-core (it drives Debian's Chromium; it downloads no browser).
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium missing: install the Debian package chromium"
((node_major >= 20)) || die "node $(node --version) is too old for playwright-core: need 20 or later"
browser=$here/browser
if [[ ! -f $browser/node_modules/.package-lock.json || $browser/package-lock.json -nt $browser/node_modules/.package-lock.json ]]; then
    say "npm ci in tests/tools/browser (playwright-core)"
    (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error) ||
        die "npm ci failed in tests/tools/browser: could not install playwright-core"
fi
