/*
 * scan_model.h --
 *
 *	The naive model of the search core (c/scan.c) that the unit test
 *	(tests/c/scan_test.c) and the fuzz harness (fuzz/fuzz_scan.c) check
 *	every scan against, written from scan.h's definitions rather than
 *	from scan.c: a match at every offset tested byte by byte (the
 *	folding written another way than scan.c's on purpose), the
 *	non-overlapping ones picked greedily from the start (or the end),
 *	each line found by walking to its '\n's.  Case holds one scan's
 *	inputs, CaseScan puts them in an MmapScan, Model gives the results
 *	scan.h defines for them, ModelLine the line around an offset as
 *	MmapScanLine finds it.
 *	Included once by each of those two programs, after the system
 *	headers and scan.h; everything here is static to that program.
 */

#ifndef MMAP_TEST_SCAN_MODEL_H
#define MMAP_TEST_SCAN_MODEL_H

#include <stdint.h>
#include <string.h>
#include "scan.h"

/*
 * One scan's inputs.
 */

typedef struct Case {
    const unsigned char *buf;
    uint64_t length, start, end;
    const unsigned char *needle;
    uint64_t n;
    int flags;
    uint64_t max;
} Case;

/*
 * CaseScan: *scan zeroed, then given the case's inputs; the caller adds
 * the results array and the growProc.
 */

static void
CaseScan(
    MmapScan *scan,
    const Case *c)
{
    memset(scan, 0, sizeof(*scan));
    scan->base = c->buf;
    scan->length = c->length;
    scan->start = c->start;
    scan->end = c->end;
    scan->needle = c->needle;
    scan->needleLength = c->n;
    scan->flags = c->flags;
    scan->max = c->max;
}

static int
ModelSame(
    unsigned char a,
    unsigned char b,
    int nocase)
{
    if (a == b) {
	return 1;
    }
    if (!nocase) {
	return 0;
    }
    if (a >= 'A' && a <= 'Z') {
	a = (unsigned char) (a - 'A' + 'a');
    }
    if (b >= 'A' && b <= 'Z') {
	b = (unsigned char) (b - 'A' + 'a');
    }
    return a == b;
}

static int
ModelAt(
    const Case *c,
    uint64_t p)
{
    uint64_t i;

    if (p < c->start || p > c->end || c->end - p < c->n) {
	return 0;
    }
    for (i = 0; i < c->n; i++) {
	if (!ModelSame(c->buf[p + i], c->needle[i],
		c->flags & MMAP_SCAN_NOCASE)) {
	    return 0;
	}
    }
    return 1;
}

static void
ModelLine(
    const unsigned char *buf,
    uint64_t length,
    uint64_t p,
    uint64_t *startPtr,
    uint64_t *endPtr)
{
    uint64_t s = p, e = p;

    while (s > 0 && buf[s - 1] != '\n') {
	s--;
    }
    while (e < length && buf[e] != '\n') {
	e++;
    }
    *startPtr = s;
    *endPtr = (e < length) ? e + 1 : length;
}

/*
 * The results scan.h defines for a case: returns the status, sets *count
 * and out (one slot a match, two a line).  out must have room for
 * 2 * (c->length + 1) slots: every line of the buffer is gathered there
 * before the limit picks the first or the last ones.
 */

static int
Model(
    const Case *c,
    uint64_t *out,
    uint64_t *countPtr)
{
    uint64_t count = 0, nLines = 0, p, limit, s, e, i, first;

    *countPtr = 0;
    if (c->start > c->end || c->end > c->length) {
	return MMAP_SCAN_RANGE;
    }
    if (c->n == 0 || c->max == 0) {
	return MMAP_SCAN_OK;
    }
    if (!(c->flags & MMAP_SCAN_LINES)) {
	if (!(c->flags & MMAP_SCAN_LAST)) {
	    limit = c->start;	/* A match may start here or later. */
	    for (p = c->start; p <= c->end && count < c->max; p++) {
		if (p >= limit && ModelAt(c, p)) {
		    out[count++] = p;
		    limit = p + c->n;
		}
	    }
	} else {
	    limit = c->end;	/* A match may end here or earlier. */
	    for (p = c->end + 1; p-- > c->start && count < c->max; ) {
		if (p <= limit && limit - p >= c->n && ModelAt(c, p)) {
		    out[count++] = p;
		    limit = p;
		}
	    }
	}
	*countPtr = count;
	return MMAP_SCAN_OK;
    }

    /* Lines: every line holding a match's first byte, once, in order. */
    for (p = c->start; p <= c->end; p++) {
	if (ModelAt(c, p)) {
	    ModelLine(c->buf, c->length, p, &s, &e);
	    if (nLines == 0 || out[2 * nLines - 2] != s) {
		out[2 * nLines] = s;
		out[2 * nLines + 1] = e;
		nLines++;
	    }
	}
    }
    count = nLines < c->max ? nLines : c->max;
    first = (c->flags & MMAP_SCAN_LAST) ? nLines - count : 0;
    for (i = 0; i < 2 * count; i++) {
	out[i] = out[2 * first + i];	/* Forwards: never ahead of the source. */
    }
    *countPtr = count;
    return MMAP_SCAN_OK;
}

#endif /* MMAP_TEST_SCAN_MODEL_H */
