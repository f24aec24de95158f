/*
 * named.c --
 *
 *	Named cursors: durable read positions kept in the header page
 *	(NamedCursor, format.h), shared by every process that opens the log.
 *	A consumer stores the sequence number it will read next under its
 *	name; after a restart, even after kill -9, it reads it back and
 *	resumes there instead of reading the log from the start.
 *
 * Storing a position in a slot that has the name is one atomic 64-bit
 *	store: no lock, and a process killed around it has either stored or
 *	not.  Claiming a slot for a new name takes an exclusive open file
 *	description lock on the first byte of the table (so that two
 *	processes adding one name cannot both claim a slot for it), looks
 *	again, and fills the free slot in an order that makes it visible
 *	only when whole: the name, the position and the checksum first,
 *	the length last.  A process killed while claiming leaves the length
 *	zero, a free slot; the kernel drops its lock.
 *
 *	Names and positions are read under the fault guard into a copy;
 *	what the caller does with them happens outside it.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <string.h>
#include "internal.h"

/* A copy of the table's slots in use. */
typedef struct NamedCopy {
    MmapRinglog *logPtr;
    int count;
    struct {
	uint32_t length;
	char name[RL_NAME_MAX];
	uint64_t seq;
    } slot[RL_NAMED_SLOTS];
    Cursors cursors;		/* For the oldest and next seq. */
    MmapRinglogError *errPtr;
} NamedCopy;

/* Arguments of the guarded store. */
typedef struct StoreCall {
    MmapRinglog *logPtr;
    const char *name;
    uint32_t length;
    uint64_t seq;
    int claim;			/* 0: only an existing slot; 1: claim a
				 * free one if there is none. */
    int done;			/* Out: stored. */
    int full;			/* Out: no free slot. */
    Cursors cursors;		/* Out: for the range check. */
    MmapRinglogError *errPtr;
} StoreCall;

static void	CopyProc(void *clientData);
static int	CopyTable(MmapRinglog *logPtr, NamedCopy *copyPtr,
		    MmapRinglogError *errPtr);
static int	SlotInUse(MmapRinglog *logPtr, const NamedCursor *slotPtr,
		    uint32_t *lengthPtr);
static void	StoreProc(void *clientData);

/*
 * SlotInUse --
 *	Whether a slot holds a name: a length in range whose checksum
 *	holds.  *lengthPtr is the length read.
 */

static int
SlotInUse(
    MmapRinglog *logPtr,
    const NamedCursor *slotPtr,
    uint32_t *lengthPtr)
{
    char name[RL_NAME_MAX];
    uint32_t length = __atomic_load_n(&slotPtr->length, __ATOMIC_ACQUIRE);

    *lengthPtr = length;
    if (length == 0 || length > RL_NAME_MAX) {
	return 0;
    }
    memcpy(name, slotPtr->name, length);
    return __atomic_load_n(&slotPtr->crc, __ATOMIC_RELAXED)
	    == RlNameCrc(logPtr->saltCrc, length, name);
}

/*
 * CopyTable, CopyProc --
 *	Copies the slots in use and the cursors, under the guard.
 */

static int
CopyTable(
    MmapRinglog *logPtr,
    NamedCopy *copyPtr,
    MmapRinglogError *errPtr)
{
    RlClearError(errPtr);
    copyPtr->logPtr = logPtr;
    copyPtr->count = 0;
    copyPtr->errPtr = errPtr;
    if (RlGuarded(logPtr, CopyProc, copyPtr, errPtr) != MMAP_RINGLOG_OK) {
	return errPtr->status;
    }
    return errPtr->status;
}

