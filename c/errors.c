/*
 * errors.c --
 *
 *	Error reporting shared by the commands and the channel driver (see
 *	errors.h), and the refusals of the one parser of sizes and offsets
 *	(MmapGetSize, inline in errors.h), so that every command refuses a
 *	bad number in the same words.
 */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "errors.h"

/*
 *----------------------------------------------------------------------
 *
 * MmapError --
 *
 *	Reports one of the library's own refusals.
 *
 * Results:
 *	TCL_ERROR.
 *
 * Side effects:
 *	Sets the interpreter result to the formatted message and errorCode
 *	to {MMAP what}.
 *
 *----------------------------------------------------------------------
 */

int
MmapError(
    Tcl_Interp *interp,
    const char *what,
    const char *format,
    ...)
{
    va_list args;
    Tcl_Obj *msgObj;
    char *message;
    int size;

    /*
     * Messages quote user input (channel names, bad values) of any length,
     * so size the buffer from a first formatting pass.
     */

    va_start(args, format);
    size = vsnprintf(NULL, 0, format, args);
    va_end(args);
    message = ckalloc(size + 1);
    va_start(args, format);
    vsnprintf(message, size + 1, format, args);
    va_end(args);
    msgObj = Tcl_NewStringObj(message, size);
    ckfree(message);
    Tcl_SetObjResult(interp, msgObj);
    Tcl_SetErrorCode(interp, "MMAP", what, NULL);
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapPosixError --
 *
 *	Reports a failed system call on a channel:
 *	'couldn't <call> "<chan>": <POSIX message>'.
 *
 * Results:
 *	TCL_ERROR.
 *
 * Side effects:
 *	Sets the result and errorCode {POSIX <NAME> <message>}.
 *
 *----------------------------------------------------------------------
 */

int
MmapPosixError(
    Tcl_Interp *interp,
    int err,
    const char *call,
    const char *chanName)
{
    Tcl_SetErrno(err);
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("couldn't %s \"%s\": %s", call,
	    chanName, Tcl_PosixError(interp)));
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapFaultOptions --
 *
 *	Describes a fault on mapped memory as a return-options list with the
 *	message last, the form Tcl_SetChannelError expects and that
 *	MmapSetFromOptions turns into an interpreter error.
 *
 * Results:
 *	A new list: -code 1 -level 0 -errorcode {MMAP TRUNCATED|PROTECTED|IO
 *	chan offset} message.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

Tcl_Obj *
MmapFaultOptions(
    const char *verb,
    const char *chanName,
    MmapFault fault,
    uint64_t offset)
{
    Tcl_Obj *listObj = Tcl_NewListObj(0, NULL);
    Tcl_Obj *codeObj = Tcl_NewListObj(0, NULL);
    Tcl_Obj *messageObj;
    Tcl_WideInt where = (Tcl_WideInt) offset;

    Tcl_ListObjAppendElement(NULL, codeObj, Tcl_NewStringObj("MMAP", -1));
    Tcl_ListObjAppendElement(NULL, codeObj, Tcl_NewStringObj(
	    (fault == MMAP_FAULT_BUS) ? "TRUNCATED"
	    : (fault == MMAP_FAULT_IO) ? "IO" : "PROTECTED", -1));
    Tcl_ListObjAppendElement(NULL, codeObj, Tcl_NewStringObj(chanName, -1));
    Tcl_ListObjAppendElement(NULL, codeObj, Tcl_NewWideIntObj(where));

    switch (fault) {
    case MMAP_FAULT_BUS:
	messageObj = Tcl_ObjPrintf("error %s \"%s\": the file is truncated:"
		" no data at offset %" TCL_LL_MODIFIER "d", verb, chanName,
		where);
	break;
    case MMAP_FAULT_IO:
	messageObj = Tcl_ObjPrintf("error %s \"%s\": input/output error at"
		" offset %" TCL_LL_MODIFIER "d (the system could not supply"
		" the page: a full disk or a failing device)", verb,
		chanName, where);
	break;
    default:
	messageObj = Tcl_ObjPrintf("error %s \"%s\": offset %"
		TCL_LL_MODIFIER "d is in a protected page", verb, chanName,
		where);
	break;
    }
    Tcl_ListObjAppendElement(NULL, listObj, Tcl_NewStringObj("-code", -1));
    Tcl_ListObjAppendElement(NULL, listObj, Tcl_NewIntObj(TCL_ERROR));
    Tcl_ListObjAppendElement(NULL, listObj, Tcl_NewStringObj("-level", -1));
    Tcl_ListObjAppendElement(NULL, listObj, Tcl_NewIntObj(0));
    Tcl_ListObjAppendElement(NULL, listObj,
	    Tcl_NewStringObj("-errorcode", -1));
    Tcl_ListObjAppendElement(NULL, listObj, codeObj);
    Tcl_ListObjAppendElement(NULL, listObj, messageObj);
    return listObj;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapFaultInfo --
 *
 *	Reads back what a MmapFaultOptions list says: the kind of fault and
 *	its offset.
 *
 * Results:
 *	The kind (MMAP_FAULT_NONE for a list that is not one), with
 *	*offsetPtr set.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

MmapFault
MmapFaultInfo(
    Tcl_Obj *optionsObj,
    uint64_t *offsetPtr)
{
    Tcl_Obj *codeObj, *kindObj, *offsetObj;
    Tcl_WideInt offset;
    const char *kind;

    if (Tcl_ListObjIndex(NULL, optionsObj, 5, &codeObj) != TCL_OK
	    || codeObj == NULL
	    || Tcl_ListObjIndex(NULL, codeObj, 1, &kindObj) != TCL_OK
	    || kindObj == NULL
	    || Tcl_ListObjIndex(NULL, codeObj, 3, &offsetObj) != TCL_OK
	    || offsetObj == NULL
	    || Tcl_GetWideIntFromObj(NULL, offsetObj, &offset) != TCL_OK) {
	return MMAP_FAULT_NONE;
    }
    *offsetPtr = (uint64_t) offset;
    kind = Tcl_GetString(kindObj);
    return (kind[0] == 'T') ? MMAP_FAULT_BUS
	    : (kind[0] == 'P') ? MMAP_FAULT_ACCESS : MMAP_FAULT_IO;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapSetFromOptions --
 *
 *	Raises the error described by a MmapFaultOptions list in interp.
 *
 * Results:
 *	TCL_ERROR.
 *
 * Side effects:
 *	Sets the result and the return options; frees an unshared list.
 *
 *----------------------------------------------------------------------
 */

int
MmapSetFromOptions(
    Tcl_Interp *interp,
    Tcl_Obj *optionsObj)
{
    Tcl_Size count;
    Tcl_Obj **elems;

    Tcl_IncrRefCount(optionsObj);
    Tcl_ListObjGetElements(NULL, optionsObj, &count, &elems);
    Tcl_SetObjResult(interp, elems[count - 1]);
    Tcl_SetReturnOptions(interp, Tcl_NewListObj(count - 1, elems));
    Tcl_DecrRefCount(optionsObj);
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapBadSize --
 *
 *	The refusals of MmapGetSize (errors.h), out of its way.
 *
 * Results:
 *	TCL_ERROR: Tcl's own error when "code" says the value was no
 *	integer, else the refusal of "value".
 *
 * Side effects:
 *	Sets the error.
 *
 *----------------------------------------------------------------------
 */

int
MmapBadSize(
    Tcl_Interp *interp,
    Tcl_Obj *objPtr,
    const char *what,
    int positive,
    int code,
    Tcl_WideInt value)
{
    if (code != TCL_OK) {
	return TCL_ERROR;
    }

    /*
     * Tcl 8.6 hands 2**63 .. 2**64-1 over as negative wide integers; say
     * what they are rather than call them negative.
     */

    if (value < 0 && strchr(Tcl_GetString(objPtr), '-') == NULL) {
	Tcl_SetObjResult(interp, Tcl_NewStringObj(
		"integer value too large to represent", -1));
	Tcl_SetErrorCode(interp, "ARITH", "IOVERFLOW",
		"integer value too large to represent", NULL);
	return TCL_ERROR;
    }
    return MmapError(interp, "RANGE", "bad %s \"%s\": must be a %s integer",
	    what, Tcl_GetString(objPtr),
	    positive ? "positive" : "non-negative");
}

/*
 *----------------------------------------------------------------------
 *
 * MmapGetBytesFromObj --
 *
 *	The bytes of a value that must be a byte string (pwrite data, a
 *	search needle, a ring log message).  Tcl 8.6's
 *	Tcl_GetByteArrayFromObj silently keeps only the low byte of a
 *	character above U+00FF; Tcl 9 refuses such a value, and so does
 *	this, on both, in Tcl 9's words.
 *
 * Results:
 *	The bytes, with *lengthPtr set; NULL with the error {TCL VALUE
 *	BYTES} "expected byte sequence but character N was 'X' (U+0000XX)".
 *
 * Side effects:
 *	May convert the value to a byte array.
 *
 *----------------------------------------------------------------------
 */

const unsigned char *
MmapGetBytesFromObj(
    Tcl_Interp *interp,
    Tcl_Obj *objPtr,
    Tcl_Size *lengthPtr)
{
    const unsigned char *string, *p, *end;
    Tcl_Size length;
#if TCL_MAJOR_VERSION >= 9
    const unsigned char *bytes = Tcl_GetBytesFromObj(NULL, objPtr,
	    lengthPtr);

    /*
     * Tcl 9 refuses such a value itself, but its message (9.0.1) quotes
     * the rest of the string from the bad character on: word it here, the
     * same on both versions.
     */

    if (bytes != NULL) {
	return bytes;
    }
#else
    static const Tcl_ObjType *byteArrayType = NULL;

    if (byteArrayType == NULL) {
	byteArrayType = Tcl_GetObjType("bytearray");
    }

    /*
     * A byte array without a string is bytes by construction: the common
     * case (binary format, a binary read) costs nothing more.  Otherwise
     * the string decides.
     */

    if (objPtr->typePtr == byteArrayType && objPtr->bytes == NULL) {
	return Tcl_GetByteArrayFromObj(objPtr, lengthPtr);
    }
#endif

    /*
     * In Tcl's UTF-8, a lead byte of 0xC4 or more starts a character above
     * U+00FF (0xC0 0x80 is its NUL).
     */

    string = (const unsigned char *) Tcl_GetStringFromObj(objPtr, &length);
    for (p = string, end = string + length; p < end; p++) {
	if (*p >= 0xC4) {
	    Tcl_UniChar ch = 0;
	    int size = Tcl_UtfToUniChar((const char *) p, &ch);
	    Tcl_Obj *msgObj;

	    msgObj = Tcl_ObjPrintf("expected byte sequence but character"
		    " %d was '", (int) Tcl_NumUtfChars((const char *) string,
			    (Tcl_Size) (p - string)));
	    Tcl_AppendToObj(msgObj, (const char *) p, size);
	    Tcl_AppendPrintfToObj(msgObj, "' (U+%06X)", (int) ch);
	    Tcl_SetObjResult(interp, msgObj);
	    Tcl_SetErrorCode(interp, "TCL", "VALUE", "BYTES", NULL);
	    return NULL;
	}
    }
#if TCL_MAJOR_VERSION >= 9
    /* Not reached: Tcl 9 refused a value with no such character. */
    return Tcl_GetBytesFromObj(interp, objPtr, lengthPtr);
#else
    return Tcl_GetByteArrayFromObj(objPtr, lengthPtr);
#endif
}
