/* Writing synthetic records with their ground truth: the WFDB record
 * (io module), LUDB-style annotation files for the fiducials, the JSON
 * sidecar, and whole labelled data sets. Every file is written atomically. */
#include "synth/synth_internal.h"
#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/io.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* LUDB's per-lead annotation extensions. */
static const char *const lead_ext[ECGX_N_STD_LEADS] = {"i", "ii", "iii", "avr", "avl", "avf",
                                                       "v1", "v2", "v3", "v4", "v5", "v6"};

static void push(ecgx_annotations *a, int64_t sample, const char *sym)
{
    ecgx_annotation *x = &a->items[a->n++];
    memset(x, 0, sizeof *x);
    x->sample = sample;
    x->code = ecgx_annot_code(sym);
}

/* "(" onset, peak symbol, ")" offset for every present wave, in time order. */
static int beats_to_annotations(const ecgx_beat *beats, int n_beats, size_t stride, ecgx_annotations *a)
{
    a->n = 0;
    a->items = ecgx_calloc_array((size_t)n_beats * 9 + 1, sizeof *a->items, "synth annotations");
    if (!a->items) return ECGX_ERR_NOMEM;
    for (int i = 0; i < n_beats; i++) {
        const ecgx_beat *b = &beats[(size_t)i * stride];
        for (int w = 0; w < ECGX_N_WAVES; w++) {
            const ecgx_wave *x = &b->wave[w];
            if (x->onset < 0) continue;
            /* MIT beat codes: V PVC, / paced, f fusion of paced and normal, a aberrated premature */
            const char *qrs = b->type == 'V' ? "V" : b->type == '/' ? "/" : b->type == 'f' ? "f" : b->type == 'a' ? "a" : "N";
            const char *sym = w == ECGX_WAVE_P ? "p" : w == ECGX_WAVE_T ? "t" : qrs;
            push(a, x->onset, "(");
            push(a, x->peak, sym);
            push(a, x->offset, ")");
        }
    }
    return 0;
}

static int write_annotations(const char *out, const char *ext, const ecgx_beat *beats, int n_beats, size_t stride)
{
    ecgx_annotations a = {0, NULL};
    int rc = beats_to_annotations(beats, n_beats, stride, &a);
    if (rc == 0) rc = ecgx_annot_write(out, ext, &a);
    free(a.items);
    return rc;
}

static cJSON *wave_json(const ecgx_wave *w)
{
    if (w->onset < 0) return cJSON_CreateNull();
    double v[3] = {(double)w->onset, (double)w->peak, (double)w->offset};
    return cJSON_CreateDoubleArray(v, 3);
}

static cJSON *lead_list_json(unsigned leads)
{
    cJSON *a = cJSON_CreateArray();
    for (int l = 0; l < ECGX_N_STD_LEADS; l++)
        if (leads >> l & 1u) cJSON_AddItemToArray(a, cJSON_CreateString(ecgx_lead_std_name(l)));
    return a;
}

static void add_seed(cJSON *o, const char *key, uint64_t seed)
{
    if (seed <= ((uint64_t)1 << 53)) {
        cJSON_AddNumberToObject(o, key, (double)seed);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
        cJSON_AddStringToObject(o, key, buf);
    }
}

