/*
 * pread.h --
 *
 *	mmap::pread: bytes from anywhere in a map, without moving the
 *	channel; with -each, the same length at every offset of a list.
 */

#ifndef MMAP_PREAD_H
#define MMAP_PREAD_H

#include <tcl.h>

int		MmapPreadObjCmd(ClientData clientData, Tcl_Interp *interp,
		    int objc, Tcl_Obj *const objv[]);

#endif /* MMAP_PREAD_H */
