/*
 * fuzz_resize.c --
 *
 *	libFuzzer harness for the mapping's resize and fault paths
 *	(c/mapping.c, c/fileref.c, c/guard.c).  The input is read as a
 *	program run on a shared, writable map of a memfd file: resizes with
 *	and without truncate, truncations and extensions of the file behind
 *	the map's back, protect and lock of page ranges, and guarded reads
 *	and writes anywhere in the map.  A model keeps the file's bytes and
 *	size and the protection of every page; after each step:
 *
 *	  - a resize succeeded, the map has the new length, and the file
 *	    has max(old size, offset + length) bytes, or exactly offset +
 *	    length with truncate, with every byte it kept unchanged;
 *	  - a guarded access returns no fault when it touches only pages
 *	    the file backs and the protection allows, with the model's
 *	    bytes; otherwise a fault of a kind one of its pages explains
 *	    (MMAP_FAULT_BUS for a page past the end of the file,
 *	    MMAP_FAULT_ACCESS for a protected one); a write that faults
 *	    changes nothing the model can see outside the faulting pages;
 *	  - SIGBUS and SIGSEGV are never left blocked.
 *
 *	Build (tests/core.test does):
 *	    clang-14 -g -O1 -fsanitize=fuzzer,address,undefined
 *		-fno-sanitize-recover=all -Ic fuzz/fuzz_resize.c
 *		c/mapping.c c/fileref.c c/guard.c c/region.c -o fuzz_resize
 *	Run: ./fuzz_resize -max_total_time=60 corpus/
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "guard.h"
#include "mapping.h"

#define MUST(cond) do {						\
    if (!(cond)) {						\
	fprintf(stderr, "fuzz_resize: %s:%d: check failed: %s\n",	\
		__FILE__, __LINE__, #cond);			\
	abort();						\
    }								\
} while (0)

#define MAX_PAGES 8		/* Largest file and map, in pages. */

typedef struct Input {
    const uint8_t *data;
    size_t size;
} Input;

static uint64_t P;		/* The page size. */

/* The model: the file's bytes and the protection of the area's pages. */
static unsigned char model[MAX_PAGES * 4 * 4096 + 4096];
static uint64_t modelSize;
static int prot[MAX_PAGES * 4 + 2];	/* MMAP_PAGE_* bits, by area page. */

static unsigned
Take(
    Input *inPtr,
    unsigned limit)
{
    unsigned value = 0;

    if (inPtr->size >= 2) {
	value = inPtr->data[0] | (inPtr->data[1] << 8);
	inPtr->data += 2;
	inPtr->size -= 2;
    }
    return limit ? value % limit : 0;
}

/* ModelSize: the file now has "size" bytes; new ones are zeros. */

static void
ModelSize(
    uint64_t size)
{
    if (size > modelSize) {
	memset(model + modelSize, 0, size - modelSize);
    }
    modelSize = size;
}

static void
SetFileSize(
    int fd,
    uint64_t size)
{
    MUST(ftruncate(fd, (off_t) size) == 0);
    ModelSize(size);
}

static void
CheckFile(
    int fd)
{
    static unsigned char buf[sizeof(model)];
    struct stat st;

    MUST(fstat(fd, &st) == 0);
    MUST((uint64_t) st.st_size == modelSize);
    MUST(pread(fd, buf, modelSize, 0) == (ssize_t) modelSize);
    MUST(memcmp(buf, model, modelSize) == 0);
}

/*
 * What an access of [offset, offset+count) of the map may meet: 0 for
 * nothing; else a mask of (1 << MMAP_FAULT_BUS) and (1 << MMAP_FAULT_ACCESS)
 * for the kinds its pages explain.
 */

static int
Expected(
    const MmapMap *mapPtr,
    uint64_t offset,
    uint64_t count,
    int bits)
{
    uint64_t first = (mapPtr->delta + offset) / P;
    uint64_t last = (mapPtr->delta + offset + count - 1) / P, page;
    uint64_t fileEnd = (modelSize + P - 1) / P * P;
    int kinds = 0;

    for (page = first; page <= last; page++) {
	if (mapPtr->offset - mapPtr->delta + page * P >= fileEnd) {
	    kinds |= 1 << MMAP_FAULT_BUS;
	}
	if ((prot[page] & bits) != bits) {
	    kinds |= 1 << MMAP_FAULT_ACCESS;
	}
    }
    return kinds;
}

