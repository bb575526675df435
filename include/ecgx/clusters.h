/* ecgx clusters — time-localised clusters of a network's activations
 * (Boubekki et al. 2025): each ECG becomes a sequence of clusters (stretches
 * of time the network represents alike), with the entropy of the soft
 * assignment as a per-time-step uncertainty; the per-record cluster
 * proportions feed a surrogate (gradient-boosted trees) that reproduces the
 * network's calls, and the clusters are compared with the P/QRS/T/TP waves.
 *
 * Pipeline (docs/clusters.md):
 *   1. activations of chosen layers (default: the outputs of the last three
 *      residual blocks) for a whole record, each layer's time steps placed at
 *      the centre of their receptive field and linearly interpolated onto the
 *      model input's samples (one time axis), concatenated over channels;
 *   2. standardised per feature (mean and SD over the fitting sample);
 *   3. a diagonal Gaussian mixture of k components, k-means++ initialised,
 *      fitted by EM on a reservoir sample of time steps (so a data set larger
 *      than memory works); k given, or chosen by BIC over a range;
 *   4. per time step: the most probable cluster and the entropy (nats) of the
 *      posterior; per record: proportions and mean entropy.
 *
 * A fitted set of clusters is tied to the model it was fitted on by a hash of
 * the model's parameters; applying it to another model is an error. */
#ifndef ECGX_CLUSTERS_H
#define ECGX_CLUSTERS_H

#include "ecgx/dataset.h"
#include "ecgx/fiducials.h"
#include "ecgx/io.h"
#include "ecgx/nn.h"
#include "ecgx/record.h"
#include "ecgx/render.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ECGX_CLUSTERS_MAX_LAYERS 8
#define ECGX_CLUSTERS_MAX_K 64

/* ---- 1. activations on one time axis (features.c) ---- */

/* The outputs of the last `n` residual blocks (an ADD layer, or the ReLU
 * that directly follows one), in execution order. Returns how many were
 * found (<= n). */
int ecgx_clusters_default_layers(const ecgx_model *m, int n, int *layers);

/* Parameter hash of a model (FNV-1a style, 64-bit, over every parameter's
 * name, shape and bytes): two models with the same weights hash alike whatever their
 * file metadata. */
uint64_t ecgx_clusters_model_hash(const ecgx_model *m);

/* Forward x [in_channels][length] and write the chosen layers' activations
 * on the input's time axis: feat [length][D], D = the sum of the layers'
 * channels (*dim receives D). feat must hold length * D floats; a NULL feat
 * only reports D (after the forward pass). `shift` (test hook, normally 0)
 * moves the deepest layer's time axis by that many of its own steps. */
int ecgx_clusters_features(ecgx_model *m, const int *layers, int n_layers, const float *x, int length,
                           float *feat, int *dim, int shift);

/* ---- 2. standardisation (standardize.c) ---- */

/* Running per-feature sums (double), then mean and SD. */
typedef struct ecgx_clusters_moments {
    int dim;
    int64_t n;
    double *sum, *sumsq;
} ecgx_clusters_moments;
int ecgx_clusters_moments_init(ecgx_clusters_moments *s, int dim);
void ecgx_clusters_moments_add(ecgx_clusters_moments *s, const float *x, int64_t n);
/* mean, sd [dim]; an SD below 1e-6 (a dead channel) becomes 1. */
void ecgx_clusters_moments_finish(const ecgx_clusters_moments *s, float *mean, float *sd);
void ecgx_clusters_moments_free(ecgx_clusters_moments *s);
/* x[i][d] = (x[i][d] - mean[d]) / sd[d] in place. */
void ecgx_clusters_standardize(float *x, int64_t n, int dim, const float *mean, const float *sd);

/* ---- 2b. principal components (pca.c) ---- */
/* The top p eigenvectors of the second-moment matrix of x [n][dim]
 * (standardised, so about its mean) as basis [dim][p], largest first, each
 * signed so its largest-magnitude entry is positive; *explained (may be
 * NULL) receives the fraction of the trace they keep. */
int ecgx_clusters_pca(const float *x, int64_t n, int dim, int p, float *basis, double *explained);
/* out [n][p] = x [n][dim] . basis [dim][p] */
int ecgx_clusters_project(const float *x, int64_t n, int dim, const float *basis, int p, float *out);

