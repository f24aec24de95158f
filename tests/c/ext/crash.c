/*
 * crash.c --
 *
 *	A tiny Tcl extension for the fault tests (tests/fault.test): commands
 *	that fault on purpose, outside every copy of the mmap package, so
 *	that the tests can show such faults still kill the process as they
 *	did before the package's guard was installed.
 *
 *	    crash::segv   write to a PROT_NONE page of its own (SIGSEGV)
 *	    crash::bus ?dir?
 *	                  read a page of a file it made in dir (default
 *	                  /tmp), mapped and truncated (SIGBUS)
 *	    crash::handlers
 *	                  "SIGSEGV SIGBUS" dispositions as {dfl|ign|handler}
 *	    crash::chain ?announce?
 *	                  installs SIGBUS and SIGSEGV handlers on top of the
 *	                  current ones, as libsigsegv, a JVM, Go or a garbage
 *	                  collector does: SA_SIGINFO only (no SA_NODEFER, so
 *	                  the kernel blocks the signal while they run), and
 *	                  they chain to the handlers they replaced; with
 *	                  announce true each call writes "chained SIGBUS" (or
 *	                  SIGSEGV) and a newline to stderr
 *	    crash::chained
 *	                  how many times the chained handlers have run
 *	    crash::blocked
 *	                  which of SIGBUS SIGSEGV the calling thread blocks
 *	    crash::protect path offset length
 *	                  mprotect(PROT_NONE) behind the package's back: the
 *	                  pages of the first mapping of path (found in
 *	                  /proc/self/maps) that hold file offsets [offset,
 *	                  offset+length)
 *
 *	Built by the tests with: gcc -shared -fPIC -I<tcl.h's directory>
 *	    tests/c/ext/crash.c -o crash.so
 *	It uses no stubs: tclsh has already loaded libtcl, which provides
 *	the few symbols it needs.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <tcl.h>

static int
SegvCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    volatile unsigned char *page;

    (void) clientData; (void) objc; (void) objv;
    page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
	Tcl_SetResult(interp, "mmap failed", TCL_STATIC);
	return TCL_ERROR;
    }
    page[17] = 1;
    Tcl_SetResult(interp, "crash::segv survived", TCL_STATIC);
    return TCL_ERROR;
}

static int
BusCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    char path[1024];
    volatile unsigned char *page;
    int fd;

    (void) clientData;
    snprintf(path, sizeof(path), "%s/crash-bus-XXXXXX",
	    objc > 1 ? Tcl_GetString(objv[1]) : "/tmp");
    fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, 8192) != 0) {
	Tcl_SetResult(interp, "cannot make a file", TCL_STATIC);
	return TCL_ERROR;
    }
    unlink(path);
    page = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED || ftruncate(fd, 0) != 0) {
	Tcl_SetResult(interp, "cannot map the file", TCL_STATIC);
	return TCL_ERROR;
    }
    (void) page[4096 + 17];
    Tcl_SetResult(interp, "crash::bus survived", TCL_STATIC);
    return TCL_ERROR;
}

static const char *
Disposition(
    int sig)
{
    struct sigaction action;

    if (sigaction(sig, NULL, &action) != 0) {
	return "?";
    }
    if (!(action.sa_flags & SA_SIGINFO) && action.sa_handler == SIG_DFL) {
	return "dfl";
    }
    if (!(action.sa_flags & SA_SIGINFO) && action.sa_handler == SIG_IGN) {
	return "ign";
    }
    return "handler";
}

static int
HandlersCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    Tcl_Obj *listObj = Tcl_NewListObj(0, NULL);

    (void) clientData; (void) objc; (void) objv;
    Tcl_ListObjAppendElement(NULL, listObj,
	    Tcl_NewStringObj(Disposition(SIGSEGV), -1));
    Tcl_ListObjAppendElement(NULL, listObj,
	    Tcl_NewStringObj(Disposition(SIGBUS), -1));
    Tcl_SetObjResult(interp, listObj);
    return TCL_OK;
}

/*
 * The chained handlers of crash::chain and what they replaced.
 */

static struct sigaction chainedBus;
static struct sigaction chainedSegv;
static volatile sig_atomic_t chainAnnounce = 0;
static volatile long chainCount = 0;

static void
ChainHandler(
    int sig,
    siginfo_t *info,
    void *context)
{
    struct sigaction *previousPtr =
	    (sig == SIGBUS) ? &chainedBus : &chainedSegv;

    __atomic_add_fetch(&chainCount, 1, __ATOMIC_SEQ_CST);
    if (chainAnnounce) {
	const char *msg = (sig == SIGBUS) ? "chained SIGBUS\n"
		: "chained SIGSEGV\n";

	(void) !write(2, msg, strlen(msg));
    }
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
     * Nothing before us: the default action, met again by the faulting
     * instruction on return (or raised now for a signal sent by kill).
     */

    signal(sig, SIG_DFL);
    if (info->si_code <= 0) {
	raise(sig);
    }
}

