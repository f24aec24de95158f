/*
 * guard.h --
 *
 *	The fault guard: runs a copy (or any short operation) on mapped
 *	memory so that a SIGBUS (the file was truncated under the mapping)
 *	or SIGSEGV (the pages are protected) raised inside a given address
 *	range returns an error code to the caller instead of killing the
 *	process.  Faults anywhere else go to the handler that was there
 *	before.  No Tcl here, so the C tests and the fuzzer can use it.
 *
 *	Cost per guarded operation: a sigsetjmp without saving the signal
 *	mask (no system call) and a few thread-local stores.
 */

#ifndef MMAP_GUARD_H
#define MMAP_GUARD_H

#include <stddef.h>
#include <stdint.h>

/*
 * What a guarded operation reports.  MMAP_FAULT_NONE is 0 so that callers
 * can test the result as a boolean.
 */

typedef enum MmapFault {
    MMAP_FAULT_NONE = 0,	/* The operation completed. */
    MMAP_FAULT_BUS,		/* SIGBUS: no file behind the page. */
    MMAP_FAULT_ACCESS,		/* SIGSEGV: page protection forbids it. */
    MMAP_FAULT_IO		/* Never from the guard: a SIGBUS where the
				 * file is long enough (a full disk, a
				 * device error), as the caller tells it
				 * apart from truncation. */
} MmapFault;

typedef void (MmapGuardedProc)(void *clientData);

int		MmapGuardInstall(void);
MmapFault	MmapGuardedCopy(void *dst, const void *src, size_t count,
		    const void *rangeStart, size_t rangeLength,
		    uintptr_t *faultAddrPtr);
MmapFault	MmapGuardedCall(MmapGuardedProc *proc, void *clientData,
		    const void *rangeStart, size_t rangeLength,
		    uintptr_t *faultAddrPtr);

#endif /* MMAP_GUARD_H */
