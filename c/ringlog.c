/*
 * ringlog.c --
 *
 *	The ring log (see ringlog.h): its file format, create and open, the
 *	append of the writers and the lock-free walk of the readers.
 *
 * The file.  A header page (FileHeader, the rest of the page zero) and a
 *	data area of dataSize bytes used as a circle.  Integers are in the
 *	creator's byte order; a marker lets a machine of the other order
 *	refuse the file instead of misreading it.  All checksums are
 *	CRC-32C seeded with the file's random salt, so that bytes which
 *	merely look like a record (a logged copy of another log, say) do
 *	not pass for one.
 *
 * Positions.  head and tail are absolute byte positions: they only grow,
 *	and the byte at position p lives at p % dataSize in the area.  A
 *	record never wraps inside itself: when it does not fit before the
 *	end of the area, a skip marker fills the rest (if a record header
 *	fits there) and the record goes to the start of the next lap.
 *
 * The cursors.  head, tail, nextSeq and tailSeq change together, so they
 *	live in two cursor blocks: a writer fills the block that is not
 *	current and then makes it current by incrementing "gen" (block
 *	gen & 1) with one sequentially consistent store.  A reader copies
 *	the current block between two loads of gen and retries when gen
 *	moved (a seqlock).  A writer killed at any instant has either
 *	flipped gen or not: the current block is always whole.
 *
 * Writers.  The writers of all processes take turns through flock(2) on
 *	the file, held only for the few microseconds of one append call: the
 *	kernel releases it when its holder dies, even by kill -9, so no
 *	crash can leave the log locked, and the lock leaves nothing in the
 *	file that a reboot would have to clean up.  Under the lock an
 *	append (1) makes room: it walks the oldest records that the new one
 *	will overwrite and publishes a block with the tail past them, (2)
 *	writes the record, payload first, and (3) publishes a block with
 *	the new head and nextSeq.  Until step 3 the record lies beyond head
 *	where no reader looks, so a writer that dies mid-record leaves
 *	nothing torn behind: the next writer simply writes over it.  Each
 *	message thus gets the next sequence number exactly when it gets its
 *	place, so sequence order is position order and numbers are
 *	consecutive.
 *
 *	Why not reserve space with a lock-free fetch-add?  Two counters
 *	(bytes and sequence) bumped separately disagree on order under
 *	contention; a reservation whose owner dies before writing its
 *	header leaves a hole of unknown length that readers could only
 *	cross by guessing; and a writer that laps a stalled one has to wait
 *	for it or destroy its record.  The kernel lock costs two system
 *	calls per append call (a call may carry many messages) and removes
 *	all three problems.  Its limit: a writer stopped (SIGSTOP) inside
 *	an append stalls the other writers, never the readers.
 *
 * Readers.  No lock.  A reader takes a snapshot of the cursors, walks the
 *	records from tail, copies each one out and only then checks that
 *	gen has not moved or, if it has, that the new tail has not passed
 *	the record: a writer publishes the tail past a record before it
 *	writes a byte over it, so a record at or beyond the current tail is
 *	intact.  A reader that was lapped resumes at the new tail.  Records
 *	that fail their checksum (damage to the file) are skipped; a damaged
 *	record header is crossed by scanning aligned positions for the next
 *	header whose checksum holds and whose sequence number continues the
 *	walk.
 *
 *	Every access to the mapping runs under the fault guard (guard.h):
 *	a file truncated under the log turns into MMAP_RINGLOG_FAULT.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "ringlog.h"

#define HDR		MMAP_RINGLOG_RECORD_HEADER
#define ALIGN		MMAP_RINGLOG_ALIGN
#define MIN_DATA	(MMAP_RINGLOG_MIN_SIZE - MMAP_RINGLOG_HEADER_SIZE)
#define BYTE_ORDER_MARK	0x01020304u

/*
 * Record kinds, chosen to read "Rec1" and "Skp1" in a dump of a
 * little-endian file.
 */

#define KIND_RECORD	0x31636552u
#define KIND_SKIP	0x31706B53u

static const char ringlogMagic[16] = "TclRingLog";

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

/* The start of the header page; the rest of the page is zero. */
typedef struct FileHeader {
    char magic[16];		/* "TclRingLog", zero-padded. */
    uint32_t version;		/* MMAP_RINGLOG_FORMAT. */
    uint32_t byteOrder;		/* BYTE_ORDER_MARK as the creator wrote it. */
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
} FileHeader;

/* The header of every record and skip marker. */
typedef struct RecordHeader {
    uint32_t kind;		/* KIND_RECORD or KIND_SKIP. */
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
_Static_assert(sizeof(FileHeader) == 320, "header layout");
_Static_assert(sizeof(RecordHeader) == HDR, "record header layout");
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
	"64-bit atomics must be lock-free to work across processes");

/* A snapshot of the cursors, with the gen it was current at. */
typedef struct Cursors {
    uint64_t gen;
    uint64_t head;
    uint64_t tail;
    uint64_t nextSeq;
    uint64_t tailSeq;
} Cursors;

