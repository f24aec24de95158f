/*
 * log.c --
 *
 *	The ring log (see ringlog.h) as a whole: create, open, close, info
 *	and sync.  The rest lives by concern, in the layers below this one
 *	(internal.h lists them).
 *
 *	A log is one file, mapped shared in full: a header page and a data
 *	area used as a circle of variable-length, checksummed records.  Its
 *	state after any instant of any writer's life is consistent, so a
 *	writer killed anywhere leaves a log that readers and the next writer
 *	use as it is.  A file truncated under an open log turns the accesses
 *	that fault into MMAP_RINGLOG_FAULT instead of a crash.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "internal.h"

typedef struct InfoCall {
    MmapRinglog *logPtr;
    Cursors cursors;
    uint32_t waiters;		/* The waiting words, for stats. */
    uint32_t replaced;
    int named;			/* Named cursors in use. */
    MmapRinglogError *errPtr;
} InfoCall;

static void	InfoProc(void *clientData);
static uint64_t	NewSalt(const struct timeval *nowPtr);
static int	ReadHeaderPage(int fd, unsigned char *buf, size_t want,
		    size_t *donePtr, MmapRinglogError *errPtr);

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogCreate --
 *
 *	Creates a ring log file of fileSize bytes (rounded up to a multiple
 *	of 8): written in full under a temporary name, its space allocated,
 *	then linked into place (or, with force, renamed over what was
 *	there), so that no process ever opens a half-made log and a forced
 *	create does not pull the file from under those using the old one.
 *
 * Results:
 *	MMAP_RINGLOG_OK, MMAP_RINGLOG_BADSIZE, or MMAP_RINGLOG_POSIX
 *	(EEXIST when the file exists and force is not set).
 *
 * Side effects:
 *	The new file.  Nothing is left behind on failure.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogCreate(
    const char *path,
    uint64_t fileSize,
    int force,
    MmapRinglogError *errPtr)
{
    static unsigned counter = 0;
    struct stat st;
    struct timeval now;
    unsigned char *page = NULL;
    char *tmpPath = NULL;
    size_t done;
    ssize_t got;
    int fd = -1, oldFd = -1, err;
    const char *call;

    RlClearError(errPtr);
    if (fileSize < MMAP_RINGLOG_MIN_SIZE || fileSize > (uint64_t) INT64_MAX
	    || (uint64_t) (off_t) fileSize != fileSize) {
	return RlFormatError(errPtr, MMAP_RINGLOG_BADSIZE,
		"a ring log needs at least %d bytes",
		MMAP_RINGLOG_MIN_SIZE);
    }
    fileSize = (fileSize + RL_ALIGN - 1) & ~(uint64_t) (RL_ALIGN - 1);

    /*
     * Fail early on an existing file rather than after allocating a
     * possibly large one; link(2) below is what makes the check exact.
     */

    if (!force && lstat(path, &st) == 0) {
	return RlPosixError(errPtr, EEXIST, "create");
    }

    tmpPath = malloc(strlen(path) + 48);
    page = calloc(1, MMAP_RINGLOG_HEADER_SIZE);
    if (tmpPath == NULL || page == NULL) {
	err = ENOMEM;
	call = "create";
	goto failed;
    }
    sprintf(tmpPath, "%s.%ld.%u.tmp", path, (long) getpid(),
	    __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    fd = open(tmpPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
	err = errno;
	call = "create";
	goto failed;
    }

    /*
     * Allocate the blocks now: a store into a hole of a sparse file on
     * a full disk would raise SIGBUS in the middle of an append.
     */

    err = posix_fallocate(fd, 0, (off_t) fileSize);
    if (err == EOPNOTSUPP || err == EINVAL || err == ENOSYS) {
	err = (ftruncate(fd, (off_t) fileSize) == 0) ? 0 : errno;
    }
    if (err != 0) {
	call = "create";
	goto failed;
    }

    gettimeofday(&now, NULL);
    RlInitHeader((FileHeader *) page, fileSize - MMAP_RINGLOG_HEADER_SIZE,
	    NewSalt(&now), (uint64_t) now.tv_sec * 1000000
	    + (uint64_t) now.tv_usec);

    /*
     * The first open initialises the mutex again anyway (it finds the new
     * file open nowhere else), and reports a failure.
     */

    if (RlLockInit(&((FileHeader *) page)->lock.mutex) == 0) {
	((FileHeader *) page)->lockReady = RL_LOCK_READY;
    }
    for (done = 0; done < MMAP_RINGLOG_HEADER_SIZE; done += (size_t) got) {
	got = pwrite(fd, page + done, MMAP_RINGLOG_HEADER_SIZE - done,
		(off_t) done);
	if (got < 0 && errno != EINTR) {
	    err = errno;
	    call = "write";
	    goto failed;
	}
	if (got < 0) {
	    got = 0;
	}
    }
    if (fsync(fd) != 0) {
	err = errno;
	call = "write";
	goto failed;
    }
    close(fd);
    fd = -1;

    if (force) {
	/*
	 * Whoever waits on the old log must hear that appends now go
	 * elsewhere: open it before the rename, mark it after.
	 */

	oldFd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (rename(tmpPath, path) != 0) {
	    err = errno;
	    call = "create";
	    goto failed;
	}
	if (oldFd >= 0) {
	    RlMarkReplaced(oldFd);
	    close(oldFd);
	    oldFd = -1;
	}
    } else {
	if (link(tmpPath, path) != 0) {
	    err = errno;
	    call = "create";
	    goto failed;
	}
	unlink(tmpPath);
    }
    free(tmpPath);
    free(page);
    return MMAP_RINGLOG_OK;

  failed:
    if (fd >= 0) {
	close(fd);
    }
    if (oldFd >= 0) {
	close(oldFd);
    }
    if (tmpPath != NULL) {
	unlink(tmpPath);
	free(tmpPath);
    }
    free(page);
    return RlPosixError(errPtr, err, call);
}

/*
 * NewSalt --
 *	A random salt for a new log; from the clock and the process when
 *	/dev/urandom cannot be read.  Never 0.
 */

static uint64_t
NewSalt(
    const struct timeval *nowPtr)
{
    uint64_t salt = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
	if (read(fd, &salt, sizeof(salt)) != (ssize_t) sizeof(salt)) {
	    salt = 0;
	}
	close(fd);
    }
    if (salt == 0) {
	salt = ((uint64_t) nowPtr->tv_sec << 20) ^ (uint64_t) nowPtr->tv_usec
		^ ((uint64_t) getpid() << 40) ^ (uintptr_t) &salt;
    }
    return salt;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogOpen --
 *
 *	Opens a ring log: checks the header (read with pread, so that a
 *	file shorter than its header cannot fault), maps the whole file
 *	shared, joins the writers' lock unless read-only, and checks the
 *	current cursors through the mapping.
 *
 * Results:
 *	The new handle, or NULL with *errPtr filled in.
 *
 * Side effects:
 *	An open file descriptor (with a shared flock unless read-only) and
 *	a mapping, owned by the handle.  Installs the fault guard's
 *	handlers on first use.
 *
 *----------------------------------------------------------------------
 */

MmapRinglog *
MmapRinglogOpen(
    const char *path,
    int readOnly,
    MmapRinglogError *errPtr)
{
    unsigned char buf[MMAP_RINGLOG_HEADER_SIZE];
    MmapRinglog *logPtr = NULL;
    FileHeader *hdrPtr;
    InfoCall call;
    struct stat st;
    size_t want, done = 0;
    void *base;
    int fd, err;

    RlClearError(errPtr);
    err = MmapGuardInstall();
    if (err != 0) {
	RlPosixError(errPtr, err, "guard");
	return NULL;
    }
    fd = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
	RlPosixError(errPtr, errno, "open");
	return NULL;
    }
    if (fstat(fd, &st) != 0) {
	RlPosixError(errPtr, errno, "open");
	goto failed;
    }
    if (!S_ISREG(st.st_mode)) {
	RlFormatError(errPtr, MMAP_RINGLOG_NOTLOG, "not a ring log");
	goto failed;
    }
    memset(buf, 0, sizeof(buf));
    want = ((uint64_t) st.st_size < sizeof(buf))
	    ? (size_t) st.st_size : sizeof(buf);
    if (ReadHeaderPage(fd, buf, want, &done, errPtr) != MMAP_RINGLOG_OK) {
	goto failed;
    }

    /* A file that shrank since fstat is judged by what is left of it. */
    if (RlCheckHeader(buf, (done < want) ? done : (uint64_t) st.st_size,
	    errPtr) != MMAP_RINGLOG_OK) {
	goto failed;
    }
    if ((uint64_t) st.st_size > SIZE_MAX) {
	RlPosixError(errPtr, ENOMEM, "map");
	goto failed;
    }

    base = mmap(NULL, (size_t) st.st_size,
	    PROT_READ | (readOnly ? 0 : PROT_WRITE), MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
	RlPosixError(errPtr, errno, "map");
	goto failed;
    }
    logPtr = calloc(1, sizeof(MmapRinglog));
    if (logPtr == NULL) {
	munmap(base, (size_t) st.st_size);
	RlPosixError(errPtr, ENOMEM, "open");
	goto failed;
    }
    hdrPtr = (FileHeader *) buf;
    logPtr->fd = fd;
    logPtr->ctlFd = readOnly ? -1 : fd;
    logPtr->headerWritable = !readOnly;
    logPtr->readOnly = readOnly;
    logPtr->version = (int) hdrPtr->version;
    logPtr->base = base;
    logPtr->mapLength = (size_t) st.st_size;
    logPtr->hdrPtr = base;
    logPtr->area = logPtr->base + MMAP_RINGLOG_HEADER_SIZE;
    logPtr->dataSize = hdrPtr->dataSize;
    logPtr->saltCrc = MmapRinglogCrc32c(0, &hdrPtr->salt,
	    sizeof(hdrPtr->salt));

    call.logPtr = logPtr;
    call.errPtr = errPtr;
    if (RlLockAttach(logPtr, errPtr) != MMAP_RINGLOG_OK
	    || RlGuarded(logPtr, InfoProc, &call, errPtr) != MMAP_RINGLOG_OK
	    || errPtr->status != MMAP_RINGLOG_OK) {
	MmapRinglogClose(logPtr);
	return NULL;
    }
    return logPtr;

  failed:
    close(fd);
    return NULL;
}

