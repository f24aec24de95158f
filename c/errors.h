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
int		MmapBadSize(Tcl_Interp *interp, Tcl_Obj *objPtr,
		    const char *what, int positive, int code,
		    Tcl_WideInt value);

/*
 *----------------------------------------------------------------------
 *
 * MmapGetSize --
 *
 *	Parses an offset, length or count: a Tcl integer that must be
 *	non-negative (positive when "positive" is set) and fit 64 bits.
 *	Inline: every command parses its offsets and lengths here, a
 *	batched read each offset of its list, and the good case is a few
 *	instructions; the refusals are MmapBadSize's.
 *
 * Results:
 *	TCL_OK with *valuePtr set, or TCL_ERROR with Tcl's own message for
 *	a non-integer ("expected integer but got ...") and {MMAP RANGE}
 *	'bad <what> "-1": must be a non-negative integer' otherwise.
 *
 * Side effects:
 *	None beyond the error.
 *
 *----------------------------------------------------------------------
 */

static inline int
MmapGetSize(
    Tcl_Interp *interp,
    Tcl_Obj *objPtr,
    const char *what,
    int positive,
    uint64_t *valuePtr)
{
    Tcl_WideInt value;
    int code = Tcl_GetWideIntFromObj(interp, objPtr, &value);

    if (code == TCL_OK && (value > 0 || (value == 0 && !positive))) {
	*valuePtr = (uint64_t) value;
	return TCL_OK;
    }
    MmapBadSize(interp, objPtr, what, positive, code, value);
    return TCL_ERROR;
}

#endif /* MMAP_ERRORS_H */