struct MmapRinglog {
    int fd;			/* Read/write, or read-only. */
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

/* Arguments and results of the guarded operations. */
typedef struct AppendCall {
    MmapRinglog *logPtr;
    size_t count;
    const MmapRinglogMessage *messages;
    uint64_t lastSeq;
    MmapRinglogError *errPtr;
} AppendCall;

typedef struct ReadCall {
    MmapRinglog *logPtr;
    uint64_t fromSeq;
    uint64_t maxCount;
    MmapRinglogVisitProc *visitProc;
    void *clientData;
    uint64_t damaged;
    MmapRinglogError *errPtr;
} ReadCall;

typedef struct InfoCall {
    MmapRinglog *logPtr;
    Cursors cursors;
    MmapRinglogError *errPtr;
} InfoCall;

static void	AppendOne(MmapRinglog *logPtr, Cursors *cPtr,
		    const MmapRinglogMessage *msgPtr, uint64_t *seqPtr);
static void	AppendProc(void *clientData);
static uint32_t	BlockCrc(const MmapRinglog *logPtr, const Cursors *cPtr);
static int	CheckHeader(const unsigned char *buf, uint64_t fileSize,
		    MmapRinglogError *errPtr);
static void	ClearError(MmapRinglogError *errPtr);
static void	CrcInit(void);
static uint32_t	CrcUpdate(uint32_t state, const unsigned char *p,
		    size_t length);
static uint32_t	DataCrc(const MmapRinglog *logPtr, uint64_t seq,
		    const void *bytes, size_t length);
static int	FormatError(MmapRinglogError *errPtr,
		    MmapRinglogStatus status, const char *format, ...)
		    __attribute__((format(printf, 3, 4)));
static int	Guarded(MmapRinglog *logPtr, MmapGuardedProc *proc,
		    void *clientData, MmapRinglogError *errPtr);
static uint32_t	HeadCrc(const MmapRinglog *logPtr, const RecordHeader *rhPtr);
static void	InfoProc(void *clientData);
static int	Lapped(MmapRinglog *logPtr, Cursors *cPtr, uint64_t position,
		    MmapRinglogError *errPtr);
static int	LoadCursors(MmapRinglog *logPtr, Cursors *cPtr,
		    MmapRinglogError *errPtr);
static uint64_t	NextLap(const MmapRinglog *logPtr, uint64_t position);
static int	PosixError(MmapRinglogError *errPtr, int errorNum,
		    const char *call);
static uint32_t	ReadHeader(Walk *walkPtr, uint64_t position,
		    RecordHeader *rhPtr);
static void	ReadProc(void *clientData);
static uint64_t	RecordSize(uint64_t length);
static uint64_t	Settle(Walk *walkPtr, uint64_t position,
		    RecordHeader *rhPtr);
static void	StoreCursors(MmapRinglog *logPtr, Cursors *cPtr);

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogCrc32c --
 *
 *	CRC-32C (Castagnoli, the iSCSI and ext4 checksum), chained like
 *	zlib's crc32: start with 0, pass each result back in to continue.
 *	Uses the SSE4.2 instruction where the processor has it, else a
 *	slicing-by-8 table.
 *
 * Results:
 *	The checksum of everything passed so far.
 *
 * Side effects:
 *	Builds the tables on the first call in the process.
 *
 *----------------------------------------------------------------------
 */

static uint32_t crcTable[8][256];
static int crcHardware = 0;
static pthread_once_t crcOnce = PTHREAD_ONCE_INIT;

static void
CrcInit(void)
{
    uint32_t i, c;
    int k;

    for (i = 0; i < 256; i++) {
	c = i;
	for (k = 0; k < 8; k++) {
	    c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	crcTable[0][i] = c;
    }
    for (i = 0; i < 256; i++) {
	for (k = 1; k < 8; k++) {
	    c = crcTable[k - 1][i];
	    crcTable[k][i] = (c >> 8) ^ crcTable[0][c & 0xFF];
	}
    }
#if defined(__x86_64__) && defined(__GNUC__)
    crcHardware = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("sse4.2")))
static uint32_t
CrcHardware(
    uint32_t state,
    const unsigned char *p,
    size_t length)
{
    uint64_t wide, word;

    for (; length > 0 && ((uintptr_t) p & 7); length--) {
	state = __builtin_ia32_crc32qi(state, *p++);
    }
    wide = state;
    for (; length >= 8; length -= 8, p += 8) {
	memcpy(&word, p, 8);
	wide = __builtin_ia32_crc32di(wide, word);
    }
    state = (uint32_t) wide;
    for (; length > 0; length--) {
	state = __builtin_ia32_crc32qi(state, *p++);
    }
    return state;
}
#endif

static uint32_t
CrcUpdate(
    uint32_t state,
    const unsigned char *p,
    size_t length)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (crcHardware) {
	return CrcHardware(state, p, length);
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; length > 0 && ((uintptr_t) p & 7); length--) {
	state = crcTable[0][(state ^ *p++) & 0xFF] ^ (state >> 8);
    }
    for (; length >= 8; length -= 8, p += 8) {
	uint32_t lo, hi;

	memcpy(&lo, p, 4);
	memcpy(&hi, p + 4, 4);
	lo ^= state;
	state = crcTable[7][lo & 0xFF] ^ crcTable[6][(lo >> 8) & 0xFF]
		^ crcTable[5][(lo >> 16) & 0xFF] ^ crcTable[4][lo >> 24]
		^ crcTable[3][hi & 0xFF] ^ crcTable[2][(hi >> 8) & 0xFF]
		^ crcTable[1][(hi >> 16) & 0xFF] ^ crcTable[0][hi >> 24];
    }
#endif
    for (; length > 0; length--) {
	state = crcTable[0][(state ^ *p++) & 0xFF] ^ (state >> 8);
    }
    return state;
}

