/*
 * channel.c --
 *
 *	The "mmap" channel driver, after the Tcl core's own drivers
 *	(unix/tclUnixChan.c, generic/tclZlib.c): reads and writes copy
 *	between Tcl's buffers and the mapping under the fault guard; seek
 *	moves a 64-bit position within [0, length]; writes wrap at the end
 *	when -cyclic is on; fileevent is served by a timer, since memory is
 *	always ready and there is no descriptor to select on.
 *
 *	Errors the generic layer cannot word (a truncated file, a protected
 *	page) go through Tcl_SetChannelError as return options, so that read,
 *	gets and puts report them with errorCode {MMAP ...}.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "access.h"
#include "channel.h"
#include "errors.h"
#include "open.h"
#include "region.h"

/*
 * The least a read hands Tcl after a seek.  How much more is StartRun's
 * business: what the reads after the previous seek took; sequential reads
 * then double it up to the channel's buffer size, so bulk reads move
 * whole buffers while a seek and a short read do not copy a large
 * buffer's worth.  Each read after a seek touches memory that is in no
 * cache: random 64-byte reads (100k over 256 MiB, bench/bench.tcl) took
 * 0.46 us handing out 64 bytes, 0.53 us with 256, 0.75 us with 4096.
 * Always 64 made random 256-byte reads take 0.92 us against 0.61 us with
 * 256, for the two more reads they needed: hence StartRun.
 */

#define MIN_READ_CHUNK 64

const char *const mmapSyncNames[] = { "none", "async", "sync", NULL };

static int	MmapClose2Proc(ClientData instanceData, Tcl_Interp *interp,
		    int flags);
static int	MmapInputProc(ClientData instanceData, char *buf,
		    int bufSize, int *errorCodePtr);
static int	MmapOutputProc(ClientData instanceData, const char *buf,
		    int toWrite, int *errorCodePtr);
static int	MmapSeekProc(ClientData instanceData, long offset,
		    int mode, int *errorCodePtr);
static Tcl_WideInt MmapWideSeekProc(ClientData instanceData,
		    Tcl_WideInt offset, int mode, int *errorCodePtr);
static int	MmapSetOptionProc(ClientData instanceData,
		    Tcl_Interp *interp, const char *optionName,
		    const char *value);
static int	MmapGetOptionProc(ClientData instanceData,
		    Tcl_Interp *interp, const char *optionName,
		    Tcl_DString *dsPtr);
static void	MmapWatchProc(ClientData instanceData, int mask);
static int	MmapGetHandleProc(ClientData instanceData, int direction,
		    ClientData *handlePtr);
static int	MmapBlockModeProc(ClientData instanceData, int mode);
static void	MmapThreadActionProc(ClientData instanceData, int action);
static int	MmapTruncateProc(ClientData instanceData,
		    Tcl_WideInt length);
static void	MmapTimerProc(ClientData clientData);
static int	PlanOutput(const MmapChannel *mcPtr, uint64_t count,
		    MmapSpan spans[2], uint64_t *newPositionPtr);
static int	SyncAfterOutput(MmapChannel *mcPtr,
		    const MmapSpan spans[2]);
static int	ReportFault(MmapChannel *mcPtr, Tcl_Obj *errorObj);
static inline void	StartRun(MmapChannel *mcPtr, uint64_t bufSize);
static uint64_t	ReadFault(MmapChannel *mcPtr, char *buf, uint64_t count,
		    Tcl_Obj *errorObj, int *errorCodePtr);
static Tcl_Obj *	SeekErrorOptions(const MmapChannel *mcPtr);
static int	CopyInProgress(MmapChannel *mcPtr);

