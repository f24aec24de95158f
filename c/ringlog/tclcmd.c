/*
 * tclcmd.c --
 *
 *	The Tcl face of the ring log: "mmap::ringlog create|open", and the
 *	command of each open log (append, bounds, stats, sync, close; read
 *	and cursors are in tclread.c, notify in tclnotify.c).  Argument
 *	parsing and error reporting only; the log itself is in the files
 *	below (internal.h).  Messages are byte arrays both ways, so any bytes go in
 *	and come back out unchanged; a log opened with -encoding converts
 *	text messages to that encoding on the way in and back on the way
 *	out.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "tclcmd.h"
#include "tclint.h"

static unsigned ringlogCounter = 0;

static int	CreateCmd(Tcl_Interp *interp, int objc,
		    Tcl_Obj *const objv[]);
static void	LogDeleteProc(ClientData clientData);
static int	LogObjCmd(ClientData clientData, Tcl_Interp *interp,
		    int objc, Tcl_Obj *const objv[]);
static int	OpenCmd(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[]);
static int	GetMessages(Tcl_Interp *interp, RinglogCmd *cmdPtr,
		    int objc, Tcl_Obj *const objv[],
		    MmapRinglogMessage *messages, Tcl_DString *texts);

static int	StatsCmd(Tcl_Interp *interp, RinglogCmd *cmdPtr);

/*
 *----------------------------------------------------------------------
 *
 * MmapRinglogObjCmd --
 *
 *	Implements "mmap::ringlog create path -size bytes ?-force?" and
 *	"mmap::ringlog open path ?-readonly?".
 *
 * Results:
 *	A standard Tcl result: empty for create, the new log command's
 *	name for open.
 *
 * Side effects:
 *	See CreateCmd and OpenCmd.
 *
 *----------------------------------------------------------------------
 */

int
MmapRinglogObjCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    static const char *const subcommands[] = { "create", "open", NULL };
    enum { SUB_CREATE, SUB_OPEN };
    int index;

    (void) clientData;
    if (objc < 2) {
	Tcl_WrongNumArgs(interp, 1, objv, "subcommand path ?arg ...?");
	return TCL_ERROR;
    }
    if (Tcl_GetIndexFromObj(interp, objv[1], subcommands, "subcommand", 0,
	    &index) != TCL_OK) {
	return TCL_ERROR;
    }
    return (index == SUB_CREATE) ? CreateCmd(interp, objc, objv)
	    : OpenCmd(interp, objc, objv);
}

/*
 *----------------------------------------------------------------------
 *
 * CreateCmd --
 *
 *	"mmap::ringlog create path -size bytes ?-force?": makes an empty
 *	log of that many bytes in all (rounded up to a multiple of 8).
 *
 * Results:
 *	A standard Tcl result, empty on success.
 *
 * Side effects:
 *	The file; with -force it replaces what was there (processes using
 *	the old file keep it until they close it).
 *
 *----------------------------------------------------------------------
 */

