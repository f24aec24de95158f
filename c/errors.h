/*
 * errors.h --
 *
 *	How the package reports errors: the library's own refusals with
 *	errorCode {MMAP <WHAT> ...}, system failures through Tcl_PosixError,
 *	and faults on mapped memory ({MMAP TRUNCATED|PROTECTED|IO chan
 *	offset}),
 *	which channel drivers hand to Tcl through Tcl_SetChannelError.
 */

#ifndef MMAP_ERRORS_H
#define MMAP_ERRORS_H

#include <stdint.h>
#include <tcl.h>
#include "guard.h"

/*
 * Tcl 9 counts lengths in Tcl_Size (ptrdiff_t); Tcl 8.6 in int, and does
 * not define the type.
 */

#ifndef TCL_SIZE_MAX
typedef int Tcl_Size;
#define TCL_SIZE_MAX INT_MAX
#endif

int		MmapError(Tcl_Interp *interp, const char *what,
		    const char *format, ...);
int		MmapPosixError(Tcl_Interp *interp, int err, const char *call,
		    const char *chanName);
Tcl_Obj *	MmapFaultOptions(const char *verb, const char *chanName,
		    MmapFault fault, uint64_t offset);
MmapFault	MmapFaultInfo(Tcl_Obj *optionsObj, uint64_t *offsetPtr);
int		MmapSetFromOptions(Tcl_Interp *interp, Tcl_Obj *optionsObj);
const unsigned char *	MmapGetBytesFromObj(Tcl_Interp *interp,
		    Tcl_Obj *objPtr, Tcl_Size *lengthPtr);
int		MmapGetSize(Tcl_Interp *interp, Tcl_Obj *objPtr,
		    const char *what, int positive, uint64_t *valuePtr);

#endif /* MMAP_ERRORS_H */
