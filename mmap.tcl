# mmap.tcl --
#
#	mmap for Tcl: files (and anonymous memory) mapped into memory and
#	handed to scripts as a channel, plus the commands a channel cannot
#	express: msync, madvise, mprotect, mlock, pread/pwrite, find, lines,
#	atomic counters shared by processes, resize, and a crash-safe ring
#	log.  A file truncated under a live mapping turns into a Tcl error.
#
#	This file is the package: critcl compiles the C below and in c/.
#	The C in c/ holds one concern a file (region arithmetic, the mapping,
#	the fault guard, the channel driver, atomics, the ring log); the Tcl
#	commands, with their argument parsing, are defined here.
#
# Copyright (c) 2026 the mmap authors.  See the file LICENSE.

# # ## ### ##### ######## ############# #####################
## Requirements

package require Tcl 8.6-
package require critcl 3.1

# # ## ### ##### ######## ############# #####################
## Administrivia

critcl::license {the mmap authors} BSD
critcl::summary {Memory-mapped files as Tcl channels}
critcl::description {
    Maps files, devices and anonymous memory into the process and hands
    them to Tcl as channels (read, gets, puts, seek, fcopy, fileevent),
    with commands for msync, madvise, mprotect, mlock, pread, pwrite,
    find, lines, atomic counters shared between processes, resize, and a
    crash-safe multi-process ring log.  A file truncated under a mapping
    is a Tcl error, not a dead process.
}
critcl::subject mmap {memory map} {shared memory} channel {cyclic log}
critcl::subject msync madvise mprotect mlock atomic {ring log}

# # ## ### ##### ######## ############# #####################
## Configuration

# The stubs of the Tcl that builds: a build for 8.6 does not load into 9,
# nor one for 9 into 8.6 (build.tcl keeps them apart, lib/ and lib-tcl9/).
critcl::tcl [expr {[package vsatisfies [info patchlevel] 9-] ? "9.0" : "8.6"}]
# The ring log has a folder of its own (c/ringlog/internal.h says how its
# files are layered).
critcl::cheaders c/*.h c/ringlog/*.h
critcl::csources c/*.c c/ringlog/*.c
critcl::cflags -D_GNU_SOURCE -Werror=incompatible-pointer-types
# Only Mmap_Init leaves the library: the calls between c/ files go direct,
# not through the PLT, and no Mmap* name can clash with another library's.
critcl::cflags -fvisibility=hidden

# # ## ### ##### ######## ############# #####################
## Implementation: the mmap command

critcl::ccode {
    #include <errno.h>
    #include <limits.h>
    #include <stdint.h>
    #include <string.h>
    #include "open.h"
    #include "access.h"
    #include "channel.h"
    #include "errors.h"
    #include "region.h"
}

critcl::ccode {
    /*
     * The creation options each command takes (MmapParseOpenOptions).
     */

    static const char *const mapOptions[] = {
	"-shared", "-private", "-length", "-offset", "-populate",
	"-noreserve", "-cyclic", "-sync", NULL
    };
    static const char *const openOptions[] = {
	"-size", "-shared", "-private", "-length", "-offset", "-populate",
	"-noreserve", "-cyclic", "-sync", NULL
    };
    static const char *const anonymousOptions[] = {
	"-shared", "-private", "-populate", "-noreserve", "-length", NULL
    };
}

critcl::ccommand mmap {clientData interp objc objv} {
    MmapOpenSpec spec;
    int i = 1, code;

    /*
     * Options come before the channel, as in Tcl's own commands; a word
     * where an option should be that is none, or an option after the
     * channel ("mmap $fd -shared"), is a mistake in the order, and the
     * usage says so better than "bad option".
     */

    MmapOpenSpecInit(&spec);
    code = MmapParseOpenOptions(interp, objc - 1, objv, mapOptions, &i,
	    &spec);
    if (code == TCL_ERROR) {
	return TCL_ERROR;
    }
    if (code == TCL_BREAK || objc < 2 || i != objc - 1
	    || Tcl_GetString(objv[objc - 1])[0] == '-') {
	Tcl_WrongNumArgs(interp, 1, objv, "?-shared|-private? ?-length"
		" bytes? ?-offset bytes? ?-populate? ?-noreserve? ?-cyclic"
		" bool? ?-sync none|async|sync? channelId");
	return TCL_ERROR;
    }
    return MmapOpenChannel(interp, &spec, objv[objc - 1]);
}

