/* SNOMED CT codes used by the PhysioNet/CinC Challenge 2020/2021, with the
 * Challenge's abbreviations and names: the 30 codes scored in 2021
 * (dx_mapping_scored.csv, scored = 1) and the unscored ones
 * (dx_mapping_unscored.csv). Sorted by code (numerically) for lookup.
 * The 2021 Challenge scores some pairs as one class: 733534002/164909002
 * (CLBBB/LBBB), 713427006/59118001 (CRBBB/RBBB), 284470004/63593006
 * (PAC/SVPB), 427172004/17338001 (PVC/VPB); ecgx keeps them apart, as the
 * headers write them. */
#include "ecgx/dataset.h"

#include <stdlib.h>
#include <string.h>

static const ecgx_snomed_entry table[] = {
    {"368009", "HVD", "heart valve disorder", 0},
    {"5609005", "SARR", "sinus arrest", 0},
    {"6374002", "BBB", "bundle branch block", 1},
    {"10370003", "PR", "pacing rhythm", 1},
    {"11157007", "VBig", "ventricular bigeminy", 0},
    {"13640000", "FB", "fusion beats", 0},
    {"17338001", "VPB", "ventricular premature beats", 1},
    {"17366009", "SAAWR", "sinus atrium to atrial wandering rhythm", 0},
    {"27885002", "CHB", "complete heart block", 0},
    {"29320008", "AVJR", "atrioventricular junctional rhythm", 0},
    {"39732003", "LAD", "left axis deviation", 1},
    {"47665007", "RAD", "right axis deviation", 1},
    {"49260003", "IR", "idioventricular rhythm", 0},
    {"49578007", "SPRI", "shortened pr interval", 0},
    {"50799005", "AVD", "atrioventricular dissociation", 0},
    {"53741008", "CHD", "coronary heart disease", 0},
    {"54016002", "MoI", "mobitz type i wenckebach atrioventricular block", 0},
    {"54329005", "AnMI", "anterior myocardial infarction", 0},
    {"55827005", "LVHV", "left ventricular high voltage", 0},
    {"55930002", "STC", "s t changes", 0},
    {"57054005", "AMI", "acute myocardial infarction", 0},
    {"59118001", "RBBB", "right bundle branch block", 1},
    {"59931005", "TInv", "t wave inversion", 1},
    {"60423000", "SND", "sinus node dysfunction", 0},
    {"61277005", "AIVR", "accelerated idioventricular rhythm", 0},
    {"61721007", "CVCL/CCVCL", "clockwise or counterclockwise vectorcardiographic loop", 0},
    {"63593006", "SVPB", "supraventricular premature beats", 1},
    {"65778007", "SAB", "sinoatrial block", 0},
    {"67198005", "PSVT", "paroxysmal supraventricular tachycardia", 0},
    {"74390002", "WPW", "wolff parkinson white pattern", 0},
    {"74615001", "BTS", "brady tachy syndrome", 0},
    {"75532003", "VEsB", "ventricular escape beat", 0},
    {"77867006", "SQT", "decreased qt interval", 0},
    {"81898007", "VEsR", "ventricular escape rhythm", 0},
    {"82226007", "DIB", "diffuse intraventricular block", 0},
    {"84114007", "HF", "heart failure", 0},
    {"89792004", "RVH", "right ventricular hypertrophy", 0},
    {"106068003", "ARH", "atrial rhythm", 0},
    {"111288001", "VFL", "ventricular flutter", 0},
    {"111975006", "LQT", "prolonged qt interval", 1},
    {"164861001", "MIs", "myocardial ischemia", 0},
    {"164865005", "MI", "myocardial infarction", 0},
    {"164867002", "OldMI", "old myocardial infarction", 0},
    {"164873001", "LVH", "left ventricular hypertrophy", 0},
    {"164884008", "VEB", "ventricular ectopics", 0},
    {"164889003", "AF", "atrial fibrillation", 1},
    {"164890007", "AFL", "atrial flutter", 1},
    {"164895002", "VTach", "ventricular tachycardia", 0},
    {"164896001", "VF", "ventricular fibrillation", 0},
    {"164909002", "LBBB", "left bundle branch block", 1},
    {"164912004", "PWC", "p wave change", 0},
    {"164917005", "QAb", "qwave abnormal", 1},
    {"164921003", "RAb", "r wave abnormal", 0},
    {"164930006", "STIAb", "st interval abnormal", 0},
    {"164931005", "STE", "st elevation", 0},
    {"164934002", "TAb", "t wave abnormal", 1},
    {"164937009", "UAb", "u wave abnormal", 0},
    {"164942001", "FQRS", "fqrs wave", 0},
    {"164947007", "LPR", "prolonged pr interval", 1},
    {"164951009", "abQRS", "abnormal QRS", 0},
    {"195042002", "IIAVB", "2nd degree av block", 0},
    {"195060002", "VPEx", "ventricular pre excitation", 0},
    {"195080001", "AFAFL", "atrial fibrillation and flutter", 0},
    {"195101003", "WAP", "wandering atrial pacemaker", 0},
    {"195126007", "AH", "atrial hypertrophy", 0},
    {"204384007", "CIAHB", "congenital incomplete atrioventricular heart block", 0},
    {"233892002", "AAR", "accelerated atrial escape rhythm", 0},
    {"233897008", "AVRT", "atrioventricular reentrant tachycardia", 0},
    {"233917008", "AVB", "av block", 0},
    {"251120003", "ILBBB", "incomplete left bundle branch block", 0},
    {"251139008", "ALR", "suspect arm ecg leads reversed", 0},
    {"251146004", "LQRSV", "low qrs voltages", 1},
    {"251164006", "JPC", "junctional premature complex", 0},
    {"251166008", "AVNRT", "atrioventricular node reentrant tachycardia", 0},
    {"251168009", "SVB", "supraventricular bigeminy", 0},
    {"251170000", "BPAC", "blocked premature atrial contraction", 0},
    {"251173003", "AB", "atrial bigeminy", 0},
    {"251180001", "VTrig", "ventricular trigeminy", 0},
    {"251182009", "VPVC", "paired ventricular premature complexes", 0},
    {"251187003", "AED", "atrial escape beat", 0},
    {"251198002", "CR", "clockwise rotation", 0},
    {"251199005", "CCR", "countercolockwise rotation", 0},
    {"251200008", "ICA", "indeterminate cardiac axis", 0},
    {"251205003", "PPW", "prolonged P wave", 0},
    {"251223006", "TPW", "tall p wave", 0},
    {"251259000", "HTV", "high t-voltage", 0},
    {"251266004", "VPP", "ventricular pacing pattern", 0},
    {"251268003", "AP", "atrial pacing pattern", 0},
    {"253339007", "RAAb", "right atrial abnormality", 0},
    {"253352002", "LAA", "left atrial abnormality", 0},
    {"266249003", "VH", "ventricular hypertrophy", 0},
    {"266257000", "TIA", "transient ischemic attack", 0},
    {"270492004", "IAVB", "1st degree av block", 1},
    {"282825002", "PAF", "paroxysmal atrial fibrillation", 0},
    {"284470004", "PAC", "premature atrial contraction", 1},
    {"314208002", "RAF", "rapid atrial fibrillation", 0},
    {"365413008", "PRWP", "poor R wave Progression", 1},
    {"370365005", "LVS", "left ventricular strain", 0},
    {"413444003", "AMIs", "acute myocardial ischemia", 0},
    {"413844008", "CMI", "chronic myocardial ischemia", 0},
    {"418818005", "BRU", "brugada", 0},
    {"425419005", "IIs", "inferior ischaemia", 0},
    {"425623009", "LIs", "lateral ischaemia", 0},
    {"425856008", "PVT", "paroxysmal ventricular tachycardia", 0},
    {"426177001", "SB", "sinus bradycardia", 1},
    {"426183003", "IIAVBII", "mobitz type II atrioventricular block", 0},
    {"426434006", "AnMIs", "anterior ischemia", 0},
    {"426627000", "Brady", "bradycardia", 1},
    {"426648003", "JTach", "junctional tachycardia", 0},
    {"426664006", "AJR", "accelerated junctional rhythm", 0},
    {"426749004", "CAF", "chronic atrial fibrillation", 0},
    {"426761007", "SVT", "supraventricular tachycardia", 0},
    {"426783006", "NSR", "sinus rhythm", 1},
    {"426995002", "JE", "junctional escape", 0},
    {"427084000", "STach", "sinus tachycardia", 1},
    {"427172004", "PVC", "premature ventricular contractions", 1},
    {"427393009", "SA", "sinus arrhythmia", 1},
    {"428417006", "ERe", "early repolarization", 0},
    {"428750005", "NSSTTA", "nonspecific st t abnormality", 0},
    {"429622005", "STD", "st depression", 0},
    {"445118002", "LAnFB", "left anterior fascicular block", 1},
    {"445211001", "LPFB", "left posterior fascicular block", 0},
    {"446358003", "RAH", "right atrial hypertrophy", 0},
    {"446813000", "LAH", "left atrial hypertrophy", 0},
    {"698247007", "CD", "cardiac dysrhythmia", 0},
    {"698252002", "NSIVCB", "nonspecific intraventricular conduction disorder", 1},
    {"704997005", "ISTD", "inferior ST segment depression", 0},
    {"713422000", "ATach", "atrial tachycardia", 0},
    {"713426002", "IRBBB", "incomplete right bundle branch block", 1},
    {"713427006", "CRBBB", "complete right bundle branch block", 1},
    {"733534002", "CLBBB", "complete left bundle branch block", 1},
    {"67741000119109", "LAE", "left atrial enlargement", 0},
    {"67751000119106", "RAHV", "right atrial high voltage", 0},
};

#define N_ENTRIES ((int)(sizeof table / sizeof *table))

static int cmp_code(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) return la < lb ? -1 : 1;   /* numeric order of digit strings */
    return strcmp(a, b);
}

const ecgx_snomed_entry *ecgx_snomed_lookup(const char *code)
{
    if (!code) return NULL;
    int lo = 0, hi = N_ENTRIES - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = cmp_code(code, table[mid].code);
        if (c == 0) return &table[mid];
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return NULL;
}

const ecgx_snomed_entry *ecgx_snomed_by_abbrev(const char *abbrev)
{
    for (int i = 0; abbrev && i < N_ENTRIES; i++)
        if (strcmp(table[i].abbrev, abbrev) == 0) return &table[i];
    return NULL;
}

int ecgx_snomed_count(void) { return N_ENTRIES; }

const ecgx_snomed_entry *ecgx_snomed_at(int i)
{
    return i >= 0 && i < N_ENTRIES ? &table[i] : NULL;
}
