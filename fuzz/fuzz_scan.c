/*
 * fuzz_scan.c --
 *
 *	libFuzzer harness for the search core (c/scan.c).  The input is a
 *	short header, then the buffer's bytes: the header picks a needle (a
 *	piece of the buffer, its case perhaps flipped and a byte perhaps
 *	changed, or bytes of its own), a window, a limit and the flags.
 *	The buffer lies in memory fenced by PROT_NONE pages on both sides,
 *	against one fence or the other, so that a read one byte outside
 *	faults at once; the results array grows one line at a time with
 *	realloc, so that AddressSanitizer catches a write past it.
 *
 *	Every scan (matches or lines, forwards or backwards, exact or
 *	nocase, stored or counted) runs on the SSE2 and on the memchr path
 *	and is compared with the naive model that scan_test.c uses too
 *	(tests/c/scan_model.h, written from scan.h's definitions: a
 *	byte-by-byte comparison at every offset, the non-overlapping matches
 *	picked greedily from the start (or the end), lines found by walking
 *	to the '\n' on each side).  Small inputs run under all 32
 *	combinations of flags, large ones under those the header picks.
 *
 *	Build:
 *	    clang-14 -g -O1 -fsanitize=fuzzer,address,undefined
 *		-fno-sanitize-recover=all -Ic fuzz/fuzz_scan.c c/scan.c
 *		-o fuzz_scan
 *	Run: ./fuzz_scan -max_total_time=60 corpus/
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "scan.h"
#include "../tests/c/scan_model.h"

#define MUST(cond) do {						\
    if (!(cond)) {						\
	fprintf(stderr, "fuzz_scan: %s:%d: check failed: %s\n",	\
		__FILE__, __LINE__, #cond);			\
	abort();						\
    }								\
} while (0)

#define MAX_BUFFER 8192		/* Longer inputs are cut. */
#define HEADER 12

/*
 * Growth by one result at a time, to the exact size.
 */

static int
Grow(
    void *clientData,
    uint64_t **resultsPtr,
    uint64_t *roomPtr)
{
    uint64_t room = *roomPtr + *(uint64_t *) clientData;
    uint64_t *grown = realloc(*resultsPtr, room * sizeof(uint64_t));

    MUST(grown != NULL);
    *resultsPtr = grown;
    *roomPtr = room;
    return 1;
}

static void
Compare(
    const Case *c)
{
    static uint64_t want[2 * (MAX_BUFFER + 1)];
    uint64_t wantCount, i, width = (c->flags & MMAP_SCAN_LINES) ? 2 : 1;
    int wantStatus = Model(c, want, &wantCount);
    MmapScan scan;

    CaseScan(&scan, c);
    scan.growProc = Grow;
    scan.growData = &width;
    MmapScanRun(&scan);
    MUST(scan.status == wantStatus);
    MUST(scan.count == wantCount);
    if (!(c->flags & MMAP_SCAN_COUNT)) {
	MUST(scan.room >= wantCount * width);
	for (i = 0; i < wantCount * width; i++) {
	    MUST(scan.results[i] == want[i]);
	}
    } else {
	MUST(scan.results == NULL);
    }
    free(scan.results);
}

/*
 * The fenced buffer.
 */

static unsigned char *
Fence(
    size_t length,
    int atEnd,
    unsigned char **allPtr,
    size_t *allLengthPtr)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t inner = (length + page - 1) / page * page;
    unsigned char *all;

    if (inner == 0) {
	inner = page;
    }
    *allLengthPtr = inner + 2 * page;
    all = mmap(NULL, *allLengthPtr, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(all != MAP_FAILED);
    MUST(mprotect(all, page, PROT_NONE) == 0);
    MUST(mprotect(all + page + inner, page, PROT_NONE) == 0);
    *allPtr = all;
    return all + page + (atEnd ? inner - length : 0);
}

static uint64_t
Pick(
    unsigned byte,
    uint64_t length)
{
    /* Mostly the edges and near them, else anywhere. */
    switch (byte % 8) {
    case 0: return 0;
    case 1: return length;
    case 2: return length > byte % 5 ? length - byte % 5 : 0;
    case 3: return byte % 5 <= length ? byte % 5 : length;
    case 4: return length + 1 + byte % 3;	/* Out of range. */
    default: return length ? (uint64_t) byte * 2654435761u % (length + 1)
		: 0;
    }
}

int
LLVMFuzzerTestOneInput(
    const uint8_t *data,
    size_t size)
{
    static const uint64_t maxes[] = { UINT64_MAX, 1, 2, 3, 0, 5 };
    static const uint64_t lengths[] = { 1, 2, 3, 4, 5, 16, 17, 64 };
    unsigned char *all, *buf, needle[96];
    size_t allLength, length;
    uint64_t i, at, s, e, ws, we;
    Case c;
    int flags;

    if (size < HEADER) {
	return 0;
    }
    length = size - HEADER;
    if (length > MAX_BUFFER) {
	length = MAX_BUFFER;
    }
    buf = Fence(length, data[0] & 1, &all, &allLength);
    memcpy(buf, data + HEADER, length);

    memset(&c, 0, sizeof(c));
    c.buf = buf;
    c.length = length;
    c.flags = (data[0] >> 1) & 15;
    c.max = maxes[data[1] % 6];
    if (c.max == 5) {
	c.max = data[1] / 6;
    }

    /* The needle. */
    c.n = (data[2] & 0x80) ? lengths[data[2] % 8] : data[2] % 80u;
    at = ((uint64_t) data[3] << 8 | data[4]);
    if ((data[5] & 3) != 0 && length >= c.n) {
	memcpy(needle, buf + at % (length - c.n + 1), c.n);
    } else {
	for (i = 0; i < c.n; i++) {
	    needle[i] = data[(6 + i) % HEADER] ^ (unsigned char) (i * 37);
	}
    }
    if (data[5] & 4) {
	for (i = 0; i < c.n; i++) {
	    if ((data[5] >> (3 + i % 5)) & 1) {
		needle[i] ^= 0x20;	/* Another case, or another byte. */
	    }
	}
    }
    c.needle = needle;

    /* The window, mostly valid. */
    c.start = Pick(data[6], length);
    c.end = Pick(data[7], length);
    if ((data[8] & 7) != 0 && c.start > c.end) {
	uint64_t t = c.start;

	c.start = c.end;
	c.end = t;
    }

    if (length * (c.n + 1) < 20000) {
	for (flags = 0; flags < 32; flags++) {
	    c.flags = flags;
	    Compare(&c);
	}
    } else {
	Compare(&c);
	c.flags |= MMAP_SCAN_PLAIN;
	Compare(&c);
    }

    /* The line bounds at a few offsets. */
    for (i = 0; i < 4 && length > 0; i++) {
	at = (uint64_t) data[8 + i] * 257 % (length + 1);
	MmapScanLine(buf, length, at, &s, &e);
	ModelLine(buf, length, at, &ws, &we);
	MUST(s == ws && e == we);
    }
    munmap(all, allLength);
    return 0;
}
