#!/bin/sh
# man-examples.sh [BUILD] - compiles the EXAMPLE section of every man page in man/man3 against include/
# and BUILD/libreconcile.a (default BUILD=build), so the documentation cannot drift from the headers.
#
# The code of a page's example is every literal block (.nf/.fi, .EX/.EE or mdoc .Bd -literal/.Ed) in its
# EXAMPLE or EXAMPLES section, joined and unescaped from roff (\e, \-, \(dq ...). It takes one of three forms:
#   - a program: it defines main(); it is compiled and linked as it is;
#   - a translation unit: it starts with #include but has no main() (functions a program would call); it is
#     compiled to an object file (-c), which checks every declaration it uses;
#   - a fragment: anything else; it is wrapped as the body of `int main(void)` after #include <reconcile.h>
#     and the common C headers, then compiled and linked. A fragment must declare every variable it uses.
# Every compile uses -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror (CC overrides the compiler). Prints the
# errors of each failing page and exits 1 if any failed.
build=${1:-build}
cc=${CC:-cc}
out="$build/man-examples"
mkdir -p "$out"
cflags="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude $(pkg-config --cflags yaml-0.1 libcjson)"
libs="$build/libreconcile.a $(pkg-config --libs yaml-0.1 libcjson libcurl libmicrohttpd) -lpthread -lm"

extract() {
    awk '
        /^\.S[Hh] / { in_ex = ($2 == "EXAMPLE" || $2 == "EXAMPLES"); lit = 0; next }
        !in_ex { next }
        /^\.(nf|EX)([ \t]|$)/ || /^\.Bd -literal/ { lit = 1; next }
        /^\.(fi|EE|Ed)([ \t]|$)/ { lit = 0; next }
        lit { print }
    ' "$1" | sed -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\(dq/"/g' -e "s/\\\\(aq/'/g" \
        -e 's/\\(ti/~/g' -e 's/\\(ha/^/g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g'
}

status=0
checked=0
for page in man/man3/*.3; do
    name=$(basename "$page" .3)
    src="$out/$name.c"
    code=$(extract "$page")
    if [ -z "$code" ]; then
        case "$name" in libreconcile) continue ;; esac
        echo "man-examples: $page: no EXAMPLE code"; status=1; continue
    fi
    if printf '%s\n' "$code" | grep -q 'main *('; then
        printf '%s\n' "$code" > "$src"
        cmd="$cc $cflags -o $out/$name $src $libs"
    elif printf '%s\n' "$code" | head -n 1 | grep -q '^#include'; then
        printf '%s\n' "$code" > "$src"
        cmd="$cc $cflags -c -o $out/$name.o $src"
    else
        {
            printf '#include <reconcile.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n'
            printf 'int main(void)\n{\n'
            printf '%s\n' "$code" | sed 's/^/    /'
            printf '    return 0;\n}\n'
        } > "$src"
        cmd="$cc $cflags -o $out/$name $src $libs"
    fi
    checked=$((checked + 1))
    if ! $cmd > "$out/$name.log" 2>&1; then
        echo "man-examples: $page: example does not compile (see $out/$name.log, source $src)"
        sed 's/^/    /' "$out/$name.log" | head -n 20
        status=1
    fi
done
[ $status -eq 0 ] && echo "man-examples: $checked examples compile"
exit $status
