#include "ecgx/fiducials.h"
#include "core/alloc.h"

#include <stdlib.h>

static void clear_beat(ecgx_beat *b)
{
    b->r = -1;
    b->type = 'N';
    for (int w = 0; w < ECGX_N_WAVES; w++) b->wave[w].onset = b->wave[w].peak = b->wave[w].offset = -1;
}

ecgx_fiducials *ecgx_fiducials_new(int n_beats, int n_leads)
{
    if (n_beats < 0 || n_leads < 0) {
        ecgx_error(ECGX_ERR_ARG, "fiducials: negative size");
        return NULL;
    }
    ecgx_fiducials *f = calloc(1, sizeof *f);
    if (!f) { ecgx_error(ECGX_ERR_NOMEM, "fiducials: out of memory"); return NULL; }
    f->n_beats = n_beats;
    f->n_leads = n_leads;
    f->beats = ecgx_malloc_array((size_t)n_beats, sizeof *f->beats, "fiducials");
    if (n_leads) f->per_lead = ecgx_malloc_array((size_t)n_beats * (size_t)n_leads, sizeof *f->per_lead, "fiducials");
    if (!f->beats || (n_leads && !f->per_lead)) { ecgx_fiducials_free(f); return NULL; }
    for (int i = 0; i < n_beats; i++) clear_beat(&f->beats[i]);
    for (size_t i = 0; i < (size_t)n_beats * (size_t)n_leads; i++) clear_beat(&f->per_lead[i]);
    return f;
}

void ecgx_fiducials_free(ecgx_fiducials *f)
{
    if (!f) return;
    free(f->beats);
    free(f->per_lead);
    free(f);
}

const char *ecgx_wave_name(ecgx_wave_kind w)
{
    static const char *const names[ECGX_N_WAVES] = {"P", "QRS", "T"};
    return (unsigned)w < ECGX_N_WAVES ? names[w] : "?";
}