static int
CreateCmd(
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    static const char *const options[] = { "-size", "-force", NULL };
    enum { O_SIZE, O_FORCE };
    MmapRinglogError err;
    const char *nativePath;
    uint64_t size = 0;
    int i, index, force = 0, haveSize = 0;

    if (objc < 3) {
	goto wrongArgs;
    }
    for (i = 3; i < objc; i++) {
	if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	if (index == O_FORCE) {
	    force = 1;
	    continue;
	}
	if (++i >= objc) {
	    goto wrongArgs;
	}
	if (MmapGetSize(interp, objv[i], "size", 1, &size) != TCL_OK) {
	    return TCL_ERROR;
	}
	haveSize = 1;
    }
    if (!haveSize) {
	goto wrongArgs;
    }
    if (size < MMAP_RINGLOG_MIN_SIZE) {
	return MmapError(interp, "RANGE", "bad size \"%s\": a ring log needs"
		" at least %d bytes", Tcl_GetString(objv[i - 1]),
		MMAP_RINGLOG_MIN_SIZE);
    }
    nativePath = Tcl_FSGetNativePath(objv[2]);
    if (nativePath == NULL) {
	return MmapPosixError(interp, ENOENT, "create ring log",
		Tcl_GetString(objv[2]));
    }
    if (MmapRinglogCreate(nativePath, size, force, &err)
	    != MMAP_RINGLOG_OK) {
	return RlTclError(interp, Tcl_GetString(objv[2]), "create", &err);
    }
    return TCL_OK;

  wrongArgs:
    Tcl_WrongNumArgs(interp, 2, objv, "path -size bytes ?-force?");
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * OpenCmd --
 *
 *	"mmap::ringlog open path ?-readonly?": opens a log and makes its
 *	command.
 *
 * Results:
 *	A standard Tcl result: the command's fully qualified name.
 *
 * Side effects:
 *	A new command in ::mmap, owning an open file and a mapping.
 *
 *----------------------------------------------------------------------
 */

static int
OpenCmd(
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    static const char *const options[] = { "-readonly", "-encoding", NULL };
    enum { O_READONLY, O_ENCODING };
    MmapRinglogError err;
    Tcl_CmdInfo info;
    RinglogCmd *cmdPtr;
    MmapRinglog *logPtr;
    Tcl_Encoding encoding = NULL;
    const char *nativePath;
    int i, index, readOnly = 0;

    if (objc < 3) {
	goto wrongArgs;
    }
    for (i = 3; i < objc; i++) {
	if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0,
		&index) != TCL_OK) {
	    goto error;
	}
	if (index == O_READONLY) {
	    readOnly = 1;
	    continue;
	}
	if (++i >= objc) {
	    goto wrongArgs;
	}
	if (encoding != NULL) {
	    Tcl_FreeEncoding(encoding);
	}
	encoding = Tcl_GetEncoding(interp, Tcl_GetString(objv[i]));
	if (encoding == NULL) {
	    return TCL_ERROR;
	}
    }
    nativePath = Tcl_FSGetNativePath(objv[2]);
    if (nativePath == NULL) {
	MmapPosixError(interp, ENOENT, "open ring log",
		Tcl_GetString(objv[2]));
	goto error;
    }
    logPtr = MmapRinglogOpen(nativePath, readOnly, &err);
    if (logPtr == NULL) {
	RlTclError(interp, Tcl_GetString(objv[2]), "open", &err);
	goto error;
    }

    cmdPtr = (RinglogCmd *) ckalloc(sizeof(RinglogCmd));
    cmdPtr->logPtr = logPtr;
    cmdPtr->interp = interp;
    cmdPtr->notifierPtr = NULL;
    cmdPtr->encoding = encoding;
    cmdPtr->pathObj = objv[2];
    Tcl_IncrRefCount(cmdPtr->pathObj);
    do {
	sprintf(cmdPtr->name, "::mmap::ringlog%u",
		__atomic_add_fetch(&ringlogCounter, 1, __ATOMIC_RELAXED));
    } while (Tcl_GetCommandInfo(interp, cmdPtr->name, &info));
    cmdPtr->token = Tcl_CreateObjCommand(interp, cmdPtr->name, LogObjCmd,
	    cmdPtr, LogDeleteProc);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(cmdPtr->name, -1));
    return TCL_OK;

  wrongArgs:
    Tcl_WrongNumArgs(interp, 2, objv, "path ?-readonly? ?-encoding enc?");
  error:
    if (encoding != NULL) {
	Tcl_FreeEncoding(encoding);
    }
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * LogDeleteProc --
 *
 *	Closes a log when its command goes, however it goes.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Stops notify, unmaps and closes the file, frees the command's
 *	data.
 *
 *----------------------------------------------------------------------
 */

