/*
 * tclnotify.c --
 *
 *	"$log notify ?script?": runs a script from the event loop whenever
 *	records are appended, by any process, without blocking the
 *	interpreter and without polling.
 *
 * A watcher thread per notifying log sleeps in MmapRinglogWait (wait.c).
 *	When records arrive it queues one Tcl event to the log's thread
 *	(Tcl_ThreadQueueEvent and Tcl_ThreadAlert: the only calls another
 *	thread may make into it) and then waits, on a condition, until the
 *	script has been started.  So however many records arrive meanwhile,
 *	one batch gives one run, and while a run is pending the appenders
 *	wake nobody.  The event schedules the script as an idle callback
 *	("after idle"), which runs it at global level; an error goes to
 *	bgerror, as for fileevent.
 *
 * Stopping: "notify {}", close (however the command goes: close, rename,
 *	interp deletion) and the exit of the log's thread all come to
 *	RlNotifyStop, which sets the waiter's stop flag, wakes the log's
 *	waiters (MmapRinglogWakeAll), joins the thread, and removes the
 *	events and idle callback still queued, so that nothing is left
 *	behind.  The watcher ends on its own when the wait fails (the file
 *	was replaced by a forced create, or cut): the script then runs once
 *	more, and a read in it reports why.
 *
 *	A watcher thread does not survive fork: in a child, "notify" is off
 *	until set again there.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tclint.h"

struct Notifier {
    RinglogCmd *cmdPtr;		/* The log command; NULL once stopped. */
    Tcl_Obj *scriptObj;		/* The script. */
    Tcl_ThreadId owner;		/* The log's thread. */
    Tcl_ThreadId watcher;	/* The watcher thread. */
    pid_t pid;			/* The process that started it. */
    MmapRinglogWaiter waiter;	/* The watcher's; stop ends it. */
    uint64_t seen;		/* nextSeq as the watcher last saw it. */
    Tcl_Mutex mutex;		/* Guards pending, finished. */
    Tcl_Condition cond;		/* pending cleared, or stop. */
    int pending;		/* An event is queued, the script has not
				 * started since. */
    int finished;		/* The watcher ended on its own. */
    int idleScheduled;		/* RunScript is an idle callback. */
};

typedef struct NotifyEvent {
    Tcl_Event header;
    Notifier *notifierPtr;
} NotifyEvent;

static int	DeleteFilter(Tcl_Event *evPtr, ClientData clientData);
static int	EventProc(Tcl_Event *evPtr, int flags);
/* Tcl_FreeProc takes char * in Tcl 8.6, void * in Tcl 9. */
#if TCL_MAJOR_VERSION < 9
typedef char *FreeBlock;
#else
typedef void *FreeBlock;
#endif

static void	FreeNotifier(FreeBlock blockPtr);
static void	QueueEvent(Notifier *notifierPtr);
static void	RunScript(ClientData clientData);
static void	ThreadExitProc(ClientData clientData);
static Tcl_ThreadCreateType WatchThread(ClientData clientData);

/*
 *----------------------------------------------------------------------
 *
 * RlNotifyCmd --
 *
 *	"$log notify ?script?": without script, the current one ({} when
 *	none); with a script, runs it whenever records arrive; with {},
 *	stops.
 *
 * Results:
 *	A standard Tcl result.
 *
 * Side effects:
 *	Starts or stops the watcher thread.
 *
 *----------------------------------------------------------------------
 */

