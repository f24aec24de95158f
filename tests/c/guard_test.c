/*
 * guard_test.c --
 *
 *	Unit test of the mapping (c/mapping.c) and the fault guard
 *	(c/guard.c) without Tcl: a file truncated under a mapping makes a
 *	guarded copy return MMAP_FAULT_BUS, a protected page
 *	MMAP_FAULT_ACCESS; every fault the guard does not own (outside the
 *	armed range, while nothing is armed, sent by kill(2)) reaches the
 *	handler that was there before, and with the default disposition the
 *	process still dies of the signal.  Also the mapping calls' own
 *	refusals, and the guard in several threads at once.
 *
 *	Build: gcc -Wall -Wextra -D_GNU_SOURCE -Ic c/mapping.c c/fileref.c c/guard.c
 *		c/region.c tests/c/guard_test.c -lpthread -o guard_test
 *	Run: ./guard_test ?directory?   (default: $TMPDIR or /tmp)
 *	Prints "N passed, N failed" and exits 0 when none failed.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mapping.h"
#include "guard.h"
#include "region.h"
#include "check.h"

static char dir[256];
static uint64_t P;		/* The page size. */

#define EQ(a, b) CheckEq((long long) (a), (long long) (b), #a, #b, \
	__LINE__)

static int
CheckEq(
    long long a,
    long long b,
    const char *textA,
    const char *textB,
    int line)
{
    if (a == b) {
	passed++;
	return 1;
    }
    failed++;
    fprintf(stderr, "%s:%d: FAILED: %s == %s (%lld != %lld)\n", __FILE__,
	    line, textA, textB, a, b);
    return 0;
}

/*
 * A file of "size" bytes whose byte i is i mod 251; returns an open
 * read/write descriptor, the file already unlinked.
 */

static int
NewFile(
    uint64_t size)
{
    char path[512];
    unsigned char *buf = malloc(size ? size : 1);
    uint64_t i;
    int fd;

    snprintf(path, sizeof(path), "%s/guard_test-%d-XXXXXX", dir,
	    (int) getpid());
    fd = mkstemp(path);
    if (fd < 0 || buf == NULL) {
	perror("mkstemp");
	exit(2);
    }
    unlink(path);
    for (i = 0; i < size; i++) {
	buf[i] = (unsigned char) (i % 251);
    }
    if (write(fd, buf, size) != (ssize_t) size) {
	perror("write");
	exit(2);
    }
    free(buf);
    return fd;
}

static int
CountFds(void)
{
    int fd, n = 0, limit = (int) sysconf(_SC_OPEN_MAX);

    /* The package puts its descriptors at FD_SETSIZE and above. */
    if (limit < 0 || limit > 65536) {
	limit = 65536;
    }
    for (fd = 0; fd < limit; fd++) {
	if (fcntl(fd, F_GETFD) != -1) {
	    n++;
	}
    }
    return n;
}

/*
 * What a child process ended with, as a word: "exit N" or "signal N".
 */

static const char *
Ended(
    pid_t pid)
{
    static char buf[64];
    int status;

    if (waitpid(pid, &status, 0) != pid) {
	return "waitpid failed";
    }
    if (WIFSIGNALED(status)) {
	snprintf(buf, sizeof(buf), "signal %d", WTERMSIG(status));
    } else {
	snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
    }
    return buf;
}

static void
CheckEnded(
    pid_t pid,
    const char *want,
    const char *what,
    int line)
{
    const char *got = Ended(pid);

    if (strcmp(got, want) == 0) {
	passed++;
	return;
    }
    failed++;
    fprintf(stderr, "%s:%d: FAILED: %s: the child ended with %s, not %s\n",
	    __FILE__, line, what, got, want);
}

static char *
Expect(
    int sig)
{
    static char buf[32];

    snprintf(buf, sizeof(buf), "signal %d", sig);
    return buf;
}

