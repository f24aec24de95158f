/*
 * region_test.c --
 *
 *	Unit test of the region arithmetic (c/region.c) without Tcl: every
 *	function at its edges (0, 1, length-1, length, UINT64_MAX, INT64_MIN
 *	seeks, position == length), and the cyclic and linear write planners
 *	checked exhaustively for small regions against writing the bytes one
 *	by one in a circle.
 *
 *	Build: gcc -Wall -Wextra -Ic c/region.c tests/c/region_test.c
 *		-o region_test
 *	Run: ./region_test
 *	Prints "N passed, N failed" and exits 0 when none failed.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "region.h"
#include "check.h"

#define EQ(a, b) CheckEq((uint64_t) (a), (uint64_t) (b), #a, #b, \
	__FILE__, __LINE__)

static int
CheckEq(
    uint64_t a,
    uint64_t b,
    const char *textA,
    const char *textB,
    const char *file,
    int line)
{
    if (a == b) {
	passed++;
	return 1;
    }
    failed++;
    fprintf(stderr, "%s:%d: FAILED: %s == %s (%llu != %llu)\n", file, line,
	    textA, textB, (unsigned long long) a, (unsigned long long) b);
    return 0;
}

/*
 * A plan as a short string, for exact comparisons that print well:
 * "map@buf+count map@buf+count -> newPosition".
 */

static const char *
Plan(
    int err,
    const MmapSpan spans[2],
    uint64_t newPosition)
{
    static char buf[256];

    if (err != 0) {
	snprintf(buf, sizeof(buf), "error %d", err);
	return buf;
    }
    snprintf(buf, sizeof(buf), "%llu@%llu+%llu %llu@%llu+%llu -> %llu",
	    (unsigned long long) spans[0].mapOffset,
	    (unsigned long long) spans[0].bufOffset,
	    (unsigned long long) spans[0].count,
	    (unsigned long long) spans[1].mapOffset,
	    (unsigned long long) spans[1].bufOffset,
	    (unsigned long long) spans[1].count,
	    (unsigned long long) newPosition);
    return buf;
}

static void
CheckPlan(
    const char *got,
    const char *want,
    const char *what,
    int line)
{
    if (strcmp(got, want) == 0) {
	passed++;
	return;
    }
    failed++;
    fprintf(stderr, "%s:%d: FAILED: %s: got \"%s\", want \"%s\"\n",
	    __FILE__, line, what, got, want);
}

static const char *
Cyclic(
    uint64_t length,
    uint64_t position,
    uint64_t count)
{
    MmapSpan spans[2];
    uint64_t newPosition = 12345;
    int err;

    memset(spans, 0xAB, sizeof(spans));
    err = MmapPlanCyclicWrite(length, position, count, spans, &newPosition);
    return Plan(err, spans, newPosition);
}

static const char *
Linear(
    uint64_t length,
    uint64_t position,
    uint64_t count)
{
    MmapSpan spans[2];
    uint64_t newPosition = 12345;
    int err;

    memset(spans, 0xAB, sizeof(spans));
    err = MmapPlanLinearWrite(length, position, count, spans, &newPosition);
    return Plan(err, spans, newPosition);
}

#define CYCLIC(l, p, c, want) \
    CheckPlan(Cyclic((l), (p), (c)), (want), "cyclic " #l " " #p " " #c, \
	    __LINE__)
#define LINEAR(l, p, c, want) \
    CheckPlan(Linear((l), (p), (c)), (want), "linear " #l " " #p " " #c, \
	    __LINE__)

/*
 * Seek checks: SEEK_OK wants the new position, SEEK_BAD wants EINVAL and
 * the output left alone.
 */

static void
CheckSeek(
    uint64_t length,
    uint64_t position,
    int64_t offset,
    int whence,
    int wantOk,
    uint64_t want,
    int line)
{
    uint64_t newPosition = 777;
    int err = MmapPlanSeek(length, position, offset, whence, &newPosition);

    if (wantOk ? (err == 0 && newPosition == want)
	    : (err == EINVAL && newPosition == 777)) {
	passed++;
	return;
    }
    failed++;
    fprintf(stderr, "%s:%d: FAILED: seek length %llu position %llu offset"
	    " %lld whence %d: got %d/%llu, want %s%llu\n", __FILE__, line,
	    (unsigned long long) length, (unsigned long long) position,
	    (long long) offset, whence, err, (unsigned long long) newPosition,
	    wantOk ? "" : "EINVAL/", (unsigned long long) want);
}

