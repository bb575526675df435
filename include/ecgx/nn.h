/* ecgx nn — 1-D convolutional networks in C: build, run, train, explain.
 *
 * Shape convention: every activation is [batch][channel][time] (NCW, as
 * PyTorch's Conv1d), float32, contiguous. Fully connected layers produce
 * [batch][features][1]. Weights use PyTorch's layouts and state_dict names,
 * so a PyTorch module's state_dict loads here unchanged (see docs/nn.md and
 * tools/torch_models.py).
 *
 * A model is a list of layers in execution order (a DAG: a layer reads the
 * model input or earlier layers' outputs). Each layer has a name: the
 * PyTorch module path ("3.0.conv1", "6.8") where one exists, otherwise a
 * synthetic name under its block ("3.0.add", "3.0.relu2"). After a forward
 * pass every layer's output stays available; after a backward pass so does
 * the gradient of the loss (or of whatever output gradient you chose) with
 * respect to every layer's output, to the input, and to every parameter.
 * That is all explanation methods need:
 *   - saliency / gradient×input / integrated gradients: ecgx_model_forward,
 *     ecgx_model_backward(dlogits = one-hot of the target class), then
 *     ecgx_model_input_grad;
 *   - Grad-CAM at layer L: ecgx_model_activation(L) and ecgx_model_gradient(L);
 *   - LRP: ecgx_model_layer_info gives each layer's type, inputs,
 *     hyper-parameters and weights; walk the layers backwards with the
 *     activations of the forward pass and apply the rule per type.
 *
 * Threads: OpenMP inside the library (OMP_NUM_THREADS / ecgx_nn_set_threads);
 * the BLAS is used single-threaded (ecgx_model_create sets OpenBLAS to one
 * thread, because the library parallelises over batch and time itself and
 * two thread pools on the same cores only fight). ecgx_model_forward turns
 * on OpenMP's dynamic adjustment (omp_set_dynamic(1)) for the calling
 * thread, so that on an oversubscribed machine fewer threads run instead of
 * every layer waiting for a descheduled one.
 *
 * A model is not safe to use from two threads at once (it owns its
 * activations); create one per thread, or clone. */
#ifndef ECGX_NN_H
#define ECGX_NN_H

#include "ecgx/common.h"
#include "ecgx/record.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ecgx_model ecgx_model;

typedef enum ecgx_layer_type {
    ECGX_LAYER_CONV1D = 1,     /* y = W * x (+ b); W [out][in/groups][k] */
    ECGX_LAYER_BATCHNORM1D,    /* per channel; train: batch stats, eval: running stats */
    ECGX_LAYER_RELU,
    ECGX_LAYER_MAXPOOL1D,
    ECGX_LAYER_AVGPOOL1D,
    ECGX_LAYER_CONCAT_POOL,    /* [max over time ; mean over time] -> [B][2C][1] */
    ECGX_LAYER_GLOBAL_AVGPOOL, /* mean over time -> [B][C][1] */
    ECGX_LAYER_FLATTEN,        /* [B][C][L] -> [B][C*L][1] */
    ECGX_LAYER_LINEAR,         /* y = x W^T + b; W [out][in] */
    ECGX_LAYER_DROPOUT,        /* train: zero with prob p, scale 1/(1-p); eval: identity */
    ECGX_LAYER_ADD,            /* y = sum of inputs (residual connections) */
    ECGX_LAYER_CONCAT,         /* channel concatenation of inputs (same length) */
    ECGX_LAYER_SCALE           /* y = s * x, constant s (xresnet-style branch scaling) */
} ecgx_layer_type;

#define ECGX_LAYER_MAX_INPUTS 8
#define ECGX_MODEL_INPUT (-1) /* "layer index" of the model's input */

/* Everything about one layer that an explanation rule may need. Pointers
 * point into the model and stay valid until it is freed or reloaded. */
