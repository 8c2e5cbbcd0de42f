/* Test shim: ALIGN for a power-of-two alignment. */
#ifndef SHIM_LINUX_ALIGN_H
#define SHIM_LINUX_ALIGN_H
#define ALIGN(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#endif
