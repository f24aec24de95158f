/*
 * scan_test.c --
 *
 *	Unit test of the search core (c/scan.c) without Tcl.  Every scan is
 *	checked against the naive model in scan_model.h, shared with
 *	fuzz/fuzz_scan.c and written from scan.h's definitions (a match at
 *	every offset tested byte by byte, the non-overlapping ones picked
 *	greedily, each line found by walking to its '\n's), for both
 *	the SSE2 and the memchr path, forwards and backwards, exact and
 *	nocase, matches and lines, stored and counted, with limits:
 *
 *	- hand-written cases with their expected results spelled out
 *	  (overlaps, empty needles, windows that cut matches and lines,
 *	  "\r\n", a last line without '\n', folding of letters only);
 *	- every window of small random buffers;
 *	- needles of 1, 2, 3, 5, 16, 17, 31, 32, 33, 63, 64 and 65 bytes
 *	  planted (and nearly planted) in longer buffers, at their edges;
 *	- buffers that end exactly at a PROT_NONE page or start right
 *	  after one, so that a read one byte outside faults;
 *	- the growth of the results array, and its refusal.
 *
 *	Build: gcc -Wall -Wextra -D_GNU_SOURCE -Ic c/scan.c tests/c/scan_test.c
 *		-o scan_test
 *	Run: ./scan_test
 *	Prints "N passed, N failed" and exits 0 when none failed.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "scan.h"
#include "check.h"
#include "scan_model.h"

#define MAX_LENGTH 20000	/* No test buffer is longer. */

static int reported = 0;	/* Failures printed in detail so far. */

/*
 * A fixed pseudo-random sequence (xorshift64*), so that a failure comes
 * back on every run.
 */

static uint64_t seed = 0x9E3779B97F4A7C15ULL;

static uint64_t
Rand(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 0x2545F4914F6CDD1DULL;
}

static uint64_t
Below(
    uint64_t n)
{
    return n ? Rand() % n : 0;
}

/*
 * A growProc that doubles the array with realloc, as a caller would.
 */

static int
Grow(
    void *clientData,
    uint64_t **resultsPtr,
    uint64_t *roomPtr)
{
    uint64_t room = 2 * *roomPtr + 1;
    uint64_t *grown = realloc(*resultsPtr, room * sizeof(uint64_t));

    (void) clientData;
    if (grown == NULL) {
	return 0;
    }
    *resultsPtr = grown;
    *roomPtr = room;
    return 1;
}

static void
Describe(
    const Case *c)
{
    uint64_t i;

    fprintf(stderr, "    flags %d max %lld window [%llu,%llu) of %llu,"
	    " needle (%llu) \"", c->flags, (long long) c->max,
	    (unsigned long long) c->start, (unsigned long long) c->end,
	    (unsigned long long) c->length, (unsigned long long) c->n);
    for (i = 0; i < c->n && i < 70; i++) {
	fprintf(stderr, (c->needle[i] >= 32 && c->needle[i] < 127)
		? "%c" : "\\x%02x", c->needle[i]);
    }
    fprintf(stderr, "\"\n    buffer \"");
    for (i = 0; i < c->length && i < 300; i++) {
	fprintf(stderr, (c->buf[i] >= 32 && c->buf[i] < 127)
		? "%c" : "\\x%02x", c->buf[i]);
    }
    fprintf(stderr, "%s\"\n", c->length > 300 ? "..." : "");
}

/*
 * Agree: runs the case through MmapScanRun, with a results array of a
 * random small size that Grow enlarges, and compares all it reports with
 * the model.  One check.
 */

