/*
 * tclint.h --
 *
 *	What the Tcl face of the ring log shares between its files: the
 *	data of one log command, and the functions one file defines for
 *	the others.
 *
 *	    tclcmd.c	mmap::ringlog create|open, the log command's
 *			dispatch, append, bounds, stats, sync, close, errors
 *	    tclread.c	read (-from -count -last -wait), cursor, cursors
 *	    tclnotify.c	notify: the watcher thread and its events
 */

#ifndef MMAP_RINGLOG_TCLINT_H
#define MMAP_RINGLOG_TCLINT_H

#include <tcl.h>
#include "ringlog.h"
#include "errors.h"

typedef struct Notifier Notifier;

/*
 * One open log, the clientData of its command.  The command is deleted by
 * "close", by renaming it to {}, or with its interpreter; the delete proc
 * releases the log in every case.
 */

typedef struct RinglogCmd {
    MmapRinglog *logPtr;	/* The log. */
    Tcl_Interp *interp;		/* The interpreter of the command. */
    Tcl_Command token;		/* Its command. */
    Tcl_Obj *pathObj;		/* The path it was opened by, for stats. */
    Tcl_Encoding encoding;	/* -encoding, or NULL: messages are bytes. */
    Notifier *notifierPtr;	/* The running "notify", or NULL. */
    char name[48];		/* "::mmap::ringlogN", for messages. */
} RinglogCmd;

#pragma GCC visibility push(hidden)

/* tclcmd.c */
int		RlTclError(Tcl_Interp *interp, const char *name,
		    const char *verb, const MmapRinglogError *errPtr);

/* tclread.c */
int		RlReadCmd(Tcl_Interp *interp, RinglogCmd *cmdPtr, int objc,
		    Tcl_Obj *const objv[]);
int		RlCursorCmd(Tcl_Interp *interp, RinglogCmd *cmdPtr, int objc,
		    Tcl_Obj *const objv[]);
int		RlCursorsCmd(Tcl_Interp *interp, RinglogCmd *cmdPtr);

/* tclnotify.c */
int		RlNotifyCmd(Tcl_Interp *interp, RinglogCmd *cmdPtr, int objc,
		    Tcl_Obj *const objv[]);
void		RlNotifyStop(RinglogCmd *cmdPtr);

#pragma GCC visibility pop

#endif /* MMAP_RINGLOG_TCLINT_H */
