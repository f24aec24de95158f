/*
 * write.c --
 *
 *	The writers' side of the ring log: append, and publishing the
 *	cursors.
 *
 * Positions.  head and tail are absolute byte positions: they only grow,
 *	and the byte at position p lives at p % dataSize in the area.  A
 *	record never wraps inside itself: when it does not fit before the
 *	end of the area, a skip marker fills the rest (if a record header
 *	fits there) and the record goes to the start of the next lap.
 *
 * Writers take turns through the writers' lock (lock.c), held
 *	for one append call.  Under it an append (1) makes room: it walks
 *	the oldest records that the new one will overwrite and publishes
 *	cursors with the tail past them, (2) writes the record, payload
 *	first, and (3) publishes cursors with the new head and nextSeq.
 *	Until step 3 the record lies beyond head where no reader looks, so
 *	a writer that dies mid-record leaves nothing torn behind: the next
 *	writer simply writes over it.  Publishing fills the cursor block
 *	that is not current and then flips gen to it with one atomic store,
 *	so a writer killed at any instant has either flipped gen or not, and
 *	the current block is always whole.  Each message thus gets the next
 *	sequence number exactly when it gets its place, so sequence order is
 *	position order and numbers are consecutive.
 *
 *	Why not reserve space with a lock-free fetch-add?  Two counters
 *	(bytes and sequence) bumped separately disagree on order under
 *	contention; a reservation whose owner dies before writing its
 *	header leaves a hole of unknown length that readers could only
 *	cross by guessing; and a writer that laps a stalled one has to wait
 *	for it or destroy its record.  A lock removes all three problems,
 *	and since the state is consistent at every instant, a lock whose
 *	holder died needs no repair.  Its limit: a writer stopped (SIGSTOP)
 *	inside an append stalls the other writers, never the readers.
 */

#include <string.h>
#include "internal.h"

/* Arguments and results of the guarded append. */
typedef struct AppendCall {
    MmapRinglog *logPtr;
    size_t count;
    const MmapRinglogMessage *messages;
    uint64_t lastSeq;
    int locked;			/* The writers' lock is held: a fault
				 * leaves it to MmapRinglogAppend. */
    MmapRinglogError *errPtr;
} AppendCall;

static void	AppendOne(MmapRinglog *logPtr, Cursors *cPtr,
		    const MmapRinglogMessage *msgPtr, uint64_t *seqPtr);
static void	AppendProc(void *clientData);
static void	MakeRoom(MmapRinglog *logPtr, Cursors *cPtr, uint64_t end);
static void	StoreCursors(MmapRinglog *logPtr, Cursors *cPtr);

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogAppend, AppendProc --
 *
 *	Appends messages, in order, as consecutive records: AppendProc,
 *	under the fault guard, takes the writers' lock and appends each.
 *
 * Results:
 *	MMAP_RINGLOG_OK with *lastSeqPtr the sequence number of the last
 *	one; READONLY or TOOBIG (nothing appended); CORRUPT (cursors
 *	damaged, nothing appended); LOCK or POSIX (the lock failed); FAULT
 *	(the file was truncated: the messages before the fault may be in
 *	the log).
 *
 * Side effects:
 *	The records; the oldest records that they overwrite are dropped.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogAppend(
    MmapRinglog *logPtr,
    size_t count,
    const MmapRinglogMessage *messages,
    uint64_t *lastSeqPtr,
    MmapRinglogError *errPtr)
{
    uint64_t maxMessage = MmapRinglogMaxMessage(logPtr->dataSize);
    AppendCall call;
    size_t i;
    int status;

    RlClearError(errPtr);
    if (logPtr->readOnly) {
	errPtr->status = MMAP_RINGLOG_READONLY;
	return MMAP_RINGLOG_READONLY;
    }
    for (i = 0; i < count; i++) {
	if (messages[i].length > maxMessage) {
	    errPtr->status = MMAP_RINGLOG_TOOBIG;
	    errPtr->offset = maxMessage;
	    return MMAP_RINGLOG_TOOBIG;
	}
    }
    if (count == 0) {
	return MMAP_RINGLOG_OK;
    }

    call.logPtr = logPtr;
    call.count = count;
    call.messages = messages;
    call.lastSeq = 0;
    call.locked = 0;
    call.errPtr = errPtr;
    status = RlGuarded(logPtr, AppendProc, &call, errPtr);
    if (status != MMAP_RINGLOG_OK && call.locked) {
	RlUnlockAfterFault(logPtr);
    }
    if (status == MMAP_RINGLOG_OK) {
	status = errPtr->status;
    }
    if (status == MMAP_RINGLOG_OK) {
	*lastSeqPtr = call.lastSeq;
    }
    return status;
}

