/*
 * mapping.c --
 *
 *	A memory mapping and the system calls on it (see mapping.h).  Every
 *	function returns 0 or an errno value and leaves the mapping as it was
 *	when it fails.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mapping.h"
#include "region.h"

static unsigned	PageShift(void);
static uint64_t	PageCount(uint64_t bytes);
static int	EnsurePageState(MmapMap *mapPtr);
static int	Remap(MmapMap *mapPtr, uint64_t newLength);
static void *	RemapFresh(MmapMap *mapPtr, uint64_t newArea, int *errPtr);
static int	PageRange(const MmapMap *mapPtr, uint64_t offset,
		    uint64_t count, uint64_t *startPtr, uint64_t *spanPtr);

/*
 *----------------------------------------------------------------------
 *
 * MmapPageSize --
 *
 *	The system page size, asked once.
 *
 * Results:
 *	The page size in bytes.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

uint64_t
MmapPageSize(void)
{
    static uint64_t pageSize = 0;

    if (pageSize == 0) {
	pageSize = (uint64_t) sysconf(_SC_PAGESIZE);
    }
    return pageSize;
}

/*
 * PageShift: log2 of the page size, a power of two.
 */

static unsigned
PageShift(void)
{
    static unsigned shift = 0;

    if (shift == 0) {
	shift = (unsigned) __builtin_ctzll(MmapPageSize());
    }
    return shift;
}

static uint64_t
PageCount(
    uint64_t bytes)
{
    return bytes / MmapPageSize() + (bytes % MmapPageSize() != 0);
}

/*
 * PageRange: the byte range [offset, offset+count) of the user's view as
 * whole pages of area, for the system calls that work on pages.
 */

