/* The heart-dipole model: lead vectors and the wave templates of each beat
 * type and condition, with the calibrations that make a template meet its
 * target (QRS duration of a bundle branch block, Sokolow-Lyon voltage of
 * LVH, the position of P for the requested PR interval). */
#include "synth/synth_internal.h"

#include <math.h>
#include <string.h>

const int synth_indep_lead[SYNTH_N_INDEP] = {
    ECGX_LEAD_I, ECGX_LEAD_II, ECGX_LEAD_V1, ECGX_LEAD_V2, ECGX_LEAD_V3, ECGX_LEAD_V4, ECGX_LEAD_V5, ECGX_LEAD_V6
};

#define DEG (3.14159265358979323846 / 180.0)

static void set3(double *v, double s, double x, double y, double z)
{
    double n = sqrt(x * x + y * y + z * z);
    v[0] = s * x / n;
    v[1] = s * y / n;
    v[2] = s * z / n;
}

/* Idealised lead field: the frontal leads as Einthoven's equilateral
 * triangle (I at 0 degrees, II at +60), the augmented leads by Goldberger's
 * equations, the precordial leads as vectors in the transverse plane at their
 * customary angles (V1 +115 degrees from the patient's left toward anterior,
 * V6 at 0), with gains for their nearness to the heart (V2-V3 largest). */
static void lead_vectors(double L[ECGX_N_STD_LEADS][3])
{
    static const double v_angle[6] = {115, 94, 75, 60, 30, 0};
    static const double v_gain[6] = {1.1, 1.5, 1.5, 1.4, 1.2, 1.0};
    static const double v_inf[6] = {0, 0, 0, 0.1, 0.15, 0.15};
    memset(L, 0, sizeof(double) * ECGX_N_STD_LEADS * 3);
    L[ECGX_LEAD_I][0] = 1;
    L[ECGX_LEAD_II][0] = 0.5;
    L[ECGX_LEAD_II][1] = sqrt(3.0) / 2;
    for (int k = 0; k < 3; k++) {
        double i = L[ECGX_LEAD_I][k], ii = L[ECGX_LEAD_II][k];
        L[ECGX_LEAD_III][k] = ii - i;
        L[ECGX_LEAD_AVR][k] = -(i + ii) / 2;
        L[ECGX_LEAD_AVL][k] = i - ii / 2;
        L[ECGX_LEAD_AVF][k] = ii - i / 2;
    }
    for (int v = 0; v < 6; v++) {
        double *l = L[ECGX_LEAD_V1 + v];
        l[0] = v_gain[v] * cos(v_angle[v] * DEG);
        l[1] = v_gain[v] * v_inf[v];
        l[2] = v_gain[v] * sin(v_angle[v] * DEG);
    }
}

static void add_event(synth_template *tp, int wave, double t, double sigma, double amp, double x, double y, double z)
{
    synth_event *e = &tp->ev[tp->n++];
    e->wave = wave;
    e->t = t;
    e->sigma = sigma;
    set3(e->d, amp, x, y, z);
}

/* Evaluate a template's wave on a fine grid: the dipole magnitude (dir NULL)
 * or its projection |dir . w|, and report where it first and last reaches
 * SYNTH_EDGE_FRACTION of its peak, and the peak. */
void synth_template_edges(const synth_template *tp, int wave, const double *dir, double *on, double *off,
                          double *peak)
{
    double lo = 1e9, hi = -1e9;
    for (int i = 0; i < tp->n; i++) {
        const synth_event *e = &tp->ev[i];
        if (e->wave != wave) continue;
        lo = fmin(lo, e->t - 5 * e->sigma);
        hi = fmax(hi, e->t + 5 * e->sigma);
    }
    *on = *off = *peak = 0;
    if (lo > hi) return;
    enum { GRID = 2048 }; /* ~0.2 ms steps over a QRS: finer than any sampling rate used */
    double v[GRID], dt = (hi - lo) / (GRID - 1), vmax = 0;
    for (int k = 0; k < GRID; k++) {
        double t = lo + k * dt, w[3] = {0, 0, 0};
        for (int i = 0; i < tp->n; i++) {
            const synth_event *e = &tp->ev[i];
            if (e->wave != wave) continue;
            double u = (t - e->t) / e->sigma, g = exp(-0.5 * u * u);
            for (int j = 0; j < 3; j++) w[j] += g * e->d[j];
        }
        v[k] = dir ? fabs(synth_dot3(dir, w)) : sqrt(synth_dot3(w, w));
        if (v[k] > vmax) { vmax = v[k]; *peak = t; }
    }
    int first = -1, last = -1;
    for (int k = 0; k < GRID; k++)
        if (v[k] >= SYNTH_EDGE_FRACTION * vmax) {
            if (first < 0) first = k;
            last = k;
        }
    if (first >= 0) { *on = lo + first * dt; *off = lo + last * dt; }
}

