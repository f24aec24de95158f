/*
 * read.c --
 *
 *	The readers' side of the ring log: read.  The snapshot of the
 *	cursors and the walk it uses are in walk.c.
 *
 * The cursors.  head, tail, nextSeq and tailSeq change together, so they
 *	live in two cursor blocks: a writer fills the block that is not
 *	current and then makes it current by incrementing "gen" (block
 *	gen & 1) with one sequentially consistent store (write.c).
 *	A reader copies the current block between two loads of gen and
 *	retries when gen moved: a seqlock.
 *
 * Readers take no lock.  A reader takes a snapshot of the cursors, walks
 *	the records from tail, copies each one out and only then checks that
 *	gen has not moved or, if it has, that the new tail has not passed
 *	the record: a writer publishes the tail past a record before it
 *	writes a byte over it, so a record at or beyond the current tail is
 *	intact.  A reader that was lapped resumes at the new tail.  Records
 *	that fail their checksum (damage to the file) are skipped; a damaged
 *	record header is crossed by scanning aligned positions for the next
 *	header whose checksum holds and whose sequence number continues the
 *	walk.  Writers use the same walk to find the records they drop.
 *
 *	Everything here runs under the fault guard (error.c).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

typedef struct ReadCall {
    MmapRinglog *logPtr;
    uint64_t fromSeq;
    uint64_t maxCount;
    MmapRinglogVisitProc *visitProc;
    void *clientData;
    uint64_t damaged;
    MmapRinglogError *errPtr;
} ReadCall;

static int	Lapped(MmapRinglog *logPtr, Cursors *cPtr, uint64_t position,
		    MmapRinglogError *errPtr);
static void	ReadProc(void *clientData);


/*
 *----------------------------------------------------------------------
 *
 * Lapped --
 *
 *	After a reader copied bytes at and after "position": tells whether
 *	a writer may have overwritten them meanwhile, that is whether the
 *	tail has moved past position.
 *
 * Results:
 *	0 (the bytes were intact), 1 (lapped: *cPtr is the new snapshot,
 *	resume at its tail), -1 (the cursors are corrupt, *errPtr says so).
 *
 * Side effects:
 *	Refreshes *cPtr when gen moved.
 *
 *----------------------------------------------------------------------
 */

static int
Lapped(
    MmapRinglog *logPtr,
    Cursors *cPtr,
    uint64_t position,
    MmapRinglogError *errPtr)
{
    Cursors now;

    /* Pairs with the fence after a writer's tail flip (write.c). */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&logPtr->hdrPtr->gen, __ATOMIC_RELAXED)
	    == cPtr->gen) {
	return 0;
    }
    if (RlLoadCursors(logPtr, &now, errPtr) != MMAP_RINGLOG_OK) {
	return -1;
    }
    *cPtr = now;
    return now.tail > position;
}


/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogRead, ReadProc --
 *
 *	Hands the records with sequence numbers from fromSeq on, oldest
 *	first, at most maxCount of them, to visitProc.  Takes no lock.
 *	Records appended after the call began are not included.  ReadProc
 *	is the walk itself, run under the fault guard.
 *
 * Results:
 *	MMAP_RINGLOG_OK, CORRUPT (the cursors), POSIX (out of memory), or
 *	FAULT.  *damagedPtr (if not NULL) counts the damaged records and
 *	stretches that were skipped.
 *
 * Side effects:
 *	Calls visitProc, which must not touch the log.  Remembers where the
 *	walk stopped, for the next read.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogRead(
    MmapRinglog *logPtr,
    uint64_t fromSeq,
    uint64_t maxCount,
    MmapRinglogVisitProc *visitProc,
    void *clientData,
    uint64_t *damagedPtr,
    MmapRinglogError *errPtr)
{
    ReadCall call;
    int status;

    RlClearError(errPtr);
    call.logPtr = logPtr;
    call.fromSeq = fromSeq;
    call.maxCount = maxCount;
    call.visitProc = visitProc;
    call.clientData = clientData;
    call.damaged = 0;
    call.errPtr = errPtr;
    status = RlGuarded(logPtr, ReadProc, &call, errPtr);
    if (damagedPtr != NULL) {
	*damagedPtr = call.damaged;
    }
    return (status == MMAP_RINGLOG_OK) ? (int) errPtr->status : status;
}