static int
PageRange(
    const MmapMap *mapPtr,
    uint64_t offset,
    uint64_t count,
    uint64_t *startPtr,
    uint64_t *spanPtr)
{
    return MmapPageSpan(mapPtr->delta, mapPtr->length, offset, count,
	    MmapPageSize(), startPtr, spanPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapCreate --
 *
 *	Maps "length" bytes at file "offset" of fd (fd < 0: anonymous
 *	memory).  The caller has checked the range against the file.
 *
 * Results:
 *	0, or an errno value (EOVERFLOW for a range the address space cannot
 *	hold).
 *
 * Side effects:
 *	A new mapping; for a regular file a reference to its shared
 *	descriptor (fileref.h), so that the caller may close its channel
 *	and resize and the fault report can still reach the file.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapCreate(
    MmapMap *mapPtr,
    int fd,
    uint64_t offset,
    uint64_t length,
    int flags)
{
    uint64_t aligned = MmapAlignDown(offset, MmapPageSize());
    uint64_t delta = offset - aligned;
    int prot = PROT_READ, mapFlags, err;
    MmapFileRef *fileRef = NULL;
    void *area;

    memset(mapPtr, 0, sizeof(*mapPtr));
    mapPtr->fd = -1;
    if (length == 0 || length > (uint64_t) SIZE_MAX - delta
	    || aligned > (uint64_t) INT64_MAX) {
	return length == 0 ? EINVAL : EOVERFLOW;
    }
    if (flags & MMAP_WRITABLE) {
	prot |= PROT_WRITE;
    }
    mapFlags = (flags & MMAP_SHARED) ? MAP_SHARED : MAP_PRIVATE;
    if (fd < 0) {
	mapFlags |= MAP_ANONYMOUS;
	flags |= MMAP_ANONYMOUS;
    }
#ifdef MAP_POPULATE
    if (flags & MMAP_POPULATE) {
	mapFlags |= MAP_POPULATE;
    }
#endif
#ifdef MAP_NORESERVE
    if (flags & MMAP_NORESERVE) {
	mapFlags |= MAP_NORESERVE;
    }
#endif
    if ((flags & MMAP_REGULAR) && fd >= 0) {
	err = MmapFileAcquire(fd, (flags & MMAP_WRITABLE) != 0, &fileRef);
	if (err != 0) {
	    return err;
	}
    }
    area = mmap(NULL, (size_t) (delta + length), prot, mapFlags, fd,
	    (off_t) aligned);
    if (area == MAP_FAILED) {
	err = errno;
	if (fileRef != NULL) {
	    MmapFileRelease(fileRef);
	}
	return err;
    }
    mapPtr->area = area;
    mapPtr->areaLength = delta + length;
    mapPtr->base = (unsigned char *) area + delta;
    mapPtr->length = length;
    mapPtr->delta = delta;
    mapPtr->offset = offset;
    mapPtr->fileRef = fileRef;
    mapPtr->fd = (fileRef != NULL) ? MmapFileDescriptor(fileRef) : -1;
    mapPtr->flags = flags;
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapDestroy --
 *
 *	Unmaps, after an msync(MS_SYNC) of the whole mapping if syncFirst.
 *
 * Results:
 *	0, or the errno of the first call that failed; the mapping is gone
 *	either way.
 *
 * Side effects:
 *	munmap(2), the file's shared descriptor released, the page state
 *	freed.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapDestroy(
    MmapMap *mapPtr,
    int syncFirst)
{
    int err = 0;

    if (mapPtr->area == NULL) {
	return 0;
    }
    if (syncFirst && msync(mapPtr->area, mapPtr->areaLength, MS_SYNC) != 0) {
	err = errno;
    }
    if (munmap(mapPtr->area, mapPtr->areaLength) != 0 && err == 0) {
	err = errno;
    }
    if (mapPtr->fileRef != NULL) {
	MmapFileRelease(mapPtr->fileRef);
    }
    free(mapPtr->pageState);
    memset(mapPtr, 0, sizeof(*mapPtr));
    mapPtr->fd = -1;
    return err;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapSync, MmapMapAdvise --
 *
 *	msync(2) and madvise(2) over the pages covering a byte range.
 *
 * Results:
 *	0, ERANGE for a range outside the mapping, or the call's errno.
 *
 * Side effects:
 *	Those of the system call.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapSync(
    MmapMap *mapPtr,
    uint64_t offset,
    uint64_t count,
    int msyncFlags)
{
    uint64_t start, span;
    int err = PageRange(mapPtr, offset, count, &start, &span);

    if (err != 0 || span == 0) {
	return err;
    }
    return msync(mapPtr->area + start, span, msyncFlags) ? errno : 0;
}

int
MmapMapAdvise(
    MmapMap *mapPtr,
    uint64_t offset,
    uint64_t count,
    int advice)
{
    uint64_t start, span;
    int err = PageRange(mapPtr, offset, count, &start, &span);

    if (err != 0 || span == 0) {
	return err;
    }
    return madvise(mapPtr->area + start, span, advice) ? errno : 0;
}

/*
 * EnsurePageState: the per-page record is made the first time protect or
 * lock is used, so that maps that never use them pay nothing for it.
 */

static int
EnsurePageState(
    MmapMap *mapPtr)
{
    uint64_t pages = PageCount(mapPtr->areaLength);
    unsigned char initial = MMAP_PAGE_READ;

    if (mapPtr->pageState != NULL) {
	return 0;
    }
    mapPtr->pageState = malloc(pages);
    if (mapPtr->pageState == NULL) {
	return ENOMEM;
    }
    if (mapPtr->flags & MMAP_WRITABLE) {
	initial |= MMAP_PAGE_WRITE;
    }
    memset(mapPtr->pageState, initial, pages);
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapProtect --
 *
 *	mprotect(2) over the pages covering a byte range; pageBits is a set
 *	of MMAP_PAGE_READ/WRITE (0 for no access).
 *
 * Results:
 *	0, ERANGE, EACCES for write access to a read-only mapping, or the
 *	errno of mprotect.
 *
 * Side effects:
 *	The pages' protection, and the record of it that accesses check.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapProtect(
    MmapMap *mapPtr,
    uint64_t offset,
    uint64_t count,
    int pageBits)
{
    uint64_t start, span, page;
    int prot = PROT_NONE, err;

    if ((pageBits & MMAP_PAGE_WRITE) && !(mapPtr->flags & MMAP_WRITABLE)) {
	return EACCES;
    }
    err = PageRange(mapPtr, offset, count, &start, &span);
    if (err != 0 || span == 0) {
	return err;
    }
    err = EnsurePageState(mapPtr);
    if (err != 0) {
	return err;
    }
    if (pageBits & MMAP_PAGE_READ) {
	prot |= PROT_READ;
    }
    if (pageBits & MMAP_PAGE_WRITE) {
	prot |= PROT_WRITE;
    }
    if (mprotect(mapPtr->area + start, span, prot) != 0) {
	return errno;
    }
    for (page = start / MmapPageSize(); page < (start + span) / MmapPageSize();
	    page++) {
	mapPtr->pageState[page] = (unsigned char) ((mapPtr->pageState[page]
		& MMAP_PAGE_LOCKED) | pageBits);
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapLock --
 *
 *	mlock(2) (lock != 0) or munlock(2) over the pages of a byte range.
 *
 * Results:
 *	0, ERANGE, or the call's errno (ENOMEM or EPERM past RLIMIT_MEMLOCK).
 *
 * Side effects:
 *	The pages are (un)locked in memory and recorded as such.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapLock(
    MmapMap *mapPtr,
    uint64_t offset,
    uint64_t count,
    int lock)
{
    uint64_t start, span, page;
    int err = PageRange(mapPtr, offset, count, &start, &span);

    if (err != 0 || span == 0) {
	return err;
    }
    err = EnsurePageState(mapPtr);
    if (err != 0) {
	return err;
    }
    if ((lock ? mlock(mapPtr->area + start, span)
	    : munlock(mapPtr->area + start, span)) != 0) {
	return errno;
    }
    for (page = start / MmapPageSize(); page < (start + span) / MmapPageSize();
	    page++) {
	if (lock) {
	    mapPtr->pageState[page] |= MMAP_PAGE_LOCKED;
	} else {
	    mapPtr->pageState[page] &= (unsigned char) ~MMAP_PAGE_LOCKED;
	}
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapIsLocked --
 *
 *	Tells whether any page of the mapping is locked.
 *
 * Results:
 *	1 or 0.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapIsLocked(
    const MmapMap *mapPtr)
{
    uint64_t page, pages = PageCount(mapPtr->areaLength);

    if (mapPtr->pageState == NULL) {
	return 0;
    }
    for (page = 0; page < pages; page++) {
	if (mapPtr->pageState[page] & MMAP_PAGE_LOCKED) {
	    return 1;
	}
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapAccessible --
 *
 *	Tells whether every page under [offset, offset+count) allows the
 *	access pageBits, as mmap::protect left them.
 *
 * Results:
 *	1 if so; else 0 with *firstBadPtr set to the first offset (relative
 *	to base) that does not.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapAccessible(
    const MmapMap *mapPtr,
    uint64_t offset,
    uint64_t count,
    int pageBits,
    uint64_t *firstBadPtr)
{
    uint64_t page, last, first = mapPtr->delta + offset;

    if (mapPtr->pageState == NULL || count == 0) {
	return 1;
    }
    if (offset > mapPtr->length || count > mapPtr->length - offset) {
	return 1;		/* Bounds are the caller's check. */
    }

    /*
     * Every read and write through the channel asks this once a page is
     * protected anywhere in the map: shifts, not 64-bit divisions, which
     * cost more than the rest of the loop for a short access.
     */

    page = first >> PageShift();
    last = (first + count - 1) >> PageShift();
    for (; page <= last; page++) {
	if ((mapPtr->pageState[page] & pageBits) != pageBits) {
	    uint64_t bad = page << PageShift();

	    *firstBadPtr = (bad > first) ? bad - mapPtr->delta : offset;
	    return 0;
	}
    }
    return 1;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapMapResize --
 *
 *	Grows or shrinks a shared, file-backed mapping to newLength bytes.
 *	The file is extended (sparse) when the new end passes its end, and
 *	never shrunk, unless "truncate", which sets its size to exactly
 *	offset + newLength.
 *
 *	The order of the steps is what keeps a failure harmless: a file
 *	that must grow grows first (the new pages need it) and is put back
 *	to its exact previous size if the remap fails, which only removes
 *	the zeros it gained; a file that must shrink shrinks last, after
 *	the remap, since its cut-off bytes could not be given back.
 *
 * Results:
 *	0, EINVAL for a mapping that cannot be resized or a zero length,
 *	EOVERFLOW, or the errno of fstat/ftruncate/mremap/mmap.  On failure
 *	the file has its exact previous size and content and the mapping is
 *	as it was.
 *
 * Side effects:
 *	The file's size; the mapping may move.  Pages added at the end get
 *	the mapping's original protection.
 *
 *----------------------------------------------------------------------
 */

int
MmapMapResize(
    MmapMap *mapPtr,
    uint64_t newLength,
    int truncate)
{
    uint64_t oldPages, newPages, oldSize, newEnd, oldLength;
    unsigned char *newState;
    struct stat st;
    int err, extended = 0;

    if (mapPtr->fd < 0 || !(mapPtr->flags & MMAP_SHARED)
	    || !(mapPtr->flags & MMAP_WRITABLE) || newLength == 0) {
	return EINVAL;
    }
    if (newLength > (uint64_t) SIZE_MAX - mapPtr->delta
	    || newLength > (uint64_t) INT64_MAX - mapPtr->offset) {
	return EOVERFLOW;
    }
    oldPages = PageCount(mapPtr->areaLength);
    newPages = PageCount(mapPtr->delta + newLength);
    if (mapPtr->pageState != NULL && newPages > oldPages) {
	/*
	 * Never shrink the record: if the resize fails below, the mapping
	 * keeps its old length and needs every byte of it.
	 */

	newState = realloc(mapPtr->pageState, newPages);
	if (newState == NULL) {
	    return ENOMEM;
	}
	mapPtr->pageState = newState;
    }

    if (fstat(mapPtr->fd, &st) != 0) {
	return errno;
    }
    oldSize = (uint64_t) st.st_size;
    newEnd = mapPtr->offset + newLength;
    if (newEnd > oldSize) {
	if (ftruncate(mapPtr->fd, (off_t) newEnd) != 0) {
	    return errno;
	}
	extended = 1;
    }
    oldLength = mapPtr->length;
    err = Remap(mapPtr, newLength);
    if (err == 0 && truncate && newEnd < oldSize
	    && ftruncate(mapPtr->fd, (off_t) newEnd) != 0) {
	err = errno;

	/*
	 * The file still holds every byte: map the old length again.  A
	 * shrink cannot fail; a regrow after a shrink could, in theory,
	 * and then the mapping keeps the length it has.
	 */

	(void) Remap(mapPtr, oldLength);
    }
    if (err != 0 && extended) {
	(void) ftruncate(mapPtr->fd, (off_t) oldSize);
    }
    return err;
}

/*
 *----------------------------------------------------------------------
 *
 * Remap --
 *
 *	Moves the mapping to newLength bytes of the same file: mremap(2), or
 *	a fresh mapping when mremap cannot (see RemapFresh).
 *
 * Results:
 *	0, or an errno value with the mapping as it was.
 *
 * Side effects:
 *	The mapping may move.  Pages added at the end get the mapping's
 *	original protection.
 *
 *----------------------------------------------------------------------
 */

static int
Remap(
    MmapMap *mapPtr,
    uint64_t newLength)
{
    uint64_t newArea = mapPtr->delta + newLength;
    uint64_t oldPages = PageCount(mapPtr->areaLength);
    uint64_t newPages = PageCount(newArea);
    void *area;
    int err;

    area = mremap(mapPtr->area, mapPtr->areaLength, newArea, MREMAP_MAYMOVE);
    if (area == MAP_FAILED) {
	/*
	 * mremap cannot move a range that protect or lock split into
	 * several kernel mappings (EFAULT); map the file afresh instead.
	 */

	area = RemapFresh(mapPtr, newArea, &err);
	if (area == MAP_FAILED) {
	    return err;
	}
    }
    mapPtr->area = area;
    mapPtr->areaLength = newArea;
    mapPtr->base = (unsigned char *) area + mapPtr->delta;
    mapPtr->length = newLength;

    /*
     * mremap extends the last page's protection over the new pages; give
     * them the mapping's own protection instead, as a fresh map would.
     */

    if (mapPtr->pageState != NULL && newPages > oldPages) {
	(void) mprotect(mapPtr->area + oldPages * MmapPageSize(),
		(newPages - oldPages) * MmapPageSize(), PROT_READ|PROT_WRITE);
	memset(mapPtr->pageState + oldPages, MMAP_PAGE_READ|MMAP_PAGE_WRITE,
		newPages - oldPages);
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * RemapFresh --
 *
 *	The slow path of resize: maps the file's new range at a new address,
 *	gives its pages the protection and locks the old ones had, and
 *	unmaps the old range.  The mapping is shared, so the data is in the
 *	file and nothing needs copying.
 *
 * Results:
 *	The new area, or MAP_FAILED with *errPtr set (the old mapping then
 *	stays as it was).
 *
 * Side effects:
 *	mmap(2), mprotect(2), mlock(2), munmap(2).
 *
 *----------------------------------------------------------------------
 */

static void *
RemapFresh(
    MmapMap *mapPtr,
    uint64_t newArea,
    int *errPtr)
{
    uint64_t pageSize = MmapPageSize(), page, pages;
    unsigned char *area;

    area = mmap(NULL, (size_t) newArea, PROT_READ|PROT_WRITE, MAP_SHARED,
	    mapPtr->fd, (off_t) (mapPtr->offset - mapPtr->delta));
    if (area == MAP_FAILED) {
	*errPtr = errno;
	return MAP_FAILED;
    }
    if (mapPtr->pageState != NULL) {
	pages = PageCount(newArea < mapPtr->areaLength
		? newArea : mapPtr->areaLength);
	for (page = 0; page < pages; page++) {
	    unsigned char state = mapPtr->pageState[page];
	    int prot = ((state & MMAP_PAGE_READ) ? PROT_READ : 0)
		    | ((state & MMAP_PAGE_WRITE) ? PROT_WRITE : 0);

	    if ((prot != (PROT_READ|PROT_WRITE)
		    && mprotect(area + page * pageSize, pageSize, prot) != 0)
		    || ((state & MMAP_PAGE_LOCKED)
		    && mlock(area + page * pageSize, pageSize) != 0)) {
		*errPtr = errno;
		munmap(area, (size_t) newArea);
		return MAP_FAILED;
	    }
	}
    }
    munmap(mapPtr->area, mapPtr->areaLength);
    return area;
}
