/*
 * open.h --
 *
 *	Making a new mmap channel: from a source channel (the mmap command),
 *	from a path (mmap::open, openpath.c) or from anonymous memory
 *	(mmap::anonymous); and the creation options they share.
 */

#ifndef MMAP_OPEN_H
#define MMAP_OPEN_H

#include <tcl.h>
#include <stdint.h>

/* What the creation options asked for. */
typedef struct MmapOpenSpec {
    int shared;			/* -shared (1) or -private (0). */
    int haveLength;		/* -length was given. */
    uint64_t length;		/* Its value. */
    uint64_t offset;		/* -offset, 0 by default. */
    int populate;		/* -populate: MAP_POPULATE. */
    int noreserve;		/* -noreserve: MAP_NORESERVE. */
    int cyclic;			/* -cyclic, 1 by default. */
    int syncMode;		/* -sync, MMAP_SYNC_ASYNC by default. */
    int haveSize;		/* mmap::open -size was given. */
    uint64_t size;		/* Its value. */
} MmapOpenSpec;

void		MmapOpenSpecInit(MmapOpenSpec *specPtr);
int		MmapOpenChannel(Tcl_Interp *interp, const MmapOpenSpec *specPtr,
		    Tcl_Obj *sourceObj);
int		MmapOpenAnonymous(Tcl_Interp *interp,
		    const MmapOpenSpec *specPtr);
int		MmapMapSource(Tcl_Interp *interp, const MmapOpenSpec *specPtr,
		    Tcl_Channel chan, int mode, const char *name,
		    int byPath);
int		MmapOpenPath(Tcl_Interp *interp, const MmapOpenSpec *specPtr,
		    Tcl_Obj *pathObj, Tcl_Obj *accessObj);
int		MmapNoChannel(Tcl_Interp *interp, Tcl_Obj *nameObj);
int		MmapParseOpenOptions(Tcl_Interp *interp, int limit,
		    Tcl_Obj *const objv[], const char *const table[],
		    int *indexPtr, MmapOpenSpec *specPtr);

#endif /* MMAP_OPEN_H */
