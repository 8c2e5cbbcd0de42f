/* Test shim: longs needed for a bitmap of n bits. */
#ifndef SHIM_LINUX_BITOPS_H
#define SHIM_LINUX_BITOPS_H
#include <linux/math.h>
#define BITS_TO_LONGS(n) DIV_ROUND_UP(n, 64)
#endif
