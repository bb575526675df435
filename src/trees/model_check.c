/* What XGBoost does not check when it loads a model: its JSON parser takes
 * trees whose child indices point anywhere, split features past the model's
 * feature count, or tree counts that disagree with the tree list, and its
 * predictor then reads out of bounds (fuzz_trees found a SEGV inside
 * PredictContribution from a file whose "num_trees" key was garbled). A trees
 * file is user input, so ecgx checks the model's structure before handing it
 * to XGBoost: the shape ecgx's own training writes (gbtree, one tree per
 * round, numerical splits, scalar leaves), every tree a proper binary tree
 * whose children come after their parent (so no cycles) and each node
 * reached once. */
#include "trees/internal.h"

#include "ecgx/common.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* A count stored by XGBoost as a decimal string ("101"); -1 when absent or not one. */
static long str_count(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring[0]) return -1;
    char *end;
    long n = strtol(v->valuestring, &end, 10);
    return *end || n < 0 ? -1 : n;
}

/* An array member of exactly n items, or NULL. */
static const cJSON *array_of(const cJSON *o, const char *key, long n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsArray(a) && cJSON_GetArraySize(a) == n ? a : NULL;
}

static int check_tree(const cJSON *t, long nf, const char *what, int ti)
{
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(t, "tree_param");
    long n = str_count(tp, "num_nodes");
    if (n < 1 || n > 1 << 24 || str_count(tp, "num_feature") != nf || str_count(tp, "size_leaf_vector") != 0 ||
        str_count(tp, "num_deleted") != 0)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: bad tree_param", what, ti);
    /* XGBoost places each tree by its "id", loading them in parallel: two
     * trees with one id are freed twice (a second fuzz finding) */
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
    if (!cJSON_IsNumber(id) || id->valuedouble != ti)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: its \"id\" is not %d", what, ti, ti);
    static const char *const per_node[] = {"left_children", "right_children", "parents",      "split_indices",
                                           "split_conditions", "default_left", "base_weights", "sum_hessian",
                                           "loss_changes"};
    for (size_t k = 0; k < sizeof per_node / sizeof per_node[0]; k++) {
        const cJSON *a = array_of(t, per_node[k], n);
        if (!a) return ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: \"%s\" is not an array of %ld nodes", what, ti, per_node[k], n);
        for (const cJSON *v = a->child; v; v = v->next)
            if (!cJSON_IsNumber(v))
                return ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: \"%s\" holds a value that is not a number", what, ti, per_node[k]);
    }
    const cJSON *cat = cJSON_GetObjectItemCaseSensitive(t, "categories_nodes");
    if (cat && cJSON_GetArraySize(cat) != 0)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: categorical splits are not supported", what, ti);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "split_type");
    if (st && (!cJSON_IsArray(st) || cJSON_GetArraySize(st) != n))
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: \"split_type\" is not an array of %ld nodes", what, ti, n);
    const cJSON *L = cJSON_GetObjectItemCaseSensitive(t, "left_children"), *R = cJSON_GetObjectItemCaseSensitive(t, "right_children"),
                *P = cJSON_GetObjectItemCaseSensitive(t, "parents"), *S = cJSON_GetObjectItemCaseSensitive(t, "split_indices");
    unsigned char *seen = calloc((size_t)n, 1);
    if (!seen) return ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
    int rc = 0;
    const cJSON *l = L->child, *r = R->child, *p = P->child, *s = S->child, *y = st ? st->child : NULL;
    for (long i = 0; i < n && !rc; i++, l = l->next, r = r->next, p = p->next, s = s->next, y = y ? y->next : NULL) {
        if (!cJSON_IsNumber(l) || !cJSON_IsNumber(r) || !cJSON_IsNumber(p) || !cJSON_IsNumber(s) || (y && !cJSON_IsNumber(y))) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: node %ld: a field is not a number", what, ti, i);
            break;
        }
        double a = l->valuedouble, b = r->valuedouble;
        if (y && y->valuedouble != 0) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: node %ld: not a numerical split", what, ti, i);
        } else if (a == -1 && b == -1) {
            /* a leaf */
        } else if (!(a > i && a < n && b > i && b < n && a != b && a == (long)a && b == (long)b)) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: node %ld: children %g and %g out of order or range", what, ti, i, a, b);
        } else if (!(s->valuedouble >= 0 && s->valuedouble < nf)) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: node %ld: split feature %g of %ld", what, ti, i, s->valuedouble, nf);
        } else if (seen[(long)a]++ || seen[(long)b]++) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: node %ld: a child reached twice", what, ti, i);
        }
    }
    /* every node but the root hangs below one parent, as "parents" says */
    p = P->child;
    for (long i = 0; i < n && !rc; i++, p = p->next)
        if (i > 0 && !seen[i]) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d: node %ld is not reached", what, ti, i);
    free(seen);
    return rc;
}

int trees_xgb_model_check(const char *json, int n_features, const char *what)
{
    cJSON *root = cJSON_Parse(json);
    if (!root) return ecgx_error(ECGX_ERR_FORMAT, "%s: not JSON", what);
    int rc = 0;
    const cJSON *learner = cJSON_GetObjectItemCaseSensitive(root, "learner");
    const cJSON *gb = cJSON_GetObjectItemCaseSensitive(learner, "gradient_booster");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(gb, "name");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(gb, "model");
    const cJSON *gp = cJSON_GetObjectItemCaseSensitive(model, "gbtree_model_param");
    long nf = str_count(cJSON_GetObjectItemCaseSensitive(learner, "learner_model_param"), "num_feature");
    long nt = str_count(gp, "num_trees");
    const cJSON *trees = nt >= 0 ? array_of(model, "trees", nt) : NULL, *info = nt >= 0 ? array_of(model, "tree_info", nt) : NULL;
    if (!cJSON_IsString(name) || strcmp(name->valuestring, "gbtree"))
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: not a gbtree model", what);
    else if (nf != n_features)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: num_feature %ld, the file lists %d features", what, nf, n_features);
    else if (str_count(gp, "num_parallel_tree") != 1 || str_count(gp, "size_leaf_vector") != 0)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: not one scalar-leaf tree per round", what);
    else if (!trees || !info)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: \"trees\" and \"tree_info\" do not hold num_trees (%ld) entries", what, nt);
    int ti = 0;
    for (const cJSON *t = trees ? trees->child : NULL, *g = info ? info->child : NULL; !rc && t; t = t->next, g = g->next, ti++) {
        if (!cJSON_IsNumber(g) || g->valuedouble != 0)
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tree %d belongs to output %g (one output only)", what, ti,
                            cJSON_IsNumber(g) ? g->valuedouble : -1.0);
        else
            rc = check_tree(t, nf, what, ti);
    }
    cJSON_Delete(root);
    return rc;
}