static void
ReadProc(
    void *clientData)
{
    ReadCall *callPtr = clientData;
    MmapRinglog *logPtr = callPtr->logPtr;
    MmapRinglogError *errPtr = callPtr->errPtr;
    Cursors cursors;
    RecordHeader rh;
    Walk walk;
    uint64_t position, found, endSeq, count = 0, damaged;
    uint64_t markPos, markSeq;
    unsigned char *buf;
    int lapped, intact;

    if (RlLoadCursors(logPtr, &cursors, errPtr) != MMAP_RINGLOG_OK) {
	return;
    }
    endSeq = cursors.nextSeq;
    if (callPtr->fromSeq >= endSeq || callPtr->maxCount == 0) {
	return;
    }
    walk.logPtr = logPtr;
    walk.limit = cursors.head;
    walk.last = cursors.tailSeq - 1;
    walk.nextSeq = cursors.nextSeq;
    walk.damaged = 0;
    position = cursors.tail;

    /*
     * Absolute positions are never reused, so a position at or after the
     * tail still holds what it held when the hint was taken.
     */

    if (logPtr->hintSeq > cursors.tailSeq
	    && callPtr->fromSeq >= logPtr->hintSeq
	    && logPtr->hintPos >= cursors.tail
	    && logPtr->hintPos <= cursors.head) {
	position = logPtr->hintPos;
	walk.last = logPtr->hintSeq - 1;
    } else if (callPtr->fromSeq > cursors.tailSeq
	    && RlNearestMark(logPtr, &cursors, callPtr->fromSeq, &markPos,
		    &markSeq)) {
	/* A read far from the tail (read -last): start at a mark. */
	position = markPos;
	walk.last = markSeq - 1;
    }

    while (count < callPtr->maxCount) {
	damaged = walk.damaged;
	found = RlSettle(&walk, position, &rh);
	lapped = Lapped(logPtr, &cursors, position, errPtr);
	if (lapped == 0 && found < walk.limit && rh.seq < endSeq
		&& rh.seq >= callPtr->fromSeq) {
	    /*
	     * Copy the payload out, then make sure it was not overwritten
	     * while we copied.
	     */

	    if (logPtr->scratchSize < rh.length || logPtr->scratch == NULL) {
		buf = realloc(logPtr->scratch, rh.length + 1);
		if (buf == NULL) {
		    RlPosixError(errPtr, ENOMEM, "read");
		    return;
		}
		logPtr->scratch = buf;
		logPtr->scratchSize = rh.length + 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	    }
	    memcpy(logPtr->scratch, logPtr->area + found % logPtr->dataSize
		    + RL_HDR, rh.length);
	    intact = (RlDataCrc(logPtr->saltCrc, rh.seq, logPtr->scratch,
		    rh.length) == rh.dataCrc);
	    lapped = Lapped(logPtr, &cursors, found, errPtr);
	    if (lapped == 0) {
		if (!intact) {
		    walk.damaged++;
		} else {
		    count++;
		    if (callPtr->visitProc(callPtr->clientData, rh.seq,
			    logPtr->scratch, rh.length) != 0) {
			break;
		    }
		}
	    }
	}
	if (lapped < 0) {
	    return;
	}
	if (lapped > 0) {
	    /* Overwritten under us: resume at the new oldest record. */
	    walk.damaged = damaged;
	    walk.limit = cursors.head;
	    walk.nextSeq = cursors.nextSeq;
	    position = cursors.tail;
	    continue;
	}
	if (found >= walk.limit || rh.seq >= endSeq) {
	    break;
	}
	walk.last = rh.seq;
	position = found + RlRecordSize(rh.length);
    }
    callPtr->damaged = walk.damaged;
    logPtr->hintPos = position;
    logPtr->hintSeq = walk.last + 1;
}