/*
 * A child that must not dump core when it dies of its signal.
 */

static pid_t
Child(void)
{
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
    }
    return pid;
}

/* A page nobody may touch, outside any mapping of ours. */
static unsigned char *
Fence(void)
{
    void *p = mmap(NULL, P, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
	perror("mmap");
	exit(2);
    }
    return p;
}

/*
 * A mapping of a file of "pages" pages, then truncated to "keep" bytes.
 */

static void
TruncatedMap(
    MmapMap *mapPtr,
    int pages,
    uint64_t keep,
    int flags)
{
    int fd = NewFile(pages * P);

    if (MmapMapCreate(mapPtr, fd, 0, pages * P, flags | MMAP_REGULAR)
	    != 0) {
	perror("MmapMapCreate");
	exit(2);
    }
    if (ftruncate(fd, (off_t) keep) != 0) {
	perror("ftruncate");
	exit(2);
    }
    close(fd);
}

static void
Touch(
    void *clientData)
{
    volatile unsigned char *p = clientData;

    (void) *p;
}

static void
SendSelf(
    void *clientData)
{
    kill(getpid(), *(int *) clientData);
}

/*
 *----------------------------------------------------------------------
 *
 * The default dispositions: each case in a child that installs the guard
 * over SIG_DFL and must die of the signal all the same.
 *
 *----------------------------------------------------------------------
 */

static void
TestDefaultDisposition(void)
{
    MmapMap map;
    uintptr_t addr;
    pid_t pid;
    int sig;

    /* A wild access outside every guarded copy. */
    pid = Child();
    if (pid == 0) {
	volatile unsigned char *fence = Fence();

	MmapGuardInstall();
	(void) *fence;
	_exit(0);
    }
    CheckEnded(pid, Expect(SIGSEGV), "unguarded SIGSEGV", __LINE__);

    /* SIGSEGV sent by kill(2). */
    pid = Child();
    if (pid == 0) {
	MmapGuardInstall();
	kill(getpid(), SIGSEGV);
	_exit(0);
    }
    CheckEnded(pid, Expect(SIGSEGV), "kill -SEGV", __LINE__);

    /* SIGBUS sent by kill(2) inside a guarded call. */
    pid = Child();
    if (pid == 0) {
	sig = SIGBUS;
	TruncatedMap(&map, 1, P, MMAP_SHARED);
	MmapGuardInstall();
	MmapGuardedCall(SendSelf, &sig, map.area, map.areaLength, &addr);
	_exit(0);
    }
    CheckEnded(pid, Expect(SIGBUS), "kill -BUS while armed", __LINE__);

    /* A truncated mapping read without the guard. */
    pid = Child();
    if (pid == 0) {
	TruncatedMap(&map, 2, 0, MMAP_SHARED);
	MmapGuardInstall();
	Touch(map.base + P);
	_exit(0);
    }
    CheckEnded(pid, Expect(SIGBUS), "unguarded SIGBUS", __LINE__);

    /* A fault outside the range armed at the time. */
    pid = Child();
    if (pid == 0) {
	unsigned char *fence = Fence();

	TruncatedMap(&map, 1, P, MMAP_SHARED);
	MmapGuardInstall();
	MmapGuardedCall(Touch, fence, map.area, map.areaLength, &addr);
	_exit(0);
    }
    CheckEnded(pid, Expect(SIGSEGV), "fault outside the armed range",
	    __LINE__);

    /* No guard at all: the same deaths (the control experiment). */
    pid = Child();
    if (pid == 0) {
	Touch(Fence());
	_exit(0);
    }
    CheckEnded(pid, Expect(SIGSEGV), "no guard installed", __LINE__);

    /*
     * SIGSEGV ignored before the guard came: a kill(2) of it is still
     * ignored (a real fault cannot be, and kills as before).
     */

    pid = Child();
    if (pid == 0) {
	signal(SIGSEGV, SIG_IGN);
	MmapGuardInstall();
	kill(getpid(), SIGSEGV);
	_exit(7);
    }
    CheckEnded(pid, "exit 7", "kill -SEGV of an ignored SIGSEGV", __LINE__);

    pid = Child();
    if (pid == 0) {
	signal(SIGSEGV, SIG_IGN);
	MmapGuardInstall();
	Touch(Fence());
	_exit(7);
    }
    CheckEnded(pid, Expect(SIGSEGV), "a real fault with SIGSEGV ignored",
	    __LINE__);
}

