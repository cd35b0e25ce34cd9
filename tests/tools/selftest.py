#!/usr/bin/python3
"""Self-test of the checking tools in this folder: builds good and broken messages with
Python's email package, signs them with throw-away DKIM keys made in a temporary folder
(nothing is left behind), and checks that each tool says what it should.

    /usr/bin/python3 tests/tools/selftest.py [--no-spam] [--no-doiuse]

Prints one line per case and "N passed, N failed" at the end; exit 1 on any failure.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from email import policy
from email.message import EmailMessage

import dkim
import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = [sys.executable, os.path.join(HERE, "check_message.py")]
UNSUB = "https://news.example.org/unsubscribe?list=weekly&token=" + "a1B2c3D4" * 8
LINKS = ["https://blog.example.org/rust-1-95", "https://example.com/a/very/long/path?with=query&and=more"]
# Serialise with long header lines allowed: at 78, Python folds a long List-Unsubscribe into
# RFC 2047 encoded words. Bodies are encoded at 78 by policy.SMTP when set.
SMTP_WIDE = policy.SMTP.clone(max_line_length=998)

HTML = """<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="color-scheme" content="light dark">
<title>The Weekly Gazette</title>
<style>
@media (prefers-color-scheme: dark) {
  .bg { background-color: #111111 !important; }
}
</style>
</head>
<body class="bg" style="margin:0;padding:0;background-color:#ffffff;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">This week: Rust and email</div>
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="width:600px;">
<tr><td style="padding:24px;font-family:Arial,sans-serif;font-size:16px;color:#222222;">
<h1 style="font-size:24px;">The Weekly Gazette</h1>
<p>Rust 1.95: <a href="https://blog.example.org/rust-1-95">the announcement</a>.</p>
<p><a href="https://example.com/a/very/long/path?with=query&amp;and=more">A long link</a></p>
<p style="font-size:14px;color:#555555;">Example Ltd, 1 Main Street, Springfield<br>
<a href="{unsub}">Unsubscribe</a></p>
</td></tr></table>
</body>
</html>
""".replace("{unsub}", UNSUB.replace("&", "&amp;"))

TEXT = f"""The Weekly Gazette
==================

Rust 1.95: the announcement — grüße.
{LINKS[0]}

A long link
{LINKS[1]}

Example Ltd, 1 Main Street, Springfield
Unsubscribe:
{UNSUB}
"""

SIGNED = [
    b"From", b"From", b"To", b"Subject", b"Subject", b"Date", b"Message-ID", b"MIME-Version",
    b"Content-Type", b"List-Unsubscribe", b"List-Unsubscribe", b"List-Unsubscribe-Post",
    b"List-Unsubscribe-Post",
]


def build(text=TEXT, html=HTML, extra=(), skip=(), order=("plain", "html")):
    m = EmailMessage(policy=policy.SMTP)
    headers = [
        ("From", "The Gazette <news@example.org>"),
        ("To", "Ann Example <ann@example.com>"),
        ("Subject", "The Weekly Gazette #12 — Grüße"),
        ("Date", "Thu, 26 Nov 2026 11:00:00 +0000"),
        ("Message-ID", "<20261126110000.abc123@example.org>"),
        ("List-Id", "The Weekly Gazette <weekly.news.example.org>"),
        ("List-Unsubscribe", f"<{UNSUB}>, <mailto:unsubscribe@example.org?subject=unsubscribe>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ]
    for name, value in [h for h in headers if h[0] not in skip] + list(extra):
        m[name] = value
    parts = {"plain": (text, "plain"), "html": (html, "html")}
    first = parts[order[0]]
    m.set_content(first[0], subtype=first[1], charset="utf-8", cte="quoted-printable")
    for key in order[1:]:
        m.add_alternative(parts[key][0], subtype=parts[key][1], charset="utf-8", cte="quoted-printable")
    return m.as_bytes(policy=SMTP_WIDE)


def sign(raw, selector, domain, key, algo=b"rsa-sha256", include=SIGNED):
    sig = dkim.sign(
        raw, selector, domain, key, signature_algorithm=algo,
        canonicalize=(b"relaxed", b"relaxed"), include_headers=include,
    )
    return sig + raw


class Runner:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def case(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")


def run_check(path, *opts):
    p = subprocess.run(CHECK + list(opts) + [path], capture_output=True, text=True)
    results = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return p.returncode, results[0] if results else {}, p.stderr


def main():
    do_spam = "--no-spam" not in sys.argv
    do_doiuse = "--no-doiuse" not in sys.argv
    r = Runner()
    tmp = tempfile.mkdtemp(prefix="gazette-selftest-")
    try:
        # Throw-away keys: RSA 2048 by openssl, Ed25519 by PyNaCl.
        rsa_key = os.path.join(tmp, "rsa.pem")
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", rsa_key, "2048"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "rsa", "-in", rsa_key, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        with open(rsa_key, "rb") as f:
            rsa_priv = f.read()
        rsa_txt = os.path.join(tmp, "rsa.txt")
        with open(rsa_txt, "w") as f:
            f.write(f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}\n")
        ed = nacl.signing.SigningKey.generate()
        ed_priv = base64.b64encode(bytes(ed))
        ed_txt = os.path.join(tmp, "ed.txt")
        with open(ed_txt, "w") as f:
            # zone-file style chunks, to check they are joined
            f.write(f'"v=DKIM1; k=ed25519; " "p={base64.b64encode(bytes(ed.verify_key)).decode()}"\n')
        keys = ["--dkim-key", f"rsa1._domainkey.example.org={rsa_txt}",
                "--dkim-key", f"ed1._domainkey.example.org={ed_txt}"]
        links = os.path.join(tmp, "links.txt")
        with open(links, "w") as f:
            f.write("# links of this issue\n" + "\n".join(LINKS) + "\n")

        def write(name, data):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            return path

        good_raw = build()
        signed = sign(sign(good_raw, b"rsa1", b"example.org", rsa_priv),
                      b"ed1", b"example.org", ed_priv, algo=b"ed25519-sha256")
        good = write("good.eml", signed)

        rc, res, err = run_check(good, "--links", links, "--tamper", "--require-body-unsubscribe",
                                 "--max-body-line", "78", "--max-html-bytes", "90000", *keys)
        r.case("good message passes every check", rc == 0 and res.get("ok"), err)
        r.case("two DKIM results, both pass, all tampers fail",
               len(res.get("dkim", [])) == 2 and all(d["pass"] for d in res["dkim"])
               and all(v == "failed" for d in res["dkim"] for v in d["tamper"].values()),
               json.dumps(res.get("dkim")))
        r.case("unsubscribe URL found in header, text and html",
               res.get("unsubscribe_url") == UNSUB and res.get("text_unsubscribe_found")
               and res.get("html_unsubscribe_found"), json.dumps(res)[:400])
        r.case("html_bytes_encoded is the QP body length",
               isinstance(res.get("html_bytes_encoded"), int) and res["html_bytes_encoded"] > len(HTML),
               str(res.get("html_bytes_encoded")))
        r.case("oversigning reported", all(res["dkim"][0]["oversigned"].values()), str(res["dkim"][0]))

        rc, res, err = run_check(good, "--dkim-key", f"rsa1._domainkey.example.org={ed_txt}",
                                 "--dkim-key", f"ed1._domainkey.example.org={rsa_txt}")
        r.case("wrong keys fail", rc == 1 and not any(d["pass"] for d in res["dkim"]), err)

        rc, res, err = run_check(good, "--dkim-key", f"rsa1._domainkey.example.org={rsa_txt}")
        r.case("missing key named", rc == 1 and "no --dkim-key given for ed1._domainkey.example.org" in err, err)

        weak = write("weak.eml", sign(good_raw, b"rsa1", b"example.org", rsa_priv,
                                      include=[b"From", b"To", b"Date"]))
        rc, res, err = run_check(weak, "--tamper", *keys)
        r.case("tamper on a signature without Subject/List-Unsubscribe is caught",
               rc == 1 and res["dkim"][0]["pass"] and res["dkim"][0]["tamper"]["subject"] == "passed"
               and res["dkim"][0]["tamper"]["list_unsubscribe"] == "passed"
               and res["dkim"][0]["tamper"]["body"] == "failed", err)

        rc, res, err = run_check(write("unsigned.eml", good_raw), *keys)
        r.case("unsigned message fails when keys are given", rc == 1 and "no DKIM-Signature" in err, err)

        bad_cases = {
            "bare LF": (good_raw.replace(b"\r\n", b"\n", 3), "bare LF"),
            "bare CR": (good_raw.replace(b"Example Ltd", b"Example\rLtd", 1), "bare CR"),
            "no trailing CRLF": (good_raw.rstrip(b"\r\n"), "does not end in CRLF"),
            "long line": (build(text=TEXT + "x" * 1200 + "\n").replace(b"=\r\n", b""), "over 998"),
            "no List-Unsubscribe-Post": (build(skip=("List-Unsubscribe-Post",)), "0 List-Unsubscribe-Post"),
            "Bcc": (build(extra=[("Bcc", "x@example.com")]), "Bcc header"),
            "two To": (good_raw.replace(b"\r\nTo: ", b"\r\nTo: y@example.com\r\nTo: ", 1), "2 To headers"),
            "html first": (build(order=("html", "plain")), "want exactly ['text/plain', 'text/html']"),
            "mailto first": (build(skip=("List-Unsubscribe",), extra=[
                ("List-Unsubscribe", f"<mailto:u@example.org>, <{UNSUB}>")]), "not https"),
            "wrong Post value": (build(skip=("List-Unsubscribe-Post",), extra=[
                ("List-Unsubscribe-Post", "List-Unsubscribe=Yes")]), "want 'List-Unsubscribe=One-Click'"),
            "latin-1": (build().replace(b'charset="utf-8"', b'charset="iso-8859-1"', 1), "charset"),
            "8-bit header": (good_raw.replace(b"Subject: ", "Subject: Grüße ".encode(), 1), "8-bit bytes"),
            "broken base64": (good_raw.replace(b"Content-Transfer-Encoding: quoted-printable",
                                               b"Content-Transfer-Encoding: base64", 1), "policy.strict"),
        }
        for name, (raw, needle) in bad_cases.items():
            rc, res, err = run_check(write("bad.eml", raw))
            r.case(f"rejects: {name}", rc == 1 and needle in err, f"rc={rc} stderr={err!r}")

        rc, res, err = run_check(write("nolink.eml", build(text=TEXT.replace(LINKS[1], "(link removed)"))),
                                 "--links", links)
        r.case("missing link reported", rc == 1 and res.get("links_missing") == [LINKS[1]], err)

        rc, res, err = run_check(write("long.eml", build(text=TEXT + "y" * 90 + "\n")))
        r.case("80+ body line: a warning, not a failure", rc == 0 and res["max_body_line"] >= 76, err)

        if do_spam:
            p = subprocess.run([os.path.join(HERE, "spam_score.sh"), good], capture_output=True, text=True)
            try:
                score = float(p.stdout.strip())
            except ValueError:
                score = None
            r.case(f"spam_score.sh prints a number ({p.stdout.strip()})",
                   p.returncode == 0 and score is not None, p.stderr)

        if do_doiuse:
            html = write("good.html", HTML.encode())
            node = shutil.which("node") or "node"
            chk = os.path.join(HERE, "doiuse", "check.mjs")
            p = subprocess.run([node, chk, html], capture_output=True, text=True)
            out = json.loads(p.stdout) if p.stdout.strip() else {}
            r.case("doiuse reports display:none and prefers-color-scheme",
                   p.returncode == 1 and "display:none" in out.get("remaining", [])
                   and "@media (prefers-color-scheme)" in out.get("remaining", []), p.stdout + p.stderr)
            allow = []
            for f in out.get("remaining", []):
                allow += ["--allow", f]
            p = subprocess.run([node, chk, *allow, html], capture_output=True, text=True)
            r.case("doiuse passes with an allow-list", p.returncode == 0, p.stdout + p.stderr)
    finally:
        if os.environ.get("SELFTEST_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
