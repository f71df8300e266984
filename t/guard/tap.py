"""TAP output for the guards: one line per (ok, description) result."""


def report(results):
    """Print RESULTS as TAP; return the exit status (1 when any failed)."""
    print("1..%d" % len(results))
    failed = 0
    for n, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        failed += not ok
    return 1 if failed else 0
