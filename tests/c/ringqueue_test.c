/*
 * ringqueue_test.c --
 *
 *	Unit test of the ring log as a queue (c/ringlog/wait.c, named.c,
 *	control.c) without Tcl: waits that time out, are woken by an
 *	append in another thread and in another process, are stopped, are
 *	ended by a signal or sleep through one, and end when a forced create
 *	replaces the file; the waiters word of a waiter killed with kill -9
 *	set back by appends; named cursors: store, read back from another
 *	handle and after kill -9 of the process that stored them, the table
 *	full, names too long or empty, positions beyond the head, a read-only
 *	handle storing one; reads that start at the writers' marks, which
 *	give the same records when the marks are garbage.
 *
 *	Build: gcc -Wall -Wextra -D_GNU_SOURCE -Ic -Ic/ringlog c/ringlog/[a-s]*.c
 *		c/ringlog/w*.c c/guard.c tests/c/ringqueue_test.c -lpthread
 *		-o ringqueue_test
 *	Run: ./ringqueue_test ?directory?   (a temporary directory by default)
 *	Prints "N passed, 0 failed" and exits 0 when all is well.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ringlog.h"
#include "check.h"
#include "ringtest.h"


static double
Now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
Sleep(
    int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	/* the rest */
    }
}

static MmapRinglog *
NewLog(
    const char *name,
    int readOnly)
{
    MmapRinglogError err;

    if (!readOnly && MmapRinglogCreate(Path(name), 4096 + 8192, 1, &err)
	    != 0) {
	return NULL;
    }
    return MmapRinglogOpen(Path(name), readOnly, &err);
}


static uint64_t
Waiters(
    MmapRinglog *logPtr)
{
    MmapRinglogError err;
    MmapRinglogInfo info;

    if (MmapRinglogGetInfo(logPtr, &info, &err) != 0) {
	return 99;
    }
    return info.waiters;
}

/* A wait run in a thread of its own. */
typedef struct WaitArgs {
    MmapRinglog *logPtr;
    MmapRinglogWaiter *waiterPtr;
    uint64_t seq;
    int64_t timeoutMs;
    int status;
    uint64_t next;
    double took;
} WaitArgs;

static void *
WaitThread(
    void *clientData)
{
    WaitArgs *argsPtr = clientData;
    MmapRinglogError err;
    double start = Now();

    argsPtr->status = MmapRinglogWait(argsPtr->logPtr, argsPtr->waiterPtr,
	    argsPtr->seq, argsPtr->timeoutMs, &argsPtr->next, &err);
    argsPtr->took = Now() - start;
    return NULL;
}

static void
TestTimeouts(void)
{
    MmapRinglogError err;
    MmapRinglog *logPtr = NewLog("t.log", 0);
    uint64_t next = 0;
    double start;

    CHECK(logPtr != NULL);
    if (logPtr == NULL) {
	return;
    }
    start = Now();
    CHECK(MmapRinglogWait(logPtr, NULL, 1, 0, &next, &err)
	    == MMAP_RINGLOG_TIMEOUT && next == 1);
    CHECK(MmapRinglogWait(logPtr, NULL, 1, 50, &next, &err)
	    == MMAP_RINGLOG_TIMEOUT && err.status == MMAP_RINGLOG_TIMEOUT);
    CHECK(Now() - start >= 0.049 && Now() - start < 2.0);
    CHECK(Waiters(logPtr) == 0);
    CHECK(Append1(logPtr, "a") == 1);
    CHECK(MmapRinglogWait(logPtr, NULL, 0, 50, &next, &err) == 0
	    && next == 2);
    CHECK(MmapRinglogWait(logPtr, NULL, 1, -1, &next, &err) == 0);
    MmapRinglogClose(logPtr);
}

static void
TestWakeThread(void)
{
    MmapRinglog *logPtr = NewLog("w.log", 0);
    MmapRinglog *readerPtr;
    WaitArgs args;
    pthread_t thread;
    MmapRinglogError err;

    readerPtr = MmapRinglogOpen(Path("w.log"), 1, &err);
    CHECK(logPtr != NULL && readerPtr != NULL);
    if (logPtr == NULL || readerPtr == NULL) {
	return;
    }

    /* A read-only handle waits without limit; an append wakes it. */
    memset(&args, 0, sizeof(args));
    args.logPtr = readerPtr;
    args.seq = 1;
    args.timeoutMs = -1;
    pthread_create(&thread, NULL, WaitThread, &args);
    Sleep(50);
    CHECK(Waiters(logPtr) == 1);
    CHECK(Append1(logPtr, "one") == 1);
    pthread_join(thread, NULL);
    CHECK(args.status == 0 && args.next == 2 && args.took < 5.0);
    CHECK(Waiters(logPtr) == 0);
    MmapRinglogClose(readerPtr);
    MmapRinglogClose(logPtr);
}

