/*
 * scan.c --
 *
 *	The search core of mmap::find and mmap::grep (see scan.h).  A
 *	search looks for candidates with a cheap filter and compares each in
 *	full.  The filter tests the needle's two rarest bytes at their
 *	places, 64 start positions per round with SSE2 (baseline on x86_64,
 *	so no run-time dispatch); the portable path runs memchr or memrchr
 *	on the rarest byte.  Both are always compiled where SSE2 is, and
 *	give the same answers, so the tests check one against the other.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memrchr */
#endif
#include <stddef.h>
#include <string.h>
#include "scan.h"

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define SCAN_SIMD 1
#else
#define SCAN_SIMD 0
#endif

/*
 * How common each byte is, as a rank: 0 is the rarest, 255 the most
 * common (the space).  Measured over equal shares of C headers, English
 * change logs and manual pages, HTML, Tcl sources, system logs and
 * executables; a needle's rarest bytes by this table are the ones whose
 * candidates are fewest, whatever the exact file.
 */

static const unsigned char byteRank[256] = {
    252,181,160,144,156,158,126,134,171,227,244,119,111,168,153,183, /* 0x00 */
    162,104,101, 74,106,112, 60, 56,142, 54, 55, 57, 69, 65, 51,140, /* 0x10 */
    255,116,219,204,207,147,141,155,211,206,191,177,203,241,239,222, /* 0x20 */
    230,231,232,202,218,200,213,179,185,193,229,172,224,194,223, 93, /* 0x30 */
    165,212,182,198,190,217,175,173,226,208,138,157,205,184,197,196, /* 0x40 */
    201, 94,216,221,210,178,154,150,169,143,107,174,225,176, 88,235, /* 0x50 */
    136,251,228,243,242,254,237,233,234,249,170,214,245,236,248,247, /* 0x60 */
    240,159,246,250,253,238,209,195,199,215,163,187,152,189,130, 66, /* 0x70 */
    139, 90, 46,164,161,167, 62, 48,114,192, 33,188, 73,180, 49, 42, /* 0x80 */
    132, 29, 12, 22, 76, 40,  9, 11, 72, 17,  1,  2, 31, 26,  0,  6, /* 0x90 */
     92,  8, 23, 24, 63, 19,  5,  3, 67,  7, 16, 18, 30, 15,  4, 21, /* 0xa0 */
     86, 14, 13, 10, 61, 38,108, 50, 99, 64,115, 41, 97, 78,109,103, /* 0xb0 */
    166,113, 95,146,100, 81,118,151, 84,102, 43, 20, 37, 25, 34, 27, /* 0xc0 */
    128, 53,117, 47, 36, 44, 39, 35,124, 89, 45, 96, 32, 82, 68,129, /* 0xd0 */
    122, 52, 80, 28, 77, 59, 79, 98,186,148, 71,127, 91, 85,110,137, /* 0xe0 */
    123, 58, 75, 83, 87, 70,133,120,145,105,121,131,125,135,149,220, /* 0xf0 */
};

/*
 * A needle made ready for searching: where its two rarest bytes are and
 * what they must be.
 */

typedef struct Finder {
    const unsigned char *needle;
    uint64_t n;			/* Its length, > 0. */
    int nocase;			/* Fold ASCII letters when comparing. */
    int simd;			/* Take the SSE2 path. */
    uint64_t pos1, pos2;	/* The two rarest bytes' places, pos1 <=
				 * pos2 (equal for a one-byte needle). */
    unsigned char byte1, byte2;	/* Their values, folded with nocase. */
    unsigned char or1, or2;	/* 0x20 for a folded letter, else 0: (b |
				 * 0x20) == 'e' holds for 'E' and 'e' and
				 * no other byte, so the filter is exact. */
    uint64_t rare;		/* The rarest byte's place (memchr path). */
    unsigned char rareA, rareB;	/* Its forms: the byte twice, or both
				 * cases of a letter. */
} Finder;

#define NONE UINT64_MAX		/* No candidate (offsets are smaller). */

/*
 * ASCII folding: A-Z to a-z, every other byte as it is.
 */

