#!/bin/sh
# Install what ecgx needs from Debian 12's packages. Idempotent and
# non-interactive: installs only what is missing, and does nothing (not even
# `apt-get update`) when everything is there.
#
# usage: setup-deps.sh          what `make` and `make demo` need (BUILD_PKGS)
#        setup-deps.sh test     that and what `make test`, the sanitizer build
#                               and the fuzz targets need (TEST_PKGS)
# On a bare Debian 12 (scripts/deps-size.py simulates it with apt-get -s):
# the build set installs 56 packages (69 MB to download, 326 MB installed),
# the test set 499 (547 MB, 2.4 GB); the one list of before was 514.
set -eu

# Build and library dependencies: a C compiler, OpenBLAS, cJSON, libspng
# (zlib comes with it), XGBoost's C API (the trees and clusters modules). One package a line, so additions merge.
BUILD_PKGS="
gcc
make
libc6-dev
libopenblas-dev
libcjson-dev
libspng-dev
zlib1g-dev
libxgboost-dev
"
# Tests: independent references (PyTorch, scikit-learn, NumPy), Chromium for
# the report screenshot test, clang and its libFuzzer runtime for the fuzz
# targets (.ci/run), Open MPI for data-parallel training (the Makefile builds
# with it when found; tests/test_train_mpi.c). Tests that need one of them
# skip when it is absent.
TEST_PKGS="
python3
python3-numpy
python3-torch
python3-sklearn
python3-xgboost
chromium
clang
libclang-rt-14-dev
libopenmpi-dev
openmpi-bin
"

case "${1:-build}" in
build) PKGS=$BUILD_PKGS ;;
test) PKGS="$BUILD_PKGS $TEST_PKGS" ;;
*) echo "usage: setup-deps.sh [build|test]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "setup-deps: all Debian packages present (${1:-build} set)"
    exit 0
fi
echo "setup-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
