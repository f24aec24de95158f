/*
 * access.c --
 *
 *	Checked, fault-guarded access to the bytes of an mmap channel's
 *	mapping, shared by the channel driver (channel.c) and the ::mmap
 *	commands (mmap.tcl): range and write-permission checks, copies and
 *	in-place operations under the fault guard with protected pages
 *	refused before anything is touched, the report of where a fault
 *	happened, and the -sync policy after a write.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "access.h"
#include "errors.h"
#include "region.h"

typedef struct FaultJudge FaultJudge;
static uint64_t	PageOffset(const MmapChannel *mcPtr, uint64_t accessOffset,
		    uintptr_t addr);
static int	JudgeFault(const MmapChannel *mcPtr, MmapFault fault,
		    uint64_t offset, uint64_t count, uintptr_t addr,
		    FaultJudge *judgePtr);
static Tcl_Obj *	FaultReport(const MmapChannel *mcPtr,
		    const FaultJudge *judgePtr, const char *verb);
static inline Tcl_Obj *	BeginAccess(MmapChannel *mcPtr, uint64_t offset,
		    uint64_t count, int pageBits, const char *verb);

/*
 *----------------------------------------------------------------------
 *
 * MmapRangeError, MmapChannelWritable --
 *
 *	The checks every ::mmap command makes: the refusal of a byte range
 *	outside the mapping (the check is MmapChannelRange, inline in
 *	access.h); the mapping may be written.
 *
 * Results:
 *	TCL_ERROR with {MMAP RANGE}; TCL_OK, or TCL_ERROR with
 *	{MMAP MODE}.
 *
 * Side effects:
 *	None beyond the error.
 *
 *----------------------------------------------------------------------
 */

int
MmapRangeError(
    Tcl_Interp *interp,
    MmapChannel *mcPtr,
    uint64_t offset,
    uint64_t count)
{
    return MmapError(interp, "RANGE", "range %llu+%llu is outside the %llu"
	    " bytes of \"%s\"", (unsigned long long) offset,
	    (unsigned long long) count, (unsigned long long) mcPtr->map.length,
	    mcPtr->name);
}