static inline unsigned char
Fold(
    unsigned char c)
{
    return (unsigned char) ((unsigned) (c - 'A') < 26u ? c | 0x20 : c);
}

static inline int
IsLetter(
    unsigned char c)
{
    return (unsigned) (Fold(c) - 'a') < 26u;
}

#if defined(__GLIBC__)
#define MemRChr memrchr
#else
static const void *
MemRChr(
    const void *s,
    int c,
    size_t n)
{
    const unsigned char *p = (const unsigned char *) s + n;

    while (p > (const unsigned char *) s) {
	if (*--p == (unsigned char) c) {
	    return p;
	}
    }
    return NULL;
}
#endif

static void	Prepare(Finder *f, const unsigned char *needle, uint64_t n,
		    int nocase, int simd);
static int	FindFirst(const Finder *f, const unsigned char *base,
		    uint64_t from, uint64_t end, uint64_t *atPtr);
static int	FindLast(const Finder *f, const unsigned char *base,
		    uint64_t from, uint64_t end, uint64_t *atPtr);
static int	MoreRoom(MmapScan *scanPtr, uint64_t used, uint64_t need);

/*
 *----------------------------------------------------------------------
 *
 * MmapScanRun --
 *
 *	Runs one scan as scan.h defines it: matches or lines, forwards or
 *	backwards, stored or counted, up to max of them.
 *
 * Results:
 *	None; count and status are set, results holds the offsets (the
 *	array growProc may have replaced).
 *
 * Side effects:
 *	Reads the window, and for lines the buffer around it (possibly
 *	faulting, under the caller's guard); calls growProc.
 *
 *----------------------------------------------------------------------
 */

void
MmapScanRun(
    void *clientData)
{
    MmapScan *scanPtr = clientData;
    const unsigned char *base = scanPtr->base;
    const unsigned char *nl;
    uint64_t start = scanPtr->start, end = scanPtr->end;
    uint64_t n = scanPtr->needleLength, max = scanPtr->max;
    uint64_t count = 0, used = 0, at, from, lineStart, lineEnd;
    int flags = scanPtr->flags, store = !(flags & MMAP_SCAN_COUNT);
    Finder f;

    scanPtr->count = 0;
    scanPtr->status = MMAP_SCAN_OK;
    if (start > end || end > scanPtr->length) {
	scanPtr->status = MMAP_SCAN_RANGE;
	return;
    }
    if (n == 0 || n > end - start || max == 0) {
	return;
    }
    Prepare(&f, scanPtr->needle, n, flags & MMAP_SCAN_NOCASE,
	    !(flags & MMAP_SCAN_PLAIN));

    switch (flags & (MMAP_SCAN_LINES | MMAP_SCAN_LAST)) {
    case 0:
	/* Matches, forwards: each search starts where the last match ends. */
	for (from = start; count < max
		&& FindFirst(&f, base, from, end, &at); from = at + n) {
	    if (store) {
		if (scanPtr->room == used && !MoreRoom(scanPtr, used, 1)) {
		    break;
		}
		scanPtr->results[used++] = at;
	    }
	    count++;
	}
	break;

    case MMAP_SCAN_LAST:
	/* Matches, backwards: each must end where the last one starts. */
	for (; count < max && FindLast(&f, base, start, end, &at);
		end = at) {
	    if (store) {
		if (scanPtr->room == used && !MoreRoom(scanPtr, used, 1)) {
		    break;
		}
		scanPtr->results[used++] = at;
	    }
	    count++;
	}
	break;

    case MMAP_SCAN_LINES:
	/*
	 * Lines, forwards: after a match the search goes on at the next
	 * line, so that a line counts once.  Its start is only needed to
	 * store it.
	 */

	for (from = start; count < max
		&& FindFirst(&f, base, from, end, &at); from = lineEnd) {
	    nl = memchr(base + at, '\n', (size_t) (scanPtr->length - at));
	    lineEnd = nl ? (uint64_t) (nl - base) + 1 : scanPtr->length;
	    if (store) {
		if (scanPtr->room - used < 2
			&& !MoreRoom(scanPtr, used, 2)) {
		    break;
		}
		nl = MemRChr(base, '\n', (size_t) at);
		scanPtr->results[used++] = nl ? (uint64_t) (nl - base) + 1 : 0;
		scanPtr->results[used++] = lineEnd;
	    }
	    count++;
	}
	break;

    default:
	/*
	 * Lines, backwards: the next match must start before this line
	 * (it may end inside it, when the needle holds a '\n': forwards
	 * that match counts for the line before, so it must here too).
	 * Such a match ends before lineStart + n, which is below end.
	 */

	for (; count < max && FindLast(&f, base, start, end, &at); ) {
	    nl = MemRChr(base, '\n', (size_t) at);
	    lineStart = nl ? (uint64_t) (nl - base) + 1 : 0;
	    if (store) {
		if (scanPtr->room - used < 2
			&& !MoreRoom(scanPtr, used, 2)) {
		    break;
		}
		nl = memchr(base + at, '\n', (size_t) (scanPtr->length - at));
		scanPtr->results[used++] = lineStart;
		scanPtr->results[used++] = nl ? (uint64_t) (nl - base) + 1
			: scanPtr->length;
	    }
	    count++;
	    if (lineStart <= start) {
		break;
	    }
	    end = lineStart + (n - 1);
	}

	/* Found newest first, returned in file order. */
	if (store) {
	    uint64_t *r = scanPtr->results, i, j, t;

	    for (i = 0, j = used; j - i > 2; i += 2, j -= 2) {
		t = r[i]; r[i] = r[j - 2]; r[j - 2] = t;
		t = r[i + 1]; r[i + 1] = r[j - 1]; r[j - 1] = t;
	    }
	}
	break;
    }
    scanPtr->count = count;
}