static const Tcl_ChannelType mmapChannelType = {
    "mmap",			/* Type name, as [chan configure] shows. */
    TCL_CHANNEL_VERSION_5,	/* v5: wide seek, thread action, truncate. */
    TCL_CLOSE2PROC,		/* closeProc: we only have close2Proc. */
    MmapInputProc,		/* Copies out of the mapping. */
    MmapOutputProc,		/* Copies in, wrapping or refusing. */
    MmapSeekProc,		/* Narrow seek, for old callers. */
    MmapSetOptionProc,		/* -cyclic, -sync. */
    MmapGetOptionProc,		/* Those and -shared, -length, -offset. */
    MmapWatchProc,		/* fileevent interest: arms the timer. */
    MmapGetHandleProc,		/* No OS handle to hand out. */
    MmapClose2Proc,		/* -sync sync: MS_SYNC if written; unmap. */
    MmapBlockModeProc,		/* Memory never blocks: noted for reads. */
    NULL,			/* flushProc: unused by the core. */
    NULL,			/* handlerProc: not a stacked channel. */
    MmapWideSeekProc,		/* 64-bit seek and tell. */
    MmapThreadActionProc,	/* Moves the timer with the channel. */
    MmapTruncateProc		/* chan truncate: refused, see resize. */
};

/*
 *----------------------------------------------------------------------
 *
 * MmapChannelAlloc --
 *
 *	A zeroed instance with the defaults of a new map: -cyclic 1,
 *	-sync async.
 *
 * Results:
 *	The instance; the caller fills in the map and registers it.
 *
 * Side effects:
 *	Memory allocation.
 *
 *----------------------------------------------------------------------
 */

