/*
 * atomic.c --
 *
 *	The atomic operations of mmap::atomic (see atomic.h), with GCC's
 *	__atomic builtins at __ATOMIC_SEQ_CST.  Arithmetic wraps around in
 *	two's complement, as the hardware does: adding 1 to the largest
 *	32-bit value gives the smallest.  The operations must not fall back
 *	to a lock, which would not be shared between processes: the build
 *	fails on a platform where they would.
 */

#include <stddef.h>
#include "atomic.h"

_Static_assert(__atomic_always_lock_free(sizeof(int32_t), 0),
	"32-bit atomics must be lock-free to work across processes");
_Static_assert(__atomic_always_lock_free(sizeof(int64_t), 0),
	"64-bit atomics must be lock-free to work across processes");

const char *const mmapAtomicOpNames[] = {
    "load", "store", "add", "sub", "and", "or", "xor", "xchg", "cas", NULL
};
const int mmapAtomicOpArity[] = { 0, 1, 1, 1, 1, 1, 1, 1, 2 };

/*
 * One body for both widths: T is the integer type, U its unsigned twin
 * (add and sub go through U so that overflow wraps instead of being
 * undefined behaviour).
 */

#define RUN_ATOMIC(T, U, requestPtr) do {				\
    T *p = (T *) (requestPtr)->address;					\
    T value = (T) (U) (requestPtr)->value;				\
    T expected;								\
									\
    switch ((requestPtr)->op) {						\
    case MMAP_ATOMIC_LOAD:						\
	(requestPtr)->previous = __atomic_load_n(p, __ATOMIC_SEQ_CST);	\
	break;								\
    case MMAP_ATOMIC_STORE:						\
	(requestPtr)->previous = __atomic_exchange_n(p, value,		\
		__ATOMIC_SEQ_CST);					\
	break;								\
    case MMAP_ATOMIC_ADD:						\
	(requestPtr)->previous = (T) __atomic_fetch_add((U *) p,	\
		(U) value, __ATOMIC_SEQ_CST);				\
	break;								\
    case MMAP_ATOMIC_SUB:						\
	(requestPtr)->previous = (T) __atomic_fetch_sub((U *) p,	\
		(U) value, __ATOMIC_SEQ_CST);				\
	break;								\
    case MMAP_ATOMIC_AND:						\
	(requestPtr)->previous = __atomic_fetch_and(p, value,		\
		__ATOMIC_SEQ_CST);					\
	break;								\
    case MMAP_ATOMIC_OR:						\
	(requestPtr)->previous = __atomic_fetch_or(p, value,		\
		__ATOMIC_SEQ_CST);					\
	break;								\
    case MMAP_ATOMIC_XOR:						\
	(requestPtr)->previous = __atomic_fetch_xor(p, value,		\
		__ATOMIC_SEQ_CST);					\
	break;								\
    case MMAP_ATOMIC_XCHG:						\
	(requestPtr)->previous = __atomic_exchange_n(p, value,		\
		__ATOMIC_SEQ_CST);					\
	break;								\
    case MMAP_ATOMIC_CAS:						\
	expected = value;						\
	(void) __atomic_compare_exchange_n(p, &expected,		\
		(T) (U) (requestPtr)->replacement, 0, __ATOMIC_SEQ_CST,	\
		__ATOMIC_SEQ_CST);					\
	(requestPtr)->previous = expected;				\
	break;								\
    }									\
} while (0)

/*
 *----------------------------------------------------------------------
 *
 * MmapAtomicRun --
 *
 *	Performs one MmapAtomicRequest; an MmapGuardedProc, so that a
 *	truncated file or a protected page is caught by the guard.
 *
 * Results:
 *	None; requestPtr->previous holds the value found before the
 *	operation (for cas: the value found, so success is previous ==
 *	expected).
 *
 * Side effects:
 *	Changes the integer in memory, except for load and a failed cas.
 *
 *----------------------------------------------------------------------
 */

void
MmapAtomicRun(
    void *clientData)
{
    MmapAtomicRequest *requestPtr = clientData;

    if (requestPtr->width == 32) {
	RUN_ATOMIC(int32_t, uint32_t, requestPtr);
    } else {
	RUN_ATOMIC(int64_t, uint64_t, requestPtr);
    }
}
