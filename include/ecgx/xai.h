/* ecgx xai — explanations of an ecgx model's outputs: attributions on the
 * input (relevance per lead and sample) or at any layer (per channel and
 * time step), their clinical aggregation with the dsp fiducials, and the
 * evidence of which explanations to trust (deletion/insertion, randomisation
 * sanity checks, localisation on known evidence).
 *
 * Every method explains one output of the model: the LOGIT of a target class
 * (before the sigmoid/softmax). The input is the model's input tensor
 * [channel][time] after the model's own preprocessing (a 12-lead record
 * band-passed, resampled and z-scored as the model file says); the record
 * helpers below do that preprocessing. Methods (docs/xai.md defines each):
 *
 *   saliency    |d logit / d x|
 *   gxi         x * d logit / d x
 *   ig          Integrated Gradients: (x - x0) * mean over alpha of the
 *               gradient at x0 + alpha (x - x0); trapezoid or Gauss-Legendre;
 *               alpha steps batched through the model; baseline zero, a
 *               low-pass filtered or a Gaussian-blurred copy of x, or a
 *               scaled synthetic normal ECG (the commands' default for
 *               12-lead models: one the model scores as no class)
 *   smoothgrad  mean of |gradient| over noisy copies (noise tunnel over
 *               saliency); any method can be noise-tunnelled (opts.nt_samples)
 *   deeplift    DeepLIFT rescale rule against the baseline (multipliers
 *               propagated layer by layer; max pools as in captum)
 *   lrp         layer-wise relevance propagation, epsilon / gamma / alpha-beta /
 *               z-box, or a composite per layer type (default)
 *   occlusion   logit(x) - logit(x with a window of one lead set to the
 *               baseline), averaged over the windows covering each sample
 *   ablation    logit(x) - logit(x with one lead zeroed), spread evenly over
 *               that lead's samples (so the lead's sum is the drop)
 *   gradcam, hirescam, gradcampp, layercam
 *               class activation maps at a convolutional layer, mapped back
 *               to the input's time axis (time-only maps, copied to every lead)
 *
 * A model is used by one thread at a time (it owns its activations). */
#ifndef ECGX_XAI_H
#define ECGX_XAI_H

#include "ecgx/fiducials.h"
#include "ecgx/nn.h"
#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ecgx_xai_method {
    ECGX_XAI_SALIENCY = 0,
    ECGX_XAI_GXI,
    ECGX_XAI_IG,
    ECGX_XAI_SMOOTHGRAD,
    ECGX_XAI_DEEPLIFT,
    ECGX_XAI_LRP,
    ECGX_XAI_OCCLUSION,
    ECGX_XAI_ABLATION,
    ECGX_XAI_GRADCAM,
    ECGX_XAI_HIRESCAM,
    ECGX_XAI_GRADCAMPP,
    ECGX_XAI_LAYERCAM,
    ECGX_XAI_N_METHODS
} ecgx_xai_method;

typedef enum ecgx_xai_baseline {
    ECGX_BASELINE_ZERO = 0, /* all zeros (the mean of a z-scored lead) */
    ECGX_BASELINE_FILTERED, /* x low-pass filtered (zero-phase Butterworth, cut-off baseline_param Hz) */
    ECGX_BASELINE_BLURRED,  /* x convolved with a Gaussian of SD baseline_param seconds */
    ECGX_BASELINE_NORMAL    /* a synthetic normal 12-lead ECG (70 bpm) with the model's preprocessing,
                               scaled by baseline_param (default ECGX_XAI_NORMAL_SCALE): one the
                               shipped model scores below threshold for every class (docs/xai.md) */
} ecgx_xai_baseline;

/* The normal baseline's amplitude scale when neither the caller nor a model
 * chose one (ecgx_xai_make_baseline with baseline_param 0): the shipped
 * model's own choice (docs/xai.md). ecgx_xai_attribute with baseline_param 0
 * asks the model instead (ecgx_xai_normal_scale). */
#define ECGX_XAI_NORMAL_SCALE 0.69

