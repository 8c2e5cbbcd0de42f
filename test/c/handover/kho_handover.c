// SPDX-License-Identifier: GPL-2.0
/*
 * A whole KHO handover the way the kernel writes one, and a reader that checks one luo-abi wrote:
 * KHO's root FDT with its radix tree of preserved memory, LUO's state (a luo-v4 FDT, or a raw
 * struct luo_ser from luo-v5 on), memblock's reserve_mem FDT, a client of a name luo-abi's schema
 * does not know ("kexec-metadata"), and memfd files whose folio arrays are preserved vmalloc areas.
 * Built with gcc and libfdt over the generated kho/abi headers of one set of versions (kexec_handover.h,
 * luo.h, memfd.h, memblock.h): which ones the headers are tells the program what to write.
 *
 *   kho_handover build KHO_DTB MEM REPORT BASE FOLIOS [FORGET]
 *   kho_handover check KHO_DTB MEM BASE FOLIOS
 *
 * build writes the root FDT, the memory image (loaded at BASE) and REPORT: one line per preserved
 * allocation ("preserved PA ORDER") and one per client ("client NAME PA SIZE"). FORGET names one allocation it then does not preserve (as a buggy client would not).
 * check reads an image back: every value against the formulas, every block against the radix tree.
 *
 * The content (the same formulas are in test/handover-fixtures.ts):
 * - liveupdate_num 41; one FLB "flb-0", data 0xdead000000000000, count 0;
 * - session-0: file 0 a memfd of FOLIOS folios, file 1 an empty memfd, file 2 of handler
 *   "unknown-fh-v1" with data 0xdead0000; session-1: file 0 a memfd of 700 folios; file j of
 *   session i has token i * 1000 + j;
 * - memfd m (0, 1, 2 in that order): pos 7m + 1, size folios * PAGE_SIZE, seals F_SEAL_SEAL |
 *   F_SEAL_GROW for even m and 0 for odd, flags 0; folio k: pfn 0x1000000 + m * 0x100000 + k, flags
 *   DIRTY | UPTODATE, index k; each folio page preserved (order 0);
 * - memblock regions "region-0" at 0x200000000 of 4 MiB and "region-1" at 0x300000000 of 2 pages,
 *   each preserved as the pieces its alignment allows;
 * - "kexec-metadata": version 1, previous release "6.19.0", kexec count 3 (73 bytes).
 * Clients are registered memblock, LUO, kexec-metadata; libfdt's fdt_add_subnode puts each new
 * node first, so the root lists them in the opposite order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho/abi/luo.h>
#include <linux/kho/abi/memfd.h>
#include <linux/kho/abi/memblock.h>

#if defined(KHO_SUB_TREE_PROP_NAME)
#define STATE_PROP KHO_SUB_TREE_PROP_NAME
#define SIZE_PROP KHO_SUB_TREE_SIZE_PROP_NAME
#elif defined(KHO_FDT_SUB_TREE_SIZE_PROP_NAME)
#define STATE_PROP KHO_FDT_SUB_TREE_PROP_NAME
#define SIZE_PROP KHO_FDT_SUB_TREE_SIZE_PROP_NAME
#else
#define STATE_PROP KHO_FDT_SUB_TREE_PROP_NAME
#endif

#ifdef LUO_ABI_COMPATIBLE
/* luo-v5 on: struct luo_ser is the KHO entry; chains of one-page kho_block_header_ser blocks. */
#define LUO_RAW 1
#define BLOCK_HEADER kho_block_header_ser
#define BLOCK_PAGES 1
#ifndef SIZE_PROP
#error "a raw LUO entry needs a KHO root whose client nodes say the state's size"
#endif
#else
/* luo-v4: an FDT whose luo-abi-header leads to struct luo_ser; chains of two-page blocks. */
#define BLOCK_HEADER luo_block_header_ser
#define BLOCK_PAGES 2
#endif

/* In kernel/liveupdate/kexec_handover.c, not in the ABI header: how the vmalloc area was made. */
#define KHO_VMALLOC_ALLOC 0x0001

