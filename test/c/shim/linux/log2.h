/* Test shim: the floor of log2 as an integer constant expression, for 64-bit values. */
#ifndef SHIM_LINUX_LOG2_H
#define SHIM_LINUX_LOG2_H
#define const_ilog2(n) ((int)(63 - __builtin_clzll((unsigned long long)(n))))
#define ilog2(n) const_ilog2(n)
#endif