static void
Access(
    MmapMap *mapPtr,
    Input *inPtr,
    int write)
{
    static unsigned char buf[sizeof(model)];
    uint64_t offset = Take(inPtr, (unsigned) mapPtr->length);
    uint64_t count = 1 + Take(inPtr, (unsigned) (mapPtr->length - offset));
    uint64_t fileOffset = mapPtr->offset + offset, i;
    int bits = MMAP_PAGE_READ | (write ? MMAP_PAGE_WRITE : 0);
    int kinds = Expected(mapPtr, offset, count, bits);
    uintptr_t addr;
    MmapFault fault;

    if (write) {
	/* Never into the tail of the last page: it is not in the file. */
	if (fileOffset >= modelSize) {
	    return;
	}
	if (count > modelSize - fileOffset) {
	    count = modelSize - fileOffset;
	}
	kinds = Expected(mapPtr, offset, count, bits);
	for (i = 0; i < count; i++) {
	    buf[i] = (unsigned char) (Take(inPtr, 256) ^ i);
	}
	fault = MmapGuardedCopy(mapPtr->base + offset, buf, count,
		mapPtr->area, mapPtr->areaLength, &addr);
    } else {
	fault = MmapGuardedCopy(buf, mapPtr->base + offset, count,
		mapPtr->area, mapPtr->areaLength, &addr);
    }
    if (kinds == 0) {
	MUST(fault == MMAP_FAULT_NONE);
	for (i = 0; i < count; i++) {
	    if (write) {
		model[fileOffset + i] = buf[i];
	    } else {
		MUST(buf[i] == (fileOffset + i < modelSize
			? model[fileOffset + i] : 0));
	    }
	}
	return;
    }
    MUST(fault != MMAP_FAULT_NONE && (kinds & (1 << fault)));
    MUST(addr >= (uintptr_t) mapPtr->base + offset
	    && addr < (uintptr_t) mapPtr->base + offset + count);
    if (write) {
	/* Part of it may have landed: take the file as it now is. */
	MUST(pread(mapPtr->fd, model, modelSize, 0) == (ssize_t) modelSize);
    }
}

static void
Resize(
    MmapMap *mapPtr,
    Input *inPtr)
{
    uint64_t length = 1 + Take(inPtr, (unsigned) (MAX_PAGES * P - P));
    int truncate = Take(inPtr, 2);
    uint64_t end = mapPtr->offset + length, oldPages, newPages, page;
    int err;

    oldPages = (mapPtr->areaLength + P - 1) / P;
    err = MmapMapResize(mapPtr, length, truncate);
    MUST(err == 0);
    MUST(mapPtr->length == length);
    newPages = (mapPtr->areaLength + P - 1) / P;
    if (truncate || end > modelSize) {
	ModelSize(end);
    }
    for (page = oldPages; page < newPages; page++) {
	prot[page] = MMAP_PAGE_READ | MMAP_PAGE_WRITE;
    }
}

static void
Protect(
    MmapMap *mapPtr,
    Input *inPtr)
{
    static const int modes[] = {
	0, MMAP_PAGE_READ, MMAP_PAGE_READ | MMAP_PAGE_WRITE
    };
    uint64_t offset = Take(inPtr, (unsigned) mapPtr->length);
    uint64_t count = Take(inPtr, (unsigned) (mapPtr->length - offset + 1));
    int mode = modes[Take(inPtr, 3)];
    uint64_t page;

    MUST(MmapMapProtect(mapPtr, offset, count, mode) == 0);
    if (count > 0) {
	for (page = (mapPtr->delta + offset) / P;
		page <= (mapPtr->delta + offset + count - 1) / P; page++) {
	    prot[page] = mode;
	}
    }
}

static int
Blocked(
    int sig)
{
    sigset_t mask;

    sigprocmask(SIG_SETMASK, NULL, &mask);
    return sigismember(&mask, sig);
}

int
LLVMFuzzerTestOneInput(
    const uint8_t *data,
    size_t size)
{
    Input in = { data, size };
    MmapMap map;
    uint64_t offset, length, i;
    int fd, step, page;

    if (P == 0) {
	P = MmapPageSize();
	MUST(P <= 4096 * 4);
	MUST(MmapGuardInstall() == 0);
    }
    fd = memfd_create("fuzz_resize", MFD_CLOEXEC);
    MUST(fd >= 0);
    offset = Take(&in, (unsigned) (2 * P + 50));
    length = 1 + Take(&in, (unsigned) (4 * P));
    modelSize = 0;
    SetFileSize(fd, offset + length + Take(&in, (unsigned) (2 * P)));
    for (i = 0; i < modelSize; i++) {
	model[i] = (unsigned char) (i % 251);
    }
    MUST(pwrite(fd, model, modelSize, 0) == (ssize_t) modelSize);
    MUST(MmapMapCreate(&map, fd, offset, length,
	    MMAP_REGULAR | MMAP_SHARED | MMAP_WRITABLE) == 0);
    for (page = 0; page < (int) (sizeof(prot) / sizeof(prot[0])); page++) {
	prot[page] = MMAP_PAGE_READ | MMAP_PAGE_WRITE;
    }

    for (step = 0; step < 40 && in.size > 0; step++) {
	switch (Take(&in, 6)) {
	case 0:
	    Resize(&map, &in);
	    break;
	case 1:
	    SetFileSize(fd, Take(&in, (unsigned) (MAX_PAGES * P)));
	    break;
	case 2:
	    Access(&map, &in, 0);
	    break;
	case 3:
	    Access(&map, &in, 1);
	    break;
	case 4:
	    Protect(&map, &in);
	    break;
	default:
	    /* May fail (RLIMIT_MEMLOCK, a page past the end): either way. */
	    (void) MmapMapLock(&map, 0, 1, Take(&in, 2));
	    break;
	}
	CheckFile(fd);
	MUST(!Blocked(SIGBUS) && !Blocked(SIGSEGV));
    }
    MUST(MmapMapDestroy(&map, 0) == 0);
    close(fd);
    return 0;
}