#define LIVEUPDATE_NUM 41
#define SESSIONS 2
#define MEMFDS 3
#define FOLIO_PFN(m) (0x1000000ull + (u64)(m) * 0x100000)
#define UNKNOWN_HANDLER "unknown-fh-v1"
#define UNKNOWN_DATA 0xdead0000ull
#define FLB_DATA 0xdead000000000000ull

static unsigned folios0;

static void fail(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("kho_handover: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	va_end(args);
	exit(1);
}

/* ----- The formulas ----- */

static unsigned files_in(unsigned i) { return i == 0 ? 3 : 1; }
/* The memfd of file j of session i, or -1 for a file of another handler. */
static int memfd_of(unsigned i, unsigned j) { return i == 0 ? (j == 0 ? 0 : j == 1 ? 1 : -1) : 2; }
static unsigned folios_of(unsigned m) { return m == 0 ? folios0 : m == 1 ? 0 : 700; }
static u64 file_token(unsigned i, unsigned j) { return (u64)i * 1000 + j; }
static u64 memfd_pos(unsigned m) { return 7ull * m + 1; }
static u32 memfd_seals(unsigned m) { return m % 2 ? 0 : F_SEAL_SEAL | F_SEAL_GROW; }

static const struct { const char *name; u64 start, size; } regions[] = {
	{ "region-0", 0x200000000ull, 4ull << 20 },
	{ "region-1", 0x300000000ull, 2 * PAGE_SIZE },
};

/* ----- Physical memory: a buffer that starts at physical address `base` ----- */

static unsigned char *mem;
static size_t mem_size, mem_used;
static u64 base;
static FILE *report;
static const char *forget;

static void *phys(u64 pa, size_t len, const char *what)
{
	if (pa < base || pa - base > mem_size || len > mem_size - (pa - base))
		fail("%s: 0x%" PRIx64 " + %zu is outside memory", what, pa, len);
	return mem + (pa - base);
}

/* 2^order zeroed pages, aligned to their size as the buddy allocator gives them. */
static void *alloc_pages_order(unsigned order, u64 *pa)
{
	size_t bytes = PAGE_SIZE << order;

	mem_used = (mem_used + bytes - 1) / bytes * bytes;
	if (mem_used + bytes > mem_size)
		fail("out of memory building the image");
	*pa = base + mem_used;
	mem_used += bytes;
	return mem + (*pa - base);
}

static unsigned order_of(size_t bytes)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

/* ----- The radix tree of preserved memory (kho_radix.c's layout) ----- */

static struct kho_radix_node *radix_root;
static u64 radix_root_pa;

static u64 radix_key(u64 pa, unsigned order)
{
	return (1ull << (KHO_ORDER_0_LOG2 - order)) | (pa >> (PAGE_SHIFT + order));
}

static void radix_init(void)
{
	radix_root = alloc_pages_order(0, &radix_root_pa);
}

/* Nodes and leaves are plain zeroed pages: the next kernel reads them before it allocates. */
static void radix_add(u64 pa, unsigned order)
{
	u64 key = radix_key(pa, order);
	struct kho_radix_node *node = radix_root;
	struct kho_radix_leaf *leaf;
	int level;

	for (level = KHO_TREE_MAX_DEPTH - 1; level >= 1; level--) {
		unsigned shift = (level - 1) * KHO_TABLE_SIZE_LOG2 + KHO_BITMAP_SIZE_LOG2;
		u64 index = (key >> shift) & ((1ull << KHO_TABLE_SIZE_LOG2) - 1);
		u64 child = node->table[index];

		if (!child)
			alloc_pages_order(0, &child), node->table[index] = child;
		if (level == 1)
			break;
		node = phys(child, PAGE_SIZE, "radix node");
	}
	leaf = phys(node->table[(key >> KHO_BITMAP_SIZE_LOG2) & ((1ull << KHO_TABLE_SIZE_LOG2) - 1)], PAGE_SIZE, "radix leaf");
	key &= (1ull << KHO_BITMAP_SIZE_LOG2) - 1;
	leaf->bitmap[key / 64] |= 1ul << (key % 64);
}

static void preserve(u64 pa, unsigned order, const char *label)
{
	if (forget && !strcmp(forget, label))
		return;
	radix_add(pa, order);
	fprintf(report, "preserved %" PRIu64 " %u\n", pa, order);
}

/* kho_preserve_pages: the range split into pieces as large as their alignment allows. */
static void preserve_pages(u64 pa, u64 pages, const char *label)
{
	u64 pfn = pa >> PAGE_SHIFT, end = pfn + pages;

	while (pfn < end) {
		unsigned order = 0;

		while (!(pfn & (1ull << order)) && pfn + (2ull << order) <= end)
			order++;
		preserve(pfn << PAGE_SHIFT, order, label);
		pfn += 1ull << order;
	}
}

/* kho_alloc_preserve: zeroed pages of the order the size needs, preserved as one folio. */
static void *alloc_preserve(size_t bytes, u64 *pa, const char *label)
{
	unsigned order = order_of(bytes);
	void *p = alloc_pages_order(order, pa);

	preserve(*pa, order, label);
	return p;
}

/* ----- Building, as the kernel serialises ----- */

#define FDT_TRY(call) do { int err_ = (call); if (err_ < 0) fail("%s: %s", #call, fdt_strerror(err_)); } while (0)

/* kho_preserve_vmalloc of an array of `count` folio entries: the area's pages, then the chunks listing them. */
static void build_folios(struct kho_vmalloc *area, unsigned m)
{
	unsigned count = folios_of(m), per_page = PAGE_SIZE / sizeof(struct memfd_luo_folio_ser);
	unsigned pages = (count * sizeof(struct memfd_luo_folio_ser) + PAGE_SIZE - 1) / PAGE_SIZE, p, k;
	struct kho_vmalloc_chunk *chunk = NULL;
	u64 page_pa[pages ? pages : 1];
	char label[64];

	memset(area, 0, sizeof(*area));
	if (!count)
		return;
	for (p = 0; p < pages; p++) {
		struct memfd_luo_folio_ser *folios = alloc_pages_order(0, &page_pa[p]);

		snprintf(label, sizeof(label), "memfd-area-%u-page-%u", m, p);
		preserve(page_pa[p], 0, label);
		for (k = p * per_page; k < count && k < (p + 1) * per_page; k++) {
			folios[k - p * per_page].pfn = FOLIO_PFN(m) + k;
			folios[k - p * per_page].flags = MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE;
			folios[k - p * per_page].index = k;
		}
	}
	for (p = 0; p < pages; p++) {
		if (p % KHO_VMALLOC_SIZE == 0) {
			u64 pa;
			struct kho_vmalloc_chunk *next = alloc_pages_order(0, &pa);

			snprintf(label, sizeof(label), "memfd-chunk-%u-%u", m, p / (unsigned)KHO_VMALLOC_SIZE);
			preserve(pa, 0, label);
			if (chunk)
				chunk->hdr.next.phys = pa;
			else
				area->first.phys = pa;
			chunk = next;
		}
		chunk->phys[p % KHO_VMALLOC_SIZE] = page_pa[p];
	}
	area->total_pages = pages;
	area->flags = KHO_VMALLOC_ALLOC;
	area->order = 0;
	for (k = 0; k < count; k++)
		preserve((FOLIO_PFN(m) + k) << PAGE_SHIFT, 0, "folio");
}

static u64 build_memfd(unsigned m)
{
	u64 pa;
	char label[32];
	struct memfd_luo_ser *ser;
	struct kho_vmalloc folios;

	snprintf(label, sizeof(label), "memfd-ser-%u", m);
	ser = alloc_preserve(sizeof(*ser), &pa, label);
	ser->pos = memfd_pos(m);
	ser->size = (u64)folios_of(m) * PAGE_SIZE;
	ser->seals = memfd_seals(m);
	ser->flags = 0;
	ser->nr_folios = folios_of(m);
	/* The struct is packed: the area is built beside it, then copied in. */
	build_folios(&folios, m);
	ser->folios = folios;
	return pa;
}

/* A chain of blocks of `count` entries of `size` bytes, each filled by `fill`; its first block. */
static u64 build_chain(unsigned count, size_t size, void (*fill)(void *entry, unsigned index, unsigned owner), unsigned owner, const char *what)
{
	const unsigned per_block = (BLOCK_PAGES * PAGE_SIZE - sizeof(struct BLOCK_HEADER)) / size;
	struct BLOCK_HEADER *block = NULL;
	u64 first = 0;
	unsigned n, blocks = 0;
	char label[48];

	for (n = 0; n < count; n++) {
		if (!block || block->count == per_block) {
			u64 pa;
			struct BLOCK_HEADER *next;

			snprintf(label, sizeof(label), "%s-block-%u-%u", what, owner, blocks++);
			next = alloc_preserve(BLOCK_PAGES * PAGE_SIZE, &pa, label);
			if (block)
				block->next = pa;
			else
				first = pa;
			block = next;
		}
		fill((unsigned char *)(block + 1) + block->count++ * size, n, owner);
	}
	return first;
}

static void fill_file(void *entry, unsigned j, unsigned i)
{
	struct luo_file_ser *f = entry;
	int m = memfd_of(i, j);

	if (m >= 0) {
		strcpy(f->compatible, MEMFD_LUO_FH_COMPATIBLE);
		f->data = build_memfd(m);
	} else {
		strcpy(f->compatible, UNKNOWN_HANDLER);
		f->data = UNKNOWN_DATA;
	}
	f->token = file_token(i, j);
}

static void fill_session(void *entry, unsigned i, unsigned owner)
{
	struct luo_session_ser *s = entry;

	(void)owner;
	snprintf(s->name, sizeof(s->name), "session-%u", i);
	s->file_set_ser.files = build_chain(files_in(i), sizeof(struct luo_file_ser), fill_file, i, "file");
	s->file_set_ser.count = files_in(i);
}

static u64 build_flbs(void)
{
	u64 pa;
	struct luo_flb_header_ser *header = alloc_preserve(PAGE_SIZE, &pa, "flb-block");
	struct luo_flb_ser *flb = (struct luo_flb_ser *)(header + 1);

	header->pgcnt = 1;
	header->count = 1;
	strcpy(flb->name, "flb-0");
	flb->data = FLB_DATA;
	flb->count = 0;
	return pa;
}

static u64 build_luo_ser(void)
{
	u64 pa;
	struct luo_ser *ser = alloc_preserve(sizeof(*ser), &pa, "luo_ser");

#ifdef LUO_RAW
	strcpy(ser->compatible, LUO_ABI_COMPATIBLE);
#endif
	ser->liveupdate_num = LIVEUPDATE_NUM;
	ser->sessions_pa = build_chain(SESSIONS, sizeof(struct luo_session_ser), fill_session, 0, "session");
	ser->flbs_pa = build_flbs();
	return pa;
}

/* LUO's state: its KHO entry's address and size. */
static u64 build_luo(u64 *size)
{
#ifdef LUO_RAW
	*size = sizeof(struct luo_ser);
	return build_luo_ser();
#else
	u64 pa, ser;
	void *fdt = alloc_preserve(LUO_FDT_SIZE, &pa, "luo-fdt");

	FDT_TRY(fdt_create(fdt, LUO_FDT_SIZE));
	FDT_TRY(fdt_finish_reservemap(fdt));
	FDT_TRY(fdt_begin_node(fdt, ""));
	FDT_TRY(fdt_property_string(fdt, "compatible", LUO_FDT_COMPATIBLE));
	ser = build_luo_ser();
	FDT_TRY(fdt_property(fdt, LUO_FDT_ABI_HEADER, &ser, sizeof(ser)));
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_finish(fdt));
	*size = fdt_totalsize(fdt);
	return pa;
#endif
}

