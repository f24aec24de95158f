/*
 * lock.c --
 *
 *	The writers' lock of a ring log: a pthread mutex, process-shared and
 *	robust, in the header page of the file (FileHeader.lock).  Taking
 *	and releasing it costs no system call while no other writer waits,
 *	where flock(2) around each append cost two.
 *
 * A writer killed holding it.  The kernel keeps, for every thread, a list
 *	of the robust mutexes it holds; when a thread dies, however it dies,
 *	the kernel marks each of them "owner died" and wakes a waiter.  The
 *	next pthread_mutex_lock then returns EOWNERDEAD, with the mutex
 *	held.  The dead writer cannot have left anything to repair: it
 *	changed the cursors only by whole flips of gen, and the bytes it
 *	wrote past the head are ignored by readers and overwritten by the
 *	next append (write.c).  So the new holder marks the mutex
 *	consistent and carries on.  ENOTRECOVERABLE, which only a foreign
 *	program can cause (by releasing an owner-dead mutex unmarked), is
 *	MMAP_RINGLOG_LOCK; the cure is the one below.
 *
 * A reboot.  A mutex in a file outlives the kernel that knew its holder:
 *	after a crash of the system, or in a file copied while an append
 *	ran, it can say "locked by thread 1234" with no such thread to die
 *	and no kernel list to mark it, and writers would wait for ever.  So
 *	every handle that may write holds a shared flock(2) on the file
 *	from open to close, and each open first tries for an exclusive one
 *	without waiting.  Getting it proves that no process has the log
 *	open for writing, and only such a process can hold the mutex or
 *	wait for it: the opener initialises the mutex afresh, whatever its
 *	bytes say, then takes the shared lock like everyone else.  flock(2)
 *	state lives in the kernel and goes with the last descriptor of its
 *	open file, at death or reboot, so it cannot go stale as the mutex
 *	can.  An opener that finds the exclusive lock taken waits for its
 *	shared one, so it never uses a mutex that another opener is still
 *	initialising.  (Linux turns an exclusive flock into a shared one by
 *	dropping it and taking the other, and in that gap a third opener
 *	may initialise again: harmless, since the first has not used the
 *	mutex yet and waits for the third to finish.)  Read-only handles
 *	never lock and take no flock: a reader left open would otherwise
 *	keep a stale mutex from ever being initialised.
 *
 *	An opener killed while it initialises releases its exclusive lock
 *	and so lets the openers waiting for a shared one go on, with a
 *	mutex half made.  Hence lockReady: cleared before the mutex is
 *	initialised and set after.  A waiter that finds it clear gives up
 *	its shared lock and starts over, so that whichever opener then
 *	finds itself alone initialises the mutex again.  While a handle is
 *	open the word stays set (only an opener alone clears it), so
 *	starting over ends quickly; if it does not, the word was damaged
 *	under open logs, and the open fails with MMAP_RINGLOG_LOCK.
 *
 *	flock(2) locks open files only on local file systems (on NFS, Linux
 *	emulates it per process), and a process-shared mutex means nothing
 *	between machines: ring logs are for local files.
 *
 * A file truncated under a writer.  Every access to the mutex runs under
 *	the fault guard, like every access to the mapping.  One case needs
 *	more: the header page vanishing between lock and unlock.  The mutex
 *	would stay on this thread's robust list, which the C library links
 *	through the mutexes themselves, and the next robust mutex this
 *	thread took, of any log or library, would write into the vanished
 *	page (or, after close, into whatever was mapped there next).
 *	RlUnlockAfterFault puts an anonymous page holding a copy of the
 *	locked mutex in its place just long enough to unlock it.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define ATTACH_TRIES	200	/* Starts over at open, 0.1-2 ms apart. */

static const char notRecoverable[] = "the writers' lock is not recoverable:"
	" close the log in every process, then open it again";

typedef struct InitCall {
    FileHeader *hdrPtr;
    int err;
    uint64_t ready;
} InitCall;