static int
Agree(
    const Case *c,
    int line)
{
    static uint64_t want[2 * (MAX_LENGTH + 1)];
    uint64_t wantCount, width = (c->flags & MMAP_SCAN_LINES) ? 2 : 1, i;
    int wantStatus = Model(c, want, &wantCount), ok;
    MmapScan scan;

    CaseScan(&scan, c);
    scan.room = Below(4);
    scan.results = scan.room ? malloc(scan.room * sizeof(uint64_t)) : NULL;
    scan.growProc = Grow;
    scan.count = 12345;
    scan.status = -1;
    MmapScanRun(&scan);

    ok = scan.status == wantStatus && scan.count == wantCount;
    if (ok && !(c->flags & MMAP_SCAN_COUNT)) {
	for (i = 0; i < wantCount * width; i++) {
	    ok &= scan.results[i] == want[i];
	}
    }
    if (ok) {
	passed++;
    } else {
	failed++;
	if (reported++ < 10) {
	    fprintf(stderr, "%s:%d: FAILED: status %d count %llu, want %d"
		    " %llu\n", __FILE__, line, scan.status,
		    (unsigned long long) scan.count, wantStatus,
		    (unsigned long long) wantCount);
	    Describe(c);
	    fprintf(stderr, "    got ");
	    for (i = 0; i < scan.count * width && i < 40
		    && !(c->flags & MMAP_SCAN_COUNT); i++) {
		fprintf(stderr, " %llu", (unsigned long long) scan.results[i]);
	    }
	    fprintf(stderr, "\n    want");
	    for (i = 0; i < wantCount * width && i < 40; i++) {
		fprintf(stderr, " %llu", (unsigned long long) want[i]);
	    }
	    fprintf(stderr, "\n");
	}
    }
    free(scan.results);
    return ok;
}

/*
 * AgreeAll: the case under every combination of flags, both paths.
 */

static void
AgreeAll(
    Case *c,
    int line)
{
    int flags;

    for (flags = 0; flags < 32; flags++) {
	c->flags = flags;
	Agree(c, line);
    }
}

/*
 * Run: a scan of a C string's bytes, for the hand-written cases; results
 * into a fixed array of 64 slots without growth.
 */

static uint64_t got[64];

static MmapScan
Run(
    const char *buf,
    uint64_t start,
    uint64_t end,
    const char *needle,
    int flags,
    uint64_t max)
{
    MmapScan scan;

    memset(&scan, 0, sizeof(scan));
    memset(got, 0xEE, sizeof(got));
    scan.base = (const unsigned char *) buf;
    scan.length = strlen(buf);
    scan.start = start;
    scan.end = (end == UINT64_MAX) ? scan.length : end;
    scan.needle = (const unsigned char *) needle;
    scan.needleLength = strlen(needle);
    scan.flags = flags;
    scan.max = max;
    scan.results = got;
    scan.room = 64;
    MmapScanRun(&scan);
    return scan;
}

/*
 * Results as a string, "status count: r0 r1 ...", to compare whole.
 */

static const char *
Results(
    MmapScan scan)
{
    static char text[1024];
    size_t used;
    uint64_t i, slots = scan.count * ((scan.flags & MMAP_SCAN_LINES) ? 2 : 1);

    used = (size_t) snprintf(text, sizeof(text), "%d %llu:", scan.status,
	    (unsigned long long) scan.count);
    for (i = 0; i < slots && !(scan.flags & MMAP_SCAN_COUNT)
	    && used < sizeof(text) - 24; i++) {
	used += (size_t) snprintf(text + used, sizeof(text) - used, " %llu",
		(unsigned long long) scan.results[i]);
    }
    return text;
}

static void
CheckResults(
    MmapScan scan,
    const char *want,
    int line)
{
    const char *text = Results(scan);

    if (strcmp(text, want) == 0) {
	passed++;
	return;
    }
    failed++;
    fprintf(stderr, "%s:%d: FAILED: flags %d: got \"%s\", want \"%s\"\n",
	    __FILE__, line, scan.flags, text, want);
}

/*
 * SAME checks the case on both paths, with its results spelled out.
 */

#define SAME(buf, start, end, needle, flags, max, want) do {		\
    CheckResults(Run((buf), (start), (end), (needle), (flags), (max)),	\
	    (want), __LINE__);						\
    CheckResults(Run((buf), (start), (end), (needle),			\
	    (flags) | MMAP_SCAN_PLAIN, (max)), (want), __LINE__);	\
} while (0)

#define ALL UINT64_MAX
#define L MMAP_SCAN_LAST
#define I MMAP_SCAN_NOCASE
#define G MMAP_SCAN_LINES
#define C MMAP_SCAN_COUNT

