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

int		MmapChannelRange(Tcl_Interp *interp, MmapChannel *mcPtr,
		    uint64_t offset, uint64_t count);
int		MmapGetRange(Tcl_Interp *interp, MmapChannel *mcPtr,
		    int objc, Tcl_Obj *const objv[], uint64_t *offsetPtr,
		    uint64_t *countPtr);
int		MmapChannelWritable(Tcl_Interp *interp, MmapChannel *mcPtr);
Tcl_Obj *	MmapCopyOut(MmapChannel *mcPtr, uint64_t offset,
		    void *dst, uint64_t count, const char *verb);
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

int		MmapCanAllocate(uint64_t bytes);
int		MmapChannelFailure(Tcl_Interp *interp, MmapChannel *mcPtr,
		    const char *call);
int		MmapSyncAfterWrite(MmapChannel *mcPtr, uint64_t offset,
		    uint64_t count);

#endif /* MMAP_ACCESS_H */
