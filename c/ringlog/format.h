/*
 * format.h --
 *
 *	The ring log's file format, version 2, as C: the header page, the
 *	cursor blocks, the waiting words, the named cursors, the record
 *	header, and the arithmetic of the circle.
 *	doc/ringlog.man describes the same format for users; where the two
 *	disagree, this file is right and the manual has a bug.
 *
 *	Integers are in the creator's byte order; a marker lets a machine
 *	of the other order refuse the file instead of misreading it.  All
 *	checksums are CRC-32C seeded with the file's random salt, so that
 *	bytes which merely look like a record (a logged copy of another
 *	log, say) do not pass for one.
 *
 *	Private to the ring log: ringlog.h is its public face.
 */

#ifndef MMAP_RINGLOG_FORMAT_H
#define MMAP_RINGLOG_FORMAT_H

/*
 * Versions.  Version 2 adds, in bytes of the header page that version 1
 * left zero and never touched, the waiting words (RL_WAIT_OFFSET) and
 * the named cursors (RL_NAMED_OFFSET); zero is their empty state, so a
 * version 1 file is a version 2 file with nobody waiting and no named
 * cursors, and this library uses it as one.  The version number tells
 * the libraries that predate it to keep out: they would append without
 * waking the readers that wait.
 */

#define RL_VERSION_MIN	1	/* The oldest format this code reads. */

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "ringlog.h"

#define RL_HDR		MMAP_RINGLOG_RECORD_HEADER
#define RL_ALIGN	MMAP_RINGLOG_ALIGN
#define RL_MIN_DATA	(MMAP_RINGLOG_MIN_SIZE - MMAP_RINGLOG_HEADER_SIZE)
#define RL_BYTE_ORDER_MARK 0x01020304u

/*
 * Record kinds, chosen to read "Rec1" and "Skp1" in a dump of a
 * little-endian file.
 */

#define RL_KIND_RECORD	0x31636552u
#define RL_KIND_SKIP	0x31706B53u

/*
 * The writers' lock: a process-shared robust pthread mutex in the header
 * page, in bytes that version 1 always left zero, followed by a word that
 * says it is ready.  The mutex is the C library's business, not the
 * format's: whoever opens the file while no one else has it open
 * initialises it afresh (lock.c says why).
 */

#define RL_LOCK_OFFSET	384
#define RL_LOCK_SIZE	128	/* The mutex, then lockReady. */
#define RL_LOCK_READY	UINT64_C(0x314B434F4C676F4C)	/* "LogLOCK1" */

/*
 * The waiting words (version 2), on a cache line of their own: appenders
 * read "waiters" after every append and touch the rest only when it is
 * not zero (wait.c).
 */

#define RL_WAIT_OFFSET	512

typedef struct WaitWords {
    uint32_t wake;		/* The futex word: bumped by an append that
				 * finds waiters, and by a forced create
				 * replacing the file. */
    uint32_t waiters;		/* Handles registered to sleep on wake. */
    uint32_t replaced;		/* Non-zero once "create -force" has put
				 * another file in this one's place. */
    uint32_t reserved[13];	/* Zero. */
} WaitWords;

/*
 * The marks (version 2): where some records start, so that a read from a
 * sequence number far from the oldest (read -last, read -from) need not
 * walk every record before it.  Of the records that end in a stretch of
 * RlMarkSpan bytes, a writer marks the first, in entry (stretch number
 * modulo RL_MARKS).  Marks are hints: a reader believes one only if the
 * record header at its position is whole, has its sequence number and
 * lies between the tail and the head (walk.c), so a mark torn by a
 * writer's death, or stale, is merely passed over.
 */

#define RL_MARK_OFFSET	576
#define RL_MARKS	28

typedef struct Mark {
    uint64_t position;		/* Absolute position of a record ... */
    uint64_t seq;		/* ... and its sequence number. */
} Mark;

/*
 * The named cursors (version 2): durable read positions shared by all
 * processes, one 64-byte slot each from RL_NAMED_OFFSET to the end of
 * the header page.  A slot is in use when "length" is not zero and its
 * checksum holds; slots are claimed under an OFD lock (named.c).
 */

#define RL_NAMED_OFFSET	1024
#define RL_NAMED_SLOTS	48
#define RL_NAME_MAX	32

typedef struct NamedCursor {
    uint64_t seq;		/* The stored position. */
    uint32_t length;		/* Bytes of name; 0: the slot is free. */
    uint32_t crc;		/* CRC-32C(salt, length, name). */
    char name[RL_NAME_MAX];	/* The name's bytes, zero-padded. */
    uint64_t reserved[2];	/* Zero. */
} NamedCursor;

/*
 * The Rl* functions and data are shared between the ring log's files
 * only: hidden, so that the loaded library exports none of them.
 */

#pragma GCC visibility push(hidden)

extern const char rlMagic[16];	/* "TclRingLog", zero-padded. */

/* One cursor block: 64 bytes, one cache line. */
typedef struct CursorBlock {
    uint64_t head;		/* Position after the newest record. */
    uint64_t tail;		/* Position of the oldest record. */
    uint64_t nextSeq;		/* Sequence number of the next record. */
    uint64_t tailSeq;		/* That of the record at tail. */
    uint64_t reserved[3];	/* Zero. */
    uint32_t crc;		/* CRC-32C(salt, the four fields above). */
    uint32_t pad;		/* Zero. */
} CursorBlock;