typedef struct ecgx_layer_info {
    const char *name;
    ecgx_layer_type type;
    int n_inputs;
    int inputs[ECGX_LAYER_MAX_INPUTS]; /* layer indices, or ECGX_MODEL_INPUT */
    /* output shape per batch element after the last forward: channels, length */
    int out_channels, out_length;
    /* conv / pooling */
    int in_channels, kernel, stride, padding, dilation, groups, ceil_mode, count_include_pad;
    /* linear: in_channels -> out_channels */
    /* batch norm */
    float eps, momentum;
    const float *running_mean, *running_var; /* [C] */
    /* conv, linear: weight and bias (bias NULL when absent); bn: gamma, beta */
    const float *weight, *bias;
    /* dropout probability, or scale factor for ECGX_LAYER_SCALE */
    float p;
} ecgx_layer_info;

/* What the architecture builder needs. */
typedef struct ecgx_model_config {
    int in_channels;   /* 12 for a standard ECG */
    int n_classes;
    uint64_t seed;     /* weight initialisation (and dropout masks) */
} ecgx_model_config;

/* Architectures ecgx knows: "resnet1d_wang", "fcn_wang", "inception1d",
 * "xresnet1d50", "xresnet1d101", "ribeiro_resnet" (see docs/nn.md). A NULL
 * terminated list of names. */
const char *const *ecgx_model_arch_names(void);

/* Build a freshly initialised model (PyTorch's default initialisation
 * distributions, drawn from `seed`). */
int ecgx_model_create(const char *arch, const ecgx_model_config *cfg, ecgx_model **out);
void ecgx_model_free(ecgx_model *m);

/* Load a model from a safetensors file: the architecture and shapes come
 * from its __metadata__ ("arch", "in_channels", "n_classes"); every tensor
 * the architecture needs must be present with the right shape and dtype
 * (F32; F64/F16/BF16 are converted; num_batches_tracked may be I64).
 * Errors name the file and the tensor. */
int ecgx_model_load(const char *path, ecgx_model **out);
/* Save parameters, running statistics and metadata (atomically). */
int ecgx_model_save(const ecgx_model *m, const char *path);

/* Metadata: free-form key -> string, stored in the file's __metadata__.
 * Keys ecgx uses: arch, in_channels, n_classes, classes (comma separated),
 * fs (Hz), input_length (samples), preprocessing, labels, val_macro_auroc. */
const char *ecgx_model_meta(const ecgx_model *m, const char *key); /* NULL if absent */
int ecgx_model_set_meta(ecgx_model *m, const char *key, const char *value);

/* Per-class decision thresholds in the metadata: "thresholds" =
 * "CD:0.0991,HYP:0.0532,..." (names as in "classes", else class0..; plain
 * numbers in class order are accepted too, as are older "threshold_<CLASS>"
 * keys) and "thresholds_rule" saying how they were chosen ("f1 on the
 * validation split, 250 records"). ecgx_model_thresholds fills thr
 * [n_classes] (NaN where a class has none) and returns 1 when every class
 * has one in [0, 1], 0 when not (the model holds no usable thresholds);
 * *rule (may be NULL) receives "thresholds_rule" or NULL. */
int ecgx_model_thresholds(const ecgx_model *m, double *thr, const char **rule);
/* Store thr [n_classes] (each finite, in [0, 1]) and the rule's description. */
int ecgx_model_set_thresholds(ecgx_model *m, const double *thr, const char *rule);

const char *ecgx_model_arch(const ecgx_model *m);
int ecgx_model_in_channels(const ecgx_model *m);
int ecgx_model_n_classes(const ecgx_model *m);

/* Training mode: batch norm uses (and updates) batch statistics, dropout
 * drops. Default after create/load: evaluation mode. */
void ecgx_model_set_training(ecgx_model *m, int training);
/* Reseed the model's random numbers (dropout masks). */
void ecgx_model_seed(ecgx_model *m, uint64_t seed);
int ecgx_model_is_training(const ecgx_model *m);
/* Stride-1 convolutions with 2 to 7 taps run as Winograd convolutions
 * (2-2.5x fewer multiplications; outputs within ~2e-6 relative of the
 * direct sum) unless this is turned off; off, every convolution is im2col +
 * sgemm. Default: on. */
