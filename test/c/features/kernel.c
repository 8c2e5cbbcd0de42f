/*
 * A stand-in kernel image for luo-abi's preflight tests (our own code, not the kernel's): the section
 * .liveupdate_features, written with section attributes as a kernel would emit it, and the ABI structs
 * in DWARF. The entries come from FEATURES, a file the test writes with one FEATURE(name, supp, req,
 * active) line per subsystem; LUO_SER_EXTRA adds a field to struct luo_ser (a layout that differs).
 */
typedef unsigned int u32;
typedef unsigned long long u64;

struct liveupdate_ver_hdr {
	u32 magic;
	u32 version;
} __attribute__((packed));

struct liveupdate_feature_entry {
	char name[48];
	u32 feat_bytes;
	u32 reserved;
	u64 supp;
	u64 req;
	u64 active;
} __attribute__((packed));

struct luo_feature_hdr {
	u64 supp;
	u64 req;
	u64 active;
	u64 reserved[13];
} __attribute__((packed));

struct luo_ser {
	struct luo_feature_hdr features;
	u64 liveupdate_num;
	u64 sessions_pa;
	u64 flbs_pa;
#ifdef LUO_SER_EXTRA
	u64 LUO_SER_EXTRA;
#endif
} __attribute__((packed));

/*
 * The header and the entries as one object, so that nothing pads between them (gcc aligns a large
 * array to 32 bytes on its own); a kernel keeps the header first with its linker script instead.
 */
struct features_section {
	struct liveupdate_ver_hdr header;
	struct liveupdate_feature_entry entries[];
} __attribute__((packed));

#define FEATURE(n, s, r, a) { .name = n, .feat_bytes = 8, .supp = s, .req = r, .active = a },
static const struct features_section features
	__attribute__((used, section(".liveupdate_features"), aligned(8))) = {
	.header = { 0x4c565550, 1 },
	.entries = {
#include FEATURES
	},
};

/* Kept for the DWARF: a kernel's debug info describes the structs it hands over. */
struct luo_ser luo_ser_layout;

void _start(void)
{
}