static void
TestWakeProcess(void)
{
    MmapRinglog *logPtr = NewLog("p.log", 0);
    MmapRinglogError err;
    pid_t pid;
    int status = -1;

    CHECK(logPtr != NULL);
    if (logPtr == NULL) {
	return;
    }
    pid = fork();
    if (pid == 0) {
	MmapRinglog *childPtr = MmapRinglogOpen(Path("p.log"), 1, &err);
	uint64_t next = 0;

	_exit(childPtr == NULL ? 3 : MmapRinglogWait(childPtr, NULL, 1,
		10000, &next, &err) != 0 ? 4 : next != 2 ? 5 : 0);
    }
    while (Waiters(logPtr) == 0) {
	Sleep(5);
    }
    CHECK(Append1(logPtr, "from the parent") == 1);
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    MmapRinglogClose(logPtr);
}

static void
TestStopAndReplace(void)
{
    MmapRinglog *logPtr = NewLog("s.log", 0);
    MmapRinglogWaiter waiter;
    MmapRinglogError err;
    WaitArgs args;
    pthread_t thread;

    CHECK(logPtr != NULL);
    if (logPtr == NULL) {
	return;
    }

    /* A waiter of its own, stopped from here. */
    CHECK(MmapRinglogWaiterInit(logPtr, &waiter, &err) == 0);
    memset(&args, 0, sizeof(args));
    args.logPtr = logPtr;
    args.waiterPtr = &waiter;
    args.seq = 1;
    args.timeoutMs = -1;
    pthread_create(&thread, NULL, WaitThread, &args);
    Sleep(30);
    __atomic_store_n(&waiter.stop, 1, __ATOMIC_SEQ_CST);
    MmapRinglogWakeAll(logPtr);
    pthread_join(thread, NULL);
    CHECK(args.status == MMAP_RINGLOG_INTERRUPTED && args.took < 5.0);
    MmapRinglogWaiterFree(&waiter);

    /* A forced create over the file ends the wait. */
    args.waiterPtr = NULL;
    pthread_create(&thread, NULL, WaitThread, &args);
    Sleep(30);
    CHECK(MmapRinglogCreate(Path("s.log"), 8192, 1, &err) == 0);
    pthread_join(thread, NULL);
    CHECK(args.status == MMAP_RINGLOG_REPLACED && args.took < 5.0);
    CHECK(MmapRinglogWait(logPtr, NULL, 1, 0, NULL, &err)
	    == MMAP_RINGLOG_REPLACED);
    MmapRinglogClose(logPtr);
}

/* Signals: one the caller wants to see ends a wait, another does not. */
static volatile int seeSignals = 0;

static void
OnSignal(
    int sig)
{
    (void) sig;
}

static int
SeeSignals(
    void *clientData)
{
    (void) clientData;
    return seeSignals;
}

