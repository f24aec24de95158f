/*
 * guard.c --
 *
 *	The fault guard (see guard.h).  One SIGBUS and one SIGSEGV handler
 *	are installed once per process, with SA_SIGINFO|SA_NODEFER.  A
 *	guarded operation arms a thread-local record (the address range it
 *	touches and a sigjmp_buf); the handler jumps back only when the
 *	faulting address lies in the armed range of the faulting thread,
 *	and otherwise passes the signal on to the previous handler, so that
 *	other code's faults behave exactly as they did without us.
 *
 *	SA_NODEFER keeps the signal unblocked while the handler runs, so
 *	sigsetjmp need not save the mask (which would cost a sigprocmask
 *	system call per copy); a handler installed later that chains to ours
 *	runs with the signal blocked, so before jumping out the handler puts
 *	back the mask the kernel saved at the fault (RestoreFaultMask).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <errno.h>
#include <ucontext.h>
#include "guard.h"

/*
 * The armed state of one thread.  Fields read by the handler are volatile
 * because the handler interrupts the thread that writes them.
 */

typedef struct GuardState {
    volatile uintptr_t start;	/* First byte of the armed range. */
    volatile uintptr_t end;	/* One past its last byte. */
    volatile uintptr_t faultAddr;	/* Where the fault happened. */
    volatile int armed;		/* Non-zero while an operation runs. */
    sigjmp_buf env;		/* Where the handler jumps back to. */
} GuardState;

/*
 * Each thread's record lives in thread-local storage of the ordinary
 * (dynamic) model, which glibc allocates for a library loaded with dlopen
 * on the thread's first touch and frees when the thread exits.  The
 * handler must not make that first touch (an allocation in a signal
 * handler, on a thread that may have crashed inside malloc, would
 * deadlock instead of dying), so it reaches the record only through a
 * pointer in initial-exec storage: one load at a fixed offset from the
 * thread pointer, which never allocates, and NULL on a thread that has
 * never armed.  A guarded operation sets it the first time (GetState).
 * The handler runs on the thread it interrupts, so arming needs no atomic
 * instruction either, and the common path makes no call to
 * __tls_get_addr.
 */

static __thread GuardState guardState;
static __thread GuardState *guardStatePtr
	__attribute__((tls_model("initial-exec")));

static struct sigaction previousBus;
static struct sigaction previousSegv;
static pthread_once_t installOnce = PTHREAD_ONCE_INIT;
static int installError = 0;

static void	GuardHandler(int sig, siginfo_t *info, void *context);
static void	RestoreFaultMask(void *context);
static void	InstallHandlers(void);
static void	PassOn(int sig, siginfo_t *info, void *context);
static inline GuardState *	GetState(void);
static void	CopyInPieces(void *dst, const void *src, size_t count)
		    __attribute__((noinline));

/* The largest piece CopyInPieces hands memcpy. */
#define COPY_PIECE ((size_t) 16 << 20)

/*
 *----------------------------------------------------------------------
 *
 * MmapGuardInstall --
 *
 *	Installs the handlers, once per process, whatever the thread.
 *
 * Results:
 *	0, or the errno of a failed sigaction(2).
 *
 * Side effects:
 *	Replaces the SIGBUS and SIGSEGV dispositions with ours, which pass
 *	on every fault they do not own to the ones they replaced.
 *
 *----------------------------------------------------------------------
 */

int
MmapGuardInstall(void)
{
    pthread_once(&installOnce, InstallHandlers);
    return installError;
}