#define SEEK_OK(l, p, o, w, want) CheckSeek((l), (p), (o), (w), 1, (want), \
	__LINE__)
#define SEEK_BAD(l, p, o, w) CheckSeek((l), (p), (o), (w), 0, 777, __LINE__)

static void
TestRangeOk(void)
{
    CHECK(MmapRangeOk(0, 0, 0));
    CHECK(!MmapRangeOk(0, 0, 1));
    CHECK(!MmapRangeOk(0, 1, 0));
    CHECK(MmapRangeOk(1, 0, 1));
    CHECK(MmapRangeOk(1, 1, 0));
    CHECK(!MmapRangeOk(1, 1, 1));
    CHECK(!MmapRangeOk(1, 0, 2));
    CHECK(MmapRangeOk(10, 9, 1));
    CHECK(MmapRangeOk(10, 10, 0));
    CHECK(!MmapRangeOk(10, 10, 1));
    CHECK(!MmapRangeOk(10, 11, 0));
    CHECK(MmapRangeOk(10, 0, 10));
    CHECK(!MmapRangeOk(10, 0, 11));

    /* The sums that would overflow if the check were additive. */
    CHECK(!MmapRangeOk(10, 5, UINT64_MAX));
    CHECK(!MmapRangeOk(10, UINT64_MAX, 1));
    CHECK(!MmapRangeOk(10, UINT64_MAX, UINT64_MAX));
    CHECK(!MmapRangeOk(UINT64_MAX - 1, 2, UINT64_MAX - 2));
    CHECK(MmapRangeOk(UINT64_MAX, 0, UINT64_MAX));
    CHECK(MmapRangeOk(UINT64_MAX, UINT64_MAX, 0));
    CHECK(MmapRangeOk(UINT64_MAX, UINT64_MAX - 1, 1));
    CHECK(!MmapRangeOk(UINT64_MAX, UINT64_MAX, 1));
    CHECK(!MmapRangeOk(UINT64_MAX, 1, UINT64_MAX));
}

static void
TestAlignDown(void)
{
    EQ(MmapAlignDown(0, 4096), 0);
    EQ(MmapAlignDown(1, 4096), 0);
    EQ(MmapAlignDown(4095, 4096), 0);
    EQ(MmapAlignDown(4096, 4096), 4096);
    EQ(MmapAlignDown(4097, 4096), 4096);
    EQ(MmapAlignDown(UINT64_MAX, 4096), UINT64_MAX - 4095);
    EQ(MmapAlignDown(UINT64_MAX, 1), UINT64_MAX);
    EQ(MmapAlignDown(12345, 1), 12345);
    EQ(MmapAlignDown((uint64_t) 1 << 63, 65536), (uint64_t) 1 << 63);
    EQ(MmapAlignDown(((uint64_t) 1 << 63) + 65535, 65536),
	    (uint64_t) 1 << 63);
}

