/* Moved to the library (src/nn/nn_data.h, internal) so that training (ecgx_train_run)
 * can use it; the commands include it from here. */
#ifndef ECGX_TOOLS_NN_DATA_SHIM_H
#define ECGX_TOOLS_NN_DATA_SHIM_H
#include "nn/nn_data.h"
#endif
