/*
 * search.h --
 *
 *	Byte-string search in mapped memory, for mmap::find: binary safe,
 *	first or last occurrence.  No Tcl here.
 */

#ifndef MMAP_SEARCH_H
#define MMAP_SEARCH_H

#include <stdint.h>

/*
 * A search as an MmapGuardedCall can run it: the caller fills in the
 * haystack and needle, MmapSearchRun sets "found".
 */

typedef struct MmapSearch {
    const unsigned char *haystack;
    uint64_t haystackLength;
    const unsigned char *needle;
    uint64_t needleLength;
    int last;			/* Find the last occurrence, not the first. */
    int64_t found;		/* Out: offset in the haystack, or -1. */
} MmapSearch;

void		MmapSearchRun(void *searchPtr);

#endif /* MMAP_SEARCH_H */