static void
TestPageSpan(void)
{
    uint64_t start = 99, span = 99;
    const uint64_t P = 4096;

    /* Outside: ERANGE, outputs untouched. */
    EQ(MmapPageSpan(0, 10, 11, 0, P, &start, &span), ERANGE);
    EQ(MmapPageSpan(0, 10, 5, 6, P, &start, &span), ERANGE);
    EQ(MmapPageSpan(0, 10, 0, UINT64_MAX, P, &start, &span), ERANGE);
    EQ(MmapPageSpan(0, 10, UINT64_MAX, 1, P, &start, &span), ERANGE);
    EQ(start, 99);
    EQ(span, 99);

    /* Empty ranges cover no page, wherever they are. */
    EQ(MmapPageSpan(0, 10, 0, 0, P, &start, &span), 0);
    EQ(start, 0);
    EQ(span, 0);
    EQ(MmapPageSpan(100, 10000, 10000, 0, P, &start, &span), 0);
    EQ(start, 8192);
    EQ(span, 0);

    /* One byte, first and last of a page, with and without a delta. */
    EQ(MmapPageSpan(0, 3 * P, 0, 1, P, &start, &span), 0);
    EQ(start, 0);
    EQ(span, P);
    EQ(MmapPageSpan(0, 3 * P, P - 1, 1, P, &start, &span), 0);
    EQ(start, 0);
    EQ(span, P);
    EQ(MmapPageSpan(0, 3 * P, P, 1, P, &start, &span), 0);
    EQ(start, P);
    EQ(span, P);
    EQ(MmapPageSpan(0, 3 * P, P - 1, 2, P, &start, &span), 0);
    EQ(start, 0);
    EQ(span, 2 * P);
    EQ(MmapPageSpan(P - 1, 3 * P, 0, 1, P, &start, &span), 0);
    EQ(start, 0);
    EQ(span, P);
    EQ(MmapPageSpan(P - 1, 3 * P, 1, 1, P, &start, &span), 0);
    EQ(start, P);
    EQ(span, P);
    EQ(MmapPageSpan(1, 3 * P, 0, 3 * P, P, &start, &span), 0);
    EQ(start, 0);
    EQ(span, 4 * P);

    /* The whole region, its last byte, length == 1. */
    EQ(MmapPageSpan(0, 3 * P, 0, 3 * P, P, &start, &span), 0);
    EQ(start, 0);
    EQ(span, 3 * P);
    EQ(MmapPageSpan(0, 3 * P, 3 * P - 1, 1, P, &start, &span), 0);
    EQ(start, 2 * P);
    EQ(span, P);
    EQ(MmapPageSpan(17, 1, 0, 1, P, &start, &span), 0);
    EQ(start, 0);
    EQ(span, P);

    /* Far beyond 4 GiB (a 64-bit address space's worth of mapping). */
    EQ(MmapPageSpan(5, (uint64_t) 1 << 46, ((uint64_t) 1 << 46) - 1, 1, P,
	    &start, &span), 0);
    EQ(start, (uint64_t) 1 << 46);
    EQ(span, P);
    EQ(MmapPageSpan(5, (uint64_t) 1 << 46, 0, (uint64_t) 1 << 46, P,
	    &start, &span), 0);
    EQ(start, 0);
    EQ(span, ((uint64_t) 1 << 46) + P);
}

static void
TestReadCount(void)
{
    EQ(MmapReadCount(0, 0, 0), 0);
    EQ(MmapReadCount(0, 0, 10), 0);
    EQ(MmapReadCount(1, 0, 1), 1);
    EQ(MmapReadCount(1, 0, 100), 1);
    EQ(MmapReadCount(1, 1, 100), 0);
    EQ(MmapReadCount(10, 0, 0), 0);
    EQ(MmapReadCount(10, 9, 1), 1);
    EQ(MmapReadCount(10, 9, 2), 1);
    EQ(MmapReadCount(10, 10, 1), 0);
    EQ(MmapReadCount(10, 11, 1), 0);
    EQ(MmapReadCount(10, UINT64_MAX, UINT64_MAX), 0);
    EQ(MmapReadCount(10, 3, UINT64_MAX), 7);
    EQ(MmapReadCount(UINT64_MAX, 0, UINT64_MAX), UINT64_MAX);
    EQ(MmapReadCount(UINT64_MAX, UINT64_MAX - 1, UINT64_MAX), 1);
    EQ(MmapReadCount(UINT64_MAX, UINT64_MAX, 5), 0);
}

