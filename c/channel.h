/*
 * channel.h --
 *
 *	The "mmap" channel type: a Tcl channel whose bytes are a mapping, and
 *	the checked, fault-guarded access to the mapping that the channel
 *	procs and the ::mmap commands share.
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
    uint64_t lastReadEnd;	/* Position after the previous read. */
    char name[32];		/* "mmapN". */
} MmapChannel;

MmapChannel *	MmapChannelAlloc(void);
Tcl_Channel	MmapChannelRegister(Tcl_Interp *interp, MmapChannel *mcPtr);
int		MmapChannelGet(Tcl_Interp *interp, Tcl_Obj *nameObj,
		    MmapChannel **mcPtrPtr);
int		MmapChannelRange(Tcl_Interp *interp, MmapChannel *mcPtr,
		    uint64_t offset, uint64_t count);
int		MmapGetRange(Tcl_Interp *interp, MmapChannel *mcPtr,
		    int objc, Tcl_Obj *const objv[], uint64_t *offsetPtr,
		    uint64_t *countPtr);
int		MmapChannelWritable(Tcl_Interp *interp, MmapChannel *mcPtr);
Tcl_Obj *	MmapCopyOut(MmapChannel *mcPtr, uint64_t offset,
		    void *dst, uint64_t count, const char *verb);
Tcl_Obj *	MmapCopyIn(MmapChannel *mcPtr, uint64_t offset,
		    const void *src, uint64_t count, const char *verb);
Tcl_Obj *	MmapGuardedAccess(MmapChannel *mcPtr, uint64_t offset,
		    uint64_t count, int pageBits, const char *verb,
		    MmapGuardedProc *proc, void *clientData);
void		MmapDropBufferedInput(MmapChannel *mcPtr);
int		MmapSyncAfterWrite(MmapChannel *mcPtr, uint64_t offset,
		    uint64_t count);

#endif /* MMAP_CHANNEL_H */
