/*
 * findcmd.c --
 *
 *	The Tcl face of the search core (scan.h): mmap::find and mmap::grep.
 *	Option parsing, the one guarded scan, and turning its offsets into
 *	Tcl values: only the results become values, the search itself runs
 *	in C over the mapped bytes.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "findcmd.h"
#include "access.h"
#include "errors.h"
#include "linesbatch.h"
#include "scan.h"

/* What both commands parse: the options, the channel, needle, window. */
typedef struct FindArgs {
    MmapChannel *mcPtr;
    const unsigned char *needle;
    Tcl_Size needleLength;
    uint64_t start, end;
    uint64_t max;		/* UINT64_MAX: no -max. */
    int flags;			/* MMAP_SCAN_* */
    int all, count, offsets;	/* -all, -count, -offsets. */
    Tcl_Obj *encodingObj;	/* -encoding, or NULL. */
} FindArgs;

enum {
    O_LAST, O_NOCASE, O_ALL, O_COUNT, O_OFFSETS, O_MAX, O_ENCODING
};

static int	ParseFindArgs(Tcl_Interp *interp, int objc,
		    Tcl_Obj *const objv[], const char *const options[],
		    const int codes[], const char *usage, FindArgs *argsPtr);
static int	GrowResults(void *clientData, uint64_t **resultsPtr,
		    uint64_t *roomPtr);
static int	RunScan(Tcl_Interp *interp, FindArgs *argsPtr,
		    MmapScan *scanPtr, uint64_t *local, uint64_t localRoom);

/*
 *----------------------------------------------------------------------
 *
 * ParseFindArgs --
 *
 *	Parses "?options? channelId needle ?start? ?end?".  options lists
 *	the command's option words, codes their O_* codes.  Channel names
 *	never start with "-": the first word that does not is the channel.
 *
 * Results:
 *	TCL_OK with *argsPtr filled, or TCL_ERROR.
 *
 * Side effects:
 *	None beyond the error.
 *
 *----------------------------------------------------------------------
 */

static int
ParseFindArgs(
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[],
    const char *const options[],
    const int codes[],
    const char *usage,
    FindArgs *argsPtr)
{
    int i, index;

    memset(argsPtr, 0, sizeof(*argsPtr));
    argsPtr->max = UINT64_MAX;
    for (i = 1; i < objc && Tcl_GetString(objv[i])[0] == '-'; i++) {
	if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	switch (codes[index]) {
	case O_LAST:	argsPtr->flags |= MMAP_SCAN_LAST;	break;
	case O_NOCASE:	argsPtr->flags |= MMAP_SCAN_NOCASE;	break;
	case O_ALL:	argsPtr->all = 1;			break;
	case O_COUNT:	argsPtr->count = 1;			break;
	case O_OFFSETS:	argsPtr->offsets = 1;			break;
	case O_MAX:
	    if (++i >= objc) {
		goto wrongArgs;
	    }
	    if (MmapGetSize(interp, objv[i], "max", 0, &argsPtr->max)
		    != TCL_OK) {
		return TCL_ERROR;
	    }
	    break;
	case O_ENCODING:
	    if (++i >= objc) {
		goto wrongArgs;
	    }
	    argsPtr->encodingObj = objv[i];
	    break;
	}
    }
    if (objc - i < 2 || objc - i > 4) {
	goto wrongArgs;
    }
    if (MmapChannelGet(interp, objv[i], &argsPtr->mcPtr) != TCL_OK) {
	return TCL_ERROR;
    }
    argsPtr->end = argsPtr->mcPtr->map.length;
    if ((objc - i > 2 && MmapGetSize(interp, objv[i + 2], "start", 0,
	    &argsPtr->start) != TCL_OK)
	    || (objc - i > 3 && MmapGetSize(interp, objv[i + 3], "end", 0,
		    &argsPtr->end) != TCL_OK)
	    || MmapChannelRange(interp, argsPtr->mcPtr, argsPtr->start, 0)
		    != TCL_OK
	    || MmapChannelRange(interp, argsPtr->mcPtr, argsPtr->end, 0)
		    != TCL_OK) {
	return TCL_ERROR;
    }
    if (argsPtr->end < argsPtr->start) {
	argsPtr->end = argsPtr->start;		/* An empty window. */
    }
    argsPtr->needle = MmapGetBytesFromObj(interp, objv[i + 1],
	    &argsPtr->needleLength);
    return (argsPtr->needle == NULL) ? TCL_ERROR : TCL_OK;

  wrongArgs:
    Tcl_WrongNumArgs(interp, 1, objv, usage);
    return TCL_ERROR;
}