static void	InitProc(void *clientData);
static int	Flock(int fd, int operation);
static void	ReadyProc(void *clientData);
static void	UnlockProc(void *clientData);

/*
 *----------------------------------------------------------------------
 *
 * RlLockInit --
 *
 *	Initialises a mutex as the writers' lock: process-shared, robust,
 *	of the default type.
 *
 * Results:
 *	0, or the error number of the pthread call that failed.
 *
 * Side effects:
 *	Overwrites *mutexPtr, whatever it held.  Only for a mutex that
 *	nobody can be using: a new header, or under the exclusive flock.
 *
 *----------------------------------------------------------------------
 */

int
RlLockInit(
    pthread_mutex_t *mutexPtr)
{
    pthread_mutexattr_t attr;
    int err;

    memset(mutexPtr, 0, sizeof(*mutexPtr));
    err = pthread_mutexattr_init(&attr);
    if (err != 0) {
	return err;
    }
    err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (err == 0) {
	err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    }
    if (err == 0) {
	err = pthread_mutex_init(mutexPtr, &attr);
    }
    pthread_mutexattr_destroy(&attr);
    return err;
}

/*
 *----------------------------------------------------------------------
 *
 * RlLockAttach --
 *
 *	At open, for a handle that may write: takes the shared flock that
 *	it keeps until close, and first, if no other process has the log
 *	open, initialises the mutex (see "A reboot" above).
 *
 * Results:
 *	MMAP_RINGLOG_OK, POSIX ("lock"), LOCK or FAULT.
 *
 * Side effects:
 *	The flock, released by closing the descriptor; maybe the mutex.
 *
 *----------------------------------------------------------------------
 */

int
RlLockAttach(
    MmapRinglog *logPtr,
    MmapRinglogError *errPtr)
{
    struct timespec now, pause;
    InitCall call;
    int tries;

    if (logPtr->readOnly) {
	return MMAP_RINGLOG_OK;
    }
    call.hdrPtr = logPtr->hdrPtr;
    for (tries = 0; tries < ATTACH_TRIES; tries++) {
	if (flock(logPtr->fd, LOCK_EX | LOCK_NB) == 0) {
	    call.err = 0;
	    if (RlGuarded(logPtr, InitProc, &call, errPtr)
		    != MMAP_RINGLOG_OK) {
		return errPtr->status;
	    }
	    if (call.err != 0) {
		return RlPosixError(errPtr, call.err, "lock");
	    }

	    /* This turns the exclusive lock into a shared one. */
	    return Flock(logPtr->fd, LOCK_SH) ? RlPosixError(errPtr, errno,
		    "lock") : MMAP_RINGLOG_OK;
	}
	if (errno != EWOULDBLOCK && errno != EINTR) {
	    return RlPosixError(errPtr, errno, "lock");
	}
	if (Flock(logPtr->fd, LOCK_SH) != 0) {
	    return RlPosixError(errPtr, errno, "lock");
	}
	if (RlGuarded(logPtr, ReadyProc, &call, errPtr) != MMAP_RINGLOG_OK) {
	    return errPtr->status;
	}
	if (call.ready == RL_LOCK_READY) {
	    return MMAP_RINGLOG_OK;
	}

	/*
	 * An opener died initialising.  Start over after a pause of our
	 * own, so that the openers doing the same do not keep each other
	 * from being alone.
	 */

	Flock(logPtr->fd, LOCK_UN);
	clock_gettime(CLOCK_MONOTONIC, &now);
	pause.tv_sec = 0;
	pause.tv_nsec = 100000 + (now.tv_nsec / 1000 % 19) * 100000;
	nanosleep(&pause, NULL);
    }
    return RlFormatError(errPtr, MMAP_RINGLOG_LOCK, "%s", notRecoverable);
}

static int
Flock(
    int fd,
    int operation)
{
    int result;

    do {
	result = flock(fd, operation);
    } while (result != 0 && errno == EINTR);
    return result;
}