/*
 *----------------------------------------------------------------------
 *
 * A handler of our own, installed before the guard, stands for whatever
 * the program had (Tcl has none; ASan, a JVM or TclX would).  It records
 * what it got and jumps back into the test.
 *
 *----------------------------------------------------------------------
 */

static sigjmp_buf outerEnv;
static volatile int outerCalls = 0;
static volatile int outerSig = 0;
static volatile int outerCode = 0;
static volatile uintptr_t outerAddr = 0;

static void
OuterHandler(
    int sig,
    siginfo_t *info,
    void *context)
{
    (void) context;
    outerCalls++;
    outerSig = sig;
    outerCode = info->si_code;
    outerAddr = (uintptr_t) info->si_addr;
    siglongjmp(outerEnv, 1);
}

static void
InstallOuter(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof(action));
    action.sa_sigaction = OuterHandler;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, NULL);
    sigaction(SIGBUS, &action, NULL);
}

static int
Blocked(
    int sig)
{
    sigset_t mask;

    sigprocmask(SIG_SETMASK, NULL, &mask);
    return sigismember(&mask, sig);
}

static void
TestTruncated(void)
{
    MmapMap map;
    unsigned char buf[4 * 4096 * 4], want[4 * 4096 * 4];
    uintptr_t addr = 0;
    uint64_t i;
    int round, faults;

    /* The whole file gone: both directions, shared and private. */
    TruncatedMap(&map, 2, 0, MMAP_SHARED|MMAP_WRITABLE);
    EQ(MmapGuardedCopy(buf, map.base, 10, map.area, map.areaLength, &addr),
	    MMAP_FAULT_BUS);
    CHECK(addr >= (uintptr_t) map.area
	    && addr < (uintptr_t) map.area + P);
    addr = 0;
    EQ(MmapGuardedCopy(map.base + P + 5, "abc", 3, map.area,
	    map.areaLength, &addr), MMAP_FAULT_BUS);
    CHECK(addr >= (uintptr_t) map.base + P + 5
	    && addr < (uintptr_t) map.base + P + 8);
    EQ(MmapMapDestroy(&map, 0), 0);

    TruncatedMap(&map, 2, 0, 0);
    EQ(MmapGuardedCopy(buf, map.base + 1, 1, map.area, map.areaLength,
	    &addr), MMAP_FAULT_BUS);
    EQ(addr, (uintptr_t) map.base + 1);
    EQ(MmapMapDestroy(&map, 0), 0);

    TruncatedMap(&map, 2, 0, MMAP_WRITABLE);
    EQ(MmapGuardedCopy(map.base, "x", 1, map.area, map.areaLength, &addr),
	    MMAP_FAULT_BUS);
    EQ(MmapMapDestroy(&map, 0), 0);

    /*
     * Cut inside the second page: its tail reads as zeros (the kernel
     * fills the last page), the pages after it fault.
     */

    TruncatedMap(&map, 4, P + 10, MMAP_SHARED|MMAP_WRITABLE);
    for (i = 0; i < P + 10; i++) {
	want[i] = (unsigned char) (i % 251);
    }
    memset(want + P + 10, 0, P - 10);
    EQ(MmapGuardedCopy(buf, map.base, 2 * P, map.area, map.areaLength,
	    &addr), MMAP_FAULT_NONE);
    CHECK(memcmp(buf, want, 2 * P) == 0);
    EQ(MmapGuardedCopy(buf, map.base, 4 * P, map.area, map.areaLength,
	    &addr), MMAP_FAULT_BUS);
    CHECK(addr >= (uintptr_t) map.base + 2 * P
	    && addr < (uintptr_t) map.base + 4 * P);
    EQ(MmapGuardedCopy(buf, map.base + 3 * P + 7, 1, map.area,
	    map.areaLength, &addr), MMAP_FAULT_BUS);
    EQ(addr, (uintptr_t) map.base + 3 * P + 7);
    EQ(MmapGuardedCopy(map.base + 2 * P - 1, "yz", 2, map.area,
	    map.areaLength, &addr), MMAP_FAULT_BUS);
    CHECK(addr >= (uintptr_t) map.base + 2 * P - 1
	    && addr <= (uintptr_t) map.base + 2 * P);

    /*
     * The guard is reusable at once and leaves no signal blocked:
     * SA_NODEFER and the jump out of the handler keep the mask as it was.
     */

    faults = 0;
    for (round = 0; round < 2000; round++) {
	faults += MmapGuardedCopy(buf, map.base + 2 * P + round % P, 1,
		map.area, map.areaLength, &addr) == MMAP_FAULT_BUS;
    }
    EQ(faults, 2000);
    EQ(Blocked(SIGBUS), 0);
    EQ(Blocked(SIGSEGV), 0);
    EQ(outerCalls, 0);

    /* MmapGuardedCall: the same for any operation. */
    EQ(MmapGuardedCall(Touch, map.base + 3 * P, map.area, map.areaLength,
	    &addr), MMAP_FAULT_BUS);
    EQ(addr, (uintptr_t) map.base + 3 * P);
    EQ(MmapGuardedCall(Touch, map.base, map.area, map.areaLength, &addr),
	    MMAP_FAULT_NONE);

    /* Nothing to copy: nothing to fault. */
    EQ(MmapGuardedCopy(buf, map.base + 3 * P, 0, map.area, map.areaLength,
	    &addr), MMAP_FAULT_NONE);
    EQ(MmapMapDestroy(&map, 0), 0);
}