static u64 build_memblock(u64 *size)
{
	u64 pa;
	void *fdt = alloc_preserve(PAGE_SIZE, &pa, "memblock-fdt");
	unsigned r;

	FDT_TRY(fdt_create(fdt, PAGE_SIZE));
	FDT_TRY(fdt_finish_reservemap(fdt));
	FDT_TRY(fdt_begin_node(fdt, ""));
	FDT_TRY(fdt_property_string(fdt, "compatible", MEMBLOCK_KHO_NODE_COMPATIBLE));
	for (r = 0; r < sizeof(regions) / sizeof(regions[0]); r++) {
		FDT_TRY(fdt_begin_node(fdt, regions[r].name));
		FDT_TRY(fdt_property_string(fdt, "compatible", RESERVE_MEM_KHO_NODE_COMPATIBLE));
		FDT_TRY(fdt_property(fdt, "start", &regions[r].start, sizeof(u64)));
		FDT_TRY(fdt_property(fdt, "size", &regions[r].size, sizeof(u64)));
		FDT_TRY(fdt_end_node(fdt));
		preserve_pages(regions[r].start, regions[r].size / PAGE_SIZE, regions[r].name);
	}
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_finish(fdt));
	*size = fdt_totalsize(fdt);
	return pa;
}

/* A client the schema does not know: struct kho_kexec_metadata of kexec_metadata.h, written by hand. */
static u64 build_metadata(u64 *size)
{
	u64 pa;
	unsigned char *blob = alloc_preserve(73, &pa, "metadata");
	u32 version = 1, count = 3;

	memcpy(blob, &version, 4);
	strcpy((char *)blob + 4, "6.19.0");
	memcpy(blob + 69, &count, 4);
	*size = 73;
	return pa;
}

