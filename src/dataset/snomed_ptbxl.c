/* SNOMED CT codes of the Challenge headers -> the PTB-XL diagnostic
 * superclasses (NORM, MI, STTC, CD, HYP), so that a model trained on PTB-XL
 * can be evaluated on a Challenge folder without glue (external
 * validation). Each code is placed where PTB-XL's scp_statements.csv puts
 * the SCP statement it stands for (diagnostic_class), e.g. 1st-degree AV
 * block (1AVB) and the fascicular blocks in CD, prolonged QT (LNGQT) and
 * the ischaemia and ST/T statements in STTC, the atrial overloads (LAO/LAE,
 * RAO/RAE) and voltage criteria (VCLVH) in HYP. Rhythm, axis and beat codes
 * (AF, PVC, LAD, ...) have no superclass, as in PTB-XL, and are left out.
 *
 * NORM is PTB-XL's "normal ECG", a diagnostic statement; the Challenge
 * writes PTB-XL's NORM records as 426783006 (sinus rhythm). A record is
 * therefore NORM when it has 426783006 and no code of another superclass
 * (docs/dataset.md lists the whole table). */
#include "dataset/internal.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *code, *super;
} map[] = {
    /* MI */
    {"164865005", "MI"}, /* myocardial infarction */
    {"57054005", "MI"},  /* acute myocardial infarction */
    {"54329005", "MI"},  /* anterior myocardial infarction */
    {"164867002", "MI"}, /* old myocardial infarction */
    /* STTC */
    {"428750005", "STTC"}, /* nonspecific ST-T abnormality (NST_) */
    {"164861001", "STTC"}, /* myocardial ischemia (ISC_) */
    {"413444003", "STTC"}, /* acute myocardial ischemia */
    {"413844008", "STTC"}, /* chronic myocardial ischemia */
    {"425419005", "STTC"}, /* inferior ischaemia (ISCI_) */
    {"425623009", "STTC"}, /* lateral ischaemia (ISCLA) */
    {"426434006", "STTC"}, /* anterior ischemia (ISCA_) */
    {"429622005", "STTC"}, /* ST depression (STD_) */
    {"704997005", "STTC"}, /* inferior ST segment depression */
    {"164930006", "STTC"}, /* ST interval abnormal */
    {"55930002", "STTC"},  /* ST changes */
    {"164931005", "STTC"}, /* ST elevation (STE_) */
    {"59931005", "STTC"},  /* T wave inversion (INVT) */
    {"164934002", "STTC"}, /* T wave abnormal (NT_) */
    {"111975006", "STTC"}, /* prolonged QT interval (LNGQT) */
    {"370365005", "STTC"}, /* left ventricular strain */
    /* CD */
    {"6374002", "CD"},   /* bundle branch block */
    {"59118001", "CD"},  /* right bundle branch block */
    {"713427006", "CD"}, /* complete right bundle branch block (CRBBB) */
    {"713426002", "CD"}, /* incomplete right bundle branch block (IRBBB) */
    {"164909002", "CD"}, /* left bundle branch block */
    {"733534002", "CD"}, /* complete left bundle branch block (CLBBB) */
    {"251120003", "CD"}, /* incomplete left bundle branch block (ILBBB) */
    {"445118002", "CD"}, /* left anterior fascicular block (LAFB) */
    {"445211001", "CD"}, /* left posterior fascicular block (LPFB) */
    {"270492004", "CD"}, /* 1st degree AV block (1AVB) */
    {"195042002", "CD"}, /* 2nd degree AV block (2AVB) */
    {"54016002", "CD"},  /* Mobitz type I */
    {"426183003", "CD"}, /* Mobitz type II */
    {"27885002", "CD"},  /* complete heart block (3AVB) */
    {"233917008", "CD"}, /* AV block */
    {"698252002", "CD"}, /* nonspecific intraventricular conduction disorder (IVCD) */
    {"82226007", "CD"},  /* diffuse intraventricular block */
    {"74390002", "CD"},  /* Wolff-Parkinson-White pattern (WPW) */
    {"195060002", "CD"}, /* ventricular pre-excitation */
    /* HYP */
    {"164873001", "HYP"},      /* left ventricular hypertrophy (LVH) */
    {"89792004", "HYP"},       /* right ventricular hypertrophy (RVH) */
    {"266249003", "HYP"},      /* ventricular hypertrophy */
    {"55827005", "HYP"},       /* left ventricular high voltage (VCLVH) */
    {"67741000119109", "HYP"}, /* left atrial enlargement (LAO/LAE) */
    {"446813000", "HYP"},      /* left atrial hypertrophy */
    {"253352002", "HYP"},      /* left atrial abnormality */
    {"446358003", "HYP"},      /* right atrial hypertrophy (RAO/RAE) */
    {"253339007", "HYP"},      /* right atrial abnormality */
    {"67751000119106", "HYP"}, /* right atrial high voltage */
    {"195126007", "HYP"},      /* atrial hypertrophy */
    /* NORM: only without a code of another superclass (see above) */
    {"426783006", "NORM"}, /* sinus rhythm, the Challenge's code for PTB-XL's NORM */
};

const char *ecgx_snomed_ptbxl_superclass(const char *code)
{
    for (size_t i = 0; code && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].code, code)) return map[i].super;
    return NULL;
}

int ecgx_snomed_ptbxl_count(void) { return (int)(sizeof map / sizeof map[0]); }

int ecgx_snomed_ptbxl_at(int i, const char **code, const char **superclass)
{
    if (i < 0 || i >= ecgx_snomed_ptbxl_count()) return ecgx_error(ECGX_ERR_RANGE, "SNOMED mapping: index %d", i);
    *code = map[i].code;
    *superclass = map[i].super;
    return 0;
}

/* Replace e's SNOMED codes by their superclasses (no duplicates). */
int ds_entry_snomed_to_superclasses(ds_entry *e)
{
    int has[5] = {0}, sinus = 0, other = 0;
    static const char *const names[5] = {"CD", "HYP", "MI", "NORM", "STTC"};
    for (int j = 0; j < e->n_labels; j++) {
        const char *s = ecgx_snomed_ptbxl_superclass(e->labels[j]);
        if (!s) continue;
        if (!strcmp(s, "NORM")) {
            sinus = 1;
            continue;
        }
        for (int k = 0; k < 5; k++)
            if (!strcmp(s, names[k])) has[k] = 1;
        other = 1;
    }
    if (sinus && !other) has[3] = 1;
    for (int j = 0; j < e->n_labels; j++) free(e->labels[j]);
    e->n_labels = 0;
    int rc = 0;
    for (int k = 0; k < 5 && !rc; k++)
        if (has[k]) rc = ds_entry_add_label(e, names[k]);
    return rc;
}