critcl::ccommand mmap::open {clientData interp objc objv} {
    MmapOpenSpec spec;
    int i = 1, code;

    MmapOpenSpecInit(&spec);
    code = MmapParseOpenOptions(interp, objc, objv, openOptions, &i, &spec);
    if (code == TCL_ERROR) {
	return TCL_ERROR;
    }
    if (code == TCL_BREAK || (objc - i != 1 && objc - i != 2)) {
	Tcl_WrongNumArgs(interp, 1, objv, "?-size bytes? ?-shared|-private?"
		" ?-length bytes? ?-offset bytes? ?-populate? ?-noreserve?"
		" ?-cyclic bool? ?-sync none|async|sync? path ?access?");
	return TCL_ERROR;
    }
    return MmapOpenPath(interp, &spec, objv[i],
	    (objc - i == 2) ? objv[i + 1] : NULL);
}

# # ## ### ##### ######## ############# #####################
## Implementation: anonymous memory, page size, info

critcl::ccommand mmap::anonymous {clientData interp objc objv} {
    MmapOpenSpec spec;
    int i = 1, code;

    MmapOpenSpecInit(&spec);
    code = MmapParseOpenOptions(interp, objc, objv, anonymousOptions, &i,
	    &spec);
    if (code == TCL_ERROR) {
	return TCL_ERROR;
    }
    if (code == TCL_BREAK || i != objc || !spec.haveLength) {
	Tcl_WrongNumArgs(interp, 1, objv,
		"?-shared|-private? ?-populate? ?-noreserve? -length bytes");
	return TCL_ERROR;
    }
    return MmapOpenAnonymous(interp, &spec);
}

critcl::cproc mmap::pagesize {} wideint {
    return (Tcl_WideInt) MmapPageSize();
}

critcl::ccommand mmap::info {clientData interp objc objv} {
    MmapChannel *mcPtr;
    Tcl_Obj *dictObj;
    int flags;

#define PUT(key, valueObj) \
    Tcl_DictObjPut(NULL, dictObj, Tcl_NewStringObj((key), -1), (valueObj))

    if (objc != 2) {
	Tcl_WrongNumArgs(interp, 1, objv, "channelId");
	return TCL_ERROR;
    }
    if (MmapChannelGet(interp, objv[1], &mcPtr) != TCL_OK) {
	return TCL_ERROR;
    }
    flags = mcPtr->map.flags;
    dictObj = Tcl_NewDictObj();
    PUT("access", Tcl_NewStringObj((flags & MMAP_WRITABLE) ? "rw" : "r", -1));
    PUT("shared", Tcl_NewBooleanObj(flags & MMAP_SHARED));
    PUT("offset", Tcl_NewWideIntObj((Tcl_WideInt) mcPtr->map.offset));
    PUT("length", Tcl_NewWideIntObj((Tcl_WideInt) mcPtr->map.length));
    PUT("cyclic", Tcl_NewBooleanObj(mcPtr->cyclic));
    PUT("sync", Tcl_NewStringObj(mmapSyncNames[mcPtr->syncMode], -1));
    PUT("position", Tcl_NewWideIntObj(Tcl_Tell(mcPtr->channel)));
    PUT("locked", Tcl_NewBooleanObj(MmapMapIsLocked(&mcPtr->map)));
    PUT("anonymous", Tcl_NewBooleanObj(flags & MMAP_ANONYMOUS));
#undef PUT
    Tcl_SetObjResult(interp, dictObj);
    return TCL_OK;
}

# # ## ### ##### ######## ############# #####################
## Implementation: positioned reads and writes, search

critcl::ccode {
    #include <sys/mman.h>
    #include "atomic.h"
    #include "findcmd.h"
    #include "pread.h"
}

critcl::ccommand mmap::pread {clientData interp objc objv} {
    return MmapPreadObjCmd(clientData, interp, objc, objv);
}

