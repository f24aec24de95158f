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
#include <unistd.h>
#include "open.h"
#include "channel.h"
#include "errors.h"
#include "region.h"

static int	CheckSource(Tcl_Interp *interp, Tcl_Channel chan, int mode,
		    const char *name, int byPath, int *fdPtr,
		    struct stat *statPtr);
static int	FinishOpen(Tcl_Interp *interp, const MmapOpenSpec *specPtr,
		    MmapChannel *mcPtr, Tcl_Channel source,
		    const char *sourceName, int fd, uint64_t length,
		    int flags);
static void	InheritTextOptions(Tcl_Channel source, Tcl_Channel chan);

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
 *	map sees what the script wrote.  "name" is the channel's name, or
 *	the path for mmap::open ("byPath"), which the messages then quote.
 *
 * Results:
 *	TCL_OK with the descriptor and fstat filled in; TCL_ERROR with
 *	{MMAP CHANNEL}, {MMAP MODE} or a POSIX error.
 *
 * Side effects:
 *	Flushes the source channel.
 *
 *----------------------------------------------------------------------
 */

static int
CheckSource(
    Tcl_Interp *interp,
    Tcl_Channel chan,
    int mode,
    const char *name,
    int byPath,
    int *fdPtr,
    struct stat *statPtr)
{
    const char *typeName;
    ClientData handle;

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
    if (!(mode & TCL_READABLE)) {
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

    if ((mode & TCL_WRITABLE) && Tcl_Flush(chan) != TCL_OK) {
	return MmapPosixError(interp, Tcl_GetErrno(), "flush", name);
    }
    if (fstat(*fdPtr, statPtr) != 0) {
	return MmapPosixError(interp, errno, "stat", name);
    }
    if (!S_ISREG(statPtr->st_mode) && !S_ISCHR(statPtr->st_mode)) {
	return MmapError(interp, "CHANNEL", "cannot map %s\"%s\": not a"
		" regular file or character device", byPath ? "" : "channel ",
		name);
    }
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
    int mode;

    chan = Tcl_GetChannel(interp, name, &mode);
    if (chan == NULL) {
	return MmapNoChannel(interp, sourceObj);
    }
    return MmapMapSource(interp, specPtr, chan, mode, name, 0);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapSource --
 *
 *	Maps the region of an open channel that specPtr asks for: the work
 *	of mmap (byPath 0, "name" the channel's) and of mmap::open (byPath
 *	1, "name" the path).
 *
 * Results:
 *	A standard Tcl result: the new channel's name.
 *
 * Side effects:
 *	A new registered channel, or nothing at all.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapSource(
    Tcl_Interp *interp,
    const MmapOpenSpec *specPtr,
    Tcl_Channel chan,
    int mode,
    const char *name,
    int byPath)
{
    struct stat st;
    int fd = -1, flags = 0;
    uint64_t length = specPtr->length;
    MmapChannel *mcPtr;

    if (CheckSource(interp, chan, mode, name, byPath, &fd, &st) != TCL_OK) {
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
    return FinishOpen(interp, specPtr, mcPtr, chan, name, fd, length,
	    flags);
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
    return FinishOpen(interp, specPtr, mcPtr, NULL, NULL, -1,
	    specPtr->length, MMAP_WRITABLE);
}

/*
 * FinishOpen: maps, registers and configures the instance, or frees it.
 * source and sourceName are the source channel and its name (for errors);
 * NULL for anonymous memory.
 */

static int
FinishOpen(
    Tcl_Interp *interp,
    const MmapOpenSpec *specPtr,
    MmapChannel *mcPtr,
    Tcl_Channel source,
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
    if (source != NULL) {
	InheritTextOptions(source, mcPtr->channel);
    } else {
	Tcl_SetChannelOption(NULL, mcPtr->channel, "-translation", "binary");
    }
    Tcl_SetObjResult(interp, Tcl_NewStringObj(mcPtr->name, -1));
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * InheritTextOptions --
 *
 *	Text or bytes is the source's, as access is: the new channel takes
 *	the source channel's -encoding, -translation, -eofchar (and on Tcl 9
 *	-profile), the
 *	input side's where a read/write source has two.  So a source opened
 *	"rb", or configured -translation binary, gives a binary map, and a
 *	text channel a text map with the same encoding.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Configures chan.
 *
 *----------------------------------------------------------------------
 */

static void
InheritTextOptions(
    Tcl_Channel source,
    Tcl_Channel chan)
{
    /* -profile exists on Tcl 9 only: on 8.6 getting it fails, skipped. */
    static const char *const names[] = {
	"-encoding", "-translation", "-eofchar", "-profile", NULL
    };
    Tcl_DString value;
    Tcl_Obj *valueObj, *sideObj;
    int i;

    for (i = 0; names[i] != NULL; i++) {
	Tcl_DStringInit(&value);
	if (Tcl_GetChannelOption(NULL, source, names[i], &value) == TCL_OK) {
	    valueObj = Tcl_NewStringObj(Tcl_DStringValue(&value),
		    Tcl_DStringLength(&value));
	    Tcl_IncrRefCount(valueObj);
	    if (i > 0 && Tcl_ListObjIndex(NULL, valueObj, 0, &sideObj)
		    == TCL_OK && sideObj != NULL) {
		Tcl_SetChannelOption(NULL, chan, names[i],
			Tcl_GetString(sideObj));
	    } else {
		Tcl_SetChannelOption(NULL, chan, names[i],
			Tcl_GetString(valueObj));
	    }
	    Tcl_DecrRefCount(valueObj);
	}
	Tcl_DStringFree(&value);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * MmapNoChannel --
 *
 *	Completes Tcl_GetChannel's error for a word that is no channel: a
 *	word that names a file, or looks like a path, was most likely meant
 *	as one, so the message says how to map a file by its path.
 *
 * Results:
 *	TCL_ERROR.
 *
 * Side effects:
 *	Appends to the interpreter's result; the errorCode stays Tcl's
 *	{TCL LOOKUP CHANNEL name}.
 *
 *----------------------------------------------------------------------
 */

int
MmapNoChannel(
    Tcl_Interp *interp,
    Tcl_Obj *nameObj)
{
    const char *name = Tcl_GetString(nameObj);

    if (strchr(name, '/') != NULL || Tcl_FSAccess(nameObj, F_OK) == 0) {
	Tcl_AppendResult(interp, ": to map a file by its path, use"
		" mmap::open, or open it and pass the channel", NULL);
    }
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapParseOpenOptions --
 *
 *	Parses the creation options of mmap, mmap::anonymous and mmap::open
 *	from objv[*indexPtr] on, up to the first word that does not start
 *	with "-" or up to "limit".  Channel names and paths given to these
 *	commands never start with "-" (write ./-name for such a file), so an
 *	option word after the channel is a mistake, not a name.  "table"
 *	lists the options the command takes; each is a name of
 *	mmapOpenOptionNames (parsing stops at a word that is not in table).
 *
 * Results:
 *	TCL_OK with *indexPtr at the first word that is not an option;
 *	TCL_ERROR with the message for a bad option or value; TCL_BREAK
 *	when an option lacks its value (the caller reports wrong # args).
 *
 * Side effects:
 *	Fills *specPtr.
 *
 *----------------------------------------------------------------------
 */

int
MmapParseOpenOptions(
    Tcl_Interp *interp,
    int limit,
    Tcl_Obj *const objv[],
    const char *const table[],
    int *indexPtr,
    MmapOpenSpec *specPtr)
{
    int i, index;
    const char *word;

    for (i = *indexPtr; i < limit; i++) {
	word = Tcl_GetString(objv[i]);
	if (word[0] != '-') {
	    break;
	}
	if (Tcl_GetIndexFromObj(interp, objv[i], table, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	word = table[index];
	if (strcmp(word, "-shared") == 0) {
	    specPtr->shared = 1;
	    continue;
	} else if (strcmp(word, "-private") == 0) {
	    specPtr->shared = 0;
	    continue;
	} else if (strcmp(word, "-populate") == 0) {
	    specPtr->populate = 1;
	    continue;
	} else if (strcmp(word, "-noreserve") == 0) {
	    specPtr->noreserve = 1;
	    continue;
	}

	/* The rest take a value. */
	if (++i >= limit) {
	    return TCL_BREAK;
	}
	if (strcmp(word, "-length") == 0) {
	    if (MmapGetSize(interp, objv[i], "length", 1, &specPtr->length)
		    != TCL_OK) {
		return TCL_ERROR;
	    }
	    specPtr->haveLength = 1;
	} else if (strcmp(word, "-size") == 0) {
	    if (MmapGetSize(interp, objv[i], "size", 0, &specPtr->size)
		    != TCL_OK) {
		return TCL_ERROR;
	    }
	    specPtr->haveSize = 1;
	} else if (strcmp(word, "-offset") == 0) {
	    if (MmapGetSize(interp, objv[i], "offset", 0, &specPtr->offset)
		    != TCL_OK) {
		return TCL_ERROR;
	    }
	} else if (strcmp(word, "-cyclic") == 0) {
	    if (Tcl_GetBooleanFromObj(interp, objv[i], &specPtr->cyclic)
		    != TCL_OK) {
		return TCL_ERROR;
	    }
	} else if (Tcl_GetIndexFromObj(interp, objv[i], mmapSyncNames,
		"sync mode", 0, &specPtr->syncMode) != TCL_OK) {
	    return TCL_ERROR;
	}
    }
    *indexPtr = i;
    return TCL_OK;
}
