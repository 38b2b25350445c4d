#!/usr/bin/python3
"""check_mail.py FILE.eml [CHECK...] — parses a message with Python's `email` package (strict
policy) and checks it. Exit 0 if every check holds, 1 otherwise (printing what failed).

Always checked: Date (RFC 5322, parseable, with offset), Message-ID, From, To, a text/plain
part decodable as UTF-8, and that a header with non-ASCII text is RFC 2047 encoded in the raw
bytes (8-bit headers are refused).

CHECKs:  subject~TEXT      decoded Subject contains TEXT
         body~TEXT         decoded text/plain contains TEXT
         body!~TEXT        decoded text/plain does not contain TEXT (nor Subject)
         encoded-subject   the raw Subject header is RFC 2047 encoded (=?UTF-8?...?=)
         calendar          a text/calendar; method=REQUEST part is attached
         ics~TEXT          an attached text/calendar part contains TEXT
Prints the decoded Subject and Message-ID on success.
"""
import email
import email.policy
import email.utils
import sys


def main(argv):
    path, checks = argv[1], argv[2:]
    raw = open(path, "rb").read()
    problems = []
    try:
        header_bytes = raw.split(b"\r\n\r\n", 1)[0]
        header_bytes.decode("ascii")
    except UnicodeDecodeError:
        problems.append("8-bit bytes in the header (not RFC 2047 encoded)")
    msg = email.message_from_bytes(raw, policy=email.policy.strict)
    for name in ("Date", "Message-ID", "From", "To", "Subject"):
        if msg[name] is None:
            problems.append(f"no {name} header")
    date = email.utils.parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    if date is None or date.utcoffset() is None:
        problems.append("Date without an offset")
    mid = str(msg["Message-ID"] or "")
    if not (mid.startswith("<") and mid.endswith(">") and "@" in mid):
        problems.append(f"malformed Message-ID {mid!r}")
    subject = str(msg["Subject"] or "")
    text = msg.get_body(preferencelist=("plain",))
    body = text.get_content() if text is not None else ""
    if text is None:
        problems.append("no text/plain part")
    raw_subject = ""
    for line in header_bytes.decode("ascii", "replace").split("\r\n"):
        if line.lower().startswith("subject:"):
            raw_subject = line
    for check in checks:
        if check.startswith("subject~"):
            if check[8:] not in subject:
                problems.append(f"subject {subject!r} lacks {check[8:]!r}")
        elif check.startswith("body!~"):
            if check[6:] in body or check[6:] in subject:
                problems.append(f"body or subject contains {check[6:]!r}")
        elif check.startswith("body~"):
            if check[5:] not in body:
                problems.append(f"body lacks {check[5:]!r}")
        elif check == "encoded-subject":
            if "=?UTF-8?" not in raw_subject.upper().replace("=?UTF-8?", "=?UTF-8?"):
                problems.append(f"raw subject not RFC 2047 encoded: {raw_subject!r}")
        elif check == "calendar":
            found = any(p.get_content_type() == "text/calendar" and
                        p.get_param("method", "").upper() == "REQUEST" for p in msg.walk())
            if not found:
                problems.append("no text/calendar; method=REQUEST part")
        elif check.startswith("ics~"):
            found = any(p.get_content_type() == "text/calendar" and
                        check[4:] in p.get_content() for p in msg.walk())
            if not found:
                problems.append(f"no calendar part with {check[4:]!r}")
        else:
            problems.append(f"unknown check {check!r}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"subject={subject}\nmessage-id={mid}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