static cJSON *params_json(const ecgx_synth_options *o)
{
    unsigned c = o->conditions;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "hr_bpm", o->hr);
    if (!(c >> ECGX_SYNTH_AF & 1u)) {
        cJSON_AddNumberToObject(p, "hr_std_bpm", o->hr_std > 0 ? o->hr_std : 0);
        cJSON_AddNumberToObject(p, "lf_hf", o->lf_hf);
        cJSON_AddNumberToObject(p, "pr_s", o->pr);
    }
    cJSON_AddNumberToObject(p, "resp_rate_hz", o->resp_rate);
    cJSON_AddNumberToObject(p, "amplitude", o->amplitude);
    cJSON_AddNumberToObject(p, "axis_deg", o->axis_deg);
    cJSON_AddBoolToObject(p, "vary", o->vary != 0);
    if (c & (ECGX_SYNTH_FLAG(ECGX_SYNTH_LBBB) | ECGX_SYNTH_FLAG(ECGX_SYNTH_RBBB)))
        cJSON_AddNumberToObject(p, "qrs_bbb_s", o->qrs_bbb);
    if (c & (ECGX_SYNTH_FLAG(ECGX_SYNTH_STE) | ECGX_SYNTH_FLAG(ECGX_SYNTH_STD)))
        cJSON_AddNumberToObject(p, "st_level_mv", o->st_level);
    if (c >> ECGX_SYNTH_STE & 1u) cJSON_AddItemToObject(p, "ste_leads", lead_list_json(o->ste_leads));
    if (c >> ECGX_SYNTH_STD & 1u) cJSON_AddItemToObject(p, "std_leads", lead_list_json(o->std_leads));
    if (c >> ECGX_SYNTH_LVH & 1u) cJSON_AddNumberToObject(p, "lvh_sokolow_mv", o->lvh_sokolow);
    if (c >> ECGX_SYNTH_PVC & 1u) {
        cJSON_AddNumberToObject(p, "pvc_fraction", o->pvc_fraction);
        cJSON_AddNumberToObject(p, "pvc_coupling", o->pvc_coupling);
    }
    if (c >> ECGX_SYNTH_AF & 1u) {
        cJSON_AddNumberToObject(p, "af_rr_cv", o->af_rr_cv);
        cJSON_AddNumberToObject(p, "af_f_freq_hz", o->af_f_freq);
        cJSON_AddNumberToObject(p, "af_f_amp_mv", o->af_f_amp);
    }
    cJSON *n = cJSON_AddObjectToObject(p, "noise");
    cJSON_AddNumberToObject(n, "bw_amp_mv", o->bw_amp);
    cJSON_AddNumberToObject(n, "emg_rms_mv", o->emg_rms);
    cJSON_AddNumberToObject(n, "pl_amp_mv", o->pl_amp);
    cJSON_AddNumberToObject(n, "pl_freq_hz", o->pl_freq);
    if (o->use_snr) cJSON_AddNumberToObject(n, "snr_db", o->snr_db);
    if (o->use_snr && o->snr_nst) cJSON_AddStringToObject(n, "snr_definition", "MIT-BIH noise stress test");
    if (o->em_rms > 0) cJSON_AddNumberToObject(n, "em_rms_mv", o->em_rms);
    if (o->leadoff_s > 0) cJSON_AddNumberToObject(n, "leadoff_s", o->leadoff_s);
    if (o->saturation_s > 0) cJSON_AddNumberToObject(n, "saturation_s", o->saturation_s);
    if (o->pvc_pattern) {
        static const char *pats[] = {"isolated", "bigeminy", "trigeminy", "runs"};
        cJSON_AddStringToObject(p, "pvc_pattern", pats[o->pvc_pattern & 3]);
    }
    if (o->aberrant_fraction > 0) cJSON_AddNumberToObject(p, "aberrant_fraction", o->aberrant_fraction);
    if (o->morph_change_at > 0) {
        cJSON_AddNumberToObject(p, "morph_change_at_s", o->morph_change_at);
        cJSON_AddNumberToObject(p, "morph_change_deg", o->morph_change_deg);
        cJSON_AddNumberToObject(p, "morph_change_gain", o->morph_change_gain > 0 ? o->morph_change_gain : 1);
    }
    if (o->pace_mode) {
        static const char *modes[] = {"none", "atrial", "ventricular", "dual"};
        cJSON *q = cJSON_AddObjectToObject(p, "pacing");
        cJSON_AddStringToObject(q, "mode", modes[o->pace_mode & 3]);
        cJSON_AddNumberToObject(q, "spike_width_s", o->pace_spike_width);
        cJSON_AddNumberToObject(q, "spike_amp_mv", o->pace_spike_amp);
        cJSON_AddNumberToObject(q, "av_delay_s", o->pace_av_delay);
        cJSON_AddNumberToObject(q, "fusion", o->pace_fusion);
        cJSON_AddNumberToObject(q, "pseudo_fusion", o->pace_pseudo);
        cJSON_AddNumberToObject(q, "capture_fail", o->pace_fail);
        cJSON_AddNumberToObject(q, "frontend_hz", o->frontend_hz);
    }
    return p;
}