/* min and max over time of a template wave's projection on `dir`. */
static void template_extremes(const synth_template *tp, int wave, const double *dir, double *vmin, double *vmax)
{
    *vmin = *vmax = 0;
    for (int k = 0; k <= 2000; k++) {
        double t = -0.2 + 2e-4 * k;
        double v = 0;
        for (int i = 0; i < tp->n; i++) {
            const synth_event *e = &tp->ev[i];
            if (e->wave != wave) continue;
            double u = (t - e->t) / e->sigma;
            v += exp(-0.5 * u * u) * synth_dot3(dir, e->d);
        }
        if (v < *vmin) *vmin = v;
        if (v > *vmax) *vmax = v;
    }
}

static void rotate_frontal(double *d, double c, double s)
{
    double x = d[0], y = d[1];
    d[0] = c * x - s * y;
    d[1] = s * x + c * y;
}

static void rotate_template(synth_template *tp, double c, double s)
{
    for (int i = 0; i < tp->n; i++) rotate_frontal(tp->ev[i].d, c, s);
}

/* The sinus beat's depolarisation: septum left-to-right (small q in I, aVL,
 * V5-V6, r in V1), apex (anterior-inferior-left), lateral free wall
 * (leftward, posterior: the main R in I, II, V5-V6 and the S in V1-V2),
 * basal segments last (rightward-superior-posterior: s waves). */
static void qrs_normal(synth_template *q)
{
    add_event(q, ECGX_WAVE_QRS, -0.022, 0.008, 0.25, -0.5, 0.3, 0.8);
    add_event(q, ECGX_WAVE_QRS, -0.006, 0.010, 1.00, 0.55, 0.7, 0.35);
    add_event(q, ECGX_WAVE_QRS, 0.010, 0.011, 1.10, 0.82, 0.38, -0.45);
    add_event(q, ECGX_WAVE_QRS, 0.030, 0.010, 0.45, -0.3, -0.55, -0.75);
}

/* LBBB: the septum is activated from the right (no septal q in I/V6, no r in
 * V1), the left ventricle late and slowly through the myocardium: a broad,
 * notched leftward-posterior R (I, aVL, V5-V6) and a deep broad S in V1-V3. */
static void qrs_lbbb(synth_template *q)
{
    add_event(q, ECGX_WAVE_QRS, -0.045, 0.013, 0.30, 0.6, 0.15, -0.6);
    add_event(q, ECGX_WAVE_QRS, -0.012, 0.020, 1.05, 0.78, 0.25, -0.58);
    add_event(q, ECGX_WAVE_QRS, 0.034, 0.020, 1.00, 0.85, 0.0, -0.5);
}

/* RBBB: normal septal and left-ventricular activation, then the right
 * ventricle late and slowly: a terminal rightward-anterior force giving R'
 * in V1-V2 (rSR') and a wide S in I, aVL, V5-V6. */
static void qrs_rbbb(synth_template *q)
{
    add_event(q, ECGX_WAVE_QRS, -0.022, 0.008, 0.25, -0.5, 0.3, 0.8);
    add_event(q, ECGX_WAVE_QRS, -0.006, 0.010, 1.00, 0.55, 0.7, 0.35);
    add_event(q, ECGX_WAVE_QRS, 0.010, 0.011, 1.00, 0.82, 0.38, -0.45);
    add_event(q, ECGX_WAVE_QRS, 0.030, 0.010, 0.20, -0.3, -0.55, -0.75);
    add_event(q, ECGX_WAVE_QRS, 0.058, 0.020, 0.75, -0.55, -0.05, 0.85);
}

