/*
 * ringlog.h --
 *
 *	The crash-safe ring log behind mmap::ringlog: a file made of one
 *	header page and a data area used as a circle of variable-length,
 *	checksummed records.  Any number of processes and threads append at
 *	once; readers take no lock.  The format and the algorithms live in
 *	the files of c/ringlog/ without Tcl, so that tests/c/ringlog_test.c
 *	can drive them directly (internal.h says how they are layered);
 *	tclcmd.c, tclread.c and tclnotify.c are the Tcl face.  doc/ringlog.man
 *	documents the format for users; format.h is its authority.
 */

#ifndef MMAP_RINGLOG_H
#define MMAP_RINGLOG_H

#include <stddef.h>
#include <stdint.h>
#include "guard.h"

#define MMAP_RINGLOG_FORMAT	 2	/* The format this code writes; it
					 * reads version 1 too. */
#define MMAP_RINGLOG_HEADER_SIZE 4096	/* The header page. */
#define MMAP_RINGLOG_RECORD_HEADER 24	/* Bytes before each payload. */
#define MMAP_RINGLOG_ALIGN	 8	/* Records start at multiples. */
#define MMAP_RINGLOG_MIN_SIZE	 (MMAP_RINGLOG_HEADER_SIZE + 256)
#define MMAP_RINGLOG_CURSORS	 48	/* Named cursors a log holds. */
#define MMAP_RINGLOG_NAME_MAX	 32	/* Bytes in a cursor's name. */

/*
 * What an operation reports.  MMAP_RINGLOG_OK is 0 so that results can be
 * tested as booleans.  The format errors (NOTLOG to SIZE) come from open;
 * CORRUPT also from any operation that finds the cursors damaged; LOCK
 * from append.
 */

typedef enum MmapRinglogStatus {
    MMAP_RINGLOG_OK = 0,
    MMAP_RINGLOG_POSIX,		/* A system call failed: errorNum, call. */
    MMAP_RINGLOG_NOTLOG,	/* No ring log magic. */
    MMAP_RINGLOG_SHORT,		/* The file ends inside the header. */
    MMAP_RINGLOG_BYTEORDER,	/* Written on a machine of the other
				 * byte order. */
    MMAP_RINGLOG_VERSION,	/* A format version we do not know. */
    MMAP_RINGLOG_CORRUPT,	/* Header or cursors fail their checks. */
    MMAP_RINGLOG_SIZE,		/* The header's sizes are not the file's. */
    MMAP_RINGLOG_TOOBIG,	/* A message cannot fit the data area. */
    MMAP_RINGLOG_READONLY,	/* Append on a log opened read-only. */
    MMAP_RINGLOG_BADSIZE,	/* Create with a size below the minimum. */
    MMAP_RINGLOG_FAULT,		/* The mapping faulted (file truncated). */
    MMAP_RINGLOG_LOCK,		/* The writers' lock is not recoverable
				 * (ENOTRECOVERABLE). */
    MMAP_RINGLOG_TIMEOUT,	/* A wait reached its deadline. */
    MMAP_RINGLOG_INTERRUPTED,	/* A wait was stopped, or ended by a
				 * signal its caller wanted to see. */
    MMAP_RINGLOG_REPLACED,	/* "create -force" replaced the file
				 * while it was open. */
    MMAP_RINGLOG_NAME,		/* A cursor name of 0 or more than
				 * MMAP_RINGLOG_NAME_MAX bytes. */
    MMAP_RINGLOG_FULL,		/* No free slot for a new named cursor. */
    MMAP_RINGLOG_RANGE		/* A cursor position beyond nextSeq. */
} MmapRinglogStatus;

/*
 * The details of a failure.  "detail" is a complete English phrase for
 * the format errors, such as "not a ring log"; the Tcl face puts the
 * path in front of it.
 */

typedef struct MmapRinglogError {
    MmapRinglogStatus status;
    int errorNum;		/* POSIX: the errno value. */
    const char *call;		/* POSIX: what failed ("open", "map",
				 * "lock"). */
    MmapFault fault;		/* FAULT: its kind. */
    uint64_t offset;		/* FAULT: file offset of the bad access;
				 * TOOBIG: the largest message that fits. */
    char detail[160];		/* Format errors and LOCK: what is
				 * wrong. */
} MmapRinglogError;

/* One message to append: a byte string, any bytes. */
typedef struct MmapRinglogMessage {
    const void *bytes;
    size_t length;
} MmapRinglogMessage;

