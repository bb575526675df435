#!/bin/sh
# Run every libFuzzer target in DIR for SECONDS each, starting from the seed
# corpus in fuzz/corpus/<target>/ (small project-made files). New inputs go
# to a scratch corpus, not into the repository. Prints, per target, how long
# it ran and whether it found anything; exits non-zero on any finding.
#   usage: sh fuzz/run.sh build-fuzz 60
dir=${1:-build-fuzz}
secs=${2:-30}
here=$(dirname "$0")
found=0
ran=0
for t in "$dir"/fuzz_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    seeds="$here/corpus/$name"
    work=$(mktemp -d)
    mkdir -p "$work/corpus" "$work/artifacts"
    start=$(date +%s)
    if [ -d "$seeds" ]; then
        "$t" "$work/corpus" "$seeds" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$work/artifacts/" -print_final_stats=1 >"$work/log" 2>&1
    else
        "$t" "$work/corpus" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$work/artifacts/" -print_final_stats=1 >"$work/log" 2>&1
    fi
    rc=$?
    took=$(( $(date +%s) - start ))
    runs=$(grep -m1 'stat::number_of_executed_units' "$work/log" | awk '{print $2}')
    corpus=$(ls "$work/corpus" | wc -l)
    ran=$((ran + 1))
    if [ "$rc" -ne 0 ] || [ -n "$(ls "$work/artifacts")" ]; then
        found=$((found + 1))
        keep="$dir/findings-$name"
        rm -rf "$keep"; mkdir -p "$keep"
        cp "$work/artifacts/"* "$work/log" "$keep/" 2>/dev/null
        printf '%-14s ran %4ss  FOUND A PROBLEM (exit %s); inputs and log in %s\n' "$name" "$took" "$rc" "$keep"
        grep -m3 -E 'ERROR|SUMMARY|runtime error' "$work/log" | sed 's/^/    /'
    else
        printf '%-14s ran %4ss  %s executions, %s new corpus inputs, no finding\n' "$name" "$took" "${runs:-?}" "$corpus"
    fi
    rm -rf "$work"
done
[ "$ran" -gt 0 ] || { echo "no fuzz targets in $dir"; exit 1; }
[ "$found" -eq 0 ]