/* The scale of the normal baseline that the model finds least like any
 * class: along the line from a flat line to the full-size normal ECG, the
 * scale at which the class most above its decision threshold (the model's
 * stored thresholds, 0.5 without them; compared as logits) is least above it,
 * searched on the grid 0.30, 0.35, ..., 1.00 and then in 0.01 steps within
 * 0.02 of the grid's best, on an input of `length` samples at fs. *p_max (may
 * be NULL) receives the largest class probability at that scale. */
int ecgx_xai_normal_scale(ecgx_model *m, int length, double fs, double *scale, double *p_max);

/* The baseline the commands use unless told otherwise: the normal baseline
 * for a model of the 12 standard leads, zero for any other input. */
ecgx_xai_baseline ecgx_xai_default_baseline(const ecgx_model *m);
/* 1 when the method compares x with a baseline (ig, deeplift, occlusion). */
int ecgx_xai_method_uses_baseline(ecgx_xai_method m);

typedef enum ecgx_xai_quadrature {
    ECGX_QUAD_TRAPEZOID = 0, /* alpha = 0, 1/(n-1), ..., 1 with trapezoid weights */
    ECGX_QUAD_GAUSS_LEGENDRE /* n Gauss-Legendre nodes on [0, 1] */
} ecgx_xai_quadrature;

typedef enum ecgx_lrp_rule {
    ECGX_LRP_COMPOSITE = 0, /* z-box at the first layer, gamma in the other convs, epsilon in linear layers */
    ECGX_LRP_EPSILON,       /* epsilon everywhere */
    ECGX_LRP_GAMMA,         /* gamma in conv and linear layers */
    ECGX_LRP_ALPHABETA,     /* alpha-beta in conv and linear layers */
    ECGX_LRP_ZBOX           /* z-box at the first layer, epsilon elsewhere */
} ecgx_lrp_rule;

typedef enum ecgx_nt_kind {
    ECGX_NT_MEAN = 0, /* SmoothGrad: mean of the attributions */
    ECGX_NT_SQ,       /* SmoothGrad-squared: mean of their squares */
    ECGX_NT_VAR       /* VarGrad: their variance */
} ecgx_nt_kind;

typedef struct ecgx_xai_options {
    ecgx_xai_method method;
    int target;              /* class index; -1 = the class with the largest logit */
    const char *layer;       /* NULL: attribute to the input; else a layer name (CAMs: default the last conv) */
    /* baselines (ig, deeplift, occlusion, deletion curves) */
    ecgx_xai_baseline baseline;
    double baseline_param;   /* filtered: cut-off Hz (default 1); blurred: Gaussian SD s (default 0.05) */
    double fs;               /* sampling rate of the input, Hz (filtered/blurred baselines; default 100) */
    /* integrated gradients */
    int steps;               /* default 64 */
    int batch;               /* alpha steps (or perturbed copies) per forward pass; 0 (default):
                                IG one step per thread (at most 16), perturbations 16 */
    ecgx_xai_quadrature quadrature;
    /* noise tunnel: nt_samples > 0 wraps the method (smoothgrad: default 16) */
    int nt_samples;
    ecgx_nt_kind nt_kind;
    double nt_sigma;         /* noise SD as a fraction of the input's range (default 0.1) */
    uint64_t seed;
    /* lrp */
    ecgx_lrp_rule lrp_rule;
    double lrp_epsilon;      /* default 1e-6 for the pure epsilon rule, 0.25 in the composite's linear layers */
    double lrp_gamma;        /* default 0.25 */
    double lrp_alpha;        /* default 2 (beta = alpha - 1) */
    /* occlusion */
    int window;              /* samples (default fs/2) */
    int stride;              /* samples (default window/2) */
    /* CAMs: 1 = no ReLU on the map (keep negative evidence) */
    int cam_signed;
} ecgx_xai_options;

/* Defaults for `method` (every field above set). */
ecgx_xai_options ecgx_xai_options_default(ecgx_xai_method method);