static void
InitProc(
    void *clientData)
{
    InitCall *callPtr = clientData;
    FileHeader *hdrPtr = callPtr->hdrPtr;

    /* Cleared before the first byte of the mutex changes. */
    __atomic_store_n(&hdrPtr->lockReady, 0, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    memset(hdrPtr->lock.bytes, 0, sizeof(hdrPtr->lock.bytes));
    callPtr->err = RlLockInit(&hdrPtr->lock.mutex);
    if (callPtr->err == 0) {
	__atomic_store_n(&hdrPtr->lockReady, RL_LOCK_READY,
		__ATOMIC_RELEASE);
    }
}

static void
ReadyProc(
    void *clientData)
{
    InitCall *callPtr = clientData;

    callPtr->ready = __atomic_load_n(&callPtr->hdrPtr->lockReady,
	    __ATOMIC_ACQUIRE);
}

/*
 *----------------------------------------------------------------------
 *
 * RlLock, RlUnlock --
 *
 *	Take and release the writers' lock.  Both run under the fault
 *	guard.  A lock left by a dead writer is taken over (see the top of
 *	the file).
 *
 * Results:
 *	RlLock: MMAP_RINGLOG_OK with the lock held; LOCK (not recoverable)
 *	or POSIX ("lock") without it.
 *
 * Side effects:
 *	The mutex; RlLock keeps a copy of it in the handle.
 *
 *----------------------------------------------------------------------
 */

int
RlLock(
    MmapRinglog *logPtr,
    MmapRinglogError *errPtr)
{
    pthread_mutex_t *mutexPtr = &logPtr->hdrPtr->lock.mutex;
    int err;

    err = pthread_mutex_lock(mutexPtr);
    if (err == EOWNERDEAD) {
	err = pthread_mutex_consistent(mutexPtr);
	if (err != 0) {
	    pthread_mutex_unlock(mutexPtr);
	}
    }
    if (err == ENOTRECOVERABLE) {
	return RlFormatError(errPtr, MMAP_RINGLOG_LOCK, "%s", notRecoverable);
    }
    if (err != 0) {
	return RlPosixError(errPtr, err, "lock");
    }
    memcpy(&logPtr->lockImage, mutexPtr, sizeof(logPtr->lockImage));
    return MMAP_RINGLOG_OK;
}

void
RlUnlock(
    MmapRinglog *logPtr)
{
    pthread_mutex_unlock(&logPtr->hdrPtr->lock.mutex);
}

static void
UnlockProc(
    void *clientData)
{
    RlUnlock(clientData);
}

/*
 *----------------------------------------------------------------------
 *
 * RlUnlockAfterFault --
 *
 *	Releases the writers' lock after a fault cut an append short.
 *	Usually the header page is still there (the data area was
 *	truncated) and this is RlUnlock under the guard.  If the page is
 *	gone, see "A file truncated under a writer" above.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	The lock is released and off this thread's robust list.  The
 *	mapping of the header page is replaced for a moment.
 *
 *----------------------------------------------------------------------
 */

void
RlUnlockAfterFault(
    MmapRinglog *logPtr)
{
    MmapRinglogError err;
    size_t pageSize = (size_t) sysconf(_SC_PAGESIZE);
    unsigned char *page = logPtr->base;
    pthread_mutex_t *mutexPtr;

    if (RlGuarded(logPtr, UnlockProc, logPtr, &err) == MMAP_RINGLOG_OK) {
	return;
    }

    /*
     * The header is at file offset 0, so it starts a page of the mapping,
     * and the mapping is at least one page long.  Same address, same
     * bytes as when we locked it: the C library cannot tell the copy
     * from the mutex, and takes it off the list.
     */

    if (mmap(page, pageSize, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
	return;
    }
    mutexPtr = (pthread_mutex_t *) (page + RL_LOCK_OFFSET);
    memcpy(mutexPtr, &logPtr->lockImage, sizeof(*mutexPtr));
    pthread_mutex_unlock(mutexPtr);

    /* Back to the file, so that what follows faults as it should. */
    mmap(page, pageSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
	    logPtr->fd, 0);
}