static const char *const evidence_def[ECGX_SYNTH_N_CONDITIONS] = {
    "none",
    "QRS onset..offset of every beat, all leads (the rate is read from them)",
    "QRS onset..offset of every beat, all leads (the rate is read from them)",
    "QRS onset..offset of every beat and the T offset..next QRS onset baseline (f-waves), all leads",
    "P offset..QRS onset (the PR segment) of every conducted beat, all leads",
    "QRS onset..offset of conducted beats in I, aVL, V1, V2, V5, V6",
    "QRS onset..offset of conducted beats in I, aVL, V1, V2, V5, V6",
    "J point (QRS offset)..T peak of conducted beats in the chosen leads",
    "J point (QRS offset)..T peak of conducted beats in the chosen leads",
    "QRS onset..offset of conducted beats in aVL, V1, V5, V6",
    "QRS onset..T offset of each PVC, all leads",
};

/* Per-lead [start, end) runs of a mask. */
static cJSON *mask_json(const uint8_t *mask, int64_t n)
{
    cJSON *o = cJSON_CreateObject();
    for (int l = 0; l < ECGX_N_STD_LEADS; l++) {
        cJSON *runs = cJSON_CreateArray();
        const uint8_t *m = mask + (size_t)l * (size_t)n;
        for (int64_t s = 0; s < n;) {
            if (!m[s]) { s++; continue; }
            int64_t e = s;
            while (e < n && m[e]) e++;
            double v[2] = {(double)s, (double)e};
            cJSON_AddItemToArray(runs, cJSON_CreateDoubleArray(v, 2));
            s = e;
        }
        cJSON_AddItemToObject(o, ecgx_lead_std_name(l), runs);
    }
    return o;
}

