/*
 * pread.c --
 *
 *	mmap::pread (see pread.h).  A read is one copy from the mapping into
 *	a byte array.  With -each, one such array for every offset of a
 *	list, in one command: a loop of preads pays a command call, a
 *	channel lookup and the parsing of three arguments per record, the
 *	batch once.  Every offset is checked (range and page protection)
 *	before any record is made, and a fault met while copying discards
 *	what was copied, so the batch returns all its records or an error.
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "pread.h"
#include "access.h"
#include "errors.h"

/*
 * What a record of -each costs in memory besides its bytes, rounded up:
 * its Tcl_Obj, the byte array's and the allocator's headers, its slot in
 * the list and in this command's table.  The allocation probe counts it.
 */

#define RECORD_OVERHEAD 128

/* One record of -each: where it comes from, where it goes. */
typedef struct Record {
    uint64_t offset;
    unsigned char *bytes;
} Record;

static int	PreadOne(Tcl_Interp *interp, Tcl_Obj *chanObj,
		    Tcl_Obj *offsetObj, Tcl_Obj *lengthObj);
static int	PreadEach(Tcl_Interp *interp, Tcl_Obj *chanObj,
		    Tcl_Obj *listObj, Tcl_Obj *lengthObj);
static inline void	SetBytes(Tcl_Obj *objPtr, uint64_t count,
		    unsigned char **bytesPtr);
static inline Tcl_Obj *	NewBytes(uint64_t count,
		    unsigned char **bytesPtr);
static void	AdviseHugePages(void *buffer, uint64_t count);
static void	PopulateSource(MmapChannel *mcPtr, uint64_t offset,
		    uint64_t count);
static int	TooLong(Tcl_Interp *interp, uint64_t count);

/*
 *----------------------------------------------------------------------
 *
 * MmapPreadObjCmd --
 *
 *	mmap::pread ?-each? channelId offset length: "length" bytes from
 *	"offset", or with -each from each offset of a list.
 *
 * Results:
 *	A standard Tcl result: a byte array, or a list of them.
 *
 * Side effects:
 *	None; the channel's position does not move.
 *
 *----------------------------------------------------------------------
 */

int
MmapPreadObjCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    static const char *const options[] = { "-each", NULL };
    int index;

    (void) clientData;

    /*
     * Channel names never start with "-": a word that does is an option.
     * A channel name has its string already: no call to ask for it.
     */

    if (objc > 1 && ((objv[1]->bytes != NULL) ? objv[1]->bytes[0]
	    : Tcl_GetString(objv[1])[0]) == '-') {
	if (Tcl_GetIndexFromObj(interp, objv[1], options, "option", 0,
		&index) != TCL_OK) {
	    return TCL_ERROR;
	}
	if (objc != 5) {
	    Tcl_WrongNumArgs(interp, 2, objv, "channelId offsetList length");
	    return TCL_ERROR;
	}
	return PreadEach(interp, objv[2], objv[3], objv[4]);
    }
    if (objc != 4) {
	Tcl_WrongNumArgs(interp, 1, objv, "?-each? channelId offset length");
	return TCL_ERROR;
    }
    return PreadOne(interp, objv[1], objv[2], objv[3]);
}

/*
 * PreadOne: mmap::pread channelId offset length.
 */