critcl::ccommand mmap::pwrite {clientData interp objc objv} {
    MmapChannel *mcPtr;
    uint64_t offset;
    Tcl_Obj *errorObj;
    const unsigned char *bytes;
    Tcl_Size count;
    int err;

    if (objc != 4) {
	Tcl_WrongNumArgs(interp, 1, objv, "channelId offset data");
	return TCL_ERROR;
    }
    if (MmapChannelGet(interp, objv[1], &mcPtr) != TCL_OK
	    || MmapGetSize(interp, objv[2], "offset", 0, &offset) != TCL_OK) {
	return TCL_ERROR;
    }
    bytes = MmapGetBytesFromObj(interp, objv[3], &count);
    if (bytes == NULL) {
	return TCL_ERROR;
    }
    if (MmapChannelRange(interp, mcPtr, offset, (uint64_t) count) != TCL_OK
	    || MmapChannelWritable(interp, mcPtr) != TCL_OK) {
	return TCL_ERROR;
    }
    errorObj = MmapCopyIn(mcPtr, offset, bytes, (uint64_t) count, "writing");
    MmapDropBufferedInput(mcPtr);
    if (errorObj != NULL) {
	return MmapSetFromOptions(interp, errorObj);
    }
    err = MmapSyncAfterWrite(mcPtr, offset, (uint64_t) count);
    if (err != 0) {
	return MmapPosixError(interp, err, "msync", mcPtr->name);
    }
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt) count));
    return TCL_OK;
}

critcl::ccommand mmap::find {clientData interp objc objv} {
    return MmapFindObjCmd(clientData, interp, objc, objv);
}

critcl::ccommand mmap::grep {clientData interp objc objv} {
    return MmapGrepObjCmd(clientData, interp, objc, objv);
}

# # ## ### ##### ######## ############# #####################
## Implementation: msync, madvise, mprotect, mlock

critcl::ccommand mmap::sync {clientData interp objc objv} {
    static const char *const options[] = { "-async", "-invalidate", NULL };
    MmapChannel *mcPtr;
    uint64_t offset, count;
    int i, index, flags = 0, err;

    for (i = 1; i < objc && Tcl_GetString(objv[i])[0] == '-'; i++) {
	if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	flags |= (index == 0) ? MS_ASYNC : MS_INVALIDATE;
    }
    if (objc - i != 1 && objc - i != 3) {
	Tcl_WrongNumArgs(interp, 1, objv,
		"?-async? ?-invalidate? channelId ?offset length?");
	return TCL_ERROR;
    }
    if (!(flags & MS_ASYNC)) {
	flags |= MS_SYNC;
    }
    if (MmapChannelGet(interp, objv[i], &mcPtr) != TCL_OK
	    || MmapGetRange(interp, mcPtr, objc - i - 1, objv + i + 1,
		    &offset, &count) != TCL_OK) {
	return TCL_ERROR;
    }
    err = MmapMapSync(&mcPtr->map, offset, count, flags);
    if (err != 0) {
	return MmapPosixError(interp, err, "msync", mcPtr->name);
    }
    return TCL_OK;
}

critcl::ccode {
    /*
     * The advice words of mmap::advise: the five POSIX ones everywhere,
     * and each Linux extra only where the headers define it.
     */

    typedef struct AdviceWord {
	const char *name;
	int advice;
    } AdviceWord;

    static const AdviceWord adviceWords[] = {
	{ "normal", MADV_NORMAL },	{ "random", MADV_RANDOM },
	{ "sequential", MADV_SEQUENTIAL },
	{ "willneed", MADV_WILLNEED },	{ "dontneed", MADV_DONTNEED },
#ifdef MADV_FREE
	{ "free", MADV_FREE },
#endif
#ifdef MADV_REMOVE
	{ "remove", MADV_REMOVE },
#endif
#ifdef MADV_DONTFORK
	{ "dontfork", MADV_DONTFORK },	{ "dofork", MADV_DOFORK },
#endif
#ifdef MADV_MERGEABLE
	{ "mergeable", MADV_MERGEABLE },
	{ "unmergeable", MADV_UNMERGEABLE },
#endif
#ifdef MADV_HUGEPAGE
	{ "hugepage", MADV_HUGEPAGE },	{ "nohugepage", MADV_NOHUGEPAGE },
#endif
#ifdef MADV_DONTDUMP
	{ "dontdump", MADV_DONTDUMP },	{ "dodump", MADV_DODUMP },
#endif
#ifdef MADV_WIPEONFORK
	{ "wipeonfork", MADV_WIPEONFORK },
	{ "keeponfork", MADV_KEEPONFORK },
#endif
#ifdef MADV_COLD
	{ "cold", MADV_COLD },		{ "pageout", MADV_PAGEOUT },
#endif
#ifdef MADV_POPULATE_READ
	{ "populate_read", MADV_POPULATE_READ },
	{ "populate_write", MADV_POPULATE_WRITE },
#endif
	{ NULL, 0 }
    };
}