void ecgx_model_set_winograd(ecgx_model *m, int on);

/* Forward pass on x [batch][in_channels][length]; writes logits
 * [batch][n_classes] when logits is not NULL. Keeps every layer's output
 * for the backward pass and for the activation getters. Buffers are sized
 * on the first call with a given batch*length and reused after that: the
 * call allocates nothing when batch*length does not grow. */
int ecgx_model_forward(ecgx_model *m, const float *x, int batch, int length, float *logits);

/* The same logits as ecgx_model_forward, bit for bit, for scoring only: the
 * layers' outputs share a few buffers (each is reused once its last reader
 * has run, as PyTorch frees them under no_grad), so the pass stays in cache
 * and needs less memory. Keeps nothing: the activation getters return NULL
 * and ecgx_model_backward fails until the next ecgx_model_forward. */
int ecgx_model_infer(ecgx_model *m, const float *x, int batch, int length, float *logits);

/* Flags for ecgx_model_backward. */
enum {
    ECGX_BACKWARD_NO_PARAM_GRADS = 1  /* only activations' and input gradients (faster) */
};

/* Backward pass from a chosen gradient of the logits, dlogits [batch][n_classes]
 * (from a loss, or a one-hot for a class score), for the batch of the last
 * forward. Parameter gradients ACCUMULATE (as PyTorch): call
 * ecgx_model_zero_grad before. When dinput is not NULL it receives the
 * gradient with respect to the input [batch][in_channels][length]. */
int ecgx_model_backward(ecgx_model *m, const float *dlogits, float *dinput, int flags);
void ecgx_model_zero_grad(ecgx_model *m);

/* Layers. */
int ecgx_model_layer_count(const ecgx_model *m);
const char *ecgx_model_layer_name(const ecgx_model *m, int layer);
ecgx_layer_type ecgx_model_layer_type(const ecgx_model *m, int layer);
const char *ecgx_layer_type_name(ecgx_layer_type t); /* "conv1d", "batchnorm1d", ... */
int ecgx_model_layer_find(const ecgx_model *m, const char *name); /* index or -1 */
int ecgx_model_layer_info(const ecgx_model *m, int layer, ecgx_layer_info *info);

/* Output of a layer after the last forward, [batch][channels][length]
 * (shape returned through the pointers, which may be NULL). NULL before any
 * forward. */
const float *ecgx_model_activation(const ecgx_model *m, int layer, int *batch, int *channels,
                                   int *length);
/* Gradient with respect to a layer's output after the last backward; same
 * shape as the activation. NULL before any backward. */
const float *ecgx_model_gradient(const ecgx_model *m, int layer, int *batch, int *channels,
                                 int *length);
/* Gradient with respect to the input after the last backward, [batch][C][L]. */
const float *ecgx_model_input_grad(const ecgx_model *m);

/* Parameters, in state_dict order. Trainable tensors have a gradient; batch
 * norm running statistics are buffers (grad NULL). */
typedef struct ecgx_param {
    const char *name;  /* state_dict name, e.g. "3.0.conv1.weight" */
    int ndim;
    int64_t shape[4];
    int64_t size;      /* number of elements */
    float *data;
    float *grad;       /* NULL for buffers */
} ecgx_param;

int ecgx_model_param_count(const ecgx_model *m);
/* The tensors may be written through p->data. A model whose trainable
 * weights were handed out so (here or by ecgx_model_flat_params) compares
 * its conv weights with the copy its Winograd/packed forms were made from
 * at every forward pass, which costs about 5 % of a single-record
 * inference; a model only loaded and run skips that. */
