#!/usr/bin/python3
"""Guard: every log call's message starts with its own tag
"RXA0nnnn: ", and no tag is used twice anywhere in the sources. TAP output;
run by `make check`."""
import collections
import glob
import os
import re
import sys

from tap import report

SRC = os.environ.get("RXA_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
LOG_CALL = re.compile(r"\b(ap_log_error|ap_log_rerror|ap_log_cerror|ap_log_perror|rxa_log)\s*\(")
TAG = re.compile(r'"(RXA\d{5}):')


def sources():
    pats = ["mod_reflex_auth.c", "src/*.c", "src/core/*.c"]
    for pat in pats:
        for path in sorted(glob.glob(os.path.join(SRC, pat))):
            yield os.path.relpath(path, SRC), open(path, encoding="utf-8").read()


def main():
    results = []
    seen = collections.defaultdict(list)
    for rel, text in sources():
        for m in TAG.finditer(text):
            seen[m.group(1)].append("%s:%d" % (rel, text.count("\n", 0, m.start()) + 1))
        for m in LOG_CALL.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            if text[:m.start()].rstrip().endswith(("void", "static void")):
                continue            # a definition, not a call
            lit = text.find('"', m.end())
            ok = text.startswith("RXA", lit + 1) and re.match(r"RXA\d{5}: ", text[lit + 1:lit + 11])
            # the sink itself forwards an already tagged core message
            forwarded = text[lit:lit + 4] == '"%s"' and rel == "mod_reflex_auth.c"
            results.append((bool(ok) or forwarded, "%s:%d %s call is tagged" % (rel, line, m.group(1))))
    for tag, where in sorted(seen.items()):
        results.append((len(where) == 1, "%s used once (%s)" % (tag, ", ".join(where))))
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