static void
InstallHandlers(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof(action));
    action.sa_sigaction = GuardHandler;
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previousBus) != 0
	    || sigaction(SIGSEGV, &action, &previousSegv) != 0) {
	installError = errno;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * GuardHandler --
 *
 *	The SIGBUS/SIGSEGV handler.  Jumps back into the guarded operation
 *	of this thread when the fault is inside its armed range.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Either a siglongjmp, or whatever the previous handler does.
 *
 *----------------------------------------------------------------------
 */

static void
GuardHandler(
    int sig,
    siginfo_t *info,
    void *context)
{
    GuardState *statePtr = guardStatePtr;
    uintptr_t addr = (uintptr_t) info->si_addr;

    if (statePtr != NULL && statePtr->armed && info->si_code > 0
	    && addr >= statePtr->start && addr < statePtr->end) {
	statePtr->armed = 0;
	statePtr->faultAddr = addr;
	RestoreFaultMask(context);
	siglongjmp(statePtr->env, sig);
    }
    PassOn(sig, info, context);
}

/*
 *----------------------------------------------------------------------
 *
 * RestoreFaultMask --
 *
 *	Before the jump out of the handler: gives the thread back the
 *	signal mask it had when it faulted.  Our own handler runs with
 *	SA_NODEFER and blocks nothing, but a handler installed after ours
 *	(libsigsegv, a JVM, Go, a garbage collector) runs with the signal
 *	blocked and then chains to us; jumping out of that frame would leave
 *	SIGBUS blocked, and the next fault would kill the process.  The
 *	kernel saved the interrupted mask in the ucontext; only the fault
 *	path pays for the system call.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	pthread_sigmask(2).
 *
 *----------------------------------------------------------------------
 */

static void
RestoreFaultMask(
    void *context)
{
    const ucontext_t *ucontextPtr = context;
    sigset_t unblock;

    if (ucontextPtr != NULL) {
	pthread_sigmask(SIG_SETMASK, &ucontextPtr->uc_sigmask, NULL);
	return;
    }

    /*
     * A chaining handler that passes no context: the faulting thread did
     * not block these signals (a blocked synchronous fault kills it before
     * any handler runs), so unblocking them restores its mask for them.
     */

    sigemptyset(&unblock);
    sigaddset(&unblock, SIGBUS);
    sigaddset(&unblock, SIGSEGV);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
}

/*
 *----------------------------------------------------------------------
 *
 * PassOn --
 *
 *	Gives a signal we do not own to the disposition we replaced.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	For a default or ignored disposition, restores it and returns: a
 *	hardware fault then re-executes the faulting instruction and the
 *	process dies of the signal as it would have without us; a signal
 *	sent by kill(2) is raised again.
 *
 *----------------------------------------------------------------------
 */

static void
PassOn(
    int sig,
    siginfo_t *info,
    void *context)
{
    struct sigaction *previousPtr =
	    (sig == SIGBUS) ? &previousBus : &previousSegv;

    if (previousPtr->sa_flags & SA_SIGINFO) {
	previousPtr->sa_sigaction(sig, info, context);
	return;
    }
    if (previousPtr->sa_handler != SIG_DFL
	    && previousPtr->sa_handler != SIG_IGN) {
	previousPtr->sa_handler(sig);
	return;
    }

    /*
     * A synchronous fault cannot be ignored (the instruction would fault
     * forever), so for a fault both SIG_DFL and SIG_IGN become the default
     * action, which the faulting instruction meets again on return.
     */

    if (info->si_code <= 0) {
	/*
	 * Sent by kill(2), not a fault: an ignored signal stays ignored,
	 * a default one gets its default action now.
	 */

	if (previousPtr->sa_handler == SIG_DFL) {
	    signal(sig, SIG_DFL);
	    raise(sig);
	}
	return;
    }
    signal(sig, SIG_DFL);
}

/*
 * GetState --
 *
 *	The calling thread's record, with the handler's pointer to it set.
 */

static inline GuardState *
GetState(void)
{
    GuardState *statePtr = guardStatePtr;

    if (statePtr == NULL) {
	statePtr = &guardState;
	guardStatePtr = statePtr;
    }
    return statePtr;
}

/*
 * GUARDED --
 *
 *	Runs "statement" with the calling thread's guard armed over
 *	[rangeStart, rangeStart + rangeLength), returning the fault from the
 *	enclosing function if the handler jumps back.  A macro, not a
 *	function: sigsetjmp must run in the frame that is still live when
 *	the handler jumps, and the copy path should not pay for an indirect
 *	call.  statePtr is read again after sigsetjmp, so that no register
 *	copy of it lives across the jump.  The signal fences keep the
 *	compiler from moving the stores that arm and disarm across the
 *	statement; the handler runs on this thread, so no ordering between
 *	processors is needed.
 */

#define GUARDED(rangeStart, rangeLength, faultAddrPtr, statement) do {	\
    GuardState *statePtr = GetState();					\
    int sig;								\
									\
    statePtr->start = (uintptr_t) (rangeStart);				\
    statePtr->end = (uintptr_t) (rangeStart) + (rangeLength);		\
    sig = sigsetjmp(statePtr->env, 0);					\
    statePtr = guardStatePtr;						\
    if (sig != 0) {							\
	*(faultAddrPtr) = statePtr->faultAddr;				\
	return (sig == SIGBUS) ? MMAP_FAULT_BUS : MMAP_FAULT_ACCESS;	\
    }									\
    statePtr->armed = 1;						\
    __atomic_signal_fence(__ATOMIC_SEQ_CST);				\
    statement;								\
    __atomic_signal_fence(__ATOMIC_SEQ_CST);				\
    statePtr->armed = 0;						\
} while (0)