int ecgx_model_param(ecgx_model *m, int i, ecgx_param *p);
int ecgx_model_param_find(const ecgx_model *m, const char *name); /* index or -1 */
int64_t ecgx_model_n_trainable(const ecgx_model *m); /* number of trainable scalars */
/* All trainable parameters and their gradients as flat buffers of
 * ecgx_model_n_trainable floats (the tensors above are views into them). */
float *ecgx_model_flat_params(ecgx_model *m);
float *ecgx_model_flat_grads(ecgx_model *m);

/* Floating-point operations of one forward pass for one record of `length`
 * samples (multiply-add = 2). */
double ecgx_model_forward_flops(const ecgx_model *m, int length);
/* The same as the engine executes it: Winograd convolutions do fewer
 * multiplications than the direct sums counted above (matrix products in
 * the transform domain; the transforms themselves are not counted). */
double ecgx_model_forward_flops_executed(const ecgx_model *m, int length);

/* Threads used by the library's OpenMP loops (0 = OpenMP default). */
void ecgx_nn_set_threads(int n);
/* Threads worth using now for a short job: the threads OpenMP would use,
 * fewer when other processes keep cores busy (runnable tasks counted from
 * /proc/loadavg at the call; at least 1). Pass the result to
 * ecgx_nn_set_threads; a job of minutes should not, since the load changes. */
int ecgx_nn_threads_available(void);
/* The rule itself, on a /proc/loadavg line ("0.5 0.4 0.3 3/200 1234"), ncpu
 * cores, `want` threads and `own` runnable threads of the caller's process
 * besides the caller (OpenMP workers still spinning after a parallel
 * region): want, capped at the cores not taken by the other runnable tasks
 * (the line counts the caller and its own threads too), at least 1; want
 * when the line does not parse. */
int ecgx_nn_threads_for_load(const char *loadavg, int ncpu, int want, int own);

/* ---- records: sliding windows ---- */

/* Probabilities (sigmoid of the logits) for one record x [in_channels][n]
 * the way the PTB-XL benchmark evaluates: windows of `window` samples every
 * `stride` samples (plus one flush with the end when the last window stops
 * short of it), logits aggregated by their maximum over windows. A record
 * shorter than the window is an ECGX_ERR_RANGE error. Runs in evaluation
 * mode. probs [n_classes]; window_logits (may be NULL) receives
 * [n_windows][n_classes] and must hold ecgx_windows_count(n, window, stride)
 * rows. */
int ecgx_windows_count(int n, int window, int stride);
int ecgx_model_predict_windows(ecgx_model *m, const float *x, int n, int window, int stride, float *probs,
                               float *window_logits);

/* ---- losses: return the mean loss; write dlogits (d mean loss / d logits) when not NULL ---- */

/* Multi-label binary cross-entropy with logits; targets in [0,1]
 * [batch][n]. pos_weight [n] and class_weight [n] may be NULL (PyTorch's
 * pos_weight and weight). Mean over batch*n. */
double ecgx_loss_bce_logits(const float *logits, const float *targets, int batch, int n,
                            const float *pos_weight, const float *class_weight, float *dlogits);
/* Softmax cross-entropy; labels [batch] in 0..n-1; class_weight may be NULL
 * (weighted mean as PyTorch). */
double ecgx_loss_softmax_ce(const float *logits, const int *labels, int batch, int n,
                            const float *class_weight, float *dlogits);
/* Mean squared error over batch*n. */
double ecgx_loss_mse(const float *pred, const float *targets, int batch, int n, float *dlogits);

/* ---- optimisers (PyTorch semantics) ---- */

typedef enum ecgx_optim_kind { ECGX_OPTIM_ADAMW = 1, ECGX_OPTIM_SGD } ecgx_optim_kind;

typedef struct ecgx_optim {
    ecgx_optim_kind kind;
    double lr;
    double weight_decay;     /* AdamW: decoupled; SGD: added to the gradient (L2) */
    double beta1, beta2, eps;/* AdamW (defaults 0.9, 0.999, 1e-8) */
    double momentum;         /* SGD momentum (beta1 is reused by one-cycle momentum cycling) */
    int nesterov;
    int64_t step;            /* steps taken */
    int64_t n;               /* number of parameters */
    float *m, *v;            /* state (v unused by SGD) */
} ecgx_optim;