static void
TestHandWritten(void)
{
    const char *log = "one\r\nERROR two\r\nthree error\nlast ERROR";
    int flags;

    /* Overlaps: forwards from the start, backwards from the end. */
    SAME("aaa", 0, ALL, "aa", 0, ALL, "0 1: 0");
    SAME("aaa", 0, ALL, "aa", L, ALL, "0 1: 1");
    SAME("aaaa", 0, ALL, "aa", 0, ALL, "0 2: 0 2");
    SAME("aaaa", 0, ALL, "aa", L, ALL, "0 2: 2 0");
    SAME("aaaaa", 0, ALL, "aa", L, ALL, "0 2: 3 1");
    SAME("aaaaa", 0, ALL, "aa", C, ALL, "0 2:");
    SAME("aaaaa", 0, ALL, "aa", L | C, 1, "0 1:");
    SAME("abcabcabc", 0, ALL, "abc", 0, 2, "0 2: 0 3");
    SAME("abcabcabc", 0, ALL, "abc", L, 2, "0 2: 6 3");
    SAME("abcabcabc", 0, ALL, "abc", 0, 0, "0 0:");

    /* An empty needle is never found; nor one longer than the window. */
    for (flags = 0; flags < 16; flags++) {
	SAME("abc", 0, ALL, "", flags, ALL, "0 0:");
	SAME("", 0, ALL, "", flags, ALL, "0 0:");
	SAME("", 0, ALL, "a", flags, ALL, "0 0:");
	SAME("abcdef", 1, 3, "bcd", flags, ALL, "0 0:");
    }
    SAME("abcdef", 1, 4, "bcd", 0, ALL, "0 1: 1");
    SAME("abcdef", 0, ALL, "abcdefg", 0, ALL, "0 0:");
    SAME("abcdef", 0, ALL, "abcdef", L, ALL, "0 1: 0");

    /* Matches must lie wholly in the window. */
    SAME("xxERRORxx", 3, 9, "ERROR", 0, ALL, "0 0:");
    SAME("xxERRORxx", 2, 6, "ERROR", L, ALL, "0 0:");
    SAME("xxERRORxx", 2, 7, "ERROR", 0, ALL, "0 1: 2");
    SAME("xxERRORxx", 2, 7, "ERROR", L, ALL, "0 1: 2");
    SAME("xxERRORxx", 3, 3, "R", 0, ALL, "0 0:");
    SAME("xxERRORxx", 3, 4, "R", 0, ALL, "0 1: 3");

    /* Bad windows read nothing. */
    SAME("abc", 2, 1, "b", 0, ALL, "2 0:");
    SAME("abc", 0, 4, "b", 0, ALL, "2 0:");
    SAME("abc", 4, 4, "b", G, ALL, "2 0:");
    SAME("abc", 3, 3, "b", 0, ALL, "0 0:");

    /* Folding: ASCII letters only. */
    SAME("ERROR Error error", 0, ALL, "error", I, ALL, "0 3: 0 6 12");
    SAME("ERROR Error error", 0, ALL, "error", 0, ALL, "0 1: 12");
    SAME("ERROR Error error", 0, ALL, "eRRoR", I | L, ALL, "0 3: 12 6 0");
    SAME("\xC1\xE1", 0, ALL, "\xE1", I, ALL, "0 1: 1");
    SAME("\xC1\xE1", 0, ALL, "\xC1", I, ALL, "0 1: 0");
    SAME("@`[{]}^~", 0, ALL, "`", I, ALL, "0 1: 1");
    SAME("@`[{]}^~", 0, ALL, "@", I, ALL, "0 1: 0");
    SAME("@`[{]}^~", 0, ALL, "{", I, ALL, "0 1: 3");
    SAME("@`[{]}^~", 0, ALL, "~", I, ALL, "0 1: 7");
    SAME("Zz Aa", 0, ALL, "z", I, ALL, "0 2: 0 1");
    SAME("Zz Aa", 0, ALL, "A", I, ALL, "0 2: 3 4");

    /* Lines: "\r\n", a last line without '\n', each line once. */
    SAME(log, 0, ALL, "ERROR", G, ALL, "0 2: 5 16 28 38");
    SAME(log, 0, ALL, "ERROR", G | I, ALL, "0 3: 5 16 16 28 28 38");
    SAME(log, 0, ALL, "ERROR", G | I | C, ALL, "0 3:");
    SAME(log, 0, ALL, "ERROR", G | I, 2, "0 2: 5 16 16 28");
    SAME(log, 0, ALL, "ERROR", G | I | L, 2, "0 2: 16 28 28 38");
    SAME(log, 0, ALL, "ERROR", G | I | L, 1, "0 1: 28 38");
    SAME(log, 0, ALL, "ERROR", G | I | L, ALL, "0 3: 5 16 16 28 28 38");
    SAME(log, 0, ALL, "e", G, ALL, "0 2: 0 5 16 28");
    SAME(log, 0, ALL, "e", G | L, ALL, "0 2: 0 5 16 28");
    SAME(log, 0, ALL, "e", G | C, 1, "0 1:");
    SAME(log, 0, ALL, "\r", G, ALL, "0 2: 0 5 5 16");
    SAME(log, 0, ALL, "\n", G, ALL, "0 3: 0 5 5 16 16 28");
    SAME(log, 0, ALL, "\n", G | L, 2, "0 2: 5 16 16 28");

    /* A line cut by the window is taken whole. */
    SAME(log, 8, 12, "OR", G, ALL, "0 1: 5 16");
    SAME(log, 8, 12, "OR", G | L, ALL, "0 1: 5 16");
    SAME(log, 8, 12, "ERROR", G, ALL, "0 0:");
    SAME(log, 35, 38, "OR", G | L, ALL, "0 1: 28 38");
    SAME(log, 0, 6, "E", G, ALL, "0 1: 5 16");

    /*
     * A needle holding a '\n' belongs to the line of its first byte,
     * both ways; and a line may hold several matches.
     */

    SAME("xa\nbx\nya\nb", 0, ALL, "a\nb", G, ALL, "0 2: 0 3 6 9");
    SAME("xa\nbx\nya\nb", 0, ALL, "a\nb", G | L, ALL, "0 2: 0 3 6 9");
    SAME("a\na\na", 0, ALL, "a\na", G, ALL, "0 2: 0 2 2 4");
    SAME("a\na\na", 0, ALL, "a\na", G | L, ALL, "0 2: 0 2 2 4");
    SAME("a\na\na", 0, ALL, "a\na", 0, ALL, "0 1: 0");
    SAME("a\na\na", 0, ALL, "a\na", L, ALL, "0 1: 2");
    SAME("abab\nab", 0, ALL, "ab", G | L, ALL, "0 2: 0 5 5 7");
    SAME("abab\nab", 0, ALL, "ab", G | C, ALL, "0 2:");
}

