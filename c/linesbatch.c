/*
 * linesbatch.c --
 *
 *	The Tcl side of mmap::lines: which encoding to decode with, a line as
 *	a Tcl string, and the guarded scan of one batch of lines (the scan
 *	itself, without Tcl, is in lines.c).
 */

#include <string.h>
#include "linesbatch.h"
#include "errors.h"
#include "region.h"

/*
 * MmapLinesEncoding: the encoding lines are decoded with: -encoding, or
 * else the channel's own.  "binary" is no encoding to Tcl: its bytes
 * are characters U+0000-U+00FF, which is what iso8859-1 makes of
 * them.  *asciiPtr tells whether pure-ASCII lines may skip decoding.
 * *profilePtr gets the channel's -profile as encoding flags (Tcl 9: a
 * line is decoded as the channel would read it; strict refuses bytes
 * the encoding does not have); 0 on Tcl 8.6, which has no profiles.
 */

int
MmapLinesEncoding(
    Tcl_Interp *interp,
    MmapChannel *mcPtr,
    Tcl_Obj *nameObj,
    Tcl_Encoding *encodingPtr,
    int *asciiPtr,
    int *profilePtr)
{
    Tcl_DString ds;
    const char *name;
    int code = TCL_OK;

    *profilePtr = 0;
#ifdef TCL_ENCODING_PROFILE_STRICT
    Tcl_DStringInit(&ds);
    *profilePtr = TCL_ENCODING_PROFILE_STRICT;
    if (Tcl_GetChannelOption(NULL, mcPtr->channel, "-profile", &ds)
	    == TCL_OK) {
	if (strcmp(Tcl_DStringValue(&ds), "tcl8") == 0) {
	    *profilePtr = TCL_ENCODING_PROFILE_TCL8;
	} else if (strcmp(Tcl_DStringValue(&ds), "replace") == 0) {
	    *profilePtr = TCL_ENCODING_PROFILE_REPLACE;
	}
    }
    Tcl_DStringFree(&ds);
#endif

    Tcl_DStringInit(&ds);
    if (nameObj != NULL) {
	name = Tcl_GetString(nameObj);
    } else {
	Tcl_GetChannelOption(NULL, mcPtr->channel, "-encoding", &ds);
	name = Tcl_DStringValue(&ds);
    }
    *asciiPtr = MmapLinesAsciiCompatible(name);
    if (strcmp(name, "binary") == 0) {
	name = "iso8859-1";
    }
    *encodingPtr = Tcl_GetEncoding(interp, name);
    if (*encodingPtr == NULL) {
	code = TCL_ERROR;
    }
    Tcl_DStringFree(&ds);
    return code;
}

/*
 * MmapLineObj: one line, without its line ending, as a Tcl string.  ascii
 * is 2 when the whole batch is known to be ASCII, 1 when pure-ASCII
 * lines may skip decoding, 0 when every line must be decoded.  NULL for
 * a line the profile (MmapLinesEncoding) refuses.
 */

Tcl_Obj *
MmapLineObj(
    const unsigned char *line,
    size_t length,
    Tcl_Encoding encoding,
    int ascii,
    int profile)
{
    Tcl_DString ds;
    Tcl_Obj *lineObj;

    length = MmapLineContent(line, length);
    if (ascii == 2 || (ascii == 1 && MmapLinesAscii(line, length))) {
	return Tcl_NewStringObj((const char *) line, (int) length);
    }
#ifdef TCL_ENCODING_PROFILE_STRICT
    if (Tcl_ExternalToUtfDStringEx(NULL, encoding, (const char *) line,
	    (Tcl_Size) length, profile, &ds, NULL) != TCL_OK) {
	Tcl_DStringFree(&ds);
	return NULL;
    }
#else
    (void) profile;
    Tcl_ExternalToUtfDString(encoding, (const char *) line, (int) length,
	    &ds);
#endif
    lineObj = Tcl_NewStringObj(Tcl_DStringValue(&ds),
	    Tcl_DStringLength(&ds));
    Tcl_DStringFree(&ds);
    return lineObj;
}

/*
 * MmapScanLines: the next batch of at most maxLines lines from position,
 * widening the window over a long first line.  As read does, it hands
 * out what lies before a bad page (a protected one, or one a
 * truncation took away) and fails only when the first line reaches
 * into it: the window is cut short there and scanned again.  The
 * error names the first byte of the scan in the bad page.
 */

Tcl_Obj *
MmapScanLines(
    MmapChannel *mcPtr,
    uint64_t position,
    uint64_t maxLines,
    uint64_t *ends,
    uint64_t *countPtr)
{
    MmapMap *mapPtr = &mcPtr->map;
    MmapLineScan scan;
    MmapFault fault, cutBy = MMAP_FAULT_NONE;
    uint64_t window = LINE_WINDOW, available, bad;
    uintptr_t addr;

    available = mapPtr->length - position;
    scan.start = mapPtr->base + position;
    scan.skip = 0;
    scan.maxLines = maxLines;
    scan.ends = ends;
    for (;;) {
	if (cutBy == MMAP_FAULT_NONE) {
	    scan.window = (window < available) ? window : available;
	    if (!MmapMapAccessible(mapPtr, position, scan.window,
		    MMAP_PAGE_READ, &bad)) {
		scan.window = bad - position;
		cutBy = MMAP_FAULT_ACCESS;
	    }
	}
	scan.atEnd = (cutBy == MMAP_FAULT_NONE
		&& scan.window == available);
	fault = (scan.window == 0) ? cutBy : MmapGuardedCall(
		MmapLinesScan, &scan, mapPtr->area, mapPtr->areaLength,
		&addr);
	if (fault != MMAP_FAULT_NONE && scan.window > 0) {
	    /*
	     * Cut the window at the start of the page that faulted (or
	     * at the position, if that is in the page), and try again.
	     */

	    uint64_t cut = MmapAlignDown((uint64_t) (addr
		    - (uintptr_t) mapPtr->area), MmapPageSize());

	    cut = (cut > mapPtr->delta + position)
		    ? cut - mapPtr->delta - position : 0;
	    scan.window = (cut < scan.window) ? cut : scan.window - 1;
	    cutBy = fault;
	    continue;
	}
	if (fault == MMAP_FAULT_NONE && scan.count > 0) {
	    *countPtr = scan.count;
	    return NULL;
	}
	if (cutBy != MMAP_FAULT_NONE) {
	    return MmapFaultOptions("reading", mcPtr->name, cutBy,
		    position + scan.window);
	}
	window *= 2;
    }
}