static void
LogDeleteProc(
    ClientData clientData)
{
    RinglogCmd *cmdPtr = clientData;

    RlNotifyStop(cmdPtr);
    MmapRinglogClose(cmdPtr->logPtr);
    Tcl_DecrRefCount(cmdPtr->pathObj);
    if (cmdPtr->encoding != NULL) {
	Tcl_FreeEncoding(cmdPtr->encoding);
    }
    ckfree(cmdPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * LogObjCmd --
 *
 *	The command of one log:
 *	    $log append message ?message ...?	-> seq of the last one
 *	    $log read ?-from seq? ?-count n? ?-last n? ?-wait ms?
 *						-> {seq message ...}
 *	    $log cursor name ?seq?		-> a named position
 *	    $log cursors				-> {name seq ...}
 *	    $log notify ?script?		-> run script on appends
 *	    $log bounds				-> {oldestSeq nextSeq}
 *	    $log stats				-> dict
 *	    $log sync				-> flush to disk
 *	    $log close
 *
 * Results:
 *	A standard Tcl result.
 *
 * Side effects:
 *	See the subcommands.
 *
 *----------------------------------------------------------------------
 */

static int
LogObjCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    static const char *const subcommands[] = {
	"append", "bounds", "close", "cursor", "cursors", "notify", "read",
	"stats", "sync", NULL
    };
    enum { SUB_APPEND, SUB_BOUNDS, SUB_CLOSE, SUB_CURSOR, SUB_CURSORS,
	SUB_NOTIFY, SUB_READ, SUB_STATS, SUB_SYNC };
    RinglogCmd *cmdPtr = clientData;
    MmapRinglogMessage staticMessages[8], *messages;
    Tcl_DString staticTexts[8], *texts;
    MmapRinglogError err;
    MmapRinglogInfo info;
    Tcl_Obj *pair[2];
    uint64_t seq = 0;
    int index, i, length, status;

    if (objc < 2) {
	Tcl_WrongNumArgs(interp, 1, objv, "subcommand ?arg ...?");
	return TCL_ERROR;
    }
    if (Tcl_GetIndexFromObj(interp, objv[1], subcommands, "subcommand", 0,
	    &index) != TCL_OK) {
	return TCL_ERROR;
    }
    if (index == SUB_APPEND) {
	if (objc < 3) {
	    Tcl_WrongNumArgs(interp, 2, objv, "message ?message ...?");
	    return TCL_ERROR;
	}
	messages = (objc - 2 <= 8) ? staticMessages
		: (MmapRinglogMessage *) ckalloc(sizeof(MmapRinglogMessage)
		* (objc - 2));
	texts = (cmdPtr->encoding == NULL) ? NULL : (objc - 2 <= 8)
		? staticTexts
		: (Tcl_DString *) ckalloc(sizeof(Tcl_DString) * (objc - 2));
	if (GetMessages(interp, cmdPtr, objc - 2, objv + 2, messages, texts)
		!= TCL_OK) {
	    status = -1;
	} else {
	    status = MmapRinglogAppend(cmdPtr->logPtr, (size_t) (objc - 2),
		    messages, &seq, &err);
	}
	if (texts != NULL) {
	    for (i = 0; i < objc - 2; i++) {
		Tcl_DStringFree(&texts[i]);
	    }
	    if (texts != staticTexts) {
		ckfree(texts);
	    }
	}
	if (status == MMAP_RINGLOG_TOOBIG) {
	    for (i = 0; messages[i].length <= err.offset; i++) {
		/* Find the message that does not fit. */
	    }
	    length = (int) messages[i].length;
	}
	if (messages != staticMessages) {
	    ckfree(messages);
	}
	if (status == -1) {
	    return TCL_ERROR;
	}
	if (status == MMAP_RINGLOG_TOOBIG) {
	    Tcl_SetObjResult(interp, Tcl_ObjPrintf("message of %d bytes is"
		    " too large for ring log \"%s\": at most %"
		    TCL_LL_MODIFIER "d bytes fit", length, cmdPtr->name,
		    (Tcl_WideInt) err.offset));
	    Tcl_SetErrorCode(interp, "MMAP", "RINGLOG",
		    MmapRinglogStatusName(status), NULL);
	    return TCL_ERROR;
	}
	if (status != MMAP_RINGLOG_OK) {
	    return RlTclError(interp, cmdPtr->name, "writing", &err);
	}
	Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt) seq));
	return TCL_OK;
    }
    switch (index) {
    case SUB_READ:
	return RlReadCmd(interp, cmdPtr, objc, objv);
    case SUB_CURSOR:
	return RlCursorCmd(interp, cmdPtr, objc, objv);
    case SUB_NOTIFY:
	return RlNotifyCmd(interp, cmdPtr, objc, objv);
    }
    if (objc != 2) {
	Tcl_WrongNumArgs(interp, 2, objv, NULL);
	return TCL_ERROR;
    }
    switch (index) {
    case SUB_BOUNDS:
	if (MmapRinglogGetInfo(cmdPtr->logPtr, &info, &err)
		!= MMAP_RINGLOG_OK) {
	    return RlTclError(interp, cmdPtr->name, "reading", &err);
	}
	pair[0] = Tcl_NewWideIntObj((Tcl_WideInt) info.oldestSeq);
	pair[1] = Tcl_NewWideIntObj((Tcl_WideInt) info.nextSeq);
	Tcl_SetObjResult(interp, Tcl_NewListObj(2, pair));
	return TCL_OK;
    case SUB_CLOSE:
	Tcl_DeleteCommandFromToken(interp, cmdPtr->token);
	return TCL_OK;
    case SUB_CURSORS:
	return RlCursorsCmd(interp, cmdPtr);
    case SUB_STATS:
	return StatsCmd(interp, cmdPtr);
    case SUB_SYNC:
	if (MmapRinglogSync(cmdPtr->logPtr, &err) != MMAP_RINGLOG_OK) {
	    return RlTclError(interp, cmdPtr->name, "sync", &err);
	}
	return TCL_OK;
    }
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * GetMessages --
 *
 *	The bytes of the messages to append: byte strings, or with the
 *	log's -encoding, text converted into texts[i] (initialised here,
 *	freed by the caller in every case).
 *
 * Results:
 *	TCL_OK, or TCL_ERROR for a value that is not a byte string.
 *
 * Side effects:
 *	Fills messages[].
 *
 *----------------------------------------------------------------------
 */