/* A consistent view of a log's state, as stats reports it. */
typedef struct MmapRinglogInfo {
    uint64_t fileSize;		/* Header page plus data area. */
    uint64_t dataSize;		/* The data area, the circle's length. */
    uint64_t maxMessage;	/* The largest message that fits. */
    uint64_t head;		/* Absolute byte position of the next
				 * record: bytes ever used, never reduced
				 * modulo dataSize. */
    uint64_t tail;		/* Absolute position of the oldest record. */
    uint64_t nextSeq;		/* The sequence number of the next record. */
    uint64_t oldestSeq;		/* That of the oldest one held (nextSeq
				 * when the log is empty). */
    uint64_t records;		/* Records held: nextSeq - oldestSeq. */
    uint64_t bytes;		/* Data area bytes they use: head - tail. */
    uint64_t wraps;		/* Times the writers went round: head /
				 * dataSize. */
    uint64_t waiters;		/* Handles registered to wait, in all
				 * processes (dead ones included until an
				 * append finds them out). */
    uint64_t cursors;		/* Named cursors stored. */
    int version;		/* The file's format version. */
    int readOnly;		/* Opened read-only. */
    int replaced;		/* A forced create replaced the file. */
} MmapRinglogInfo;

/*
 * A waiter that another thread can stop (MmapRinglogWait).  interruptProc,
 * if set, is asked after a signal interrupted the sleep: non-zero ends
 * the wait with MMAP_RINGLOG_INTERRUPTED, zero sleeps on.
 */

typedef struct MmapRinglogWaiter {
    int fd;			/* For the registration lock. */
    int stop;			/* Set, then MmapRinglogWakeAll. */
    int (*interruptProc)(void *clientData);
    void *clientData;
} MmapRinglogWaiter;

typedef struct MmapRinglog MmapRinglog;

/*
 * Called by MmapRinglogRead for each record, oldest first.  "bytes" is
 * only valid during the call.  A non-zero result stops the read.
 */

typedef int (MmapRinglogVisitProc)(void *clientData, uint64_t seq,
	const unsigned char *bytes, size_t length);

/* Called by MmapRinglogListCursors for each named cursor, in slot order. */
typedef void (MmapRinglogCursorProc)(void *clientData, const char *name,
	size_t length, uint64_t seq);

int		MmapRinglogCreate(const char *path, uint64_t fileSize,
		    int force, MmapRinglogError *errPtr);
MmapRinglog *	MmapRinglogOpen(const char *path, int readOnly,
		    MmapRinglogError *errPtr);
void		MmapRinglogClose(MmapRinglog *logPtr);
int		MmapRinglogAppend(MmapRinglog *logPtr, size_t count,
		    const MmapRinglogMessage *messages, uint64_t *lastSeqPtr,
		    MmapRinglogError *errPtr);
int		MmapRinglogRead(MmapRinglog *logPtr, uint64_t fromSeq,
		    uint64_t maxCount, MmapRinglogVisitProc *visitProc,
		    void *clientData, uint64_t *damagedPtr,
		    MmapRinglogError *errPtr);
int		MmapRinglogGetInfo(MmapRinglog *logPtr,
		    MmapRinglogInfo *infoPtr, MmapRinglogError *errPtr);
int		MmapRinglogSync(MmapRinglog *logPtr, MmapRinglogError *errPtr);
int		MmapRinglogWait(MmapRinglog *logPtr,
		    MmapRinglogWaiter *waiterPtr, uint64_t seq,
		    int64_t timeoutMs, uint64_t *nextSeqPtr,
		    MmapRinglogError *errPtr);
int		MmapRinglogWaiterInit(MmapRinglog *logPtr,
		    MmapRinglogWaiter *waiterPtr, MmapRinglogError *errPtr);
void		MmapRinglogWaiterFree(MmapRinglogWaiter *waiterPtr);
void		MmapRinglogWakeAll(MmapRinglog *logPtr);
int		MmapRinglogPrepareWait(MmapRinglog *logPtr,
		    MmapRinglogError *errPtr);
int		MmapRinglogGetCursor(MmapRinglog *logPtr, const char *name,
		    size_t length, uint64_t *seqPtr, int *foundPtr,
		    MmapRinglogError *errPtr);
int		MmapRinglogSetCursor(MmapRinglog *logPtr, const char *name,
		    size_t length, uint64_t seq, MmapRinglogError *errPtr);
int		MmapRinglogListCursors(MmapRinglog *logPtr,
		    MmapRinglogCursorProc *proc, void *clientData,
		    MmapRinglogError *errPtr);
const char *	MmapRinglogStatusName(MmapRinglogStatus status);
uint64_t	MmapRinglogMaxMessage(uint64_t dataSize);
uint32_t	MmapRinglogCrc32c(uint32_t crc, const void *buf,
		    size_t length);

#endif /* MMAP_RINGLOG_H */
