#!/usr/bin/env python3
"""What each set of scripts/setup-deps.sh costs on a bare Debian 12, without
installing anything: apt-get's own simulation (-s) against a dpkg status
that holds only a bare system, here the packages of priority "required" or
Essential and, recursively, what they depend on (taken from this machine's
status file; about what the debian:12 image holds). For every package apt
would install: its download size and installed size from the package lists
(apt-cache show, the candidate version). Needs the apt lists (apt-get update).

usage: scripts/deps-size.py [SCRIPT]   (default scripts/setup-deps.sh)
Prints JSON: per set, the packages, their count, MB to download, MB installed.
"""
import json, os, re, subprocess, sys, tempfile

script = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "setup-deps.sh")


def bare_status():
    st = [s for s in open("/var/lib/dpkg/status").read().split("\n\n") if s.strip()]
    by = {}
    for s in st:
        m = re.search(r"^Package: (\S+)", s, re.M)
        if m and re.search(r"^Status: install ok installed", s, re.M):
            by[m.group(1)] = s

    def deps(s):
        out = []
        for f in ("Depends", "Pre-Depends"):
            m = re.search(r"^%s: (.*)$" % f, s, re.M)
            for alt in (m.group(1).split(",") if m else []):
                for a in alt.split("|"):
                    n = a.strip().split()[0].split(":")[0]
                    if n in by:
                        out.append(n)
                        break
        return out

    keep = {p for p, s in by.items() if re.search(r"^(Priority: required|Essential: yes)$", s, re.M)}
    todo = list(keep)
    while todo:
        for d in deps(by[todo.pop()]):
            if d not in keep:
                keep.add(d)
                todo.append(d)
    return "\n\n".join(by[p] for p in sorted(keep)) + "\n", len(keep)


def sets(path):
    """BUILD_PKGS and TEST_PKGS as the script defines them (or PKGS, for the
    one-list script of before the split)."""
    text = open(path).read()
    out = {}
    for name in ("BUILD_PKGS", "TEST_PKGS", "PKGS"):
        m = re.search(r'^%s="([^"]*)"' % name, text, re.M)
        if m:
            out[name] = [p for p in m.group(1).split() if not p.startswith("$")]
    for m in re.finditer(r'^PKGS="\$PKGS ([^"]*)"', text, re.M):  # the old script's additions
        out["PKGS"] += m.group(1).split()
    return out


def simulate(status, pkgs):
    cmd = ["apt-get", "-s", "-o", "Dir::State::status=" + status, "-o", "Debug::NoLocking=1",
           "install", "--no-install-recommends"] + pkgs
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit("deps-size: apt-get -s failed: " + r.stderr.strip())
    inst = [l.split()[1] for l in r.stdout.splitlines() if l.startswith("Inst ")]
    size = isize = 0
    if inst:
        show = subprocess.run(["apt-cache", "show", "--no-all-versions"] + inst, capture_output=True, text=True).stdout
        size = sum(int(x) for x in re.findall(r"^Size: (\d+)", show, re.M))
        isize = sum(int(x) for x in re.findall(r"^Installed-Size: (\d+)", show, re.M)) * 1024
    return {"packages": len(inst), "download_MB": round(size / 1e6, 1), "installed_MB": round(isize / 1e6, 1),
            "asked_for": pkgs}


text, nbase = bare_status()
with tempfile.NamedTemporaryFile("w", suffix=".status", delete=False) as f:
    f.write(text)
try:
    s = sets(script)
    res = {"script": script, "bare_system_packages": nbase}
    if "BUILD_PKGS" in s:
        res["build_set (make demo)"] = simulate(f.name, s["BUILD_PKGS"])
        res["test_set (make test)"] = simulate(f.name, s["BUILD_PKGS"] + s.get("TEST_PKGS", []))
    else:
        res["one_set (make demo)"] = simulate(f.name, s["PKGS"])
    print(json.dumps(res, indent=1))
finally:
    os.unlink(f.name)
