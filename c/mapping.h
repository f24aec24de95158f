/*
 * mapping.h --
 *
 *	One memory mapping and the system calls on it: mmap(2), munmap(2),
 *	msync(2), madvise(2), mprotect(2), mlock(2), mremap(2).  No Tcl here.
 *
 *	The user asks for any offset; mmap(2) needs a page-aligned one.  The
 *	mapping therefore starts "delta" bytes before the user's first byte:
 *	"area" is what mmap(2) returned, "base" = area + delta is offset 0 as
 *	the user sees it.  All offsets taken by these functions are relative
 *	to base.
 */

#ifndef MMAP_MAPPING_H
#define MMAP_MAPPING_H

#include <stdint.h>
#include "fileref.h"

/* Flags of a mapping. */
enum {
    MMAP_WRITABLE  = 1 << 0,	/* PROT_WRITE: the source was read/write. */
    MMAP_SHARED    = 1 << 1,	/* MAP_SHARED, else MAP_PRIVATE. */
    MMAP_ANONYMOUS = 1 << 2,	/* No file behind it (MAP_ANONYMOUS). */
    MMAP_REGULAR   = 1 << 3,	/* Backed by a regular file (fd kept). */
    MMAP_POPULATE  = 1 << 4,	/* MAP_POPULATE: prefault at map time. */
    MMAP_NORESERVE = 1 << 5	/* MAP_NORESERVE: no swap reservation. */
};

/* Bits of pageState[i], kept only once protect or lock was used. */
enum {
    MMAP_PAGE_READ   = 1 << 0,
    MMAP_PAGE_WRITE  = 1 << 1,
    MMAP_PAGE_LOCKED = 1 << 2
};

typedef struct MmapMap {
    unsigned char *area;	/* Page-aligned start, as mmap(2) gave it. */
    uint64_t areaLength;	/* delta + length. */
    unsigned char *base;	/* The user's offset 0: area + delta. */
    uint64_t length;		/* The user's length in bytes. */
    uint64_t delta;		/* base - area, below one page. */
    uint64_t offset;		/* File offset of base. */
    int fd;			/* The file's shared descriptor, or -1. */
    MmapFileRef *fileRef;	/* Its reference (fileref.h), or NULL. */
    int flags;			/* MMAP_* flags above. */
    unsigned char *pageState;	/* NULL, or one byte a page of area. */
} MmapMap;

uint64_t	MmapPageSize(void);
int		MmapMapCreate(MmapMap *mapPtr, int fd, uint64_t offset,
		    uint64_t length, int flags);
int		MmapMapDestroy(MmapMap *mapPtr, int syncFirst);
int		MmapMapSync(MmapMap *mapPtr, uint64_t offset, uint64_t count,
		    int msyncFlags);
int		MmapMapAdvise(MmapMap *mapPtr, uint64_t offset,
		    uint64_t count, int advice);
int		MmapMapProtect(MmapMap *mapPtr, uint64_t offset,
		    uint64_t count, int pageBits);
int		MmapMapLock(MmapMap *mapPtr, uint64_t offset, uint64_t count,
		    int lock);
int		MmapMapIsLocked(const MmapMap *mapPtr);
int		MmapMapResize(MmapMap *mapPtr, uint64_t newLength,
		    int truncate);
int		MmapMapAccessible(const MmapMap *mapPtr, uint64_t offset,
		    uint64_t count, int pageBits, uint64_t *firstBadPtr);

#endif /* MMAP_MAPPING_H */