/*
 * A handler installed after the guard, as libsigsegv, a JVM or a garbage
 * collector would: no SA_NODEFER, so the kernel blocks the signal while it
 * runs, and it chains every fault it does not own to the handler it
 * replaced.  The guard must give the thread its mask back when it jumps
 * out of that frame (issue 10.3: the second fault killed the process).
 */

static struct sigaction chainedBus, chainedSegv;
static volatile int chainCalls = 0;

static void
ChainingHandler(
    int sig,
    siginfo_t *info,
    void *context)
{
    struct sigaction *previousPtr =
	    (sig == SIGBUS) ? &chainedBus : &chainedSegv;

    chainCalls++;
    previousPtr->sa_sigaction(sig, info, context);
}

static void
TestChained(void)
{
    struct sigaction action, guardBus, guardSegv;
    MmapMap map;
    unsigned char buf[16];
    uintptr_t addr;
    int round, faults = 0;

    memset(&action, 0, sizeof(action));
    action.sa_sigaction = ChainingHandler;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &chainedBus);
    sigaction(SIGSEGV, &action, &chainedSegv);
    guardBus = chainedBus;
    guardSegv = chainedSegv;

    TruncatedMap(&map, 2, 0, MMAP_SHARED|MMAP_WRITABLE);
    for (round = 0; round < 1000; round++) {
	faults += MmapGuardedCopy(buf, map.base + round % P, 1, map.area,
		map.areaLength, &addr) == MMAP_FAULT_BUS;
    }
    EQ(faults, 1000);
    EQ(chainCalls, 1000);
    EQ(Blocked(SIGBUS), 0);
    EQ(Blocked(SIGSEGV), 0);
    EQ(MmapMapDestroy(&map, 0), 0);

    sigaction(SIGBUS, &guardBus, NULL);
    sigaction(SIGSEGV, &guardSegv, NULL);
}

