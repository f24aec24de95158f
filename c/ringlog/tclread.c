/*
 * tclread.c --
 *
 *	The consumer's side of a log command:
 *	    $log read ?-from seq? ?-count n? ?-last n? ?-wait ms?
 *	    $log cursor name ?seq?
 *	    $log cursors
 *	Argument parsing and results; the log itself is in read.c, wait.c
 *	and named.c.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <time.h>
#include "tclint.h"

/* What ReadVisit collects into, and how it decodes. */
typedef struct ReadState {
    Tcl_Obj *listObj;		/* {seq message ...} */
    Tcl_Encoding encoding;	/* The log's, or NULL for bytes. */
} ReadState;

static int	AsyncPending(void *clientData);
static int	GetCursorName(Tcl_Interp *interp, Tcl_Obj *nameObj,
		    const char **namePtr, size_t *lengthPtr);
static void	ListVisit(void *clientData, const char *name,
		    size_t length, uint64_t seq);
static int	ReadOnce(Tcl_Interp *interp, RinglogCmd *cmdPtr,
		    uint64_t from, uint64_t count, uint64_t last,
		    Tcl_Obj *listObj, uint64_t *oldestPtr);
static int	ReadVisit(void *clientData, uint64_t seq,
		    const unsigned char *bytes, size_t length);

#define READ_USAGE "?-from seq? ?-count n? ?-last n? ?-wait ms?"

/*
 *----------------------------------------------------------------------
 *
 * RlReadCmd --
 *
 *	"$log read ?-from seq? ?-count n? ?-last n? ?-wait ms?": of the
 *	records with sequence numbers from seq on (default: all), the
 *	newest "last" (default: all), of those the oldest "count" (default:
 *	all), oldest first.  With -wait, when there are none yet, waits up
 *	to ms milliseconds (-1: no limit) for an append by any process and
 *	then reads; {} on timeout.
 *
 * Results:
 *	A standard Tcl result: a flat list {seq message seq message ...}.
 *
 * Side effects:
 *	May sleep in the kernel.
 *
 *----------------------------------------------------------------------
 */

int
RlReadCmd(
    Tcl_Interp *interp,
    RinglogCmd *cmdPtr,
    int objc,
    Tcl_Obj *const objv[])
{
    static const char *const options[] = {
	"-from", "-count", "-last", "-wait", NULL
    };
    enum { O_FROM, O_COUNT, O_LAST, O_WAIT };
    MmapRinglogWaiter waiter;
    MmapRinglogError err;
    struct timespec now, deadline;
    Tcl_Obj *listObj;
    Tcl_WideInt wait = 0;
    uint64_t from = 0, count = UINT64_MAX, last = UINT64_MAX, oldest;
    int64_t left;
    Tcl_Size length;
    int i, index, status;

    for (i = 2; i < objc; i += 2) {
	if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	if (i + 1 >= objc) {
	    Tcl_WrongNumArgs(interp, 2, objv, READ_USAGE);
	    return TCL_ERROR;
	}
	switch (index) {
	case O_FROM:
	    status = MmapGetSize(interp, objv[i + 1], "sequence number", 0,
		    &from);
	    break;
	case O_COUNT:
	    status = MmapGetSize(interp, objv[i + 1], "count", 0, &count);
	    break;
	case O_LAST:
	    status = MmapGetSize(interp, objv[i + 1], "count", 0, &last);
	    break;
	default:
	    status = Tcl_GetWideIntFromObj(interp, objv[i + 1], &wait);
	    if (status == TCL_OK && wait < -1) {
		return MmapError(interp, "RANGE", "bad wait \"%s\": must be"
			" -1 (no limit) or a non-negative number of"
			" milliseconds", Tcl_GetString(objv[i + 1]));
	    }
	    break;
	}
	if (status != TCL_OK) {
	    return TCL_ERROR;
	}
    }

    listObj = Tcl_NewListObj(0, NULL);
    Tcl_IncrRefCount(listObj);
    if (ReadOnce(interp, cmdPtr, from, count, last, listObj, &oldest)
	    != TCL_OK) {
	goto error;
    }
    if (wait != 0) {
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t) (wait / 1000);
	deadline.tv_nsec += (long) (wait % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
	    deadline.tv_sec++;
	    deadline.tv_nsec -= 1000000000L;
	}
	waiter.fd = -1;
	waiter.stop = 0;
	waiter.interruptProc = AsyncPending;
	waiter.clientData = NULL;
    }

    /*
     * Nothing yet: wait until the log holds a record at or after both
     * -from and the oldest record now held (an empty log holds none),
     * then read again.  Records can be gone again by the time we read
     * (a burst of appends wrapped the log past them), hence the loop.
     */

    while (wait != 0 && count > 0 && last > 0
	    && (Tcl_ListObjLength(NULL, listObj, &length), length == 0)) {
	left = -1;
	if (wait > 0) {
	    clock_gettime(CLOCK_MONOTONIC, &now);
	    left = (int64_t) (deadline.tv_sec - now.tv_sec) * 1000
		    + (deadline.tv_nsec - now.tv_nsec) / 1000000L;
	    if (left <= 0) {
		break;
	    }
	}
	status = MmapRinglogWait(cmdPtr->logPtr, &waiter, (from > oldest)
		? from : oldest, left, NULL, &err);
	if (status == MMAP_RINGLOG_TIMEOUT
		|| status == MMAP_RINGLOG_INTERRUPTED) {
	    break;
	}
	if (status != MMAP_RINGLOG_OK) {
	    RlTclError(interp, cmdPtr->name, "waiting on", &err);
	    goto error;
	}
	if (ReadOnce(interp, cmdPtr, from, count, last, listObj, &oldest)
		!= TCL_OK) {
	    goto error;
	}
    }
    Tcl_SetObjResult(interp, listObj);
    Tcl_DecrRefCount(listObj);
    return TCL_OK;

  error:
    Tcl_DecrRefCount(listObj);
    return TCL_ERROR;
}

