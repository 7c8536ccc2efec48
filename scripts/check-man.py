#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check that each tool's man page documents exactly the options its --help
lists.

usage: check-man.py MANDIR TOOL...

For each TOOL (the path of a built or installed program), runs `TOOL --help`
and takes every option it lists: the lines of the option table that
zcrx::cli::option_help() prints ("  -h, --help  ..." or "      --json  ...").
MANDIR/NAME.1 must exist, and the tags of its OPTIONS sections (the line after
each .TP) must name the same long and short options: none missing, none the
tool does not have. The options in its SYNOPSIS must be listed ones too, and
every zcrx-*.1 in MANDIR must belong to one of the TOOLs. A tool whose --help
fails or lists no option, or a page that documents none, fails: the check
cannot pass by finding nothing. Prints one line per tool; exits 1 on any
disagreement.
"""

import os
import re
import subprocess
import sys

HELP_OPTION = re.compile(r"^  (?:-([A-Za-z]), |    )--([a-z0-9][a-z0-9-]*)")
LONG = re.compile(r"(?<![\w-])--([a-z0-9][a-z0-9-]*)")
SHORT = re.compile(r"(?<![\w-])-([A-Za-z])(?![\w-])")


def help_options(tool):
    """The long and the short options TOOL --help lists, or an error."""
    try:
        r = subprocess.run([tool, "--help"], capture_output=True, text=True,
                           timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, None, f"cannot run {tool} --help: {e}"
    if r.returncode != 0:
        return None, None, f"{tool} --help exited with {r.returncode}"
    longs, shorts = set(), set()
    for line in r.stdout.splitlines():
        m = HELP_OPTION.match(line)
        if m:
            if m.group(1):
                shorts.add(m.group(1))
            longs.add(m.group(2))
    if not longs:
        return None, None, f"{tool} --help lists no option"
    return longs, shorts, None


def plain(line):
    """A roff line as text: the macro name, quotes and font changes gone."""
    line = re.sub(r"^\.[A-Za-z]+\s*", "", line)
    line = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", line)
    line = line.replace("\\-", "-").replace("\\e", "\\").replace("\\(dq", '"')
    line = re.sub(r"\\[&%|^]", "", line)
    return line.replace('"', "")


def page_options(path):
    """The long and short options tagged in the page's OPTIONS sections, the
    long ones in its SYNOPSIS, and the page's name from .TH."""
    tagged_long, tagged_short, synopsis = set(), set(), set()
    name = None
    section = ""
    tag_next = False
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith(".TH "):
                name = line.split()[1]
            if line.startswith(".SH"):
                section = plain(line).strip().upper()
                tag_next = False
                continue
            if line.startswith(".TP"):
                tag_next = True
                continue
            if tag_next:
                tag_next = False
                if "OPTIONS" in section:
                    text = plain(line)
                    tagged_long.update(LONG.findall(text))
                    tagged_short.update(SHORT.findall(text))
            if section == "SYNOPSIS":
                synopsis.update(LONG.findall(plain(line)))
    return tagged_long, tagged_short, synopsis, name


def check(mandir, tool):
    name = os.path.basename(tool)
    problems = []
    longs, shorts, err = help_options(tool)
    if err:
        return [err], 0
    page = os.path.join(mandir, name + ".1")
    if not os.path.isfile(page):
        return [f"{name}: no man page {page}"], 0
    doc_long, doc_short, synopsis, th = page_options(page)
    if th != name.upper():
        problems.append(f"{page}: .TH names {th}, not {name.upper()}")
    if not doc_long:
        problems.append(f"{page}: documents no option under OPTIONS")
    for o in sorted(longs - doc_long):
        problems.append(f"{name} --help lists --{o}; {page} does not document it")
    for o in sorted(doc_long - longs):
        problems.append(f"{page} documents --{o}, which {name} --help does not list")
    for o in sorted(shorts - doc_short):
        problems.append(f"{name} --help lists -{o}; {page} does not document it")
    for o in sorted(doc_short - shorts):
        problems.append(f"{page} documents -{o}, which {name} --help does not list")
    for o in sorted(synopsis - longs):
        problems.append(f"{page}: SYNOPSIS names --{o}, which {name} --help does not list")
    return problems, len(longs)


def main(argv):
    if len(argv) < 3:
        print(next(l for l in __doc__.splitlines() if l.startswith("usage:")),
              file=sys.stderr)
        return 2
    mandir, tools = argv[1], argv[2:]
    bad = 0
    for tool in tools:
        problems, n = check(mandir, tool)
        name = os.path.basename(tool)
        if problems:
            bad += 1
            for p in problems:
                print(f"FAIL {p}")
        else:
            print(f"ok {name}: the man page documents the {n} options --help lists")
    names = {os.path.basename(t) for t in tools}
    for page in sorted(os.listdir(mandir)):
        if (page.startswith("zcrx-") and page.endswith(".1") and
                page[:-2] not in names):
            bad += 1
            print(f"FAIL {os.path.join(mandir, page)}: no such tool among "
                  f"{' '.join(sorted(names))}")
    print(f"{len(tools)} tools checked, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