static void
TestProtected(void)
{
    MmapMap map;
    unsigned char buf[64];
    uintptr_t addr = 0;
    uint64_t bad = 0;
    int fd = NewFile(3 * P);

    EQ(MmapMapCreate(&map, fd, 0, 3 * P,
	    MMAP_REGULAR|MMAP_SHARED|MMAP_WRITABLE), 0);
    close(fd);
    CHECK(MmapMapAccessible(&map, 0, 3 * P, MMAP_PAGE_READ|MMAP_PAGE_WRITE,
	    &bad));
    EQ(MmapMapProtect(&map, P, 1, 0), 0);
    EQ(MmapMapProtect(&map, 2 * P, P, MMAP_PAGE_READ), 0);

    CHECK(!MmapMapAccessible(&map, 10, P, MMAP_PAGE_READ, &bad));
    EQ(bad, P);
    CHECK(MmapMapAccessible(&map, 0, P, MMAP_PAGE_READ, &bad));
    CHECK(MmapMapAccessible(&map, 2 * P, P, MMAP_PAGE_READ, &bad));
    CHECK(!MmapMapAccessible(&map, 2 * P + 5, 1, MMAP_PAGE_WRITE, &bad));
    EQ(bad, 2 * P + 5);

    /* PROT_NONE: reads and writes; PROT_READ: writes. */
    EQ(MmapGuardedCopy(buf, map.base + P - 2, 4, map.area, map.areaLength,
	    &addr), MMAP_FAULT_ACCESS);
    CHECK(addr >= (uintptr_t) map.base + P
	    && addr < (uintptr_t) map.base + 2 * P);
    EQ(MmapGuardedCopy(map.base + P + 3, "a", 1, map.area, map.areaLength,
	    &addr), MMAP_FAULT_ACCESS);
    EQ(addr, (uintptr_t) map.base + P + 3);
    EQ(MmapGuardedCopy(map.base + 2 * P, "a", 1, map.area, map.areaLength,
	    &addr), MMAP_FAULT_ACCESS);
    EQ(addr, (uintptr_t) map.base + 2 * P);
    EQ(MmapGuardedCopy(buf, map.base + 2 * P, 10, map.area, map.areaLength,
	    &addr), MMAP_FAULT_NONE);
    EQ(buf[9], (2 * P + 9) % 251);
    EQ(outerCalls, 0);

    /* Back to read/write: the same copies work. */
    EQ(MmapMapProtect(&map, 0, 3 * P, MMAP_PAGE_READ|MMAP_PAGE_WRITE), 0);
    EQ(MmapGuardedCopy(map.base + P + 3, "a", 1, map.area, map.areaLength,
	    &addr), MMAP_FAULT_NONE);
    EQ(map.base[P + 3], 'a');
    EQ(MmapMapDestroy(&map, 1), 0);
}

/*
 * Every fault the guard does not own goes to the handler before it.
 */