static void add_client(void *root, const char *name, u64 pa, u64 size)
{
	int node = fdt_add_subnode(root, 0, name);
	fprintf(report, "client %s %" PRIu64 " %" PRIu64 "\n", name, pa, size);
	if (node < 0)
		fail("fdt_add_subnode(%s): %s", name, fdt_strerror(node));
	FDT_TRY(fdt_setprop(root, node, STATE_PROP, &pa, sizeof(pa)));
#ifdef SIZE_PROP
	FDT_TRY(fdt_setprop(root, node, SIZE_PROP, &size, sizeof(size)));
#else
	(void)size;
#endif
}

static void build(const char *fdt_path, const char *mem_path)
{
	char root[4096];
	u64 pa, size;
	FILE *out;

	radix_init();
	/* The root FDT is written at init: its string and the tree's root; clients are added as they register. */
	FDT_TRY(fdt_create_empty_tree(root, sizeof(root)));
	FDT_TRY(fdt_setprop_string(root, 0, "compatible", KHO_FDT_COMPATIBLE));
	FDT_TRY(fdt_setprop(root, 0, KHO_FDT_MEMORY_MAP_PROP_NAME, &radix_root_pa, sizeof(u64)));
	pa = build_memblock(&size);
	add_client(root, MEMBLOCK_KHO_FDT, pa, size);
	pa = build_luo(&size);
	add_client(root, "LUO", pa, size);
	pa = build_metadata(&size);
	add_client(root, "kexec-metadata", pa, size);
	FDT_TRY(fdt_pack(root));

	out = fopen(fdt_path, "wb");
	if (!out || fwrite(root, fdt_totalsize(root), 1, out) != 1 || fclose(out))
		fail("cannot write %s: %s", fdt_path, strerror(errno));
	out = fopen(mem_path, "wb");
	if (!out || fwrite(mem, mem_used, 1, out) != 1 || fclose(out))
		fail("cannot write %s: %s", mem_path, strerror(errno));
}