/* "ig" <-> ECGX_XAI_IG etc. (-1 when unknown); names as the CLI spells them. */
const char *ecgx_xai_method_name(ecgx_xai_method m);
int ecgx_xai_method_from_name(const char *name);
const char *ecgx_xai_baseline_name(ecgx_xai_baseline b);
int ecgx_xai_baseline_from_name(const char *name);
const char *ecgx_lrp_rule_name(ecgx_lrp_rule r);
int ecgx_lrp_rule_from_name(const char *name);

/* An attribution: relevance [channels][length], channel-major. On the input
 * channels are leads and length is samples; at a layer they are the layer's
 * channels and time steps. */
typedef struct ecgx_attribution {
    ecgx_xai_method method;
    int target;              /* the class explained */
    char layer[96];          /* "" = input; else the layer attributed to (CAMs: the layer the map comes from) */
    ecgx_xai_baseline baseline;
    double baseline_param;   /* the baseline's parameter as used (normal: the amplitude scale) */
    int channels, length;
    float *relevance;        /* channels * length */
    int time_only;           /* 1: the same time map in every channel (CAMs) */
    /* diagnostics */
    double logit;            /* f(x), the explained logit */
    double logit_baseline;   /* f(baseline) (ig, deeplift, occlusion); NaN when not used */
    double sum;              /* sum of relevance */
    double completeness_gap; /* ig / deeplift: |sum - (f(x) - f(x0))| / max(|f(x) - f(x0)|, 1e-6); NaN otherwise */
    double lrp_absorbed;     /* lrp: relevance absorbed by biases and stabilisers (logit = sum + absorbed) */
    double conservation;     /* lrp: sum / logit; NaN otherwise */
    int steps;               /* ig steps / noise-tunnel samples / forward passes used */
    /* the output explained (ecgx_xai_attribute_windowed): the window of the
     * input that gave the largest logit of the target. window_length = 0:
     * the whole input (ecgx_xai_attribute). */
    int window_start, window_length, n_windows;
} ecgx_attribution;

void ecgx_attribution_free(ecgx_attribution *a);

/* Explain output `opts->target` of model `m` for one input x
 * [in_channels][length]. *out receives a new attribution. The model's
 * training flag is left as it was (explanations run in evaluation mode). */
int ecgx_xai_attribute(ecgx_model *m, const float *x, int length, const ecgx_xai_options *opts,
                       ecgx_attribution **out);

/* Explain the output a windowed prediction shows (ecgx_model_predict_windows:
 * windows of `window` samples every `stride`, the logit's maximum over
 * windows): the window with the largest logit of the target (opts->target,
 * or -1: the class whose maximum is largest) is explained, so that the
 * attribution's logit is exactly the logit behind the displayed probability.
 * An input attribution is placed in the whole input's time: [C][length],
 * zero outside the window; an attribution at a layer stays the window's own.
 * An input no longer than the window is explained whole (one window).
 * window_start/window_length/n_windows say which window; baseline_logits
 * (may be NULL) receives the logits of every class on the window's baseline
 * (the one opts names). */
int ecgx_xai_attribute_windowed(ecgx_model *m, const float *x, int length, int window, int stride,
                                const ecgx_xai_options *opts, ecgx_attribution **out, float *baseline_logits);

/* The baseline x0 for x ([channels][length]) as the method would use it. */
int ecgx_xai_make_baseline(const float *x, int channels, int length, ecgx_xai_baseline kind, double param,
                           double fs, float *x0);

/* Logits for a batch of inputs [batch][in_channels][length] in evaluation
 * mode, in chunks of at most `chunk` (helper for curves and perturbations). */
int ecgx_xai_logits(ecgx_model *m, const float *x, int batch, int length, int chunk, float *logits);

/* ---- model-ready input: ecgx_model_prepare_record (ecgx/nn.h) ---- */
/* Fiducials of a record for its model-ready input: delineated (dsp) at the
 * record's own rate, per-lead beats arranged in the standard 12-lead order
 * (leads the record lacks keep -1, i.e. fall back to the global fiducials),
 * sample indices scaled to the rate fs_to. */