critcl::ccommand mmap::advise {clientData interp objc objv} {
    MmapChannel *mcPtr;
    uint64_t offset, count;
    int index, err;

    if (objc != 3 && objc != 5) {
	Tcl_WrongNumArgs(interp, 1, objv, "channelId advice ?offset length?");
	return TCL_ERROR;
    }
    if (MmapChannelGet(interp, objv[1], &mcPtr) != TCL_OK
	    || Tcl_GetIndexFromObjStruct(interp, objv[2], adviceWords,
		    sizeof(AdviceWord), "advice", 0, &index) != TCL_OK
	    || MmapGetRange(interp, mcPtr, objc - 3, objv + 3, &offset,
		    &count) != TCL_OK) {
	return TCL_ERROR;
    }
    err = MmapMapAdvise(&mcPtr->map, offset, count,
	    adviceWords[index].advice);
    if (err != 0) {
	return MmapPosixError(interp, err, "madvise", mcPtr->name);
    }
    return TCL_OK;
}

critcl::ccommand mmap::protect {clientData interp objc objv} {
    static const char *const modes[] = { "none", "r", "rw", NULL };
    static const int modeBits[] = {
	0, MMAP_PAGE_READ, MMAP_PAGE_READ|MMAP_PAGE_WRITE
    };
    MmapChannel *mcPtr;
    uint64_t offset, count;
    int index, err;

    if (objc != 3 && objc != 5) {
	Tcl_WrongNumArgs(interp, 1, objv, "channelId mode ?offset length?");
	return TCL_ERROR;
    }
    if (MmapChannelGet(interp, objv[1], &mcPtr) != TCL_OK
	    || Tcl_GetIndexFromObj(interp, objv[2], modes, "mode", 0,
		    &index) != TCL_OK
	    || MmapGetRange(interp, mcPtr, objc - 3, objv + 3, &offset,
		    &count) != TCL_OK) {
	return TCL_ERROR;
    }
    if ((modeBits[index] & MMAP_PAGE_WRITE)
	    && MmapChannelWritable(interp, mcPtr) != TCL_OK) {
	return TCL_ERROR;
    }
    err = MmapMapProtect(&mcPtr->map, offset, count, modeBits[index]);
    MmapDropBufferedInput(mcPtr);
    if (err != 0) {
	return MmapPosixError(interp, err, "mprotect", mcPtr->name);
    }
    return TCL_OK;
}

critcl::ccode {
    /*
     * LockCmd: mmap::lock and mmap::unlock, told apart by clientData.
     */

    static int
    LockCmd(
	Tcl_Interp *interp,
	int objc,
	Tcl_Obj *const objv[],
	int lock)
    {
	MmapChannel *mcPtr;
	uint64_t offset, count;
	int err;

	if (objc != 2 && objc != 4) {
	    Tcl_WrongNumArgs(interp, 1, objv, "channelId ?offset length?");
	    return TCL_ERROR;
	}
	if (MmapChannelGet(interp, objv[1], &mcPtr) != TCL_OK
		|| MmapGetRange(interp, mcPtr, objc - 2, objv + 2, &offset,
			&count) != TCL_OK) {
	    return TCL_ERROR;
	}
	err = MmapMapLock(&mcPtr->map, offset, count, lock);
	if (err != 0) {
	    return MmapPosixError(interp, err, lock ? "mlock" : "munlock",
		    mcPtr->name);
	}
	return TCL_OK;
    }
}

critcl::ccommand mmap::lock {clientData interp objc objv} {
    return LockCmd(interp, objc, objv, 1);
}

critcl::ccommand mmap::unlock {clientData interp objc objv} {
    return LockCmd(interp, objc, objv, 0);
}

# # ## ### ##### ######## ############# #####################
## Implementation: atomic integers, resize

