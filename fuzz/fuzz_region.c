/*
 * fuzz_region.c --
 *
 *	libFuzzer harness for the region arithmetic (c/region.c).  The input
 *	is read as a program: a region length and a placement, then a random
 *	sequence of operations (seek with every whence and wild offsets,
 *	reads, cyclic and linear writes of random sizes shorter and longer
 *	than the region, tell).  Each operation is planned by region.c and
 *	executed with real memcpy on a region fenced by PROT_NONE pages on
 *	both sides, placed against one fence or the other, so that a span
 *	reaching one byte outside faults at once; the data buffers are
 *	malloc'ed to their exact size, so that AddressSanitizer catches a
 *	span that runs off them.  Every result is compared with a reference
 *	model kept in a separate malloc'ed buffer: the bytes written one by
 *	one in a circle (or a line), a position, reads that stop at the end.
 *
 *	Operations on wild 64-bit lengths, offsets and counts that no
 *	memory could hold check the planners' arithmetic alone against
 *	128-bit integers.
 *
 *	Build (see `tclsh build.tcl fuzz`):
 *	    clang-14 -g -O1 -fsanitize=fuzzer,address,undefined
 *		-fno-sanitize-recover=all -Ic fuzz/fuzz_region.c c/region.c
 *		-o fuzz_region
 *	Run: ./fuzz_region -max_total_time=60 corpus/
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "region.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

/*
 * Failures abort with a message: libFuzzer then saves the input that
 * caused it as a crash file.
 */

#define MUST(cond) do {						\
    if (!(cond)) {						\
	fprintf(stderr, "fuzz_region: %s:%d: check failed: %s\n",	\
		__FILE__, __LINE__, #cond);			\
	abort();						\
    }								\
} while (0)

/* The input, consumed from the front; zeros once it runs out. */
typedef struct Input {
    const uint8_t *data;
    size_t size;
} Input;

static uint64_t
Take(
    Input *inPtr,
    int bytes)
{
    uint64_t value = 0;
    int i;

    for (i = 0; i < bytes; i++) {
	value <<= 8;
	if (inPtr->size > 0) {
	    value |= *inPtr->data++;
	    inPtr->size--;
	}
    }
    return value;
}

/*
 * A count for a read or write: mostly around the region's length (the
 * edges where the wrap happens), sometimes anything at all.
 */

static uint64_t
TakeCount(
    Input *inPtr,
    uint64_t length)
{
    uint64_t pick = Take(inPtr, 1), near = Take(inPtr, 2);

    switch (pick % 8) {
    case 0: return near % 4;
    case 1: return length - 1 + near % 3;	/* length-1 .. length+1 */
    case 2: return near % (length + 1);
    case 3: return length + near % (2 * length + 1);
    case 4: return near % (4 * length + 8);
    case 5: return 2 * length - near % 2;
    case 6: return Take(inPtr, 8);		/* Wild: planned only. */
    default: return near % 64;
    }
}

static int64_t
TakeOffset(
    Input *inPtr,
    uint64_t length)
{
    uint64_t pick = Take(inPtr, 1), near = Take(inPtr, 2);

    switch (pick % 6) {
    case 0: return (int64_t) (near % (length + 1));
    case 1: return -(int64_t) (near % (length + 2));
    case 2: return (int64_t) (near % 5) - 2;
    case 3: return (int64_t) length + (int64_t) (near % 3) - 1;
    case 4: return (pick & 0x80) ? INT64_MIN : INT64_MAX;
    default: return (int64_t) Take(inPtr, 8);
    }
}

/* What a seek must do, by the definition, in 128 bits. */
static int
ModelSeek(
    uint64_t length,
    uint64_t position,
    int64_t offset,
    int whence,
    uint64_t *newPositionPtr)
{
    i128 origin, target;

    switch (whence) {
    case MMAP_SEEK_SET: origin = 0; break;
    case MMAP_SEEK_CUR: origin = (i128) position; break;
    case MMAP_SEEK_END: origin = (i128) length; break;
    default: return EINVAL;
    }
    if (origin > (i128) length) {
	return EINVAL;
    }
    target = origin + offset;
    if (target < 0 || target > (i128) length) {
	return EINVAL;
    }
    *newPositionPtr = (uint64_t) target;
    return 0;
}

