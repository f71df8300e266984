#!/bin/sh
# Token verification cost next to raw OpenSSL, RS256 and ES256, in one run.
#
# Alternates rounds of `openssl speed` (rsa2048, ecdsap256: the bare
# public-key operation on a ready digest) with rounds of t/bench/bench_jws
# (the JOSE core on a 1.2 KB ID token), and prints the medians in
# microseconds per verification:
#   JWS     rxa_jws_verify_raw: header checks, key choice, SHA-2, signature
#   JWT     rxa_jws_verify: the same plus parsing the claims (jansson)
#   EVP     the bare operation timed inside bench_jws, as openssl speed does
#   speed   openssl speed's own figure
# Both count CPU time, not wall-clock time, so other load matters less.
# and fails when JWS costs more than 1.3 times openssl speed's figure.
#
# Usage: t/bench/bench_jws.sh [path/to/bench_jws]
#   (built by `make check`; BENCH_SECONDS per round, default 2;
#    BENCH_ROUNDS, default 5; BENCH_LIMIT, default 1.3)
set -eu
bin=${1:-${RXA_BUILDDIR:-.}/t/bench/bench_jws}
secs=${BENCH_SECONDS:-2}
rounds=${BENCH_ROUNDS:-5}
limit=${BENCH_LIMIT:-1.3}
openssl=${OPENSSL:-openssl}

if [ ! -x "$bin" ]; then
    echo "bench_jws.sh: $bin not found (run make check first, or pass its path)" >&2
    exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "$($openssl version), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
i=1
while [ "$i" -le "$rounds" ]; do
    # -mr lines: +F2:n:2048:sign/s:verify/s (RSA), +F4:n:256:sign/s:verify/s (ECDSA)
    $openssl speed -mr -seconds "$secs" rsa2048 ecdsap256 2>/dev/null \
        | awk -F: '/^\+F2:.*:2048:/ { printf "RS256 %.3f\n", 1e6 / $5 }
                   /^\+F4:.*:256:/  { printf "ES256 %.3f\n", 1e6 / $5 }' \
        >> "$tmp/speed"
    "$bin" "$secs" 1 >> "$tmp/ours"
    i=$((i + 1))
done

median() {  # median of the numbers on stdin
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
field() {   # field NAME of ALG's lines in the bench output
    grep "^$1 " "$tmp/ours" | tr ' ' '\n' | sed -n "s/^$2=//p" | median
}

status=0
printf '%-6s %9s %9s %9s %9s   %s\n' alg JWS JWT EVP speed \
    "JWS/speed JWT/speed JWS/EVP"
for alg in RS256 ES256; do
    jws=$(field "$alg" jws_us)
    jwt=$(field "$alg" jwt_us)
    evp=$(field "$alg" evp_us)
    speed=$(grep "^$alg " "$tmp/speed" | cut -d' ' -f2 | median)
    line=$(awk -v a="$alg" -v s="$jws" -v t="$jwt" -v e="$evp" -v o="$speed" -v l="$limit" 'BEGIN {
        r = s / o
        printf "%-6s %9.2f %9.2f %9.2f %9.2f   %9.2f %9.2f %7.2f  %s\n", a, s, t, e,
               o, r, t / o, s / e, r <= l ? "ok" : "OVER " l
        exit r <= l ? 0 : 1 }') || status=1
    echo "$line"
done
echo "(microseconds per verification, medians of $rounds rounds of ${secs}s)"
exit $status