uint32_t
MmapRinglogCrc32c(
    uint32_t crc,
    const void *buf,
    size_t length)
{
    pthread_once(&crcOnce, CrcInit);
    return ~CrcUpdate(~crc, buf, length);
}

/*
 * The checksums of the format, each seeded with the salt.
 */

static uint32_t
HeadCrc(
    const MmapRinglog *logPtr,
    const RecordHeader *rhPtr)
{
    return MmapRinglogCrc32c(logPtr->saltCrc, rhPtr,
	    offsetof(RecordHeader, headCrc));
}

static uint32_t
DataCrc(
    const MmapRinglog *logPtr,
    uint64_t seq,
    const void *bytes,
    size_t length)
{
    return MmapRinglogCrc32c(MmapRinglogCrc32c(logPtr->saltCrc, &seq,
	    sizeof(seq)), bytes, length);
}

static uint32_t
BlockCrc(
    const MmapRinglog *logPtr,
    const Cursors *cPtr)
{
    uint64_t words[4];

    words[0] = cPtr->head;
    words[1] = cPtr->tail;
    words[2] = cPtr->nextSeq;
    words[3] = cPtr->tailSeq;
    return MmapRinglogCrc32c(logPtr->saltCrc, words, sizeof(words));
}

/*
 *----------------------------------------------------------------------
 *
 * RecordSize, NextLap, MmapRinglogMaxMessage --
 *
 *	The arithmetic of the circle: the bytes a record takes (header and
 *	payload padded to the alignment), the position where the lap after
 *	a position starts, and the largest payload a data area can hold.
 *
 * Results:
 *	See above.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

static uint64_t
RecordSize(
    uint64_t length)
{
    return HDR + ((length + ALIGN - 1) & ~(uint64_t) (ALIGN - 1));
}

static uint64_t
NextLap(
    const MmapRinglog *logPtr,
    uint64_t position)
{
    return (position / logPtr->dataSize + 1) * logPtr->dataSize;
}

uint64_t
MmapRinglogMaxMessage(
    uint64_t dataSize)
{
    /* The length field is 32 bits wide. */
    if (dataSize < HDR) {
	return 0;
    }
    return (dataSize - HDR > UINT32_MAX) ? UINT32_MAX : dataSize - HDR;
}

/*
 *----------------------------------------------------------------------
 *
 * ClearError, PosixError, FormatError, MmapRinglogStatusName --
 *
 *	Fill in an MmapRinglogError, and name a status for error codes.
 *
 * Results:
 *	The status set (PosixError: MMAP_RINGLOG_POSIX); the name, or NULL
 *	for a status that has none.
 *
 * Side effects:
 *	Writes *errPtr.
 *
 *----------------------------------------------------------------------
 */

static void
ClearError(
    MmapRinglogError *errPtr)
{
    memset(errPtr, 0, sizeof(*errPtr));
}

static int
PosixError(
    MmapRinglogError *errPtr,
    int errorNum,
    const char *call)
{
    errPtr->status = MMAP_RINGLOG_POSIX;
    errPtr->errorNum = errorNum;
    errPtr->call = call;
    return MMAP_RINGLOG_POSIX;
}

static int
FormatError(
    MmapRinglogError *errPtr,
    MmapRinglogStatus status,
    const char *format,
    ...)
{
    va_list args;

    va_start(args, format);
    vsnprintf(errPtr->detail, sizeof(errPtr->detail), format, args);
    va_end(args);
    errPtr->status = status;
    return status;
}