/*
 * Checks a plan's shape against the definition, for any length: the
 * spans lie in the region and in the data, do not overlap in either,
 * hold min(count, length) bytes (cyclic) or all of them (linear), and the
 * data bytes they take are the last ones; the new position is (position
 * + count) mod length, or position + count.
 */

static void
CheckPlanShape(
    int cyclic,
    uint64_t length,
    uint64_t position,
    uint64_t count,
    int err,
    const MmapSpan spans[2],
    uint64_t newPosition)
{
    u128 kept, total;
    int i;

    if (!cyclic) {
	if ((u128) position + count > length) {
	    MUST(err == ENOSPC);
	    return;
	}
	MUST(err == 0);
	MUST(spans[0].mapOffset == position && spans[0].bufOffset == 0);
	MUST(spans[0].count == count && spans[1].count == 0);
	MUST(newPosition == position + count);
	return;
    }
    if (length == 0) {
	MUST(err == EINVAL);
	return;
    }
    MUST(err == 0);
    kept = count < length ? count : length;
    total = 0;
    for (i = 0; i < 2; i++) {
	MUST(spans[i].mapOffset <= length
		&& spans[i].count <= length - spans[i].mapOffset);
	MUST(spans[i].bufOffset <= count
		&& spans[i].count <= count - spans[i].bufOffset);
	total += spans[i].count;
    }
    MUST(total == kept);

    /* The kept bytes are the data's last ones, in order. */
    if (kept > 0) {
	MUST(spans[0].bufOffset == count - kept);
	MUST(spans[0].count > 0);
	/* The first of them lands where a byte-by-byte write puts it. */
	MUST(spans[0].mapOffset == (uint64_t) (((u128) position
		+ (count - kept)) % length));
    }
    if (spans[1].count > 0) {
	MUST(spans[1].mapOffset == 0);
	MUST(spans[1].bufOffset == spans[0].bufOffset + spans[0].count);
	MUST(spans[0].mapOffset + spans[0].count == length);
    }
    MUST(newPosition == (uint64_t) (((u128) position + count) % length));
}

/*
 * The arithmetic on wild values that no memory could hold.
 */

static void
WildArithmetic(
    Input *inPtr)
{
    uint64_t length = Take(inPtr, 8), position = Take(inPtr, 8);
    uint64_t count = Take(inPtr, 8), newPosition = 0, model = 0;
    uint64_t start = 0, span = 0, base, pageSize;
    int64_t offset = (int64_t) Take(inPtr, 8);
    int whence = (int) (Take(inPtr, 1) % 4), err, modelErr;
    MmapSpan spans[2];

    switch (Take(inPtr, 1) % 4) {
    case 0: length %= 64; break;
    case 1: length = UINT64_MAX - length % 64; break;
    case 2: length = ((uint64_t) 1 << 63) + length % 64 - 32; break;
    }
    if (Take(inPtr, 1) % 2 && length < UINT64_MAX) {
	position %= length + 1;
    }

    /* Range and read count. */
    MUST(MmapRangeOk(length, position, count)
	    == ((u128) position + count <= length));
    MUST(MmapReadCount(length, position, count) == (position >= length ? 0
	    : count < length - position ? count : length - position));

    /* Seek. */
    err = MmapPlanSeek(length, position, offset, whence, &newPosition);
    modelErr = ModelSeek(length, position, offset, whence, &model);
    MUST(err == modelErr);
    if (err == 0) {
	MUST(newPosition == model);
    }

    /* Writes. */
    memset(spans, 0, sizeof(spans));
    err = MmapPlanCyclicWrite(length, position, count, spans, &newPosition);
    CheckPlanShape(1, length, position, count, err, spans, newPosition);
    err = MmapPlanLinearWrite(length, position, count, spans, &newPosition);
    CheckPlanShape(0, length, position, count, err, spans, newPosition);

    /*
     * Page spans, within their precondition: the mapping (base + length
     * bytes) fits a 64-bit address space.
     */

    pageSize = (uint64_t) 1 << (12 + Take(inPtr, 1) % 5);
    base = Take(inPtr, 2) % pageSize;
    length %= (uint64_t) 1 << 47;
    err = MmapPageSpan(base, length, position, count, pageSize, &start,
	    &span);
    if ((u128) position + count > length) {
	MUST(err == ERANGE);
    } else if (count == 0) {
	MUST(err == 0 && span == 0);
	MUST(start == ((base + position) & ~(pageSize - 1)));
    } else {
	MUST(err == 0);
	MUST(start % pageSize == 0 && span % pageSize == 0);
	MUST(start <= base + position);
	MUST(base + position - start < pageSize);
	MUST(start + span >= base + position + count);
	MUST(start + span - (base + position + count) < pageSize);
    }
    MUST(MmapAlignDown(count, pageSize) == count - count % pageSize);
}