int ecgx_optim_init(ecgx_optim *o, ecgx_optim_kind kind, int64_t n, double lr, double weight_decay);
void ecgx_optim_free(ecgx_optim *o);
/* One update of params by grads (n floats each). */
void ecgx_optim_step(ecgx_optim *o, float *params, const float *grads);

/* Scale grads so that their global L2 norm is at most max_norm (as
 * torch.nn.utils.clip_grad_norm_); returns the norm before clipping. */
double ecgx_clip_grad_norm(float *grads, int64_t n, double max_norm);

/* Learning-rate schedules. One-cycle as torch.optim.lr_scheduler.OneCycleLR
 * (cosine annealing, two phases, div_factor 25, final_div_factor 1e4,
 * pct_start 0.3, momentum cycled 0.95 -> 0.85 -> 0.95). step in 0..total-1.*/
typedef struct ecgx_onecycle {
    double max_lr, pct_start, div_factor, final_div_factor;
    double base_momentum, max_momentum;
    int64_t total_steps;
} ecgx_onecycle;
void ecgx_onecycle_default(ecgx_onecycle *s, double max_lr, int64_t total_steps);
double ecgx_onecycle_lr(const ecgx_onecycle *s, int64_t step);
double ecgx_onecycle_momentum(const ecgx_onecycle *s, int64_t step);
/* Cosine annealing from lr0 to lr_min over total steps (CosineAnnealingLR). */
double ecgx_cosine_lr(double lr0, double lr_min, int64_t step, int64_t total);

/* ---- Preprocessing: a record made ready for a model ---------------------
 * The same for every source, and recorded in the model file under
 * "preprocessing": zero-phase Butterworth band-pass 0.5-40 Hz (a 2nd-order
 * high-pass and a 2nd-order low-pass as one cascade, run forward and
 * backward with steady-state initial conditions, the signal first extended
 * by odd reflection of 3 s at each end), resampling to the model's rate
 * (polyphase, ecgx_resample_poly), z-score of each lead over the record.
 * The low-pass is left out when 40 Hz is not below 0.49 fs. */
#define ECGX_NN_PREPROCESSING "bandpass 0.5-40 Hz (butterworth 2+2, zero-phase), resample to fs, zscore per lead"

/* [leads][n] at fs_in -> a new buffer [leads][*n_out] at fs_out (malloc'd).
 * Every sample must be finite. */
int ecgx_nn_preprocess(const float *x, int leads, int64_t n, double fs_in, double fs_out, float **out,
                       int64_t *n_out);

/* The model's input for a whole record: for a 12-channel model the record's
 * leads in the standard 12 order (missing leads are zeros; error when none
 * is present), otherwise exactly in_channels leads as they are; NaN/Inf
 * samples interpolated (ecgx_dsp_sanitize), but a lead with no finite sample
 * is an error (it would become a flat line of zeros); then ecgx_nn_preprocess to the
 * model's "fs" metadata. With ECGX_PREPARE_STRICT a missing standard lead or
 * a non-finite sample is an error instead (predictions on made-up signal
 * are worse than none; explanations prefer an answer). *x is
 * [in_channels][*length], malloc'd; *fs (may be NULL) receives the model's
 * rate. `note` (may be NULL) receives what was done beyond the plain path,
 * "" when nothing: "missing leads V5, V6 (zeros); 3 non-finite samples
 * interpolated; resampled from 500 Hz to the model's 100 Hz". */
#define ECGX_PREPARE_STRICT 1
int ecgx_model_prepare_record(const ecgx_model *m, const ecgx_record *rec, int flags, float **x, int *length,
                              double *fs, char *note, size_t note_n);

#ifdef __cplusplus
}
#endif
#endif