/* ---- 3. clustering (kmeanspp.c, gmm.c, select_k.c) ---- */

/* k-means++ seeding (Arthur & Vassilvitskii 2007): the first centre uniform,
 * each next one drawn with probability proportional to the squared distance
 * to the nearest centre so far. centres [k][dim]. Deterministic by seed. */
int ecgx_clusters_kmeanspp(const float *x, int64_t n, int dim, int k, uint64_t seed, float *centres);

/* A diagonal Gaussian mixture. */
typedef struct ecgx_gmm {
    int k, dim;
    double *weight; /* [k] */
    float *mean;    /* [k][dim] */
    float *var;     /* [k][dim] */
} ecgx_gmm;

typedef struct ecgx_gmm_options {
    int max_iter;      /* default 100 */
    double tol;        /* stop when the mean log-likelihood gains less; default 1e-4 */
    double var_floor;  /* added to every variance (as sklearn's reg_covar); default 1e-3 */
    uint64_t seed;
} ecgx_gmm_options;
void ecgx_gmm_options_default(ecgx_gmm_options *o);

int ecgx_gmm_alloc(ecgx_gmm *g, int k, int dim);
void ecgx_gmm_free(ecgx_gmm *g);
/* EM from k-means++ centres (variances: the data's, weights equal). Returns
 * the mean log-likelihood per point in *loglik and iterations in *iters
 * (either may be NULL). */
int ecgx_gmm_fit(const float *x, int64_t n, int dim, int k, const ecgx_gmm_options *o, ecgx_gmm *g,
                 double *loglik, int *iters);
/* EM from g's current parameters (for tests and warm starts): iterations
 * until the mean log-likelihood gains less than o->tol, or o->max_iter. */
int ecgx_gmm_em(const float *x, int64_t n, const ecgx_gmm_options *o, ecgx_gmm *g, double *loglik, int *iters);
/* Posterior responsibilities resp [n][k] (may be NULL) and per-point
 * log-likelihood loglik [n] (may be NULL). */
int ecgx_gmm_posterior(const ecgx_gmm *g, const float *x, int64_t n, float *resp, double *loglik);
/* Bayesian information criterion: -2 n L + p log n, p = k(2 dim + 1) - 1
 * free parameters, L the mean log-likelihood of the n points. */
double ecgx_gmm_bic(const ecgx_gmm *g, double mean_loglik, int64_t n);
/* Entropy (nats) of a probability vector of k entries (0 log 0 = 0). */
double ecgx_clusters_entropy(const float *p, int k);

/* ---- 4. wave alignment (waves.c) ---- */

/* Waves the clusters are compared with. */
enum { ECGX_CW_P = 0, ECGX_CW_QRS, ECGX_CW_T, ECGX_CW_OTHER, ECGX_CW_N };
const char *ecgx_clusters_wave_name(int w); /* "P", "QRS", "T", "TP/other" */
/* The wave of every sample 0..n-1 from the global fiducials (per-lead ones
 * ignored): P, QRS and T from onset to offset, everything else TP/other. */
int ecgx_clusters_wave_labels(const ecgx_fiducials *fid, int64_t n, uint8_t *labels);
/* The wave of every sample from reference annotations in LUDB's style
 * ("(" onset, "p"/"N"/"t" peak, ")" offset; see ecgx/io.h), and the
 * annotated stretch [*first, *last] (the first and last annotation; LUDB
 * leaves the edge beats unannotated, so samples outside it say nothing). */
int ecgx_clusters_annotation_labels(const ecgx_annotations *ann, int64_t n, uint8_t *labels, int64_t *first,
                                    int64_t *last);
/* table [k][ECGX_CW_N] += counts of (cluster[t], labels[t]) for t in [from, to]. */
void ecgx_clusters_contingency_add(const int *cluster, const uint8_t *labels, int64_t from, int64_t to, int k,
                                   double *table);
/* Normalised mutual information of a contingency table [rows][cols] of
 * counts, I / sqrt(H_rows H_cols) (sklearn's 'geometric' normalisation; 0
 * when either entropy is 0), and purity (sum of each row's largest count
 * over the total). */
double ecgx_clusters_nmi(const double *table, int rows, int cols);
double ecgx_clusters_purity(const double *table, int rows, int cols);

