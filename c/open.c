/*
 * open.c --
 *
 *	Creates mmap channels (see open.h).  All checks come before any
 *	resource is taken, and a failure after that releases what was taken,
 *	so a refused call leaves no channel, descriptor or mapping behind.
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "open.h"
#include "channel.h"
#include "errors.h"
#include "region.h"

static int	CheckSource(Tcl_Interp *interp, Tcl_Obj *sourceObj,
		    Tcl_Channel *chanPtr, int *modePtr, int *fdPtr,
		    struct stat *statPtr);
static int	FinishOpen(Tcl_Interp *interp, const MmapOpenSpec *specPtr,
		    MmapChannel *mcPtr, const char *sourceName, int fd,
		    uint64_t length, int flags);

/*
 *----------------------------------------------------------------------
 *
 * MmapOpenSpecInit --
 *
 *	The defaults of the creation options.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Fills *specPtr.
 *
 *----------------------------------------------------------------------
 */

void
MmapOpenSpecInit(
    MmapOpenSpec *specPtr)
{
    memset(specPtr, 0, sizeof(*specPtr));
    specPtr->cyclic = 1;
    specPtr->syncMode = MMAP_SYNC_ASYNC;
}

/*
 *----------------------------------------------------------------------
 *
 * CheckSource --
 *
 *	Accepts only a readable, unstacked file channel over a regular file
 *	or a character device, and flushes its pending output so that the
 *	map sees what the script wrote.
 *
 * Results:
 *	TCL_OK with the channel, its mode, its descriptor and fstat filled
 *	in; TCL_ERROR with {MMAP CHANNEL}, {MMAP MODE} or a POSIX error.
 *
 * Side effects:
 *	Flushes the source channel.
 *
 *----------------------------------------------------------------------
 */

static int
CheckSource(
    Tcl_Interp *interp,
    Tcl_Obj *sourceObj,
    Tcl_Channel *chanPtr,
    int *modePtr,
    int *fdPtr,
    struct stat *statPtr)
{
    const char *name = Tcl_GetString(sourceObj);
    const char *typeName;
    Tcl_Channel chan;
    ClientData handle;

    chan = Tcl_GetChannel(interp, name, modePtr);
    if (chan == NULL) {
	return TCL_ERROR;
    }

    /*
     * Tcl_GetChannel gives the bottom of a stack; the top must be the same
     * channel, or bytes would bypass a transformation (zlib, tls).
     */

    if (Tcl_GetTopChannel(chan) != chan) {
	return MmapError(interp, "CHANNEL", "cannot map channel \"%s\": a"
		" %s transformation is stacked on it", name,
		Tcl_GetChannelType(Tcl_GetTopChannel(chan))->typeName);
    }
    typeName = Tcl_GetChannelType(chan)->typeName;
    if (strcmp(typeName, "file") != 0) {
	return MmapError(interp, "CHANNEL", "cannot map channel \"%s\": it is"
		" a %s channel, not a file", name, typeName);
    }
    if (!(*modePtr & TCL_READABLE)) {
	return MmapError(interp, "MODE", "cannot map channel \"%s\": it is"
		" not open for reading", name);
    }
    if (Tcl_GetChannelHandle(chan, TCL_READABLE, &handle) != TCL_OK) {
	return MmapError(interp, "CHANNEL", "cannot map channel \"%s\": it"
		" has no file descriptor", name);
    }
    *fdPtr = (int) (intptr_t) handle;

    /*
     * Flush before fstat: output the script wrote but Tcl still buffers
     * belongs in the file, and in the size the region is checked against.
     */

