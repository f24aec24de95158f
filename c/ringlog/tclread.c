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
		    char *buf, const char **namePtr, size_t *lengthPtr);
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
    uint64_t target, seen = 0;
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
     * then read again.  The read can still find nothing (a burst of
     * appends wrapped the log past the records, or they are damaged):
     * then wait for appends after those, never for the same ones again.
     */

    target = (from > oldest) ? from : oldest;
    while (wait != 0 && count > 0 && last > 0
	    && (Tcl_ListObjLength(NULL, listObj, &length), length == 0)) {
	left = -1;
	if (wait > 0) {
	    /* In whole milliseconds, rounded up: never end early. */
	    clock_gettime(CLOCK_MONOTONIC, &now);
	    left = (int64_t) (deadline.tv_sec - now.tv_sec) * 1000000000
		    + (deadline.tv_nsec - now.tv_nsec);
	    if (left <= 0) {
		break;
	    }
	    left = (left + 999999) / 1000000;
	}
	status = MmapRinglogWait(cmdPtr->logPtr, &waiter, target, left,
		&seen, &err);
	if (status == MMAP_RINGLOG_OK && seen > target) {
	    target = seen;
	}
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
 *	-last counts records returned, as -count does: when damaged records
 *	are skipped, it reads further back for the ones missing.
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
    Tcl_Size length, keep;
    uint64_t start, got;

    if (MmapRinglogGetInfo(cmdPtr->logPtr, &info, &err)
	    != MMAP_RINGLOG_OK) {
	return RlTclError(interp, cmdPtr->name, "reading", &err);
    }
    *oldestPtr = info.oldestSeq;
    state.listObj = listObj;
    state.encoding = cmdPtr->encoding;
    if (last == UINT64_MAX) {
	if (MmapRinglogRead(cmdPtr->logPtr, from, count, ReadVisit, &state,
		NULL, &err) != MMAP_RINGLOG_OK) {
	    goto error;
	}
	return TCL_OK;
    }

    /*
     * The newest "last" of the records from "from" on: start "last"
     * sequence numbers back, and further while damage left fewer.
     */

    start = from;
    if (info.nextSeq - info.oldestSeq > last && start < info.nextSeq - last) {
	start = info.nextSeq - last;
    }
    for (;;) {
	Tcl_SetListObj(listObj, 0, NULL);
	if (MmapRinglogRead(cmdPtr->logPtr, start, UINT64_MAX, ReadVisit,
		&state, NULL, &err) != MMAP_RINGLOG_OK) {
	    goto error;
	}
	Tcl_ListObjLength(NULL, listObj, &length);
	got = (uint64_t) length / 2;
	if (got >= last || start <= from || start <= info.oldestSeq) {
	    break;
	}
	start = (start - from > last - got) ? start - (last - got) : from;
    }

    /* Keep the newest "last", then the oldest "count" of those. */
    keep = (got > last) ? (Tcl_Size) last : (Tcl_Size) got;
    if (keep < (Tcl_Size) got) {
	Tcl_ListObjReplace(NULL, listObj, 0, (Tcl_Size) (got - keep) * 2,
		0, NULL);
    }
    if (count < (uint64_t) keep) {
	Tcl_ListObjReplace(NULL, listObj, (Tcl_Size) count * 2,
		(Tcl_Size) (keep - (Tcl_Size) count) * 2, 0, NULL);
    }
    return TCL_OK;

  error:
    Tcl_SetListObj(listObj, 0, NULL);
    return RlTclError(interp, cmdPtr->name, "reading", &err);
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
    char nameBuf[MMAP_RINGLOG_NAME_MAX];
    const char *name;
    size_t length;
    uint64_t seq;
    int found;

    if (objc != 3 && objc != 4) {
	Tcl_WrongNumArgs(interp, 2, objv, "name ?seq?");
	return TCL_ERROR;
    }
    if (GetCursorName(interp, objv[2], nameBuf, &name, &length) != TCL_OK) {
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
 *	them, else {MMAP RINGLOG NAME}.  Tcl keeps NUL as the two bytes C0
 *	80; the file gets UTF-8's one, through buf.
 */

static int
GetCursorName(
    Tcl_Interp *interp,
    Tcl_Obj *nameObj,
    char *buf,
    const char **namePtr,
    size_t *lengthPtr)
{
    const char *string;
    Tcl_Size length, i, n = 0;

    string = Tcl_GetStringFromObj(nameObj, &length);
    for (i = 0; i < length && n <= MMAP_RINGLOG_NAME_MAX; i++, n++) {
	if (n < MMAP_RINGLOG_NAME_MAX) {
	    buf[n] = string[i];
	}
	if ((unsigned char) string[i] == 0xC0 && i + 1 < length
		&& (unsigned char) string[i + 1] == 0x80) {
	    if (n < MMAP_RINGLOG_NAME_MAX) {
		buf[n] = '\0';
	    }
	    i++;
	}
    }
    if (n == 0 || n > MMAP_RINGLOG_NAME_MAX) {
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("bad cursor name \"%s\": must"
		" be 1 to %d bytes long in UTF-8", string,
		MMAP_RINGLOG_NAME_MAX));
	Tcl_SetErrorCode(interp, "MMAP", "RINGLOG", "NAME", NULL);
	return TCL_ERROR;
    }
    *namePtr = buf;
    *lengthPtr = (size_t) n;
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
    char buf[2 * MMAP_RINGLOG_NAME_MAX];
    size_t i, n = 0;

    /* UTF-8's NUL back to Tcl's C0 80 (GetCursorName does the reverse). */
    for (i = 0; i < length; i++) {
	if (name[i] == '\0') {
	    buf[n++] = (char) 0xC0;
	    buf[n++] = (char) 0x80;
	} else {
	    buf[n++] = name[i];
	}
    }
    Tcl_DictObjPut(NULL, (Tcl_Obj *) clientData,
	    Tcl_NewStringObj(buf, (Tcl_Size) n),
	    Tcl_NewWideIntObj((Tcl_WideInt) seq));
}