static int
ChainCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    struct sigaction action;
    int announce = 0;

    (void) clientData;
    if (objc > 2) {
	Tcl_WrongNumArgs(interp, 1, objv, "?announce?");
	return TCL_ERROR;
    }
    if (objc == 2 && Tcl_GetBooleanFromObj(interp, objv[1], &announce)
	    != TCL_OK) {
	return TCL_ERROR;
    }
    chainAnnounce = announce;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = ChainHandler;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &chainedBus) != 0
	    || sigaction(SIGSEGV, &action, &chainedSegv) != 0) {
	Tcl_SetResult(interp, "sigaction failed", TCL_STATIC);
	return TCL_ERROR;
    }
    return TCL_OK;
}

static int
ChainedCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    (void) clientData; (void) objc; (void) objv;
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt)
	    __atomic_load_n(&chainCount, __ATOMIC_SEQ_CST)));
    return TCL_OK;
}

static int
BlockedCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    sigset_t set;
    Tcl_Obj *listObj = Tcl_NewListObj(0, NULL);

    (void) clientData; (void) objc; (void) objv;
    sigemptyset(&set);
    if (pthread_sigmask(SIG_BLOCK, NULL, &set) != 0) {
	Tcl_SetResult(interp, "pthread_sigmask failed", TCL_STATIC);
	return TCL_ERROR;
    }
    if (sigismember(&set, SIGBUS)) {
	Tcl_ListObjAppendElement(NULL, listObj,
		Tcl_NewStringObj("SIGBUS", -1));
    }
    if (sigismember(&set, SIGSEGV)) {
	Tcl_ListObjAppendElement(NULL, listObj,
		Tcl_NewStringObj("SIGSEGV", -1));
    }
    Tcl_SetObjResult(interp, listObj);
    return TCL_OK;
}

/*
 * crash::protect: the mapping of path whose file range holds the offsets
 * asked for, from /proc/self/maps ("start-end perms fileoffset dev inode
 * path"), and mprotect(PROT_NONE) of the pages in it that hold them.
 */

static int
ProtectCmd(
    ClientData clientData,
    Tcl_Interp *interp,
    int objc,
    Tcl_Obj *const objv[])
{
    const char *path;
    Tcl_WideInt offset, length;
    char line[4096];
    FILE *maps;
    long pageSize = sysconf(_SC_PAGESIZE);

    (void) clientData;
    if (objc != 4) {
	Tcl_WrongNumArgs(interp, 1, objv, "path offset length");
	return TCL_ERROR;
    }
    path = Tcl_GetString(objv[1]);
    if (Tcl_GetWideIntFromObj(interp, objv[2], &offset) != TCL_OK
	    || Tcl_GetWideIntFromObj(interp, objv[3], &length) != TCL_OK) {
	return TCL_ERROR;
    }
    maps = fopen("/proc/self/maps", "r");
    if (maps == NULL) {
	Tcl_SetResult(interp, "cannot read /proc/self/maps", TCL_STATIC);
	return TCL_ERROR;
    }
    while (fgets(line, sizeof(line), maps) != NULL) {
	unsigned long long start, end, fileOffset, first, last;
	int pathStart = 0;
	size_t n;

	if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end,
		&fileOffset, &pathStart) < 3 || pathStart == 0) {
	    continue;
	}
	n = strlen(line + pathStart);
	if (n > 0 && line[pathStart + n - 1] == '\n') {
	    line[pathStart + --n] = '\0';
	}
	if (strcmp(line + pathStart, path) != 0
		|| (unsigned long long) offset < fileOffset
		|| (unsigned long long) (offset + length)
			> fileOffset + (end - start)) {
	    continue;
	}
	fclose(maps);
	first = start + ((unsigned long long) offset - fileOffset)
		/ pageSize * pageSize;
	last = start + ((unsigned long long) (offset + length) - fileOffset
		+ pageSize - 1) / pageSize * pageSize;
	if (mprotect((void *) (uintptr_t) first, (size_t) (last - first),
		PROT_NONE) != 0) {
	    Tcl_SetResult(interp, "mprotect failed", TCL_STATIC);
	    return TCL_ERROR;
	}
	return TCL_OK;
    }
    fclose(maps);
    Tcl_SetResult(interp, "no mapping of that file holds that range",
	    TCL_STATIC);
    return TCL_ERROR;
}

int
Crash_Init(
    Tcl_Interp *interp)
{
    Tcl_CreateObjCommand(interp, "crash::segv", SegvCmd, NULL, NULL);
    Tcl_CreateObjCommand(interp, "crash::bus", BusCmd, NULL, NULL);
    Tcl_CreateObjCommand(interp, "crash::handlers", HandlersCmd, NULL,
	    NULL);
    Tcl_CreateObjCommand(interp, "crash::chain", ChainCmd, NULL, NULL);
    Tcl_CreateObjCommand(interp, "crash::chained", ChainedCmd, NULL, NULL);
    Tcl_CreateObjCommand(interp, "crash::blocked", BlockedCmd, NULL, NULL);
    Tcl_CreateObjCommand(interp, "crash::protect", ProtectCmd, NULL, NULL);
    return Tcl_PkgProvide(interp, "crash", "1.0");
}
