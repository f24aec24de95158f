/*
 * access.h --
 *
 *	Checked, fault-guarded access to an mmap channel's mapping, shared by
 *	the channel driver and the ::mmap commands (see access.c).  Functions
 *	returning Tcl_Obj * give NULL on success and otherwise a new list of
 *	return options describing the fault (MmapFaultOptions).
 */

#ifndef MMAP_ACCESS_H
#define MMAP_ACCESS_H

#include "channel.h"
#include "errors.h"

int		MmapRangeError(Tcl_Interp *interp, MmapChannel *mcPtr,
		    uint64_t offset, uint64_t count);
int		MmapGetRange(Tcl_Interp *interp, MmapChannel *mcPtr,
		    int objc, Tcl_Obj *const objv[], uint64_t *offsetPtr,
		    uint64_t *countPtr);
int		MmapChannelWritable(Tcl_Interp *interp, MmapChannel *mcPtr);
Tcl_Obj *	MmapCopyFault(MmapChannel *mcPtr, uint64_t offset,
		    void *dst, const void *src, uint64_t count,
		    MmapFault fault, uintptr_t addr, const char *verb);
Tcl_Obj *	MmapCopyIn(MmapChannel *mcPtr, uint64_t offset,
		    const void *src, uint64_t count, const char *verb);
Tcl_Obj *	MmapGuardedAccess(MmapChannel *mcPtr, uint64_t offset,
		    uint64_t count, int pageBits, const char *verb,
		    MmapGuardedProc *proc, void *clientData);
void		MmapDropBufferedInput(MmapChannel *mcPtr);
/*
 * With the page bits of MmapGuardedAccess: the operation may also read
 * outside its range (grep looks for the bounds of a matching line), so a
 * fault is judged against the whole map; protection is still checked
 * for the range first.
 */
#define MMAP_ACCESS_ANYWHERE (1 << 8)

/* Smaller allocations are not tried first (MmapCanAllocate). */
#define MMAP_ALLOC_PROBE_MIN ((uint64_t) 1 << 20)

int		MmapProbeAllocation(uint64_t bytes);
int		MmapChannelFailure(Tcl_Interp *interp, MmapChannel *mcPtr,
		    const char *call);
int		MmapSyncAfterWrite(MmapChannel *mcPtr, uint64_t offset,
		    uint64_t count);

/*
 *----------------------------------------------------------------------
 *
 * MmapCopyOut, MmapCopyOutChecked --
 *
 *	Copy [offset, offset+count) of the mapping (a range the caller has
 *	checked) into a buffer, catching the fault of a truncated file.
 *	MmapCopyOut first refuses protected pages, touching nothing;
 *	MmapCopyOutChecked is for a caller that has checked the protection
 *	itself (MmapMapAccessible), so that an access checks it once.
 *	Inline: every read through the channel and every pread is one, and
 *	one that does not fault costs the guard and a test; a fault is
 *	judged by MmapCopyFault.
 *
 * Results:
 *	NULL on success, else a new error-options list (MmapFaultOptions).
 *
 * Side effects:
 *	The copy; after a truncation fault, part of it may have happened.
 *
 *----------------------------------------------------------------------
 */

static inline Tcl_Obj *
MmapCopyOutChecked(
    MmapChannel *mcPtr,
    uint64_t offset,
    void *dst,
    uint64_t count,
    const char *verb)
{
    const unsigned char *src = mcPtr->map.base + offset;
    uintptr_t addr;
    MmapFault fault = MmapGuardedCopy(dst, src, count, mcPtr->map.area,
	    mcPtr->map.areaLength, &addr);

    if (fault == MMAP_FAULT_NONE) {
	return NULL;
    }
    return MmapCopyFault(mcPtr, offset, dst, src, count, fault, addr, verb);
}

static inline Tcl_Obj *
MmapCopyOut(
    MmapChannel *mcPtr,
    uint64_t offset,
    void *dst,
    uint64_t count,
    const char *verb)
{
    uint64_t bad;

    if (mcPtr->map.pageState != NULL && !MmapMapAccessible(&mcPtr->map,
	    offset, count, MMAP_PAGE_READ, &bad)) {
	return MmapFaultOptions(verb, mcPtr->name, MMAP_FAULT_ACCESS, bad);
    }
    return MmapCopyOutChecked(mcPtr, offset, dst, count, verb);
}

/*
 * MmapCanAllocate: whether "bytes" can be allocated now, asked before
 * making values whose size the user chose (Tcl's allocator panics when
 * memory runs out).  Small sizes are what the rest of Tcl allocates
 * without asking; larger ones MmapProbeAllocation tries.
 */

static inline int
MmapCanAllocate(
    uint64_t bytes)
{
    return bytes < MMAP_ALLOC_PROBE_MIN || MmapProbeAllocation(bytes);
}

/*
 * MmapChannelRange: the range check of every command, TCL_OK when
 * [offset, offset+count) lies in the map, else {MMAP RANGE} (MmapRangeError).
 * Inline, as a range check is a few instructions and every access makes
 * one; subtractive, so that no sum can overflow (region.h).
 */

static inline int
MmapChannelRange(
    Tcl_Interp *interp,
    MmapChannel *mcPtr,
    uint64_t offset,
    uint64_t count)
{
    uint64_t length = mcPtr->map.length;

    if (offset <= length && count <= length - offset) {
	return TCL_OK;
    }
    return MmapRangeError(interp, mcPtr, offset, count);
}

#endif /* MMAP_ACCESS_H */