static void scale_qrs_time(synth_template *q, double f)
{
    for (int i = 0; i < q->n; i++) { q->ev[i].t *= f; q->ev[i].sigma *= f; }
}

static void scale_dipoles(synth_template *q, double f)
{
    for (int i = 0; i < q->n; i++)
        for (int j = 0; j < 3; j++) q->ev[i].d[j] *= f;
}

/* The requested ST deviations of the limb leads as one frontal-plane injury
 * vector v: the shortest v with L.v >= level in every elevated lead and
 * L.v <= -level in every depressed one (the other limb leads then show the
 * reciprocal change, and Einthoven's law holds). In the plane the optimum has
 * at most two active constraints, so trying every single and every pair of
 * them as equalities and keeping the shortest feasible candidate is exact. */
static int limb_st_vector(const double L[ECGX_N_STD_LEADS][3], unsigned up, unsigned down, double level,
                          double v[3])
{
    double a[6][2], b[6];
    int n = 0;
    for (int l = 0; l <= ECGX_LEAD_AVF; l++) {
        double sgn = (up >> l & 1u) ? 1 : (down >> l & 1u) ? -1 : 0;
        if (sgn == 0) continue;
        a[n][0] = sgn * L[l][0];
        a[n][1] = sgn * L[l][1];
        b[n++] = level;
    }
    v[0] = v[1] = v[2] = 0;
    if (n == 0) return 0;
    double best = 1e300, cand[2];
    for (int i = 0; i < n; i++) {
        for (int j = i; j < n; j++) {
            if (i == j) {
                double q = a[i][0] * a[i][0] + a[i][1] * a[i][1];
                cand[0] = b[i] * a[i][0] / q;
                cand[1] = b[i] * a[i][1] / q;
            } else {
                double det = a[i][0] * a[j][1] - a[i][1] * a[j][0];
                if (fabs(det) < 1e-9) continue;
                cand[0] = (b[i] * a[j][1] - a[i][1] * b[j]) / det;
                cand[1] = (a[i][0] * b[j] - b[i] * a[j][0]) / det;
            }
            int ok = 1;
            for (int k = 0; k < n && ok; k++) ok = a[k][0] * cand[0] + a[k][1] * cand[1] >= b[k] - 1e-12;
            double norm = cand[0] * cand[0] + cand[1] * cand[1];
            if (ok && norm < best) { best = norm; v[0] = cand[0]; v[1] = cand[1]; }
        }
    }
    /* No solution, or one so large that it is no longer an ST change of the
     * chosen leads but a distortion of all of them. */
    if (best > 1e299 || sqrt(best) > 3 * level)
        return ecgx_error(ECGX_ERR_ARG, "synth: the chosen limb leads point in opposing directions; their ST "
                                        "segments cannot deviate as asked with one injury vector");
    return 0;
}

static int st_model(synth_model *m)
{
    const ecgx_synth_options *o = &m->o;
    int ste = o->conditions >> ECGX_SYNTH_STE & 1u, std = o->conditions >> ECGX_SYNTH_STD & 1u;
    unsigned up = ste ? o->ste_leads : 0, down = std ? o->std_leads : 0;
    memset(m->st_lead, 0, sizeof m->st_lead);
    m->st_leads_all = up | down;
    double limb[3];
    int rc = limb_st_vector(m->lead, up, down, o->st_level, limb);
    if (rc < 0) return rc;
    m->st_lead[0] = synth_dot3(m->lead[ECGX_LEAD_I], limb);
    m->st_lead[1] = synth_dot3(m->lead[ECGX_LEAD_II], limb);
    for (int i = 2; i < SYNTH_N_INDEP; i++) {
        int l = synth_indep_lead[i];
        if (up >> l & 1u) m->st_lead[i] = o->st_level;
        if (down >> l & 1u) m->st_lead[i] = -o->st_level;
    }
    return 0;
}

