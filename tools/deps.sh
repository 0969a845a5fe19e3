#!/bin/sh
# deps.sh - installs the Debian packages the build and tests need when they are missing (as root), or
# prints the exact apt-get line to run. Called by `make deps`, `make test` and `make demo`.
PKGS="gcc make pkg-config libyaml-dev libcjson-dev check libsubunit-dev libcurl4-openssl-dev libmicrohttpd-dev python3 tzdata"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null || {
        echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
else
    echo "deps: missing packages; run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
