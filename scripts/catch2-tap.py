#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run a Catch2 (v2) test binary and print one TAP line per test case.

Catch2's own TAP reporter prints one line per assertion; the project counts
test cases. Usage: catch2-tap.py BINARY [PREFIX [TEST-SPEC...]]: the test
specs (e.g. "[thread]") pick the cases to run, all by default. Exit status:
the binary's, or 1 if it ran no test case.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET


def main():
    binary = sys.argv[1]
    prefix = sys.argv[2] + ": " if len(sys.argv) > 2 else ""
    proc = subprocess.run([binary, "-r", "xml", *sys.argv[3:]], capture_output=True, text=True)
    try:
        root = ET.fromstring(proc.stdout)
    except ET.ParseError as err:
        print(f"not ok 1 - {prefix}{binary}: no XML report ({err}, exit {proc.returncode})")
        sys.stdout.write("".join("# " + l + "\n" for l in proc.stderr.splitlines()))
        return 1
    n = 0
    for case in root.iter("TestCase"):
        n += 1
        result = case.find("OverallResult")
        ok = result is not None and result.get("success") == "true"
        print(f"{'ok' if ok else 'not ok'} {n} - {prefix}{case.get('name')}")
        if not ok:
            for expr in case.iter("Expression"):
                if expr.get("success") == "false":
                    orig = (expr.findtext("Original") or "").strip()
                    exp = (expr.findtext("Expanded") or "").strip()
                    print(f"#   {expr.get('filename')}:{expr.get('line')}: {orig} ({exp})")
    sys.stdout.write("".join("# " + l + "\n" for l in proc.stderr.splitlines()))
    if n == 0:
        # A binary that ran nothing proves nothing (a filter, a lost
        # registration): that is a failure, not an empty pass.
        print(f"not ok 1 - {prefix}{binary}: no test case ran (exit {proc.returncode})")
        print("1..1")
        return 1
    print(f"1..{n}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
