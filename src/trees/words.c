/* Feature names in clinical words, and one SHAP value as a sentence a
 * cardiologist can read: "QRS duration 172 ms pushes CD up by 2.1 log-odds". */
#include "ecgx/trees.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct word { const char *key, *words; } word;

/* Global quantities: the column name without its unit suffix. */
static const word GLOBAL[] = {
    {"HR", "heart rate"}, {"RR_mean", "mean RR interval"}, {"RR_SD", "RR interval SD"},
    {"RMSSD", "RMSSD of RR intervals"}, {"PR", "PR interval"}, {"QRS", "QRS duration"}, {"QT", "QT interval"},
    {"QTcB", "QTc (Bazett)"}, {"QTcF", "QTc (Fridericia)"}, {"QTcFram", "QTc (Framingham)"},
    {"QTcHodges", "QTc (Hodges)"}, {"P_axis", "P axis"}, {"QRS_axis", "QRS axis"}, {"T_axis", "T axis"},
    {"SokolowLyon", "Sokolow-Lyon voltage"}, {"Cornell", "Cornell voltage"},
};

/* Per-lead amplitudes: prefix before the lead name. */
static const word LEAD[] = {
    {"P_amp", "P amplitude"}, {"Q_amp", "Q amplitude"}, {"R_amp", "R amplitude"}, {"S_amp", "S amplitude"},
    {"T_amp", "T amplitude"}, {"ST60", "ST level at J+60 ms"}, {"ST80", "ST level at J+80 ms"},
};

/* Standard lead names as a clinician writes them (aVR, not AVR). */
static const char *lead_words(const char *l)
{
    if (!strcmp(l, "AVR")) return "aVR";
    if (!strcmp(l, "AVL")) return "aVL";
    if (!strcmp(l, "AVF")) return "aVF";
    return l;
}

static int strip_unit(const char *col, char *base, size_t n, char *unit, size_t nu)
{
    static const char *units[] = {"_deg_z", "_bpm", "_ms", "_deg", "_mV", "_z", "_years"};
    size_t L = strlen(col);
    for (size_t k = 0; k < sizeof units / sizeof *units; k++) {
        size_t u = strlen(units[k]);
        if (L > u && !strcmp(col + L - u, units[k])) {
            snprintf(base, n, "%.*s", (int)(L - u), col);
            /* _z: a record z-scored lead by lead (ptbxl-filtered): amplitudes in SDs of the lead */
            const char *shown = !strcmp(units[k], "_deg_z") ? "deg, z-scored leads" : !strcmp(units[k], "_z") ? "SD, z-scored" : units[k] + 1;
            snprintf(unit, nu, "%s", shown);
            return 1;
        }
    }
    snprintf(base, n, "%s", col);
    if (nu) unit[0] = 0;
    return 0;
}

void ecgx_trees_feature_words(const char *col, char *words, size_t n_words, char *unit, size_t n_unit)
{
    char base[96], u[32];
    if (!strcmp(col, "sex_female")) {
        snprintf(words, n_words, "female sex");
        if (n_unit) unit[0] = 0;
        return;
    }
    strip_unit(col, base, sizeof base, u, sizeof u);
    if (n_unit) snprintf(unit, n_unit, "%s", u);
    if (!strcmp(base, "age")) { snprintf(words, n_words, "age"); return; }
    for (size_t k = 0; k < sizeof GLOBAL / sizeof *GLOBAL; k++)
        if (!strcmp(base, GLOBAL[k].key)) { snprintf(words, n_words, "%s", GLOBAL[k].words); return; }
    for (size_t k = 0; k < sizeof LEAD / sizeof *LEAD; k++) {
        size_t p = strlen(LEAD[k].key);
        if (!strncmp(base, LEAD[k].key, p) && base[p] == '_') {
            snprintf(words, n_words, "%s in %s", LEAD[k].words, lead_words(base + p + 1));
            return;
        }
    }
    snprintf(words, n_words, "%s", col);
    if (n_unit) unit[0] = 0;
}

void ecgx_trees_reason(const char *col, double value, double shap, const char *class_name, char *buf, size_t n)
{
    char w[128], u[32], v[64];
    ecgx_trees_feature_words(col, w, sizeof w, u, sizeof u);
    if (!isfinite(value)) snprintf(v, sizeof v, "missing");
    else if (!strcmp(col, "sex_female")) snprintf(v, sizeof v, "%s", value > 0.5 ? "(female)" : "(male)");
    else if (!strcmp(u, "ms") || !strcmp(u, "bpm") || !strncmp(u, "deg", 3) || !strcmp(u, "years"))
        snprintf(v, sizeof v, "%.0f %s", value, u);
    else snprintf(v, sizeof v, "%.2f %s", value, u);
    if (!strcmp(col, "sex_female")) snprintf(w, sizeof w, "sex");
    snprintf(buf, n, "%s %s pushes %s %s by %.2g log-odds", w, v, class_name, shap >= 0 ? "up" : "down", fabs(shap));
}