static void
TestCyclicEdges(void)
{
    MmapSpan spans[2];
    uint64_t newPosition = 5;

    EQ(MmapPlanCyclicWrite(0, 0, 1, spans, &newPosition), EINVAL);
    EQ(MmapPlanCyclicWrite(0, 0, 0, spans, &newPosition), EINVAL);
    EQ(newPosition, 5);

    /* length 1: every byte lands on 0, the last one stays. */
    CYCLIC(1, 0, 0, "0@0+0 0@0+0 -> 0");
    CYCLIC(1, 0, 1, "0@0+1 0@0+0 -> 0");
    CYCLIC(1, 1, 1, "0@0+1 0@0+0 -> 0");
    CYCLIC(1, 0, 5, "0@4+1 0@0+0 -> 0");
    CYCLIC(1, 1, UINT64_MAX, "0@18446744073709551614+1 0@0+0 -> 0");

    /* length 10 at 0, 1, length-1, length (position == length: at 0). */
    CYCLIC(10, 0, 3, "0@0+3 0@0+0 -> 3");
    CYCLIC(10, 0, 10, "0@0+10 0@0+0 -> 0");
    CYCLIC(10, 1, 9, "1@0+9 0@0+0 -> 0");
    CYCLIC(10, 1, 10, "1@0+9 0@9+1 -> 1");
    CYCLIC(10, 9, 1, "9@0+1 0@0+0 -> 0");
    CYCLIC(10, 9, 2, "9@0+1 0@1+1 -> 1");
    CYCLIC(10, 10, 1, "0@0+1 0@0+0 -> 1");
    CYCLIC(10, 10, 10, "0@0+10 0@0+0 -> 0");
    CYCLIC(10, 10, 0, "0@0+0 0@0+0 -> 0");

    /* Longer than the region: only the last 10 bytes stay. */
    CYCLIC(10, 0, 11, "1@1+9 0@10+1 -> 1");
    CYCLIC(10, 3, 25, "8@15+2 0@17+8 -> 8");
    CYCLIC(10, 7, 30, "7@20+3 0@23+7 -> 7");
    CYCLIC(10, 0, UINT64_MAX,
	    "5@18446744073709551605+5 0@18446744073709551610+5 -> 5");
    CYCLIC(10, 9, UINT64_MAX,
	    "4@18446744073709551605+6 0@18446744073709551611+4 -> 4");

    /* Positions beyond the region count modulo its length. */
    CYCLIC(10, 23, 1, "3@0+1 0@0+0 -> 4");
    CYCLIC(10, UINT64_MAX, 1, "5@0+1 0@0+0 -> 6");

    /* The largest regions: no sum may overflow. */
    CYCLIC(UINT64_MAX, 0, UINT64_MAX, "0@0+18446744073709551615 0@0+0 -> 0");
    CYCLIC(UINT64_MAX, UINT64_MAX - 1, 1,
	    "18446744073709551614@0+1 0@0+0 -> 0");
    CYCLIC(UINT64_MAX, UINT64_MAX - 1, 2,
	    "18446744073709551614@0+1 0@1+1 -> 1");
    CYCLIC(UINT64_MAX, UINT64_MAX, 3, "0@0+3 0@0+0 -> 3");
    CYCLIC(UINT64_MAX - 1, 5, UINT64_MAX,
	    "6@1+18446744073709551608 0@18446744073709551609+6 -> 6");
    CYCLIC((uint64_t) 1 << 63, ((uint64_t) 1 << 63) - 1, (uint64_t) 1 << 63,
	    "9223372036854775807@0+1 0@1+9223372036854775807"
	    " -> 9223372036854775807");
    CYCLIC(((uint64_t) 1 << 63) + 10, (uint64_t) 1 << 63, (uint64_t) 1 << 63,
	    "9223372036854775808@0+10 0@10+9223372036854775798"
	    " -> 9223372036854775798");
}

static void
TestLinearEdges(void)
{
    LINEAR(0, 0, 0, "0@0+0 0@0+0 -> 0");
    LINEAR(0, 0, 1, "error 28");
    LINEAR(1, 0, 1, "0@0+1 0@0+0 -> 1");
    LINEAR(1, 1, 0, "1@0+0 0@0+0 -> 1");
    LINEAR(1, 1, 1, "error 28");
    LINEAR(1, 0, 2, "error 28");
    LINEAR(10, 0, 10, "0@0+10 0@0+0 -> 10");
    LINEAR(10, 9, 1, "9@0+1 0@0+0 -> 10");
    LINEAR(10, 9, 2, "error 28");
    LINEAR(10, 10, 0, "10@0+0 0@0+0 -> 10");
    LINEAR(10, 10, 1, "error 28");
    LINEAR(10, 11, 0, "error 28");
    LINEAR(10, 0, UINT64_MAX, "error 28");
    LINEAR(10, UINT64_MAX, 1, "error 28");
    LINEAR(UINT64_MAX, UINT64_MAX - 1, 1,
	    "18446744073709551614@0+1 0@0+0 -> 18446744073709551615");
    LINEAR(UINT64_MAX, 1, UINT64_MAX, "error 28");
    LINEAR(UINT64_MAX, 0, UINT64_MAX,
	    "0@0+18446744073709551615 0@0+0 -> 18446744073709551615");
}

