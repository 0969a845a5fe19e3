#!/bin/sh
# install-python.sh DESTDIR PREFIX [PYTHON] - installs the Python binding (bindings/python/reconcile) as the
# package `reconcile` where PYTHON (default python3) finds it for PREFIX: its purelib directory for that
# prefix as sysconfig reports it (Debian's /usr/bin/python3: PREFIX/lib/python3.X/dist-packages for
# /usr/local, PREFIX/lib/python3/dist-packages for /usr). PYTHONDIR overrides the directory. Called by
# `make install`; when the directory is not on PYTHON's sys.path, prints the PYTHONPATH to use instead.
# With a fourth argument --uninstall (from `make uninstall`) it removes the package instead.
set -e
destdir=$1
prefix=${2:-/usr/local}
python=${3:-python3}
if [ -z "$PYTHONDIR" ]; then
    PYTHONDIR=$("$python" -c 'import sys, sysconfig
prefix = sys.argv[1]
debian = "deb_system" in sysconfig.get_scheme_names()
if debian and prefix == "/usr":
    print(sysconfig.get_path("purelib", "deb_system", {"base": prefix, "platbase": prefix}))
elif debian:
    print("%s/lib/python%d.%d/dist-packages" % ((prefix,) + sys.version_info[:2]))
else:
    print(sysconfig.get_path("purelib", "posix_prefix", {"base": prefix, "platbase": prefix}))' "$prefix")
fi
target="$destdir$PYTHONDIR/reconcile"
if [ "$4" = --uninstall ]; then
    rm -rf "$target"
    exit 0
fi
install -d "$target"
install -m 644 bindings/python/reconcile/*.py "$target/"
echo "installed the Python package reconcile in $target"
if ! "$python" -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$PYTHONDIR" 2>/dev/null; then
    echo "note: $PYTHONDIR is not on $python's path; use PYTHONPATH=$PYTHONDIR"
fi