/* ----- Checking an image luo-abi wrote: values against the formulas, blocks against the tree ----- */

static const void *kho_fdt;

#include "../common/fdt_u64.h"

static void expect_u64(u64 got, u64 want, const char *what)
{
	if (got != want)
		fail("%s: 0x%" PRIx64 ", expected 0x%" PRIx64, what, got, want);
}

static void expect_string(const char *got, size_t size, const char *want, const char *what)
{
	if (strnlen(got, size) == size || strcmp(got, want))
		fail("%s: \"%.*s\", expected \"%s\"", what, (int)size, got, want);
}

/* Whether the page at `pa` is preserved: a set bit for it at some order in the tree. */
static int page_preserved(u64 pa)
{
	unsigned order;

	for (order = 0; order <= KHO_ORDER_0_LOG2; order++) {
		u64 key = radix_key(pa & ~((PAGE_SIZE << order) - 1), order);
		u64 at = radix_root_pa;
		int level;

		for (level = KHO_TREE_MAX_DEPTH - 1; level >= 1 && at; level--) {
			unsigned shift = (level - 1) * KHO_TABLE_SIZE_LOG2 + KHO_BITMAP_SIZE_LOG2;
			const struct kho_radix_node *node = phys(at, sizeof(*node), "radix node");

			at = node->table[(key >> shift) & ((1ull << KHO_TABLE_SIZE_LOG2) - 1)];
		}
		if (at) {
			const struct kho_radix_leaf *leaf = phys(at, sizeof(*leaf), "radix leaf");
			u64 bit = key & ((1ull << KHO_BITMAP_SIZE_LOG2) - 1);

			if (leaf->bitmap[bit / 64] & (1ul << (bit % 64)))
				return 1;
		}
	}
	return 0;
}

