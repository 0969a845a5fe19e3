#!/bin/sh
# run.sh - installs libreconcile into a temporary DESTDIR and builds tests/consumer/consumer.c with nothing
# but `pkg-config --cflags --libs libreconcile` from that tree, then runs it.
set -e
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make -s install DESTDIR="$dest" PREFIX=/usr/local >/dev/null
pc="$dest/usr/local/lib/pkgconfig"
sed -i "s|^prefix=.*|prefix=$dest/usr/local|" "$pc/libreconcile.pc"
flags=$(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs libreconcile)
${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$dest/consumer" tests/consumer/consumer.c $flags
LD_LIBRARY_PATH="$dest/usr/local/lib" "$dest/consumer"
make -s uninstall DESTDIR="$dest" PREFIX=/usr/local
left=$(find "$dest/usr/local" -type f | wc -l)
[ "$left" = 0 ] || { echo "uninstall left $left files" >&2; exit 1; }
echo "consumer: install, build via pkg-config, run and uninstall ok"
