#ifndef PADLOCK_CLIBUV_SHIM_H
#define PADLOCK_CLIBUV_SHIM_H
#include <uv.h>
#endif
