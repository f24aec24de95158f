/*
 * wait.c --
 *
 *	Waiting for an append, in any process, without polling: a futex on
 *	the "wake" word of the header page (WaitWords, format.h).  Not the
 *	private futex operations: those key on the address in one process,
 *	these on the file page, which every process that maps the log
 *	shares.
 *
 * The protocol.  A waiter registers (waiters + 1), reads wake, then checks
 *	the cursors; only if nothing new is there does it sleep, and only
 *	while wake still holds the value it read.  An appender publishes its
 *	records (the gen store of write.c, sequentially consistent) and then
 *	reads waiters; only if it is not zero does it bump wake and call
 *	FUTEX_WAKE.  The two sides are a Dekker pair: with both orders
 *	sequentially consistent, either the appender sees the registration
 *	and wakes, or the waiter's check comes after the publication and
 *	sees the records.  So an append with nobody waiting costs one fence
 *	and one load, no system call.
 *
 * A waiter that dies.  A process killed while registered leaves waiters
 *	too high for good, and every append would then pay a FUTEX_WAKE
 *	that wakes nobody.  So each waiter also holds a shared open file
 *	description lock on the byte of the waiters word while it is
 *	registered; the kernel drops it with the process.  An appender whose
 *	wake-ups have found nobody asleep many times in a row tries for an
 *	exclusive lock on that byte without waiting: getting it proves that
 *	nobody is registered, and it sets waiters back to zero.  A waiter
 *	that registers meanwhile waits for the shared lock first, so it
 *	cannot be lost by the reset.
 *
 * What ends a wait.  An append (or any change of nextSeq), the deadline
 *	(CLOCK_MONOTONIC, absolute, so that signals do not stretch it), a
 *	forced create that replaces the file (RlMarkReplaced), the stop
 *	flag of the waiter together with MmapRinglogWakeAll (a watcher
 *	thread being stopped), and a signal that the caller's interrupt
 *	procedure says should end it.  A writer killed in the middle of an
 *	append published nothing, so there is nothing to wake for; the next
 *	append wakes as usual.  (A writer killed between publishing and
 *	waking leaves its waiters asleep until the next append or their
 *	deadline: that window is a few instructions long.)
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

/* Wake-ups in a row that woke nobody before the waiters word is
 * checked for registrations of dead processes. */
#define IDLE_WAKES_BEFORE_RESET 64

typedef struct WaitCall {
    MmapRinglog *logPtr;
    uint64_t seq;		/* Wait for nextSeq > seq. */
    uint64_t nextSeq;		/* Out: nextSeq as last seen. */
    uint32_t wake;		/* Out: the wake word, read before the
				 * check. */
    int ready;			/* Out: nextSeq > seq. */
    int replaced;		/* Out: the file was replaced. */
    int registering;		/* In: +1 register, -1 unregister, 0. */
    MmapRinglogError *errPtr;
} WaitCall;

static int	Check(WaitCall *callPtr, int registering);
static void	CheckProc(void *clientData);
static void	MarkProc(void *clientData);
static long	Futex(uint32_t *wordPtr, int op, uint32_t value,
		    const struct timespec *deadlinePtr);
