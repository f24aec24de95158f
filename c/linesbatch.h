/*
 * linesbatch.h --
 *
 *	mmap::lines in batches (see linesbatch.c), for the command in
 *	mmap.tcl.
 */

#ifndef MMAP_LINESBATCH_H
#define MMAP_LINESBATCH_H

#include <limits.h>
#include <stdint.h>
#include "access.h"
#include "lines.h"

/*
 * Lines are found in batches: one guarded scan finds up to LINE_BATCH
 * lines in at most LINE_WINDOW bytes, one guarded copy brings exactly
 * those bytes out of the mapping, and they are decoded from the copy,
 * so that no Tcl code ever runs on mapped memory.  The window keeps
 * the copy in cache; a longer line widens it as far as the line goes.
 * A Tcl string holds at most INT_MAX bytes, and decoding may make a
 * line up to three times longer (one byte of cp1252 can become three
 * of UTF-8), hence LINE_MAX_BYTES; a list holds at most about
 * INT_MAX/8 elements, hence LINE_MAX_COUNT (a larger -max returns as
 * many, and nextVar tells where to go on).
 */

#define LINE_BATCH      1024
#define LINE_WINDOW     65536
#define LINE_MAX_BYTES  ((uint64_t) INT_MAX / 3)
#define LINE_MAX_COUNT  ((uint64_t) INT_MAX / 16)

int		MmapLinesEncoding(Tcl_Interp *interp, MmapChannel *mcPtr,
		    Tcl_Obj *nameObj, Tcl_Encoding *encodingPtr,
		    int *asciiPtr, int *profilePtr);
Tcl_Obj *	MmapLineObj(const unsigned char *line, size_t length,
		    Tcl_Encoding encoding, int ascii, int profile);
Tcl_Obj *	MmapScanLines(MmapChannel *mcPtr, uint64_t position,
		    uint64_t maxLines, uint64_t *ends, uint64_t *countPtr);

#endif /* MMAP_LINESBATCH_H */