    if ((*modePtr & TCL_WRITABLE) && Tcl_Flush(chan) != TCL_OK) {
	return MmapPosixError(interp, Tcl_GetErrno(), "flush", name);
    }
    if (fstat(*fdPtr, statPtr) != 0) {
	return MmapPosixError(interp, errno, "stat", name);
    }
    if (!S_ISREG(statPtr->st_mode) && !S_ISCHR(statPtr->st_mode)) {
	return MmapError(interp, "CHANNEL", "cannot map channel \"%s\": not a"
		" regular file or character device", name);
    }
    *chanPtr = chan;
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapOpenChannel --
 *
 *	The mmap command's work: checks the source and the region, maps it
 *	and returns the new channel's name.
 *
 * Results:
 *	A standard Tcl result.
 *
 * Side effects:
 *	A new registered channel, or nothing at all.
 *
 *----------------------------------------------------------------------
 */

int
MmapOpenChannel(
    Tcl_Interp *interp,
    const MmapOpenSpec *specPtr,
    Tcl_Obj *sourceObj)
{
    const char *name = Tcl_GetString(sourceObj);
    Tcl_Channel chan;
    struct stat st;
    int mode, fd = -1, flags = 0;
    uint64_t length = specPtr->length;
    MmapChannel *mcPtr;

    if (CheckSource(interp, sourceObj, &chan, &mode, &fd, &st) != TCL_OK) {
	return TCL_ERROR;
    }
    if (S_ISREG(st.st_mode)) {
	uint64_t size = (uint64_t) st.st_size;

	flags |= MMAP_REGULAR;
	if (!specPtr->haveLength) {
	    length = (specPtr->offset < size) ? size - specPtr->offset : 0;
	}
	if (specPtr->offset > 0 && specPtr->offset >= size) {
	    return MmapError(interp, "RANGE", "cannot map \"%s\": offset %llu"
		    " is not below the file size %llu", name,
		    (unsigned long long) specPtr->offset,
		    (unsigned long long) size);
	}
	if (!MmapRangeOk(size, specPtr->offset, length)) {
	    return MmapError(interp, "RANGE", "cannot map \"%s\": range"
		    " %llu+%llu is outside the %llu bytes of the file", name,
		    (unsigned long long) specPtr->offset,
		    (unsigned long long) length, (unsigned long long) size);
	}
    } else if (!specPtr->haveLength) {
	return MmapError(interp, "RANGE", "cannot map \"%s\": a device needs"
		" -length", name);
    }
    if (length == 0) {
	return MmapError(interp, "RANGE", "cannot map \"%s\": the region is"
		" empty", name);
    }
    if (mode & TCL_WRITABLE) {
	flags |= MMAP_WRITABLE;
    }

    mcPtr = MmapChannelAlloc();
    mcPtr->mode = mode & (TCL_READABLE|TCL_WRITABLE);
    return FinishOpen(interp, specPtr, mcPtr, name, fd, length, flags);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapOpenAnonymous --
 *
 *	mmap::anonymous: zero-filled read/write memory of -length bytes,
 *	private or shared with children forked later.
 *
 * Results:
 *	A standard Tcl result: the new channel's name.
 *
 * Side effects:
 *	A new registered channel, or nothing.
 *
 *----------------------------------------------------------------------
 */

int
MmapOpenAnonymous(
    Tcl_Interp *interp,
    const MmapOpenSpec *specPtr)
{
    MmapChannel *mcPtr = MmapChannelAlloc();

    mcPtr->mode = TCL_READABLE|TCL_WRITABLE;
    return FinishOpen(interp, specPtr, mcPtr, NULL, -1, specPtr->length,
	    MMAP_WRITABLE);
}

/*
 * FinishOpen: maps, registers and configures the instance, or frees it.
 * sourceName names the source channel in errors; NULL for anonymous memory.
 */

static int
FinishOpen(
    Tcl_Interp *interp,
    const MmapOpenSpec *specPtr,
    MmapChannel *mcPtr,
    const char *sourceName,
    int fd,
    uint64_t length,
    int flags)
{
    int err;

    if (specPtr->shared) {
	flags |= MMAP_SHARED;
    }
    if (specPtr->populate) {
	flags |= MMAP_POPULATE;
    }
    if (specPtr->noreserve) {
	flags |= MMAP_NORESERVE;
    }
    err = MmapGuardInstall();
    if (err == 0) {
	err = MmapMapCreate(&mcPtr->map, fd, fd < 0 ? 0 : specPtr->offset,
		length, flags);
    }
    if (err != 0) {
	ckfree(mcPtr);
	if (sourceName != NULL) {
	    return MmapPosixError(interp, err, "map", sourceName);
	}
	Tcl_SetErrno(err);
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("couldn't map %"
		TCL_LL_MODIFIER "d bytes of anonymous memory: %s",
		(Tcl_WideInt) length, Tcl_PosixError(interp)));
	return TCL_ERROR;
    }
    mcPtr->cyclic = specPtr->cyclic;
    mcPtr->syncMode = specPtr->syncMode;
    MmapChannelRegister(interp, mcPtr);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(mcPtr->name, -1));
    return TCL_OK;
}