int
RlNotifyCmd(
    Tcl_Interp *interp,
    RinglogCmd *cmdPtr,
    int objc,
    Tcl_Obj *const objv[])
{
    Notifier *notifierPtr = cmdPtr->notifierPtr;
    MmapRinglogError err;
    MmapRinglogInfo info;
    Tcl_Size length;

    if (objc != 2 && objc != 3) {
	Tcl_WrongNumArgs(interp, 2, objv, "?script?");
	return TCL_ERROR;
    }
    if (notifierPtr != NULL && notifierPtr->pid != getpid()) {
	/* A child of fork: the watcher stayed in the parent. */
	RlNotifyStop(cmdPtr);
	notifierPtr = NULL;
    }
    if (objc == 2) {
	if (notifierPtr != NULL) {
	    Tcl_SetObjResult(interp, notifierPtr->scriptObj);
	}
	return TCL_OK;
    }
    Tcl_GetStringFromObj(objv[2], &length);
    if (length == 0) {
	RlNotifyStop(cmdPtr);
	return TCL_OK;
    }
    if (notifierPtr != NULL) {
	/* Running: only the script changes. */
	Tcl_IncrRefCount(objv[2]);
	Tcl_DecrRefCount(notifierPtr->scriptObj);
	notifierPtr->scriptObj = objv[2];
	return TCL_OK;
    }

    /*
     * What the watcher needs must be in place before it starts: the
     * position it waits after, a descriptor of its own, and (read-only
     * logs) a writable header page to register in.
     */

    if (MmapRinglogGetInfo(cmdPtr->logPtr, &info, &err) != MMAP_RINGLOG_OK) {
	return RlTclError(interp, cmdPtr->name, "reading", &err);
    }
    notifierPtr = (Notifier *) ckalloc(sizeof(Notifier));
    memset(notifierPtr, 0, sizeof(Notifier));
    if (MmapRinglogWaiterInit(cmdPtr->logPtr, &notifierPtr->waiter, &err)
	    != MMAP_RINGLOG_OK
	    || MmapRinglogPrepareWait(cmdPtr->logPtr, &err)
		    != MMAP_RINGLOG_OK) {
	MmapRinglogWaiterFree(&notifierPtr->waiter);
	ckfree(notifierPtr);
	return RlTclError(interp, cmdPtr->name, "waiting on", &err);
    }
    notifierPtr->cmdPtr = cmdPtr;
    notifierPtr->scriptObj = objv[2];
    Tcl_IncrRefCount(notifierPtr->scriptObj);
    notifierPtr->owner = Tcl_GetCurrentThread();
    notifierPtr->pid = getpid();
    notifierPtr->seen = info.nextSeq;
    if (Tcl_CreateThread(&notifierPtr->watcher, WatchThread, notifierPtr,
	    TCL_THREAD_STACK_DEFAULT, TCL_THREAD_JOINABLE) != TCL_OK) {
	Tcl_DecrRefCount(notifierPtr->scriptObj);
	MmapRinglogWaiterFree(&notifierPtr->waiter);
	ckfree(notifierPtr);
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("couldn't start the watcher"
		" thread of ring log \"%s\"", cmdPtr->name));
	Tcl_SetErrorCode(interp, "MMAP", "RINGLOG", "THREAD", NULL);
	return TCL_ERROR;
    }
    cmdPtr->notifierPtr = notifierPtr;
    Tcl_CreateThreadExitHandler(ThreadExitProc, cmdPtr);
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * RlNotifyStop --
 *
 *	Stops "notify" for a log, if it runs: the watcher thread ends and
 *	is joined, its queued events and idle callback are removed.  Safe
 *	from within the script itself.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	See above.
 *
 *----------------------------------------------------------------------
 */

void
RlNotifyStop(
    RinglogCmd *cmdPtr)
{
    Notifier *notifierPtr = cmdPtr->notifierPtr;
    int result;

    if (notifierPtr == NULL) {
	return;
    }
    cmdPtr->notifierPtr = NULL;
    Tcl_DeleteThreadExitHandler(ThreadExitProc, cmdPtr);

    __atomic_store_n(&notifierPtr->waiter.stop, 1, __ATOMIC_SEQ_CST);
    if (notifierPtr->pid == getpid()) {
	/*
	 * In a child of fork the thread does not exist, and its mutex may
	 * have been held when it was copied: touch neither.
	 */

	Tcl_MutexLock(&notifierPtr->mutex);
	Tcl_ConditionNotify(&notifierPtr->cond);
	Tcl_MutexUnlock(&notifierPtr->mutex);
	MmapRinglogWakeAll(cmdPtr->logPtr);
	Tcl_JoinThread(notifierPtr->watcher, &result);
    }
    Tcl_DeleteEvents(DeleteFilter, notifierPtr);
    if (notifierPtr->idleScheduled) {
	Tcl_CancelIdleCall(RunScript, notifierPtr);
	notifierPtr->idleScheduled = 0;
    }
    MmapRinglogWaiterFree(&notifierPtr->waiter);
    notifierPtr->cmdPtr = NULL;
    Tcl_EventuallyFree(notifierPtr, FreeNotifier);
}

static void
FreeNotifier(
    FreeBlock blockPtr)
{
    Notifier *notifierPtr = (Notifier *) blockPtr;

    Tcl_DecrRefCount(notifierPtr->scriptObj);
    Tcl_MutexFinalize(&notifierPtr->mutex);
    Tcl_ConditionFinalize(&notifierPtr->cond);
    ckfree(notifierPtr);
}

static int
DeleteFilter(
    Tcl_Event *evPtr,
    ClientData clientData)
{
    return evPtr->proc == EventProc
	    && ((NotifyEvent *) evPtr)->notifierPtr == clientData;
}

/* The log's thread ends with the log still open: stop the watcher. */
static void
ThreadExitProc(
    ClientData clientData)
{
    RlNotifyStop((RinglogCmd *) clientData);
}

/*
 *----------------------------------------------------------------------
 *
 * WatchThread --
 *
 *	The watcher: waits for records after the last ones it saw, queues
 *	an event for them, and waits for the script to start before it
 *	looks again.  Makes no other call into Tcl.
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Events for the log's thread.
 *
 *----------------------------------------------------------------------
 */