/*
 * The fenced region: PROT_NONE pages on both sides, the region's bytes
 * against the leading fence or against the trailing one.
 */

typedef struct Fenced {
    unsigned char *all;		/* What mmap returned. */
    size_t allLength;
    unsigned char *region;	/* length bytes, touching a fence. */
} Fenced;

static size_t pageSize;

static void
FenceCreate(
    Fenced *fencedPtr,
    uint64_t length,
    int atEnd)
{
    size_t inner = (length + pageSize - 1) / pageSize * pageSize;

    fencedPtr->allLength = inner + 2 * pageSize;
    fencedPtr->all = mmap(NULL, fencedPtr->allLength, PROT_READ|PROT_WRITE,
	    MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
    MUST(fencedPtr->all != MAP_FAILED);
    MUST(mprotect(fencedPtr->all, pageSize, PROT_NONE) == 0);
    MUST(mprotect(fencedPtr->all + pageSize + inner, pageSize, PROT_NONE)
	    == 0);
    fencedPtr->region = fencedPtr->all + pageSize
	    + (atEnd ? inner - length : 0);
}

static void
FenceDestroy(
    Fenced *fencedPtr)
{
    munmap(fencedPtr->all, fencedPtr->allLength);
}

/*
 * The data of a write: byte i of it, for any i, so that a write of a
 * wild count can still be carried out on the bytes that stay.
 */

static unsigned char
DataByte(
    uint64_t i,
    unsigned seed)
{
    return (unsigned char) ((i * 131 + (i >> 8) * 7 + seed) & 0xFF);
}

/*
 * Carries out a write plan with memcpy from a buffer malloc'ed to exactly
 * the bytes the plan may take: all "count" of them when that is a size
 * memory can hold, else the last "length" ones (the only ones a cyclic
 * write keeps), so that a span outside them is an AddressSanitizer error.
 */

#define MAX_DATA ((uint64_t) 1 << 14)

static void
Execute(
    unsigned char *region,
    const MmapSpan spans[2],
    uint64_t count,
    uint64_t length,
    unsigned seed)
{
    uint64_t first = 0, held = count, i;
    unsigned char *buf;
    int k;

    if (count > MAX_DATA) {
	held = count < length ? count : length;
	first = count - held;
    }
    buf = malloc(held ? held : 1);
    MUST(buf != NULL);
    for (i = 0; i < held; i++) {
	buf[i] = DataByte(first + i, seed);
    }
    for (k = 0; k < 2; k++) {
	if (spans[k].count > 0) {
	    MUST(spans[k].bufOffset >= first);
	    memcpy(region + spans[k].mapOffset,
		    buf + (spans[k].bufOffset - first), spans[k].count);
	}
    }
    free(buf);
}

/*
 * The reference: a cyclic write is the bytes written one by one in a
 * circle.  For a count no loop can run through, only the last "length"
 * bytes are written, each where the circle puts it (every earlier byte
 * is overwritten by one of them).
 */

static void
ModelCyclic(
    unsigned char *model,
    uint64_t length,
    uint64_t *positionPtr,
    uint64_t count,
    unsigned seed)
{
    uint64_t position = *positionPtr % length, i = 0;

    if (count > MAX_DATA) {
	i = count - length;
	position = (uint64_t) (((u128) position + i) % length);
    }
    for (; i < count; i++) {
	model[position] = DataByte(i, seed);
	position = (position + 1 == length) ? 0 : position + 1;
    }
    *positionPtr = position;
}

enum { OP_SEEK, OP_READ, OP_CYCLIC, OP_LINEAR, OP_TELL, OP_WILD, OP_COUNT };

int
LLVMFuzzerTestOneInput(
    const uint8_t *data,
    size_t size)
{
    Input in = { data, size };
    uint64_t length, position = 0, modelPosition = 0, count, newPosition, i;
    unsigned char *model, *bytes;
    Fenced fenced;
    MmapSpan spans[2];
    unsigned seed;
    int err, op, ops = 0, cyclic;

    if (pageSize == 0) {
	pageSize = (size_t) sysconf(_SC_PAGESIZE);
    }

    /* Mostly small regions, so that wraps are frequent; up to 3 pages. */
    length = Take(&in, 2);
    length = (length & 0x8000) ? 1 + length % (3 * pageSize)
	    : 1 + length % 40;
    FenceCreate(&fenced, length, (int) (Take(&in, 1) & 1));

    /* The region starts with known bytes, the model with the same. */
    model = malloc(length);
    MUST(model != NULL);
    for (i = 0; i < length; i++) {
	model[i] = fenced.region[i] = (unsigned char) (i * 7 + 3);
    }

    while (in.size > 0 && ops++ < 2000) {
	op = (int) (Take(&in, 1) % OP_COUNT);
	switch (op) {
	case OP_SEEK: {
	    int64_t offset = TakeOffset(&in, length);
	    int whence = (int) (Take(&in, 1) % 4);
	    uint64_t modelNew = 0;
	    int modelErr;

	    newPosition = 12345;
	    err = MmapPlanSeek(length, position, offset, whence,
		    &newPosition);
	    modelErr = ModelSeek(length, modelPosition, offset, whence,
		    &modelNew);
	    MUST(err == modelErr);
	    if (err == 0) {
		MUST(newPosition == modelNew);
		position = newPosition;
		modelPosition = modelNew;
	    } else {
		MUST(newPosition == 12345);
	    }
	    break;
	}
	case OP_READ: {
	    uint64_t modelCount;

	    count = TakeCount(&in, length);
	    i = MmapReadCount(length, position, count);
	    modelCount = modelPosition >= length ? 0
		    : (count < length - modelPosition ? count
			    : length - modelPosition);
	    MUST(i == modelCount);
	    bytes = malloc(i ? i : 1);
	    MUST(bytes != NULL);
	    memcpy(bytes, fenced.region + position, i);
	    MUST(memcmp(bytes, model + modelPosition, i) == 0);
	    free(bytes);
	    position += i;
	    modelPosition += modelCount;
	    break;
	}
	case OP_CYCLIC:
	case OP_LINEAR:
	    cyclic = (op == OP_CYCLIC);
	    count = TakeCount(&in, length);
	    seed = (unsigned) Take(&in, 1);
	    memset(spans, 0xEE, sizeof(spans));
	    newPosition = 12345;
	    err = (cyclic ? MmapPlanCyclicWrite : MmapPlanLinearWrite)(
		    length, position, count, spans, &newPosition);
	    CheckPlanShape(cyclic, length, position, count, err, spans,
		    newPosition);
	    if (err != 0) {
		/* Refused: nothing moves (the model does not either). */
		MUST(!cyclic && newPosition == 12345);
		break;
	    }
	    Execute(fenced.region, spans, count, length, seed);
	    position = newPosition;
	    if (cyclic) {
		ModelCyclic(model, length, &modelPosition, count, seed);
	    } else {
		for (i = 0; i < count; i++) {
		    model[modelPosition++] = DataByte(i, seed);
		}
	    }
	    break;
	case OP_TELL:
	    MUST(position == modelPosition);
	    MUST(position <= length);
	    break;
	default:
	    WildArithmetic(&in);
	    break;
	}
	MUST(position == modelPosition);

	/* Every byte after every operation, but large regions less often. */
	if (length <= 256 || ops % 16 == 0) {
	    MUST(memcmp(fenced.region, model, length) == 0);
	}
    }
    MUST(memcmp(fenced.region, model, length) == 0);
    free(model);
    FenceDestroy(&fenced);
    return 0;
}