const char *
MmapRinglogStatusName(
    MmapRinglogStatus status)
{
    /*
     * Only the statuses that a script sees as {MMAP RINGLOG <word>}; the
     * others become POSIX, MMAP MODE, MMAP RANGE or MMAP TRUNCATED.
     */

    switch (status) {
    case MMAP_RINGLOG_NOTLOG:	 return "NOTLOG";
    case MMAP_RINGLOG_SHORT:	 return "SHORT";
    case MMAP_RINGLOG_BYTEORDER: return "BYTEORDER";
    case MMAP_RINGLOG_VERSION:	 return "VERSION";
    case MMAP_RINGLOG_CORRUPT:	 return "CORRUPT";
    case MMAP_RINGLOG_SIZE:	 return "SIZE";
    case MMAP_RINGLOG_TOOBIG:	 return "TOOBIG";
    default:			 return NULL;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * LoadCursors --
 *
 *	Takes a consistent snapshot of the current cursor block (the reader
 *	side of the seqlock) and checks it.
 *
 * Results:
 *	MMAP_RINGLOG_OK, or MMAP_RINGLOG_CORRUPT with *errPtr filled in.
 *
 * Side effects:
 *	None.  Must run under the fault guard.
 *
 *----------------------------------------------------------------------
 */

static int
LoadCursors(
    MmapRinglog *logPtr,
    Cursors *cPtr,
    MmapRinglogError *errPtr)
{
    FileHeader *hdrPtr = logPtr->hdrPtr;
    CursorBlock *blockPtr;
    uint64_t gen, again;
    uint32_t crc;

    do {
	gen = __atomic_load_n(&hdrPtr->gen, __ATOMIC_ACQUIRE);
	blockPtr = &hdrPtr->block[gen & 1];
	cPtr->head = __atomic_load_n(&blockPtr->head, __ATOMIC_RELAXED);
	cPtr->tail = __atomic_load_n(&blockPtr->tail, __ATOMIC_RELAXED);
	cPtr->nextSeq = __atomic_load_n(&blockPtr->nextSeq,
		__ATOMIC_RELAXED);
	cPtr->tailSeq = __atomic_load_n(&blockPtr->tailSeq,
		__ATOMIC_RELAXED);
	crc = __atomic_load_n(&blockPtr->crc, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	again = __atomic_load_n(&hdrPtr->gen, __ATOMIC_RELAXED);
    } while (gen != again);
    cPtr->gen = gen;

    if (crc != BlockCrc(logPtr, cPtr)) {
	return FormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"cursor block checksum mismatch");
    }

    /*
     * Beyond the checksum, the invariants every append keeps: the records
     * fit the area, and an empty log (tail == head) is exactly one with
     * no sequence numbers between tailSeq and nextSeq.
     */

    if (cPtr->tail > cPtr->head
	    || cPtr->head - cPtr->tail > logPtr->dataSize
	    || cPtr->tailSeq == 0 || cPtr->tailSeq > cPtr->nextSeq
	    || (cPtr->tail == cPtr->head) != (cPtr->tailSeq == cPtr->nextSeq)
	    || cPtr->nextSeq - cPtr->tailSeq
		    > (cPtr->head - cPtr->tail) / HDR) {
	return FormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"inconsistent cursors");
    }
    return MMAP_RINGLOG_OK;
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
    uint32_t crc = BlockCrc(logPtr, cPtr);

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
 * Lapped --
 *
 *	After a reader copied bytes at and after "position": tells whether
 *	a writer may have overwritten them meanwhile, that is whether the
 *	tail has moved past position.
 *
 * Results:
 *	0 (the bytes were intact), 1 (lapped: *cPtr is the new snapshot,
 *	resume at its tail), -1 (the cursors are corrupt, *errPtr says so).
 *
 * Side effects:
 *	Refreshes *cPtr when gen moved.
 *
 *----------------------------------------------------------------------
 */

static int
Lapped(
    MmapRinglog *logPtr,
    Cursors *cPtr,
    uint64_t position,
    MmapRinglogError *errPtr)
{
    Cursors now;

    /* Pairs with the fence after a writer's tail flip (AppendOne). */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&logPtr->hdrPtr->gen, __ATOMIC_RELAXED)
	    == cPtr->gen) {
	return 0;
    }
    if (LoadCursors(logPtr, &now, errPtr) != MMAP_RINGLOG_OK) {
	return -1;
    }
    *cPtr = now;
    return now.tail > position;
}

/*
 *----------------------------------------------------------------------
 *
 * ReadHeader --
 *
 *	Copies the header at a position where one fits before the end of
 *	the area, and judges it against the walk's bounds.
 *
 * Results:
 *	KIND_RECORD or KIND_SKIP for a header to believe, 0 for anything
 *	else (damage, or bytes that are not a header).
 *
 * Side effects:
 *	Fills *rhPtr.
 *
 *----------------------------------------------------------------------
 */

static uint32_t
ReadHeader(
    Walk *walkPtr,
    uint64_t position,
    RecordHeader *rhPtr)
{
    MmapRinglog *logPtr = walkPtr->logPtr;
    uint64_t offset = position % logPtr->dataSize;
    uint64_t room = logPtr->dataSize - offset - HDR;

    memcpy(rhPtr, logPtr->area + offset, HDR);
    if (rhPtr->headCrc != HeadCrc(logPtr, rhPtr)) {
	return 0;
    }
    if (rhPtr->kind == KIND_SKIP) {
	return (rhPtr->length == room) ? KIND_SKIP : 0;
    }
    if (rhPtr->kind != KIND_RECORD || rhPtr->length > room
	    || rhPtr->seq <= walkPtr->last
	    || rhPtr->seq >= walkPtr->nextSeq
	    || RecordSize(rhPtr->length) > walkPtr->limit - position) {
	return 0;
    }
    return KIND_RECORD;
}

/*
 *----------------------------------------------------------------------
 *
 * Settle --
 *
 *	Finds the first record at or after a position: passes skip markers
 *	and lap ends, and crosses damage by scanning aligned positions for
 *	the next believable header.  The first position of a lap always
 *	holds a record, so a scan never runs past one.
 *
 * Results:
 *	The record's position with *rhPtr its header, or the walk's limit
 *	when there is none before it.
 *
 * Side effects:
 *	Counts each damaged stretch in walkPtr->damaged.
 *
 *----------------------------------------------------------------------
 */

