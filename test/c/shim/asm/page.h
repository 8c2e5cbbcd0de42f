/* Test shim: the page size, chosen with -DPAGE_SHIFT=12, 14 or 16 (4 KiB when not given). */
#ifndef SHIM_ASM_PAGE_H
#define SHIM_ASM_PAGE_H
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#endif
