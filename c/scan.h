/*
 * scan.h --
 *
 *	The search core of mmap::find and mmap::grep: every occurrence of a
 *	byte string in a window of mapped memory, forwards or backwards,
 *	exact or with ASCII case folding, as match offsets, as a count, or
 *	as the lines that hold matches.  One call (MmapScanRun) does a whole
 *	command's work, so that the caller can run it under the fault guard
 *	(MmapGuardedCall) once.  No Tcl here, so the C tests and the fuzzer
 *	drive it directly.
 *
 *	Definitions, for a buffer "base" of "length" bytes, a window [start,
 *	end) of it and a needle of n bytes:
 *
 *	- A match is an offset p with start <= p and p + n <= end whose n
 *	  bytes equal the needle's (with MMAP_SCAN_NOCASE, after folding A-Z
 *	  to a-z in both; no other byte folds, bytes >= 0x80 least of all).
 *	- Forwards, the matches are taken in order, each one starting at or
 *	  after the end of the one before (non-overlapping, as `string first`
 *	  would find them one after another).  Backwards (MMAP_SCAN_LAST),
 *	  newest first, each one ending at or before the start of the one
 *	  found before it.  On "aaa" with the needle "aa" the first is 0, the
 *	  last is 1.
 *	- A line is what mmap::lines calls one: the bytes up to and including
 *	  a '\n', or the tail of the buffer after the last '\n' when it is not
 *	  empty.  The line of a match is the line that holds its first byte,
 *	  taken whole from the buffer even where it reaches outside the
 *	  window.  MMAP_SCAN_LINES reports each line that holds a match once,
 *	  however many it holds; the '\n' (and a '\r' before it) is the
 *	  caller's to drop (MmapLineContent).
 *	- An empty needle matches nowhere, as in mmap::find today and Tcl's
 *	  `string first`: no result, a count of 0.  So does a needle longer
 *	  than the window.
 *
 *	Speed: candidates come from a prefilter on the needle's two rarest
 *	bytes (by a byte frequency table for text and code), 16 positions at
 *	a time with SSE2 where the compiler targets it, else with memchr (or
 *	memrchr) on the rarest byte, which libc vectorises; each candidate is
 *	then compared in full.  The search reads no byte outside [start, end)
 *	(only the line bounds look beyond it), so a window that ends at an
 *	unreadable page is safe.  The worst case, a needle whose rare bytes
 *	are everywhere ("aaaa" in a run of a's), costs a comparison per
 *	byte: O(window * n), as in grep's own Boyer-Moore.
 */

#ifndef MMAP_SCAN_H
#define MMAP_SCAN_H

#include <stdint.h>

/*
 * Flags of a scan (MmapScan.flags), or'ed together.
 */

#define MMAP_SCAN_LAST	 1	/* Search backwards from end. */
#define MMAP_SCAN_NOCASE 2	/* Fold ASCII letters. */
#define MMAP_SCAN_LINES	 4	/* Results are lines, not matches. */
#define MMAP_SCAN_COUNT	 8	/* Count results, store none. */
#define MMAP_SCAN_PLAIN	 16	/* The portable memchr path even where
				 * the SIMD one exists (for the tests and
				 * the fuzzer; both give the same result). */

/*
 * Outcomes (MmapScan.status).
 */

#define MMAP_SCAN_OK	 0	/* The scan ran to the end or to max. */
#define MMAP_SCAN_FULL	 1	/* Results had no room for another and
				 * growProc made none: the results so far
				 * stand, the scan stopped early. */
#define MMAP_SCAN_RANGE	 2	/* start > end or end > length: nothing
				 * was read. */

/*
 * When the results array is full, MmapScanRun asks growProc (if any) for
 * a larger one: it must set *resultsPtr to an array of *roomPtr slots,
 * larger than before, that begins with the old array's content (realloc
 * does just that), and return 1; or return 0 to stop the scan.  It runs
 * outside the search loop, once per growth, and may allocate.
 */

typedef int (MmapScanGrowProc)(void *clientData, uint64_t **resultsPtr,
	uint64_t *roomPtr);

/*
 * One scan, in the form MmapGuardedCall can run it (MmapScanRun).  The
 * caller fills in the inputs, MmapScanRun sets the outputs.
 *
 * Results, in the array "results":
 *	- matches: one offset (into base) each; forwards in order,
 *	  backwards newest first.
 *	- MMAP_SCAN_LINES: two slots each, the line's first offset and the
 *	  offset just past it (past its '\n'); always in file order, even
 *	  backwards, where the scan finds the last max lines and then turns
 *	  them round.
 *	- MMAP_SCAN_COUNT: nothing is stored; only count is set.
 *
 * The guard's range must cover [start, end), and for MMAP_SCAN_LINES
 * all of [0, length): a line's bounds are looked for outside the window.
 * A fault leaves the outputs undefined; results then holds what the
 * caller must free (the array growProc last made), nothing more.
 *
 * mmap::find without -all, say, is a scan with max 1 and room for one
 * result in a local variable; -count sets MMAP_SCAN_COUNT; -all without
 * -max passes UINT64_MAX and a growProc that reallocs.
 */

typedef struct MmapScan {
    const unsigned char *base;	/* In: the whole buffer (the mapping). */
    uint64_t length;		/* In: its length in bytes. */
    uint64_t start, end;	/* In: the window [start, end) matches must
				 * lie in; start <= end <= length. */
    const unsigned char *needle;
    uint64_t needleLength;	/* In: the byte string; 0 matches nowhere. */
    int flags;			/* In: MMAP_SCAN_* flags. */
    uint64_t max;		/* In: stop after this many results (matches
				 * or lines); 0 finds none, UINT64_MAX has
				 * no limit. */
    uint64_t *results;		/* In/out: room for "room" offsets (may be
				 * NULL with room 0); growProc may replace
				 * it. */
    uint64_t room;		/* In/out: slots in results. */
    MmapScanGrowProc *growProc;	/* In: NULL, or makes more room. */
    void *growData;		/* In: growProc's clientData. */
    uint64_t count;		/* Out: results found (stored unless
				 * MMAP_SCAN_COUNT). */
    int status;			/* Out: MMAP_SCAN_OK, _FULL or _RANGE. */
} MmapScan;

void		MmapScanRun(void *scanPtr);
void		MmapScanLine(const unsigned char *base, uint64_t length,
		    uint64_t offset, uint64_t *lineStartPtr,
		    uint64_t *lineEndPtr);
int		MmapScanHasSimd(void);

#endif /* MMAP_SCAN_H */