static uint64_t
Settle(
    Walk *walkPtr,
    uint64_t position,
    RecordHeader *rhPtr)
{
    MmapRinglog *logPtr = walkPtr->logPtr;
    uint64_t offset;
    int scanning = 0;

    while (position < walkPtr->limit) {
	offset = position % logPtr->dataSize;
	if (logPtr->dataSize - offset < HDR) {
	    position = NextLap(logPtr, position);
	    scanning = 0;
	    continue;
	}
	if (offset == 0) {
	    scanning = 0;
	}
	switch (ReadHeader(walkPtr, position, rhPtr)) {
	case KIND_RECORD:
	    return position;
	case KIND_SKIP:
	    position = NextLap(logPtr, position);
	    scanning = 0;
	    continue;
	}
	if (!scanning) {
	    walkPtr->damaged++;
	    scanning = 1;
	}
	position += ALIGN;
    }
    return walkPtr->limit;
}

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
    FileHeader *hdrPtr;
    MmapRinglog fake;
    Cursors cursors;
    char *tmpPath = NULL;
    uint64_t salt = 0;
    size_t done;
    ssize_t got;
    int fd = -1, err, randFd;
    const char *call;

    ClearError(errPtr);
    if (fileSize < MMAP_RINGLOG_MIN_SIZE || fileSize > (uint64_t) INT64_MAX
	    || (uint64_t) (off_t) fileSize != fileSize) {
	return FormatError(errPtr, MMAP_RINGLOG_BADSIZE,
		"a ring log needs at least %d bytes",
		MMAP_RINGLOG_MIN_SIZE);
    }
    fileSize = (fileSize + ALIGN - 1) & ~(uint64_t) (ALIGN - 1);

    /*
     * Fail early on an existing file rather than after allocating a
     * possibly large one; link(2) below is what makes the check exact.
     */

    if (!force && lstat(path, &st) == 0) {
	return PosixError(errPtr, EEXIST, "create");
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

    randFd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (randFd >= 0) {
	if (read(randFd, &salt, sizeof(salt)) != (ssize_t) sizeof(salt)) {
	    salt = 0;
	}
	close(randFd);
    }
    gettimeofday(&now, NULL);
    if (salt == 0) {
	salt = ((uint64_t) now.tv_sec << 20) ^ (uint64_t) now.tv_usec
		^ ((uint64_t) getpid() << 40) ^ (uintptr_t) page;
    }

    hdrPtr = (FileHeader *) page;
    memcpy(hdrPtr->magic, ringlogMagic, sizeof(hdrPtr->magic));
    hdrPtr->version = MMAP_RINGLOG_FORMAT;
    hdrPtr->byteOrder = BYTE_ORDER_MARK;
    hdrPtr->headerSize = MMAP_RINGLOG_HEADER_SIZE;
    hdrPtr->flags = 0;
    hdrPtr->dataSize = fileSize - MMAP_RINGLOG_HEADER_SIZE;
    hdrPtr->salt = salt;
    hdrPtr->created = (uint64_t) now.tv_sec * 1000000
	    + (uint64_t) now.tv_usec;
    hdrPtr->headerCrc = MmapRinglogCrc32c(0, hdrPtr,
	    offsetof(FileHeader, headerCrc));
    hdrPtr->gen = 0;

    /* Block 0 current: empty, the first record will be number 1. */
    fake.saltCrc = MmapRinglogCrc32c(0, &salt, sizeof(salt));
    cursors.head = cursors.tail = 0;
    cursors.nextSeq = cursors.tailSeq = 1;
    hdrPtr->block[0].nextSeq = hdrPtr->block[0].tailSeq = 1;
    hdrPtr->block[0].crc = BlockCrc(&fake, &cursors);

    for (done = 0; done < MMAP_RINGLOG_HEADER_SIZE; done += got) {
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
	if (rename(tmpPath, path) != 0) {
	    err = errno;
	    call = "create";
	    goto failed;
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
    if (tmpPath != NULL) {
	unlink(tmpPath);
	free(tmpPath);
    }
    free(page);
    return PosixError(errPtr, err, call);
}

/*
 *----------------------------------------------------------------------
 *
 * CheckHeader --
 *
 *	Validates the header page as read from a file of fileSize bytes
 *	(buf holds its first MMAP_RINGLOG_HEADER_SIZE bytes, zero-filled
 *	past the end of a shorter file).  The checks go from "is this a
 *	ring log at all" to "is this one sound", so that each kind of file
 *	gets the most telling error.
 *
 * Results:
 *	MMAP_RINGLOG_OK or a format error with *errPtr filled in.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

static int
CheckHeader(
    const unsigned char *buf,
    uint64_t fileSize,
    MmapRinglogError *errPtr)
{
    FileHeader hdr;

    memcpy(&hdr, buf, sizeof(hdr));
    if (fileSize < sizeof(hdr.magic)
	    || memcmp(hdr.magic, ringlogMagic, sizeof(hdr.magic)) != 0) {
	return FormatError(errPtr, MMAP_RINGLOG_NOTLOG, "not a ring log");
    }
    if (fileSize < MMAP_RINGLOG_HEADER_SIZE) {
	return FormatError(errPtr, MMAP_RINGLOG_SHORT,
		"truncated header: the file has %llu bytes, the header"
		" alone needs %d", (unsigned long long) fileSize,
		MMAP_RINGLOG_HEADER_SIZE);
    }
    if (hdr.byteOrder != BYTE_ORDER_MARK) {
	if (hdr.byteOrder == __builtin_bswap32(BYTE_ORDER_MARK)) {
	    return FormatError(errPtr, MMAP_RINGLOG_BYTEORDER,
		    "written on a machine of the other byte order");
	}
	return FormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"bad byte order mark");
    }
    if (hdr.version != MMAP_RINGLOG_FORMAT) {
	return FormatError(errPtr, MMAP_RINGLOG_VERSION,
		"format version %u is not supported (this library reads"
		" version %d)", hdr.version, MMAP_RINGLOG_FORMAT);
    }
    if (hdr.headerCrc != MmapRinglogCrc32c(0, &hdr,
	    offsetof(FileHeader, headerCrc))) {
	return FormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"header checksum mismatch");
    }
    if (hdr.flags != 0) {
	return FormatError(errPtr, MMAP_RINGLOG_VERSION,
		"unknown format flags 0x%x", hdr.flags);
    }
    if (hdr.headerSize != MMAP_RINGLOG_HEADER_SIZE
	    || hdr.dataSize < MIN_DATA || hdr.dataSize % ALIGN != 0) {
	return FormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"bad sizes in the header");
    }
    if (hdr.dataSize > fileSize - hdr.headerSize
	    || hdr.dataSize < fileSize - hdr.headerSize) {
	return FormatError(errPtr, MMAP_RINGLOG_SIZE,
		"size mismatch: the header describes %llu bytes, the file"
		" has %llu", (unsigned long long) (hdr.dataSize
		+ hdr.headerSize), (unsigned long long) fileSize);
    }
    return MMAP_RINGLOG_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogOpen --
 *
 *	Opens a ring log: checks the header (read with pread, so that a
 *	file shorter than its header cannot fault), maps the whole file
 *	shared, and checks the current cursors through the mapping.
 *
 * Results:
 *	The new handle, or NULL with *errPtr filled in.
 *
 * Side effects:
 *	An open file descriptor and a mapping, owned by the handle.
 *	Installs the fault guard's handlers on first use.
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
    ssize_t got;
    void *base;
    int fd, err;

    ClearError(errPtr);
    err = MmapGuardInstall();
    if (err != 0) {
	PosixError(errPtr, err, "guard");
	return NULL;
    }
    fd = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
	PosixError(errPtr, errno, "open");
	return NULL;
    }
    if (fstat(fd, &st) != 0) {
	PosixError(errPtr, errno, "open");
	goto failed;
    }
    if (!S_ISREG(st.st_mode)) {
	FormatError(errPtr, MMAP_RINGLOG_NOTLOG, "not a ring log");
	goto failed;
    }
    memset(buf, 0, sizeof(buf));
    want = ((uint64_t) st.st_size < sizeof(buf))
	    ? (size_t) st.st_size : sizeof(buf);
    while (done < want) {
	got = pread(fd, buf + done, want - done, (off_t) done);
	if (got < 0 && errno == EINTR) {
	    continue;
	}
	if (got < 0) {
	    PosixError(errPtr, errno, "read");
	    goto failed;
	}
	if (got == 0) {
	    break;
	}
	done += (size_t) got;
    }

    /* A file that shrank since fstat is judged by what is left of it. */
    if (CheckHeader(buf, (done < want) ? done : (uint64_t) st.st_size,
	    errPtr) != MMAP_RINGLOG_OK) {
	goto failed;
    }
    if ((uint64_t) st.st_size > SIZE_MAX) {
	PosixError(errPtr, ENOMEM, "map");
	goto failed;
    }

    base = mmap(NULL, (size_t) st.st_size,
	    PROT_READ | (readOnly ? 0 : PROT_WRITE), MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
	PosixError(errPtr, errno, "map");
	goto failed;
    }
    logPtr = calloc(1, sizeof(MmapRinglog));
    if (logPtr == NULL) {
	munmap(base, (size_t) st.st_size);
	PosixError(errPtr, ENOMEM, "open");
	goto failed;
    }
    hdrPtr = (FileHeader *) buf;
    logPtr->fd = fd;
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
    if (Guarded(logPtr, InfoProc, &call, errPtr) != MMAP_RINGLOG_OK
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
 *	Unmaps, closes the descriptor, frees the handle.
 *
 *----------------------------------------------------------------------
 */

void
MmapRinglogClose(
    MmapRinglog *logPtr)
{
    munmap(logPtr->base, logPtr->mapLength);
    close(logPtr->fd);
    free(logPtr->scratch);
    free(logPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * Guarded --
 *
 *	Runs one operation on the mapping under the fault guard.
 *
 * Results:
 *	MMAP_RINGLOG_OK when the operation ran to its end (it reports its
 *	own status in *errPtr), or MMAP_RINGLOG_FAULT.
 *
 * Side effects:
 *	Whatever proc does.
 *
 *----------------------------------------------------------------------
 */

static int
Guarded(
    MmapRinglog *logPtr,
    MmapGuardedProc *proc,
    void *clientData,
    MmapRinglogError *errPtr)
{
    uintptr_t addr = 0;
    MmapFault fault;

    fault = MmapGuardedCall(proc, clientData, logPtr->base,
	    logPtr->mapLength, &addr);
    if (fault != MMAP_FAULT_NONE) {
	errPtr->status = MMAP_RINGLOG_FAULT;
	errPtr->fault = fault;
	errPtr->offset = (uint64_t) (addr - (uintptr_t) logPtr->base);
	return MMAP_RINGLOG_FAULT;
    }
    return MMAP_RINGLOG_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogAppend, AppendProc --
 *
 *	Appends messages, in order, as consecutive records: takes the
 *	writers' lock, then runs AppendProc under the fault guard.
 *
 * Results:
 *	MMAP_RINGLOG_OK with *lastSeqPtr the sequence number of the last
 *	one; READONLY or TOOBIG (nothing appended); CORRUPT (cursors
 *	damaged, nothing appended); POSIX (the lock failed); FAULT (the file
 *	was truncated: the messages before the fault may be in the log).
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

    ClearError(errPtr);
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

    while (flock(logPtr->fd, LOCK_EX) != 0) {
	if (errno != EINTR) {
	    return PosixError(errPtr, errno, "lock");
	}
    }
    call.logPtr = logPtr;
    call.count = count;
    call.messages = messages;
    call.lastSeq = 0;
    call.errPtr = errPtr;
    status = Guarded(logPtr, AppendProc, &call, errPtr);
    flock(logPtr->fd, LOCK_UN);
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
    Cursors cursors;
    size_t i;

    if (LoadCursors(callPtr->logPtr, &cursors, callPtr->errPtr)
	    != MMAP_RINGLOG_OK) {
	return;
    }
    for (i = 0; i < callPtr->count; i++) {
	AppendOne(callPtr->logPtr, &cursors, &callPtr->messages[i],
		&callPtr->lastSeq);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * AppendOne --
 *
 *	Appends one message, under the writers' lock and the fault guard:
 *	makes room, writes the record, publishes it.  See the comment at
 *	the top of the file.
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
    uint64_t size = RecordSize(msgPtr->length);
    uint64_t head = cPtr->head;
    uint64_t offset = head % dataSize;
    uint64_t start, end, tail, seq;
    unsigned char *dst;
    RecordHeader rh;
    Walk walk;

    /* Where the record goes: here, or at the start of the next lap. */
    start = (dataSize - offset >= size) ? head : NextLap(logPtr, head);
    end = start + size;

    /*
     * Make room: the record will cover what lay at [end - dataSize,
     * end) a lap ago, so the tail must reach end - dataSize.  Publish
     * the new tail before writing anything: from then on no reader
     * believes a byte there.
     */

    if (end - cPtr->tail > dataSize) {
	walk.logPtr = logPtr;
	walk.limit = head;
	walk.last = cPtr->tailSeq - 1;
	walk.nextSeq = cPtr->nextSeq;
	walk.damaged = 0;
	tail = cPtr->tail;
	for (;;) {
	    tail = Settle(&walk, tail, &rh);
	    if (tail >= head || tail >= end - dataSize) {
		break;
	    }
	    walk.last = rh.seq;
	    tail += RecordSize(rh.length);
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
     * Pairs with the acquire fence in Lapped: a reader that sees any byte
     * written below also sees the tail flip that preceded it (this
     * append's or, through the lock, an earlier one's).
     */

    __atomic_thread_fence(__ATOMIC_RELEASE);
    seq = cPtr->nextSeq;
    if (start != head && dataSize - offset >= HDR) {
	memset(&rh, 0, sizeof(rh));
	rh.kind = KIND_SKIP;
	rh.length = (uint32_t) (dataSize - offset - HDR);
	rh.seq = seq;
	rh.headCrc = HeadCrc(logPtr, &rh);
	memcpy(logPtr->area + offset, &rh, HDR);
    }

    /*
     * Payload first, header last; neither is visible before the head
     * moves, so the order only matters to someone inspecting the file.
     */

    dst = logPtr->area + start % dataSize;
    if (msgPtr->length > 0) {
	memcpy(dst + HDR, msgPtr->bytes, msgPtr->length);
    }
    memset(dst + HDR + msgPtr->length, 0, size - HDR - msgPtr->length);
    rh.kind = KIND_RECORD;
    rh.length = (uint32_t) msgPtr->length;
    rh.seq = seq;
    rh.dataCrc = DataCrc(logPtr, seq, msgPtr->bytes, msgPtr->length);
    rh.headCrc = HeadCrc(logPtr, &rh);
    memcpy(dst, &rh, HDR);

    if (cPtr->tail == head) {
	/* The log was empty (or emptied above): this is the oldest. */
	cPtr->tail = start;
	cPtr->tailSeq = seq;
    }
    cPtr->head = end;
    cPtr->nextSeq = seq + 1;
    StoreCursors(logPtr, cPtr);
    *seqPtr = seq;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogRead, ReadProc --
 *
 *	Hands the records with sequence numbers from fromSeq on, oldest
 *	first, at most maxCount of them, to visitProc.  Takes no lock.
 *	Records appended after the call began are not included.  ReadProc
 *	is the walk itself, run under the fault guard.
 *
 * Results:
 *	MMAP_RINGLOG_OK, CORRUPT (the cursors), POSIX (out of memory), or
 *	FAULT.  *damagedPtr (if not NULL) counts the damaged records and
 *	stretches that were skipped.
 *
 * Side effects:
 *	Calls visitProc, which must not touch the log.  Remembers where the
 *	walk stopped, for the next read.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogRead(
    MmapRinglog *logPtr,
    uint64_t fromSeq,
    uint64_t maxCount,
    MmapRinglogVisitProc *visitProc,
    void *clientData,
    uint64_t *damagedPtr,
    MmapRinglogError *errPtr)
{
    ReadCall call;
    int status;

    ClearError(errPtr);
    call.logPtr = logPtr;
    call.fromSeq = fromSeq;
    call.maxCount = maxCount;
    call.visitProc = visitProc;
    call.clientData = clientData;
    call.damaged = 0;
    call.errPtr = errPtr;
    status = Guarded(logPtr, ReadProc, &call, errPtr);
    if (damagedPtr != NULL) {
	*damagedPtr = call.damaged;
    }
    return (status == MMAP_RINGLOG_OK) ? (int) errPtr->status : status;
}

static void
ReadProc(
    void *clientData)
{
    ReadCall *callPtr = clientData;
    MmapRinglog *logPtr = callPtr->logPtr;
    MmapRinglogError *errPtr = callPtr->errPtr;
    Cursors cursors;
    RecordHeader rh;
    Walk walk;
    uint64_t position, found, endSeq, count = 0, damaged;
    unsigned char *buf;
    int lapped, intact;

    if (LoadCursors(logPtr, &cursors, errPtr) != MMAP_RINGLOG_OK) {
	return;
    }
    endSeq = cursors.nextSeq;
    if (callPtr->fromSeq >= endSeq || callPtr->maxCount == 0) {
	return;
    }
    walk.logPtr = logPtr;
    walk.limit = cursors.head;
    walk.last = cursors.tailSeq - 1;
    walk.nextSeq = cursors.nextSeq;
    walk.damaged = 0;
    position = cursors.tail;

    /*
     * Absolute positions are never reused, so a position at or after the
     * tail still holds what it held when the hint was taken.
     */

    if (logPtr->hintSeq > cursors.tailSeq
	    && callPtr->fromSeq >= logPtr->hintSeq
	    && logPtr->hintPos >= cursors.tail
	    && logPtr->hintPos <= cursors.head) {
	position = logPtr->hintPos;
	walk.last = logPtr->hintSeq - 1;
    }

    while (count < callPtr->maxCount) {
	damaged = walk.damaged;
	found = Settle(&walk, position, &rh);
	lapped = Lapped(logPtr, &cursors, position, errPtr);
	if (lapped == 0 && found < walk.limit && rh.seq < endSeq
		&& rh.seq >= callPtr->fromSeq) {
	    /*
	     * Copy the payload out, then make sure it was not overwritten
	     * while we copied.
	     */

	    if (logPtr->scratchSize < rh.length || logPtr->scratch == NULL) {
		buf = realloc(logPtr->scratch, rh.length + 1);
		if (buf == NULL) {
		    PosixError(errPtr, ENOMEM, "read");
		    return;
		}
		logPtr->scratch = buf;
		logPtr->scratchSize = rh.length + 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	    }
	    memcpy(logPtr->scratch, logPtr->area + found % logPtr->dataSize
		    + HDR, rh.length);
	    intact = (DataCrc(logPtr, rh.seq, logPtr->scratch, rh.length)
		    == rh.dataCrc);
	    lapped = Lapped(logPtr, &cursors, found, errPtr);
	    if (lapped == 0) {
		if (!intact) {
		    walk.damaged++;
		} else {
		    count++;
		    if (callPtr->visitProc(callPtr->clientData, rh.seq,
			    logPtr->scratch, rh.length) != 0) {
			break;
		    }
		}
	    }
	}
	if (lapped < 0) {
	    return;
	}
	if (lapped > 0) {
	    /* Overwritten under us: resume at the new oldest record. */
	    walk.damaged = damaged;
	    walk.limit = cursors.head;
	    walk.nextSeq = cursors.nextSeq;
	    position = cursors.tail;
	    continue;
	}
	if (found >= walk.limit || rh.seq >= endSeq) {
	    break;
	}
	walk.last = rh.seq;
	position = found + RecordSize(rh.length);
    }
    callPtr->damaged = walk.damaged;
    logPtr->hintPos = position;
    logPtr->hintSeq = walk.last + 1;
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

    ClearError(errPtr);
    call.logPtr = logPtr;
    call.errPtr = errPtr;
    if (Guarded(logPtr, InfoProc, &call, errPtr) != MMAP_RINGLOG_OK) {
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
    infoPtr->version = logPtr->version;
    infoPtr->readOnly = logPtr->readOnly;
    return MMAP_RINGLOG_OK;
}

static void
InfoProc(
    void *clientData)
{
    InfoCall *callPtr = clientData;

    LoadCursors(callPtr->logPtr, &callPtr->cursors, callPtr->errPtr);
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
    ClearError(errPtr);
    if (msync(logPtr->base, logPtr->mapLength, MS_SYNC) != 0) {
	return PosixError(errPtr, errno, "sync");
    }
    return MMAP_RINGLOG_OK;
}
