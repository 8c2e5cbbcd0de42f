/* Test shim: LP64. */
#ifndef SHIM_ASM_BITSPERLONG_H
#define SHIM_ASM_BITSPERLONG_H
#define BITS_PER_LONG 64
#endif
