/*
 * channel.h --
 *
 *	The "mmap" channel type: a Tcl channel whose bytes are a mapping.
 *	The checked, fault-guarded access to those bytes, which the channel
 *	procs share with the ::mmap commands, is in access.h.
 */

#ifndef MMAP_CHANNEL_H
#define MMAP_CHANNEL_H

#include <tcl.h>
#include "mapping.h"
#include "guard.h"

/* The write-through policies of -sync, in the order of their names. */
enum { MMAP_SYNC_NONE, MMAP_SYNC_ASYNC, MMAP_SYNC_SYNC };
extern const char *const mmapSyncNames[];

/*
 * The instance data of one mmap channel.  Owned by the thread that owns
 * the channel; thread::transfer moves both together.
 */

typedef struct MmapChannel {
    Tcl_Channel channel;	/* The Tcl channel, once created. */
    MmapMap map;		/* The mapping. */
    uint64_t position;		/* Where the next read or write goes. */
    int mode;			/* TCL_READABLE, maybe | TCL_WRITABLE. */
    int cyclic;			/* Writes wrap at the end (-cyclic). */
    int syncMode;		/* MMAP_SYNC_* after each write (-sync). */
    int written;		/* Any write happened: close syncs. */
    int watchMask;		/* Events fileevent wants. */
    Tcl_TimerToken timer;	/* Fires those events; NULL when idle. */
    uint64_t readChunk;		/* Bytes the next sequential read hands. */
    uint64_t firstChunk;	/* What the first read of this run handed. */
    int nonBlocking;		/* -blocking 0: reads fill Tcl's buffer. */
    uint64_t lastReadEnd;	/* Position after the previous read. */
    char name[32];		/* "mmapN". */
} MmapChannel;

MmapChannel *	MmapChannelAlloc(void);
Tcl_Channel	MmapChannelRegister(Tcl_Interp *interp, MmapChannel *mcPtr);
int		MmapChannelGet(Tcl_Interp *interp, Tcl_Obj *nameObj,
		    MmapChannel **mcPtrPtr);
#endif /* MMAP_CHANNEL_H */