/*
 * GrowResults: the scan's growProc; doubles the array, which starts as the
 * caller's local one (clientData points at it) and is then malloc'ed.
 * Refuses (the scan then stops, FULL) when memory runs out.
 */

static int
GrowResults(
    void *clientData,
    uint64_t **resultsPtr,
    uint64_t *roomPtr)
{
    uint64_t *local = clientData, *bigger;
    uint64_t room = *roomPtr * 2;

    if (room > SIZE_MAX / sizeof(uint64_t) / 2) {
	return 0;
    }
    if (*resultsPtr == local) {
	bigger = malloc(room * sizeof(uint64_t));
	if (bigger != NULL) {
	    memcpy(bigger, local, *roomPtr * sizeof(uint64_t));
	}
    } else {
	bigger = realloc(*resultsPtr, room * sizeof(uint64_t));
    }
    if (bigger == NULL) {
	return 0;
    }
    *resultsPtr = bigger;
    *roomPtr = room;
    return 1;
}

/*
 *----------------------------------------------------------------------
 *
 * RunScan --
 *
 *	Runs the scan once under the fault guard, with "local" as the first
 *	results array.
 *
 * Results:
 *	TCL_OK, or TCL_ERROR for a fault or memory that ran out; in every
 *	case scanPtr->results is local or a malloc'ed array the caller
 *	frees.
 *
 * Side effects:
 *	Reads the mapping.
 *
 *----------------------------------------------------------------------
 */