static void	WakeProc(void *clientData);

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogWait --
 *
 *	Blocks until the log holds a record with a sequence number of seq
 *	or more (nextSeq > seq), or until timeoutMs milliseconds have
 *	passed (negative: no limit).  waiterPtr, if not NULL, can end the
 *	wait from another thread (stop and MmapRinglogWakeAll) or on a
 *	signal (interruptProc), and may supply a descriptor of its own for
 *	the registration lock (MmapRinglogWaiterInit; fd -1 or a NULL
 *	waiterPtr: the log's).
 *
 * Results:
 *	MMAP_RINGLOG_OK (records arrived, or were there), TIMEOUT,
 *	INTERRUPTED (stop or interruptProc), REPLACED (a forced create put
 *	another file in the log's place), POSIX ("open for writing" when a
 *	read-only handle cannot register; "wait"), or FAULT.  *nextSeqPtr
 *	(if not NULL) is nextSeq as last seen.
 *
 * Side effects:
 *	Sleeps.  A read-only handle's header page becomes writable.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogWait(
    MmapRinglog *logPtr,
    MmapRinglogWaiter *waiterPtr,
    uint64_t seq,
    int64_t timeoutMs,
    uint64_t *nextSeqPtr,
    MmapRinglogError *errPtr)
{
    struct timespec deadline;
    WaitCall call;
    int fd = (waiterPtr != NULL && waiterPtr->fd >= 0) ? waiterPtr->fd
	    : logPtr->fd;
    int status = MMAP_RINGLOG_OK, err;
    long got;

    RlClearError(errPtr);
    call.logPtr = logPtr;
    call.seq = seq;
    call.nextSeq = 0;
    call.errPtr = errPtr;
    if (timeoutMs >= 0) {
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t) (timeoutMs / 1000);
	deadline.tv_nsec += (long) (timeoutMs % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
	    deadline.tv_sec++;
	    deadline.tv_nsec -= 1000000000L;
	}
    }

    for (;;) {
	/* Look first: most calls find records and never register. */
	status = Check(&call, 0);
	if (status != MMAP_RINGLOG_OK || call.ready) {
	    break;
	}
	if (waiterPtr != NULL
		&& __atomic_load_n(&waiterPtr->stop, __ATOMIC_ACQUIRE)) {
	    status = MMAP_RINGLOG_INTERRUPTED;
	    break;
	}
	if (timeoutMs == 0) {
	    status = MMAP_RINGLOG_TIMEOUT;
	    break;
	}
	if (RlWritableHeader(logPtr, errPtr) != MMAP_RINGLOG_OK) {
	    status = errPtr->status;
	    break;
	}

	/* Register, check again, sleep, unregister. */
	err = RlRangeLock(fd, F_RDLCK, RL_WAIT_OFFSET, 1);
	if (err != 0) {
	    status = RlPosixError(errPtr, err, "wait");
	    break;
	}
	status = Check(&call, 1);
	got = 0;
	if (status == MMAP_RINGLOG_OK && !call.ready && (waiterPtr == NULL
		|| !__atomic_load_n(&waiterPtr->stop, __ATOMIC_ACQUIRE))) {
	    got = Futex(&logPtr->hdrPtr->wait.wake, FUTEX_WAIT_BITSET,
		    call.wake, (timeoutMs >= 0) ? &deadline : NULL);
	}
	err = (got < 0) ? errno : 0;
	if (status != MMAP_RINGLOG_FAULT) {
	    /* Registered (a fault took the page and the count with it). */
	    int after = Check(&call, -1);

	    if (status == MMAP_RINGLOG_OK) {
		status = after;
	    }
	}
	RlRangeLock(fd, F_UNLCK, RL_WAIT_OFFSET, 0);
	if (status != MMAP_RINGLOG_OK || call.ready) {
	    break;
	}
	if (err == ETIMEDOUT) {
	    status = MMAP_RINGLOG_TIMEOUT;
	    break;
	}
	if (err == EINTR && waiterPtr != NULL
		&& waiterPtr->interruptProc != NULL
		&& waiterPtr->interruptProc(waiterPtr->clientData)) {
	    status = MMAP_RINGLOG_INTERRUPTED;
	    break;
	}
	if (err == EFAULT) {
	    /* The kernel could not read the page: the file was cut. */
	    errPtr->status = MMAP_RINGLOG_FAULT;
	    errPtr->fault = MMAP_FAULT_BUS;
	    errPtr->offset = RL_WAIT_OFFSET;
	    status = MMAP_RINGLOG_FAULT;
	    break;
	}
	if (err != 0 && err != EAGAIN && err != EINTR) {
	    status = RlPosixError(errPtr, err, "wait");
	    break;
	}
	/* Woken, or the word moved: look again. */
    }
    if (nextSeqPtr != NULL) {
	*nextSeqPtr = call.nextSeq;
    }
    if (status == MMAP_RINGLOG_TIMEOUT || status == MMAP_RINGLOG_REPLACED
	    || status == MMAP_RINGLOG_INTERRUPTED) {
	errPtr->status = (MmapRinglogStatus) status;
    }
    return status;
}

/*
 * Check --
 *	Runs CheckProc under the guard, registering (+1), unregistering
 *	(-1) or neither (0).  MMAP_RINGLOG_OK (then callPtr->ready says
 *	whether records are there), REPLACED, or the failure (CORRUPT,
 *	FAULT) in *errPtr.
 */

