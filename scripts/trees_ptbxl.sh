#!/bin/sh
# The measurement model beside the CNN on PTB-XL superdiagnostic (docs/trees.md):
# train the trees on folds 1-8 (early stopping, elimination and thresholds on
# fold 9), evaluate both on fold 9's 250 records and compare with DeLong.
# usage: sh scripts/trees_ptbxl.sh [BUILD] [OUTDIR]
set -eu
B=${1:-build}
O=${2:-out/trees}
D=../shared/data/ptbxl,../shared/data/ptbxl-filtered
mkdir -p "$O"
/usr/bin/time -f "train wall %e s, cpu %U s user" "$B/ecgx" trees train --data "$D" --labels superdiagnostic \
    -o "$O/superdiag.json" --table "$O/table.csv" --quiet
"$B/ecgx" trees eval --trees "$O/superdiag.json" --data "$D" --split val --json \
    --pred "$O/trees_val.csv" --truth "$O/truth_val.csv" > "$O/eval_val.json"
# the CNN on the same records, in the same CSV form (rows named by record path)
tail -n +2 "$O/truth_val.csv" | cut -d, -f1 > "$O/records_val.txt"
# shellcheck disable=SC2046
"$B/ecgx" predict --model models/resnet1d_wang_ptbxl_superdiag.safetensors --csv $(cat "$O/records_val.txt") > "$O/cnn_val.csv"
"$B/ecgx" compare --a "$O/trees_val.csv" --b "$O/cnn_val.csv" --truth "$O/truth_val.csv" | tee "$O/compare.txt"
"$B/ecgx" compare --a "$O/trees_val.csv" --b "$O/cnn_val.csv" --truth "$O/truth_val.csv" --json > "$O/compare.json"
"$B/ecgx" trees plot --trees "$O/superdiag.json" --data "$D" --split val -o "$O/plots" --top 12 --dependence 2