static void
AppendProc(
    void *clientData)
{
    AppendCall *callPtr = clientData;
    MmapRinglog *logPtr = callPtr->logPtr;
    Cursors cursors;
    size_t i;

    /*
     * Touch gen first, as every other operation does: a header page that
     * is gone then faults at the same offset whatever the C library's
     * mutex looks like.
     */

    (void) __atomic_load_n(&logPtr->hdrPtr->gen, __ATOMIC_RELAXED);
    if (RlLock(logPtr, callPtr->errPtr) != MMAP_RINGLOG_OK) {
	return;
    }

    /*
     * A fault jumps out of this function at any instruction: the flag
     * must be in memory before the first access that can fault, and
     * cleared only after the last.
     */

    callPtr->locked = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (RlLoadCursors(logPtr, &cursors, callPtr->errPtr)
	    == MMAP_RINGLOG_OK) {
	for (i = 0; i < callPtr->count; i++) {
	    AppendOne(logPtr, &cursors, &callPtr->messages[i],
		    &callPtr->lastSeq);
	}
    }
    RlUnlock(logPtr);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    callPtr->locked = 0;

    /* Outside the lock: the wake-up is nobody else's business. */
    if (callPtr->lastSeq != 0) {
	RlWakeWaiters(logPtr);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * StoreCursors --
 *
 *	Publishes new cursors (the writer side of the seqlock): fills the
 *	block that is not current and flips gen to it.  Only under the
 *	writers' lock.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Writes the other block and gen; cPtr->gen becomes the new gen.
 *
 *----------------------------------------------------------------------
 */

static void
StoreCursors(
    MmapRinglog *logPtr,
    Cursors *cPtr)
{
    FileHeader *hdrPtr = logPtr->hdrPtr;
    CursorBlock *blockPtr = &hdrPtr->block[(cPtr->gen + 1) & 1];
    uint32_t crc = RlBlockCrc(logPtr->saltCrc, cPtr);

    /*
     * This block was current two flips ago, and a slow reader may still
     * be copying it.  The fence orders the flip that retired it before
     * the stores below, so a reader that sees any of them also sees gen
     * moved, and retries.
     */

    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&blockPtr->head, cPtr->head, __ATOMIC_RELAXED);
    __atomic_store_n(&blockPtr->tail, cPtr->tail, __ATOMIC_RELAXED);
    __atomic_store_n(&blockPtr->nextSeq, cPtr->nextSeq, __ATOMIC_RELAXED);
    __atomic_store_n(&blockPtr->tailSeq, cPtr->tailSeq, __ATOMIC_RELAXED);
    __atomic_store_n(&blockPtr->crc, crc, __ATOMIC_RELAXED);
    __atomic_store_n(&hdrPtr->gen, cPtr->gen + 1, __ATOMIC_SEQ_CST);
    cPtr->gen++;
}

/*
 *----------------------------------------------------------------------
 *
 * MakeRoom --
 *
 *	Before a record is written up to position "end": it will cover
 *	what lay at [end - dataSize, end) a lap ago, so the tail must reach
 *	end - dataSize.  Walks the oldest records to the first one that
 *	starts there or later, and publishes the tail at it (or, if there
 *	is none, an empty log at head).  From then on no reader believes a
 *	byte in between.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Drops the records; one cursor flip.
 *
 *----------------------------------------------------------------------
 */

static void
MakeRoom(
    MmapRinglog *logPtr,
    Cursors *cPtr,
    uint64_t end)
{
    uint64_t head = cPtr->head, need = end - logPtr->dataSize, tail;
    RecordHeader rh;
    Walk walk;

    walk.logPtr = logPtr;
    walk.limit = head;
    walk.last = cPtr->tailSeq - 1;
    walk.nextSeq = cPtr->nextSeq;
    walk.damaged = 0;
    tail = cPtr->tail;
    for (;;) {
	tail = RlSettle(&walk, tail, &rh);
	if (tail >= head || tail >= need) {
	    break;
	}
	walk.last = rh.seq;
	tail += RlRecordSize(rh.length);
    }
    if (tail >= head) {
	cPtr->tail = head;
	cPtr->tailSeq = cPtr->nextSeq;
    } else {
	cPtr->tail = tail;
	cPtr->tailSeq = rh.seq;
    }
    StoreCursors(logPtr, cPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * AppendOne --
 *
 *	Appends one message, under the writers' lock and the fault guard:
 *	makes room, writes the record, publishes it.  See the top of the
 *	file.
 *
 * Results:
 *	None; *seqPtr is the record's sequence number.
 *
 * Side effects:
 *	Up to two cursor flips; the record and maybe a skip marker.
 *
 *----------------------------------------------------------------------
 */

static void
AppendOne(
    MmapRinglog *logPtr,
    Cursors *cPtr,
    const MmapRinglogMessage *msgPtr,
    uint64_t *seqPtr)
{
    uint64_t dataSize = logPtr->dataSize;
    uint64_t size = RlRecordSize(msgPtr->length);
    uint64_t head = cPtr->head;
    uint64_t offset = head % dataSize;
    uint64_t start, end, seq, span;
    unsigned char *dst;
    RecordHeader rh;

    /* Where the record goes: here, or at the start of the next lap. */
    start = (dataSize - offset >= size) ? head : RlNextLap(dataSize, head);
    end = start + size;
    if (end - cPtr->tail > dataSize) {
	MakeRoom(logPtr, cPtr, end);
    }

    /*
     * Pairs with the acquire fence in Lapped: a reader that sees any byte
     * written below also sees the tail flip that preceded it (this
     * append's or, through the lock, an earlier one's).
     */

    __atomic_thread_fence(__ATOMIC_RELEASE);
    seq = cPtr->nextSeq;
    if (start != head && dataSize - offset >= RL_HDR) {
	memset(&rh, 0, sizeof(rh));
	rh.kind = RL_KIND_SKIP;
	rh.length = (uint32_t) (dataSize - offset - RL_HDR);
	rh.seq = seq;
	rh.headCrc = RlHeadCrc(logPtr->saltCrc, &rh);
	memcpy(logPtr->area + offset, &rh, RL_HDR);
    }

    /*
     * Payload first, header last; neither is visible before the head
     * moves, so the order only matters to someone inspecting the file.
     */

    dst = logPtr->area + start % dataSize;
    if (msgPtr->length > 0) {
	memcpy(dst + RL_HDR, msgPtr->bytes, msgPtr->length);
    }
    memset(dst + RL_HDR + msgPtr->length, 0,
	    size - RL_HDR - msgPtr->length);
    rh.kind = RL_KIND_RECORD;
    rh.length = (uint32_t) msgPtr->length;
    rh.seq = seq;
    rh.dataCrc = RlDataCrc(logPtr->saltCrc, seq, msgPtr->bytes,
	    msgPtr->length);
    rh.headCrc = RlHeadCrc(logPtr->saltCrc, &rh);
    memcpy(dst, &rh, RL_HDR);

    if (cPtr->tail == head) {
	/* The log was empty (or emptied above): this is the oldest. */
	cPtr->tail = start;
	cPtr->tailSeq = seq;
    }
    cPtr->head = end;
    cPtr->nextSeq = seq + 1;
    StoreCursors(logPtr, cPtr);

    /*
     * The record whose end first reaches into a stretch gets that
     * stretch's mark: one a stretch, each near its start.
     */

    span = RlMarkSpan(dataSize);
    if (head == 0 || (end - 1) / span != (head - 1) / span) {
	Mark *markPtr = &logPtr->hdrPtr->marks[((end - 1) / span)
		% RL_MARKS];

	__atomic_store_n(&markPtr->position, start, __ATOMIC_RELAXED);
	__atomic_store_n(&markPtr->seq, seq, __ATOMIC_RELEASE);
    }
    *seqPtr = seq;
}
