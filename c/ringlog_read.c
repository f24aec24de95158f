/*
 * ringlog_read.c --
 *
 *	The readers' side of the ring log: the snapshot of the cursors, the
 *	walk over the records, and read.
 *
 * The cursors.  head, tail, nextSeq and tailSeq change together, so they
 *	live in two cursor blocks: a writer fills the block that is not
 *	current and then makes it current by incrementing "gen" (block
 *	gen & 1) with one sequentially consistent store (ringlog_write.c).
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
 *	Everything here runs under the fault guard (ringlog.c).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ringlogInt.h"

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
static uint32_t	ReadHeader(Walk *walkPtr, uint64_t position,
		    RecordHeader *rhPtr);
static void	ReadProc(void *clientData);

/*
 *----------------------------------------------------------------------
 *
 * RlLoadCursors --
 *
 *	Takes a consistent snapshot of the current cursor block (the reader
 *	side of the seqlock) and checks it.
 *
 * Results:
 *	MMAP_RINGLOG_OK, or MMAP_RINGLOG_CORRUPT with *errPtr filled in.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
RlLoadCursors(
    MmapRinglog *logPtr,
    Cursors *cPtr,
    MmapRinglogError *errPtr)
{
    FileHeader *hdrPtr = logPtr->hdrPtr;
    CursorBlock *blockPtr;
    uint64_t gen, again;
    uint32_t crc;

    do {
	gen = __atomic_load_n(&hdrPtr->gen, __ATOMIC_ACQUIRE);
	blockPtr = &hdrPtr->block[gen & 1];
	cPtr->head = __atomic_load_n(&blockPtr->head, __ATOMIC_RELAXED);
	cPtr->tail = __atomic_load_n(&blockPtr->tail, __ATOMIC_RELAXED);
	cPtr->nextSeq = __atomic_load_n(&blockPtr->nextSeq,
		__ATOMIC_RELAXED);
	cPtr->tailSeq = __atomic_load_n(&blockPtr->tailSeq,
		__ATOMIC_RELAXED);
	crc = __atomic_load_n(&blockPtr->crc, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	again = __atomic_load_n(&hdrPtr->gen, __ATOMIC_RELAXED);
    } while (gen != again);
    cPtr->gen = gen;

    if (crc != RlBlockCrc(logPtr->saltCrc, cPtr)) {
	return RlFormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"cursor block checksum mismatch");
    }

    /*
     * Beyond the checksum, the invariants every append keeps: the records
     * fit the area, and an empty log (tail == head) is exactly one with
     * no sequence numbers between tailSeq and nextSeq.
     */

    if (cPtr->tail > cPtr->head
	    || cPtr->head - cPtr->tail > logPtr->dataSize
	    || cPtr->tailSeq == 0 || cPtr->tailSeq > cPtr->nextSeq
	    || (cPtr->tail == cPtr->head) != (cPtr->tailSeq == cPtr->nextSeq)
	    || cPtr->nextSeq - cPtr->tailSeq
		    > (cPtr->head - cPtr->tail) / RL_HDR) {
	return RlFormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"inconsistent cursors");
    }
    return MMAP_RINGLOG_OK;
}

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

    /* Pairs with the fence after a writer's tail flip (ringlog_write.c). */
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
 * ReadHeader --
 *
 *	Copies the header at a position where one fits before the end of
 *	the area, and judges it against the walk's bounds.
 *
 * Results:
 *	RL_KIND_RECORD or RL_KIND_SKIP for a header to believe, 0 for
 *	anything else (damage, or bytes that are not a header).
 *
 * Side effects:
 *	Fills *rhPtr.
 *
 *----------------------------------------------------------------------
 */

static uint32_t
ReadHeader(
    Walk *walkPtr,
    uint64_t position,
    RecordHeader *rhPtr)
{
    MmapRinglog *logPtr = walkPtr->logPtr;
    uint64_t offset = position % logPtr->dataSize;
    uint64_t room = logPtr->dataSize - offset - RL_HDR;

    memcpy(rhPtr, logPtr->area + offset, RL_HDR);
    if (rhPtr->headCrc != RlHeadCrc(logPtr->saltCrc, rhPtr)) {
	return 0;
    }
    if (rhPtr->kind == RL_KIND_SKIP) {
	return (rhPtr->length == room) ? RL_KIND_SKIP : 0;
    }
    if (rhPtr->kind != RL_KIND_RECORD || rhPtr->length > room
	    || rhPtr->seq <= walkPtr->last
	    || rhPtr->seq >= walkPtr->nextSeq
	    || RlRecordSize(rhPtr->length) > walkPtr->limit - position) {
	return 0;
    }
    return RL_KIND_RECORD;
}

/*
 *----------------------------------------------------------------------
 *
 * RlSettle --
 *
 *	Finds the first record at or after a position: passes skip markers
 *	and lap ends, and crosses damage by scanning aligned positions for
 *	the next believable header.  The first position of a lap always
 *	holds a record, so a scan never runs past one.
 *
 * Results:
 *	The record's position with *rhPtr its header, or the walk's limit
 *	when there is none before it.
 *
 * Side effects:
 *	Counts each damaged stretch in walkPtr->damaged.
 *
 *----------------------------------------------------------------------
 */

uint64_t
RlSettle(
    Walk *walkPtr,
    uint64_t position,
    RecordHeader *rhPtr)
{
    uint64_t dataSize = walkPtr->logPtr->dataSize;
    uint64_t offset;
    int scanning = 0;

    while (position < walkPtr->limit) {
	offset = position % dataSize;
	if (dataSize - offset < RL_HDR) {
	    position = RlNextLap(dataSize, position);
	    scanning = 0;
	    continue;
	}
	if (offset == 0) {
	    scanning = 0;
	}
	switch (ReadHeader(walkPtr, position, rhPtr)) {
	case RL_KIND_RECORD:
	    return position;
	case RL_KIND_SKIP:
	    position = RlNextLap(dataSize, position);
	    scanning = 0;
	    continue;
	}
	if (!scanning) {
	    walkPtr->damaged++;
	    scanning = 1;
	}
	position += RL_ALIGN;
    }
    return walkPtr->limit;
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
