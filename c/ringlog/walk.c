/*
 * walk.c --
 *
 *	What readers and writers share: the snapshot of the cursors (the
 *	reader side of the seqlock, see read.c) and the walk over the
 *	records, which crosses skip markers, lap ends and damage.  Runs
 *	under the fault guard, like every access to the mapping.
 */

#include <string.h>
#include "internal.h"

static uint32_t	ReadHeader(Walk *walkPtr, uint64_t position,
		    RecordHeader *rhPtr);

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
 * RlNearestMark --
 *
 *	The believable mark nearest before a sequence number: a record
 *	from which a walk to seq is short.
 *
 * Results:
 *	1 with *positionPtr and *seqPtr set, or 0 when no mark helps.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
RlNearestMark(
    MmapRinglog *logPtr,
    const Cursors *cPtr,
    uint64_t seq,
    uint64_t *positionPtr,
    uint64_t *seqPtr)
{
    Mark *markPtr;
    RecordHeader rh;
    uint64_t best = 0, position, markSeq;
    int i;

    for (i = 0; i < RL_MARKS; i++) {
	markPtr = &logPtr->hdrPtr->marks[i];
	markSeq = __atomic_load_n(&markPtr->seq, __ATOMIC_ACQUIRE);
	position = __atomic_load_n(&markPtr->position, __ATOMIC_RELAXED);
	if (markSeq <= best || markSeq > seq || markSeq < cPtr->tailSeq
		|| markSeq >= cPtr->nextSeq || position < cPtr->tail
		|| position >= cPtr->head || position % RL_ALIGN != 0
		|| logPtr->dataSize - position % logPtr->dataSize < RL_HDR) {
	    continue;
	}
	memcpy(&rh, logPtr->area + position % logPtr->dataSize, RL_HDR);
	if (rh.headCrc != RlHeadCrc(logPtr->saltCrc, &rh)
		|| rh.kind != RL_KIND_RECORD || rh.seq != markSeq) {
	    continue;
	}
	best = markSeq;
	*positionPtr = position;
	*seqPtr = markSeq;
    }
    return best != 0;
}
