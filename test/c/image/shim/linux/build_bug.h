/* The kernel's one-argument static_assert. */
#ifndef LUO_IMAGE_SHIM_BUILD_BUG_H
#define LUO_IMAGE_SHIM_BUILD_BUG_H
#define static_assert(expr, ...) _Static_assert(expr, #expr)
#endif