static void
TestLineBounds(void)
{
    const unsigned char *text = (const unsigned char *) "ab\n\ncd\r\nef";
    unsigned char buf[64];
    uint64_t s, e, ws, we, length, p;
    int k, ok;

    MmapScanLine(text, 10, 0, &s, &e);
    CHECK(s == 0 && e == 3);
    MmapScanLine(text, 10, 2, &s, &e);	/* The '\n' is its line's. */
    CHECK(s == 0 && e == 3);
    MmapScanLine(text, 10, 3, &s, &e);	/* An empty line. */
    CHECK(s == 3 && e == 4);
    MmapScanLine(text, 10, 6, &s, &e);
    CHECK(s == 4 && e == 8);
    MmapScanLine(text, 10, 9, &s, &e);
    CHECK(s == 8 && e == 10);
    MmapScanLine(text, 10, 10, &s, &e);
    CHECK(s == 8 && e == 10);
    MmapScanLine(text, 0, 0, &s, &e);
    CHECK(s == 0 && e == 0);

    for (k = 0; k < 2000; k++) {
	length = Below(sizeof(buf) + 1);
	for (p = 0; p < length; p++) {
	    buf[p] = "ab\n\r"[Below(4)];
	}
	ok = 1;
	for (p = 0; p < length; p++) {
	    MmapScanLine(buf, length, p, &s, &e);
	    ModelLine(buf, length, p, &ws, &we);
	    ok &= s == ws && e == we;
	}
	CHECK(ok);
    }
}

/*
 * Growth of the results array.
 */

static int growCalls;

static int
GrowTwice(
    void *clientData,
    uint64_t **resultsPtr,
    uint64_t *roomPtr)
{
    if (growCalls++ == 2) {
	return 0;
    }
    return Grow(clientData, resultsPtr, roomPtr);
}

