/*
 * fileref.c --
 *
 *	Shared, counted descriptors of mapped files (see fileref.h).  A
 *	process-wide table, hashed by inode, under one mutex: acquiring and
 *	releasing happen when a map is made or closed, never per access.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fileref.h"

#define BUCKETS 256

struct MmapFileRef {
    dev_t dev;			/* The file's identity ... */
    ino_t ino;			/* ... which our open descriptor pins. */
    int writable;		/* Open read/write, else read-only. */
    int fd;			/* The shared, close-on-exec descriptor. */
    unsigned long refCount;	/* Mappings using it. */
    struct MmapFileRef *nextPtr;	/* Next in the bucket. */
};

static MmapFileRef *buckets[BUCKETS];
static pthread_mutex_t tableMutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t forkOnce = PTHREAD_ONCE_INIT;

static void	Lock(void);
static void	Unlock(void);
static void	RegisterForkHandlers(void);
static int	DupHigh(int fd);

/*
 * A fork while another thread holds the mutex would leave it held forever
 * in the child: hold it across fork, so the child gets it in a known state
 * (its descriptors are inherited, so its table stays true).
 */

static void
Lock(void)
{
    pthread_mutex_lock(&tableMutex);
}

static void
Unlock(void)
{
    pthread_mutex_unlock(&tableMutex);
}

static void
RegisterForkHandlers(void)
{
    (void) pthread_atfork(Lock, Unlock, Unlock);
}

/*
 * DupHigh: a close-on-exec duplicate of fd at or above FD_SETSIZE, so that
 * the descriptors below it stay free for what select(2) must watch; the
 * lowest free one where the limit (ulimit -n) is FD_SETSIZE or less.
 */

static int
DupHigh(
    int fd)
{
    int newFd = fcntl(fd, F_DUPFD_CLOEXEC, FD_SETSIZE);

    if (newFd < 0 && (errno == EINVAL || errno == EMFILE)) {
	newFd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    }
    return newFd;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapFileAcquire --
 *
 *	Finds or makes the shared descriptor of the file open on fd: a
 *	read/write one when "writable", else any.
 *
 * Results:
 *	0 with *refPtr set, or an errno value (fstat, fcntl, ENOMEM).
 *
 * Side effects:
 *	Counts one more user; may open a descriptor.
 *
 *----------------------------------------------------------------------
 */

int
MmapFileAcquire(
    int fd,
    int writable,
    MmapFileRef **refPtr)
{
    struct stat st;
    MmapFileRef *entryPtr;
    unsigned bucket;
    int err = 0;

    if (fstat(fd, &st) != 0) {
	return errno;
    }
    pthread_once(&forkOnce, RegisterForkHandlers);
    bucket = (unsigned) (st.st_ino % BUCKETS);
    Lock();
    for (entryPtr = buckets[bucket]; entryPtr != NULL;
	    entryPtr = entryPtr->nextPtr) {
	if (entryPtr->ino == st.st_ino && entryPtr->dev == st.st_dev
		&& (entryPtr->writable || !writable)) {
	    break;
	}
    }
    if (entryPtr == NULL) {
	entryPtr = malloc(sizeof(MmapFileRef));
	if (entryPtr == NULL) {
	    err = ENOMEM;
	} else if ((entryPtr->fd = DupHigh(fd)) < 0) {
	    err = errno;
	    free(entryPtr);
	    entryPtr = NULL;
	} else {
	    entryPtr->dev = st.st_dev;
	    entryPtr->ino = st.st_ino;
	    entryPtr->writable = writable;
	    entryPtr->refCount = 0;
	    entryPtr->nextPtr = buckets[bucket];
	    buckets[bucket] = entryPtr;
	}
    }
    if (entryPtr != NULL) {
	entryPtr->refCount++;
    }
    Unlock();
    *refPtr = entryPtr;
    return err;
}

/*
 * MmapFileDescriptor: the shared descriptor of a reference.
 */

int
MmapFileDescriptor(
    const MmapFileRef *refPtr)
{
    return refPtr->fd;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapFileRelease --
 *
 *	Counts one user less; the last one closes the descriptor.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	May close(2) the descriptor and free the entry.
 *
 *----------------------------------------------------------------------
 */

void
MmapFileRelease(
    MmapFileRef *refPtr)
{
    MmapFileRef **linkPtr;
    int fd = -1;

    Lock();
    if (--refPtr->refCount == 0) {
	linkPtr = &buckets[refPtr->ino % BUCKETS];
	while (*linkPtr != refPtr) {
	    linkPtr = &(*linkPtr)->nextPtr;
	}
	*linkPtr = refPtr->nextPtr;
	fd = refPtr->fd;
	free(refPtr);
    }
    Unlock();
    if (fd >= 0) {
	close(fd);
    }
}