/*
 * MoreRoom: asks growProc until the results have room for "need" more
 * slots after "used".  A growProc that refuses, or returns no more room
 * than before, ends the scan with MMAP_SCAN_FULL.
 */

static int
MoreRoom(
    MmapScan *scanPtr,
    uint64_t used,
    uint64_t need)
{
    while (scanPtr->room - used < need) {
	uint64_t before = scanPtr->room;

	if (scanPtr->growProc == NULL
		|| !scanPtr->growProc(scanPtr->growData, &scanPtr->results,
			&scanPtr->room)
		|| scanPtr->room <= before) {
	    scanPtr->status = MMAP_SCAN_FULL;
	    return 0;
	}
    }
    return 1;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapScanLine --
 *
 *	The line that holds the byte at offset: from just after the '\n'
 *	before it (or the buffer's start) to just after the first '\n' at
 *	or after it (or the buffer's end).  offset <= length.
 *
 * Results:
 *	*lineStartPtr and *lineEndPtr.
 *
 * Side effects:
 *	Reads the buffer (possibly faulting, under the caller's guard).
 *
 *----------------------------------------------------------------------
 */

void
MmapScanLine(
    const unsigned char *base,
    uint64_t length,
    uint64_t offset,
    uint64_t *lineStartPtr,
    uint64_t *lineEndPtr)
{
    const unsigned char *nl;

    if (offset > length) {
	offset = length;
    }
    nl = MemRChr(base, '\n', (size_t) offset);
    *lineStartPtr = nl ? (uint64_t) (nl - base) + 1 : 0;
    nl = memchr(base + offset, '\n', (size_t) (length - offset));
    *lineEndPtr = nl ? (uint64_t) (nl - base) + 1 : length;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapScanHasSimd --
 *
 *	Tells whether this build has the SSE2 path (else every scan takes
 *	the memchr one).
 *
 * Results:
 *	1 or 0.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapScanHasSimd(void)
{
    return SCAN_SIMD;
}

/*
 *----------------------------------------------------------------------
 *
 * Prepare --
 *
 *	Picks the needle's two rarest bytes for the filter.  With nocase a
 *	letter is as common as its commoner case.  Of equally rare places
 *	the one farther from the rarest wins: bytes far apart are less
 *	likely to come together by chance (as in "RR" of "ERROR").
 *
 * Results:
 *	None; *f is filled in.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

static void
Prepare(
    Finder *f,
    const unsigned char *needle,
    uint64_t n,
    int nocase,
    int simd)
{
    uint64_t i, best = 0, second = NONE;
    unsigned rank, bestRank = 256, secondRank = 256;
    unsigned char c;

    f->needle = needle;
    f->n = n;
    f->nocase = nocase != 0;
    f->simd = SCAN_SIMD && simd;

    /*
     * Short of a table per needle, the rank of a place: a letter under
     * nocase takes its commoner case's.  Two passes, the second knowing
     * where the rarest is.
     */

#define PLACE_RANK(c) ((nocase && IsLetter(c)) \
	? (byteRank[Fold(c)] > byteRank[Fold(c) ^ 0x20] \
	    ? byteRank[Fold(c)] : byteRank[Fold(c) ^ 0x20]) \
	: byteRank[c])

    for (i = 0; i < n; i++) {
	rank = PLACE_RANK(needle[i]);
	if (rank < bestRank) {
	    bestRank = rank;
	    best = i;
	}
    }
    for (i = 0; i < n; i++) {
	if (i == best) {
	    continue;
	}
	rank = PLACE_RANK(needle[i]);
	if (rank < secondRank || (rank == secondRank
		&& (i > best ? i - best : best - i)
		> (second > best ? second - best : best - second))) {
	    secondRank = rank;
	    second = i;
	}
    }
#undef PLACE_RANK
    if (second == NONE) {
	second = best;
    }
    f->pos1 = best < second ? best : second;
    f->pos2 = best < second ? second : best;

    c = needle[f->pos1];
    f->or1 = (f->nocase && IsLetter(c)) ? 0x20 : 0;
    f->byte1 = f->or1 ? Fold(c) : c;
    c = needle[f->pos2];
    f->or2 = (f->nocase && IsLetter(c)) ? 0x20 : 0;
    f->byte2 = f->or2 ? Fold(c) : c;

    f->rare = best;
    c = needle[best];
    if (f->nocase && IsLetter(c)) {
	f->rareA = Fold(c) ^ 0x20;	/* Upper case first: the rarer. */
	f->rareB = Fold(c);
    } else {
	f->rareA = f->rareB = c;
    }
}

/*
 * Matches: the whole comparison of a candidate.
 */

static inline int
Matches(
    const Finder *f,
    const unsigned char *at)
{
    uint64_t i;

    if (!f->nocase) {
	return memcmp(at, f->needle, (size_t) f->n) == 0;
    }
    for (i = 0; i < f->n; i++) {
	if (Fold(at[i]) != Fold(f->needle[i])) {
	    return 0;
	}
    }
    return 1;
}

/*
 * The memchr path.  Candidates are the start offsets q in [first, last]
 * whose byte at q + rare is one of rareA, rareB; NextCandidate and
 * PrevCandidate find the nearest with one form, and the search keeps the
 * nearest of each form, so that both cases of a letter cost a memchr per
 * occurrence and no more.
 */

static inline uint64_t
NextCandidate(
    const Finder *f,
    const unsigned char *base,
    unsigned char byte,
    uint64_t first,
    uint64_t last)
{
    const unsigned char *hit = memchr(base + first + f->rare, byte,
	    (size_t) (last - first + 1));

    return hit ? (uint64_t) (hit - base) - f->rare : NONE;
}

static inline uint64_t
PrevCandidate(
    const Finder *f,
    const unsigned char *base,
    unsigned char byte,
    uint64_t first,
    uint64_t last)
{
    const unsigned char *hit = MemRChr(base + first + f->rare, byte,
	    (size_t) (last - first + 1));

    return hit ? (uint64_t) (hit - base) - f->rare : NONE;
}

static int
ForwardPlain(
    const Finder *f,
    const unsigned char *base,
    uint64_t first,
    uint64_t last,
    uint64_t *atPtr)
{
    uint64_t a = NextCandidate(f, base, f->rareA, first, last);
    uint64_t b = (f->rareB == f->rareA) ? NONE
	    : NextCandidate(f, base, f->rareB, first, last);
    uint64_t q;

    for (;;) {
	q = a < b ? a : b;
	if (q == NONE) {
	    return 0;
	}
	if (Matches(f, base + q)) {
	    *atPtr = q;
	    return 1;
	}
	if (q == last) {
	    return 0;
	}
	if (a == q) {
	    a = NextCandidate(f, base, f->rareA, q + 1, last);
	} else {
	    b = NextCandidate(f, base, f->rareB, q + 1, last);
	}
    }
}

static int
BackwardPlain(
    const Finder *f,
    const unsigned char *base,
    uint64_t first,
    uint64_t last,
    uint64_t *atPtr)
{
    uint64_t a = PrevCandidate(f, base, f->rareA, first, last);
    uint64_t b = (f->rareB == f->rareA) ? NONE
	    : PrevCandidate(f, base, f->rareB, first, last);
    uint64_t q;

    for (;;) {
	q = (a == NONE) ? b : (b == NONE || a > b) ? a : b;
	if (q == NONE) {
	    return 0;
	}
	if (Matches(f, base + q)) {
	    *atPtr = q;
	    return 1;
	}
	if (q == first) {
	    return 0;
	}
	if (a == q) {
	    a = PrevCandidate(f, base, f->rareA, first, q - 1);
	} else {
	    b = PrevCandidate(f, base, f->rareB, first, q - 1);
	}
    }
}

#if SCAN_SIMD

/*
 * The SSE2 path.  Hits gives, for the 16 candidates from "at" on, 0xFF
 * where both rare bytes are in place; a round takes four of these, and
 * looks at single bits only when any is set.  Every load lies within
 * [first + pos1, last + pos2 + 16), inside the window: the last round,
 * short of 16 candidates, moves back to overlap the one before instead
 * of reading past the end, and the first round backwards moves forwards.
 * Fewer than 16 candidates in all go to the memchr path.
 */

typedef struct Filter {
    __m128i c1, o1, c2, o2;
    uint64_t pos1, pos2;
} Filter;

static inline __m128i
Hits(
    const Filter *v,
    const unsigned char *at)
{
    __m128i a = _mm_loadu_si128((const __m128i *) (at + v->pos1));
    __m128i b = _mm_loadu_si128((const __m128i *) (at + v->pos2));

    a = _mm_cmpeq_epi8(_mm_or_si128(a, v->o1), v->c1);
    b = _mm_cmpeq_epi8(_mm_or_si128(b, v->o2), v->c2);
    return _mm_and_si128(a, b);
}

static inline unsigned
Bits(
    __m128i hits)
{
    return (unsigned) _mm_movemask_epi8(hits);
}

static inline void
FilterInit(
    Filter *v,
    const Finder *f)
{
    v->c1 = _mm_set1_epi8((char) f->byte1);
    v->o1 = _mm_set1_epi8((char) f->or1);
    v->c2 = _mm_set1_epi8((char) f->byte2);
    v->o2 = _mm_set1_epi8((char) f->or2);
    v->pos1 = f->pos1;
    v->pos2 = f->pos2;
}

static int
ForwardSimd(
    const Finder *f,
    const unsigned char *base,
    uint64_t first,
    uint64_t last,
    uint64_t *atPtr)
{
    uint64_t left = last - first + 1, q = first, m;
    const unsigned char *at;
    __m128i h0, h1, h2, h3;
    Filter v;

    if (left < 16) {
	return ForwardPlain(f, base, first, last, atPtr);
    }
    FilterInit(&v, f);
    for (; left >= 64; q += 64, left -= 64) {
	at = base + q;
	h0 = Hits(&v, at);
	h1 = Hits(&v, at + 16);
	h2 = Hits(&v, at + 32);
	h3 = Hits(&v, at + 48);
	if (Bits(_mm_or_si128(_mm_or_si128(h0, h1), _mm_or_si128(h2, h3)))
		== 0) {
	    continue;
	}
	m = (uint64_t) Bits(h0) | (uint64_t) Bits(h1) << 16
		| (uint64_t) Bits(h2) << 32 | (uint64_t) Bits(h3) << 48;
	do {
	    unsigned bit = (unsigned) __builtin_ctzll(m);

	    if (Matches(f, at + bit)) {
		*atPtr = q + bit;
		return 1;
	    }
	    m &= m - 1;
	} while (m != 0);
    }
    for (;;) {
	if (left >= 16) {
	    m = Bits(Hits(&v, base + q));
	} else if (left > 0) {
	    /* The last 16 candidates: those below q were done already. */
	    q = last - 15;
	    m = Bits(Hits(&v, base + q)) >> (16 - left) << (16 - left);
	} else {
	    return 0;
	}
	for (; m != 0; m &= m - 1) {
	    unsigned bit = (unsigned) __builtin_ctzll(m);

	    if (Matches(f, base + q + bit)) {
		*atPtr = q + bit;
		return 1;
	    }
	}
	if (left < 16) {
	    return 0;
	}
	q += 16;
	left -= 16;
    }
}

static int
BackwardSimd(
    const Finder *f,
    const unsigned char *base,
    uint64_t first,
    uint64_t last,
    uint64_t *atPtr)
{
    uint64_t left = last - first + 1, q = last + 1, m;
    const unsigned char *at;
    __m128i h0, h1, h2, h3;
    Filter v;

    if (left < 16) {
	return BackwardPlain(f, base, first, last, atPtr);
    }
    FilterInit(&v, f);
    while (left >= 64) {
	q -= 64;
	left -= 64;
	at = base + q;
	h0 = Hits(&v, at);
	h1 = Hits(&v, at + 16);
	h2 = Hits(&v, at + 32);
	h3 = Hits(&v, at + 48);
	if (Bits(_mm_or_si128(_mm_or_si128(h0, h1), _mm_or_si128(h2, h3)))
		== 0) {
	    continue;
	}
	m = (uint64_t) Bits(h0) | (uint64_t) Bits(h1) << 16
		| (uint64_t) Bits(h2) << 32 | (uint64_t) Bits(h3) << 48;
	do {
	    unsigned bit = 63 - (unsigned) __builtin_clzll(m);

	    if (Matches(f, at + bit)) {
		*atPtr = q + bit;
		return 1;
	    }
	    m &= ~((uint64_t) 1 << bit);
	} while (m != 0);
    }
    while (left > 0) {
	if (left >= 16) {
	    q -= 16;
	    left -= 16;
	    m = Bits(Hits(&v, base + q));
	} else {
	    /* The first 16 candidates: those from first + left on are done. */
	    q = first;
	    m = Bits(Hits(&v, base + q)) & (((uint64_t) 1 << left) - 1);
	    left = 0;
	}
	while (m != 0) {
	    unsigned bit = 63 - (unsigned) __builtin_clzll(m);

	    if (Matches(f, base + q + bit)) {
		*atPtr = q + bit;
		return 1;
	    }
	    m &= ~((uint64_t) 1 << bit);
	}
    }
    return 0;
}

#endif /* SCAN_SIMD */

/*
 *----------------------------------------------------------------------
 *
 * FindFirst, FindLast --
 *
 *	The first (last) match p with from <= p and p + n <= end, by the
 *	path the finder takes.  Any from and end may come in (past each
 *	other too): the callers step them by lines and matches.
 *
 * Results:
 *	1 and *atPtr set when there is one, else 0.
 *
 * Side effects:
 *	Reads [from, end) (possibly faulting, under the caller's guard).
 *
 *----------------------------------------------------------------------
 */

static int
FindFirst(
    const Finder *f,
    const unsigned char *base,
    uint64_t from,
    uint64_t end,
    uint64_t *atPtr)
{
    if (from > end || end - from < f->n) {
	return 0;
    }
#if SCAN_SIMD
    if (f->simd) {
	return ForwardSimd(f, base, from, end - f->n, atPtr);
    }
#endif
    return ForwardPlain(f, base, from, end - f->n, atPtr);
}

static int
FindLast(
    const Finder *f,
    const unsigned char *base,
    uint64_t from,
    uint64_t end,
    uint64_t *atPtr)
{
    if (from > end || end - from < f->n) {
	return 0;
    }
#if SCAN_SIMD
    if (f->simd) {
	return BackwardSimd(f, base, from, end - f->n, atPtr);
    }
#endif
    return BackwardPlain(f, base, from, end - f->n, atPtr);
}