/* ---- the fitted clusters ---- */

typedef struct ecgx_clusters {
    uint64_t model_hash;
    int n_layers;
    char layer_names[ECGX_CLUSTERS_MAX_LAYERS][96];
    int dim;
    float *mean, *sd;     /* [dim] standardisation */
    int pca_dims;         /* 0: the mixture sees the standardised features; else their projection */
    float *pca;           /* [dim][pca_dims] */
    double pca_explained; /* fraction of the variance the components keep */
    ecgx_gmm gmm;         /* over pca_dims (or dim) features */
    double fs;            /* the model's rate */
    int n_classes;
    char classes[512];    /* comma separated, the model's */
    double thresholds[16];/* the CNN's decision thresholds the surrogate reproduces */
    /* fitted wave names: the wave each cluster covers most (index into ecgx_clusters_wave_name),
     * -1 when not known */
    int wave_of[ECGX_CLUSTERS_MAX_K];
    /* the model's windows (input samples; 0: the whole record) and the
     * surrogate's features: 1 = cluster proportions, 2 = proportions and each
     * cluster's largest proportion over the windows, 3 = per window, 4 = per
     * window with soft proportions, entropy and changes (window_extra) */
    int window, stride, surrogate_features;
    /* what the surrogate was trained to output: 0 = the CNN's thresholded call
     * (its output is called at 0.5), 1 = the CNN's probability (soft targets;
     * called at the CNN's own thresholds) */
    int surrogate_target;
    /* surrogate: one serialised booster (XGBoost JSON) per class; NULL when absent */
    unsigned char *surrogate[16];
    size_t surrogate_len[16];
    /* how the fit went (also saved) */
    int64_t n_points;     /* time steps the mixture was fitted on */
    int n_records;
    double loglik, bic;
    char k_rule[128];     /* "given" or "BIC over 4..12: ..." */
} ecgx_clusters;

void ecgx_clusters_free(ecgx_clusters *c);
/* Save / load as safetensors: tensors mean, sd, weight, means, vars,
 * surrogate.<class> (U8); __metadata__ with model_hash, layers, k, dim, fs,
 * classes, thresholds, standardisation and the fit's numbers. Written
 * atomically. Load checks every shape; errors name the file. */
int ecgx_clusters_save(const ecgx_clusters *c, const char *path);
int ecgx_clusters_load(const char *path, ecgx_clusters **out);
/* The same, reading only what `flags` asks for: ECGX_CLUSTERS_NO_SURROGATE
 * skips the surrogate's bytes (most of the file; assigning records does
 * not need them). */
#define ECGX_CLUSTERS_NO_SURROGATE 1
int ecgx_clusters_load_ex(const char *path, int flags, ecgx_clusters **out);
/* 0 when c was fitted on model m (same parameter hash and layers), else an
 * ECGX_ERR_ARG error naming `path`. */
int ecgx_clusters_check_model(const ecgx_clusters *c, const ecgx_model *m, const char *path);

/* ---- per record (assign.c) ---- */
typedef struct ecgx_clusters_record {
    int k;
    int64_t n;            /* samples at the record's own rate */
    double fs;            /* the record's rate */
    int *cluster;         /* [n] */
    float *entropy;       /* [n] nats */
    double proportion[ECGX_CLUSTERS_MAX_K];
    double window_max[ECGX_CLUSTERS_MAX_K]; /* largest proportion over the model's windows */
    int n_windows;        /* the model's windows over the record (1 when it is one window or shorter) */
    float *window_prop;   /* [n_windows][k] proportions in each window */
    /* [n_windows][k + 2]: per window each cluster's mean posterior (soft
     * proportion), the mean entropy and the cluster changes per sample */
    float *window_extra;
    double mean_entropy;
    /* at the model's rate (model input samples) */
    int n_model;
    int *cluster_model;   /* [n_model] */
    float *entropy_model; /* [n_model] */
} ecgx_clusters_record;
void ecgx_clusters_record_free(ecgx_clusters_record *r);

/* Clusters of a model-ready input x [in_channels][length] (no record rate:
 * the per-sample arrays stay at the model's rate, n = length). */
int ecgx_clusters_assign_input(const ecgx_clusters *c, ecgx_model *m, const float *x, int length,
                               ecgx_clusters_record *out);
