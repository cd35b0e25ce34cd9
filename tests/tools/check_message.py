#!/usr/bin/python3
"""Independent checks of one newsletter message (.eml) as gazette writes it.

Run with Debian's interpreter, which sees python3-dkim (dkimpy):

    /usr/bin/python3 tests/tools/check_message.py [options] MESSAGE.eml...

For each message, one JSON object on one line of stdout; the reasons for any failure on
stderr as "FILE: reason". Exit status 0 when every message passed, 1 when any check
failed, 2 on a usage error (bad option, unreadable key or links file, dkimpy missing).

Options:
  --links FILE           every URL in FILE (one a line; blank lines and lines starting
                         with # are skipped) must appear whole in the decoded text part
  --dkim-key NAME=FILE   NAME is SELECTOR._domainkey.DOMAIN, FILE holds the TXT record
                         value (`v=DKIM1; k=rsa; p=...`, zone-file "quoted" "chunks" are
                         joined). Repeatable. Every DKIM-Signature must then verify.
  --tamper               with --dkim-key: copies with the Subject changed, the
                         List-Unsubscribe URI changed and one body character changed must
                         each FAIL verification, and so must copies with a second copy of
                         any header that must not gain one in transit (From, To, Subject,
                         Date, Message-ID, Reply-To, MIME-Version, Content-Type, List-*,
                         Feedback-ID) and with a Cc or Sender added
  --max-header-line N    fail when a header line is longer than N octets and could have
                         been folded (it holds whitespace after its first word: a single
                         token, such as a long URI, cannot be folded and is allowed)
  --max-body-line N      fail when a body line is longer than N octets (default: only
                         reported, and warned about above 78)
  --max-html-bytes N     fail when the transfer-encoded HTML part is over N bytes
  --require-body-unsubscribe
                         fail unless the List-Unsubscribe https URL appears in both the
                         decoded text part and the decoded HTML part
"""

import argparse
import json
import re
import sys
from email import policy
from email.parser import BytesParser

SINGLE_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
]
FORBIDDEN_HEADERS = ["Bcc"]
MAX_LINE = 998
SHOULD_LINE = 78


class UsageError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="check_message.py",
        description="Independent checks of gazette's newsletter messages.",
    )
    p.add_argument("messages", nargs="+", metavar="MESSAGE.eml")
    p.add_argument("--links", metavar="FILE")
    p.add_argument("--dkim-key", action="append", default=[], metavar="SELECTOR._domainkey.DOMAIN=PUBKEYFILE")
    p.add_argument("--tamper", action="store_true")
    p.add_argument("--max-body-line", type=int, metavar="N")
    p.add_argument("--max-header-line", type=int, metavar="N")
    p.add_argument("--max-html-bytes", type=int, metavar="N")
    p.add_argument("--require-body-unsubscribe", action="store_true")
    args = p.parse_args(argv)
    if args.tamper and not args.dkim_key:
        p.error("--tamper needs at least one --dkim-key")
    return args


def read_txt_record(path):
    """The TXT record value in a file: either the bare value or zone-file quoted chunks."""
    with open(path, "rb") as f:
        text = f.read().decode("ascii").strip()
    chunks = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    if chunks:
        text = "".join(chunks)
    return " ".join(text.split()).encode("ascii")


def load_keys(specs):
    keys = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--dkim-key wants SELECTOR._domainkey.DOMAIN=PUBKEYFILE, got {spec!r}")
        if "._domainkey." not in name:
            raise UsageError(f"--dkim-key name {name!r} is not SELECTOR._domainkey.DOMAIN")
        try:
            keys[name.lower().rstrip(".")] = read_txt_record(path)
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"cannot read DKIM key file {path}: {e}")
    return keys


def load_links(path):
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f]
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read links file {path}: {e}")
    return [line for line in lines if line and not line.startswith("#")]


def split_head_body(raw):
    """Header block and body of the raw message (the separator is the first empty line)."""
    m = re.search(rb"\r?\n\r?\n", raw)
    if m is None:
        return raw, b"", len(raw)
    return raw[: m.start()], raw[m.end():], m.end()