static void
TestPassOn(void)
{
    MmapMap map, other;
    uintptr_t addr = 0;
    unsigned char buf[16];
    unsigned char *fence = Fence();
    volatile int stage = 0;
    int sig;

    TruncatedMap(&map, 2, P, MMAP_SHARED|MMAP_WRITABLE);
    TruncatedMap(&other, 2, 0, MMAP_SHARED|MMAP_WRITABLE);
    outerCalls = 0;

    /* Armed for one mapping, faulting in a page outside it. */
    if (sigsetjmp(outerEnv, 0) == 0) {
	stage = 1;
	MmapGuardedCall(Touch, fence + 5, map.area, map.areaLength, &addr);
	stage = 2;
    }
    EQ(stage, 1);
    EQ(outerCalls, 1);
    EQ(outerSig, SIGSEGV);
    EQ(outerAddr, (uintptr_t) fence + 5);

    /* Armed for one mapping, faulting in another truncated one. */
    if (sigsetjmp(outerEnv, 0) == 0) {
	stage = 3;
	MmapGuardedCopy(buf, other.base, 1, map.area, map.areaLength, &addr);
	stage = 4;
    }
    EQ(stage, 3);
    EQ(outerCalls, 2);
    EQ(outerSig, SIGBUS);
    EQ(outerAddr, (uintptr_t) other.base);

    /* Nothing armed, faulting inside a mapping the guard has seen. */
    MmapGuardedCopy(buf, map.base, 1, map.area, map.areaLength, &addr);
    if (sigsetjmp(outerEnv, 0) == 0) {
	stage = 5;
	Touch(map.base + P + 1);
	stage = 6;
    }
    EQ(stage, 5);
    EQ(outerCalls, 3);
    EQ(outerSig, SIGBUS);
    EQ(outerAddr, (uintptr_t) map.base + P + 1);

    /* Signals sent by kill(2), even while armed, are not faults. */
    if (sigsetjmp(outerEnv, 0) == 0) {
	stage = 7;
	sig = SIGBUS;
	MmapGuardedCall(SendSelf, &sig, map.area, map.areaLength, &addr);
	stage = 8;
    }
    EQ(stage, 7);
    EQ(outerCalls, 4);
    EQ(outerSig, SIGBUS);
    EQ(outerCode, SI_USER);
    if (sigsetjmp(outerEnv, 0) == 0) {
	stage = 9;
	kill(getpid(), SIGSEGV);
	stage = 10;
    }
    EQ(stage, 9);
    EQ(outerCalls, 5);
    EQ(outerSig, SIGSEGV);

    /* And the guard still owns its own faults afterwards. */
    EQ(MmapGuardedCopy(buf, map.base + P, 1, map.area, map.areaLength,
	    &addr), MMAP_FAULT_BUS);
    EQ(outerCalls, 5);
    EQ(MmapMapDestroy(&map, 0), 0);
    EQ(MmapMapDestroy(&other, 0), 0);
    munmap(fence, P);
}

/*
 * Several threads fault at once, each in its own mapping: the armed state
 * is per thread, so each gets its own faults back.
 */

typedef struct Worker {
    MmapMap *mapPtr;
    int rounds;
    int bus;
    int none;
} Worker;

static void *
WorkerMain(
    void *clientData)
{
    Worker *workerPtr = clientData;
    MmapMap *mapPtr = workerPtr->mapPtr;
    unsigned char buf[2 * 4096 * 4];
    uintptr_t addr;
    int i;

    for (i = 0; i < workerPtr->rounds; i++) {
	MmapFault fault = MmapGuardedCopy(buf, mapPtr->base + (i % 2) * P,
		P, mapPtr->area, mapPtr->areaLength, &addr);

	if (fault == MMAP_FAULT_BUS && addr >= (uintptr_t) mapPtr->base + P) {
	    workerPtr->bus++;
	} else if (fault == MMAP_FAULT_NONE) {
	    workerPtr->none++;
	}
    }
    return NULL;
}

static void
TestThreads(void)
{
    enum { N = 4, ROUNDS = 2000 };
    MmapMap maps[N];
    Worker workers[N];
    pthread_t threads[N];
    int i, bus = 0, none = 0;

    for (i = 0; i < N; i++) {
	TruncatedMap(&maps[i], 2, P, MMAP_SHARED);
	workers[i].mapPtr = &maps[i];
	workers[i].rounds = ROUNDS;
	workers[i].bus = workers[i].none = 0;
	pthread_create(&threads[i], NULL, WorkerMain, &workers[i]);
    }
    for (i = 0; i < N; i++) {
	pthread_join(threads[i], NULL);
	bus += workers[i].bus;
	none += workers[i].none;
	MmapMapDestroy(&maps[i], 0);
    }
    EQ(bus, N * ROUNDS / 2);
    EQ(none, N * ROUNDS / 2);
    EQ(outerCalls, 5);
}