static void
TestSignals(void)
{
    MmapRinglog *logPtr = NewLog("i.log", 0);
    MmapRinglogWaiter waiter;
    struct sigaction sa;
    WaitArgs args;
    pthread_t thread;

    CHECK(logPtr != NULL);
    if (logPtr == NULL) {
	return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = OnSignal;
    sigaction(SIGUSR1, &sa, NULL);
    memset(&waiter, 0, sizeof(waiter));
    waiter.fd = -1;
    waiter.interruptProc = SeeSignals;
    memset(&args, 0, sizeof(args));
    args.logPtr = logPtr;
    args.waiterPtr = &waiter;
    args.seq = 1;

    /* Not wanted: the wait sleeps on to its deadline. */
    seeSignals = 0;
    args.timeoutMs = 300;
    pthread_create(&thread, NULL, WaitThread, &args);
    Sleep(50);
    pthread_kill(thread, SIGUSR1);
    pthread_join(thread, NULL);
    CHECK(args.status == MMAP_RINGLOG_TIMEOUT && args.took >= 0.29);

    /* Wanted: the wait ends. */
    seeSignals = 1;
    args.timeoutMs = 5000;
    pthread_create(&thread, NULL, WaitThread, &args);
    Sleep(50);
    pthread_kill(thread, SIGUSR1);
    pthread_join(thread, NULL);
    CHECK(args.status == MMAP_RINGLOG_INTERRUPTED && args.took < 4.0);
    CHECK(Waiters(logPtr) == 0);
    signal(SIGUSR1, SIG_DFL);
    MmapRinglogClose(logPtr);
}

static void
TestDeadWaiter(void)
{
    MmapRinglog *logPtr = NewLog("d.log", 0);
    MmapRinglogError err;
    pid_t pid;
    int i, status;

    CHECK(logPtr != NULL);
    if (logPtr == NULL) {
	return;
    }
    pid = fork();
    if (pid == 0) {
	MmapRinglog *childPtr = MmapRinglogOpen(Path("d.log"), 1, &err);

	MmapRinglogWait(childPtr, NULL, 1, -1, NULL, &err);
	_exit(1);
    }
    while (Waiters(logPtr) == 0) {
	Sleep(5);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    CHECK(Waiters(logPtr) == 1);

    /* Appends find out that nobody sleeps, and set the word back. */
    for (i = 0; i < 70; i++) {
	Append1(logPtr, "x");
    }
    CHECK(Waiters(logPtr) == 0);
    MmapRinglogClose(logPtr);
}

static void
TestNamed(void)
{
    MmapRinglog *logPtr = NewLog("n.log", 0);
    MmapRinglog *otherPtr;
    MmapRinglogError err;
    MmapRinglogInfo info;
    char name[40];
    uint64_t seq = 0;
    int i, found = 1, status;
    pid_t pid;

    CHECK(logPtr != NULL);
    if (logPtr == NULL) {
	return;
    }
    CHECK(Append1(logPtr, "a") == 1 && Append1(logPtr, "b") == 2);
    CHECK(MmapRinglogGetCursor(logPtr, "c", 1, &seq, &found, &err) == 0
	    && !found && seq == 1);
    CHECK(MmapRinglogSetCursor(logPtr, "c", 1, 2, &err) == 0);
    CHECK(MmapRinglogGetCursor(logPtr, "c", 1, &seq, &found, &err) == 0
	    && found && seq == 2);
    CHECK(MmapRinglogSetCursor(logPtr, "c", 1, 3, &err) == 0);
    CHECK(MmapRinglogSetCursor(logPtr, "c", 1, 4, &err)
	    == MMAP_RINGLOG_RANGE && err.offset == 3);
    CHECK(MmapRinglogSetCursor(logPtr, "", 0, 1, &err)
	    == MMAP_RINGLOG_NAME);
    memset(name, 'n', sizeof(name));
    CHECK(MmapRinglogSetCursor(logPtr, name, 33, 1, &err)
	    == MMAP_RINGLOG_NAME);
    CHECK(MmapRinglogSetCursor(logPtr, name, 32, 1, &err) == 0);

    /* Stored by a process killed right after: still there. */
    pid = fork();
    if (pid == 0) {
	MmapRinglog *childPtr = MmapRinglogOpen(Path("n.log"), 1, &err);

	if (childPtr == NULL
		|| MmapRinglogSetCursor(childPtr, "child", 5, 2, &err) != 0) {
	    _exit(1);
	}
	kill(getpid(), SIGKILL);
	_exit(2);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    otherPtr = MmapRinglogOpen(Path("n.log"), 1, &err);
    CHECK(otherPtr != NULL);
    if (otherPtr != NULL) {
	CHECK(MmapRinglogGetCursor(otherPtr, "child", 5, &seq, &found, &err)
		== 0 && found && seq == 2);
	CHECK(MmapRinglogGetCursor(otherPtr, "c", 1, &seq, &found, &err)
		== 0 && found && seq == 3);
	MmapRinglogClose(otherPtr);
    }

    /* 48 names, then no room; the names there keep their places. */
    for (i = 3; i < MMAP_RINGLOG_CURSORS; i++) {
	snprintf(name, sizeof(name), "name%d", i);
	CHECK(MmapRinglogSetCursor(logPtr, name, strlen(name), 1, &err)
		== 0);
    }
    CHECK(MmapRinglogSetCursor(logPtr, "one more", 8, 1, &err)
	    == MMAP_RINGLOG_FULL);
    CHECK(MmapRinglogSetCursor(logPtr, "child", 5, 3, &err) == 0);
    CHECK(MmapRinglogGetInfo(logPtr, &info, &err) == 0
	    && info.cursors == MMAP_RINGLOG_CURSORS);
    MmapRinglogClose(logPtr);
}

/* Collects the first record a read returns. */
typedef struct First {
    uint64_t seq;
    char text[32];
    int count;
} First;

static int
FirstVisit(
    void *clientData,
    uint64_t seq,
    const unsigned char *bytes,
    size_t length)
{
    First *firstPtr = clientData;

    if (firstPtr->count++ == 0) {
	firstPtr->seq = seq;
	snprintf(firstPtr->text, sizeof(firstPtr->text), "%.*s",
		(int) length, (const char *) bytes);
    }
    return 0;
}

/*
 * ReadsFrom --
 *	Whether a fresh handle reading 3 records from each of many sequence
 *	numbers gets exactly the records the model says: "m" and the
 *	number, 5 digits, from oldest on.
 */

static int
ReadsFrom(
    const char *path,
    uint64_t oldest,
    uint64_t next)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    First first;
    char want[32];
    uint64_t from, expect;
    int ok = 1;

    for (from = oldest - 3; from < next + 2; from += 97) {
	logPtr = MmapRinglogOpen(path, 1, &err);
	if (logPtr == NULL) {
	    return 0;
	}
	memset(&first, 0, sizeof(first));
	if (MmapRinglogRead(logPtr, from, 3, FirstVisit, &first, NULL, &err)
		!= 0) {
	    ok = 0;
	}
	expect = (from < oldest) ? oldest : from;
	snprintf(want, sizeof(want), "m%05llu", (unsigned long long) expect);
	if (expect >= next ? first.count != 0 : (first.count != 3
		|| first.seq != expect || strcmp(first.text, want) != 0)) {
	    fprintf(stderr, "from %llu: got %d records from %llu \"%s\"\n",
		    (unsigned long long) from, first.count,
		    (unsigned long long) first.seq, first.text);
	    ok = 0;
	}
	MmapRinglogClose(logPtr);
    }
    return ok;
}

/*
 * TestMarks --
 *	Reads far from the oldest record start at a writer's mark; the
 *	results are the same whatever the marks say, garbage included.
 */

static void
TestMarks(void)
{
    MmapRinglogError err;
    MmapRinglogInfo info;
    MmapRinglog *logPtr;
    char text[32];
    uint64_t garbage[56];
    int i, fd;

    CHECK(MmapRinglogCreate(Path("m.log"), 4096 + 65536, 1, &err) == 0);
    logPtr = MmapRinglogOpen(Path("m.log"), 0, &err);
    CHECK(logPtr != NULL);
    if (logPtr == NULL) {
	return;
    }
    for (i = 1; i <= 5000; i++) {
	snprintf(text, sizeof(text), "m%05d", i);
	Append1(logPtr, text);
    }
    CHECK(MmapRinglogGetInfo(logPtr, &info, &err) == 0 && info.wraps > 1);
    CHECK(ReadsFrom(Path("m.log"), info.oldestSeq, info.nextSeq));

    /* Marks that lie: positions of other records, bad alignment. */
    for (i = 0; i < 56; i += 2) {
	garbage[i] = info.tail + (uint64_t) i * 40 + (i % 4 ? 4 : 0);
	garbage[i + 1] = info.oldestSeq + (uint64_t) i * 7 + 1;
    }
    fd = open(Path("m.log"), O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, garbage, sizeof(garbage), 576)
	    == (ssize_t) sizeof(garbage));
    close(fd);
    CHECK(ReadsFrom(Path("m.log"), info.oldestSeq, info.nextSeq));
    MmapRinglogClose(logPtr);
}

int
main(
    int argc,
    char **argv)
{
    if (ScratchBegin(argc, argv, "/tmp/ringqueue_testXXXXXX") != 0) {
	return 2;
    }
    TestTimeouts();
    TestWakeThread();
    TestWakeProcess();
    TestStopAndReplace();
    TestSignals();
    TestDeadWaiter();
    TestNamed();
    TestMarks();
    ScratchEnd(argc);
    return Report();
}
