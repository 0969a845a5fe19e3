#!/bin/sh
# man-lint.sh BUILD - lints every man page with mandoc and checks that every symbol exported by
# BUILD/libreconcile.so is named in some man page (in a .B or .BI line or the NAME section).
build=${1:-build}
status=0
for p in man/man3/*.3 man/man1/*.1; do
    [ -f "$p" ] || continue
    out=$(mandoc -T lint -W warning "$p" 2>&1) || true
    if [ -n "$out" ]; then echo "$out"; status=1; fi
done
for sym in $(nm -D --defined-only "$build/libreconcile.so" | awk '$2 ~ /[TDBR]/ {print $3}' | sort -u); do
    grep -qw -- "$sym" man/man3/*.3 2>/dev/null || { echo "undocumented: $sym"; status=1; }
done
exit $status
