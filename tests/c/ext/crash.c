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
 *
 *	Built by the tests with: gcc -shared -fPIC -I<tcl.h's directory>
 *	    tests/c/ext/crash.c -o crash.so
 *	It uses no stubs: tclsh has already loaded libtcl, which provides
 *	the few symbols it needs.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
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

int
Crash_Init(
    Tcl_Interp *interp)
{
    Tcl_CreateObjCommand(interp, "crash::segv", SegvCmd, NULL, NULL);
    Tcl_CreateObjCommand(interp, "crash::bus", BusCmd, NULL, NULL);
    Tcl_CreateObjCommand(interp, "crash::handlers", HandlersCmd, NULL,
	    NULL);
    return Tcl_PkgProvide(interp, "crash", "1.0");
}