int ecgx_xai_record_fiducials(const ecgx_record *rec, double fs_to, ecgx_fiducials **out);
/* Relevance of the model input [channels][n_in] at rate fs_in brought to a
 * record's rate: linear interpolation onto n_out samples at fs_out, scaled
 * by fs_in/fs_out so that sums over a stretch of time are kept. */
int ecgx_xai_resample_relevance(const float *rel, int channels, int n_in, double fs_in, float *out, int64_t n_out,
                                double fs_out);
/* The model's class names (metadata "classes"), or "class<i>". */
const char *ecgx_xai_class_name(const ecgx_model *m, int i, char *buf, size_t n);
int ecgx_xai_class_from_name(const ecgx_model *m, const char *name); /* -1 when unknown */

/* ---- clinical aggregation (aggregate.c) ---- */

/* Segments of a beat. With fiducials Pon, Poff, QRSon, QRSoff, Ton, Toff of
 * a beat and the next beat's Pon (or QRSon when it has no P):
 *   P  = [Pon, Poff]          PR = (Poff, QRSon)   QRS = [QRSon, QRSoff]
 *   ST = (QRSoff, Ton)        T  = [Ton, Toff]     TP = (Toff, next Pon)
 * Samples outside every segment (before the first beat's start, after the last
 * T) are "other". */
typedef enum ecgx_segment {
    ECGX_SEG_P = 0, ECGX_SEG_PR, ECGX_SEG_QRS, ECGX_SEG_ST, ECGX_SEG_T, ECGX_SEG_TP, ECGX_SEG_OTHER,
    ECGX_N_SEGMENTS
} ecgx_segment;
const char *ecgx_segment_name(ecgx_segment s);

/* Label every sample of every lead with its segment. `fid` is at the
 * attribution's rate; per-lead fiducials are used where present (lead < the
 * fiducials' n_leads), the global ones otherwise. labels: leads * n. */
int ecgx_xai_segment_labels(const ecgx_fiducials *fid, int leads, int64_t n, uint8_t *labels);

#define ECGX_XAI_MAX_LEADS 16
/* Relevance of one attribution summarised. Positive and negative relevance
 * are kept apart: "fraction" is of the total positive relevance. */
typedef struct ecgx_xai_summary {
    int leads;
    int time_only;                                      /* from a time-only map (CAM): no lead information */
    double pos_total, neg_total;                        /* sums of positive / negative relevance */
    double lead_pos[ECGX_XAI_MAX_LEADS];                /* positive relevance per lead */
    double lead_sum[ECGX_XAI_MAX_LEADS];                /* signed sum per lead */
    double seg_pos[ECGX_XAI_MAX_LEADS][ECGX_N_SEGMENTS];/* positive relevance per lead and segment */
    double seg_n[ECGX_XAI_MAX_LEADS][ECGX_N_SEGMENTS];  /* samples per lead and segment */
} ecgx_xai_summary;

int ecgx_xai_summarize(const ecgx_attribution *a, const uint8_t *seg_labels, ecgx_xai_summary *s);

/* Average beat: relevance in windows [r - before, r + after) around each R
 * peak (beats too close to the edges skipped), averaged per lead.
 * out: leads * (before + after). Returns the number of beats used (>= 0). */
int ecgx_xai_average_beat(const ecgx_attribution *a, const int64_t *r_peaks, int n_peaks, int before,
                          int after, float *out);

/* Sentences a cardiologist reads, from a summary: where the positive
 * relevance lies, by anatomical region (inferior II/III/aVF, lateral
 * I/aVL/V5/V6, septal V1/V2, anterior V3/V4) and by segment, e.g.
 * "MI: 41 % of positive relevance in the ST segments of V2-V4". Lead names
 * are the standard 12 (the input's order). Writes a NUL-terminated text of
 * at most n bytes (lines separated by '\n'); returns its length. */