/*
 * The mapping's own calls: what they refuse, and that they take and give
 * back exactly one descriptor and one mapping.
 */

static void
TestMapping(void)
{
    MmapMap map;
    uint64_t start, span;
    int fd = NewFile(3 * P + 100), fds, err;
    struct stat st;

    EQ(MmapPageSize(), sysconf(_SC_PAGESIZE));

    /* Refusals leave nothing behind. */
    fds = CountFds();
    EQ(MmapMapCreate(&map, fd, 0, 0, MMAP_REGULAR), EINVAL);
    EQ(map.area, 0);
    EQ(map.fd, -1);
    EQ(MmapMapCreate(&map, fd, 1, UINT64_MAX, MMAP_REGULAR), EOVERFLOW);
    EQ(MmapMapCreate(&map, fd, 0, UINT64_MAX, MMAP_REGULAR), ENOMEM);
    EQ(MmapMapCreate(&map, fd, (uint64_t) 1 << 63, 1, MMAP_REGULAR),
	    EOVERFLOW);
    EQ(MmapMapCreate(&map, 1000, 0, 10, MMAP_REGULAR), EBADF);
    EQ(CountFds(), fds);

    /* An unaligned offset: base is that byte of the file. */
    EQ(MmapMapCreate(&map, fd, P + 7, P, MMAP_REGULAR|MMAP_SHARED
	    |MMAP_WRITABLE), 0);
    EQ(CountFds(), fds + 1);
    EQ(map.delta, 7);
    EQ(map.base - map.area, 7);
    EQ(map.areaLength, P + 7);
    EQ(map.base[0], (P + 7) % 251);
    EQ(map.base[P - 1], (2 * P + 6) % 251);
    CHECK(fcntl(map.fd, F_GETFD) & FD_CLOEXEC);

    /* Ranges outside the mapping: ERANGE before any system call. */
    EQ(MmapMapSync(&map, 0, P + 1, MS_SYNC), ERANGE);
    EQ(MmapMapSync(&map, P, 1, MS_SYNC), ERANGE);
    EQ(MmapMapSync(&map, UINT64_MAX, 1, MS_SYNC), ERANGE);
    EQ(MmapMapAdvise(&map, 1, P, MADV_NORMAL), ERANGE);
    EQ(MmapMapProtect(&map, 0, P + 1, 0), ERANGE);
    EQ(MmapMapLock(&map, P + 1, 0, 1), ERANGE);
    EQ(MmapMapSync(&map, 0, P, MS_SYNC), 0);
    EQ(MmapMapSync(&map, P, 0, MS_SYNC), 0);
    EQ(MmapMapAdvise(&map, 0, P, MADV_WILLNEED), 0);
    EQ(MmapPageSpan(map.delta, map.length, P - 7, 1, P, &start, &span), 0);
    EQ(start, P);
    EQ(span, P);

    /* Locking is recorded per page. */
    EQ(MmapMapIsLocked(&map), 0);
    err = MmapMapLock(&map, 0, 1, 1);
    if (err == 0) {
	EQ(MmapMapIsLocked(&map), 1);
	EQ(MmapMapLock(&map, 0, 1, 0), 0);
	EQ(MmapMapIsLocked(&map), 0);
    } else {
	CHECK(err == ENOMEM || err == EPERM || err == EAGAIN);
    }

    /*
     * Resize: within the file the file keeps its size; with "truncate"
     * it becomes exactly offset + length; past its end it grows.
     */
    EQ(MmapMapResize(&map, 0, 0), EINVAL);
    EQ(MmapMapResize(&map, UINT64_MAX, 0), EOVERFLOW);
    EQ(MmapMapResize(&map, 2 * P, 0), 0);
    EQ(map.length, 2 * P);
    EQ(fstat(fd, &st), 0);
    EQ(st.st_size, 3 * P + 100);
    map.base[2 * P - 1] = 'Z';
    EQ(MmapMapResize(&map, 10, 0), 0);
    EQ(fstat(fd, &st), 0);
    EQ(st.st_size, 3 * P + 100);
    EQ(MmapMapResize(&map, 10, 1), 0);
    EQ(fstat(fd, &st), 0);
    EQ(st.st_size, P + 17);
    EQ(map.base[9], (P + 16) % 251);
    EQ(MmapMapResize(&map, 4 * P, 0), 0);
    EQ(fstat(fd, &st), 0);
    EQ(st.st_size, 5 * P + 7);
    EQ(map.base[4 * P - 1], 0);

    /*
     * A remap the system refuses (RLIMIT_AS) leaves the file at its
     * exact previous size, not at the map's end, and the map as it was.
     * (Not under ASan, whose shadow memory needs more address space.)
     */
#ifndef __SANITIZE_ADDRESS__
    {
	struct rlimit saved, low;

	EQ(MmapMapResize(&map, 10, 0), 0);
	EQ(ftruncate(fd, 6 * P), 0);
	map.base[0] = 'A';
	EQ(getrlimit(RLIMIT_AS, &saved), 0);
	low = saved;
	low.rlim_cur = (rlim_t) 1 << 36;
	if (saved.rlim_cur == RLIM_INFINITY || saved.rlim_cur > low.rlim_cur) {
	    EQ(setrlimit(RLIMIT_AS, &low), 0);
	    EQ(MmapMapResize(&map, (uint64_t) 1 << 40, 0), ENOMEM);
	    EQ(MmapMapResize(&map, (uint64_t) 1 << 40, 1), ENOMEM);
	    EQ(setrlimit(RLIMIT_AS, &saved), 0);
	    EQ(fstat(fd, &st), 0);
	    EQ(st.st_size, 6 * P);
	    EQ(map.length, 10);
	    EQ(map.base[0], 'A');
	}
    }
#endif

    /* Maps of one file share one descriptor. */
    {
	MmapMap other;

	EQ(MmapMapCreate(&other, fd, 0, P, MMAP_REGULAR|MMAP_WRITABLE), 0);
	EQ(other.fd, map.fd);
	EQ(CountFds(), fds + 1);
	EQ(MmapMapDestroy(&other, 0), 0);
	EQ(CountFds(), fds + 1);
    }

    EQ(MmapMapDestroy(&map, 1), 0);
    EQ(map.area, 0);
    EQ(CountFds(), fds);
    EQ(MmapMapDestroy(&map, 1), 0);

    /* Private and anonymous maps cannot be resized. */
    EQ(MmapMapCreate(&map, fd, 0, P, MMAP_REGULAR|MMAP_WRITABLE), 0);
    EQ(MmapMapResize(&map, 2 * P, 0), EINVAL);
    EQ(MmapMapDestroy(&map, 0), 0);
    EQ(MmapMapCreate(&map, -1, 0, 3, MMAP_WRITABLE|MMAP_SHARED), 0);
    CHECK(map.flags & MMAP_ANONYMOUS);
    EQ(map.fd, -1);
    EQ(map.base[2], 0);
    EQ(MmapMapResize(&map, 2 * P, 0), EINVAL);
    EQ(MmapMapDestroy(&map, 0), 0);
    EQ(CountFds(), fds);
    close(fd);
}

int
main(
    int argc,
    char **argv)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1]
	    : (tmp != NULL && *tmp) ? tmp : "/tmp");
    P = MmapPageSize();

    TestDefaultDisposition();
    InstallOuter();
    EQ(MmapGuardInstall(), 0);
    EQ(MmapGuardInstall(), 0);
    TestTruncated();
    TestProtected();
    TestChained();
    TestPassOn();
    TestThreads();
    TestMapping();
    return Report();
}
