#!/bin/sh
# The main job on the ECG that ships with ecgx (data/demo/lbbb, a synthetic
# 12-lead record with left bundle branch block): describe it, measure it,
# let the shipped PTB-XL model diagnose it and explain its call in an HTML
# report, and draw the ECG. Called by `make demo` with the build dir as $1.
# Needs nothing outside the repository (no ../shared/data).
set -eu

BUILD=${1:-build}
ECGX="$BUILD/ecgx"
MODEL=models/resnet1d_wang_ptbxl_superdiag.safetensors
REC=data/demo/lbbb
OUT=out/demo

[ -x "$ECGX" ] || { echo "demo: $ECGX not built (run make)" >&2; exit 1; }
mkdir -p "$OUT"

echo "== the record (ecgx info $REC)"
"$ECGX" info "$REC"

echo
echo "== measurements (ecgx features $REC -> $OUT/features.csv)"
"$ECGX" features --quiet -o "$OUT/features.csv" "$REC"
# the global intervals, in a form a person reads
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
         function v(n) { return (n in col) && $col[n] != "" ? sprintf("%.0f", $col[n]) : "n/a" }
         { printf "rate %s bpm, PR %s ms, QRS %s ms, QT %s ms, QTc (Bazett) %s ms, QRS axis %s deg\n",
                  v("HR_Global"), v("PR_Global"), v("QRS_Global"), v("QT_Global"), v("QTcB_Global"), v("QRS_axis_Global") }' \
    "$OUT/features.csv"

echo
echo "== diagnosis and explanation (ecgx report --model $MODEL $REC -o $OUT/report.html)"
"$ECGX" report --model "$MODEL" "$REC" -o "$OUT/report.html"

echo
echo "== the ECG on paper (ecgx render $REC -o $OUT/ecg.png)"
"$ECGX" render "$REC" -o "$OUT/ecg.png"

echo
echo "Report: $(pwd)/$OUT/report.html   (open it in a browser; it is one self-contained file)"
echo "ECG:    $(pwd)/$OUT/ecg.png"
