/*
 * tclcmd.h --
 *
 *	The Tcl face of the ring log (ringlog.h): the mmap::ringlog command
 *	and the log commands it makes.
 */

#ifndef MMAP_RINGLOGCMD_H
#define MMAP_RINGLOGCMD_H

#include <tcl.h>

int		MmapRinglogObjCmd(ClientData clientData, Tcl_Interp *interp,
		    int objc, Tcl_Obj *const objv[]);

#endif /* MMAP_RINGLOGCMD_H */