/*
 * Exhaustive small cases: execute the plan on a byte array and compare it
 * with writing the bytes one by one, in a circle or in a line.
 */

static void
TestPlannersAgainstModel(void)
{
    unsigned char viaPlan[16], viaModel[16], data[40];
    uint64_t length, position, count, i, newPosition, modelPosition;
    int badCyclic = 0, badLinear = 0, err;
    MmapSpan spans[2];

    for (i = 0; i < sizeof(data); i++) {
	data[i] = (unsigned char) (i + 1);
    }
    for (length = 1; length <= 16; length++) {
	for (position = 0; position <= length; position++) {
	    for (count = 0; count <= 40; count++) {
		/* Cyclic. */
		memset(viaPlan, 0, sizeof(viaPlan));
		memset(viaModel, 0, sizeof(viaModel));
		err = MmapPlanCyclicWrite(length, position, count, spans,
			&newPosition);
		modelPosition = position % length;
		for (i = 0; i < count; i++) {
		    viaModel[modelPosition] = data[i];
		    modelPosition = (modelPosition + 1) % length;
		}
		if (err == 0) {
		    for (i = 0; i < 2; i++) {
			if (spans[i].count > 0) {
			    if (spans[i].mapOffset > length
				    || spans[i].count > length
					- spans[i].mapOffset
				    || spans[i].bufOffset > count
				    || spans[i].count > count
					- spans[i].bufOffset) {
				err = -1;
				break;
			    }
			    memcpy(viaPlan + spans[i].mapOffset,
				    data + spans[i].bufOffset,
				    spans[i].count);
			}
		    }
		}
		if (err != 0 || newPosition != modelPosition
			|| memcmp(viaPlan, viaModel, sizeof(viaPlan)) != 0
			|| spans[0].count + spans[1].count
			    != (count < length ? count : length)) {
		    if (badCyclic++ < 5) {
			fprintf(stderr, "cyclic %llu %llu %llu: %s\n",
				(unsigned long long) length,
				(unsigned long long) position,
				(unsigned long long) count,
				Plan(err, spans, newPosition));
		    }
		}

		/* Linear. */
		memset(viaPlan, 0, sizeof(viaPlan));
		err = MmapPlanLinearWrite(length, position, count, spans,
			&newPosition);
		if (position + count > length) {
		    if (err != ENOSPC) {
			badLinear++;
		    }
		    continue;
		}
		memcpy(viaPlan + spans[0].mapOffset,
			data + spans[0].bufOffset, spans[0].count);
		memset(viaModel, 0, sizeof(viaModel));
		memcpy(viaModel + position, data, count);
		if (err != 0 || spans[1].count != 0
			|| newPosition != position + count
			|| memcmp(viaPlan, viaModel, sizeof(viaPlan)) != 0) {
		    badLinear++;
		}
	    }
	}
    }
    EQ(badCyclic, 0);
    EQ(badLinear, 0);
}

