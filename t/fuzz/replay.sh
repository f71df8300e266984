#!/bin/sh
# Replays every committed fuzz corpus (t/fuzz/corpus/NAME/) through its
# target, built as t/fuzz/replay_NAME. Any crash or sanitizer report fails.
src=${RXA_SRCDIR:-.}
build=${RXA_BUILDDIR:-.}
status=0
for dir in "$src"/t/fuzz/corpus/*/; do
    name=$(basename "$dir")
    bin="$build/t/fuzz/replay_$name"
    if [ ! -x "$bin" ]; then
        echo "FAIL $name: no $bin (add it to FUZZ_REPLAYS in Makefile.am)"
        status=1
        continue
    fi
    if out=$("$bin" "$dir" 2>&1); then
        echo "ok   $name: $out"
    else
        echo "FAIL $name:"; echo "$out" | tail -20
        status=1
    fi
done
exit $status
