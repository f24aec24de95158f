/*
 * atomic.h --
 *
 *	Sequentially consistent, lock-free read-modify-write operations on
 *	32- and 64-bit signed integers in mapped memory, shared by threads
 *	and by processes that map the same pages.  No Tcl here.
 */

#ifndef MMAP_ATOMIC_H
#define MMAP_ATOMIC_H

#include <stdint.h>

/* The operations, in the order of their names in mmapAtomicOpNames. */
typedef enum MmapAtomicOp {
    MMAP_ATOMIC_LOAD, MMAP_ATOMIC_STORE, MMAP_ATOMIC_ADD, MMAP_ATOMIC_SUB,
    MMAP_ATOMIC_AND, MMAP_ATOMIC_OR, MMAP_ATOMIC_XOR, MMAP_ATOMIC_XCHG,
    MMAP_ATOMIC_CAS
} MmapAtomicOp;

extern const char *const mmapAtomicOpNames[];
extern const int mmapAtomicOpArity[];	/* Values each op takes. */

/*
 * One operation, in a form MmapGuardedCall can run: the caller fills in
 * everything but "previous".
 */

typedef struct MmapAtomicRequest {
    void *address;		/* Aligned to width/8 bytes. */
    int width;			/* 32 or 64. */
    MmapAtomicOp op;
    int64_t value;		/* store/add/.../xchg operand; cas expected. */
    int64_t replacement;	/* cas: the new value. */
    int64_t previous;		/* Out: the value before the operation. */
} MmapAtomicRequest;

void		MmapAtomicRun(void *requestPtr);

#endif /* MMAP_ATOMIC_H */