int
MmapChannelWritable(
    Tcl_Interp *interp,
    MmapChannel *mcPtr)
{
    if (mcPtr->map.flags & MMAP_WRITABLE) {
	return TCL_OK;
    }
    return MmapError(interp, "MODE", "channel \"%s\" is read-only",
	    mcPtr->name);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapGetRange --
 *
 *	Parses the optional "?offset length?" that ends several commands:
 *	objc is 0 (the whole mapping) or 2.
 *
 * Results:
 *	TCL_OK with the range set; TCL_ERROR for a bad number or a range
 *	outside the mapping.  The caller has checked objc.
 *
 * Side effects:
 *	None beyond the error.
 *
 *----------------------------------------------------------------------
 */

int
MmapGetRange(
    Tcl_Interp *interp,
    MmapChannel *mcPtr,
    int objc,
    Tcl_Obj *const objv[],
    uint64_t *offsetPtr,
    uint64_t *countPtr)
{
    if (objc == 0) {
	*offsetPtr = 0;
	*countPtr = mcPtr->map.length;
	return TCL_OK;
    }
    if (MmapGetSize(interp, objv[0], "offset", 0, offsetPtr) != TCL_OK
	    || MmapGetSize(interp, objv[1], "length", 0, countPtr) != TCL_OK) {
	return TCL_ERROR;
    }
    return MmapChannelRange(interp, mcPtr, *offsetPtr, *countPtr);
}

/*
 * PageOffset: where to report a fault that is not truncation: the first
 * byte of the access in the faulting page, not the faulting address
 * itself, since memcpy and backward searches do not touch bytes in order
 * and the report should not depend on how they do.
 */

static uint64_t
PageOffset(
    const MmapChannel *mcPtr,
    uint64_t accessOffset,
    uintptr_t addr)
{
    uint64_t areaOffset, pageStart;

    areaOffset = (uint64_t) (addr - (uintptr_t) mcPtr->map.area);
    pageStart = MmapAlignDown(areaOffset, MmapPageSize());
    if (addr < (uintptr_t) mcPtr->map.area
	    || pageStart <= mcPtr->map.delta + accessOffset) {
	return accessOffset;
    }
    return pageStart - mcPtr->map.delta;
}

/*
 *----------------------------------------------------------------------
 *
 * JudgeFault --
 *
 *	Decides what a fault of the access [offset, offset+count) was, or
 *	that the access should run again.
 *
 *	A SIGBUS is truncation when the file's size, taken after the fault,
 *	leaves a page of the access wholly past its end; it is reported at
 *	the first byte of the access there.  Otherwise the file system could
 *	not supply a page the file does have (a full disk under a sparse
 *	file, a device error; or there is no file): an I/O error.
 *
 *	The size is taken after the fault, so a file that another process
 *	truncates and regrows in between would make a truncation look like
 *	an I/O error.  Hence the access runs once more before an I/O error
 *	is reported (the operations under the guard are copies, searches and
 *	atomic instructions, which a fault stops before they take effect, or
 *	which can be repeated): if the file has its pages back it succeeds;
 *	if it faults again and the file's ctime moved in between, the file
 *	is being truncated and regrown under us, and it runs again, up to
 *	MAX_ATTEMPTS times, then counts as truncated.  A real I/O error
 *	faults twice on a file that does not change.
 *
 * Results:
 *	1 to run the access again; else 0 with judgePtr->kind (NONE when
 *	there was no fault) and judgePtr->where set.
 *
 * Side effects:
 *	fstat(2) after a SIGBUS.
 *
 *----------------------------------------------------------------------
 */

#define MAX_ATTEMPTS 50

struct FaultJudge {
    int attempts;		/* SIGBUS faults so far. */
    int changing;		/* The file's ctime moved between two. */
    int anywhere;		/* The access may read outside its range
				 * (MMAP_ACCESS_ANYWHERE). */
    struct timespec ctime;	/* Its ctime at the last one. */
    MmapFault kind;		/* The verdict. */
    uint64_t where;		/* Its offset. */
};

static int
JudgeFault(
    const MmapChannel *mcPtr,
    MmapFault fault,
    uint64_t offset,
    uint64_t count,
    uintptr_t addr,
    FaultJudge *judgePtr)
{
    uint64_t pageSize = MmapPageSize(), end, lost;
    struct stat st;

    judgePtr->kind = fault;
    if (fault == MMAP_FAULT_NONE) {
	return 0;
    }
    judgePtr->where = PageOffset(mcPtr, (judgePtr->anywhere
	    && addr < (uintptr_t) mcPtr->map.base + offset) ? 0 : offset, addr);
    if (fault != MMAP_FAULT_BUS) {
	return 0;
    }
    if (mcPtr->map.fd < 0 || fstat(mcPtr->map.fd, &st) != 0) {
	judgePtr->kind = MMAP_FAULT_IO;
	return 0;
    }

    /* The first offset whose page lies wholly past the end of the file. */
    end = MmapAlignDown((uint64_t) st.st_size + pageSize - 1, pageSize);
    lost = (end > mcPtr->map.offset) ? end - mcPtr->map.offset : 0;
    if (lost <= offset || lost - offset < count) {
	judgePtr->where = (lost > offset) ? lost : offset;
	return 0;
    }
    if (judgePtr->anywhere && lost < mcPtr->map.length) {
	judgePtr->where = lost;		/* Read past the range, into it. */
	return 0;
    }
    if (judgePtr->attempts++ > 0
	    && (st.st_ctim.tv_sec != judgePtr->ctime.tv_sec
		    || st.st_ctim.tv_nsec != judgePtr->ctime.tv_nsec)) {
	judgePtr->changing = 1;
    }
    judgePtr->ctime = st.st_ctim;
    if (judgePtr->attempts < (judgePtr->changing ? MAX_ATTEMPTS : 2)) {
	return 1;
    }
    judgePtr->kind = judgePtr->changing ? MMAP_FAULT_BUS : MMAP_FAULT_IO;
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapCopyIn --
 *
 *	Copies a buffer into [offset, offset+count) of the mapping (a range
 *	the caller has checked), refusing protected pages before touching
 *	anything and catching the fault of a truncated file.  The copies out
 *	are inline, in access.h.
 *
 * Results:
 *	NULL on success, else a new error-options list (MmapFaultOptions).
 *
 * Side effects:
 *	The copy; after a truncation fault, part of it may have happened.
 *	The map counts as written, for the sync at close.
 *
 *----------------------------------------------------------------------
 */

Tcl_Obj *
MmapCopyIn(
    MmapChannel *mcPtr,
    uint64_t offset,
    const void *src,
    uint64_t count,
    const char *verb)
{
    unsigned char *dst = mcPtr->map.base + offset;
    Tcl_Obj *errorObj = BeginAccess(mcPtr, offset, count,
	    MMAP_PAGE_READ|MMAP_PAGE_WRITE, verb);
    uintptr_t addr;
    MmapFault fault;

    if (errorObj != NULL) {
	return errorObj;
    }
    fault = MmapGuardedCopy(dst, src, count, mcPtr->map.area,
	    mcPtr->map.areaLength, &addr);
    if (fault == MMAP_FAULT_NONE) {
	return NULL;
    }
    return MmapCopyFault(mcPtr, offset, dst, src, count, fault, addr, verb);
}

/*
 * BeginAccess: what every guarded access checks first: the pages allow
 * the access (a refusal touches nothing), and a write marks the map as
 * written, for the sync at close.  NULL, or the error options.  The map
 * keeps no page state until mmap::protect or mmap::lock is used, and then
 * there is nothing to check.
 */

static inline Tcl_Obj *
BeginAccess(
    MmapChannel *mcPtr,
    uint64_t offset,
    uint64_t count,
    int pageBits,
    const char *verb)
{
    uint64_t bad;

    if (mcPtr->map.pageState != NULL && !MmapMapAccessible(&mcPtr->map,
	    offset, count, pageBits, &bad)) {
	return MmapFaultOptions(verb, mcPtr->name, MMAP_FAULT_ACCESS, bad);
    }
    if (pageBits & MMAP_PAGE_WRITE) {
	mcPtr->written = 1;
    }
    return NULL;
}

/*
 * FaultReport: NULL for no fault, else the error options of the verdict.
 */

static Tcl_Obj *
FaultReport(
    const MmapChannel *mcPtr,
    const FaultJudge *judgePtr,
    const char *verb)
{
    if (judgePtr->kind == MMAP_FAULT_NONE) {
	return NULL;
    }
    return MmapFaultOptions(verb, mcPtr->name, judgePtr->kind,
	    judgePtr->where);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapCopyFault --
 *
 *	A guarded copy between dst and src, for [offset, offset+count) of
 *	the mapping, faulted at addr: judges the fault, running the copy
 *	again while JudgeFault asks for it.  The slow path of the copies.
 *
 * Results:
 *	NULL when a copy run again succeeded, else a new error-options list.
 *
 * Side effects:
 *	The copies.
 *
 *----------------------------------------------------------------------
 */

Tcl_Obj *
MmapCopyFault(
    MmapChannel *mcPtr,
    uint64_t offset,
    void *dst,
    const void *src,
    uint64_t count,
    MmapFault fault,
    uintptr_t addr,
    const char *verb)
{
    FaultJudge judge;

    memset(&judge, 0, sizeof(judge));
    while (JudgeFault(mcPtr, fault, offset, count, addr, &judge)) {
	fault = MmapGuardedCopy(dst, src, count, mcPtr->map.area,
		mcPtr->map.areaLength, &addr);
    }
    return FaultReport(mcPtr, &judge, verb);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapGuardedAccess --
 *
 *	Runs proc(clientData) on [offset, offset+count) of the mapping with
 *	the same protection check and fault guard as the copies: for find,
 *	atomics and anything else that touches mapped bytes in place.
 *
 * Results:
 *	NULL on success, else a new error-options list.
 *
 * Side effects:
 *	Whatever proc does.
 *
 *----------------------------------------------------------------------
 */

Tcl_Obj *
MmapGuardedAccess(
    MmapChannel *mcPtr,
    uint64_t offset,
    uint64_t count,
    int pageBits,
    const char *verb,
    MmapGuardedProc *proc,
    void *clientData)
{
    Tcl_Obj *errorObj = BeginAccess(mcPtr, offset, count,
	    pageBits & ~MMAP_ACCESS_ANYWHERE, verb);
    FaultJudge judge;
    uintptr_t addr;
    MmapFault fault;

    if (errorObj != NULL) {
	return errorObj;
    }
    fault = MmapGuardedCall(proc, clientData, mcPtr->map.area,
	    mcPtr->map.areaLength, &addr);
    if (fault == MMAP_FAULT_NONE) {
	return NULL;
    }
    memset(&judge, 0, sizeof(judge));
    judge.anywhere = (pageBits & MMAP_ACCESS_ANYWHERE) != 0;
    while (JudgeFault(mcPtr, fault, offset, count, addr, &judge)) {
	fault = MmapGuardedCall(proc, clientData, mcPtr->map.area,
		mcPtr->map.areaLength, &addr);
    }
    return FaultReport(mcPtr, &judge, verb);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapDropBufferedInput --
 *
 *	Called after a command changed mapped bytes or their protection
 *	behind the channel's back (pwrite, atomic, protect): input that Tcl
 *	read ahead is stale, so drop it by seeking to where tell says the
 *	channel is.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Discards Tcl's input buffers; the position as tell reports it stays.
 *
 *----------------------------------------------------------------------
 */

void
MmapDropBufferedInput(
    MmapChannel *mcPtr)
{
    if (Tcl_InputBuffered(mcPtr->channel) > 0) {
	Tcl_Seek(mcPtr->channel, Tcl_Tell(mcPtr->channel), SEEK_SET);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * MmapSyncAfterWrite --
 *
 *	Applies the -sync policy to bytes just written (by puts or pwrite):
 *	msync(MS_ASYNC) or msync(MS_SYNC) of their pages.  Only a shared map
 *	of a regular file has anywhere to sync to; for the others this does
 *	nothing.  On Linux msync(MS_ASYNC) has been a no-op since 2.6.19 (the
 *	kernel tracks the dirty pages of a shared mapping and writes them
 *	back by itself; msync(2), mm/msync.c), so -sync async skips the
 *	system call there, which cost about 0.2 us a write.
 *
 * Results:
 *	0 or an errno value.
 *
 * Side effects:
 *	msync(2), except for -sync async on Linux.
 *
 *----------------------------------------------------------------------
 */

int
MmapSyncAfterWrite(
    MmapChannel *mcPtr,
    uint64_t offset,
    uint64_t count)
{
    if (mcPtr->syncMode == MMAP_SYNC_NONE
	    || (mcPtr->map.flags & (MMAP_SHARED|MMAP_REGULAR))
		    != (MMAP_SHARED|MMAP_REGULAR)) {
	return 0;
    }
#ifdef __linux__
    if (mcPtr->syncMode == MMAP_SYNC_ASYNC) {
	return 0;
    }
#endif
    return MmapMapSync(&mcPtr->map, offset, count,
	    mcPtr->syncMode == MMAP_SYNC_SYNC ? MS_SYNC : MS_ASYNC);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapChannelFailure --
 *
 *	Reports a failed Tcl channel operation (a flush) that a command ran
 *	on its mmap channel: the driver's own error where it left one (a
 *	fault, with its MMAP errorCode), else the POSIX error.
 *
 * Results:
 *	TCL_ERROR.
 *
 * Side effects:
 *	Takes the channel's pending error.
 *
 *----------------------------------------------------------------------
 */

int
MmapChannelFailure(
    Tcl_Interp *interp,
    MmapChannel *mcPtr,
    const char *call)
{
    Tcl_Obj *optionsObj = NULL;
    int err = Tcl_GetErrno();

    Tcl_GetChannelError(mcPtr->channel, &optionsObj);
    if (optionsObj == NULL) {
	return MmapPosixError(interp, err, call, mcPtr->name);
    }
    MmapSetFromOptions(interp, optionsObj);
    Tcl_DecrRefCount(optionsObj);
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapProbeAllocation --
 *
 *	Tells whether "bytes" can be allocated now (MmapCanAllocate, in
 *	access.h, asks for sizes of MMAP_ALLOC_PROBE_MIN and more).  Tcl's
 *	allocation of values (byte arrays, strings) panics when memory runs
 *	out, so before making values whose size the user chose, try an
 *	allocation of that size and give it back.  The probe goes to malloc,
 *	where Tcl's allocator takes blocks this large from, so that it can
 *	also stand for several values together (the records of mmap::pread
 *	-each) beyond the 4 GiB that Tcl 8.6 allocates at once.
 *
 * Results:
 *	1 if so, else 0.
 *
 * Side effects:
 *	A large allocation made and freed at once (glibc maps and unmaps it).
 *
 *----------------------------------------------------------------------
 */

int
MmapProbeAllocation(
    uint64_t bytes)
{
    void *probe;

    if (bytes > (uint64_t) SIZE_MAX - 64) {
	return 0;
    }

    /* A value's header comes on top of its bytes. */
    probe = malloc((size_t) bytes + 64);
    if (probe == NULL) {
	return 0;
    }
    free(probe);
    return 1;
}
