#!/bin/sh
# Install what ecgx needs from Debian 12's packages. Idempotent and
# non-interactive: installs only what is missing, and does nothing (not even
# `apt-get update`) when everything is there.
set -eu

# Build and library dependencies.
PKGS="build-essential pkg-config libopenblas-dev libcjson-dev libspng-dev libpng-dev zlib1g-dev libxgboost-dev"
# Sanitizers and fuzzing (clang's libFuzzer runtime).
PKGS="$PKGS clang libclang-rt-14-dev"
# Independent references for the tests: PyTorch, scikit-learn, NumPy; Chromium
# for the report screenshot test. Tests that need them skip when absent, but
# a full set-up has them.
PKGS="$PKGS python3 python3-numpy python3-torch python3-sklearn python3-xgboost chromium"
# Data-parallel training (mpirun -np N ecgx train; tests/test_train_mpi.c):
# the Makefile builds with MPI when it finds Open MPI, and without it else.
PKGS="$PKGS libopenmpi-dev openmpi-bin"
[ "${ECGX_MINIMAL_DEPS:-0}" = 1 ] && PKGS="build-essential pkg-config libopenblas-dev libcjson-dev libspng-dev libpng-dev zlib1g-dev libxgboost-dev"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "setup-deps: all Debian packages present"
    exit 0
fi
echo "setup-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
