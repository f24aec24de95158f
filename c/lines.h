/*
 * lines.h --
 *
 *	The scanner behind mmap::lines: finds where the lines that start at
 *	a byte offset of mapped memory end, so that the command can copy
 *	exactly those bytes out of the mapping and decode them.  The scan
 *	runs under the fault guard (MmapGuardedAccess); nothing here touches
 *	Tcl, so the C tests and the fuzzer can drive it directly.
 *
 *	A line ends after a '\n'; the last line of the mapping needs none.
 *	The caller drops the '\n' and a '\r' right before it.
 */

#ifndef MMAP_LINES_H
#define MMAP_LINES_H

#include <stddef.h>
#include <stdint.h>

/*
 * One scan, in a form MmapGuardedCall can run.  The caller fills in the
 * inputs; MmapLinesScan sets the outputs.  "window" bounds how far one
 * scan may look, so that the bytes to copy afterwards stay small (and in
 * cache); a line longer than the window is found by scanning again with
 * a larger window and "skip" set to what is known to hold no newline.
 */

typedef struct MmapLineScan {
    const unsigned char *start;	/* In: the first byte of the first line. */
    uint64_t window;		/* In: bytes from start that may be read. */
    int atEnd;			/* In: the window ends where the mapping
				 * does, so an unterminated tail is a line. */
    uint64_t skip;		/* In: the first line has no '\n' in its first
				 * skip bytes (skip <= window).  Out: when no
				 * line was found, the bytes now known to
				 * hold none (the whole window). */
    uint64_t maxLines;		/* In: stop after this many lines (> 0). */
    uint64_t *ends;		/* In: room for maxLines offsets.  Out: for
				 * each line, the offset from start just past
				 * it (past its '\n'). */
    uint64_t count;		/* Out: lines found. */
} MmapLineScan;

void		MmapLinesScan(void *scanPtr);
int		MmapLinesAscii(const unsigned char *bytes, size_t length);
int		MmapLinesAsciiCompatible(const char *encodingName);

/*
 *----------------------------------------------------------------------
 *
 * MmapLineContent --
 *
 *	The length of a line without its '\n' and a '\r' right before it.
 *	A '\r' that ends the mapping's last line, with no '\n' after it,
 *	stays: only "\r\n" is a line ending.  Inline: it runs once a line.
 *
 * Results:
 *	The content length.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

static inline size_t
MmapLineContent(
    const unsigned char *line,
    size_t length)
{
    if (length > 0 && line[length - 1] == '\n') {
	length--;
	if (length > 0 && line[length - 1] == '\r') {
	    length--;
	}
    }
    return length;
}

#endif /* MMAP_LINES_H */