/* `len` bytes at `pa`, which the next kernel must get back: every page preserved. */
static const void *preserved(u64 pa, size_t len, const char *what)
{
	u64 page;

	for (page = pa & ~(PAGE_SIZE - 1); page < pa + len; page += PAGE_SIZE)
		if (!page_preserved(page))
			fail("%s at 0x%" PRIx64 ": page 0x%" PRIx64 " is not preserved", what, pa, page);
	return phys(pa, len, what);
}

static void check_memfd(u64 pa, unsigned m)
{
	const struct memfd_luo_ser *ser = preserved(pa, sizeof(*ser), "memfd_luo_ser");
	unsigned count = folios_of(m), k = 0, i, per_page = PAGE_SIZE / sizeof(struct memfd_luo_folio_ser);
	u64 chunk_pa, pages = 0;

	expect_u64(ser->pos, memfd_pos(m), "memfd pos");
	expect_u64(ser->size, (u64)count * PAGE_SIZE, "memfd size");
	expect_u64(ser->seals, memfd_seals(m), "memfd seals");
	expect_u64(ser->flags, 0, "memfd flags");
	expect_u64(ser->nr_folios, count, "memfd nr_folios");
	if (!count) {
		expect_u64(ser->folios.first.phys, 0, "an empty memfd's first chunk");
		return;
	}
	if (ser->folios.order != 0)
		fail("memfd %u: the folio area has order %u", m, ser->folios.order);
	for (chunk_pa = ser->folios.first.phys; chunk_pa; chunk_pa = ((const struct kho_vmalloc_chunk *)phys(chunk_pa, PAGE_SIZE, "chunk"))->hdr.next.phys) {
		const struct kho_vmalloc_chunk *chunk = preserved(chunk_pa, sizeof(*chunk), "kho_vmalloc_chunk");

		for (i = 0; i < KHO_VMALLOC_SIZE && chunk->phys[i]; i++, pages++) {
			const struct memfd_luo_folio_ser *folios = preserved(chunk->phys[i], PAGE_SIZE, "folio page");
			unsigned n;

			for (n = 0; n < per_page && k < count; n++, k++) {
				expect_u64(folios[n].pfn, FOLIO_PFN(m) + k, "folio pfn");
				expect_u64(folios[n].flags, MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE, "folio flags");
				expect_u64(folios[n].index, k, "folio index");
				if (!page_preserved((FOLIO_PFN(m) + k) << PAGE_SHIFT))
					fail("memfd %u: folio %u is not preserved", m, k);
			}
		}
	}
	expect_u64(pages, ser->folios.total_pages, "pages the chunks list");
	expect_u64(k, count, "folios read");
}

