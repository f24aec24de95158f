/*
 * openpath.c --
 *
 *	mmap::open: a file mapped by its path in one call, with open's access
 *	words and open's own errors for the path, the file optionally
 *	created or extended first (-size), and no channel left open.  A
 *	failure after the file was created or extended undoes that, so a
 *	refused call leaves the file as it was.
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "open.h"
#include "errors.h"

static int	CheckAccess(Tcl_Interp *interp, Tcl_Obj *accessObj,
		    int *writablePtr, int *createPtr);

/*
 * Access words and flags a map cannot honour: it neither appends nor
 * starts empty, and it must read.
 */

static const char *const refusedWords[] = {
    "w", "w+", "wb", "w+b", "wb+", "a", "a+", "ab", "a+b", "ab+", NULL
};
static const char *const refusedFlags[] = {
    "WRONLY", "APPEND", "TRUNC", NULL
};

/*
 *----------------------------------------------------------------------
 *
 * CheckAccess --
 *
 *	Refuses the access modes a map cannot have, before anything is
 *	opened (w would empty the file), and tells whether the access is
 *	read/write and may create the file.  Anything else is open's to
 *	judge, in its own words.
 *
 * Results:
 *	TCL_OK, or TCL_ERROR with {MMAP MODE}.
 *
 * Side effects:
 *	None beyond the error.
 *
 *----------------------------------------------------------------------
 */

static int
CheckAccess(
    Tcl_Interp *interp,
    Tcl_Obj *accessObj,
    int *writablePtr,
    int *createPtr)
{
    Tcl_Obj **words;
    Tcl_Size count, i;
    int index;
    const char *access = Tcl_GetString(accessObj);

    *writablePtr = *createPtr = 0;
    if (Tcl_ListObjGetElements(NULL, accessObj, &count, &words) != TCL_OK) {
	return TCL_OK;		/* open will say what is wrong. */
    }
    /* As open tells them apart: a word starts with r, w or a. */
    if (count == 1 && strchr("rwa", access[0]) != NULL && access[0] != '\0') {
	if (Tcl_GetIndexFromObj(NULL, words[0], refusedWords, "", TCL_EXACT,
		&index) == TCL_OK) {
	    goto refused;
	}
	*writablePtr = (strchr(access, '+') != NULL);
	return TCL_OK;
    }
    for (i = 0; i < count; i++) {
	const char *flag = Tcl_GetString(words[i]);

	if (Tcl_GetIndexFromObj(NULL, words[i], refusedFlags, "", TCL_EXACT,
		&index) == TCL_OK) {
	    goto refused;
	}
	if (strcmp(flag, "RDWR") == 0) {
	    *writablePtr = 1;
	} else if (strcmp(flag, "CREAT") == 0) {
	    *createPtr = 1;
	}
    }
    return TCL_OK;

  refused:
    return MmapError(interp, "MODE", "cannot map a file opened with access"
	    " \"%s\": a map neither appends nor starts empty (use r, r+, rb,"
	    " r+b, or RDONLY, RDWR, BINARY, CREAT)", access);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapOpenPath --
 *
 *	mmap::open's work: opens pathObj with accessObj (NULL: "r"), makes
 *	the file at least specPtr->size bytes long when -size was given,
 *	maps it as mmap would, and closes the file channel.
 *
 * Results:
 *	A standard Tcl result: the new channel's name.
 *
 * Side effects:
 *	May create or extend the file; a new registered channel.  On
 *	failure, a file this call created is removed and one it extended
 *	gets its size back.
 *
 *----------------------------------------------------------------------
 */

int
MmapOpenPath(
    Tcl_Interp *interp,
    const MmapOpenSpec *specPtr,
    Tcl_Obj *pathObj,
    Tcl_Obj *accessObj)
{
    const char *path = Tcl_GetString(pathObj);
    const char *access = (accessObj == NULL) ? "r" : Tcl_GetString(accessObj);
    Tcl_StatBuf *statPtr;
    Tcl_Channel chan;
    ClientData handle;
    struct stat st;
    int writable = 0, create = 0, existed, mode, fd, code;
    off_t oldSize = -1;

    if (accessObj != NULL
	    && CheckAccess(interp, accessObj, &writable, &create) != TCL_OK) {
	return TCL_ERROR;
    }
    if (specPtr->haveSize && !writable) {
	return MmapError(interp, "MODE", "cannot extend \"%s\" to -size %llu:"
		" the access must be r+ or RDWR, not \"%s\"", path,
		(unsigned long long) specPtr->size, access);
    }
    if (specPtr->haveSize && specPtr->size > (uint64_t) INT64_MAX) {
	return MmapError(interp, "RANGE", "bad size \"%llu\": too large",
		(unsigned long long) specPtr->size);
    }
    statPtr = Tcl_AllocStatBuf();
    existed = (Tcl_FSStat(pathObj, statPtr) == 0);
    ckfree(statPtr);

    chan = Tcl_FSOpenFileChannel(interp, pathObj, access, 0666);
    if (chan == NULL) {
	return TCL_ERROR;
    }
    mode = Tcl_GetChannelMode(chan);
    code = TCL_OK;
    if (specPtr->haveSize) {
	Tcl_GetChannelHandle(chan, TCL_READABLE, &handle);
	fd = (int) (intptr_t) handle;
	if (fstat(fd, &st) != 0) {
	    code = MmapPosixError(interp, errno, "stat", path);
	} else if ((uint64_t) st.st_size < specPtr->size) {
	    if (S_ISREG(st.st_mode)
		    && ftruncate(fd, (off_t) specPtr->size) != 0) {
		code = MmapPosixError(interp, errno, "extend", path);
	    } else if (S_ISREG(st.st_mode)) {
		oldSize = st.st_size;
	    }
	}
    }
    if (code == TCL_OK) {
	code = MmapMapSource(interp, specPtr, chan, mode, path, 1);
    }
    if (code != TCL_OK && oldSize >= 0) {
	Tcl_GetChannelHandle(chan, TCL_READABLE, &handle);
	(void) ftruncate((int) (intptr_t) handle, oldSize);
    }
    Tcl_Close(NULL, chan);
    if (code != TCL_OK && create && !existed) {
	Tcl_FSDeleteFile(pathObj);
    }
    return code;
}
