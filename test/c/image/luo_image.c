// SPDX-License-Identifier: GPL-2.0
/*
 * A handover image the way the kernel writes one, and a libfdt reader that checks an image written by
 * luo-abi: both over the generated luo.h of one ABI version and Debian's libfdt.
 *
 *   luo_image build FDT MEM BASE SESSIONS FILES_MOD FLBS
 *   luo_image check FDT MEM BASE SESSIONS FILES_MOD FLBS
 *
 * The content follows fixed formulas (below, and again in test/image-fixtures.ts): session i is
 * "session-i" with (i * 13) % FILES_MOD files; file j of session i is "fh-i-j" with data
 * 2^63 | i << 20 | j and token i * 1000 + j; FLB k is "flb-k" with data 0xdead000000000000 + k and
 * count 3k; the live update number is 41.
 *
 * Which version luo.h is tells the program what to build. Two things no layout shows are passed in:
 * -DSESSION_CHAIN (luo-v3 and later: sessions in a chain of blocks) and -DFILE_CHAIN (luo-v4: the
 * files of a session in a chain of blocks).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>
#include "luo.h"

/* The one block of the session array (luo-v1, luo-v2), and each block of a chain (LUO_BLOCK_PGCNT). */
#ifdef SESSION_CHAIN
#define SESSION_BLOCK_PAGES 2
#else
#define SESSION_BLOCK_PAGES 16
#endif
#define FILE_BLOCK_PAGES 2
#define LIVEUPDATE_NUM 41

#if defined(LIVEUPDATE_HNDL_COMPAT_LENGTH)
#define HAS_FILES 1
#endif
#if defined(LIVEUPDATE_FLB_COMPAT_LENGTH)
#define HAS_FLBS 1
#endif

static unsigned sessions, files_mod, flbs;

