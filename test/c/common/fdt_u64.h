/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test programs share: a u64 property read as the kernel reads one, exactly 8 bytes in the
 * CPU's byte order (fdt_property of a u64, not big-endian cells). The including file defines fail().
 */
#ifndef TEST_C_COMMON_FDT_U64_H
#define TEST_C_COMMON_FDT_U64_H

static u64 u64_property(const void *fdt, int node, const char *name)
{
	int len;
	const void *value = fdt_getprop(fdt, node, name, &len);
	u64 out;

	if (!value)
		fail("property %s: %s", name, fdt_strerror(len));
	if (len != sizeof(u64))
		fail("property %s is %d bytes, not 8", name, len);
	memcpy(&out, value, sizeof(out));
	return out;
}

#endif