/* Rotate a vector by small angles about the x, y and z axes. */
static void tilt(double *d, double ax, double ay, double az)
{
    double y = d[1], z = d[2];
    d[1] = cos(ax) * y - sin(ax) * z;
    d[2] = sin(ax) * y + cos(ax) * z;
    double x = d[0];
    z = d[2];
    d[0] = cos(ay) * x + sin(ay) * z;
    d[2] = -sin(ay) * x + cos(ay) * z;
    x = d[0];
    y = d[1];
    d[0] = cos(az) * x - sin(az) * y;
    d[1] = sin(az) * x + cos(az) * y;
}

/* With vary, every record gets its own heart: each event's dipole scaled by
 * 0.85-1.15 and tilted by up to 8 degrees about each axis, the T wave as a
 * whole 0.75-1.25, the sinus QRS 0.92-1.12 times as long. Small enough that
 * every template keeps its defining morphology (checked in the tests). */
static void jitter(synth_model *m, ecgx_rng *r)
{
    synth_template *tps[5] = {&m->p, &m->qrs_n, &m->t_n, &m->qrs_v, &m->t_v};
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < tps[k]->n; i++) {
            synth_event *e = &tps[k]->ev[i];
            double g = ecgx_rng_uniform_range(r, 0.85, 1.15);
            for (int j = 0; j < 3; j++) e->d[j] *= g;
            double ax = ecgx_rng_uniform_range(r, -8, 8) * DEG, ay = ecgx_rng_uniform_range(r, -8, 8) * DEG,
                   az = ecgx_rng_uniform_range(r, -8, 8) * DEG;
            tilt(e->d, ax, ay, az);
        }
    scale_dipoles(&m->t_n, ecgx_rng_uniform_range(r, 0.75, 1.25));
    scale_qrs_time(&m->qrs_n, ecgx_rng_uniform_range(r, 0.92, 1.12));
}

