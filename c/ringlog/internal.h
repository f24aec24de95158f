/*
 * internal.h --
 *
 *	What the ring log's C files share: the handle, the walk over the
 *	records, and the functions that one file defines for those above
 *	it.  The files are layered one way; each calls only files of the
 *	layers below its own:
 *
 *	    tclcmd.c tclread.c		the Tcl command of a log (Tcl)
 *	    tclnotify.c			$log notify: the watcher thread (Tcl)
 *	    log.c			create, open, close, info, sync
 *	    read.c write.c named.c	read, append, named cursors
 *	    lock.c wait.c		the writers' lock; waiting and waking
 *	    walk.c control.c		cursor snapshot and walk; the
 *					writable header page
 *	    format.c			the format and its checksums
 *	    error.c			errors, and the fault guard
 *
 *	Private to the ring log, and free of Tcl below tclnotify.c.
 */

#ifndef MMAP_RINGLOG_INT_H
#define MMAP_RINGLOG_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "guard.h"
#include "ringlog.h"
#include "format.h"

struct MmapRinglog {
    int fd;			/* Read/write, or read-only.  A writable
				 * one holds a shared flock(2) for as long
				 * as the log is open (lock.c). */
    int readOnly;		/* Opened -readonly: never writes. */
    int version;		/* The file's format version. */
    unsigned char *base;	/* The mapping of the whole file. */
    size_t mapLength;		/* Its length: the file size at open. */
    FileHeader *hdrPtr;		/* base, as a header. */
    unsigned char *area;	/* The data area. */
    uint64_t dataSize;		/* Its length. */
    uint32_t saltCrc;		/* CRC-32C of the salt: every checksum
				 * continues from it. */
    unsigned char *scratch;	/* A reader's copy of one payload. */
    size_t scratchSize;		/* Its allocated size. */
    uint64_t hintPos;		/* Where the last read stopped walking ... */
    uint64_t hintSeq;		/* ... and the sequence number due there:
				 * a follower polling "-from next" resumes
				 * there instead of walking from the tail. */
    pthread_mutex_t lockImage;	/* The writers' lock as this handle last
				 * took it, to undo the lock should its
				 * page vanish (lock.c). */
    int headerWritable;		/* The header page is mapped writable
				 * (control.c): always, unless read-only. */
    int ctlFd;			/* A descriptor open for writing: fd, or
				 * for a read-only handle the one opened
				 * by RlWritableHeader; -1 before. */
    unsigned idleWakes;		/* Wake-ups in a row that found nobody
				 * asleep (wait.c). */
};

/*
 * The state of a walk over the records: the bounds a header must satisfy
 * to be believed.  A header is accepted only with a sequence number
 * above the last one walked and below nextSeq, and a body that ends at or
 * before the limit, so that stale headers of an earlier lap and bytes in
 * a payload that happen to look like a header are both refused.
 */

typedef struct Walk {
    MmapRinglog *logPtr;
    uint64_t limit;		/* Stop here: the head of the snapshot. */
    uint64_t last;		/* Sequence number walked last. */
    uint64_t nextSeq;		/* Upper bound, exclusive. */
    uint64_t damaged;		/* Damaged records and regions crossed. */
} Walk;

#pragma GCC visibility push(hidden)

/* error.c: errors, and the fault guard around the mapping. */
void		RlClearError(MmapRinglogError *errPtr);
int		RlPosixError(MmapRinglogError *errPtr, int errorNum,
		    const char *call);
int		RlFormatError(MmapRinglogError *errPtr,
		    MmapRinglogStatus status, const char *format, ...)
		    __attribute__((format(printf, 3, 4)));
int		RlGuarded(MmapRinglog *logPtr, MmapGuardedProc *proc,
		    void *clientData, MmapRinglogError *errPtr);

/* walk.c: the reader side of the cursors, and the walk. */
int		RlLoadCursors(MmapRinglog *logPtr, Cursors *cPtr,
		    MmapRinglogError *errPtr);
uint64_t	RlSettle(Walk *walkPtr, uint64_t position,
		    RecordHeader *rhPtr);
int		RlNearestMark(MmapRinglog *logPtr, const Cursors *cPtr,
		    uint64_t seq, uint64_t *positionPtr, uint64_t *seqPtr);

/* control.c: the header page, writable for readers too. */
int		RlWritableHeader(MmapRinglog *logPtr,
		    MmapRinglogError *errPtr);
int		RlRangeLock(int fd, int type, off_t start, int wait);

/* lock.c: the writers' lock. */
int		RlLockInit(pthread_mutex_t *mutexPtr);
int		RlLockAttach(MmapRinglog *logPtr, MmapRinglogError *errPtr);
int		RlLock(MmapRinglog *logPtr, MmapRinglogError *errPtr);
void		RlUnlock(MmapRinglog *logPtr);
void		RlUnlockAfterFault(MmapRinglog *logPtr);

/* named.c: named cursors. */
int		RlCountNamed(MmapRinglog *logPtr);

/* wait.c: waking the readers that wait, from an append. */
void		RlWakeWaiters(MmapRinglog *logPtr);
void		RlMarkReplaced(int fd);

#pragma GCC visibility pop

#endif /* MMAP_RINGLOG_INT_H */
