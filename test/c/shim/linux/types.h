/* Test shim: what the generated headers take from the kernel's <linux/types.h> and compiler headers. */
#ifndef SHIM_LINUX_TYPES_H
#define SHIM_LINUX_TYPES_H
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
#define __packed __attribute__((__packed__))
#define PAGE_SIZE 4096UL
#endif
