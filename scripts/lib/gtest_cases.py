#!/usr/bin/env python3
"""Counts the test cases in the GoogleTest XML reports of one scripts/test run.

usage: gtest_cases.py REPORT_DIR

Prints the failed and skipped cases, then one line
    cases: 812 passed, 0 failed, 0 skipped
Exit status 1 when a case failed, or when one was skipped and CI=true (a skip there means a
test did not run: missing infrastructure must fail the run, not pass it); else 0.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    report_dir = sys.argv[1]
    in_ci = os.environ.get("CI", "") in ("true", "1")
    passed, failed, skipped, disabled, unreadable = [], [], [], [], []
    for path in sorted(glob.glob(os.path.join(report_dir, "*.xml"))):
        binary = os.path.splitext(os.path.basename(path))[0]
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:
            unreadable.append(f"{binary}: {e}")
            continue
        for case in root.iter("testcase"):
            name = f"{binary}: {case.get('classname')}.{case.get('name')}"
            if case.find("failure") is not None:
                failed.append(name)
            elif case.get("result") == "skipped" or case.find("skipped") is not None:
                node = case.find("skipped")
                reason = (node.get("message") or "").strip() if node is not None else ""
                reason = " ".join(reason.split())[:200]  # "file:line\nwhy" on one line
                skipped.append(f"{name} ({reason})" if reason else name)
            elif case.get("status") == "notrun":
                disabled.append(name)  # DISABLED_ prefix: reported, never counted as passed
            else:
                passed.append(name)
    for name in failed:
        print(f"  FAILED   {name}")
    for name in skipped:
        print(f"  SKIPPED  {name}")
    for name in unreadable:
        print(f"  UNREADABLE report {name}")
    line = f"cases: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped"
    if disabled:
        line += f", {len(disabled)} disabled"
    print(line)
    if skipped and in_ci:
        print("CI=true: skipped test cases fail the run (they did not run)")
    return 1 if failed or unreadable or (skipped and in_ci) else 0


if __name__ == "__main__":
    sys.exit(main())