static int
GrowNot(
    void *clientData,
    uint64_t **resultsPtr,
    uint64_t *roomPtr)
{
    (void) clientData;
    (void) resultsPtr;
    (void) roomPtr;
    growCalls++;
    return 1;
}

static void
TestGrowth(void)
{
    const char *text = "a a a a a a a a a a a a\na a";
    MmapScan scan;
    uint64_t one[1];
    int flags;

    memset(&scan, 0, sizeof(scan));
    scan.base = (const unsigned char *) text;
    scan.length = scan.end = strlen(text);
    scan.needle = (const unsigned char *) "a";
    scan.needleLength = 1;
    scan.max = UINT64_MAX;

    /* No room and no growProc: full at once. */
    MmapScanRun(&scan);
    CHECK(scan.status == MMAP_SCAN_FULL && scan.count == 0);
    scan.flags = MMAP_SCAN_LINES;
    MmapScanRun(&scan);
    CHECK(scan.status == MMAP_SCAN_FULL && scan.count == 0);

    /* Counting needs no room. */
    for (flags = 0; flags < 32; flags++) {
	scan.flags = flags | MMAP_SCAN_COUNT;
	MmapScanRun(&scan);
	CHECK(scan.status == MMAP_SCAN_OK && scan.count
		== ((flags & MMAP_SCAN_LINES) ? 2 : 14));
    }

    /* One slot: room for one match, not for one line. */
    scan.results = one;
    scan.room = 1;
    scan.flags = 0;
    MmapScanRun(&scan);
    CHECK(scan.status == MMAP_SCAN_FULL && scan.count == 1 && one[0] == 0);
    scan.flags = MMAP_SCAN_LAST;
    MmapScanRun(&scan);
    CHECK(scan.status == MMAP_SCAN_FULL && scan.count == 1 && one[0] == 26);
    scan.flags = MMAP_SCAN_LINES;
    MmapScanRun(&scan);
    CHECK(scan.status == MMAP_SCAN_FULL && scan.count == 0);
    scan.max = 1;
    scan.flags = 0;
    MmapScanRun(&scan);
    CHECK(scan.status == MMAP_SCAN_OK && scan.count == 1 && one[0] == 0);
    scan.max = UINT64_MAX;

    /*
     * Growth twice (to 1, then 3 slots), then refused: the results so far
     * stand.  A line needs two slots, so the second does not fit.
     */

    for (flags = 0; flags < 32; flags++) {
	if (flags & MMAP_SCAN_COUNT) {
	    continue;
	}
	scan.results = NULL;
	scan.room = 0;
	scan.flags = flags;
	scan.growProc = GrowTwice;
	growCalls = 0;
	MmapScanRun(&scan);
	CHECK(scan.status == MMAP_SCAN_FULL && scan.room == 3
		&& growCalls == 3);
	if (flags & MMAP_SCAN_LINES) {
	    CHECK(scan.count == 1 && scan.results[0]
		    == ((flags & MMAP_SCAN_LAST) ? 24 : 0)
		    && scan.results[1]
		    == ((flags & MMAP_SCAN_LAST) ? 27 : 24));
	} else {
	    CHECK(scan.count == 3 && scan.results[2]
		    == ((flags & MMAP_SCAN_LAST) ? 22 : 4));
	}
	free(scan.results);
    }
    scan.max = 2;
    scan.results = NULL;
    scan.room = 0;
    scan.flags = 0;
    growCalls = 0;
    MmapScanRun(&scan);
    CHECK(scan.status == MMAP_SCAN_OK && scan.count == 2 && growCalls == 2);
    free(scan.results);
    scan.max = UINT64_MAX;

    /* A growProc that says yes but gives no room is not asked forever. */
    scan.results = NULL;
    scan.room = 0;
    scan.flags = 0;
    scan.growProc = GrowNot;
    growCalls = 0;
    MmapScanRun(&scan);
    CHECK(scan.status == MMAP_SCAN_FULL && scan.count == 0
	    && growCalls == 1);
}

/*
 * Random buffers over small alphabets, so that matches, near matches,
 * lines and case pairs are frequent.
 */

static const char *const alphabets[] = {
    "ab", "aAb\n", "ab\r\nAB", "aAbB\n\xC1\xE1@`", "eErRoO \n",
};

