/**
 * The kernel prelude of `check --header`: our own stand-ins for the few kernel headers that a tree
 * cannot give without a configured build (they pull in generated and per-architecture headers), and
 * the compiler attributes kbuild forces into every file. Everything else a header includes comes from
 * its kernel tree.
 *
 * The prelude gives what ABI headers use: fixed-size integer types, `__packed` and `__aligned`,
 * alignment, bit and rounding macros, and PAGE_SHIFT / PAGE_SIZE for the page size chosen. Every macro
 * here is a constant expression, so it can size an array.
 */

/** The page sizes a kernel can be built with: 4K, 16K, 64K. */
export const PAGE_SHIFTS = [12, 14, 16] as const;
export type PageShift = (typeof PAGE_SHIFTS)[number];

/** Forced into every compilation with `-include`, as kbuild forces compiler_types.h. */
export const FORCED_INCLUDE = 'luo-abi/compiler.h';

const COMPILER = `/* luo-abi prelude: what kbuild forces into every file (compiler attributes, kconfig tests). */
#ifndef _LUO_ABI_PRELUDE_COMPILER_H
#define _LUO_ABI_PRELUDE_COMPILER_H

#define __packed		__attribute__((__packed__))
#define __aligned(x)		__attribute__((__aligned__(x)))
#define __maybe_unused		__attribute__((__unused__))
#define __always_unused		__attribute__((__unused__))
#define __nonstring		__attribute__((__nonstring__))
#define __counted_by(member)

/* sparse annotations: nothing to the compiler */
#define __user
#define __kernel
#define __iomem
#define __force
#define __bitwise

/*
 * IS_ENABLED(CONFIG_FOO) is 1 when CONFIG_FOO or CONFIG_FOO_MODULE is defined as 1: the second
 * argument of the selector is 1 only when the option expands to the placeholder's comma.
 */
#define __luo_abi_placeholder_1			0,
#define __luo_abi_second(ignored, value, ...)	value
#define __luo_abi_set(x)			__luo_abi_set_(x)
#define __luo_abi_set_(value)			__luo_abi_set__(__luo_abi_placeholder_##value)
#define __luo_abi_set__(comma_or_junk)		__luo_abi_second(comma_or_junk 1, 0)
#define IS_BUILTIN(option)	__luo_abi_set(option)
#define IS_MODULE(option)	__luo_abi_set(option##_MODULE)
#define IS_ENABLED(option)	(IS_BUILTIN(option) || IS_MODULE(option))
#define IS_REACHABLE(option)	IS_ENABLED(option)

#endif
`;

const TYPES = `/* luo-abi prelude: the types of <linux/types.h> on a 64-bit kernel. */
#ifndef _LUO_ABI_PRELUDE_TYPES_H
#define _LUO_ABI_PRELUDE_TYPES_H

typedef unsigned char		__u8;
typedef unsigned short		__u16;
typedef unsigned int		__u32;
typedef unsigned long long	__u64;
typedef signed char		__s8;
typedef short			__s16;
typedef int			__s32;
typedef long long		__s64;

typedef __u8	u8;
typedef __u16	u16;
typedef __u32	u32;
typedef __u64	u64;
typedef __s8	s8;
typedef __s16	s16;
typedef __s32	s32;
typedef __s64	s64;

typedef __u16	__le16;
typedef __u16	__be16;
typedef __u32	__le32;
typedef __u32	__be32;
typedef __u64	__le64;
typedef __u64	__be64;
#define __aligned_u64	__u64 __attribute__((__aligned__(8)))

typedef _Bool			bool;
typedef __SIZE_TYPE__		size_t;
typedef long			ssize_t;
typedef __PTRDIFF_TYPE__	ptrdiff_t;
typedef unsigned long		uintptr_t;
typedef u64			phys_addr_t;
typedef u64			dma_addr_t;

#define DECLARE_BITMAP(name, bits) \\
	unsigned long name[((bits) + 8 * sizeof(long) - 1) / (8 * sizeof(long))]

#endif
`;

const CONST = `/* luo-abi prelude: <linux/const.h>, constants usable in C and assembly alike. */
#ifndef _LUO_ABI_PRELUDE_CONST_H
#define _LUO_ABI_PRELUDE_CONST_H

#define _AC(value, suffix)	value##suffix
#define _AT(type, value)	((type)(value))
#define _UL(x)			_AC(x, UL)
#define _ULL(x)			_AC(x, ULL)
#define _BITUL(n)		(_UL(1) << (n))
#define _BITULL(n)		(_ULL(1) << (n))
#define UL(x)			_UL(x)
#define ULL(x)			_ULL(x)

#define __ALIGN_KERNEL_MASK(x, mask)	(((x) + (mask)) & ~(mask))
#define __ALIGN_KERNEL(x, a)		__ALIGN_KERNEL_MASK(x, (__typeof__(x))(a) - 1)
#define __KERNEL_DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#endif
`;

