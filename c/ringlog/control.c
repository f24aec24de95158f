/*
 * control.c --
 *
 *	The header page as readers write it.  Waiting (wait.c) registers in
 *	the header's waiting words, and named cursors (named.c) are stored
 *	in it, by read-only handles as much as by writers: a follower opened
 *	-readonly must be able to sleep until an append and to commit where
 *	it got to.  So a read-only handle that does either maps the header
 *	page again, writable, over the first page of its read-only mapping
 *	(MAP_FIXED replaces it in one step): the handle keeps one contiguous
 *	mapping, the fault guard one range, and the data area stays
 *	read-only.  That takes write permission on the file; a handle that
 *	lacks it can still read, but not wait or store cursors.
 *
 *	Also the byte-range locks (open file description locks) that
 *	waiting and named cursors use: they belong to an open file, not to
 *	a process, so two handles of one process exclude each other as two
 *	processes do, and the kernel drops them when the file is closed,
 *	however its process ends.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "internal.h"

/*
 *----------------------------------------------------------------------
 *
 * RlWritableHeader --
 *
 *	Makes the handle's header page writable, if it is not yet: reopens
 *	the file for writing through /proc/self/fd (the same file, even if
 *	its path has been renamed or replaced since) and maps its first
 *	page over the read-only one.
 *
 * Results:
 *	MMAP_RINGLOG_OK, or POSIX ("open for writing": EACCES when the file
 *	may not be written, EROFS on a read-only file system).
 *
 * Side effects:
 *	Replaces the first page of the mapping; the descriptor it opened
 *	stays open as ctlFd, for the locks that need write access.
 *
 *----------------------------------------------------------------------
 */

int
RlWritableHeader(
    MmapRinglog *logPtr,
    MmapRinglogError *errPtr)
{
    char path[48];
    void *page;
    int fd, err;

    if (__atomic_load_n(&logPtr->headerWritable, __ATOMIC_ACQUIRE)) {
	return MMAP_RINGLOG_OK;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", logPtr->fd);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
	return RlPosixError(errPtr, errno, "write the header of");
    }
    page = mmap(logPtr->base, MMAP_RINGLOG_HEADER_SIZE,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
    err = errno;
    if (page == MAP_FAILED) {
	close(fd);
	/*
	 * MAP_FIXED fails before it unmaps anything when the arguments
	 * are bad, but not necessarily when memory runs out: put the
	 * read-only page back so that the handle stays whole.
	 */

	mmap(logPtr->base, MMAP_RINGLOG_HEADER_SIZE, PROT_READ,
		MAP_SHARED | MAP_FIXED, logPtr->fd, 0);
	return RlPosixError(errPtr, err, "map");
    }
    logPtr->ctlFd = fd;
    __atomic_store_n(&logPtr->headerWritable, 1, __ATOMIC_RELEASE);
    return MMAP_RINGLOG_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * RlRangeLock --
 *
 *	Takes (type F_RDLCK or F_WRLCK) or drops (F_UNLCK) an open file
 *	description lock on the one byte at "start" of the file.  With
 *	wait, blocks until it is granted (retrying after signals).
 *
 * Results:
 *	0, or an errno value (EAGAIN: held elsewhere, without wait).
 *
 * Side effects:
 *	The lock.
 *
 *----------------------------------------------------------------------
 */

int
RlRangeLock(
    int fd,
    int type,
    off_t start,
    int wait)
{
    struct flock fl;

    fl.l_type = (short) type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = 1;
    fl.l_pid = 0;
    while (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) != 0) {
	if (errno != EINTR) {
	    return (errno == EACCES) ? EAGAIN : errno;
	}
    }
    return 0;
}