MmapChannel *
MmapChannelAlloc(void)
{
    MmapChannel *mcPtr = ckalloc(sizeof(MmapChannel));

    memset(mcPtr, 0, sizeof(MmapChannel));
    mcPtr->map.fd = -1;
    mcPtr->cyclic = 1;
    mcPtr->syncMode = MMAP_SYNC_ASYNC;
    mcPtr->readChunk = mcPtr->firstChunk = MIN_READ_CHUNK;
    return mcPtr;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapChannelRegister --
 *
 *	Creates the Tcl channel "mmapN" over a mapped instance, registers it
 *	in interp and sets -buffering none, so every write reaches the map.
 *
 * Results:
 *	The channel.  Cannot fail.
 *
 * Side effects:
 *	The channel now owns mcPtr: closing it unmaps and frees.
 *
 *----------------------------------------------------------------------
 */

Tcl_Channel
MmapChannelRegister(
    Tcl_Interp *interp,
    MmapChannel *mcPtr)
{
    static unsigned long counter = 0;
    unsigned long id = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);

    /*
     * The counter is process-wide so that a channel moved to another
     * thread or shared with another interp never meets a namesake there.
     */

    snprintf(mcPtr->name, sizeof(mcPtr->name), "mmap%lu", id);
    mcPtr->channel = Tcl_CreateChannel(&mmapChannelType, mcPtr->name, mcPtr,
	    mcPtr->mode);
    Tcl_RegisterChannel(interp, mcPtr->channel);
    Tcl_SetChannelOption(NULL, mcPtr->channel, "-buffering", "none");
    return mcPtr->channel;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapChannelGet --
 *
 *	Finds the mmap channel a ::mmap command was given.
 *
 * Results:
 *	TCL_OK with *mcPtrPtr set; TCL_ERROR for an unknown channel (Tcl's
 *	own error) or one of another type ({MMAP CHANNEL}).
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapChannelGet(
    Tcl_Interp *interp,
    Tcl_Obj *nameObj,
    MmapChannel **mcPtrPtr)
{
    Tcl_Channel chan;
    int mode;

    /* A name has its string already: no call to ask for it. */
    chan = Tcl_GetChannel(interp, (nameObj->bytes != NULL) ? nameObj->bytes
	    : Tcl_GetString(nameObj), &mode);
    if (chan == NULL) {
	return MmapNoChannel(interp, nameObj);
    }
    if (Tcl_GetChannelType(chan) != &mmapChannelType) {
	return MmapError(interp, "CHANNEL", "channel \"%s\" is not an mmap"
		" channel", Tcl_GetString(nameObj));
    }
    *mcPtrPtr = Tcl_GetChannelInstanceData(chan);
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapInputProc --
 *
 *	Reads from the position up to the end of the mapping; reads never
 *	wrap.  After a seek the first read hands out MIN_READ_CHUNK bytes
 *	and sequential reads double that up to the buffer size, so random
 *	access does not pay for copying whole large buffers.
 *
 * Results:
 *	The count read, 0 at the end (EOF), or -1 with *errorCodePtr set
 *	and the channel error describing a fault.
 *
 * Side effects:
 *	Moves the position.
 *
 *----------------------------------------------------------------------
 */

static int
MmapInputProc(
    ClientData instanceData,
    char *buf,
    int bufSize,
    int *errorCodePtr)
{
    MmapChannel *mcPtr = instanceData;
    uint64_t count, bad;
    Tcl_Obj *errorObj;

    count = MmapReadCount(mcPtr->map.length, mcPtr->position,
	    (uint64_t) (bufSize < 0 ? 0 : bufSize));
    if (count == 0) {
	return 0;
    }
    if (mcPtr->position != mcPtr->lastReadEnd) {
	StartRun(mcPtr, (uint64_t) bufSize);
    }
    /*
     * In non-blocking mode Tcl takes a read shorter than it asked for as
     * "no more data for now" (fblocked), so there the chunk never applies.
     */

    if (count > mcPtr->readChunk && !mcPtr->nonBlocking) {
	count = mcPtr->readChunk;
    }

    /*
     * Hand out what lies before a protected page; only a read that starts
     * in one is an error, so that read-ahead does not fail a read whose
     * own bytes are all accessible.  The copy then need not check again.
     */

    if (mcPtr->map.pageState != NULL && !MmapMapAccessible(&mcPtr->map,
	    mcPtr->position, count, MMAP_PAGE_READ, &bad)) {
	if (bad == mcPtr->position) {
	    *errorCodePtr = ReportFault(mcPtr, MmapFaultOptions("reading",
		    mcPtr->name, MMAP_FAULT_ACCESS, bad));
	    return -1;
	}
	count = bad - mcPtr->position;
    }
    errorObj = MmapCopyOutChecked(mcPtr, mcPtr->position, buf, count,
	    "reading");
    if (errorObj != NULL) {
	count = ReadFault(mcPtr, buf, count, errorObj, errorCodePtr);
	if (count == 0) {
	    return -1;
	}
    }
    mcPtr->position += count;
    mcPtr->lastReadEnd = mcPtr->position;
    if (mcPtr->readChunk < (uint64_t) bufSize) {
	mcPtr->readChunk *= 2;
    }
    return (int) count;
}

/*
 * StartRun: a read that does not follow the previous one (a seek, or a
 * write, came between) starts a run of reads.  Its first read hands out
 * what the previous run handed: all of it when that run made more than one
 * read, so that records read at random soon take one read each; an eighth
 * less when it made one, so that after a run of large reads (a scan) small
 * ones soon stop copying more than they use.  At least MIN_READ_CHUNK, at
 * most a buffer.  Each read of a run doubles readChunk, so what the run
 * handed is told by readChunk against firstChunk: twice it after one read,
 * firstChunk (2**n - 1) after n.
 */

static inline void
StartRun(
    MmapChannel *mcPtr,
    uint64_t bufSize)
{
    uint64_t first = mcPtr->firstChunk, next = mcPtr->readChunk;

    if (next > 2 * first) {
	first = next - first;
    } else if (next == 2 * first) {
	first -= first / 8;
    }
    if (first > bufSize) {
	first = bufSize;
    }
    if (first < MIN_READ_CHUNK) {
	first = MIN_READ_CHUNK;
    }
    mcPtr->firstChunk = mcPtr->readChunk = first;
}

/*
 * ReadFault: the input proc's copy of count bytes at the position faulted
 * (errorObj).  Like a protected page, a page lost to truncation or an I/O
 * error ends the read before it: the read-ahead may have run into it, but
 * the bytes before it exist.  Returns how many bytes are now copied, or 0
 * with *errorCodePtr set and the fault reported.
 */

static uint64_t
ReadFault(
    MmapChannel *mcPtr,
    char *buf,
    uint64_t count,
    Tcl_Obj *errorObj,
    int *errorCodePtr)
{
    uint64_t bad;

    if (MmapFaultInfo(errorObj, &bad) != MMAP_FAULT_NONE
	    && bad > mcPtr->position && bad - mcPtr->position < count) {
	Tcl_IncrRefCount(errorObj);
	Tcl_DecrRefCount(errorObj);
	count = bad - mcPtr->position;
	errorObj = MmapCopyOutChecked(mcPtr, mcPtr->position, buf, count,
		"reading");
	if (errorObj == NULL) {
	    return count;
	}
    }
    *errorCodePtr = ReportFault(mcPtr, errorObj);
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapOutputProc --
 *
 *	Writes at the position.  With -cyclic the write continues at 0 when
 *	it reaches the end and the position becomes (start + count) mod
 *	length; without, a write that does not fit is refused whole (ENOSPC)
 *	and changes nothing.  Then the -sync policy.
 *
 * Results:
 *	toWrite, or -1 with *errorCodePtr set (and the channel error for a
 *	fault).
 *
 * Side effects:
 *	Changes mapped bytes and the position.
 *
 *----------------------------------------------------------------------
 */

static int
MmapOutputProc(
    ClientData instanceData,
    const char *buf,
    int toWrite,
    int *errorCodePtr)
{
    MmapChannel *mcPtr = instanceData;
    MmapSpan spans[2];
    uint64_t newPosition, bad;
    Tcl_Obj *errorObj;
    int i, err;

    if (toWrite <= 0) {
	return 0;
    }
    err = PlanOutput(mcPtr, (uint64_t) toWrite, spans, &newPosition);
    if (err != 0) {
	*errorCodePtr = err;
	return -1;
    }

    /*
     * Check every span before copying any, so that a write refused for a
     * protected page leaves every byte as it was.
     */

    for (i = 0; i < 2; i++) {
	if (spans[i].count > 0 && !MmapMapAccessible(&mcPtr->map,
		spans[i].mapOffset, spans[i].count,
		MMAP_PAGE_READ|MMAP_PAGE_WRITE, &bad)) {
	    *errorCodePtr = ReportFault(mcPtr, MmapFaultOptions("writing",
		    mcPtr->name, MMAP_FAULT_ACCESS, bad));
	    return -1;
	}
    }
    for (i = 0; i < 2 && spans[i].count > 0; i++) {
	errorObj = MmapCopyIn(mcPtr, spans[i].mapOffset,
		buf + spans[i].bufOffset, spans[i].count, "writing");
	if (errorObj != NULL) {
	    *errorCodePtr = ReportFault(mcPtr, errorObj);
	    return -1;
	}
    }
    mcPtr->position = newPosition;
    mcPtr->lastReadEnd = UINT64_MAX;
    err = SyncAfterOutput(mcPtr, spans);
    if (err != 0) {
	*errorCodePtr = err;
	return -1;
    }
    return toWrite;
}

/*
 *----------------------------------------------------------------------
 *
 * PlanOutput --
 *
 *	Plans a channel write as MmapPlanCyclicWrite or MmapPlanLinearWrite
 *	would, with a shortcut for the common case of bytes that fit before
 *	the end: one span and no division (the cyclic planner takes four
 *	64-bit remainders, each slower than the whole shortcut).
 *
 * Results:
 *	As the planners: 0 with the spans and the new position, or ENOSPC
 *	(linear, does not fit) or EINVAL (empty region).
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

static int
PlanOutput(
    const MmapChannel *mcPtr,
    uint64_t count,
    MmapSpan spans[2],
    uint64_t *newPositionPtr)
{
    uint64_t length = mcPtr->map.length, position = mcPtr->position;

    if (position < length && count <= length - position) {
	spans[0].mapOffset = position;
	spans[0].bufOffset = 0;
	spans[0].count = count;
	spans[1].mapOffset = spans[1].bufOffset = spans[1].count = 0;

	/* The cyclic planner's (start + count) mod length. */
	position += count;
	*newPositionPtr = (mcPtr->cyclic && position == length) ? 0
		: position;
	return 0;
    }
    return (mcPtr->cyclic ? MmapPlanCyclicWrite : MmapPlanLinearWrite)(
	    length, position, count, spans, newPositionPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * SyncAfterOutput --
 *
 *	The -sync policy after a channel write, span by span.
 *
 * Results:
 *	0 or an errno value.
 *
 * Side effects:
 *	Those of MmapSyncAfterWrite.
 *
 *----------------------------------------------------------------------
 */

static int
SyncAfterOutput(
    MmapChannel *mcPtr,
    const MmapSpan spans[2])
{
    int i, err;

    for (i = 0; i < 2 && spans[i].count > 0; i++) {
	err = MmapSyncAfterWrite(mcPtr, spans[i].mapOffset, spans[i].count);
	if (err != 0) {
	    return err;
	}
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * ReportFault --
 *
 *	Hands a fault met by the input or output proc to Tcl.  read, gets,
 *	puts and flush take the driver's error (Tcl_SetChannelError) and
 *	report it with its MMAP errorCode.  Tcl's copy code (fcopy, chan
 *	copy) does not look for it after a failed read or write: it words
 *	the error from the POSIX code alone, and the driver's error would
 *	stay behind and fail the next tell or close.  So during a copy,
 *	which Tcl_Tell reports as EBUSY, the POSIX code is the whole report.
 *
 * Results:
 *	The POSIX code for *errorCodePtr: EACCES for a protected page, EIO
 *	for truncation and I/O errors.
 *
 * Side effects:
 *	Sets the channel's error, or frees errorObj.
 *
 *----------------------------------------------------------------------
 */

static int
ReportFault(
    MmapChannel *mcPtr,
    Tcl_Obj *errorObj)
{
    uint64_t offset;
    int err = (MmapFaultInfo(errorObj, &offset) == MMAP_FAULT_ACCESS)
	    ? EACCES : EIO;

    if (CopyInProgress(mcPtr)) {
	Tcl_IncrRefCount(errorObj);
	Tcl_DecrRefCount(errorObj);
    } else {
	Tcl_SetChannelError(mcPtr->channel, errorObj);
    }
    return err;
}

/*
 * CopyInProgress: whether fcopy or chan copy is using the channel, the one
 * time Tcl_Tell fails with EBUSY.  Called only after a fault, so the cost
 * of the tell (a call to our own seek proc) does not matter; errno is kept.
 */

static int
CopyInProgress(
    MmapChannel *mcPtr)
{
    int saved = Tcl_GetErrno(), busy;

    busy = (Tcl_Tell(mcPtr->channel) < 0 && Tcl_GetErrno() == EBUSY);
    Tcl_SetErrno(saved);
    return busy;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapWideSeekProc, MmapSeekProc --
 *
 *	Move the position; the target must lie in [0, length].
 *
 * Results:
 *	The new position, or -1 with *errorCodePtr EINVAL (Tcl then says
 *	'error during seek on "mmapN": invalid argument').
 *
 * Side effects:
 *	The position.
 *
 *----------------------------------------------------------------------
 */

static Tcl_WideInt
MmapWideSeekProc(
    ClientData instanceData,
    Tcl_WideInt offset,
    int mode,
    int *errorCodePtr)
{
    MmapChannel *mcPtr = instanceData;
    uint64_t newPosition;
    int err;

    /* The common case first: to a position inside the map, from 0. */
    if (mode == SEEK_SET && offset >= 0
	    && (uint64_t) offset <= mcPtr->map.length) {
	mcPtr->position = (uint64_t) offset;
	return offset;
    }
    err = MmapPlanSeek(mcPtr->map.length, mcPtr->position, offset, mode,
	    &newPosition);
    if (err != 0) {
	if (err == EINVAL) {
	    /*
	     * Tcl's seek command takes this message for Tcl's own (its
	     * words, with the map's length added); tell, the one other
	     * caller here, never fails.
	     */

	    Tcl_SetChannelError(mcPtr->channel, SeekErrorOptions(mcPtr));
	}
	*errorCodePtr = err;
	return -1;
    }
    mcPtr->position = newPosition;
    return (Tcl_WideInt) newPosition;
}

/*
 * SeekErrorOptions: the error of a seek outside the map, in Tcl's words
 * ('error during seek on "mmap1": invalid argument') with the map's length
 * added, as return options.
 */

static Tcl_Obj *
SeekErrorOptions(
    const MmapChannel *mcPtr)
{
    Tcl_Obj *optionsObj = Tcl_NewListObj(0, NULL);
    Tcl_Obj *codeObj = Tcl_NewListObj(0, NULL);

    Tcl_ListObjAppendElement(NULL, codeObj, Tcl_NewStringObj("POSIX", -1));
    Tcl_ListObjAppendElement(NULL, codeObj, Tcl_NewStringObj("EINVAL", -1));
    Tcl_ListObjAppendElement(NULL, codeObj,
	    Tcl_NewStringObj(Tcl_ErrnoMsg(EINVAL), -1));
    Tcl_ListObjAppendElement(NULL, optionsObj, Tcl_NewStringObj("-code", -1));
    Tcl_ListObjAppendElement(NULL, optionsObj, Tcl_NewIntObj(TCL_ERROR));
    Tcl_ListObjAppendElement(NULL, optionsObj,
	    Tcl_NewStringObj("-level", -1));
    Tcl_ListObjAppendElement(NULL, optionsObj, Tcl_NewIntObj(0));
    Tcl_ListObjAppendElement(NULL, optionsObj,
	    Tcl_NewStringObj("-errorcode", -1));
    Tcl_ListObjAppendElement(NULL, optionsObj, codeObj);
    Tcl_ListObjAppendElement(NULL, optionsObj, Tcl_ObjPrintf(
	    "error during seek on \"%s\": %s (the map is %" TCL_LL_MODIFIER
	    "d bytes long: positions 0 to %" TCL_LL_MODIFIER "d)",
	    mcPtr->name, Tcl_ErrnoMsg(EINVAL),
	    (Tcl_WideInt) mcPtr->map.length,
	    (Tcl_WideInt) mcPtr->map.length));
    return optionsObj;
}

static int
MmapSeekProc(
    ClientData instanceData,
    long offset,
    int mode,
    int *errorCodePtr)
{
    Tcl_WideInt result = MmapWideSeekProc(instanceData, offset, mode,
	    errorCodePtr);

    /*
     * Tcl calls this only for drivers without a wideSeekProc; the result
     * type is int, so refuse what it cannot hold rather than truncate.
     */

    if (result > (Tcl_WideInt) INT_MAX) {
	*errorCodePtr = EOVERFLOW;
	return -1;
    }
    return (int) result;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapClose2Proc --
 *
 *	Closes the channel, following -sync as a file channel's close
 *	follows its own writes: with -sync sync a shared map of a file that
 *	was written is synced with MS_SYNC first, so that close returns
 *	when the data is on disk; with async or none it is not (the pages
 *	are in the page cache, which every process sees and the kernel
 *	writes back; msync of a large dirty map takes seconds).  Then the
 *	map is unmapped.  Half-closes are refused, as for a file.
 *
 * Results:
 *	0 or an errno value (the mapping is gone either way).
 *
 * Side effects:
 *	Frees the instance.
 *
 *----------------------------------------------------------------------
 */

static int
MmapClose2Proc(
    ClientData instanceData,
    Tcl_Interp *interp,
    int flags)
{
    MmapChannel *mcPtr = instanceData;
    int err, syncFirst;

    (void) interp;
    if (flags & (TCL_CLOSE_READ|TCL_CLOSE_WRITE)) {
	return EINVAL;
    }
    if (mcPtr->timer != NULL) {
	Tcl_DeleteTimerHandler(mcPtr->timer);
    }
    syncFirst = mcPtr->written && mcPtr->syncMode == MMAP_SYNC_SYNC
	    && (mcPtr->map.flags & (MMAP_SHARED|MMAP_REGULAR))
		    == (MMAP_SHARED|MMAP_REGULAR);
    err = MmapMapDestroy(&mcPtr->map, syncFirst);
    ckfree(mcPtr);
    return err;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapGetOptionProc, MmapSetOptionProc --
 *
 *	The driver's options: -shared, -length and -offset (read-only),
 *	-cyclic and -sync.
 *
 * Results:
 *	TCL_OK, or TCL_ERROR with Tcl's standard bad-option message.
 *
 * Side effects:
 *	Set changes the write policy of later writes.
 *
 *----------------------------------------------------------------------
 */

static int
MmapGetOptionProc(
    ClientData instanceData,
    Tcl_Interp *interp,
    const char *optionName,
    Tcl_DString *dsPtr)
{
    MmapChannel *mcPtr = instanceData;
    static const char *const names[] = {
	"-shared", "-length", "-offset", "-cyclic", "-sync", NULL
    };
    char buf[TCL_INTEGER_SPACE * 2];
    int i, all = (optionName == NULL);

    for (i = 0; names[i] != NULL; i++) {
	if (!all && strcmp(optionName, names[i]) != 0) {
	    continue;
	}
	switch (i) {
	case 0:
	    strcpy(buf, (mcPtr->map.flags & MMAP_SHARED) ? "1" : "0");
	    break;
	case 1:
	    snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long) mcPtr->map.length);
	    break;
	case 2:
	    snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long) mcPtr->map.offset);
	    break;
	case 3:
	    strcpy(buf, mcPtr->cyclic ? "1" : "0");
	    break;
	default:
	    strcpy(buf, mmapSyncNames[mcPtr->syncMode]);
	    break;
	}
	if (all) {
	    Tcl_DStringAppendElement(dsPtr, names[i]);
	}
	Tcl_DStringAppendElement(dsPtr, buf);
	if (!all) {
	    return TCL_OK;
	}
    }
    if (all) {
	return TCL_OK;
    }
    return Tcl_BadChannelOption(interp, optionName,
	    "shared length offset cyclic sync");
}

static int
MmapSetOptionProc(
    ClientData instanceData,
    Tcl_Interp *interp,
    const char *optionName,
    const char *value)
{
    MmapChannel *mcPtr = instanceData;

    if (strcmp(optionName, "-cyclic") == 0) {
	int cyclic;

	if (Tcl_GetBoolean(interp, value, &cyclic) != TCL_OK) {
	    return TCL_ERROR;
	}
	mcPtr->cyclic = cyclic;
	return TCL_OK;
    }
    if (strcmp(optionName, "-sync") == 0) {
	Tcl_Obj *valueObj = Tcl_NewStringObj(value, -1);
	int index, code;

	Tcl_IncrRefCount(valueObj);
	code = Tcl_GetIndexFromObj(interp, valueObj, mmapSyncNames,
		"sync mode", 0, &index);
	Tcl_DecrRefCount(valueObj);
	if (code == TCL_OK) {
	    mcPtr->syncMode = index;
	}
	return code;
    }
    if (strcmp(optionName, "-length") == 0) {
	return MmapError(interp, "READONLY", "option -length of \"%s\" is"
		" read-only: mmap::resize changes the length of a map",
		mcPtr->name);
    }
    if (strcmp(optionName, "-offset") == 0
	    || strcmp(optionName, "-shared") == 0) {
	return MmapError(interp, "READONLY", "option %s of \"%s\" is"
		" read-only: it is fixed when the map is made", optionName,
		mcPtr->name);
    }
    return Tcl_BadChannelOption(interp, optionName, "cyclic sync");
}

/*
 *----------------------------------------------------------------------
 *
 * MmapWatchProc, MmapTimerProc --
 *
 *	fileevent support.  Memory is always readable and writable, so
 *	while any event is wanted a zero-delay timer notifies the channel;
 *	Tcl calls MmapWatchProc again after each notification, which arms
 *	the next one.  Like a file channel, the events fire continuously.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Creates or deletes the timer; the timer runs fileevent scripts.
 *
 *----------------------------------------------------------------------
 */

static void
MmapWatchProc(
    ClientData instanceData,
    int mask)
{
    MmapChannel *mcPtr = instanceData;

    mcPtr->watchMask = mask & mcPtr->mode;
    if (mcPtr->watchMask && mcPtr->timer == NULL) {
	mcPtr->timer = Tcl_CreateTimerHandler(0, MmapTimerProc, mcPtr);
    } else if (!mcPtr->watchMask && mcPtr->timer != NULL) {
	Tcl_DeleteTimerHandler(mcPtr->timer);
	mcPtr->timer = NULL;
    }
}

static void
MmapTimerProc(
    ClientData clientData)
{
    MmapChannel *mcPtr = clientData;

    mcPtr->timer = NULL;
    Tcl_NotifyChannel(mcPtr->channel, mcPtr->watchMask);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapThreadActionProc --
 *
 *	Timer handlers belong to a thread: when the channel leaves a thread
 *	(thread::transfer, thread::detach) its timer goes, and the thread
 *	that takes it in re-arms one if events are still wanted.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Deletes or creates the timer in the current thread.
 *
 *----------------------------------------------------------------------
 */

static void
MmapThreadActionProc(
    ClientData instanceData,
    int action)
{
    MmapChannel *mcPtr = instanceData;

    if (action == TCL_CHANNEL_THREAD_REMOVE) {
	if (mcPtr->timer != NULL) {
	    Tcl_DeleteTimerHandler(mcPtr->timer);
	    mcPtr->timer = NULL;
	}
    } else if (mcPtr->watchMask && mcPtr->timer == NULL) {
	mcPtr->timer = Tcl_CreateTimerHandler(0, MmapTimerProc, mcPtr);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * MmapGetHandleProc, MmapBlockModeProc, MmapTruncateProc --
 *
 *	No OS handle stands for a mapping; memory never blocks, so either
 *	blocking mode is accepted (non-blocking reads hand out all Tcl asks
 *	for, see MmapInputProc); the size is the file's business, changed
 *	by mmap::resize, so chan truncate is refused with EINVAL.
 *
 * Results:
 *	TCL_ERROR, 0 and EINVAL respectively.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

static int
MmapGetHandleProc(
    ClientData instanceData,
    int direction,
    ClientData *handlePtr)
{
    (void) instanceData; (void) direction; (void) handlePtr;
    return TCL_ERROR;
}

static int
MmapBlockModeProc(
    ClientData instanceData,
    int mode)
{
    MmapChannel *mcPtr = instanceData;

    mcPtr->nonBlocking = (mode == TCL_MODE_NONBLOCKING);
    return 0;
}

static int
MmapTruncateProc(
    ClientData instanceData,
    Tcl_WideInt length)
{
    (void) instanceData; (void) length;
    return EINVAL;
}