static void
Fill(
    unsigned char *buf,
    uint64_t length)
{
    const char *alphabet = alphabets[Below(sizeof(alphabets)
	    / sizeof(alphabets[0]))];
    size_t size = strlen(alphabet);
    uint64_t i;
    int any = Below(8) == 0;	/* Sometimes any byte at all. */

    for (i = 0; i < length; i++) {
	buf[i] = any ? (unsigned char) Rand() : (unsigned char)
		alphabet[Below(size)];
    }
}

/*
 * A needle: mostly a piece of the buffer, its letters' case sometimes
 * flipped, sometimes one byte changed (a near match); else random.
 */

static uint64_t
PickNeedle(
    const unsigned char *buf,
    uint64_t length,
    unsigned char *needle,
    uint64_t n)
{
    uint64_t i, at;

    if (length >= n && Below(4) != 0) {
	at = Below(length - n + 1);
	memcpy(needle, buf + at, n);
	if (Below(3) == 0) {
	    for (i = 0; i < n; i++) {
		if (((needle[i] | 0x20) >= 'a' && (needle[i] | 0x20) <= 'z')
			&& Below(2)) {
		    needle[i] ^= 0x20;
		}
	    }
	}
	if (n > 0 && Below(5) == 0) {
	    needle[Below(n)] ^= (unsigned char) (1 + Below(255));
	}
    } else {
	Fill(needle, n);
    }
    return n;
}

static void
TestEveryWindow(void)
{
    unsigned char buf[40], needle[8];
    static const uint64_t maxes[] = { 1, 2, 3, UINT64_MAX, UINT64_MAX };
    Case c;
    int k;

    for (k = 0; k < 120; k++) {
	memset(&c, 0, sizeof(c));
	c.length = Below(sizeof(buf) + 1);
	Fill(buf, c.length);
	c.buf = buf;
	c.n = PickNeedle(buf, c.length, needle, 1 + Below(Below(2) ? 3 : 6));
	c.needle = needle;
	for (c.start = 0; c.start <= c.length; c.start++) {
	    for (c.end = c.start; c.end <= c.length; c.end++) {
		c.max = maxes[Below(5)];
		AgreeAll(&c, __LINE__);
	    }
	}
    }
}

/*
 * Needles of the lengths where the paths change (one byte, the 16-wide
 * rounds, the 64-wide ones), planted in longer buffers at the edges and
 * at random places, near matches beside them; windows at the edges and
 * at random.
 */

static void
Plant(
    unsigned char *buf,
    uint64_t length,
    const unsigned char *needle,
    uint64_t n)
{
    uint64_t i, at, plants = Below(6);

    if (n > length) {
	return;
    }
    if (Below(2)) {
	memcpy(buf, needle, n);
    }
    if (Below(2)) {
	memcpy(buf + length - n, needle, n);
    }
    for (i = 0; i < plants; i++) {
	at = Below(length - n + 1);
	memcpy(buf + at, needle, n);
	if (Below(3) == 0) {
	    buf[at + Below(n)] ^= 0x20;	/* Another case, or another byte. */
	}
    }
}

static void
TestNeedleSizes(void)
{
    static const uint64_t sizes[] = {
	1, 2, 3, 5, 16, 17, 31, 32, 33, 63, 64, 65
    };
    static unsigned char buf[1200];
    unsigned char needle[80];
    uint64_t s, w;
    Case c;
    int k;

    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
	for (k = 0; k < 60; k++) {
	    memset(&c, 0, sizeof(c));
	    c.length = Below(k < 30 ? 200 : sizeof(buf) + 1);
	    Fill(buf, c.length);
	    c.n = sizes[s];
	    Fill(needle, c.n);
	    Plant(buf, c.length, needle, c.n);
	    if (Below(4) == 0) {
		PickNeedle(buf, c.length, needle, c.n);
	    }
	    c.buf = buf;
	    c.needle = needle;
	    for (w = 0; w < 12; w++) {
		switch (w) {
		case 0:
		    c.start = 0;
		    c.end = c.length;
		    break;
		case 1:
		    c.start = Below(c.length + 1);
		    c.end = c.length;
		    break;
		case 2:
		    c.start = 0;
		    c.end = Below(c.length + 1);
		    break;
		case 3:		/* Windows around the needle's length. */
		    c.start = Below(c.length + 1);
		    c.end = c.start + c.n - 1 + Below(3);
		    break;
		default:
		    c.start = Below(c.length + 1);
		    c.end = c.start + Below(c.length - c.start + 1);
		}
		if (c.end > c.length) {
		    c.end = c.length;
		}
		c.max = Below(3) ? UINT64_MAX : 1 + Below(4);
		AgreeAll(&c, __LINE__);
	    }
	}
    }
}