def check_lines(raw, result, errors, warnings, args):
    lines = raw.split(b"\r\n")
    last = lines.pop()  # after the final CRLF: empty when the message ends in CRLF
    bare_lf = bare_cr = 0
    first_bad = None
    for i, line in enumerate(lines + ([last] if last else []), start=1):
        lf, cr = line.count(b"\n"), line.count(b"\r")
        if (lf or cr) and first_bad is None:
            first_bad = i
        bare_lf += lf
        bare_cr += cr
    if bare_lf:
        errors.append(f"{bare_lf} bare LF (not preceded by CR), first near line {first_bad}")
    if bare_cr:
        errors.append(f"{bare_cr} bare CR (not followed by LF), first near line {first_bad}")
    if last:
        errors.append("the message does not end in CRLF")

    all_lines = re.split(rb"\r\n|\n|\r", raw)
    too_long = [(i, len(l)) for i, l in enumerate(all_lines, start=1) if len(l) > MAX_LINE]
    if too_long:
        i, n = too_long[0]
        errors.append(f"{len(too_long)} line(s) over {MAX_LINE} octets, first is line {i} with {n}")

    head, body, body_start = split_head_body(raw)
    head_lines = re.split(rb"\r\n|\n|\r", head)
    body_lines = re.split(rb"\r\n|\n|\r", body) if body else []
    result["max_header_line"] = max((len(l) for l in head_lines), default=0)
    if args.max_header_line is not None:
        for l in head_lines:
            # Whitespace after the first word is somewhere a fold could go.
            foldable = len(l.strip().split()) > (1 if l[:1] in (b" ", b"\t") else 2)
            if len(l) > args.max_header_line and foldable:
                errors.append(
                    f"a header line of {len(l)} octets could be folded: {l[:60].decode('ascii', 'replace')}..."
                )
    result["max_body_line"] = max((len(l) for l in body_lines), default=0)
    result["body_lines_over_78"] = sum(1 for l in body_lines if len(l) > SHOULD_LINE)
    if args.max_body_line is not None and result["max_body_line"] > args.max_body_line:
        errors.append(f"longest body line has {result['max_body_line']} octets, more than {args.max_body_line}")
    elif result["max_body_line"] > SHOULD_LINE:
        warnings.append(
            f"{result['body_lines_over_78']} body line(s) over {SHOULD_LINE} octets "
            f"(longest {result['max_body_line']})"
        )
    if any(b > 0x7F for b in head):
        errors.append("8-bit bytes in the message header (non-ASCII must be RFC 2047 encoded words)")


def describe(defect):
    text = str(defect) or (type(defect).__doc__ or "").strip()
    return f"{type(defect).__name__}: {text}"


def collect_defects(msg, label):
    found = []
    for n, part in enumerate(msg.walk()):
        where = "message" if n == 0 else f"part {n} ({part.get_content_type()})"
        for d in part.defects:
            found.append(f"{label}: {where}: {describe(d)}")
        for name, value in part.items():
            for d in getattr(value, "defects", ()):
                found.append(f"{label}: {where}: header {name}: {describe(d)}")
        if not part.is_multipart():
            try:
                part.get_payload(decode=True)
                if part.get_content_maintype() == "text":
                    part.get_content()
            except Exception as e:  # strict policy raises on decoding defects
                found.append(f"{label}: {where}: decoding failed: {describe(e)}")
            for d in part.defects:
                line = f"{label}: {where}: {describe(d)}"
                if line not in found:
                    found.append(line)
    return found


def parse_both(raw, result, errors):
    defects = []
    try:
        strict = BytesParser(policy=policy.strict).parsebytes(raw)
        defects += collect_defects(strict, "policy.strict")
    except Exception as e:
        defects.append(f"policy.strict: parse failed: {describe(e)}")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    defects += collect_defects(msg, "policy.default")
    result["defects"] = defects
    errors.extend(defects)
    return msg


def unfold(value):
    return re.sub(r"\r?\n(?=[ \t])", "", str(value))


