#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check that every program the project's scripts run comes from a package
that the scripts install (a ZCRX_PKGS_* list in scripts/lib.sh) or that every
Debian system has (priority "required", which a minbase debootstrap holds).

The scripts are parsed with shfmt, so only words in command position count:
`cmd args`, `a | cmd`, `$(cmd)`, and the command after the wrappers that run
one (timeout, exec, ip netns exec, chroot, ...). Programs run in other ways
(the kernel build's own tools, QEMU started from an argument array) are named
in INDIRECT below. A program found on no path here, or in a package neither
listed nor required, is reported with what to add.

usage: check-deps.py [-v]
"""

import json
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Run by something other than a command line in our scripts.
INDIRECT = {
    # kbuild, for bzImage and headers_install (scripts/build-kernel.sh)
    "bc": "kernel build", "bison": "kernel build", "flex": "kernel build",
    "perl": "kernel build", "rsync": "make headers_install",
    "xz": "kernel build", "cpio": "initramfs", "ld": "kernel build",
    "objcopy": "kernel build", "depmod": "kernel build",
    # scripts/vm-run.sh builds the QEMU command line in an array
    "qemu-system-x86_64": "scripts/vm-run.sh",
    # meson's backend and the C++ toolchain
    "ninja": "meson", "g++": "meson", "pkg-config": "meson",
    # checkpatch.pl, from scripts/check-series.sh
    "python3": "checkpatch (spdxcheck)",
}

# Run in the guest from the base tree's selftests (netdevsim-base.sh) and
# ncdevmem, which we do not parse.
INDIRECT.update({
    "ethtool": "base netdevsim selftests", "ip": "base netdevsim selftests",
    "socat": "base netdevsim selftests", "iperf3": "netdevsim-traffic.sh",
    "modprobe": "guest kernel module loading",
})

# Ours: built by the test command or set up in the guest's PATH.
OWN = {
    "zcrx-recv", "zcrx-send", "zcrx-nic", "ncdevmem", "iou-zcrx",
    "unit-tests", "recv-one", "zcrx-bench",
}

# Words that are shell syntax or bash builtins, not programs.
BUILTINS = set("""
    . : [ [[ alias bg bind break builtin caller cd command compgen complete
    continue declare dirs disown echo enable eval exec exit export false fc
    fg getopts hash help history jobs kill let local logout mapfile popd
    printf pushd pwd read readarray readonly return set shift shopt source
    suspend test times trap true type typeset ulimit umask unalias unset wait
""".split())

# Wrappers: after their options (and as many plain arguments as given
# here), the next word is a command too.
WRAPPERS = {"timeout": 1, "exec": 0, "nice": 0, "chroot": 1, "setsid": 0,
            "env": 0, "nohup": 0, "stdbuf": 0, "xargs": 0, "command": 0,
            "unshare": 0, "flock": 1}

SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def shell_files():
    """Every shell script of the project, by shebang or extension."""
    for base in ("scripts", "selftests", ".ci"):
        for root, _, files in os.walk(os.path.join(TOP, base)):
            for name in sorted(files):
                path = os.path.join(root, name)
                try:
                    with open(path, "rb") as f:
                        first = f.readline()
                except OSError:
                    continue
                if name.endswith(".sh") or (first.startswith(b"#!") and
                                            b"sh" in first.split(b"/")[-1]):
                    yield path


def literal(word):
    """The word's text if it is one plain literal, else None."""
    parts = word.get("Parts", [])
    if len(parts) == 1 and parts[0].get("Type") == "Lit":
        return parts[0]["Value"]
    if len(parts) == 1 and parts[0].get("Type") in ("SglQuoted",):
        return parts[0].get("Value")
    return None


def walk(node, found, funcs):
    if isinstance(node, list):
        for n in node:
            walk(n, found, funcs)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("Type")
    if kind == "FuncDecl":
        funcs.add(node["Name"]["Value"])
    if kind == "CallExpr" and node.get("Args"):
        args = [literal(a) for a in node["Args"]]
        i = 0
        while i < len(args) and args[i]:
            name = args[i]
            found.add((name, node["Pos"]["Line"]))
            if name == "ip" and args[i + 1:i + 3] == ["netns", "exec"]:
                i += 4
                continue
            if name not in WRAPPERS:
                break
            i += 1
            while i < len(args) and args[i] and args[i].startswith("-"):
                # timeout -k DURATION / -s SIGNAL take a value
                i += 2 if name == "timeout" and args[i] in ("-k", "-s") else 1
            i += WRAPPERS[name]
    for key, value in node.items():
        if key not in ("Pos", "End"):
            walk(value, found, funcs)


def package_lists():
    out = subprocess.run(
        ["bash", "-c", 'source "$1"; for v in ${!ZCRX_PKGS_@}; do '
         'echo "$v" ${!v}; done', "-", os.path.join(TOP, "scripts/lib.sh")],
        check=True, capture_output=True, text=True).stdout
    lists = {}
    for line in out.splitlines():
        name, *pkgs = line.split()
        lists[name] = set(pkgs)
    return lists


def owner(path):
    """The Debian package that ships PATH (trying the /usr-merged twin)."""
    cands = [path, os.path.realpath(path)]
    for p in list(cands):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/")):
            if p.startswith(a):
                cands.append(b + p[len(a):])
            elif p.startswith(b):
                cands.append(a + p[len(b):])
    for p in cands:
        r = subprocess.run(["dpkg-query", "-S", p], capture_output=True,
                           text=True)
        if r.returncode == 0:
            pkg = r.stdout.split(":")[0].split(",")[0].strip()
            return pkg
    return None


def closure(pkgs):
    """The installed packages that PKGS bring (Depends and Pre-Depends, as
    dpkg recorded them: no package lists are needed)."""
    out = set()
    todo = list(pkgs)
    while todo:
        pkg = todo.pop()
        if pkg in out:
            continue
        out.add(pkg)
        r = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Depends}, ${Pre-Depends}", pkg],
            capture_output=True, text=True)
        for dep in r.stdout.replace("|", ",").split(","):
            name = dep.strip().split(" ")[0].split(":")[0]
            if name and name not in out:
                todo.append(name)
    return out


def priority(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Priority}", pkg],
                       capture_output=True, text=True)
    return r.stdout.strip()


def main():
    verbose = "-v" in sys.argv[1:]
    users = {}
    funcs = set()
    for path in shell_files():
        try:
            tree = subprocess.run(["shfmt", "--to-json"], stdin=open(path),
                                  check=True, capture_output=True,
                                  text=True).stdout
        except subprocess.CalledProcessError as e:
            print(f"{os.path.relpath(path, TOP)}: shfmt cannot parse it: "
                  f"{e.stderr.strip()}")
            return 1
        found = set()
        walk(json.loads(tree), found, funcs)
        for name, line in found:
            users.setdefault(name, f"{os.path.relpath(path, TOP)}:{line}")
    for name, why in INDIRECT.items():
        users.setdefault(name, why)

    lists = package_lists()
    listed = set().union(*lists.values())
    brought = closure(listed)
    bad = 0
    checked = 0
    for name in sorted(users):
        if (name in BUILTINS or name in funcs or name in OWN or
                "/" in name or "=" in name or not name[0].isalnum()):
            continue
        where = users[name]
        path = None
        for d in SEARCH_PATH.split(":"):
            cand = os.path.join(d, name)
            if os.access(cand, os.X_OK) and not os.path.isdir(cand):
                path = cand
                break
        if path is None:
            print(f"{name} (run by {where}): not installed on this machine;"
                  " add the package that provides it to a ZCRX_PKGS_* list")
            bad += 1
            continue
        pkg = owner(path)
        checked += 1
        if pkg is None:
            print(f"{name} (run by {where}): {path} belongs to no Debian "
                  "package; it must come from one")
            bad += 1
        elif pkg in listed:
            if verbose:
                print(f"{name}: {pkg}, listed")
        elif pkg in brought:
            if verbose:
                print(f"{name}: {pkg}, brought by a listed package")
        elif priority(pkg) == "required":
            if verbose:
                print(f"{name}: {pkg}, priority required")
        else:
            print(f"{name} (run by {where}): package {pkg} is in no "
                  "ZCRX_PKGS_* list of scripts/lib.sh, not brought by one "
                  "and not priority required: a fresh machine lacks it")
            bad += 1
    print(f"{checked} programs checked, {bad} without an installed package")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
