/* The CLI's commands: one line each, CMD(name, function, one-line summary).
 * Each command lives in tools/cmd_<name>.c and follows the exit-code rule:
 * 0 ok, 1 bad input (a one-line error naming the file and what is wrong),
 * 2 usage. */
CMD("info", cmd_info, "describe a record: rate, leads, length, format, age/sex/labels")
CMD("convert", cmd_convert, "convert a record between WFDB and CSV")
CMD("synth", cmd_synth, "generate synthetic 12-lead ECGs with ground truth")
CMD("compare", cmd_compare, "compare two models' predictions: AUROC, bootstrap CIs, DeLong test")
CMD("dataset", cmd_dataset, "index a data folder (info) or build its binary cache (cache)")
CMD("peaks", cmd_peaks, "detect QRS complexes: R peaks and RR intervals")
CMD("delineate", cmd_delineate, "P, QRS and T onset/peak/offset per beat and lead")
CMD("features", cmd_features, "ECG measurements of a record or a directory of records")
CMD("render", cmd_render, "draw a record on ECG paper (PNG/SVG), with relevance overlaid")
CMD("explain", cmd_explain, "explain a model's output on a record: relevance per lead/sample and in clinical words")
CMD("analyze", cmd_analyze, "explanations aggregated over a data set per class: leads, segments, average beat, in words")
CMD("xai-bench", cmd_xai_bench, "compare every explanation method on records: time, deletion/insertion AUC, localisation")
CMD("bench", cmd_bench, "time the neural-network engine (resnet1d_wang) against the sgemm peak and PyTorch")
CMD("train", cmd_train, "train a 1-D CNN on ECG folders (PTB-XL benchmark recipe)")
CMD("predict", cmd_predict, "class probabilities for ECG records from a trained model")
CMD("eval", cmd_eval, "per-class and macro AUROC of a model on a data split")
CMD("report", cmd_report, "diagnose and explain a record: self-contained HTML report")
CMD("trees", cmd_trees, "measurement models: ECG measurements + age/sex -> XGBoost per class, SHAP reasons")
CMD("clusters", cmd_clusters, "time-localised clusters of a model's activations: fit, apply to a record, evaluate (surrogate fidelity, waves)")