static int truth_json(const char *path, const char *name, const ecgx_synth_options *o, const ecgx_record *rec,
                      const ecgx_fiducials *f)
{
    int64_t n = rec->n_samples;
    uint8_t *mask = ecgx_malloc_array((size_t)ECGX_N_STD_LEADS * (size_t)(n ? n : 1), 1, "synth evidence mask");
    if (!mask) return ECGX_ERR_NOMEM;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "record", name);
    cJSON_AddStringToObject(root, "generator", "ecgx synth " ECGX_VERSION_STRING);
    cJSON *conds = cJSON_AddArrayToObject(root, "conditions");
    for (int c = 0; c < ECGX_SYNTH_N_CONDITIONS; c++)
        if (o->conditions >> c & 1u) cJSON_AddItemToArray(conds, cJSON_CreateString(ecgx_synth_condition_name(c)));
    add_seed(root, "seed", o->seed);
    cJSON_AddNumberToObject(root, "fs", o->fs);
    cJSON_AddNumberToObject(root, "n_samples", (double)n);
    cJSON_AddItemToObject(root, "leads", lead_list_json(0xFFFu));
    cJSON_AddStringToObject(root, "units", "mV");
    cJSON_AddItemToObject(root, "parameters", params_json(o));
    cJSON *def = cJSON_AddObjectToObject(root, "definitions");
    cJSON_AddStringToObject(def, "samples", "0-based sample indices at fs; intervals are [start, end)");
    cJSON_AddStringToObject(def, "fiducials", "[onset, peak, offset]: first/last sample where the wave's own "
                                              "noise-free dipole magnitude (per lead: |projection|) reaches 5% of "
                                              "its peak; null when absent or cut by the record's edge");
    cJSON *beats = cJSON_AddArrayToObject(root, "beats");
    for (int i = 0; i < f->n_beats; i++) {
        const ecgx_beat *b = &f->beats[i];
        cJSON *x = cJSON_CreateObject();
        char t[2] = {b->type, 0};
        cJSON_AddStringToObject(x, "type", t);
        cJSON_AddNumberToObject(x, "r", (double)b->r);
        cJSON_AddItemToObject(x, "p", wave_json(&b->wave[ECGX_WAVE_P]));
        cJSON_AddItemToObject(x, "qrs", wave_json(&b->wave[ECGX_WAVE_QRS]));
        cJSON_AddItemToObject(x, "t", wave_json(&b->wave[ECGX_WAVE_T]));
        cJSON *pl = cJSON_AddObjectToObject(x, "per_lead");
        for (int l = 0; l < f->n_leads && l < ECGX_N_STD_LEADS; l++) {
            const ecgx_beat *y = &f->per_lead[(size_t)l * (size_t)f->n_beats + (size_t)i];
            cJSON *a = cJSON_CreateArray();
            for (int w = 0; w < ECGX_N_WAVES; w++) cJSON_AddItemToArray(a, wave_json(&y->wave[w]));
            cJSON_AddItemToObject(pl, ecgx_lead_std_name(l), a);
        }
        cJSON_AddItemToArray(beats, x);
    }
    int rc = 0;
    if (o->pace_mode) { /* spikes: [sample, chamber, captured, peak mV after the front end] */
        ecgx_synth_spike *sp = NULL;
        int nsp = 0;
        if ((rc = ecgx_synth_spikes(o, &sp, &nsp)) < 0) { cJSON_Delete(root); free(mask); return rc; }
        cJSON *a = cJSON_AddArrayToObject(root, "pace_spikes");
        for (int i = 0; i < nsp; i++) {
            cJSON *x = cJSON_CreateObject();
            char ch[2] = {sp[i].chamber, 0};
            cJSON_AddNumberToObject(x, "sample", (double)sp[i].sample);
            cJSON_AddStringToObject(x, "chamber", ch);
            cJSON_AddBoolToObject(x, "captured", sp[i].captured);
            cJSON_AddNumberToObject(x, "peak_mv", sp[i].peak_mv);
            cJSON_AddItemToArray(a, x);
        }
        free(sp);
    }
    if (o->leadoff_s > 0 || o->saturation_s > 0) { /* [start, end) and the leads hit */
        int64_t *bs = NULL, *be = NULL;
        unsigned *bl = NULL;
        int nb = 0;
        if ((rc = ecgx_synth_artefacts(o, &bs, &be, &bl, &nb)) < 0) { cJSON_Delete(root); free(mask); return rc; }
        cJSON *a = cJSON_AddArrayToObject(root, "artefacts");
        for (int i = 0; i < nb; i++) {
            cJSON *x = cJSON_CreateObject();
            double v[2] = {(double)bs[i], (double)be[i]};
            cJSON_AddItemToObject(x, "interval", cJSON_CreateDoubleArray(v, 2));
            cJSON_AddItemToObject(x, "leads", lead_list_json(bl[i]));
            cJSON_AddItemToArray(a, x);
        }
        free(bs); free(be); free(bl);
    }
    cJSON *ev = cJSON_AddObjectToObject(root, "evidence");
    for (int c = 0; c < ECGX_SYNTH_N_CONDITIONS && rc == 0; c++) {
        if (!(o->conditions >> c & 1u)) continue;
        if ((rc = ecgx_synth_evidence(o, f, n, ECGX_SYNTH_FLAG(c), mask)) < 0) break;
        cJSON *e = cJSON_AddObjectToObject(ev, ecgx_synth_condition_name(c));
        cJSON_AddStringToObject(e, "definition", evidence_def[c]);
        cJSON_AddItemToObject(e, "intervals", mask_json(mask, n));
    }
    char *text = rc == 0 ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    free(mask);
    if (rc < 0) return rc;
    if (!text) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the terminator: the buffer is written by length */
    rc = ecgx_write_file_atomic(path, text, len + 1);
    free(text);
    return rc;
}

