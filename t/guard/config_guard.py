#!/usr/bin/python3
"""Guard: every config field is merged, every directive is
documented in README and in conf.d/. TAP output; run by `make check`."""
import glob
import os
import re
import sys

from tap import report

SRC = os.environ.get("RXA_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def struct_fields(header, name):
    """Fields of `typedef struct name {...}` up to a "Derived" comment."""
    m = re.search(r"typedef struct %s \{(.*?)\} %s_t;" % (name, name), header, re.S)
    if not m:
        return None
    body = m.group(1).split("/* Derived")[0]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    fields = []
    for decl in body.split(";"):
        decl = decl.strip()
        if decl:
            fields += [re.findall(r"(\w+)\s*(?:\[[^]]*\])?\s*$", n.strip())[0]
                       for n in decl.split(",")]
    return fields


def function_body(source, fname):
    m = re.search(r"\n[^\n]*\b%s\([^)]*\)\s*\{" % fname, source)
    if not m:
        return None
    i, depth = m.end(), 1
    while depth:
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        i += 1
    return source[m.end():i]


def main():
    results = []
    header = read("src/mod_reflex_auth.h")
    config = read("src/config.c")
    for struct, merge in (("rxa_srv_conf", "rxa_srv_conf_merge"),
                          ("rxa_dir_conf", "rxa_dir_conf_merge")):
        fields = struct_fields(header, struct)
        if fields is None:
            continue
        body = function_body(config, merge) or ""
        for f in fields:
            merged = re.search(r"RXA_MERGE_\w+\(\s*%s\s*[,)\[]" % f, body) or \
                re.search(r"conf->%s\s*=" % f, body)
            results.append((bool(merged), "%s.%s is merged in %s" % (struct, f, merge)))
    directives = re.findall(r'(?:AP_INIT_\w+|RXA_\w+_CMD)\(\s*"(\w+)"', config)
    readme = read("README")
    confd = "".join(open(p, encoding="utf-8").read()
                    for p in glob.glob(os.path.join(SRC, "conf.d", "*.conf")))
    for d in directives:
        results.append((d in readme, "directive %s is documented in README" % d))
        results.append((re.search(r"^[\s#]*%s\b" % d, confd, re.M) is not None,
                        "directive %s is shown in conf.d/" % d))
    results.append((len(directives) > 0, "directives were found in src/config.c"))
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
