/* Just enough of the kernel's <linux/types.h> for luo.h in a userspace test program. */
#ifndef LUO_IMAGE_SHIM_TYPES_H
#define LUO_IMAGE_SHIM_TYPES_H
#include <stdint.h>
typedef uint64_t u64;
#define __packed __attribute__((__packed__))
#ifndef PAGE_SIZE
#define PAGE_SIZE 4096
#endif
#endif