/*
 * Buffers against a PROT_NONE page: ending exactly at it (the forward
 * rounds must not read past the end) and starting right after one (nor
 * the backward ones before the start).
 */

static void
TestFences(void)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    unsigned char *all, *buf, needle[80];
    static const uint64_t lengths[] = {
	1, 2, 3, 15, 16, 17, 63, 64, 65, 100, 127, 128, 129, 1000
    };
    uint64_t l, n, k;
    Case c;
    int side;

    all = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!CHECK(all != MAP_FAILED)) {
	return;
    }
    CHECK(mprotect(all, page, PROT_NONE) == 0);
    CHECK(mprotect(all + 2 * page, page, PROT_NONE) == 0);

    for (side = 0; side < 2; side++) {
	for (l = 0; l <= sizeof(lengths) / sizeof(lengths[0]); l++) {
	    memset(&c, 0, sizeof(c));
	    c.length = (l < sizeof(lengths) / sizeof(lengths[0]))
		    ? lengths[l] : page;
	    buf = side ? all + page : all + 2 * page - c.length;
	    for (k = 0; k < 16; k++) {
		n = 1 + Below(k < 8 ? 5 : 70);
		Fill(buf, c.length);
		Fill(needle, n);
		Plant(buf, c.length, needle, n);
		if (n <= c.length) {
		    /* At the very edge the fence is on. */
		    memcpy(side ? buf : buf + c.length - n, needle, n);
		}
		c.buf = buf;
		c.needle = needle;
		c.n = n;
		c.start = 0;
		c.end = c.length;
		c.max = UINT64_MAX;
		AgreeAll(&c, __LINE__);

		/* A window against the other fence's side, too. */
		c.start = Below(c.length + 1);
		AgreeAll(&c, __LINE__);
		c.start = 0;
		c.end = Below(c.length + 1);
		AgreeAll(&c, __LINE__);
	    }
	}
    }
    munmap(all, 3 * page);
}

/*
 * A long buffer, a log as the benchmark makes them, where the rounds run
 * long between matches: counts and the first and last results.
 */

static void
TestLong(void)
{
    static unsigned char buf[MAX_LENGTH];
    static const char *const levels[] = {
	"INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR", "error", "Error"
    };
    static const char *const needles[] = {
	"ERROR", "error", "ms\n", "7 ", "\n", "E", "worker-1", "Rr", "\xE9"
    };
    uint64_t used = 0, i;
    Case c;
    int line = 0;

    while (used < sizeof(buf)) {
	char text[128];
	int len = snprintf(text, sizeof(text), "2026-12-01T10:00:%02d %s"
		" worker-%d request %d done in %d ms%s\n", line % 60,
		levels[Below(8)], (int) Below(32), (int) Below(100000),
		(int) Below(100), line % 97 == 0 ? " caf\xE9" : "");

	if (used + (uint64_t) len > sizeof(buf)) {
	    break;
	}
	memcpy(buf + used, text, (size_t) len);
	used += (uint64_t) len;
	line++;
    }
    memset(&c, 0, sizeof(c));
    c.buf = buf;
    c.length = used;
    for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
	c.needle = (const unsigned char *) needles[i];
	c.n = strlen(needles[i]);
	c.start = Below(100);
	c.end = used - Below(100);
	c.max = UINT64_MAX;
	AgreeAll(&c, __LINE__);
	c.max = 3;
	AgreeAll(&c, __LINE__);
    }
}

int
main(void)
{
    printf("SIMD path: %s\n", MmapScanHasSimd() ? "SSE2" : "none");
    TestHandWritten();
    TestLineBounds();
    TestGrowth();
    TestEveryWindow();
    TestNeedleSizes();
    TestFences();
    TestLong();
    return Report();
}