/*
 * ReadHeaderPage --
 *	Reads up to want bytes from the start of the file into buf; *donePtr
 *	says how many there were.  MMAP_RINGLOG_OK or POSIX ("read").
 */

static int
ReadHeaderPage(
    int fd,
    unsigned char *buf,
    size_t want,
    size_t *donePtr,
    MmapRinglogError *errPtr)
{
    size_t done = 0;
    ssize_t got;

    while (done < want) {
	got = pread(fd, buf + done, want - done, (off_t) done);
	if (got < 0 && errno == EINTR) {
	    continue;
	}
	if (got < 0) {
	    return RlPosixError(errPtr, errno, "read");
	}
	if (got == 0) {
	    break;
	}
	done += (size_t) got;
    }
    *donePtr = done;
    return MMAP_RINGLOG_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogClose --
 *
 *	Releases a handle.  No sync: what was appended is in the page cache
 *	and reaches the file without it.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Unmaps, closes the descriptor (which drops its flock), frees the
 *	handle.
 *
 *----------------------------------------------------------------------
 */

void
MmapRinglogClose(
    MmapRinglog *logPtr)
{
    munmap(logPtr->base, logPtr->mapLength);
    if (logPtr->ctlFd >= 0 && logPtr->ctlFd != logPtr->fd) {
	close(logPtr->ctlFd);
    }
    close(logPtr->fd);
    free(logPtr->scratch);
    free(logPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogGetInfo, InfoProc --
 *
 *	Describes the log as it is now (InfoProc: the guarded snapshot).
 *
 * Results:
 *	MMAP_RINGLOG_OK with *infoPtr filled in, CORRUPT or FAULT.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogGetInfo(
    MmapRinglog *logPtr,
    MmapRinglogInfo *infoPtr,
    MmapRinglogError *errPtr)
{
    InfoCall call;
    Cursors *cPtr = &call.cursors;

    RlClearError(errPtr);
    call.logPtr = logPtr;
    call.errPtr = errPtr;
    if (RlGuarded(logPtr, InfoProc, &call, errPtr) != MMAP_RINGLOG_OK) {
	return errPtr->status;
    }
    if (errPtr->status != MMAP_RINGLOG_OK) {
	return errPtr->status;
    }
    infoPtr->fileSize = logPtr->mapLength;
    infoPtr->dataSize = logPtr->dataSize;
    infoPtr->maxMessage = MmapRinglogMaxMessage(logPtr->dataSize);
    infoPtr->head = cPtr->head;
    infoPtr->tail = cPtr->tail;
    infoPtr->nextSeq = cPtr->nextSeq;
    infoPtr->oldestSeq = cPtr->tailSeq;
    infoPtr->records = cPtr->nextSeq - cPtr->tailSeq;
    infoPtr->bytes = cPtr->head - cPtr->tail;
    infoPtr->wraps = cPtr->head / logPtr->dataSize;
    infoPtr->waiters = call.waiters;
    infoPtr->cursors = (uint64_t) call.named;
    infoPtr->version = logPtr->version;
    infoPtr->readOnly = logPtr->readOnly;
    infoPtr->replaced = (call.replaced != 0);
    return MMAP_RINGLOG_OK;
}

static void
InfoProc(
    void *clientData)
{
    InfoCall *callPtr = clientData;
    WaitWords *wPtr = &callPtr->logPtr->hdrPtr->wait;

    if (RlLoadCursors(callPtr->logPtr, &callPtr->cursors, callPtr->errPtr)
	    != MMAP_RINGLOG_OK) {
	return;
    }
    callPtr->waiters = __atomic_load_n(&wPtr->waiters, __ATOMIC_RELAXED);
    callPtr->replaced = __atomic_load_n(&wPtr->replaced, __ATOMIC_RELAXED);
    callPtr->named = RlCountNamed(callPtr->logPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogSync --
 *
 *	Writes the log to the disk and waits (msync MS_SYNC): what was
 *	appended then survives a crash of the system, not only of the
 *	writer.
 *
 * Results:
 *	MMAP_RINGLOG_OK or POSIX.
 *
 * Side effects:
 *	Disk I/O.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogSync(
    MmapRinglog *logPtr,
    MmapRinglogError *errPtr)
{
    RlClearError(errPtr);
    if (msync(logPtr->base, logPtr->mapLength, MS_SYNC) != 0) {
	return RlPosixError(errPtr, errno, "sync");
    }
    return MMAP_RINGLOG_OK;
}