/* The header page. */
typedef struct FileHeader {
    char magic[16];		/* rlMagic. */
    uint32_t version;		/* MMAP_RINGLOG_FORMAT. */
    uint32_t byteOrder;		/* RL_BYTE_ORDER_MARK as the creator
				 * wrote it. */
    uint32_t headerSize;	/* MMAP_RINGLOG_HEADER_SIZE. */
    uint32_t flags;		/* None defined: zero. */
    uint64_t dataSize;		/* Bytes in the data area. */
    uint64_t salt;		/* Random, seeds every checksum. */
    uint64_t created;		/* Microseconds since 1970. */
    uint32_t reserved;		/* Zero. */
    uint32_t headerCrc;		/* CRC-32C of bytes 0..59. */
    unsigned char pad1[64];
    uint64_t gen;		/* Block gen & 1 is current. */
    unsigned char pad2[56];	/* gen has its cache line to itself. */
    CursorBlock block[2];
    unsigned char pad3[64];	/* The lock starts a 128-byte pair of
				 * lines: waiters bouncing it do not
				 * disturb the readers' lines. */
    union {
	pthread_mutex_t mutex;
	unsigned char bytes[RL_LOCK_SIZE - 8];
    } lock;
    uint64_t lockReady;		/* RL_LOCK_READY once the mutex is
				 * initialised; 0 while it is being. */
    WaitWords wait;		/* Version 2: waiting (wait.c). */
    Mark marks[RL_MARKS];	/* Version 2: hints for reads (walk.c). */
    NamedCursor named[RL_NAMED_SLOTS];	/* Version 2: named.c. */
} FileHeader;

/* The header of every record and skip marker. */
typedef struct RecordHeader {
    uint32_t kind;		/* RL_KIND_RECORD or RL_KIND_SKIP. */
    uint32_t length;		/* Payload bytes; for a skip marker, the
				 * bytes after it to the end of the area. */
    uint64_t seq;		/* Sequence number (skip: of the record at
				 * the start of the next lap). */
    uint32_t dataCrc;		/* CRC-32C(salt, seq, payload); skip: 0. */
    uint32_t headCrc;		/* CRC-32C(salt, bytes 0..19). */
} RecordHeader;

_Static_assert(sizeof(CursorBlock) == 64, "cursor block layout");
_Static_assert(offsetof(FileHeader, headerCrc) == 60, "header layout");
_Static_assert(offsetof(FileHeader, gen) == 128, "header layout");
_Static_assert(offsetof(FileHeader, block) == 192, "header layout");
_Static_assert(offsetof(FileHeader, lock) == RL_LOCK_OFFSET,
	"header layout");
_Static_assert(sizeof(pthread_mutex_t) <= RL_LOCK_SIZE - 8,
	"the mutex must fit the lock area");
_Static_assert(offsetof(FileHeader, lockReady)
	== RL_LOCK_OFFSET + RL_LOCK_SIZE - 8, "header layout");
_Static_assert(sizeof(WaitWords) == 64, "waiting words layout");
_Static_assert(offsetof(FileHeader, wait) == RL_WAIT_OFFSET,
	"header layout");
_Static_assert(offsetof(FileHeader, marks) == RL_MARK_OFFSET,
	"header layout");
_Static_assert(sizeof(NamedCursor) == 64, "named cursor layout");
_Static_assert(offsetof(FileHeader, named) == RL_NAMED_OFFSET,
	"header layout");
_Static_assert(sizeof(FileHeader) == MMAP_RINGLOG_HEADER_SIZE,
	"header layout");
_Static_assert(sizeof(FileHeader) <= MMAP_RINGLOG_HEADER_SIZE,
	"header layout");
_Static_assert(sizeof(RecordHeader) == RL_HDR, "record header layout");
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
	"64-bit atomics must be lock-free to work across processes");

/*
 * What a cursor block says, in memory, with the gen it was current at.
 */

typedef struct Cursors {
    uint64_t gen;
    uint64_t head;
    uint64_t tail;
    uint64_t nextSeq;
    uint64_t tailSeq;
} Cursors;

/*
 * The arithmetic of the circle: the bytes a record of a payload length
 * takes (header and payload padded to the alignment), and the position
 * where the lap after a position starts.
 */

static inline uint64_t
RlRecordSize(
    uint64_t length)
{
    return RL_HDR + ((length + RL_ALIGN - 1) & ~(uint64_t) (RL_ALIGN - 1));
}

/* The stretch of the data area each mark stands for. */
static inline uint64_t
RlMarkSpan(
    uint64_t dataSize)
{
    return (dataSize / RL_MARKS + RL_ALIGN) & ~(uint64_t) (RL_ALIGN - 1);
}

static inline uint64_t
RlNextLap(
    uint64_t dataSize,
    uint64_t position)
{
    return (position / dataSize + 1) * dataSize;
}

/*
 * The checksums of the format.  saltCrc is the CRC-32C of the salt: each
 * checksum continues from it.
 */

uint32_t	RlHeadCrc(uint32_t saltCrc, const RecordHeader *rhPtr);
uint32_t	RlDataCrc(uint32_t saltCrc, uint64_t seq, const void *bytes,
		    size_t length);
uint32_t	RlBlockCrc(uint32_t saltCrc, const Cursors *cPtr);
uint32_t	RlNameCrc(uint32_t saltCrc, uint32_t length,
		    const char *name);

/*
 * Whole headers: the page of a new log, and the checks at open.
 */

void		RlInitHeader(FileHeader *hdrPtr, uint64_t dataSize,
		    uint64_t salt, uint64_t created);
int		RlCheckHeader(const unsigned char *buf, uint64_t fileSize,
		    MmapRinglogError *errPtr);

#pragma GCC visibility pop

#endif /* MMAP_RINGLOG_FORMAT_H */