/*
 * AsyncPending --
 *	Whether a signal that interrupted a wait has a Tcl handler to run
 *	(TclX "signal trap", say): then the wait ends early, with what is
 *	held, so that the handler runs; other signals do not end it.
 */

static int
AsyncPending(
    void *clientData)
{
    (void) clientData;
    return Tcl_AsyncReady();
}

/*
 * ReadOnce --
 *	One read into listObj (which must be empty), with -last applied to
 *	a snapshot of the bounds; *oldestPtr is the oldest record then.
 */

static int
ReadOnce(
    Tcl_Interp *interp,
    RinglogCmd *cmdPtr,
    uint64_t from,
    uint64_t count,
    uint64_t last,
    Tcl_Obj *listObj,
    uint64_t *oldestPtr)
{
    MmapRinglogError err;
    MmapRinglogInfo info;
    ReadState state;

    if (MmapRinglogGetInfo(cmdPtr->logPtr, &info, &err)
	    != MMAP_RINGLOG_OK) {
	return RlTclError(interp, cmdPtr->name, "reading", &err);
    }
    *oldestPtr = info.oldestSeq;
    if (last != UINT64_MAX) {
	/* The newest "last" of the records from "from" on. */
	if (info.nextSeq - info.oldestSeq > last
		&& from < info.nextSeq - last) {
	    from = info.nextSeq - last;
	}
	if (count > last) {
	    count = last;
	}
    }
    state.listObj = listObj;
    state.encoding = cmdPtr->encoding;
    if (MmapRinglogRead(cmdPtr->logPtr, from, count, ReadVisit, &state,
	    NULL, &err) != MMAP_RINGLOG_OK) {
	Tcl_SetListObj(listObj, 0, NULL);
	return RlTclError(interp, cmdPtr->name, "reading", &err);
    }
    return TCL_OK;
}