static void fail(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("luo_image: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	va_end(args);
	exit(1);
}

/* ----- The formulas ----- */

static inline unsigned file_count(unsigned i) { return files_mod ? (i * 13u) % files_mod : 0; }
static inline u64 file_data(unsigned i, unsigned j) { return 0x8000000000000000ull | ((u64)i << 20) | j; }
static inline u64 file_token(unsigned i, unsigned j) { return (u64)i * 1000 + j; }
static inline u64 flb_data(unsigned k) { return 0xdead000000000000ull + k; }
static inline u64 flb_count(unsigned k) { return 3ull * k; }

static inline void session_name(char *out, size_t size, unsigned i) { snprintf(out, size, "session-%u", i); }
static inline void file_compatible(char *out, size_t size, unsigned i, unsigned j) { snprintf(out, size, "fh-%u-%u", i, j); }
static inline void flb_name(char *out, size_t size, unsigned k) { snprintf(out, size, "flb-%u", k); }

/* ----- Physical memory: a buffer that starts at physical address `base` ----- */

static unsigned char *mem;
static size_t mem_size, mem_used;
static u64 base;

static void *alloc_pages(size_t pages, u64 *pa)
{
	size_t bytes = pages * PAGE_SIZE;

	if (mem_used + bytes > mem_size)
		fail("out of memory building the image");
	*pa = base + mem_used;
	mem_used += bytes;
	return mem + (*pa - base);
}

static void *phys(u64 pa, size_t len, const char *what)
{
	if (pa < base || pa - base > mem_size || len > mem_size - (pa - base))
		fail("%s: 0x%" PRIx64 " + %zu is outside memory", what, pa, len);
	return mem + (pa - base);
}

static void check_page_aligned(u64 pa, const char *what)
{
	if (pa % PAGE_SIZE)
		fail("%s at 0x%" PRIx64 " is not page aligned", what, pa);
}

/* ----- Building, as the kernel serialises ----- */

#ifdef HAS_FILES
static u64 build_files(unsigned i)
{
	unsigned n = file_count(i), j = 0;
	u64 first = 0;

	if (!n)
		return 0;
#ifdef FILE_CHAIN
	struct luo_block_header_ser *previous = NULL;
	const unsigned per_block = (FILE_BLOCK_PAGES * PAGE_SIZE - sizeof(struct luo_block_header_ser)) /
				   sizeof(struct luo_file_ser);
	while (j < n) {
		u64 pa;
		struct luo_block_header_ser *block = alloc_pages(FILE_BLOCK_PAGES, &pa);
		struct luo_file_ser *files = (struct luo_file_ser *)(block + 1);

		if (previous)
			previous->next = pa;
		else
			first = pa;
		for (block->count = 0; j < n && block->count < per_block; j++, block->count++) {
			struct luo_file_ser *f = &files[block->count];

			file_compatible(f->compatible, sizeof(f->compatible), i, j);
			f->data = file_data(i, j);
			f->token = file_token(i, j);
		}
		previous = block;
	}
#else
	struct luo_file_ser *files = alloc_pages(FILE_BLOCK_PAGES, &first);

	if (n * sizeof(*files) > FILE_BLOCK_PAGES * PAGE_SIZE)
		fail("session %u: %u files do not fit one file block", i, n);
	for (; j < n; j++) {
		file_compatible(files[j].compatible, sizeof(files[j].compatible), i, j);
		files[j].data = file_data(i, j);
		files[j].token = file_token(i, j);
	}
#endif
	return first;
}
#endif

static void fill_session(struct luo_session_ser *s, unsigned i)
{
	session_name(s->name, sizeof(s->name), i);
#ifdef HAS_FILES
	s->file_set_ser.files = build_files(i);
	s->file_set_ser.count = file_count(i);
#endif
}

static u64 build_sessions(void)
{
	u64 first;
#ifdef SESSION_CHAIN
	const unsigned per_block = (SESSION_BLOCK_PAGES * PAGE_SIZE - sizeof(struct luo_block_header_ser)) /
				   sizeof(struct luo_session_ser);
	struct luo_block_header_ser *block = alloc_pages(SESSION_BLOCK_PAGES, &first);
	unsigned i;

	for (i = 0; i < sessions; i++) {
		if (block->count == per_block) {
			u64 pa;
			struct luo_block_header_ser *next = alloc_pages(SESSION_BLOCK_PAGES, &pa);

			block->next = pa;
			block = next;
		}
		fill_session((struct luo_session_ser *)(block + 1) + block->count++, i);
	}
#else
	struct luo_session_header_ser *header = alloc_pages(SESSION_BLOCK_PAGES, &first);
	struct luo_session_ser *entries = (struct luo_session_ser *)(header + 1);
	unsigned i;

	if (sizeof(*header) + sessions * sizeof(*entries) > SESSION_BLOCK_PAGES * PAGE_SIZE)
		fail("%u sessions do not fit one session block", sessions);
	for (i = 0; i < sessions; i++)
		fill_session(&entries[i], i);
	header->count = sessions;
#endif
	return first;
}

#ifdef HAS_FLBS
static u64 build_flbs(void)
{
	size_t bytes = sizeof(struct luo_flb_header_ser) + flbs * sizeof(struct luo_flb_ser);
	size_t pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 pa;
	struct luo_flb_header_ser *header = alloc_pages(pages, &pa);
	struct luo_flb_ser *entries = (struct luo_flb_ser *)(header + 1);
	unsigned k;

	header->pgcnt = pages;
	header->count = flbs;
	for (k = 0; k < flbs; k++) {
		flb_name(entries[k].name, sizeof(entries[k].name), k);
		entries[k].data = flb_data(k);
		entries[k].count = flb_count(k);
	}
	return pa;
}
#endif

#define FDT_TRY(call) do { int err_ = (call); if (err_) fail("%s: %s", #call, fdt_strerror(err_)); } while (0)

static void build_fdt(void *fdt)
{
	FDT_TRY(fdt_create(fdt, LUO_FDT_SIZE));
	FDT_TRY(fdt_finish_reservemap(fdt));
	FDT_TRY(fdt_begin_node(fdt, ""));
	FDT_TRY(fdt_property_string(fdt, "compatible", LUO_FDT_COMPATIBLE));
#ifdef LUO_FDT_ABI_HEADER
	u64 ser_pa;
	struct luo_ser *ser = alloc_pages(1, &ser_pa);

	ser->liveupdate_num = LIVEUPDATE_NUM;
	ser->sessions_pa = build_sessions();
	ser->flbs_pa = build_flbs();
	FDT_TRY(fdt_property(fdt, LUO_FDT_ABI_HEADER, &ser_pa, sizeof(u64)));
#else
	u64 num = LIVEUPDATE_NUM, pa;

	FDT_TRY(fdt_property(fdt, LUO_FDT_LIVEUPDATE_NUM, &num, sizeof(u64)));
	FDT_TRY(fdt_begin_node(fdt, LUO_FDT_SESSION_NODE_NAME));
	FDT_TRY(fdt_property_string(fdt, "compatible", LUO_FDT_SESSION_COMPATIBLE));
	pa = build_sessions();
	FDT_TRY(fdt_property(fdt, LUO_FDT_SESSION_HEADER, &pa, sizeof(u64)));
	FDT_TRY(fdt_end_node(fdt));
#ifdef HAS_FLBS
	FDT_TRY(fdt_begin_node(fdt, LUO_FDT_FLB_NODE_NAME));
	FDT_TRY(fdt_property_string(fdt, "compatible", LUO_FDT_FLB_COMPATIBLE));
	pa = build_flbs();
	FDT_TRY(fdt_property(fdt, LUO_FDT_FLB_HEADER, &pa, sizeof(u64)));
	FDT_TRY(fdt_end_node(fdt));
#endif
#endif
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_finish(fdt));
}