critcl::ccommand mmap::atomic {clientData interp objc objv} {
    static const char *const widths[] = { "32", "64", NULL };
    MmapAtomicRequest request;
    MmapChannel *mcPtr;
    uint64_t offset;
    Tcl_WideInt values[2] = { 0, 0 };
    Tcl_Obj *errorObj;
    int first = 1, index, op, i;

    static const char *const options[] = { "-width", NULL };

    request.width = 64;
    if (objc > 1 && Tcl_GetString(objv[1])[0] == '-') {
	if (Tcl_GetIndexFromObj(interp, objv[1], options, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	if (objc < 3) {
	    goto wrongArgs;
	}
	if (Tcl_GetIndexFromObj(interp, objv[2], widths, "width", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	request.width = index ? 64 : 32;
	first = 3;
    }
    if (objc < first + 3) {
	goto wrongArgs;
    }
    if (MmapChannelGet(interp, objv[first], &mcPtr) != TCL_OK
	    || MmapGetSize(interp, objv[first + 1], "offset", 0, &offset)
		    != TCL_OK
	    || Tcl_GetIndexFromObj(interp, objv[first + 2], mmapAtomicOpNames,
		    "operation", 0, &op) != TCL_OK) {
	return TCL_ERROR;
    }
    if (objc != first + 3 + mmapAtomicOpArity[op]) {
	goto wrongArgs;
    }
    for (i = 0; i < mmapAtomicOpArity[op]; i++) {
	Tcl_Obj *valueObj = objv[first + 3 + i];

	if (Tcl_GetWideIntFromObj(interp, valueObj, &values[i]) != TCL_OK) {
	    return TCL_ERROR;
	}

	/*
	 * A 32-bit operand may be given signed or unsigned (0xFFFFFFFF as a
	 * mask), like binary format's "i"; it is used modulo 2**32.
	 */

	if (request.width == 32
		&& (values[i] < INT32_MIN || values[i] > (Tcl_WideInt) UINT32_MAX)) {
	    return MmapError(interp, "RANGE", "bad value \"%s\": must fit in"
		    " 32 bits", Tcl_GetString(valueObj));
	}
    }
    if (MmapChannelRange(interp, mcPtr, offset, request.width / 8)
	    != TCL_OK) {
	return TCL_ERROR;
    }
    if (((uintptr_t) (mcPtr->map.base + offset)) % (request.width / 8)) {
	return MmapError(interp, "ALIGN", "offset %llu is not aligned to %d"
		" bytes", (unsigned long long) offset, request.width / 8);
    }
    if (op != MMAP_ATOMIC_LOAD
	    && MmapChannelWritable(interp, mcPtr) != TCL_OK) {
	return TCL_ERROR;
    }
    request.address = mcPtr->map.base + offset;
    request.op = (MmapAtomicOp) op;
    request.value = values[0];
    request.replacement = values[1];
    errorObj = MmapGuardedAccess(mcPtr, offset, request.width / 8,
	    op == MMAP_ATOMIC_LOAD ? MMAP_PAGE_READ
		    : MMAP_PAGE_READ|MMAP_PAGE_WRITE,
	    op == MMAP_ATOMIC_LOAD ? "reading" : "writing",
	    MmapAtomicRun, &request);
    if (op != MMAP_ATOMIC_LOAD) {
	MmapDropBufferedInput(mcPtr);
    }
    if (errorObj != NULL) {
	return MmapSetFromOptions(interp, errorObj);
    }
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(request.previous));
    return TCL_OK;

  wrongArgs:
    Tcl_WrongNumArgs(interp, 1, objv,
	    "?-width 32|64? channelId offset op ?value? ?new?");
    return TCL_ERROR;
}

critcl::ccommand mmap::resize {clientData interp objc objv} {
    static const char *const options[] = { "-truncate", NULL };
    MmapChannel *mcPtr;
    uint64_t length;
    Tcl_WideInt position;
    int first = 1, index, err;

    /* Channel names never start with "-": anything that does is an option. */
    if (objc > 1 && Tcl_GetString(objv[1])[0] == '-') {
	if (Tcl_GetIndexFromObj(interp, objv[1], options, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	first = 2;
    }
    if (objc != first + 2) {
	Tcl_WrongNumArgs(interp, 1, objv, "?-truncate? channelId newLength");
	return TCL_ERROR;
    }
    if (MmapChannelGet(interp, objv[first], &mcPtr) != TCL_OK
	    || MmapGetSize(interp, objv[first + 1], "length", 1, &length)
		    != TCL_OK) {
	return TCL_ERROR;
    }
    if (!(mcPtr->map.flags & MMAP_REGULAR) || !(mcPtr->map.flags & MMAP_SHARED)
	    || !(mcPtr->map.flags & MMAP_WRITABLE)) {
	return MmapError(interp, "MODE", "cannot resize \"%s\": only a"
		" shared, writable map of a regular file can be resized",
		mcPtr->name);
    }

    /*
     * Tcl_Tell is -1 (EBUSY) while a background fcopy uses the channel:
     * resizing under the copy would cut it short, so refuse.  Output that
     * Tcl still buffers belongs where it was written, in the old mapping;
     * and input read ahead from the old mapping is dropped by seeking to
     * the position tell reports.
     */

    position = Tcl_Tell(mcPtr->channel);
    if (position < 0) {
	err = Tcl_GetErrno();
	return MmapPosixError(interp, err ? err : EBUSY, "resize",
		mcPtr->name);
    }
    if (Tcl_OutputBuffered(mcPtr->channel) > 0
	    && Tcl_Flush(mcPtr->channel) != TCL_OK) {
	return MmapChannelFailure(interp, mcPtr, "flush");
    }
    err = MmapMapResize(&mcPtr->map, length, first == 2);
    if (err != 0) {
	return MmapPosixError(interp, err, "resize", mcPtr->name);
    }
    if ((uint64_t) position > length) {
	position = (Tcl_WideInt) length;
    }
    mcPtr->position = 0;	/* Any valid value: the seek sets it. */
    Tcl_Seek(mcPtr->channel, position, SEEK_SET);
    return TCL_OK;
}

# # ## ### ##### ######## ############# #####################
## Implementation: lines, the fast path for text

critcl::ccode {
    #include "linesbatch.h"
    #include "errors.h"
}

critcl::ccommand mmap::lines {clientData interp objc objv} {
    static const char *const options[] = { "-encoding", "-max", NULL };
    enum { O_ENCODING, O_MAX };
    MmapChannel *mcPtr;
    Tcl_Obj *encodingObj = NULL, *listObj, *errorObj = NULL;
    Tcl_Obj *lineObjs[LINE_BATCH];
    Tcl_Encoding encoding;
    uint64_t ends[LINE_BATCH];
    uint64_t maxLines = 1000, position, count, span, i, lineStart;
    uint64_t tooLong = 0;
    int noMemory = 0;
    Tcl_Size made;
    unsigned char *copy = NULL;
    uint64_t copySize = 0;
    int index, ascii, batchAscii, profile, badText = 0, first = 1;

    while (first < objc - 2 && Tcl_GetString(objv[first])[0] == '-') {
	if (Tcl_GetIndexFromObj(interp, objv[first], options, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	if (first + 1 >= objc - 2) {
	    goto wrongArgs;
	}
	if (index == O_ENCODING) {
	    encodingObj = objv[first + 1];
	} else if (MmapGetSize(interp, objv[first + 1], "max", 1, &maxLines)
		!= TCL_OK) {
	    return TCL_ERROR;
	}
	first += 2;
    }
    if (objc - first != 2 && objc - first != 3) {
	goto wrongArgs;
    }
    if (maxLines > LINE_MAX_COUNT) {
	maxLines = LINE_MAX_COUNT;
    }
    if (MmapChannelGet(interp, objv[first], &mcPtr) != TCL_OK
	    || MmapGetSize(interp, objv[first + 1], "offset", 0, &position)
		    != TCL_OK
	    || MmapChannelRange(interp, mcPtr, position, 0) != TCL_OK
	    || MmapLinesEncoding(interp, mcPtr, encodingObj, &encoding, &ascii,
		    &profile)
		    != TCL_OK) {
	return TCL_ERROR;
    }

    /*
     * Batch by batch; a batch that fails after others succeeded ends the
     * list there, as a read hands out what lies before a bad page: the
     * error comes with the next call, which starts at the failing line.
     * So does a line too long for a Tcl value.
     */

    listObj = Tcl_NewObj();
    Tcl_IncrRefCount(listObj);
    while (maxLines > 0 && position < mcPtr->map.length) {
	errorObj = MmapScanLines(mcPtr, position,
		maxLines < LINE_BATCH ? maxLines : LINE_BATCH, ends, &count);
	if (errorObj != NULL) {
	    break;
	}
	if (ends[0] > LINE_MAX_BYTES) {
	    tooLong = ends[0];
	    break;
	}

	/*
	 * The batch's bytes in one guarded copy: a window's worth, or the
	 * one long line that widened it (the lines after that one wait for
	 * the next batch), so that no line can be longer than the first.
	 */

	span = (ends[0] > LINE_WINDOW) ? ends[0] : LINE_WINDOW;
	while (ends[count - 1] > span) {
	    count--;
	}
	span = ends[count - 1];
	if (span > copySize) {
	    /*
	     * A long line's decoded value needs about as much again as its
	     * bytes (more for a multi-byte encoding): make sure of both
	     * before Tcl allocates without asking.
	     */

	    ckfree(copy);
	    copy = attemptckalloc((unsigned) span);
	    copySize = (copy == NULL) ? 0 : span;
	    if (copy == NULL || !MmapCanAllocate(3 * span)) {
		noMemory = 1;
		break;
	    }
	}
	errorObj = MmapCopyOut(mcPtr, position, copy, span, "reading");
	if (errorObj != NULL) {
	    break;
	}
	batchAscii = (ascii && MmapLinesAscii(copy, span)) ? 2 : ascii;
	for (i = 0, lineStart = 0; i < count; lineStart = ends[i++]) {
	    lineObjs[i] = MmapLineObj(copy + lineStart, ends[i] - lineStart,
		    encoding, batchAscii, profile);
	    if (lineObjs[i] == NULL) {
		/* Bytes the encoding refuses (Tcl 9's strict profile). */
		badText = 1;
		break;
	    }
	}
	Tcl_ListObjReplace(NULL, listObj, TCL_SIZE_MAX, 0, (Tcl_Size) i,
		lineObjs);
	position += (i == count) ? span : lineStart;
	maxLines -= i;
	if (badText) {
	    break;
	}
    }
    ckfree(copy);
    Tcl_FreeEncoding(encoding);

    Tcl_ListObjLength(NULL, listObj, &made);
    if (made == 0 && (errorObj != NULL || tooLong > 0 || noMemory
	    || badText)) {
	Tcl_DecrRefCount(listObj);
	if (errorObj != NULL) {
	    return MmapSetFromOptions(interp, errorObj);
	}
	if (badText) {
	    Tcl_SetErrno(EILSEQ);
	    Tcl_SetObjResult(interp, Tcl_ObjPrintf("error reading \"%s\":"
		    " %s at offset %llu", mcPtr->name, Tcl_PosixError(interp),
		    (unsigned long long) position));
	    return TCL_ERROR;
	}
	if (noMemory) {
	    return MmapPosixError(interp, ENOMEM, "read", mcPtr->name);
	}
	return MmapError(interp, "RANGE", "cannot read a line of %llu bytes"
		" at offset %llu: a Tcl value holds at most %d",
		(unsigned long long) tooLong, (unsigned long long) position,
		INT_MAX);
    }
    if (errorObj != NULL) {
	Tcl_IncrRefCount(errorObj);
	Tcl_DecrRefCount(errorObj);
    }
    if (objc - first == 3 && Tcl_ObjSetVar2(interp, objv[first + 2], NULL,
	    Tcl_NewWideIntObj((Tcl_WideInt) position), TCL_LEAVE_ERR_MSG)
	    == NULL) {
	Tcl_DecrRefCount(listObj);
	return TCL_ERROR;
    }
    Tcl_SetObjResult(interp, listObj);
    Tcl_DecrRefCount(listObj);
    return TCL_OK;

  wrongArgs:
    Tcl_WrongNumArgs(interp, 1, objv,
	    "?-encoding enc? ?-max n? channelId offset ?nextVar?");
    return TCL_ERROR;
}

# # ## ### ##### ######## ############# #####################
## Implementation: the ring log

critcl::ccode {
    #include "tclcmd.h"
}

critcl::ccommand mmap::ringlog {clientData interp objc objv} {
    return MmapRinglogObjCmd(clientData, interp, objc, objv);
}

# # ## ### ##### ######## ############# #####################
## Ready

if {![critcl::load]} {
    error "mmap: building or loading the C part failed"
}
package provide mmap 2.1