static int
PreadOne(
    Tcl_Interp *interp,
    Tcl_Obj *chanObj,
    Tcl_Obj *offsetObj,
    Tcl_Obj *lengthObj)
{
    MmapChannel *mcPtr;
    uint64_t offset, count;
    Tcl_Obj *resultObj, *errorObj;
    unsigned char *bytes;

    if (MmapChannelGet(interp, chanObj, &mcPtr) != TCL_OK
	    || MmapGetSize(interp, offsetObj, "offset", 0, &offset) != TCL_OK
	    || MmapGetSize(interp, lengthObj, "length", 0, &count) != TCL_OK
	    || MmapChannelRange(interp, mcPtr, offset, count) != TCL_OK) {
	return TCL_ERROR;
    }
    if (count > (uint64_t) INT_MAX) {
	return TooLong(interp, count);
    }
    if (!MmapCanAllocate(count)) {
	return MmapPosixError(interp, ENOMEM, "read", mcPtr->name);
    }

    /*
     * One copy, straight from the mapping into the byte array that is the
     * result.  Tcl resets the result before it calls a command, so it is
     * an empty value that only the interpreter holds: made into the byte
     * array in place, it saves allocating one value and freeing another
     * (the classic Tcl_SetIntObj(Tcl_GetObjResult(interp), ...) idiom).
     * Should a caller have left it shared, a new one takes its place.
     */

    resultObj = Tcl_GetObjResult(interp);
    if (Tcl_IsShared(resultObj)) {
	resultObj = Tcl_NewObj();
	Tcl_SetObjResult(interp, resultObj);
    }
    SetBytes(resultObj, count, &bytes);
    PopulateSource(mcPtr, offset, count);
    errorObj = MmapCopyOut(mcPtr, offset, bytes, count, "reading");
    if (errorObj != NULL) {
	return MmapSetFromOptions(interp, errorObj);
    }
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * PreadEach --
 *
 *	mmap::pread -each channelId offsetList length.  Three passes: every
 *	offset parsed and checked against the map and its page protection;
 *	then, memory permitting, every record made; then every copy, each
 *	under the fault guard.
 *
 * Results:
 *	A standard Tcl result: the list of records, in the order of the
 *	offsets; an empty list for an empty offsetList.  The error of the
 *	first offset that is refused, in the words of mmap::pread, and
 *	nothing else.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

static int
PreadEach(
    Tcl_Interp *interp,
    Tcl_Obj *chanObj,
    Tcl_Obj *listObj,
    Tcl_Obj *lengthObj)
{
    MmapChannel *mcPtr;
    Tcl_Obj **elems, **objs, *resultObj, *errorObj = NULL;
    Tcl_Size n, i;
    uint64_t count, bad;
    Record *records;
    int code = TCL_ERROR;

    /*
     * The length before the list: parsing a word after taking the list's
     * elements would free them when both words are one value, as literals
     * often are ("mmap::pread -each $m 8 8").
     */

    if (MmapChannelGet(interp, chanObj, &mcPtr) != TCL_OK
	    || MmapGetSize(interp, lengthObj, "length", 0, &count) != TCL_OK
	    || Tcl_ListObjGetElements(interp, listObj, &n, &elems)
		    != TCL_OK) {
	return TCL_ERROR;
    }
    if (n == 0) {
	if (count > (uint64_t) INT_MAX) {
	    return TooLong(interp, count);
	}
	Tcl_ResetResult(interp);
	return TCL_OK;
    }
    if ((uint64_t) n > (uint64_t) UINT_MAX
	    / (sizeof(Record) + sizeof(Tcl_Obj *))) {
	return MmapPosixError(interp, ENOMEM, "read", mcPtr->name);
    }
    records = attemptckalloc((unsigned) n
	    * (sizeof(Record) + sizeof(Tcl_Obj *)));
    if (records == NULL) {
	return MmapPosixError(interp, ENOMEM, "read", mcPtr->name);
    }
    objs = (Tcl_Obj **) (records + n);

    for (i = 0; i < n; i++) {
	if (MmapGetSize(interp, elems[i], "offset", 0, &records[i].offset)
		!= TCL_OK || MmapChannelRange(interp, mcPtr, records[i].offset,
		count) != TCL_OK) {
	    goto done;
	}
	if (mcPtr->map.pageState != NULL && !MmapMapAccessible(&mcPtr->map,
		records[i].offset, count, MMAP_PAGE_READ, &bad)) {
	    code = MmapSetFromOptions(interp, MmapFaultOptions("reading",
		    mcPtr->name, MMAP_FAULT_ACCESS, bad));
	    goto done;
	}
    }
    if (count > (uint64_t) INT_MAX) {
	code = TooLong(interp, count);
	goto done;
    }

    /*
     * Tcl's allocator panics when memory runs out: ask for all the
     * records at once first.  n is below 2**32 and count below 2**31, so
     * the product fits.
     */

    if (!MmapCanAllocate((uint64_t) n * (count + RECORD_OVERHEAD))) {
	code = MmapPosixError(interp, ENOMEM, "read", mcPtr->name);
	goto done;
    }
    for (i = 0; i < n; i++) {
	objs[i] = NewBytes(count, &records[i].bytes);
    }
    resultObj = Tcl_NewListObj(n, objs);
    Tcl_IncrRefCount(resultObj);
    for (i = 0; i < n && count > 0; i++) {
	PopulateSource(mcPtr, records[i].offset, count);
	errorObj = MmapCopyOutChecked(mcPtr, records[i].offset,
		records[i].bytes, count, "reading");
	if (errorObj != NULL) {
	    break;
	}
    }
    if (errorObj != NULL) {
	code = MmapSetFromOptions(interp, errorObj);
    } else {
	Tcl_SetObjResult(interp, resultObj);
	code = TCL_OK;
    }
    Tcl_DecrRefCount(resultObj);

  done:
    ckfree(records);
    return code;
}

/*
 * SetBytes, NewBytes: an unshared value made a byte array of count bytes,
 * or a new one, their values left to the copy that follows (the byte
 * array calls take NULL for that), so that they are allocated once and
 * written once; a large one advised into huge pages.
 */

static inline void
SetBytes(
    Tcl_Obj *objPtr,
    uint64_t count,
    unsigned char **bytesPtr)
{
    Tcl_Size length;

    Tcl_SetByteArrayObj(objPtr, NULL, (Tcl_Size) count);
    *bytesPtr = Tcl_GetByteArrayFromObj(objPtr, &length);
    AdviseHugePages(*bytesPtr, count);
}

static inline Tcl_Obj *
NewBytes(
    uint64_t count,
    unsigned char **bytesPtr)
{
    Tcl_Obj *objPtr = Tcl_NewByteArrayObj(NULL, (Tcl_Size) count);
    Tcl_Size length;

    *bytesPtr = Tcl_GetByteArrayFromObj(objPtr, &length);
    AdviseHugePages(*bytesPtr, count);
    return objPtr;
}

/*
 * AdviseHugePages: a large result is fresh memory, and faulting it in
 * 4 KiB pages can cost more than the copy into them; with transparent
 * huge pages ("madvise" mode is common) 2 MiB pages need 512 times fewer
 * faults.  Only whole 2 MiB blocks inside the buffer are advised.
 */

#define HUGE_PAGE (2u << 20)

static void
AdviseHugePages(
    void *buffer,
    uint64_t count)
{
#ifdef MADV_HUGEPAGE
    uintptr_t start, end;

    if (count < 2 * (uint64_t) HUGE_PAGE) {
	return;
    }
    start = ((uintptr_t) buffer + HUGE_PAGE - 1)
	    & ~(uintptr_t) (HUGE_PAGE - 1);
    end = ((uintptr_t) buffer + count) & ~(uintptr_t) (HUGE_PAGE - 1);
    if (end > start) {
	(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
    }
#else
    (void) buffer; (void) count;
#endif
}

/*
 * PopulateSource: the pages a large read copies from, mapped in one
 * system call (MADV_POPULATE_READ, Linux 5.14) rather than one fault per
 * few pages as the copy first touches them, which on a fresh map costs
 * about as much as the copy.  A refusal (an older kernel, a file cut
 * short, protected pages) changes nothing: the copy meets the same pages
 * and judges their faults as always.
 */

static void
PopulateSource(
    MmapChannel *mcPtr,
    uint64_t offset,
    uint64_t count)
{
#ifdef MADV_POPULATE_READ
    if (count >= 2 * (uint64_t) HUGE_PAGE) {
	(void) MmapMapAdvise(&mcPtr->map, offset, count, MADV_POPULATE_READ);
    }
#else
    (void) mcPtr; (void) offset; (void) count;
#endif
}

/*
 * TooLong: the refusal of a record longer than a Tcl value can be.
 */

static int
TooLong(
    Tcl_Interp *interp,
    uint64_t count)
{
    return MmapError(interp, "RANGE", "cannot read %llu bytes at once: a"
	    " Tcl value holds at most %d", (unsigned long long) count,
	    INT_MAX);
}