def check_headers(msg, result, errors):
    counts = {}
    for name in SINGLE_HEADERS:
        n = len(msg.get_all(name, []))
        counts[name] = n
        if n != 1:
            errors.append(f"{n} {name} headers, want exactly 1")
    for name in FORBIDDEN_HEADERS:
        n = len(msg.get_all(name, []))
        counts[name] = n
        if n:
            errors.append(f"a {name} header is present")
    result["header_counts"] = counts

    post = msg.get_all("List-Unsubscribe-Post", [])
    if post and unfold(post[0]).strip() != "List-Unsubscribe=One-Click":
        errors.append(f"List-Unsubscribe-Post is {unfold(post[0]).strip()!r}, want 'List-Unsubscribe=One-Click'")

    result["unsubscribe_url"] = None
    lu = msg.get_all("List-Unsubscribe", [])
    if lu:
        # The raw value: the default policy would decode any encoded words.
        raw_value = unfold(raw_list_unsubscribe(msg))
        uris = re.findall(r"<([^>]*)>", raw_value)
        result["unsubscribe_uris"] = uris
        if "=?" in raw_value:
            errors.append("List-Unsubscribe holds RFC 2047 encoded words; receivers want plain <URI>s")
        if not uris:
            errors.append(f"List-Unsubscribe has no <URI>: {raw_value.strip()!r}")
        else:
            first = uris[0]
            if re.search(r"\s", first):
                errors.append(f"the List-Unsubscribe URI holds whitespace (folded inside <>): {first!r}")
            if not first.lower().startswith("https://"):
                errors.append(f"the first List-Unsubscribe URI is not https: {first!r}")
            else:
                result["unsubscribe_url"] = first
            https = [u for u in uris if u.lower().startswith("https:")]
            if len(https) > 1:
                errors.append(f"List-Unsubscribe holds {len(https)} https URIs, want one")
            others = [u for u in uris[1:] if not u.lower().startswith("mailto:")]
            if others:
                errors.append(f"List-Unsubscribe URIs after the first must be mailto:, got {others!r}")


def raw_list_unsubscribe(msg):
    """The List-Unsubscribe value as it stands in the message (before RFC 2047 decoding)."""
    for name, value in msg.raw_items():
        if name.lower() == "list-unsubscribe":
            return value
    return ""


def decode_part(part, label, errors):
    data = part.get_payload(decode=True) or b""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        errors.append(f"the {label} part is not valid UTF-8: {e}")
        return data.decode("utf-8", "replace")


def check_structure(msg, result, errors):
    result["content_type"] = msg.get_content_type()
    parts = []
    texts = {}
    if msg.get_content_type() != "multipart/alternative":
        errors.append(f"top-level Content-Type is {msg.get_content_type()}, want multipart/alternative")
    subparts = msg.get_payload() if msg.is_multipart() else []
    for part in subparts:
        encoded = part.get_payload(decode=False)
        encoded_bytes = (
            encoded.encode("ascii", "surrogateescape") if isinstance(encoded, str) else b""
        )
        decoded = part.get_payload(decode=True) if not part.is_multipart() else b""
        cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
        parts.append(
            {
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": cte,
                "bytes_encoded": len(encoded_bytes),
                "bytes_decoded": len(decoded or b""),
            }
        )
        if cte in ("7bit", "quoted-printable", "base64") and any(b > 0x7F for b in encoded_bytes):
            errors.append(f"the {part.get_content_type()} part has 8-bit bytes but Content-Transfer-Encoding {cte}")
    result["parts"] = parts
    kinds = [p["content_type"] for p in parts]
    if msg.is_multipart() and kinds != ["text/plain", "text/html"]:
        errors.append(f"parts are {kinds}, want exactly ['text/plain', 'text/html'] in that order")
    for part, info in zip(subparts, parts):
        kind = info["content_type"]
        if kind in ("text/plain", "text/html"):
            if (info["charset"] or "").lower() != "utf-8":
                errors.append(f"the {kind} part has charset {info['charset']!r}, want utf-8")
            if kind not in texts:
                texts[kind] = decode_part(part, kind, errors)
                if kind == "text/html":
                    result["html_bytes_encoded"] = info["bytes_encoded"]
                    result["html_bytes_decoded"] = info["bytes_decoded"]
    result.setdefault("html_bytes_encoded", None)
    result.setdefault("html_bytes_decoded", None)
    return texts.get("text/plain"), texts.get("text/html")