static int
GetMessages(
    Tcl_Interp *interp,
    RinglogCmd *cmdPtr,
    int objc,
    Tcl_Obj *const objv[],
    MmapRinglogMessage *messages,
    Tcl_DString *texts)
{
    Tcl_Size length;
    const char *string;
    int i, code = TCL_OK;

    for (i = 0; i < objc; i++) {
	if (texts != NULL) {
	    string = Tcl_GetStringFromObj(objv[i], &length);
	    Tcl_UtfToExternalDString(cmdPtr->encoding, string, length,
		    &texts[i]);
	    messages[i].bytes = (const unsigned char *)
		    Tcl_DStringValue(&texts[i]);
	    messages[i].length = (size_t) Tcl_DStringLength(&texts[i]);
	    continue;
	}
	if (code == TCL_OK) {
	    messages[i].bytes = MmapGetBytesFromObj(interp, objv[i],
		    &length);
	    if (messages[i].bytes == NULL) {
		code = TCL_ERROR;
		continue;
	    }
	    messages[i].length = (size_t) length;
	}
    }
    return code;
}

/*
 *----------------------------------------------------------------------
 *
 * StatsCmd --
 *
 *	"$log stats": what the log holds, as a dict.
 *
 * Results:
 *	A standard Tcl result.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

static int
StatsCmd(
    Tcl_Interp *interp,
    RinglogCmd *cmdPtr)
{
    MmapRinglogError err;
    MmapRinglogInfo info;
    Tcl_Obj *dictObj;

#define PUT(key, valueObj) \
    Tcl_DictObjPut(NULL, dictObj, Tcl_NewStringObj((key), -1), (valueObj))
#define WIDE(value) Tcl_NewWideIntObj((Tcl_WideInt) (value))

    if (MmapRinglogGetInfo(cmdPtr->logPtr, &info, &err)
	    != MMAP_RINGLOG_OK) {
	return RlTclError(interp, cmdPtr->name, "reading", &err);
    }
    dictObj = Tcl_NewDictObj();
    PUT("path", cmdPtr->pathObj);
    PUT("version", Tcl_NewIntObj(info.version));
    PUT("size", WIDE(info.fileSize));
    PUT("capacity", WIDE(info.dataSize));
    PUT("maxmessage", WIDE(info.maxMessage));
    PUT("records", WIDE(info.records));
    PUT("bytes", WIDE(info.bytes));
    PUT("wraps", WIDE(info.wraps));
    PUT("oldest", WIDE(info.oldestSeq));
    PUT("next", WIDE(info.nextSeq));
    PUT("readonly", Tcl_NewBooleanObj(info.readOnly));
    PUT("cursors", WIDE(info.cursors));
    PUT("waiters", WIDE(info.waiters));
#undef PUT
#undef WIDE
    Tcl_SetObjResult(interp, dictObj);
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * RlTclError --
 *
 *	Turns a failure of the core into a Tcl error.  "name" is the path
 *	(create, open) or the log command (the others); "verb" names what
 *	was being done, in the words of the messages below.
 *
 * Results:
 *	TCL_ERROR.
 *
 * Side effects:
 *	Sets the result and errorCode:
 *	    POSIX	{POSIX <NAME> <msg>}, "couldn't <verb> ring log ..."
 *	    format	{MMAP RINGLOG <KIND>}, "cannot open ring log ..."
 *	    CORRUPT	{MMAP RINGLOG CORRUPT}
 *	    LOCK	{MMAP RINGLOG LOCK}, "couldn't lock ring log ..."
 *	    REPLACED	{MMAP RINGLOG REPLACED}
 *	    READONLY	{MMAP MODE}
 *	    FAULT	{MMAP TRUNCATED|PROTECTED <log> <offset>}
 *
 *----------------------------------------------------------------------
 */

