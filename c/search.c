/*
 * search.c --
 *
 *	mmap::find's search (see search.h).  The first occurrence is glibc's
 *	memmem (two-way, vectorised); the last walks backwards with memrchr
 *	on the needle's last byte, then compares.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <string.h>
#include "search.h"

static int64_t	FindLast(const unsigned char *haystack, uint64_t length,
		    const unsigned char *needle, uint64_t needleLength);

/*
 *----------------------------------------------------------------------
 *
 * MmapSearchRun --
 *
 *	Runs one search.  An empty needle, like Tcl's string first, is
 *	never found.
 *
 * Results:
 *	None; searchPtr->found is the offset of the match or -1.
 *
 * Side effects:
 *	Reads the haystack (possibly faulting, under the caller's guard).
 *
 *----------------------------------------------------------------------
 */

void
MmapSearchRun(
    void *clientData)
{
    MmapSearch *searchPtr = clientData;
    const unsigned char *hit;

    searchPtr->found = -1;
    if (searchPtr->needleLength == 0
	    || searchPtr->needleLength > searchPtr->haystackLength) {
	return;
    }
    if (searchPtr->last) {
	searchPtr->found = FindLast(searchPtr->haystack,
		searchPtr->haystackLength, searchPtr->needle,
		searchPtr->needleLength);
	return;
    }
    hit = memmem(searchPtr->haystack, searchPtr->haystackLength,
	    searchPtr->needle, searchPtr->needleLength);
    if (hit != NULL) {
	searchPtr->found = hit - searchPtr->haystack;
    }
}

/*
 * FindLast: the last match must end at or before the haystack's end, so
 * look for the needle's last byte from the end backwards.
 */

static int64_t
FindLast(
    const unsigned char *haystack,
    uint64_t length,
    const unsigned char *needle,
    uint64_t needleLength)
{
    unsigned char lastByte = needle[needleLength - 1];
    uint64_t end = length;	/* Search [needleLength - 1, end). */

    while (end >= needleLength) {
	const unsigned char *hit = memrchr(haystack + needleLength - 1,
		lastByte, end - (needleLength - 1));
	uint64_t at;

	if (hit == NULL) {
	    return -1;
	}
	at = (uint64_t) (hit - haystack) + 1 - needleLength;
	if (memcmp(haystack + at, needle, needleLength) == 0) {
	    return (int64_t) at;
	}
	end = (uint64_t) (hit - haystack);
    }
    return -1;
}
