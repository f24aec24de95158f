/*
 * format.c --
 *
 *	The ring log's file format in code (the layout is in
 *	format.h): CRC-32C, the checksums of headers, records and
 *	cursor blocks, the header page of a new log, and the checks of an
 *	existing one at open.  Nothing here touches a mapping.
 */

#include <pthread.h>
#include <string.h>
#include "internal.h"

const char rlMagic[16] = "TclRingLog";

static void	CrcInit(void);
static uint32_t	CrcUpdate(uint32_t state, const unsigned char *p,
		    size_t length);

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
 *----------------------------------------------------------------------
 *
 * RlHeadCrc, RlDataCrc, RlBlockCrc, RlNameCrc --
 *
 *	The checksums of the format, each seeded with the salt (saltCrc is
 *	the CRC-32C of the salt's 8 bytes): of a record header's first 20
 *	bytes, of a record's sequence number and payload, of the four
 *	cursors of a block, and of a named cursor's length and name.
 *
 * Results:
 *	The checksum.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

uint32_t
RlHeadCrc(
    uint32_t saltCrc,
    const RecordHeader *rhPtr)
{
    return MmapRinglogCrc32c(saltCrc, rhPtr, offsetof(RecordHeader,
	    headCrc));
}

uint32_t
RlDataCrc(
    uint32_t saltCrc,
    uint64_t seq,
    const void *bytes,
    size_t length)
{
    return MmapRinglogCrc32c(MmapRinglogCrc32c(saltCrc, &seq, sizeof(seq)),
	    bytes, length);
}

uint32_t
RlBlockCrc(
    uint32_t saltCrc,
    const Cursors *cPtr)
{
    uint64_t words[4];

    words[0] = cPtr->head;
    words[1] = cPtr->tail;
    words[2] = cPtr->nextSeq;
    words[3] = cPtr->tailSeq;
    return MmapRinglogCrc32c(saltCrc, words, sizeof(words));
}

uint32_t
RlNameCrc(
    uint32_t saltCrc,
    uint32_t length,
    const char *name)
{
    return MmapRinglogCrc32c(MmapRinglogCrc32c(saltCrc, &length,
	    sizeof(length)), name, length);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogMaxMessage --
 *
 *	The largest payload a data area of dataSize bytes can hold.
 *
 * Results:
 *	See above.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

uint64_t
MmapRinglogMaxMessage(
    uint64_t dataSize)
{
    /* The length field is 32 bits wide. */
    if (dataSize < RL_HDR) {
	return 0;
    }
    return (dataSize - RL_HDR > UINT32_MAX) ? UINT32_MAX : dataSize - RL_HDR;
}

/*
 *----------------------------------------------------------------------
 *
 * RlInitHeader --
 *
 *	Fills the header of a new, empty log: the fields, their checksum,
 *	and block 0 current with the first record to be number 1.  The
 *	waiting words and the named cursors start as zero; the writers'
 *	lock is the creator's business (log.c).
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Writes *hdrPtr, which must be zero to begin with.
 *
 *----------------------------------------------------------------------
 */

void
RlInitHeader(
    FileHeader *hdrPtr,
    uint64_t dataSize,
    uint64_t salt,
    uint64_t created)
{
    Cursors cursors;

    memcpy(hdrPtr->magic, rlMagic, sizeof(hdrPtr->magic));
    hdrPtr->version = MMAP_RINGLOG_FORMAT;
    hdrPtr->byteOrder = RL_BYTE_ORDER_MARK;
    hdrPtr->headerSize = MMAP_RINGLOG_HEADER_SIZE;
    hdrPtr->flags = 0;
    hdrPtr->dataSize = dataSize;
    hdrPtr->salt = salt;
    hdrPtr->created = created;
    hdrPtr->headerCrc = MmapRinglogCrc32c(0, hdrPtr,
	    offsetof(FileHeader, headerCrc));
    hdrPtr->gen = 0;

    cursors.gen = 0;
    cursors.head = cursors.tail = 0;
    cursors.nextSeq = cursors.tailSeq = 1;
    hdrPtr->block[0].nextSeq = hdrPtr->block[0].tailSeq = 1;
    hdrPtr->block[0].crc = RlBlockCrc(MmapRinglogCrc32c(0, &salt,
	    sizeof(salt)), &cursors);
}

/*
 *----------------------------------------------------------------------
 *
 * RlCheckHeader --
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

int
RlCheckHeader(
    const unsigned char *buf,
    uint64_t fileSize,
    MmapRinglogError *errPtr)
{
    FileHeader hdr;

    memcpy(&hdr, buf, sizeof(hdr));
    if (fileSize < sizeof(hdr.magic)
	    || memcmp(hdr.magic, rlMagic, sizeof(hdr.magic)) != 0) {
	return RlFormatError(errPtr, MMAP_RINGLOG_NOTLOG, "not a ring log");
    }
    if (fileSize < MMAP_RINGLOG_HEADER_SIZE) {
	return RlFormatError(errPtr, MMAP_RINGLOG_SHORT,
		"truncated header: the file has %llu bytes, the header"
		" alone needs %d", (unsigned long long) fileSize,
		MMAP_RINGLOG_HEADER_SIZE);
    }
    if (hdr.byteOrder != RL_BYTE_ORDER_MARK) {
	if (hdr.byteOrder == __builtin_bswap32(RL_BYTE_ORDER_MARK)) {
	    return RlFormatError(errPtr, MMAP_RINGLOG_BYTEORDER,
		    "written on a machine of the other byte order");
	}
	return RlFormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"bad byte order mark");
    }
    if (hdr.version < RL_VERSION_MIN || hdr.version > MMAP_RINGLOG_FORMAT) {
	return RlFormatError(errPtr, MMAP_RINGLOG_VERSION,
		"format version %u is not supported (this library reads"
		" versions %d to %d)", hdr.version, RL_VERSION_MIN,
		MMAP_RINGLOG_FORMAT);
    }
    if (hdr.headerCrc != MmapRinglogCrc32c(0, &hdr,
	    offsetof(FileHeader, headerCrc))) {
	return RlFormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"header checksum mismatch");
    }
    if (hdr.flags != 0) {
	return RlFormatError(errPtr, MMAP_RINGLOG_VERSION,
		"unknown format flags 0x%x", hdr.flags);
    }
    if (hdr.headerSize != MMAP_RINGLOG_HEADER_SIZE
	    || hdr.dataSize < RL_MIN_DATA || hdr.dataSize % RL_ALIGN != 0) {
	return RlFormatError(errPtr, MMAP_RINGLOG_CORRUPT,
		"bad sizes in the header");
    }
    if (hdr.dataSize > fileSize - hdr.headerSize
	    || hdr.dataSize < fileSize - hdr.headerSize) {
	return RlFormatError(errPtr, MMAP_RINGLOG_SIZE,
		"size mismatch: the header describes %llu bytes, the file"
		" has %llu", (unsigned long long) (hdr.dataSize
		+ hdr.headerSize), (unsigned long long) fileSize);
    }
    return MMAP_RINGLOG_OK;
}
