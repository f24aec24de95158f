/*
 * region.h --
 *
 *	The arithmetic of a mapped region: bounds, page alignment, cyclic
 *	write planning and seek.  Pure functions on 64-bit unsigned
 *	integers; no Tcl, no system calls, so that C unit tests and the
 *	fuzzer can drive them directly.
 *
 *	Every bounds check is subtractive ("off > len || n > len - off"),
 *	never additive, so that no sum can overflow.
 */

#ifndef MMAP_REGION_H
#define MMAP_REGION_H

#include <stdint.h>

/*
 * One contiguous piece of a copy between a mapping and a buffer: "count"
 * bytes at "mapOffset" in the mapping correspond to "count" bytes at
 * "bufOffset" in the caller's buffer.
 */

typedef struct MmapSpan {
    uint64_t mapOffset;
    uint64_t bufOffset;
    uint64_t count;
} MmapSpan;

/* Whence values, numerically equal to SEEK_SET/SEEK_CUR/SEEK_END. */
enum { MMAP_SEEK_SET = 0, MMAP_SEEK_CUR = 1, MMAP_SEEK_END = 2 };

int		MmapRangeOk(uint64_t length, uint64_t offset, uint64_t count);
uint64_t	MmapAlignDown(uint64_t value, uint64_t pageSize);
int		MmapPageSpan(uint64_t base, uint64_t length, uint64_t offset,
		    uint64_t count, uint64_t pageSize, uint64_t *startPtr,
		    uint64_t *spanPtr);
uint64_t	MmapReadCount(uint64_t length, uint64_t position,
		    uint64_t wanted);
int		MmapPlanCyclicWrite(uint64_t length, uint64_t position,
		    uint64_t count, MmapSpan spans[2],
		    uint64_t *newPositionPtr);
int		MmapPlanLinearWrite(uint64_t length, uint64_t position,
		    uint64_t count, MmapSpan spans[2],
		    uint64_t *newPositionPtr);
int		MmapPlanSeek(uint64_t length, uint64_t position,
		    int64_t offset, int whence, uint64_t *newPositionPtr);

#endif /* MMAP_REGION_H */
