/* The CLI's commands: one line each, CMD(name, function, one-line summary).
 * Each command lives in tools/cmd_<name>.c and follows the exit-code rule:
 * 0 ok, 1 bad input (a one-line error naming the file and what is wrong),
 * 2 usage. */
CMD("bench", cmd_bench, "time the neural-network engine (resnet1d_wang) against the sgemm peak and PyTorch")
CMD("train", cmd_train, "train a 1-D CNN on ECG folders (PTB-XL benchmark recipe)")
CMD("predict", cmd_predict, "class probabilities for ECG records from a trained model")
CMD("eval", cmd_eval, "per-class and macro AUROC of a model on a data split")
