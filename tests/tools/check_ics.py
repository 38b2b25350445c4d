#!/usr/bin/python3
"""check_ics.py FILE.ics [CHECK...] — parses an RFC 5545 text with Debian's python3-icalendar
(an independent parser, not libical that wrote it) and checks it. Exit 0 if every check holds,
1 otherwise (printing what failed), 2 if the text does not parse.

Always checked: CRLF line ends, no content line longer than 75 octets, one VEVENT with UID,
DTSTAMP, DTSTART and DTEND, a DTSTART with TZID=Europe/Berlin and a VTIMEZONE of that TZID.

CHECKs:  method=M           METHOD is M (REQUEST | CANCEL)
         uid=U              the VEVENT's UID
         sequence=N         the VEVENT's SEQUENCE
         status=S           the VEVENT's STATUS
         dtstart=ISO        DTSTART as ISO 8601 with its UTC offset, e.g. 2026-03-10T09:00:00+01:00
         location~TEXT      the unescaped LOCATION contains TEXT
         summary~TEXT       the unescaped SUMMARY contains TEXT
         text~TEXT          SUMMARY, DESCRIPTION or LOCATION contains TEXT
Prints UID, SEQUENCE and DTSTART on success.
"""
import sys

import icalendar


def main(argv):
    path, checks = argv[1], argv[2:]
    raw = open(path, "rb").read()
    problems = []
    if b"\n" in raw.replace(b"\r\n", b""):
        problems.append("a line ends without CRLF")
    for line in raw.split(b"\r\n"):
        if len(line) > 75:
            problems.append(f"a content line of {len(line)} octets (RFC 5545 3.1: 75)")
            break
    try:
        cal = icalendar.Calendar.from_ical(raw.decode("utf-8"))
    except Exception as e:  # the independent parser refuses it
        print(f"does not parse: {e}")
        return 2
    events = [c for c in cal.walk("VEVENT")]
    if len(events) != 1:
        print(f"{len(events)} VEVENTs, expected 1")
        return 1
    ev = events[0]
    for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND"):
        if prop not in ev:
            problems.append(f"VEVENT without {prop}")
    start = ev.get("DTSTART")
    tzid = start.params.get("TZID") if start is not None else None
    if tzid != "Europe/Berlin":
        problems.append(f"DTSTART TZID is {tzid!r}, not Europe/Berlin")
    zones = [str(z.get("TZID")) for z in cal.walk("VTIMEZONE")]
    if "Europe/Berlin" not in zones:
        problems.append(f"no VTIMEZONE Europe/Berlin (have {zones})")
    dtstart = start.dt.isoformat() if start is not None else ""
    texts = " ".join(str(ev.get(p, "")) for p in ("SUMMARY", "DESCRIPTION", "LOCATION"))
    for check in checks:
        if "~" in check:
            key, want = check.split("~", 1)
            have = texts if key == "text" else str(ev.get(key.upper(), ""))
            if want not in have:
                problems.append(f"{key} {have!r} does not contain {want!r}")
            continue
        key, want = check.split("=", 1)
        if key == "method":
            have = str(cal.get("METHOD", ""))
        elif key == "dtstart":
            have = dtstart
        else:
            have = str(ev.get(key.upper(), ""))
        if have != want:
            problems.append(f"{key} is {have!r}, expected {want!r}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"UID {ev.get('UID')} SEQUENCE {ev.get('SEQUENCE')} DTSTART {dtstart}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