/* Clusters of a record: prepared as the model wants (ecgx_model_prepare_record),
 * assigned at the model's rate, then brought back to the record's rate
 * (nearest model sample for the cluster, linear for the entropy). */
int ecgx_clusters_assign_record(const ecgx_clusters *c, ecgx_model *m, const ecgx_record *rec,
                                ecgx_clusters_record *out);

/* ---- a figure (render.c) ---- */
/* One lead of the record on ECG paper (the first 10 s, 25 mm/s, 10 mm/mV),
 * the cluster strip under it (colours by the wave each cluster mostly
 * covers), the entropy as an uncertainty band, and a legend naming each
 * cluster with its share. r must come from ecgx_clusters_assign_record on
 * rec. dpi 0: 150. */
int ecgx_clusters_render(const ecgx_record *rec, const ecgx_clusters *c, const ecgx_clusters_record *r, int lead,
                         double dpi, ecgx_render_format format, ecgx_figure **out);

/* ---- fitting and evaluating over a data set (fit.c, eval.c) ---- */
typedef struct ecgx_clusters_options {
    const char *layers;   /* comma-separated layer names; NULL: the last three residual blocks */
    int k;                /* > 0: given; 0: BIC over k_min..k_max */
    int k_min, k_max;     /* default 4..20 */
    int max_points;       /* reservoir of time steps the mixture is fitted on (default 200000) */
    int select_points;    /* subsample for choosing k (default 10000; at most 50 EM iterations each) */
    int pca_dims;         /* principal components the mixture sees (default 32; 0: none) */
    int fit_records;      /* pass 1 (the mixture) reads at most this many records, drawn by seed
                             (default 0: all); pass 2 (names, surrogate) reads every one */
    int step;             /* take every step-th time step of a record into the reservoir (default 2) */
    uint64_t seed;
    const char *split;    /* records to fit on (default "train") */
    int surrogate;        /* 1 (default): train the surrogate on the same records */
    int surrogate_features; /* 1: proportions; 2: and their maximum over the model's windows;
                             * 3: per window (the window's proportions -> the CNN's call on
                             * that window), a record's probability the maximum over its windows, as
                             * the CNN aggregates; 4 (default): per window as 3, plus the window's soft
                             * proportions (mean posterior per cluster), mean entropy and
                             * cluster changes per sample */
    int surrogate_target; /* 0: the CNN's calls; 1 (default): its probabilities (see ecgx_clusters) */
    int surrogate_rounds; /* boosting rounds (default 800; 0: 300) */
    int quiet;            /* no progress on stderr */
} ecgx_clusters_options;
void ecgx_clusters_options_default(ecgx_clusters_options *o);

typedef struct ecgx_clusters_fit_info {
    int n_records;          /* records of the split (pass 2) */
    int n_records_pass1;    /* records the mixture's sample came from */
    int64_t n_steps_seen;   /* time steps offered to the reservoir */
    double seconds_features, seconds_select, seconds_em, seconds_surrogate; /* surrogate: pass 2 and the trees */
    double seconds_trees;   /* of which training the trees */
    double reservoir_mib;   /* memory held by the reservoir */
    int n_k_tried;
    int k_tried[ECGX_CLUSTERS_MAX_K];
    double bic_tried[ECGX_CLUSTERS_MAX_K];
} ecgx_clusters_fit_info;

/* Fit clusters (and the surrogate) for model m on a split of ds. */
int ecgx_clusters_fit(ecgx_model *m, const ecgx_dataset *ds, const ecgx_clusters_options *o, ecgx_clusters **out,
                      ecgx_clusters_fit_info *info);

/* Evaluation of fitted clusters on a split. */
typedef struct ecgx_clusters_eval {
    int n_records, n_classes, k;
    char class_names[16][32];
    /* surrogate against the CNN's calls */
    double fidelity;                 /* all (record, class) decisions that agree */
    double fidelity_exact;           /* records whose every class agrees */
    double fidelity_class[16];
    /* on the true labels */
    double surrogate_auroc[16], cnn_auroc[16];
    double surrogate_macro_auroc, cnn_macro_auroc;
    double surrogate_accuracy, cnn_accuracy; /* over all (record, class) decisions */
    /* waves: contingency [k][ECGX_CW_N] in samples at the model's rate */
    double *contingency;
    double nmi_waves, purity_waves;
    int n_delineated;                /* records whose delineation gave beats */
    /* entropy and proportions per class (records whose true label has the class) */
    double mean_entropy;
    double class_entropy[16];
    int class_count[16];
    double *class_proportion;        /* [n_classes][k] mean proportions */
    double *proportion;              /* [k] mean over all records */
} ecgx_clusters_eval;
void ecgx_clusters_eval_free(ecgx_clusters_eval *e);