const ALIGN = `/* luo-abi prelude: <linux/align.h>. */
#ifndef _LUO_ABI_PRELUDE_ALIGN_H
#define _LUO_ABI_PRELUDE_ALIGN_H
#include <linux/const.h>

#define ALIGN(x, a)		__ALIGN_KERNEL((x), (a))
#define ALIGN_DOWN(x, a)	__ALIGN_KERNEL((x) - ((a) - 1), (a))
#define __ALIGN_MASK(x, mask)	__ALIGN_KERNEL_MASK((x), (mask))
#define PTR_ALIGN(p, a)		((__typeof__(p))ALIGN((unsigned long)(p), (a)))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)

#endif
`;

const BUILD_BUG = `/* luo-abi prelude: <linux/build_bug.h>. */
#ifndef _LUO_ABI_PRELUDE_BUILD_BUG_H
#define _LUO_ABI_PRELUDE_BUILD_BUG_H

/*
 * A header's own size assertions are the kernel build's business: here they must not stop the
 * compilation, or a layout change would show as a compiler error instead of as the change it is.
 */
#define static_assert(expr, ...)	_Static_assert(1, "")
#define BUILD_BUG_ON(condition)		((void)0)
#define BUILD_BUG_ON_ZERO(e)		(0)

#endif
`;

const BITS = `/* luo-abi prelude: <linux/bits.h>. */
#ifndef _LUO_ABI_PRELUDE_BITS_H
#define _LUO_ABI_PRELUDE_BITS_H
#include <linux/const.h>

#define BITS_PER_BYTE		8
#define BITS_PER_LONG		(8 * __SIZEOF_LONG__)
#define BITS_PER_LONG_LONG	64
#define BIT(n)			(UL(1) << (n))
#define BIT_ULL(n)		(ULL(1) << (n))
#define BIT_MASK(n)		(UL(1) << ((n) % BITS_PER_LONG))
#define BIT_WORD(n)		((n) / BITS_PER_LONG)
#define GENMASK(high, low) \\
	(((~UL(0)) - (UL(1) << (low)) + 1) & (~UL(0) >> (BITS_PER_LONG - 1 - (high))))
#define GENMASK_ULL(high, low) \\
	(((~ULL(0)) - (ULL(1) << (low)) + 1) & (~ULL(0) >> (BITS_PER_LONG_LONG - 1 - (high))))

#endif
`;

const LOG2 = `/* luo-abi prelude: <linux/log2.h>, for constants. */
#ifndef _LUO_ABI_PRELUDE_LOG2_H
#define _LUO_ABI_PRELUDE_LOG2_H

/* gcc folds __builtin_clzll of a constant, so these size arrays too. */
#define const_ilog2(n)		((n) < 2 ? 0 : 63 - __builtin_clzll(n))
#define ilog2(n)		const_ilog2(n)
#define is_power_of_2(n)	((n) != 0 && ((n) & ((n) - 1)) == 0)
#define roundup_pow_of_two(n)	((n) < 2 ? 1UL : 1UL << (ilog2((n) - 1) + 1))
#define rounddown_pow_of_two(n)	(1UL << ilog2(n))
#define order_base_2(n)		((n) > 1 ? ilog2((n) - 1) + 1 : 0)

#endif
`;

const MATH = `/* luo-abi prelude: <linux/math.h>, for constants. */
#ifndef _LUO_ABI_PRELUDE_MATH_H
#define _LUO_ABI_PRELUDE_MATH_H
#include <linux/const.h>

#define DIV_ROUND_UP(n, d)	__KERNEL_DIV_ROUND_UP(n, d)
#define DIV_ROUND_UP_ULL(n, d)	DIV_ROUND_UP((unsigned long long)(n), (d))
#define round_up(x, y)		((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y)	((x) & ~((__typeof__(x))((y) - 1)))
#define roundup(x, y)		((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y)		((x) - ((x) % (y)))

#endif
`;

function page(shift: PageShift): string {
  return `/* luo-abi prelude: <asm/page.h>, PAGE_SHIFT as chosen (--page-shift). */
#ifndef _LUO_ABI_PRELUDE_PAGE_H
#define _LUO_ABI_PRELUDE_PAGE_H
#include <linux/const.h>

#define PAGE_SHIFT	${shift}
#define PAGE_SIZE	(_AC(1, UL) << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#endif
`;
}

/** The headers the prelude stands in for, as a message lists them. */
export function preludeHeaders(): string[] {
  return [...preludeFiles(12).keys()].filter((path) => path !== FORCED_INCLUDE).map((path) => `<${path}>`);
}

/** The prelude's files by include name (`linux/types.h`), for a kernel with 2^pageShift-byte pages. */
export function preludeFiles(pageShift: PageShift): ReadonlyMap<string, string> {
  return new Map([
    [FORCED_INCLUDE, COMPILER],
    ['linux/types.h', TYPES],
    ['linux/const.h', CONST],
    ['linux/align.h', ALIGN],
    ['linux/build_bug.h', BUILD_BUG],
    ['linux/bits.h', BITS],
    ['linux/log2.h', LOG2],
    ['linux/math.h', MATH],
    ['asm/page.h', page(pageShift)],
  ]);
}