static int
RunScan(
    Tcl_Interp *interp,
    FindArgs *argsPtr,
    MmapScan *scanPtr,
    uint64_t *local,
    uint64_t localRoom)
{
    MmapChannel *mcPtr = argsPtr->mcPtr;
    Tcl_Obj *errorObj;

    memset(scanPtr, 0, sizeof(*scanPtr));
    scanPtr->base = mcPtr->map.base;
    scanPtr->length = mcPtr->map.length;
    scanPtr->start = argsPtr->start;
    scanPtr->end = argsPtr->end;
    scanPtr->needle = argsPtr->needle;
    scanPtr->needleLength = (uint64_t) argsPtr->needleLength;
    scanPtr->flags = argsPtr->flags;
    scanPtr->max = argsPtr->max;
    scanPtr->results = local;
    scanPtr->room = localRoom;
    scanPtr->growProc = GrowResults;
    scanPtr->growData = local;
    errorObj = MmapGuardedAccess(mcPtr, argsPtr->start,
	    argsPtr->end - argsPtr->start, MMAP_PAGE_READ
	    | ((argsPtr->flags & MMAP_SCAN_LINES) ? MMAP_ACCESS_ANYWHERE : 0),
	    "searching", MmapScanRun, scanPtr);
    if (errorObj != NULL) {
	return MmapSetFromOptions(interp, errorObj);
    }
    if (scanPtr->status == MMAP_SCAN_FULL) {
	return MmapPosixError(interp, ENOMEM, "search", mcPtr->name);
    }
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapFindObjCmd --
 *
 *	mmap::find ?-last? ?-nocase? ?-all? ?-count? ?-max n? channelId
 *	needle ?start? ?end?
 *
 * Results:
 *	The first (last) match's offset or -1; with -all the list of
 *	matches; with -count their number.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapFindObjCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    static const char *const options[] = {
	"-last", "-nocase", "-all", "-count", "-max", NULL
    };
    static const int codes[] = { O_LAST, O_NOCASE, O_ALL, O_COUNT, O_MAX };
    uint64_t local[64], i;
    FindArgs args;
    MmapScan scan;
    Tcl_Obj *listObj;
    int code;

    (void) clientData;
    if (ParseFindArgs(interp, objc, objv, options, codes, "?-last?"
	    " ?-nocase? ?-all? ?-count? ?-max n? channelId needle ?start?"
	    " ?end?", &args) != TCL_OK) {
	return TCL_ERROR;
    }
    if (args.count) {
	args.flags |= MMAP_SCAN_COUNT;
    } else if (!args.all && args.max > 1) {
	args.max = 1;
    }
    code = RunScan(interp, &args, &scan, local, 64);
    if (code == TCL_OK) {
	if (args.count) {
	    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(
		    (Tcl_WideInt) scan.count));
	} else if (!args.all) {
	    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(scan.count
		    ? (Tcl_WideInt) scan.results[0] : -1));
	} else {
	    listObj = Tcl_NewListObj(0, NULL);
	    for (i = 0; i < scan.count; i++) {
		Tcl_ListObjAppendElement(NULL, listObj,
			Tcl_NewWideIntObj((Tcl_WideInt) scan.results[i]));
	    }
	    Tcl_SetObjResult(interp, listObj);
	}
    }
    if (scan.results != local) {
	free(scan.results);
    }
    return code;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapGrepObjCmd --
 *
 *	mmap::grep ?-nocase? ?-count? ?-offsets? ?-max n? ?-last?
 *	?-encoding enc? channelId needle ?start? ?end?
 *
 *	The scan finds the lines; each is then copied out under the guard
 *	(no Tcl code runs on mapped memory) and decoded as mmap::lines
 *	decodes.
 *
 * Results:
 *	The matching lines, in file order; with -offsets {offset line ...};
 *	with -count their number.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapGrepObjCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    static const char *const options[] = {
	"-nocase", "-count", "-offsets", "-max", "-last", "-encoding", NULL
    };
    static const int codes[] = {
	O_NOCASE, O_COUNT, O_OFFSETS, O_MAX, O_LAST, O_ENCODING
    };
    uint64_t local[128], i, lineLength, copySize = 0;
    unsigned char *copy = NULL;
    Tcl_Encoding encoding = NULL;
    Tcl_Obj *listObj = NULL, *lineObj, *errorObj;
    FindArgs args;
    MmapScan scan;
    int code, ascii, profile;

    (void) clientData;
    if (ParseFindArgs(interp, objc, objv, options, codes, "?-nocase?"
	    " ?-count? ?-offsets? ?-max n? ?-last? ?-encoding enc? channelId"
	    " needle ?start? ?end?", &args) != TCL_OK) {
	return TCL_ERROR;
    }
    if (!args.count && MmapLinesEncoding(interp, args.mcPtr,
	    args.encodingObj, &encoding, &ascii, &profile) != TCL_OK) {
	return TCL_ERROR;
    }
    args.flags |= MMAP_SCAN_LINES | (args.count ? MMAP_SCAN_COUNT : 0);
    code = RunScan(interp, &args, &scan, local, 128);
    if (code == TCL_OK && args.count) {
	Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt) scan.count));
    } else if (code == TCL_OK) {
	listObj = Tcl_NewListObj(0, NULL);
	for (i = 0; i < scan.count && code == TCL_OK; i++) {
	    uint64_t lineStart = scan.results[2 * i];

	    lineLength = scan.results[2 * i + 1] - lineStart;
	    if (lineLength > LINE_MAX_BYTES) {
		code = MmapError(interp, "RANGE", "cannot read a line of %llu"
			" bytes at offset %llu: a Tcl value holds at most %d",
			(unsigned long long) lineLength,
			(unsigned long long) lineStart, INT_MAX);
		break;
	    }
	    if (lineLength > copySize) {
		ckfree(copy);
		copy = attemptckalloc((unsigned) lineLength + 1);
		copySize = (copy == NULL) ? 0 : lineLength;
		if (copy == NULL || !MmapCanAllocate(3 * lineLength)) {
		    code = MmapPosixError(interp, ENOMEM, "read",
			    args.mcPtr->name);
		    break;
		}
	    }
	    errorObj = MmapCopyOut(args.mcPtr, lineStart, copy, lineLength,
		    "reading");
	    if (errorObj != NULL) {
		code = MmapSetFromOptions(interp, errorObj);
		break;
	    }
	    lineObj = MmapLineObj(copy, lineLength, encoding, ascii, profile);
	    if (lineObj == NULL) {
		Tcl_SetErrno(EILSEQ);
		Tcl_SetObjResult(interp, Tcl_ObjPrintf("error reading \"%s\":"
			" %s at offset %llu", args.mcPtr->name,
			Tcl_PosixError(interp),
			(unsigned long long) lineStart));
		code = TCL_ERROR;
		break;
	    }
	    if (args.offsets) {
		Tcl_ListObjAppendElement(NULL, listObj,
			Tcl_NewWideIntObj((Tcl_WideInt) lineStart));
	    }
	    Tcl_ListObjAppendElement(NULL, listObj, lineObj);
	}
	if (code == TCL_OK) {
	    Tcl_SetObjResult(interp, listObj);
	} else {
	    Tcl_IncrRefCount(listObj);
	    Tcl_DecrRefCount(listObj);
	}
    }
    ckfree(copy);
    if (encoding != NULL) {
	Tcl_FreeEncoding(encoding);
    }
    if (scan.results != local) {
	free(scan.results);
    }
    return code;
}