int ecgx_xai_sentences(const ecgx_xai_summary *s, const char *class_name, char *buf, size_t n);

/* Dataset-level accumulation per class (over the explained records). */
typedef struct ecgx_xai_dataset_stats {
    int n_classes, leads, beat_len;
    int *count;                 /* [class] records explained */
    double *lead_frac;          /* [class][lead] sum of the per-record positive fraction */
    double *seg_frac;           /* [class][segment] sum of the per-record positive fraction */
    double *leadseg_frac;       /* [class][lead][segment] */
    double *beat;               /* [class][lead][beat_len] sum of average beats (normalised per record) */
    int *beat_count;            /* [class] records with an average beat */
    /* relevance against predicted probability: per record (class, prob, pos_total, top-lead fraction) */
    int n_points, cap_points;
    double *points;             /* 4 per record */
    int *time_only;             /* [class] records explained by a time-only map (CAMs): no lead information */
} ecgx_xai_dataset_stats;

int ecgx_xai_dataset_stats_init(ecgx_xai_dataset_stats *d, int n_classes, int leads, int beat_len);
void ecgx_xai_dataset_stats_free(ecgx_xai_dataset_stats *d);
/* Add one record's explanation of class `cls` (beat: its average beat, NULL if none). */
int ecgx_xai_dataset_stats_add(ecgx_xai_dataset_stats *d, int cls, double prob, const ecgx_xai_summary *s,
                               const float *beat);
/* A summary with the mean fractions of class `cls` (for ecgx_xai_sentences). */
void ecgx_xai_dataset_stats_summary(const ecgx_xai_dataset_stats *d, int cls, ecgx_xai_summary *s);

/* ---- evidence of trust (trust.c) ---- */

/* Deletion (insertion = 0) or insertion (1) curve: the samples of x ranked
 * by relevance (most positive first) are replaced by the baseline x0
 * (deletion) or copied from x into x0 (insertion) in n_steps equal steps,
 * ranking by `unit` samples at a time (unit > 1: contiguous blocks of one
 * lead ranked by their summed relevance). probs (n_steps + 1) receives
 * sigmoid(logit of target) after each step; returns the area under the
 * curve (trapezoid over the fraction removed, 0..1) in *auc. */
int ecgx_xai_perturbation_curve(ecgx_model *m, const float *x, const float *x0, int length,
                                const ecgx_attribution *a, int insertion, int n_steps, int unit,
                                float *probs, double *auc);

/* The same curve for random orders of the blocks (the reference a deletion
 * AUC is read against: an explanation is informative when its deletion AUC
 * is below the random one): the mean AUC over `repeats` orders drawn from
 * `seed`, for the target class. */
int ecgx_xai_perturbation_curve_random(ecgx_model *m, const float *x, const float *x0, int length, int target,
                                       int insertion, int n_steps, int unit, int repeats, uint64_t seed,
                                       double *auc);

/* Spearman rank correlation of two equally long arrays (ties averaged);
 * of absolute values when `absolute`. */
double ecgx_xai_spearman(const float *a, const float *b, int64_t n, int absolute);

/* Cascading randomisation sanity check: re-initialise the parameterised
 * layers from the top (output) down, one more at a time, recomputing the
 * attribution after each; rho[k] = Spearman(|original|, |after k+1
 * layers randomised|). The model's weights are restored afterwards.
 * n_rho: in = room in rho, out = number of parameterised layers used. */
int ecgx_xai_randomization(ecgx_model *m, const float *x, int length, const ecgx_xai_options *opts,
                           uint64_t seed, double *rho, int *n_rho);

/* Localisation on a known evidence mask (leads * length, nonzero = evidence):
 * the fraction of positive relevance inside it (*mass), and the pointing
 * game (*hit = 1 when the most relevant sample is inside, or within
 * `tolerance` samples of it in the same lead). */
int ecgx_xai_localisation(const ecgx_attribution *a, const uint8_t *mask, int tolerance, double *mass,
                          int *hit);

#ifdef __cplusplus
}
#endif
#endif