int ecgx_synth_write(const char *out, const ecgx_synth_options *opt, int per_lead, ecgx_record **rec_out,
                     ecgx_fiducials **fid_out)
{
    if (!out || !*out || !opt) return ecgx_error(ECGX_ERR_ARG, "synth: no output path");
    if (rec_out) *rec_out = NULL;
    if (fid_out) *fid_out = NULL;
    char base[4096], name[256], path[4200];
    ecgx_strlcpy(base, out, sizeof base);
    if (ecgx_ends_with(base, ".hea")) base[strlen(base) - 4] = '\0';
    if (strlen(base) + 16 >= sizeof base) return ecgx_error(ECGX_ERR_ARG, "%s: path too long", out);
    ecgx_path_stem(base, name, sizeof name);
    ecgx_synth_options o;
    int rc = ecgx_synth_resolve(opt, &o);
    if (rc < 0) return rc;
    ecgx_record *rec = NULL;
    ecgx_fiducials *fid = NULL;
    if ((rc = ecgx_synth_generate(&o, &rec, &fid, NULL)) < 0) return rc;
    ecgx_strlcpy(rec->name, name, sizeof rec->name);
    /* gain 1000/mV (1 uV resolution) unless a lead exceeds 32 mV */
    if ((rc = ecgx_wfdb_write(base, rec, 0)) < 0) goto done;
    if ((rc = write_annotations(base, "fid", fid->beats, fid->n_beats, 1)) < 0) goto done;
    for (int l = 0; per_lead && l < ECGX_N_STD_LEADS; l++)
        if ((rc = write_annotations(base, lead_ext[l], fid->per_lead + (size_t)l * (size_t)fid->n_beats,
                                    fid->n_beats, 1)) < 0)
            goto done;
    snprintf(path, sizeof path, "%s.truth.json", base);
    rc = truth_json(path, name, &o, rec, fid);
done:
    if (rc == 0 && rec_out) { *rec_out = rec; rec = NULL; }
    if (rc == 0 && fid_out) { *fid_out = fid; fid = NULL; }
    ecgx_record_free(rec);
    ecgx_fiducials_free(fid);
    return rc;
}

uint64_t ecgx_synth_dataset_seed(uint64_t base, int i)
{
    uint64_t x = base ^ ((uint64_t)(unsigned)i * 0xA0761D6478BD642Full);
    return ecgx_splitmix64(&x) >> 11;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
        return ecgx_error(ECGX_ERR_IO, "%s: exists and is not a folder", dir);
    }
    return ecgx_error(ECGX_ERR_IO, "%s: cannot create folder: %s", dir, strerror(errno));
}

