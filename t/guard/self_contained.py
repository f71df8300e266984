#!/usr/bin/python3
"""Guard: the repository explains itself. No source, test, script or
document points a reader at a contract kept outside the repository (a
specification's section number, a tracker's issue number, a style guide,
or files beside the clone); each rule is stated where it is enforced and,
for users, in README. Test data that lives beside the clone may still be
read (tests skip when it is absent). TAP output; run by `make check`."""
import os
import re
import subprocess
import sys

from tap import report

SRC = os.environ.get("RXA_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))

# What counts as pointing outside: "SPEC", "SPEC 5", "SPEC.md", "STYLE 3",
# "issue 8", "issue #8", "../shared/" other than its test data.
OUTSIDE = re.compile(
    r"\bSPEC\b|\bSPEC\.md\b|\bSTYLE(?:\.md| \d)|\b[Ii]ssues? #?\d+\b"
    r"|\.\./shared/(?!testdata\b)")
SKIP_DIRS = ("t/fuzz/corpus/", "t/bench/results/")
SKIP_FILES = {"t/idp/package-lock.json", "t/guard/self_contained.py"}
TEXT_EXT = (".c", ".h", ".py", ".mjs", ".js", ".html", ".am", ".ac", ".md",
            ".conf", ".load", ".lua", ".sh", ".supp", ".json")


def tracked_files():
    """Files git knows in SRC, or every file when SRC is no git checkout."""
    try:
        out = subprocess.run(["git", "-C", SRC, "ls-files"], check=True,
                             capture_output=True, text=True).stdout
        return [f for f in out.splitlines() if f]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for root, dirs, files in os.walk(SRC):
            dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
            found += [os.path.relpath(os.path.join(root, f), SRC) for f in files]
        return found


def is_text(rel):
    if rel.startswith(SKIP_DIRS) or rel in SKIP_FILES:
        return False
    base = os.path.basename(rel)
    return rel.endswith(TEXT_EXT) or "." not in base


def main():
    results = []
    for rel in sorted(tracked_files()):
        path = os.path.join(SRC, rel)
        if not is_text(rel) or not os.path.isfile(path):
            continue
        try:
            text = open(path, encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        hits = ["%d: %s" % (text.count("\n", 0, m.start()) + 1, m.group(0))
                for m in OUTSIDE.finditer(text)]
        results.append((not hits, "%s refers to nothing outside the repository%s"
                        % (rel, " (line %s)" % ", ".join(hits[:5]) if hits else "")))
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