/* ----- Checking an image luo-abi wrote ----- */

static void expect_u64(u64 got, u64 want, const char *what, unsigned i, unsigned j)
{
	if (got != want)
		fail("%s [%u][%u]: 0x%" PRIx64 ", expected 0x%" PRIx64, what, i, j, got, want);
}

static void expect_string(const char *got, size_t size, const char *want, const char *what)
{
	if (strnlen(got, size) == size || strcmp(got, want))
		fail("%s: \"%.*s\", expected \"%s\"", what, (int)size, got, want);
}

#include "../common/fdt_u64.h"

/* The node's properties must be exactly `names`, in this order. */
static void expect_property_order(const void *fdt, int node, const char *const *names, int count)
{
	int offset, n = 0;

	fdt_for_each_property_offset(offset, fdt, node) {
		const char *name;

		fdt_getprop_by_offset(fdt, offset, &name, NULL);
		if (n >= count || strcmp(name, names[n]))
			fail("property %d of node %s is %s, expected %s", n, fdt_get_name(fdt, node, NULL), name,
			     n < count ? names[n] : "(none)");
		n++;
	}
	if (n != count)
		fail("node %s has %d properties, expected %d", fdt_get_name(fdt, node, NULL), n, count);
}

static void expect_compatible(const void *fdt, int node, const char *compatible)
{
	if (fdt_node_check_compatible(fdt, node, compatible))
		fail("node %s is not compatible with %s", fdt_get_name(fdt, node, NULL), compatible);
}

#ifdef HAS_FILES
static unsigned check_file(const struct luo_file_ser *f, unsigned i, unsigned j)
{
	char want[LIVEUPDATE_HNDL_COMPAT_LENGTH];

	file_compatible(want, sizeof(want), i, j);
	expect_string(f->compatible, sizeof(f->compatible), want, "file compatible");
	expect_u64(f->data, file_data(i, j), "file data", i, j);
	expect_u64(f->token, file_token(i, j), "file token", i, j);
	return 1;
}

static void check_files(const struct luo_file_set_ser *set, unsigned i)
{
	unsigned n = file_count(i), j = 0;

	expect_u64(set->count, n, "file count", i, 0);
	if (!n) {
		expect_u64(set->files, 0, "files pa of an empty set", i, 0);
		return;
	}
#ifdef FILE_CHAIN
	const unsigned per_block = (FILE_BLOCK_PAGES * PAGE_SIZE - sizeof(struct luo_block_header_ser)) /
				   sizeof(struct luo_file_ser);
	u64 pa;

	for (pa = set->files; pa; ) {
		const struct luo_block_header_ser *block = phys(pa, sizeof(*block), "file block");
		const struct luo_file_ser *files;
		unsigned k;

		check_page_aligned(pa, "file block");
		if (block->count > per_block || (block->next && block->count != per_block))
			fail("session %u: a file block holds %" PRIu64 " of at most %u", i, block->count, per_block);
		files = phys(pa + sizeof(*block), block->count * sizeof(*files), "files");
		for (k = 0; k < block->count; k++)
			j += check_file(&files[k], i, j);
		pa = block->next;
	}
#else
	const struct luo_file_ser *files = phys(set->files, n * sizeof(*files), "file array");

	check_page_aligned(set->files, "file array");
	for (; j < n; )
		j += check_file(&files[j], i, j);
#endif
	if (j != n)
		fail("session %u: %u files, expected %u", i, j, n);
}
#endif