int ecgx_synth_write_dataset(const char *dir, const ecgx_synth_dataset_options *d)
{
    if (!dir || !d) return ecgx_error(ECGX_ERR_ARG, "synth: missing argument");
    if (d->n < 1 || d->n > 10000000) return ecgx_error(ECGX_ERR_RANGE, "synth: record count %d outside 1..10000000", d->n);
    if (d->n_classes < 1 || d->n_classes > ECGX_SYNTH_MAX_CLASSES)
        return ecgx_error(ECGX_ERR_RANGE, "synth: class count %d outside 1..%d", d->n_classes, ECGX_SYNTH_MAX_CLASSES);
    int rc;
    unsigned used = 0;
    for (int k = 0; k < d->n_classes; k++) { /* refuse bad classes before writing anything */
        ecgx_synth_options o = d->base, r;
        o.conditions = d->classes[k];
        if ((rc = ecgx_synth_resolve(&o, &r)) < 0) return rc;
        used |= r.conditions;
    }
    if ((rc = make_dir(dir)) < 0) return rc;

    /* Stratified split: within each class, a seeded shuffle of its records,
     * the first 80 % train, the next 10 % val, the rest test. */
    char *split = ecgx_calloc_array((size_t)d->n, 1, "synth split");
    int *idx = ecgx_malloc_array((size_t)d->n, sizeof *idx, "synth split");
    if (!split || !idx) { free(split); free(idx); return ECGX_ERR_NOMEM; }
    ecgx_rng r;
    ecgx_rng_seed(&r, d->base.seed, 0x5917);
    for (int k = 0; k < d->n_classes; k++) {
        int m = 0;
        for (int i = k; i < d->n; i += d->n_classes) idx[m++] = i;
        for (int i = m - 1; i > 0; i--) {
            int j = (int)(ecgx_rng_uniform(&r) * (i + 1));
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
        }
        int n_train = (int)lround(0.8 * m), n_val = (int)lround(0.1 * m);
        for (int i = 0; i < m; i++) split[idx[i]] = i < n_train ? 't' : i < n_train + n_val ? 'v' : 'e';
    }
    free(idx);

    size_t cap = 256 + (size_t)d->n * (64 + 2 * ECGX_SYNTH_N_CONDITIONS);
    char *csv = ecgx_malloc_array(cap, 1, "labels.csv");
    if (!csv) { free(split); return ECGX_ERR_NOMEM; }
    size_t w = (size_t)snprintf(csv, cap, "record,split,filename");
    for (int c = 0; c < ECGX_SYNTH_N_CONDITIONS; c++)
        if (used >> c & 1u) w += (size_t)snprintf(csv + w, cap - w, ",%s", ecgx_synth_condition_code(c));
    w += (size_t)snprintf(csv + w, cap - w, "\n");

    ecgx_progress pr;
    ecgx_progress_begin(&pr, "synth", d->n, d->quiet);
    rc = 0;
    for (int i = 0; i < d->n && rc == 0; i++) {
        char name[32], path[4200];
        snprintf(name, sizeof name, "synth_%05d", i);
        if (ecgx_path_join(path, sizeof path, dir, name) < 0) { rc = ecgx_error(ECGX_ERR_ARG, "%s: path too long", dir); break; }
        ecgx_synth_options o = d->base;
        o.conditions = d->classes[i % d->n_classes];
        o.seed = ecgx_synth_dataset_seed(d->base.seed, i);
        if ((rc = ecgx_synth_write(path, &o, d->per_lead, NULL, NULL)) < 0) break;
        unsigned cm = o.conditions ? o.conditions : ECGX_SYNTH_FLAG(ECGX_SYNTH_NORMAL);
        const char *sp = split[i] == 't' ? "train" : split[i] == 'v' ? "val" : "test";
        w += (size_t)snprintf(csv + w, cap - w, "%s,%s,%s", name, sp, name);
        for (int c = 0; c < ECGX_SYNTH_N_CONDITIONS; c++)
            if (used >> c & 1u) w += (size_t)snprintf(csv + w, cap - w, ",%d", (int)(cm >> c & 1u));
        w += (size_t)snprintf(csv + w, cap - w, "\n");
        ecgx_progress_update(&pr, i + 1);
    }
    ecgx_progress_end(&pr);
    if (rc == 0) {
        char path[4200];
        if (ecgx_path_join(path, sizeof path, dir, "labels.csv") < 0) rc = ecgx_error(ECGX_ERR_ARG, "%s: path too long", dir);
        else rc = ecgx_write_file_atomic(path, csv, w);
    }
    free(csv);
    free(split);
    return rc;
}