int ecgx_clusters_evaluate(const ecgx_clusters *c, ecgx_model *m, const ecgx_dataset *ds, const char *split,
                           int quiet, ecgx_clusters_eval *out);

/* ---- cross-validated fidelity (cv.c) ---- */
/* Record i's fold in 0..folds-1 [n], by seed: a shuffled round-robin deal,
 * so the folds are disjoint, cover every record and differ in size by at
 * most one; the same seed gives the same folds. */
int ecgx_clusters_cv_folds(int n, int folds, uint64_t seed, int *fold);

#define ECGX_CLUSTERS_CV_MAX_FOLDS 32
#define ECGX_CLUSTERS_CV_NR 5
/* the boosting rounds scored: 100, 200, 300, 500, 800 */
extern const int ecgx_clusters_cv_rounds[ECGX_CLUSTERS_CV_NR];
typedef struct ecgx_clusters_cv_options {
    int folds;            /* default 10 */
    uint64_t seed;        /* folds and trees (default 1) */
    const char *splits;   /* comma-separated splits pooled (default "train") */
    int surrogate_features; /* 0: the clusters file's; else that mode (ecgx_clusters_options) */
    int quiet;
} ecgx_clusters_cv_options;
void ecgx_clusters_cv_options_default(ecgx_clusters_cv_options *o);
typedef struct ecgx_clusters_cv {
    int folds, n_records;
    /* [target: 0 calls, 1 probabilities][rounds checkpoint]: fidelity over
     * every record x class decision of the held-out fold; mean and SD over
     * the folds, pooled over all held-out decisions, and per fold */
    double fidelity_mean[2][ECGX_CLUSTERS_CV_NR], fidelity_sd[2][ECGX_CLUSTERS_CV_NR];
    double fidelity_pooled[2][ECGX_CLUSTERS_CV_NR];
    double fold_fidelity[2][ECGX_CLUSTERS_CV_NR][ECGX_CLUSTERS_CV_MAX_FOLDS];
} ecgx_clusters_cv;
/* K-fold cross-validation of the surrogate on fixed clusters c (its feature
 * mode and the CNN's thresholds), both targets, every rounds checkpoint. */
int ecgx_clusters_cross_validate(const ecgx_clusters *c, ecgx_model *m, const ecgx_dataset *ds,
                                 const ecgx_clusters_cv_options *o, ecgx_clusters_cv *out);

/* ---- surrogate (surrogate.c: XGBoost) ---- */
/* Train one binary gradient-boosted tree model per class on features
 * x [n][dim] with 0/1 targets y [n][n_classes]; the boosters are stored
 * serialised in c->surrogate. */
int ecgx_clusters_surrogate_train(ecgx_clusters *c, const float *x, int n, int dim, const float *y, uint64_t seed);
/* The same with soft targets (c->surrogate_target 1: y in [0, 1], XGBoost's
 * logistic loss on probabilities) and a number of rounds (0: 300). */
int ecgx_clusters_surrogate_train_ex(ecgx_clusters *c, const float *x, int n, int dim, const float *y, int rounds,
                                     uint64_t seed);
/* Probabilities [n][n_classes]. */
int ecgx_clusters_surrogate_predict(const ecgx_clusters *c, const float *x, int n, int dim, float *prob);
/* The same from the first `rounds` trees only (0: all). */
int ecgx_clusters_surrogate_predict_ex(const ecgx_clusters *c, const float *x, int n, int dim, int rounds, float *prob);
/* The surrogate's output at or above this calls class k: 0.5 for a surrogate
 * of the calls, the CNN's threshold for a surrogate of the probabilities. */
double ecgx_clusters_surrogate_threshold(const ecgx_clusters *c, int k);

#ifdef __cplusplus
}
#endif
#endif
