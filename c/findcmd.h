/*
 * findcmd.h --
 *
 *	mmap::find and mmap::grep: the Tcl commands over the search core
 *	(scan.h).
 */

#ifndef MMAP_FINDCMD_H
#define MMAP_FINDCMD_H

#include <tcl.h>

int		MmapFindObjCmd(ClientData clientData, Tcl_Interp *interp,
		    int objc, Tcl_Obj *const objv[]);
int		MmapGrepObjCmd(ClientData clientData, Tcl_Interp *interp,
		    int objc, Tcl_Obj *const objv[]);

#endif /* MMAP_FINDCMD_H */