int synth_model_build(const ecgx_synth_options *resolved, synth_model *m)
{
    memset(m, 0, sizeof *m);
    m->o = *resolved;
    const ecgx_synth_options *o = &m->o;
    unsigned c = o->conditions;
    lead_vectors(m->lead);

    /* P: right atrium first (anterior-inferior), then left (leftward-posterior):
     * upright in II, biphasic in V1. Times relative to the P centre. */
    add_event(&m->p, ECGX_WAVE_P, -0.012, 0.016, 0.11, 0.15, 0.8, 0.55);
    add_event(&m->p, ECGX_WAVE_P, 0.012, 0.016, 0.10, 0.75, 0.5, -0.45);

    double t_dir[3];
    if (c >> ECGX_SYNTH_LBBB & 1u) {
        qrs_lbbb(&m->qrs_n);
        /* Discordant repolarisation: ST and T opposite to the main QRS force. */
        set3(t_dir, 1, -0.7, -0.15, 0.65);
        add_event(&m->t_n, ECGX_WAVE_T, 0.29, 0.050, 0.40, t_dir[0], t_dir[1], t_dir[2]);
        for (int k = 0; k < 3; k++) m->st_sec[k] = 0.15 * t_dir[k];
    } else if (c >> ECGX_SYNTH_RBBB & 1u) {
        qrs_rbbb(&m->qrs_n);
        /* T opposite to the terminal (R') force: inverted in V1-V2. */
        add_event(&m->t_n, ECGX_WAVE_T, 0.27, 0.045, 0.30, 0.8, 0.55, -0.25);
        set3(m->st_sec, 0.06, 0.6, 0.0, -0.8);
    } else {
        qrs_normal(&m->qrs_n);
        add_event(&m->t_n, ECGX_WAVE_T, 0.27, 0.042, 0.33, 0.65, 0.6, 0.4);
        /* LVH: the enlarged left ventricle turns the QRS leftward and up
         * (toward aVL: the R in aVL of Cornell's criterion) */
        if (c >> ECGX_SYNTH_LVH & 1u) rotate_template(&m->qrs_n, cos(-25 * DEG), sin(-25 * DEG));
    }

    /* PVC focus (unifocal for the record): right-ventricular outflow tract
     * (LBBB-like, inferior axis) or left ventricle (RBBB-like, superior axis). */
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_PVC);
    double qv[3];
    if (ecgx_rng_uniform(&r) < 0.5) {
        add_event(&m->qrs_v, ECGX_WAVE_QRS, -0.03, 0.022, 1.3, 0.35, 0.8, -0.45);
        add_event(&m->qrs_v, ECGX_WAVE_QRS, 0.03, 0.022, 1.0, 0.7, 0.45, -0.55);
    } else {
        add_event(&m->qrs_v, ECGX_WAVE_QRS, -0.03, 0.022, 1.2, -0.2, -0.6, 0.75);
        add_event(&m->qrs_v, ECGX_WAVE_QRS, 0.03, 0.022, 1.0, -0.6, -0.5, 0.55);
    }
    for (int k = 0; k < 3; k++) qv[k] = m->qrs_v.ev[0].d[k] + m->qrs_v.ev[1].d[k];
    add_event(&m->t_v, ECGX_WAVE_T, 0.33, 0.06, 0.45, -qv[0], -qv[1], -qv[2]);

    synth_pacing_model(m); /* paced and aberrant templates, spike vectors */

    /* AF f-waves: atrial activity seen best in V1 and the inferior leads. */
    set3(m->f_dir, 1, -0.15, 0.5, 0.85);

    if (o->vary) {
        ecgx_rng jr;
        ecgx_rng_seed(&jr, o->seed, SYNTH_STREAM_MORPH);
        jitter(m, &jr);
    }

    /* Rotate everything cardiac by the requested frontal-plane axis shift. */
    double ca = cos(o->axis_deg * DEG), sa = sin(o->axis_deg * DEG);
    rotate_template(&m->p, ca, sa);
    rotate_template(&m->qrs_n, ca, sa);
    rotate_template(&m->t_n, ca, sa);
    rotate_template(&m->qrs_v, ca, sa);
    rotate_template(&m->t_v, ca, sa);
    rotate_template(&m->qrs_p, ca, sa);
    rotate_template(&m->t_p, ca, sa);
    rotate_template(&m->qrs_a, ca, sa);
    rotate_frontal(m->st_sec, ca, sa);
    rotate_frontal(m->f_dir, ca, sa);

    double on, off, pk;
    if (c >> ECGX_SYNTH_LBBB & 1u || c >> ECGX_SYNTH_RBBB & 1u) {
        synth_template_edges(&m->qrs_n, ECGX_WAVE_QRS, NULL, &on, &off, &pk);
        scale_qrs_time(&m->qrs_n, o->qrs_bbb / (off - on));
    }
    if (c >> ECGX_SYNTH_LVH & 1u) {
        double mn1, mx1, mn5, mx5, mn6, mx6;
        template_extremes(&m->qrs_n, ECGX_WAVE_QRS, m->lead[ECGX_LEAD_V1], &mn1, &mx1);
        template_extremes(&m->qrs_n, ECGX_WAVE_QRS, m->lead[ECGX_LEAD_V5], &mn5, &mx5);
        template_extremes(&m->qrs_n, ECGX_WAVE_QRS, m->lead[ECGX_LEAD_V6], &mn6, &mx6);
        double sok = -mn1 + fmax(mx5, mx6);
        if (sok > 0) scale_dipoles(&m->qrs_n, o->lvh_sokolow / (sok * o->amplitude));
        /* and at least 2.2 mV Cornell voltage (RaVL + SV3), so both criteria hold */
        double mnl, mxl, mn3, mx3;
        template_extremes(&m->qrs_n, ECGX_WAVE_QRS, m->lead[ECGX_LEAD_AVL], &mnl, &mxl);
        template_extremes(&m->qrs_n, ECGX_WAVE_QRS, m->lead[ECGX_LEAD_V3], &mn3, &mx3);
        double cornell = (mxl - mn3) * o->amplitude;
        if (cornell > 0 && cornell < 2.2) scale_dipoles(&m->qrs_n, 2.2 / cornell);
    }
    synth_template_edges(&m->qrs_n, ECGX_WAVE_QRS, NULL, &m->qrs_on_n, &off, &pk);
    synth_template_edges(&m->p, ECGX_WAVE_P, NULL, &m->p_on, &off, &pk);
    synth_template_edges(&m->qrs_p, ECGX_WAVE_QRS, NULL, &m->qrs_on_p, &off, &pk);
    return st_model(m);
}