static void
TestSeek(void)
{
    int whence;

    /* Bad whence. */
    SEEK_BAD(10, 0, 0, 3);
    SEEK_BAD(10, 0, 0, -1);

    /* SEEK_SET: [0, length]. */
    SEEK_OK(10, 5, 0, MMAP_SEEK_SET, 0);
    SEEK_OK(10, 5, 1, MMAP_SEEK_SET, 1);
    SEEK_OK(10, 5, 9, MMAP_SEEK_SET, 9);
    SEEK_OK(10, 5, 10, MMAP_SEEK_SET, 10);
    SEEK_BAD(10, 5, 11, MMAP_SEEK_SET);
    SEEK_BAD(10, 5, -1, MMAP_SEEK_SET);
    SEEK_BAD(10, 5, INT64_MAX, MMAP_SEEK_SET);
    SEEK_BAD(10, 5, INT64_MIN, MMAP_SEEK_SET);
    SEEK_OK(0, 0, 0, MMAP_SEEK_SET, 0);
    SEEK_BAD(0, 0, 1, MMAP_SEEK_SET);

    /* SEEK_CUR. */
    SEEK_OK(10, 5, 0, MMAP_SEEK_CUR, 5);
    SEEK_OK(10, 5, 5, MMAP_SEEK_CUR, 10);
    SEEK_BAD(10, 5, 6, MMAP_SEEK_CUR);
    SEEK_OK(10, 5, -5, MMAP_SEEK_CUR, 0);
    SEEK_BAD(10, 5, -6, MMAP_SEEK_CUR);
    SEEK_OK(10, 10, 0, MMAP_SEEK_CUR, 10);
    SEEK_OK(10, 10, -10, MMAP_SEEK_CUR, 0);
    SEEK_BAD(10, 0, -1, MMAP_SEEK_CUR);
    SEEK_BAD(10, 11, 0, MMAP_SEEK_CUR);
    SEEK_BAD(10, 11, -1, MMAP_SEEK_CUR);
    SEEK_BAD(10, UINT64_MAX, INT64_MIN, MMAP_SEEK_CUR);
    SEEK_BAD(10, 5, INT64_MIN, MMAP_SEEK_CUR);
    SEEK_BAD(10, 5, INT64_MAX, MMAP_SEEK_CUR);

    /* SEEK_END. */
    SEEK_OK(10, 5, 0, MMAP_SEEK_END, 10);
    SEEK_OK(10, 5, -1, MMAP_SEEK_END, 9);
    SEEK_OK(10, 5, -10, MMAP_SEEK_END, 0);
    SEEK_BAD(10, 5, -11, MMAP_SEEK_END);
    SEEK_BAD(10, 5, 1, MMAP_SEEK_END);
    SEEK_BAD(10, 5, INT64_MIN, MMAP_SEEK_END);
    SEEK_OK(1, 0, -1, MMAP_SEEK_END, 0);
    SEEK_BAD(1, 0, -2, MMAP_SEEK_END);

    /* 64-bit lengths: INT64_MIN is exactly 2**63 back. */
    SEEK_OK(UINT64_MAX, 0, INT64_MAX, MMAP_SEEK_SET, INT64_MAX);
    SEEK_OK(UINT64_MAX, UINT64_MAX, INT64_MIN, MMAP_SEEK_CUR,
	    (uint64_t) INT64_MAX);
    SEEK_OK(UINT64_MAX, 0, INT64_MIN, MMAP_SEEK_END, (uint64_t) INT64_MAX);
    SEEK_OK((uint64_t) 1 << 63, 0, INT64_MIN, MMAP_SEEK_END, 0);
    SEEK_BAD(((uint64_t) 1 << 63) - 1, 0, INT64_MIN, MMAP_SEEK_END);
    SEEK_OK(UINT64_MAX, (uint64_t) INT64_MAX + 1, INT64_MAX, MMAP_SEEK_CUR,
	    UINT64_MAX);
    SEEK_BAD(UINT64_MAX, (uint64_t) INT64_MAX + 2, INT64_MAX, MMAP_SEEK_CUR);
    SEEK_BAD(UINT64_MAX, UINT64_MAX, 1, MMAP_SEEK_CUR);
    SEEK_OK(UINT64_MAX, 0, 0, MMAP_SEEK_END, UINT64_MAX);

    /* Every small case against the definition. */
    for (whence = MMAP_SEEK_SET; whence <= MMAP_SEEK_END; whence++) {
	int64_t length, position, offset, bad = 0;

	for (length = 0; length <= 6; length++) {
	    for (position = 0; position <= length; position++) {
		for (offset = -8; offset <= 8; offset++) {
		    int64_t origin = whence == MMAP_SEEK_SET ? 0
			    : whence == MMAP_SEEK_CUR ? position : length;
		    int64_t want = origin + offset;
		    uint64_t got = 777;
		    int err = MmapPlanSeek((uint64_t) length,
			    (uint64_t) position, offset, whence, &got);

		    if (want < 0 || want > length
			    ? (err != EINVAL || got != 777)
			    : (err != 0 || got != (uint64_t) want)) {
			bad++;
		    }
		}
	    }
	}
	EQ(bad, 0);
    }
}

int
main(void)
{
    TestRangeOk();
    TestAlignDown();
    TestPageSpan();
    TestReadCount();
    TestCyclicEdges();
    TestLinearEdges();
    TestPlannersAgainstModel();
    TestSeek();
    return Report();
}