static void check_session(const struct luo_session_ser *s, unsigned i)
{
	char want[LIVEUPDATE_SESSION_NAME_LENGTH];

	session_name(want, sizeof(want), i);
	expect_string(s->name, sizeof(s->name), want, "session name");
#ifdef HAS_FILES
	check_files(&s->file_set_ser, i);
#endif
}

static void check_sessions(u64 pa)
{
	unsigned i = 0;
#ifdef SESSION_CHAIN
	const unsigned per_block = (SESSION_BLOCK_PAGES * PAGE_SIZE - sizeof(struct luo_block_header_ser)) /
				   sizeof(struct luo_session_ser);

	while (pa) {
		const struct luo_block_header_ser *block = phys(pa, sizeof(*block), "session block");
		const struct luo_session_ser *entries;
		unsigned k;

		check_page_aligned(pa, "session block");
		if (block->count > per_block || (block->next && block->count != per_block))
			fail("a session block holds %" PRIu64 " of at most %u", block->count, per_block);
		entries = phys(pa + sizeof(*block), block->count * sizeof(*entries), "sessions");
		for (k = 0; k < block->count; k++)
			check_session(&entries[k], i++);
		pa = block->next;
	}
#else
	const struct luo_session_header_ser *header = phys(pa, sizeof(*header), "session header");
	const struct luo_session_ser *entries;

	check_page_aligned(pa, "session header");
	expect_u64(header->count, sessions, "session count", 0, 0);
	entries = phys(pa + sizeof(*header), sessions * sizeof(*entries), "sessions");
	for (; i < sessions; i++)
		check_session(&entries[i], i);
#endif
	if (i != sessions)
		fail("%u sessions, expected %u", i, sessions);
}

#ifdef HAS_FLBS
static void check_flbs(u64 pa)
{
	const struct luo_flb_header_ser *header = phys(pa, sizeof(*header), "FLB header");
	const struct luo_flb_ser *entries;
	unsigned k;

	check_page_aligned(pa, "FLB header");
	expect_u64(header->count, flbs, "FLB count", 0, 0);
	if (header->pgcnt * PAGE_SIZE < sizeof(*header) + flbs * sizeof(*entries))
		fail("FLB block of %" PRIu64 " pages cannot hold %u FLBs", header->pgcnt, flbs);
	entries = phys(pa + sizeof(*header), flbs * sizeof(*entries), "FLBs");
	for (k = 0; k < flbs; k++) {
		char want[LIVEUPDATE_FLB_COMPAT_LENGTH];

		flb_name(want, sizeof(want), k);
		expect_string(entries[k].name, sizeof(entries[k].name), want, "FLB name");
		expect_u64(entries[k].data, flb_data(k), "FLB data", k, 0);
		expect_u64(entries[k].count, flb_count(k), "FLB count", k, 0);
	}
}
#endif