int
RlTclError(
    Tcl_Interp *interp,
    const char *name,
    const char *verb,
    const MmapRinglogError *errPtr)
{
    char call[64];

    switch (errPtr->status) {
    case MMAP_RINGLOG_POSIX:
	snprintf(call, sizeof(call), "%s ring log", errPtr->call);
	return MmapPosixError(interp, errPtr->errorNum, call, name);
    case MMAP_RINGLOG_READONLY:
	return MmapError(interp, "MODE", "ring log \"%s\" is read-only",
		name);
    case MMAP_RINGLOG_FAULT:
	return MmapSetFromOptions(interp, MmapFaultOptions(verb, name,
		errPtr->fault, errPtr->offset));
    case MMAP_RINGLOG_BADSIZE:
	return MmapError(interp, "RANGE", "bad size: %s", errPtr->detail);
    case MMAP_RINGLOG_LOCK:
	Tcl_SetObjResult(interp, Tcl_ObjPrintf(
		"couldn't lock ring log \"%s\": %s", name, errPtr->detail));
	Tcl_SetErrorCode(interp, "MMAP", "RINGLOG", "LOCK", NULL);
	return TCL_ERROR;
    case MMAP_RINGLOG_REPLACED:
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("ring log \"%s\" was replaced"
		" by \"mmap::ringlog create -force\": open it again", name));
	Tcl_SetErrorCode(interp, "MMAP", "RINGLOG", "REPLACED", NULL);
	return TCL_ERROR;
    default:
	break;
    }
    if (strcmp(verb, "open") == 0) {
	Tcl_SetObjResult(interp, Tcl_ObjPrintf(
		"cannot open ring log \"%s\": %s", name, errPtr->detail));
    } else {
	Tcl_SetObjResult(interp, Tcl_ObjPrintf(
		"ring log \"%s\" is corrupt: %s", name, errPtr->detail));
    }
    Tcl_SetErrorCode(interp, "MMAP", "RINGLOG",
	    MmapRinglogStatusName(errPtr->status), NULL);
    return TCL_ERROR;
}
