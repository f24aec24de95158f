/*
 * lines.c --
 *
 *	Line scanning for mmap::lines (see lines.h): memchr, which glibc
 *	vectorises, finds each '\n'; the rest is bookkeeping.  Also the two
 *	tests that let the command skip the encoding machinery for the
 *	common case of a pure-ASCII line in an ASCII-compatible encoding.
 */

#include <string.h>
#include "lines.h"

/*
 *----------------------------------------------------------------------
 *
 * MmapLinesScan --
 *
 *	Finds up to maxLines lines from start, looking no further than
 *	window bytes.  A line without its '\n' inside the window is not
 *	counted, unless the window reaches the end of the mapping (atEnd):
 *	then the tail is the last line.
 *
 * Results:
 *	None; count and ends are set.  When count is 0 and the window is
 *	not at the end, the first line is longer than the window and skip
 *	is set to the window, so that a scan with a larger window goes on
 *	where this one stopped.
 *
 * Side effects:
 *	Reads mapped memory, possibly faulting (under the caller's guard).
 *
 *----------------------------------------------------------------------
 */

void
MmapLinesScan(
    void *clientData)
{
    MmapLineScan *scanPtr = clientData;
    const unsigned char *start = scanPtr->start;
    const unsigned char *end = start + scanPtr->window;
    const unsigned char *from = start + scanPtr->skip;
    uint64_t count = 0;

    while (count < scanPtr->maxLines && from < end) {
	const unsigned char *newline = memchr(from, '\n', (size_t) (end - from));

	if (newline == NULL) {
	    break;
	}
	from = newline + 1;
	scanPtr->ends[count++] = (uint64_t) (from - start);
    }

    /*
     * The bytes after the last newline: the final line of the mapping if
     * the window reaches its end, else the start of a line that the next
     * scan (or, for a first line, a wider one) will finish.
     */

    if (count < scanPtr->maxLines && from < end && scanPtr->atEnd) {
	scanPtr->ends[count++] = scanPtr->window;
    } else if (count == 0) {
	scanPtr->skip = scanPtr->window;
    }
    scanPtr->count = count;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapLinesAscii --
 *
 *	Tells whether every byte is in 1..127: such bytes are the same in
 *	Tcl's internal string form as in any ASCII-compatible encoding (NUL
 *	is not: Tcl holds it as two bytes).  Eight bytes at a time.
 *
 * Results:
 *	1 if so, else 0.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapLinesAscii(
    const unsigned char *bytes,
    size_t length)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t highs = 0x8080808080808080ULL;
    uint64_t any = 0, word;
    size_t i = 0;

    /*
     * No early exit: callers test whole batches of lines that are almost
     * always ASCII, and a branch-free loop is what the compiler turns into
     * vector code.  A byte fails when its high bit is set or it is zero.
     */

#ifdef __GNUC__
    {
	typedef unsigned char Bytes16 __attribute__((vector_size(16)));
	Bytes16 v, acc = {0}, zero = {0};
	uint64_t halves[2];

	for (; i + 16 <= length; i += 16) {
	    memcpy(&v, bytes + i, 16);
	    acc |= v | (Bytes16) (v == zero);	/* == gives 0 or 0xFF. */
	}
	memcpy(halves, &acc, 16);
	any = halves[0] | halves[1];
    }
#endif

    /*
     * Eight bytes at a time: (word - ones) & ~word has the high bit set in
     * every byte that was zero, and in no other once bytes with the high
     * bit set (which fail anyway) are excluded.
     */

    for (; i + 8 <= length; i += 8) {
	memcpy(&word, bytes + i, 8);
	any |= word | ((word - ones) & ~word);
    }
    if (i < length) {
	word = ones;		/* Pad the tail with harmless bytes. */
	memcpy(&word, bytes + i, length - i);
	any |= word | ((word - ones) & ~word);
    }
    return (any & highs) == 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapLinesAsciiCompatible --
 *
 *	Tells whether an encoding decodes bytes 1..127 to the same
 *	characters, whatever surrounds them, so that a pure-ASCII line may
 *	skip decoding.  Only well-known stateless single-byte encodings and
 *	UTF-8 qualify; stateful ones (iso2022, where ESC switches character
 *	sets) and multi-byte ones (shiftjis, where a second byte may be in
 *	0x40..0x7E) take the general path.
 *
 * Results:
 *	1 if so, else 0.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapLinesAsciiCompatible(
    const char *name)
{
    return strcmp(name, "utf-8") == 0 || strcmp(name, "ascii") == 0
	    || strcmp(name, "binary") == 0
	    || strncmp(name, "iso8859-", 8) == 0
	    || strncmp(name, "cp125", 5) == 0
	    || strncmp(name, "koi8-", 5) == 0;
}