static void check_image(const void *fdt)
{
	int err = fdt_check_header(fdt);

	if (err)
		fail("fdt_check_header: %s", fdt_strerror(err));
	if (fdt_totalsize(fdt) > LUO_FDT_SIZE)
		fail("FDT of %u bytes is larger than LUO_FDT_SIZE", fdt_totalsize(fdt));
	expect_compatible(fdt, 0, LUO_FDT_COMPATIBLE);
#ifdef LUO_FDT_ABI_HEADER
	static const char *const root_props[] = { "compatible", LUO_FDT_ABI_HEADER };
	const struct luo_ser *ser;

	expect_property_order(fdt, 0, root_props, 2);
	if (fdt_first_subnode(fdt, 0) >= 0)
		fail("the root node has subnodes");
	u64 ser_pa = u64_property(fdt, 0, LUO_FDT_ABI_HEADER);

	check_page_aligned(ser_pa, "luo_ser");
	ser = phys(ser_pa, sizeof(*ser), "luo_ser");
	expect_u64(ser->liveupdate_num, LIVEUPDATE_NUM, "liveupdate_num", 0, 0);
	if (sessions)
		check_sessions(ser->sessions_pa);
	else
		expect_u64(ser->sessions_pa, 0, "sessions_pa", 0, 0);
	if (flbs)
		check_flbs(ser->flbs_pa);
	else
		expect_u64(ser->flbs_pa, 0, "flbs_pa", 0, 0);
#else
	static const char *const root_props[] = { "compatible", LUO_FDT_LIVEUPDATE_NUM };
	static const char *const session_props[] = { "compatible", LUO_FDT_SESSION_HEADER };
	int session = fdt_first_subnode(fdt, 0);

	expect_property_order(fdt, 0, root_props, 2);
	expect_u64(u64_property(fdt, 0, LUO_FDT_LIVEUPDATE_NUM), LIVEUPDATE_NUM, "liveupdate-number", 0, 0);
	if (session < 0 || strcmp(fdt_get_name(fdt, session, NULL), LUO_FDT_SESSION_NODE_NAME))
		fail("the first subnode is not %s", LUO_FDT_SESSION_NODE_NAME);
	expect_compatible(fdt, session, LUO_FDT_SESSION_COMPATIBLE);
	expect_property_order(fdt, session, session_props, 2);
	check_sessions(u64_property(fdt, session, LUO_FDT_SESSION_HEADER));
#ifdef HAS_FLBS
	static const char *const flb_props[] = { "compatible", LUO_FDT_FLB_HEADER };
	int flb = fdt_next_subnode(fdt, session);

	if (flb < 0 || strcmp(fdt_get_name(fdt, flb, NULL), LUO_FDT_FLB_NODE_NAME))
		fail("the second subnode is not %s", LUO_FDT_FLB_NODE_NAME);
	expect_compatible(fdt, flb, LUO_FDT_FLB_COMPATIBLE);
	expect_property_order(fdt, flb, flb_props, 2);
	check_flbs(u64_property(fdt, flb, LUO_FDT_FLB_HEADER));
	if (fdt_next_subnode(fdt, flb) >= 0)
		fail("a third subnode follows %s", LUO_FDT_FLB_NODE_NAME);
#else
	if (fdt_next_subnode(fdt, session) >= 0)
		fail("a second subnode follows %s", LUO_FDT_SESSION_NODE_NAME);
#endif
#endif
}

/* ----- Files ----- */

static unsigned char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t capacity = 0, used = 0, n;

	if (!f)
		fail("%s: %s", path, strerror(errno));
	do {
		if (used == capacity) {
			capacity = capacity ? capacity * 2 : 1 << 16;
			data = realloc(data, capacity);
			if (!data)
				fail("out of memory reading %s", path);
		}
		n = fread(data + used, 1, capacity - used, f);
		used += n;
	} while (n);
	fclose(f);
	*size = used;
	return data;
}

static void write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		fail("%s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	if (argc != 8)
		fail("usage: luo_image build|check FDT MEM BASE SESSIONS FILES_MOD FLBS");
	base = strtoull(argv[4], NULL, 0);
	sessions = strtoul(argv[5], NULL, 0);
	files_mod = strtoul(argv[6], NULL, 0);
	flbs = strtoul(argv[7], NULL, 0);
	if (!strcmp(argv[1], "build")) {
		static unsigned char fdt[LUO_FDT_SIZE];

		mem_size = 64u << 20;
		mem = calloc(mem_size, 1);
		if (!mem)
			fail("out of memory");
		build_fdt(fdt);
		write_file(argv[2], fdt, fdt_totalsize(fdt));
		write_file(argv[3], mem, mem_used);
		return 0;
	}
	if (!strcmp(argv[1], "check")) {
		size_t fdt_size;
		unsigned char *fdt = read_file(argv[2], &fdt_size);

		mem = read_file(argv[3], &mem_size);
		if (fdt_size < sizeof(struct fdt_header) || fdt_size < fdt_totalsize(fdt))
			fail("FDT file of %zu bytes is truncated", fdt_size);
		check_image(fdt);
		printf("ok\n");
		return 0;
	}
	fail("unknown mode %s", argv[1]);
	return 1;
}