/*
 *----------------------------------------------------------------------
 *
 * MmapGuardedCall --
 *
 *	Runs proc(clientData) with faults in [rangeStart, rangeStart +
 *	rangeLength) turned into a result.  Not reentrant within a thread:
 *	proc must not run another guarded operation.
 *
 * Results:
 *	MMAP_FAULT_NONE, or the kind of fault, with *faultAddrPtr set to the
 *	faulting address.
 *
 * Side effects:
 *	Whatever proc does, up to the fault.
 *
 *----------------------------------------------------------------------
 */

MmapFault
MmapGuardedCall(
    MmapGuardedProc *proc,
    void *clientData,
    const void *rangeStart,
    size_t rangeLength,
    uintptr_t *faultAddrPtr)
{
    GUARDED(rangeStart, rangeLength, faultAddrPtr, proc(clientData));
    return MMAP_FAULT_NONE;
}

/*
 *----------------------------------------------------------------------
 *
 * MmapGuardedCopy --
 *
 *	memcpy(dst, src, count) under the guard; the guarded range is the
 *	mapping that src or dst lies in.
 *
 * Results:
 *	As MmapGuardedCall.
 *
 * Side effects:
 *	Copies count bytes; after a fault, some of them may be copied.
 *
 *----------------------------------------------------------------------
 */

MmapFault
MmapGuardedCopy(
    void *dst,
    const void *src,
    size_t count,
    const void *rangeStart,
    size_t rangeLength,
    uintptr_t *faultAddrPtr)
{
    GUARDED(rangeStart, rangeLength, faultAddrPtr,
	    if (count <= COPY_PIECE) {
		memcpy(dst, src, count);
	    } else {
		CopyInPieces(dst, src, count);
	    });
    return MMAP_FAULT_NONE;
}

/*
 * CopyInPieces: memcpy, at most COPY_PIECE bytes a call.  glibc's memcpy
 * (2.36, x86-64) takes a non-temporal path for copies above a threshold
 * derived from the cache size (ld.so --list-diagnostics:
 * non_temporal_threshold), which the audit of issue 15 measured 2.3 to
 * 2.7 times slower when source and destination differ in their offset
 * within a page, as a Tcl value's bytes always do (they follow its
 * header): there a 256 MiB pread went from 170 to 75 ms in 16 MiB pieces.
 * Pieces that size stay below the threshold on the machines measured and
 * cost no more a byte; where the threshold is higher (127 MiB on an EPYC
 * virtual machine) neither way was faster.
 */

static void
CopyInPieces(
    void *dst,
    const void *src,
    size_t count)
{
    unsigned char *to = dst;
    const unsigned char *from = src;

    while (count > COPY_PIECE) {
	memcpy(to, from, COPY_PIECE);
	to += COPY_PIECE;
	from += COPY_PIECE;
	count -= COPY_PIECE;
    }
    memcpy(to, from, count);
}