static int
Check(
    WaitCall *callPtr,
    int registering)
{
    MmapRinglogError *errPtr = callPtr->errPtr;

    callPtr->registering = registering;
    if (RlGuarded(callPtr->logPtr, CheckProc, callPtr, errPtr)
	    != MMAP_RINGLOG_OK || errPtr->status != MMAP_RINGLOG_OK) {
	return errPtr->status;
    }
    return callPtr->replaced ? MMAP_RINGLOG_REPLACED : MMAP_RINGLOG_OK;
}

/*
 * CheckProc --
 *	Under the guard: (un)registers as asked, then reads wake and the
 *	cursors, in that order (see the protocol above).
 */

static void
CheckProc(
    void *clientData)
{
    WaitCall *callPtr = clientData;
    WaitWords *wPtr = &callPtr->logPtr->hdrPtr->wait;
    Cursors cursors;

    if (callPtr->registering > 0) {
	__atomic_fetch_add(&wPtr->waiters, 1, __ATOMIC_SEQ_CST);
    } else if (callPtr->registering < 0) {
	/* Never below zero, whatever a reset did meanwhile. */
	uint32_t n = __atomic_load_n(&wPtr->waiters, __ATOMIC_RELAXED);

	while (n > 0 && !__atomic_compare_exchange_n(&wPtr->waiters, &n,
		n - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
	    /* n reloaded. */
	}
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    callPtr->wake = __atomic_load_n(&wPtr->wake, __ATOMIC_SEQ_CST);
    callPtr->replaced = (__atomic_load_n(&wPtr->replaced,
	    __ATOMIC_SEQ_CST) != 0);
    if (RlLoadCursors(callPtr->logPtr, &cursors, callPtr->errPtr)
	    != MMAP_RINGLOG_OK) {
	return;
    }
    callPtr->nextSeq = cursors.nextSeq;
    callPtr->ready = (cursors.nextSeq > callPtr->seq);
}

/*
 *----------------------------------------------------------------------
 *
 * RlWakeWaiters --
 *
 *	After an append has published its records: wakes whoever waits,
 *	if anyone does.  Runs under the fault guard (write.c).
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	FUTEX_WAKE, only when waiters is not zero; now and then, the reset
 *	of a waiters word left high by dead processes.
 *
 *----------------------------------------------------------------------
 */

void
RlWakeWaiters(
    MmapRinglog *logPtr)
{
    WaitWords *wPtr = &logPtr->hdrPtr->wait;
    long woken;

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&wPtr->waiters, __ATOMIC_SEQ_CST) == 0) {
	return;
    }
    __atomic_fetch_add(&wPtr->wake, 1, __ATOMIC_SEQ_CST);
    woken = Futex(&wPtr->wake, FUTEX_WAKE_BITSET, INT_MAX, NULL);
    if (woken != 0) {
	logPtr->idleWakes = 0;
	return;
    }
    if (++logPtr->idleWakes < IDLE_WAKES_BEFORE_RESET) {
	return;
    }
    logPtr->idleWakes = 0;
    if (RlRangeLock(logPtr->fd, F_WRLCK, RL_WAIT_OFFSET, 0) == 0) {
	__atomic_store_n(&wPtr->waiters, 0, __ATOMIC_SEQ_CST);
	RlRangeLock(logPtr->fd, F_UNLCK, RL_WAIT_OFFSET, 0);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogWakeAll --
 *
 *	Wakes every waiter of the log, in every process, so that the one
 *	whose stop flag was just set sees it; the others look, find nothing
 *	new and sleep again.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Bumps wake; FUTEX_WAKE.
 *
 *----------------------------------------------------------------------
 */

void
MmapRinglogWakeAll(
    MmapRinglog *logPtr)
{
    MmapRinglogError err;

    RlClearError(&err);
    RlGuarded(logPtr, WakeProc, logPtr, &err);
}

static void
WakeProc(
    void *clientData)
{
    MmapRinglog *logPtr = clientData;

    __atomic_fetch_add(&logPtr->hdrPtr->wait.wake, 1, __ATOMIC_SEQ_CST);
    Futex(&logPtr->hdrPtr->wait.wake, FUTEX_WAKE_BITSET, INT_MAX, NULL);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogPrepareWait --
 *
 *	Makes sure the handle can register as a waiter (a read-only
 *	handle's header page made writable), so that a watcher thread
 *	started next cannot fail for want of it.
 *
 * Results:
 *	MMAP_RINGLOG_OK, or POSIX ("write the header of").
 *
 * Side effects:
 *	See RlWritableHeader.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogPrepareWait(
    MmapRinglog *logPtr,
    MmapRinglogError *errPtr)
{
    RlClearError(errPtr);
    return RlWritableHeader(logPtr, errPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogWaiterInit, MmapRinglogWaiterFree --
 *
 *	A waiter for a thread other than the handle's own (a watcher): its
 *	own open file description, so that its registration lock is not
 *	merged with the handle's (an open file holds one lock per byte).
 *
 * Results:
 *	MMAP_RINGLOG_OK or POSIX ("open").
 *
 * Side effects:
 *	A descriptor, closed by MmapRinglogWaiterFree.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogWaiterInit(
    MmapRinglog *logPtr,
    MmapRinglogWaiter *waiterPtr,
    MmapRinglogError *errPtr)
{
    char path[48];

    RlClearError(errPtr);
    waiterPtr->stop = 0;
    waiterPtr->interruptProc = NULL;
    waiterPtr->clientData = NULL;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", logPtr->fd);
    waiterPtr->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (waiterPtr->fd < 0) {
	return RlPosixError(errPtr, errno, "open");
    }
    return MMAP_RINGLOG_OK;
}

void
MmapRinglogWaiterFree(
    MmapRinglogWaiter *waiterPtr)
{
    if (waiterPtr->fd >= 0) {
	close(waiterPtr->fd);
	waiterPtr->fd = -1;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * RlMarkReplaced --
 *
 *	Called by a forced create on the file it has just renamed a new
 *	log over (fd: that old file, opened before the rename): marks it
 *	replaced and wakes its waiters, so that they stop waiting for
 *	appends that will now go to the new file.  Only a file that still
 *	looks like a ring log is touched.
 *
 * Results:
 *	None: a file that cannot be marked has no waiters to tell.
 *
 * Side effects:
 *	Writes the old file's "replaced" word; FUTEX_WAKE.
 *
 *----------------------------------------------------------------------
 */

void
RlMarkReplaced(
    int fd)
{
    unsigned char buf[MMAP_RINGLOG_HEADER_SIZE];
    MmapRinglogError err;
    MmapRinglog log;
    FileHeader *hdrPtr;
    struct stat st;

    if (fstat(fd, &st) != 0 || st.st_size < MMAP_RINGLOG_HEADER_SIZE
	    || pread(fd, buf, sizeof(buf), 0) != (ssize_t) sizeof(buf)
	    || RlCheckHeader(buf, (uint64_t) st.st_size, &err)
		    != MMAP_RINGLOG_OK) {
	return;
    }
    hdrPtr = mmap(NULL, MMAP_RINGLOG_HEADER_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
    if (hdrPtr == MAP_FAILED) {
	return;
    }

    /* The file may be cut meanwhile: the guard needs a handle. */
    memset(&log, 0, sizeof(log));
    log.base = (unsigned char *) hdrPtr;
    log.mapLength = MMAP_RINGLOG_HEADER_SIZE;
    log.hdrPtr = hdrPtr;
    RlClearError(&err);
    RlGuarded(&log, MarkProc, hdrPtr, &err);
    munmap(hdrPtr, MMAP_RINGLOG_HEADER_SIZE);
}

static void
MarkProc(
    void *clientData)
{
    FileHeader *hdrPtr = clientData;

    __atomic_store_n(&hdrPtr->wait.replaced, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&hdrPtr->wait.wake, 1, __ATOMIC_SEQ_CST);
    Futex(&hdrPtr->wait.wake, FUTEX_WAKE_BITSET, INT_MAX, NULL);
}

/*
 * Futex --
 *	The futex system call, which the C library does not wrap.  Waits
 *	use FUTEX_WAIT_BITSET for its absolute CLOCK_MONOTONIC deadline.
 */

static long
Futex(
    uint32_t *wordPtr,
    int op,
    uint32_t value,
    const struct timespec *deadlinePtr)
{
    return syscall(SYS_futex, wordPtr, op, value, deadlinePtr, NULL,
	    FUTEX_BITSET_MATCH_ANY);
}
