#!/bin/sh
# Run every test program in $1 and print the summary line CI reads:
#   N passed, N failed, N skipped
# A program exits 0 (pass), 77 (skip, with a SKIP: reason) or anything else (fail).
dir=${1:-build/tests}
pass=0; fail=0; skip=0; failed=""
for t in "$dir"/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log=$(mktemp)
    start=$(date +%s)
    tmp=$(mktemp -d)
    TMPDIR=$tmp "$t" >"$log" 2>&1
    rc=$?
    rm -rf "$tmp"
    secs=$(( $(date +%s) - start ))
    case $rc in
    0)  pass=$((pass + 1)); printf 'PASS  %-32s %4ss\n' "$name" "$secs" ;;
    77) skip=$((skip + 1)); printf 'SKIP  %-32s %s\n' "$name" "$(grep -m1 '^SKIP:' "$log" | cut -c7-)" ;;
    *)  fail=$((fail + 1)); failed="$failed $name"; printf 'FAIL  %-32s (exit %s)\n' "$name" "$rc"
        sed 's/^/      /' "$log" | tail -n 60 ;;
    esac
    rm -f "$log"
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