def check_body_links(text, html, links, result, errors, args):
    url = result.get("unsubscribe_url")
    result["text_unsubscribe_found"] = bool(url and text is not None and url in text)
    result["html_unsubscribe_found"] = bool(
        url and html is not None and (url in html or url.replace("&", "&amp;") in html)
    )
    if args.require_body_unsubscribe and url:
        if not result["text_unsubscribe_found"]:
            errors.append("the List-Unsubscribe URL is not in the text part")
        if not result["html_unsubscribe_found"]:
            errors.append("the List-Unsubscribe URL is not in the HTML part")
    if links is not None:
        missing = [u for u in links if text is None or u not in text]
        result["links_missing"] = missing
        for u in missing:
            errors.append(f"link not found whole in the text part: {u}")
    if args.max_html_bytes is not None and result.get("html_bytes_encoded") is not None:
        if result["html_bytes_encoded"] > args.max_html_bytes:
            errors.append(
                f"the encoded HTML part has {result['html_bytes_encoded']} bytes, "
                f"more than {args.max_html_bytes}"
            )


# --- DKIM -------------------------------------------------------------------------------


def make_dnsfunc(keys, asked):
    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii", "replace")
        key = name.lower().rstrip(".")
        asked.append(key)
        return keys.get(key)

    return dnsfunc


def header_span(raw, name):
    """(start, end) of the first `name:` header field in the raw header block, folded lines included."""
    head, _, _ = split_head_body(raw)
    m = re.search(rb"(?im)^" + re.escape(name.encode()) + rb"[ \t]*:", head)
    if m is None:
        return None
    end = m.end()
    while True:
        nl = head.find(b"\n", end)
        if nl == -1:
            return m.start(), len(head)
        if nl + 1 < len(head) and head[nl + 1: nl + 2] in (b" ", b"\t"):
            end = nl + 1
            continue
        return m.start(), nl + 1


def tamper_subject(raw):
    span = header_span(raw, "Subject")
    if span is None:
        return None
    start, _ = span
    colon = raw.index(b":", start) + 1
    return raw[:colon] + b" Tampered" + raw[colon:]


def tamper_list_unsubscribe(raw):
    span = header_span(raw, "List-Unsubscribe")
    if span is None:
        return None
    start, end = span
    close = raw.find(b">", start, end)
    if close == -1:
        return raw[:end - 2] + b"x" + raw[end - 2:]
    pos = close - 1
    old = raw[pos:pos + 1]
    new = b"B" if old == b"A" else b"A"
    return raw[:pos] + new + raw[pos + 1:]


ONE_COPY = [
    "From", "To", "Subject", "Date", "Message-ID", "Reply-To", "MIME-Version", "Content-Type",
    "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive", "Feedback-ID",
]


def tamper_added_header(raw, name):
    """A copy with one more `name` header at the top (where a relay adds one);
    for a header the message has, a copy of its value changed."""
    span = header_span(raw, name)
    if span is not None:
        start, end = span
        value = raw[raw.index(b":", start) + 1:end].rstrip(b"\r\n")
        line = name.encode() + b":" + value + b"x\r\n"
    else:
        line = name.encode() + b": someone@elsewhere.example\r\n"
    return line + raw


def tamper_body(raw, msg):
    """Flip the case of one letter of the text part's encoded content (stays valid QP/base64)."""
    _, body, body_start = split_head_body(raw)
    region_start, region = body_start, body
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            payload = part.get_payload(decode=False)
            if isinstance(payload, str):
                enc = payload.encode("ascii", "surrogateescape")
                at = raw.find(enc, body_start) if enc else -1
                if at != -1:
                    region_start, region = at, enc
            break
    for i in range(len(region)):
        c = region[i:i + 1]
        if c.isalpha() and region[max(0, i - 2):i].find(b"=") == -1:
            pos = region_start + i
            return raw[:pos] + c.swapcase() + raw[pos + 1:]
    return None