static Tcl_ThreadCreateType
WatchThread(
    ClientData clientData)
{
    Notifier *notifierPtr = clientData;
    MmapRinglog *logPtr = notifierPtr->cmdPtr->logPtr;
    MmapRinglogError err;
    uint64_t next;
    int status;

    for (;;) {
	status = MmapRinglogWait(logPtr, &notifierPtr->waiter,
		notifierPtr->seen, -1, &next, &err);
	if (status == MMAP_RINGLOG_INTERRUPTED
		|| __atomic_load_n(&notifierPtr->waiter.stop,
			__ATOMIC_SEQ_CST)) {
	    break;
	}
	Tcl_MutexLock(&notifierPtr->mutex);
	if (status != MMAP_RINGLOG_OK) {
	    /* Replaced or cut: one last run, whose read says why. */
	    notifierPtr->finished = 1;
	    QueueEvent(notifierPtr);
	    Tcl_MutexUnlock(&notifierPtr->mutex);
	    break;
	}
	notifierPtr->seen = next;
	QueueEvent(notifierPtr);
	while (notifierPtr->pending
		&& !__atomic_load_n(&notifierPtr->waiter.stop,
			__ATOMIC_SEQ_CST)) {
	    Tcl_ConditionWait(&notifierPtr->cond, &notifierPtr->mutex, NULL);
	}
	Tcl_MutexUnlock(&notifierPtr->mutex);
    }
    TCL_THREAD_CREATE_RETURN;
}

/* With the mutex held: one event for the log's thread, and its alert. */
static void
QueueEvent(
    Notifier *notifierPtr)
{
    NotifyEvent *evPtr = (NotifyEvent *) ckalloc(sizeof(NotifyEvent));

    notifierPtr->pending = 1;
    evPtr->header.proc = EventProc;
    evPtr->notifierPtr = notifierPtr;
    Tcl_ThreadQueueEvent(notifierPtr->owner, &evPtr->header,
	    TCL_QUEUE_TAIL);
    Tcl_ThreadAlert(notifierPtr->owner);
}

/*
 *----------------------------------------------------------------------
 *
 * EventProc, RunScript --
 *
 *	In the log's thread: the event schedules the script for when the
 *	thread is idle; RunScript lets the watcher look for the next batch
 *	and runs the script at global level.
 *
 * Results:
 *	EventProc: 1, the event is done (file events only when asked for).
 *
 * Side effects:
 *	Whatever the script does, closing the log included.
 *
 *----------------------------------------------------------------------
 */

static int
EventProc(
    Tcl_Event *evPtr,
    int flags)
{
    Notifier *notifierPtr = ((NotifyEvent *) evPtr)->notifierPtr;

    if (!(flags & TCL_FILE_EVENTS)) {
	return 0;
    }
    if (!notifierPtr->idleScheduled) {
	notifierPtr->idleScheduled = 1;
	Tcl_DoWhenIdle(RunScript, notifierPtr);
    }
    return 1;
}

static void
RunScript(
    ClientData clientData)
{
    Notifier *notifierPtr = clientData;
    RinglogCmd *cmdPtr = notifierPtr->cmdPtr;
    MmapRinglogError err;
    MmapRinglogInfo info;
    Tcl_Interp *interp;
    Tcl_Obj *scriptObj;
    int code, finished;

    notifierPtr->idleScheduled = 0;
    if (cmdPtr == NULL) {
	return;
    }
    /*
     * The script reads whatever is there now: the next batch is what
     * comes after, whatever the watcher saw when it woke.
     */

    if (MmapRinglogGetInfo(cmdPtr->logPtr, &info, &err) != MMAP_RINGLOG_OK) {
	info.nextSeq = 0;
    }
    Tcl_MutexLock(&notifierPtr->mutex);
    if (info.nextSeq > notifierPtr->seen) {
	notifierPtr->seen = info.nextSeq;
    }
    notifierPtr->pending = 0;
    finished = notifierPtr->finished;
    Tcl_ConditionNotify(&notifierPtr->cond);
    Tcl_MutexUnlock(&notifierPtr->mutex);

    interp = cmdPtr->interp;
    scriptObj = notifierPtr->scriptObj;
    Tcl_IncrRefCount(scriptObj);
    Tcl_Preserve(notifierPtr);
    Tcl_Preserve(interp);
    if (finished) {
	/* The watcher is gone: this is the last run. */
	RlNotifyStop(cmdPtr);
    }
    code = Tcl_EvalObjEx(interp, scriptObj, TCL_EVAL_GLOBAL);
    if (code != TCL_OK) {
	Tcl_BackgroundException(interp, code);
    }
    Tcl_Release(interp);
    Tcl_Release(notifierPtr);
    Tcl_DecrRefCount(scriptObj);
}