/* A chain's entries, each checked by `check`; the number read. */
static unsigned check_chain(u64 pa, size_t size, void (*check)(const void *entry, unsigned index, unsigned owner), unsigned owner)
{
	const unsigned per_block = (BLOCK_PAGES * PAGE_SIZE - sizeof(struct BLOCK_HEADER)) / size;
	unsigned n = 0;

	while (pa) {
		const struct BLOCK_HEADER *block = preserved(pa, sizeof(*block), "block");
		unsigned k;

		if (block->count > per_block)
			fail("a block holds %" PRIu64 " entries of at most %u", (u64)block->count, per_block);
		preserved(pa, sizeof(*block) + block->count * size, "block entries");
		for (k = 0; k < block->count; k++)
			check((const unsigned char *)(block + 1) + k * size, n++, owner);
		pa = block->next;
	}
	return n;
}

static void check_file(const void *entry, unsigned j, unsigned i)
{
	const struct luo_file_ser *f = entry;
	int m = memfd_of(i, j);

	expect_string(f->compatible, sizeof(f->compatible), m >= 0 ? MEMFD_LUO_FH_COMPATIBLE : UNKNOWN_HANDLER, "file handler");
	expect_u64(f->token, file_token(i, j), "file token");
	if (m >= 0)
		check_memfd(f->data, m);
	else
		expect_u64(f->data, UNKNOWN_DATA, "unknown handler's data");
}

static void check_session(const void *entry, unsigned i, unsigned owner)
{
	const struct luo_session_ser *s = entry;
	char want[LIVEUPDATE_SESSION_NAME_LENGTH];

	(void)owner;
	snprintf(want, sizeof(want), "session-%u", i);
	expect_string(s->name, sizeof(s->name), want, "session name");
	expect_u64(s->file_set_ser.count, files_in(i), "file count");
	expect_u64(check_chain(s->file_set_ser.files, sizeof(struct luo_file_ser), check_file, i), files_in(i), "files read");
}

static void check_luo_ser(u64 pa)
{
	const struct luo_ser *ser = preserved(pa, sizeof(*ser), "luo_ser");
	const struct luo_flb_header_ser *flbs;
	const struct luo_flb_ser *flb;

#ifdef LUO_RAW
	expect_string(ser->compatible, sizeof(ser->compatible), LUO_ABI_COMPATIBLE, "luo_ser compatible");
#endif
	expect_u64(ser->liveupdate_num, LIVEUPDATE_NUM, "liveupdate_num");
	expect_u64(check_chain(ser->sessions_pa, sizeof(struct luo_session_ser), check_session, 0), SESSIONS, "sessions read");
	flbs = preserved(ser->flbs_pa, sizeof(*flbs) + sizeof(*flb), "FLB block");
	expect_u64(flbs->count, 1, "FLB count");
	flb = (const struct luo_flb_ser *)(flbs + 1);
	expect_string(flb->name, sizeof(flb->name), "flb-0", "FLB name");
	expect_u64(flb->data, FLB_DATA, "FLB data");
}

static void check_luo(u64 pa, u64 size)
{
#ifdef LUO_RAW
	expect_u64(size, sizeof(struct luo_ser), "LUO's size");
	check_luo_ser(pa);
#else
	const void *fdt = preserved(pa, 40, "LUO FDT header");

	if (fdt_check_header(fdt))
		fail("LUO's FDT has a bad header");
	preserved(pa, fdt_totalsize(fdt), "LUO FDT");
	(void)size;
#ifdef SIZE_PROP
	expect_u64(size, fdt_totalsize(fdt), "LUO's size");
#endif
	if (fdt_node_check_compatible(fdt, 0, LUO_FDT_COMPATIBLE))
		fail("LUO's FDT is not compatible with " LUO_FDT_COMPATIBLE);
	check_luo_ser(u64_property(fdt, 0, LUO_FDT_ABI_HEADER));
#endif
}