static void
CopyProc(
    void *clientData)
{
    NamedCopy *copyPtr = clientData;
    MmapRinglog *logPtr = copyPtr->logPtr;
    NamedCursor *slotPtr;
    uint32_t length;
    int i, n = 0;

    if (RlLoadCursors(logPtr, &copyPtr->cursors, copyPtr->errPtr)
	    != MMAP_RINGLOG_OK) {
	return;
    }
    for (i = 0; i < RL_NAMED_SLOTS; i++) {
	slotPtr = &logPtr->hdrPtr->named[i];
	if (!SlotInUse(logPtr, slotPtr, &length)) {
	    continue;
	}
	copyPtr->slot[n].length = length;
	memcpy(copyPtr->slot[n].name, slotPtr->name, length);
	copyPtr->slot[n].seq = __atomic_load_n(&slotPtr->seq,
		__ATOMIC_ACQUIRE);
	n++;
    }
    copyPtr->count = n;
}

/*
 * RlCountNamed --
 *	The named cursors in use, for stats.  Under the guard.
 */

int
RlCountNamed(
    MmapRinglog *logPtr)
{
    uint32_t length;
    int i, n = 0;

    for (i = 0; i < RL_NAMED_SLOTS; i++) {
	n += SlotInUse(logPtr, &logPtr->hdrPtr->named[i], &length);
    }
    return n;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogGetCursor --
 *
 *	The position stored under a name: *foundPtr says whether there is
 *	one; when there is not, *seqPtr is the oldest record held, where a
 *	new consumer starts.
 *
 * Results:
 *	MMAP_RINGLOG_OK, NAME (0 or too many bytes), CORRUPT or FAULT.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogGetCursor(
    MmapRinglog *logPtr,
    const char *name,
    size_t length,
    uint64_t *seqPtr,
    int *foundPtr,
    MmapRinglogError *errPtr)
{
    NamedCopy copy;
    int i;

    RlClearError(errPtr);
    if (length == 0 || length > RL_NAME_MAX) {
	errPtr->status = MMAP_RINGLOG_NAME;
	return MMAP_RINGLOG_NAME;
    }
    if (CopyTable(logPtr, &copy, errPtr) != MMAP_RINGLOG_OK) {
	return errPtr->status;
    }
    for (i = 0; i < copy.count; i++) {
	if (copy.slot[i].length == length
		&& memcmp(copy.slot[i].name, name, length) == 0) {
	    *seqPtr = copy.slot[i].seq;
	    *foundPtr = 1;
	    return MMAP_RINGLOG_OK;
	}
    }
    *seqPtr = copy.cursors.tailSeq;
    *foundPtr = 0;
    return MMAP_RINGLOG_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogListCursors --
 *
 *	Hands every named cursor to proc, in slot order (the order in
 *	which they were first stored, unless slots were reused).
 *
 * Results:
 *	MMAP_RINGLOG_OK, CORRUPT or FAULT.
 *
 * Side effects:
 *	Calls proc, outside the fault guard.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogListCursors(
    MmapRinglog *logPtr,
    MmapRinglogCursorProc *proc,
    void *clientData,
    MmapRinglogError *errPtr)
{
    NamedCopy copy;
    int i;

    if (CopyTable(logPtr, &copy, errPtr) != MMAP_RINGLOG_OK) {
	return errPtr->status;
    }
    for (i = 0; i < copy.count; i++) {
	proc(clientData, copy.slot[i].name, copy.slot[i].length,
		copy.slot[i].seq);
    }
    return MMAP_RINGLOG_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogSetCursor --
 *
 *	Stores seq under a name, claiming a slot for a name not seen
 *	before.  seq may be anything up to nextSeq (the position after the
 *	newest record: "everything read").
 *
 * Results:
 *	MMAP_RINGLOG_OK; NAME; RANGE (seq > nextSeq: errPtr->offset is
 *	nextSeq); FULL (every slot taken); POSIX (a read-only handle whose
 *	file may not be written: "open for writing"; the lock); CORRUPT;
 *	FAULT.
 *
 * Side effects:
 *	Writes the slot.  A read-only handle's header page becomes
 *	writable.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogSetCursor(
    MmapRinglog *logPtr,
    const char *name,
    size_t length,
    uint64_t seq,
    MmapRinglogError *errPtr)
{
    StoreCall call;
    int err, status;

    RlClearError(errPtr);
    if (length == 0 || length > RL_NAME_MAX) {
	errPtr->status = MMAP_RINGLOG_NAME;
	return MMAP_RINGLOG_NAME;
    }
    if (RlWritableHeader(logPtr, errPtr) != MMAP_RINGLOG_OK) {
	return errPtr->status;
    }
    call.logPtr = logPtr;
    call.name = name;
    call.length = (uint32_t) length;
    call.seq = seq;
    call.claim = 0;
    call.done = call.full = 0;
    call.errPtr = errPtr;
    status = RlGuarded(logPtr, StoreProc, &call, errPtr);
    if (status != MMAP_RINGLOG_OK || errPtr->status != MMAP_RINGLOG_OK
	    || call.done) {
	return errPtr->status;
    }

    /* A new name: claim a slot under the table's lock. */
    err = RlRangeLock(logPtr->ctlFd, F_WRLCK, RL_NAMED_OFFSET, 1);
    if (err != 0) {
	return RlPosixError(errPtr, err, "lock");
    }
    call.claim = 1;
    RlGuarded(logPtr, StoreProc, &call, errPtr);
    RlRangeLock(logPtr->ctlFd, F_UNLCK, RL_NAMED_OFFSET, 0);
    if (errPtr->status == MMAP_RINGLOG_OK && call.full) {
	errPtr->status = MMAP_RINGLOG_FULL;
    }
    return errPtr->status;
}

/*
 * StoreProc --
 *	Under the guard: checks seq against the cursors, then stores it in
 *	the slot of the name, or (claim) in a free slot made the name's.
 */

static void
StoreProc(
    void *clientData)
{
    StoreCall *callPtr = clientData;
    MmapRinglog *logPtr = callPtr->logPtr;
    NamedCursor *slotPtr, *freePtr = NULL;
    uint32_t length;
    int i;

    if (RlLoadCursors(logPtr, &callPtr->cursors, callPtr->errPtr)
	    != MMAP_RINGLOG_OK) {
	return;
    }
    if (callPtr->seq > callPtr->cursors.nextSeq) {
	callPtr->errPtr->status = MMAP_RINGLOG_RANGE;
	callPtr->errPtr->offset = callPtr->cursors.nextSeq;
	return;
    }
    for (i = 0; i < RL_NAMED_SLOTS; i++) {
	slotPtr = &logPtr->hdrPtr->named[i];
	if (!SlotInUse(logPtr, slotPtr, &length)) {
	    if (freePtr == NULL) {
		freePtr = slotPtr;
	    }
	    continue;
	}
	if (length == callPtr->length
		&& memcmp(slotPtr->name, callPtr->name, length) == 0) {
	    __atomic_store_n(&slotPtr->seq, callPtr->seq, __ATOMIC_RELEASE);
	    callPtr->done = 1;
	    return;
	}
    }
    if (!callPtr->claim) {
	return;
    }
    if (freePtr == NULL) {
	callPtr->full = 1;
	return;
    }

    /* Visible only once the length is stored, and then whole. */
    __atomic_store_n(&freePtr->length, 0, __ATOMIC_RELEASE);
    memset(freePtr->name, 0, sizeof(freePtr->name));
    memcpy(freePtr->name, callPtr->name, callPtr->length);
    memset(freePtr->reserved, 0, sizeof(freePtr->reserved));
    __atomic_store_n(&freePtr->seq, callPtr->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&freePtr->crc, RlNameCrc(logPtr->saltCrc,
	    callPtr->length, callPtr->name), __ATOMIC_RELAXED);
    __atomic_store_n(&freePtr->length, callPtr->length, __ATOMIC_RELEASE);
    callPtr->done = 1;
}