static int
ReadVisit(
    void *clientData,
    uint64_t seq,
    const unsigned char *bytes,
    size_t length)
{
    ReadState *statePtr = clientData;
    Tcl_Obj *messageObj;
    Tcl_DString text;

    if (statePtr->encoding == NULL) {
	messageObj = Tcl_NewByteArrayObj(bytes, (Tcl_Size) length);
    } else {
	Tcl_ExternalToUtfDString(statePtr->encoding, (const char *) bytes,
		(Tcl_Size) length, &text);
	messageObj = Tcl_NewStringObj(Tcl_DStringValue(&text),
		Tcl_DStringLength(&text));
	Tcl_DStringFree(&text);
    }
    Tcl_ListObjAppendElement(NULL, statePtr->listObj,
	    Tcl_NewWideIntObj((Tcl_WideInt) seq));
    Tcl_ListObjAppendElement(NULL, statePtr->listObj, messageObj);
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * RlCursorCmd --
 *
 *	"$log cursor name ?seq?": the position stored under name (the
 *	oldest record held if there is none), or stores seq there.
 *
 * Results:
 *	A standard Tcl result: the position.
 *
 * Side effects:
 *	With seq, the header page of the log file.
 *
 *----------------------------------------------------------------------
 */

int
RlCursorCmd(
    Tcl_Interp *interp,
    RinglogCmd *cmdPtr,
    int objc,
    Tcl_Obj *const objv[])
{
    MmapRinglogError err;
    const char *name;
    size_t length;
    uint64_t seq;
    int found;

    if (objc != 3 && objc != 4) {
	Tcl_WrongNumArgs(interp, 2, objv, "name ?seq?");
	return TCL_ERROR;
    }
    if (GetCursorName(interp, objv[2], &name, &length) != TCL_OK) {
	return TCL_ERROR;
    }
    if (objc == 3) {
	if (MmapRinglogGetCursor(cmdPtr->logPtr, name, length, &seq,
		&found, &err) != MMAP_RINGLOG_OK) {
	    return RlTclError(interp, cmdPtr->name, "reading", &err);
	}
	Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt) seq));
	return TCL_OK;
    }
    if (MmapGetSize(interp, objv[3], "sequence number", 0, &seq) != TCL_OK) {
	return TCL_ERROR;
    }
    if (MmapRinglogSetCursor(cmdPtr->logPtr, name, length, seq, &err)
	    == MMAP_RINGLOG_OK) {
	Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt) seq));
	return TCL_OK;
    }
    switch (err.status) {
    case MMAP_RINGLOG_RANGE:
	return MmapError(interp, "RANGE", "bad position %s for cursor \"%s\":"
		" the next record of ring log \"%s\" is %" TCL_LL_MODIFIER
		"d", Tcl_GetString(objv[3]), Tcl_GetString(objv[2]),
		cmdPtr->name, (Tcl_WideInt) err.offset);
    case MMAP_RINGLOG_FULL:
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("no room for cursor \"%s\" in"
		" ring log \"%s\": all %d places are taken",
		Tcl_GetString(objv[2]), cmdPtr->name, MMAP_RINGLOG_CURSORS));
	Tcl_SetErrorCode(interp, "MMAP", "RINGLOG", "FULL", NULL);
	return TCL_ERROR;
    default:
	return RlTclError(interp, cmdPtr->name, "writing", &err);
    }
}

/*
 * GetCursorName --
 *	A cursor's name as bytes (UTF-8): 1 to MMAP_RINGLOG_NAME_MAX of
 *	them, else {MMAP RINGLOG NAME}.
 */

static int
GetCursorName(
    Tcl_Interp *interp,
    Tcl_Obj *nameObj,
    const char **namePtr,
    size_t *lengthPtr)
{
    Tcl_Size length;

    *namePtr = Tcl_GetStringFromObj(nameObj, &length);
    if (length == 0 || length > MMAP_RINGLOG_NAME_MAX) {
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("bad cursor name \"%s\": must"
		" be 1 to %d bytes long in UTF-8", *namePtr,
		MMAP_RINGLOG_NAME_MAX));
	Tcl_SetErrorCode(interp, "MMAP", "RINGLOG", "NAME", NULL);
	return TCL_ERROR;
    }
    *lengthPtr = (size_t) length;
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * RlCursorsCmd --
 *
 *	"$log cursors": every named cursor stored in the log, as a dict
 *	from name to position, in the order the names were first stored.
 *
 * Results:
 *	A standard Tcl result.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
RlCursorsCmd(
    Tcl_Interp *interp,
    RinglogCmd *cmdPtr)
{
    MmapRinglogError err;
    Tcl_Obj *dictObj = Tcl_NewDictObj();

    Tcl_IncrRefCount(dictObj);
    if (MmapRinglogListCursors(cmdPtr->logPtr, ListVisit, dictObj, &err)
	    != MMAP_RINGLOG_OK) {
	Tcl_DecrRefCount(dictObj);
	return RlTclError(interp, cmdPtr->name, "reading", &err);
    }
    Tcl_SetObjResult(interp, dictObj);
    Tcl_DecrRefCount(dictObj);
    return TCL_OK;
}

static void
ListVisit(
    void *clientData,
    const char *name,
    size_t length,
    uint64_t seq)
{
    Tcl_DictObjPut(NULL, (Tcl_Obj *) clientData,
	    Tcl_NewStringObj(name, (Tcl_Size) length),
	    Tcl_NewWideIntObj((Tcl_WideInt) seq));
}
