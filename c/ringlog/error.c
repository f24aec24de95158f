/*
 * error.c --
 *
 *	The bottom of the ring log: filling in an MmapRinglogError, naming a
 *	status for error codes, and running an operation on the mapping
 *	under the fault guard.  Everything else in c/ringlog/ uses these;
 *	they use nothing of the ring log but its types.
 */

#include <stdarg.h>
#include <stdio.h>
#include "internal.h"
/*
 *----------------------------------------------------------------------
 *
 * RlClearError, RlPosixError, RlFormatError, MmapRinglogStatusName --
 *
 *	Fill in an MmapRinglogError, and name a status for error codes.
 *
 * Results:
 *	The status set (RlPosixError: MMAP_RINGLOG_POSIX); the name, or
 *	NULL for a status that has none.
 *
 * Side effects:
 *	Writes *errPtr.
 *
 *----------------------------------------------------------------------
 */

void
RlClearError(
    MmapRinglogError *errPtr)
{
    errPtr->status = MMAP_RINGLOG_OK;
    errPtr->errorNum = 0;
    errPtr->call = NULL;
    errPtr->fault = MMAP_FAULT_NONE;
    errPtr->offset = 0;
    errPtr->detail[0] = '\0';
}

int
RlPosixError(
    MmapRinglogError *errPtr,
    int errorNum,
    const char *call)
{
    errPtr->status = MMAP_RINGLOG_POSIX;
    errPtr->errorNum = errorNum;
    errPtr->call = call;
    return MMAP_RINGLOG_POSIX;
}

int
RlFormatError(
    MmapRinglogError *errPtr,
    MmapRinglogStatus status,
    const char *format,
    ...)
{
    va_list args;

    va_start(args, format);
    vsnprintf(errPtr->detail, sizeof(errPtr->detail), format, args);
    va_end(args);
    errPtr->status = status;
    return status;
}

const char *
MmapRinglogStatusName(
    MmapRinglogStatus status)
{
    /*
     * Only the statuses that a script sees as {MMAP RINGLOG <word>}; the
     * others become POSIX, MMAP MODE, MMAP RANGE or MMAP TRUNCATED.
     */

    switch (status) {
    case MMAP_RINGLOG_NOTLOG:	 return "NOTLOG";
    case MMAP_RINGLOG_SHORT:	 return "SHORT";
    case MMAP_RINGLOG_BYTEORDER: return "BYTEORDER";
    case MMAP_RINGLOG_VERSION:	 return "VERSION";
    case MMAP_RINGLOG_CORRUPT:	 return "CORRUPT";
    case MMAP_RINGLOG_SIZE:	 return "SIZE";
    case MMAP_RINGLOG_TOOBIG:	 return "TOOBIG";
    case MMAP_RINGLOG_LOCK:	 return "LOCK";
    default:			 return NULL;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * RlGuarded --
 *
 *	Runs one operation on the mapping under the fault guard.
 *
 * Results:
 *	MMAP_RINGLOG_OK when the operation ran to its end (it reports its
 *	own status in *errPtr), or MMAP_RINGLOG_FAULT.
 *
 * Side effects:
 *	Whatever proc does.
 *
 *----------------------------------------------------------------------
 */

int
RlGuarded(
    MmapRinglog *logPtr,
    MmapGuardedProc *proc,
    void *clientData,
    MmapRinglogError *errPtr)
{
    uintptr_t addr = 0;
    MmapFault fault;

    fault = MmapGuardedCall(proc, clientData, logPtr->base,
	    logPtr->mapLength, &addr);
    if (fault != MMAP_FAULT_NONE) {
	errPtr->status = MMAP_RINGLOG_FAULT;
	errPtr->fault = fault;
	errPtr->offset = (uint64_t) (addr - (uintptr_t) logPtr->base);
	return MMAP_RINGLOG_FAULT;
    }
    return MMAP_RINGLOG_OK;
}
