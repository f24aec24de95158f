/*
 * region.c --
 *
 *	Bounds, alignment, cyclic write planning and seek arithmetic for a
 *	mapped region.  See region.h.  Results are plain integers: 1/0 for
 *	predicates, 0 or an errno value for operations that can be refused.
 */

#include <errno.h>
#include "region.h"

/*
 *----------------------------------------------------------------------
 *
 * MmapRangeOk --
 *
 *	Tells whether [offset, offset+count) lies within [0, length).
 *
 * Results:
 *	1 if it does (an empty range at offset == length counts), else 0.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapRangeOk(
    uint64_t length,
    uint64_t offset,
    uint64_t count)
{
    return !(offset > length || count > length - offset);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapAlignDown --
 *
 *	Rounds value down to a multiple of pageSize (a power of two).
 *
 * Results:
 *	The rounded value.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

uint64_t
MmapAlignDown(
    uint64_t value,
    uint64_t pageSize)
{
    return value & ~(pageSize - 1);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapPageSpan --
 *
 *	Turns a byte range of a mapping into the page-aligned range that
 *	msync, madvise, mprotect and mlock need.  The mapping's
 *	user-visible bytes start "base" bytes into the page-aligned area
 *	that mmap(2) returned (base < pageSize), and are "length" long.
 *
 * Results:
 *	0 and *startPtr and *spanPtr set to the byte offset (from the aligned
 *	area) and size of the pages that cover the range; ERANGE when the
 *	range is outside the mapping.  An empty count covers no page and
 *	gives a span of 0.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapPageSpan(
    uint64_t base,
    uint64_t length,
    uint64_t offset,
    uint64_t count,
    uint64_t pageSize,
    uint64_t *startPtr,
    uint64_t *spanPtr)
{
    uint64_t first, end;

    if (!MmapRangeOk(length, offset, count)) {
	return ERANGE;
    }
    if (count == 0) {
	*startPtr = MmapAlignDown(base + offset, pageSize);
	*spanPtr = 0;
	return 0;
    }

    /*
     * base < pageSize and offset + count <= length, and the whole mapping
     * fits the address space, so none of these sums can overflow.
     */

    first = MmapAlignDown(base + offset, pageSize);
    end = base + offset + count;
    end = MmapAlignDown(end + pageSize - 1, pageSize);
    *startPtr = first;
    *spanPtr = end - first;
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapReadCount --
 *
 *	How many bytes a read of "wanted" bytes at "position" returns:
 *	reads stop at the end of the region and never wrap.
 *
 * Results:
 *	The count, 0 at or past the end.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

uint64_t
MmapReadCount(
    uint64_t length,
    uint64_t position,
    uint64_t wanted)
{
    if (position >= length) {
	return 0;
    }
    return (wanted > length - position) ? length - position : wanted;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapPlanCyclicWrite --
 *
 *	Plans a write of "count" bytes at "position" into a cyclic region
 *	of "length" bytes, with the result the same as writing the bytes one
 *	by one in a circle: a write that reaches the end continues at 0, and
 *	of a write longer than the region only the last "length" bytes stay.
 *	The new position is (position + count) mod length.
 *
 * Results:
 *	0, with up to two spans filled in (unused ones have count 0) and
 *	*newPositionPtr set; EINVAL for an empty region.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapPlanCyclicWrite(
    uint64_t length,
    uint64_t position,
    uint64_t count,
    MmapSpan spans[2],
    uint64_t *newPositionPtr)
{
    uint64_t skip, start, first;

    if (length == 0) {
	return EINVAL;
    }
    spans[0].count = spans[1].count = 0;
    spans[0].mapOffset = spans[1].mapOffset = 0;
    spans[0].bufOffset = spans[1].bufOffset = 0;

    /*
     * Writing byte i of the data at (position + i) mod length: when count
     * exceeds length, bytes before the last "length" are overwritten by
     * later ones, so skip them and start where the first survivor lands.
     */

    position %= length;
    skip = (count > length) ? count - length : 0;
    start = (position + skip % length) % length;
    count -= skip;

    first = length - start;
    if (first > count) {
	first = count;
    }
    spans[0].mapOffset = start;
    spans[0].bufOffset = skip;
    spans[0].count = first;
    if (count > first) {
	spans[1].mapOffset = 0;
	spans[1].bufOffset = skip + first;
	spans[1].count = count - first;
    }
    /* (start + count) mod length, without the sum that could overflow. */
    *newPositionPtr = (count < length - start) ? start + count
	    : count - (length - start);
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapPlanLinearWrite --
 *
 *	Plans a write of "count" bytes at "position" into a region that
 *	does not wrap.  All or nothing: a write that does not fit is
 *	refused whole, so a failed write changes no byte.
 *
 * Results:
 *	0 with one span and the new position (position + count, which may
 *	equal length); ENOSPC when the bytes do not fit.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapPlanLinearWrite(
    uint64_t length,
    uint64_t position,
    uint64_t count,
    MmapSpan spans[2],
    uint64_t *newPositionPtr)
{
    if (!MmapRangeOk(length, position, count)) {
	return ENOSPC;
    }
    spans[0].mapOffset = position;
    spans[0].bufOffset = 0;
    spans[0].count = count;
    spans[1].mapOffset = spans[1].bufOffset = spans[1].count = 0;
    *newPositionPtr = position + count;
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapPlanSeek --
 *
 *	Computes the position a seek lands on.  The result must lie in
 *	[0, length]; positions are 64-bit throughout.
 *
 * Results:
 *	0 and *newPositionPtr set, or EINVAL for a bad whence or a target
 *	outside [0, length] (including one that would overflow).
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapPlanSeek(
    uint64_t length,
    uint64_t position,
    int64_t offset,
    int whence,
    uint64_t *newPositionPtr)
{
    uint64_t origin, magnitude;

    switch (whence) {
    case MMAP_SEEK_SET: origin = 0; break;
    case MMAP_SEEK_CUR: origin = position; break;
    case MMAP_SEEK_END: origin = length; break;
    default: return EINVAL;
    }
    if (origin > length) {
	return EINVAL;
    }
    if (offset >= 0) {
	magnitude = (uint64_t) offset;
	if (magnitude > length - origin) {
	    return EINVAL;
	}
	*newPositionPtr = origin + magnitude;
    } else {
	/* Negate in unsigned arithmetic: -INT64_MIN is not an int64_t. */
	magnitude = 0 - (uint64_t) offset;
	if (magnitude > origin) {
	    return EINVAL;
	}
	*newPositionPtr = origin - magnitude;
    }
    return 0;
}