static void check_memblock(u64 pa)
{
	const void *fdt = preserved(pa, 40, "memblock FDT header");
	unsigned r;

	if (fdt_check_header(fdt))
		fail("memblock's FDT has a bad header");
	preserved(pa, fdt_totalsize(fdt), "memblock FDT");
	if (fdt_node_check_compatible(fdt, 0, MEMBLOCK_KHO_NODE_COMPATIBLE))
		fail("memblock's FDT is not compatible with " MEMBLOCK_KHO_NODE_COMPATIBLE);
	for (r = 0; r < sizeof(regions) / sizeof(regions[0]); r++) {
		int node = fdt_subnode_offset(fdt, 0, regions[r].name);

		if (node < 0)
			fail("memblock region %s is missing", regions[r].name);
		if (fdt_node_check_compatible(fdt, node, RESERVE_MEM_KHO_NODE_COMPATIBLE))
			fail("region %s is not compatible with " RESERVE_MEM_KHO_NODE_COMPATIBLE, regions[r].name);
		expect_u64(u64_property(fdt, node, "start"), regions[r].start, "region start");
		expect_u64(u64_property(fdt, node, "size"), regions[r].size, "region size");
		if (!page_preserved(regions[r].start))
			fail("region %s is not preserved", regions[r].name);
	}
}

static void check(void)
{
	int node, clients = 0;

	if (fdt_check_header(kho_fdt))
		fail("the root FDT has a bad header");
	if (fdt_node_check_compatible(kho_fdt, 0, KHO_FDT_COMPATIBLE))
		fail("the root is not compatible with " KHO_FDT_COMPATIBLE);
	radix_root_pa = u64_property(kho_fdt, 0, KHO_FDT_MEMORY_MAP_PROP_NAME);
	fdt_for_each_subnode(node, kho_fdt, 0) {
		const char *name = fdt_get_name(kho_fdt, node, NULL);
		u64 pa = u64_property(kho_fdt, node, STATE_PROP), size = 0;

#ifdef SIZE_PROP
		size = u64_property(kho_fdt, node, SIZE_PROP);
#endif
		clients++;
		if (!strcmp(name, "LUO"))
			check_luo(pa, size);
		else if (!strcmp(name, MEMBLOCK_KHO_FDT))
			check_memblock(pa);
		else if (strcmp(name, "kexec-metadata"))
			fail("an unexpected client %s", name);
	}
	if (clients != 3)
		fail("%d clients, expected 3", clients);
}

int main(int argc, char **argv)
{
	int building = argc >= 7 && argc <= 8 && !strcmp(argv[1], "build");
	int checking = argc == 6 && !strcmp(argv[1], "check");

	if (!building && !checking) {
		fprintf(stderr, "usage: kho_handover build KHO_DTB MEM REPORT BASE FOLIOS [FORGET]\n"
				"       kho_handover check KHO_DTB MEM BASE FOLIOS\n");
		return 2;
	}
	base = strtoull(argv[building ? 5 : 4], NULL, 0);
	folios0 = strtoul(argv[building ? 6 : 5], NULL, 0);
	if (building) {
		forget = argc == 8 ? argv[7] : NULL;
		mem_size = 64u << 20;
		mem = calloc(1, mem_size);
		report = fopen(argv[4], "w");
		if (!mem || !report)
			fail("cannot set up: %s", strerror(errno));
		build(argv[2], argv[3]);
		if (fclose(report))
			fail("cannot write the report: %s", strerror(errno));
		return 0;
	}
	FILE *in = fopen(argv[3], "rb");
	static char root[1 << 16];
	size_t n;

	if (!in || fseek(in, 0, SEEK_END) || (long)(mem_size = ftell(in)) < 0 || fseek(in, 0, SEEK_SET))
		fail("cannot read %s: %s", argv[3], strerror(errno));
	mem = malloc(mem_size ? mem_size : 1);
	if (!mem || fread(mem, 1, mem_size, in) != mem_size)
		fail("cannot read %s", argv[3]);
	fclose(in);
	in = fopen(argv[2], "rb");
	if (!in || !(n = fread(root, 1, sizeof(root), in)))
		fail("cannot read %s", argv[2]);
	fclose(in);
	kho_fdt = root;
	check();
	puts("ok");
	return 0;
}
