/*
 * open.h --
 *
 *	Making a new mmap channel: from a source channel (the mmap command)
 *	or from anonymous memory (mmap::anonymous).
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
} MmapOpenSpec;

void		MmapOpenSpecInit(MmapOpenSpec *specPtr);
int		MmapOpenChannel(Tcl_Interp *interp, const MmapOpenSpec *specPtr,
		    Tcl_Obj *sourceObj);
int		MmapOpenAnonymous(Tcl_Interp *interp,
		    const MmapOpenSpec *specPtr);

#endif /* MMAP_OPEN_H */
