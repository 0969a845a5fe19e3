#!/bin/sh
# examples.sh BUILD - builds examples/*.c the way a user's program is built: with
# `pkg-config --cflags --libs libreconcile` against the in-tree build (a generated uninstalled .pc file).
build=${1:-build}
mkdir -p "$build/examples" "$build/pkgconfig"
top=$(pwd)
case "$build" in /*) libdir=$build ;; *) libdir=$top/$build ;; esac
sed -e "s|^prefix=.*|prefix=$top|" -e "s|^libdir=.*|libdir=$libdir|" \
    -e "s|^includedir=.*|includedir=$top/include|" "$build/libreconcile.pc" > "$build/pkgconfig/libreconcile.pc"
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
for src in examples/*.c; do
    [ -f "$src" ] || continue
    out="$build/examples/$(basename "$src" .c)"
    extra=""
    case "$src" in *-test.c) extra=$(pkg-config --libs check) ;; esac
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror -O2 -o "$out" "$src" $(pkg-config --cflags --libs libreconcile) \
        $extra -Wl,-rpath,"$libdir" || exit 1
done