def dkim_results(raw, msg, keys, args, errors):
    try:
        import dkim  # dkimpy, Debian's python3-dkim
    except ImportError:
        raise UsageError(
            "cannot import dkim (dkimpy): install the Debian package python3-dkim and run "
            "this script with /usr/bin/python3"
        )

    sig_values = [v for n, v in msg.raw_items() if n.lower() == "dkim-signature"]
    if not sig_values:
        errors.append("no DKIM-Signature header")
        return []
    present = {}
    for n, _ in msg.raw_items():
        present[n.lower()] = present.get(n.lower(), 0) + 1

    def verify(data, idx, asked):
        try:
            ok = dkim.DKIM(data).verify(idx=idx, dnsfunc=make_dnsfunc(keys, asked))
            return bool(ok), None
        except Exception as e:  # ValidationError (body hash), MessageFormatError, ...
            return False, f"{type(e).__name__}: {e}"

    results = []
    for idx, value in enumerate(sig_values):
        tags = {}
        for item in unfold(value).split(";"):
            k, sep, v = item.strip().partition("=")
            if sep:
                tags[k.strip()] = re.sub(r"\s+", "", v) if k.strip() in ("b", "bh") else " ".join(v.split())
        signed = [h.strip().lower() for h in tags.get("h", "").split(":") if h.strip()]
        res = {
            "index": idx,
            "d": tags.get("d"),
            "s": tags.get("s"),
            "a": tags.get("a"),
            "c": tags.get("c", "simple/simple"),
            "h": signed,
            "l": tags.get("l"),
            "oversigned": {
                h: signed.count(h) > present.get(h, 0)
                for h in ("from", "subject", "list-unsubscribe", "list-unsubscribe-post")
            },
        }
        asked = []
        ok, err = verify(raw, idx, asked)
        key_name = f"{tags.get('s', '')}._domainkey.{tags.get('d', '')}".lower()
        if not ok and err is None and key_name not in keys:
            err = f"no --dkim-key given for {key_name}"
        res["pass"] = ok
        res["error"] = err
        if not ok:
            errors.append(f"DKIM signature {idx} (d={res['d']} s={res['s']}) does not verify" + (f": {err}" if err else ""))
        if args.tamper:
            tampers = {}
            copies = [
                ("subject", tamper_subject(raw)),
                ("list_unsubscribe", tamper_list_unsubscribe(raw)),
                ("body", tamper_body(raw, msg)),
            ]
            for name in ONE_COPY:
                if header_span(raw, name) is not None:
                    copies.append((f"second {name}", tamper_added_header(raw, name)))
            for name in ("Cc", "Sender"):
                if header_span(raw, name) is None:
                    copies.append((f"added {name}", tamper_added_header(raw, name)))
            for label, copy in copies:
                if copy is None:
                    tampers[label] = "not tried (nothing to change)"
                    errors.append(f"DKIM signature {idx}: cannot make the {label} tamper copy")
                    continue
                t_ok, t_err = verify(copy, idx, [])
                tampers[label] = "passed" if t_ok else "failed"
                if t_ok:
                    errors.append(
                        f"DKIM signature {idx} (d={res['d']} s={res['s']}) still verifies "
                        f"with the {label} changed: that part is not covered by the signature"
                    )
            res["tamper"] = tampers
        results.append(res)
    return results


# --- main -------------------------------------------------------------------------------


def check_file(path, args, keys, links):
    result = {"file": path, "ok": False}
    errors, warnings = [], []
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        result["errors"] = [f"cannot read: {e}"]
        return result
    result["message_bytes"] = len(raw)
    check_lines(raw, result, errors, warnings, args)
    msg = parse_both(raw, result, errors)
    check_headers(msg, result, errors)
    text, html = check_structure(msg, result, errors)
    check_body_links(text, html, links, result, errors, args)
    result["dkim_signatures"] = sum(1 for n, _ in msg.raw_items() if n.lower() == "dkim-signature")
    result["dkim"] = dkim_results(raw, msg, keys, args, errors) if keys else []
    result["ok"] = not errors
    result["errors"] = errors
    result["warnings"] = warnings
    return result


def main(argv):
    args = parse_args(argv)
    try:
        keys = load_keys(args.dkim_key)
        links = load_links(args.links) if args.links else None
        failed = False
        for path in args.messages:
            result = check_file(path, args, keys, links)
            print(json.dumps(result, ensure_ascii=False), flush=True)
            for e in result["errors"]:
                print(f"{path}: {e}", file=sys.stderr)
            for w in result.get("warnings", []):
                print(f"{path}: warning: {w}", file=sys.stderr)
            failed |= not result["ok"]
    except UsageError as e:
        print(f"check_message.py: {e}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
