# harden.tcl --
#
#	Helpers of the fault-safety and hardening tests (fault.test,
#	lifecycle.test, core.test, differential.test, hostile.test,
#	crash.test): child processes with their exit status, resource
#	snapshots that allow for a sanitizer's own mappings, the crash
#	extension, and the constraints only these files use.  The helpers
#	they share with the other test files (mt::tempFile, mt::readFile,
#	mt::outcome, mt::cc, ...) are in helpers.tcl, sourced from here.
#
#	Sourced by those files:
#	    source [file join [file dirname [file normalize [info script]]] \
#		harden.tcl]

source [file join [file dirname [file normalize [info script]]] helpers.tcl]

namespace eval ::hz {
    variable here [file dirname [file normalize [info script]]]
    variable top  [file dirname $here]
}

# hz::cleanup --
#
#	Closes every mmap channel of this interpreter and deletes the files
#	made by mt::tempFile.

proc ::hz::cleanup {} {
    foreach chan [chan names mmap*] {
	catch {close $chan}
    }
    ::mt::cleanFiles
}

# The mappings of a file, by its path: how many lines of /proc/self/maps
# name it (a map of it that leaked stays there even after the file is
# gone, marked "(deleted)").

proc ::hz::mapsOf {path} {
    set n 0
    foreach line [::mt::mapsLines] {
	if {[string first $path $line] >= 0} {
	    incr n
	}
    }
    return $n
}

# The resource snapshot and the instrumentation test are helpers.tcl's
# (mt::resources reports "*" for the mappings under ASan or valgrind); the
# names here are the ones these files have always used.

proc ::hz::resources {} {
    ::mt::resources
}

proc ::hz::instrumented {} {
    ::mt::instrumented
}

# hz::childHeader --
#
#	The start of every child script: this test's auto_path, so that the
#	child loads the very package under test.

proc ::hz::childHeader {} {
    return "[list set ::auto_path $::auto_path]\n"
}

# hz::child script ?arg ...? --
#
#	Runs script (after childHeader) in a new tclsh with the arguments.
#	Returns {status stdout stderr}: status is "exit N" or "killed
#	SIGNAME".  Never raises an error for the child's own failure.

proc ::hz::child {script args} {
    set path [::mt::tempFile "[childHeader]$script"]
    set err [::mt::tempFile]
    set code [catch {
	exec [info nameofexecutable] $path {*}$args 2> $err
    } out opts]
    set stderr [::mt::readFile $err]
    file delete $path $err

    if {!$code} {
	return [list "exit 0" $out $stderr]
    }
    set ec [dict get $opts -errorcode]
    switch -- [lindex $ec 0] {
	CHILDSTATUS { set status "exit [lindex $ec 2]" }
	CHILDKILLED { set status "killed [lindex $ec 2]" }
	default     { set status "error $ec" }
    }
    # exec leaves the child's output in the message, with "child process
    # exited abnormally" or "child killed: ..." appended on a line of its
    # own.
    regsub {\n?child (process exited abnormally|killed: [^\n]*)$} $out {} out
    return [list $status $out $stderr]
}

# hz::finish --
#
#	What every file of these tests does last: its own cleanup, then
#	tcltest's totals.

proc ::hz::finish {} {
    variable crashExt
    cleanup
    if {[info exists crashExt]} {
	file delete $crashExt
	unset crashExt
    }
    ::tcltest::cleanupTests
}

# # ## ### ##### ######## The crash extension

# hz::buildCrashExt --
#
#	Compiles tests/c/ext/crash.c into the temporary directory once;
#	returns the shared library's path.

proc ::hz::buildCrashExt {} {
    variable here
    variable crashExt
    if {[info exists crashExt] && [file exists $crashExt]} {
	return $crashExt
    }
    set out [file join [::tcltest::temporaryDirectory] \
	crash-[pid][info sharedlibextension]]
    ::mt::cleanEnv {
	exec [::mt::cc] -Wall -Wextra -shared -fPIC -I[::mt::tclInclude] \
	    [file join $here c ext crash.c] -o $out
    }
    set crashExt $out
    return $out
}

# # ## ### ##### ######## Constraints

# procfs, thread, tclx, cc and ccTcl come from helpers.tcl.
::tcltest::testConstraint killCmd [expr {[auto_execok kill] ne ""}]

# asan: this tclsh runs with AddressSanitizer preloaded (tclsh build.tcl
# check), whose SIGSEGV/SIGBUS handlers were there before the guard's.
::tcltest::testConstraint asan [expr {[info exists ::env(LD_PRELOAD)]
	&& [string match *libasan* $::env(LD_PRELOAD)]}]
::tcltest::testConstraint noAsan [expr {![::tcltest::testConstraint asan]}]

# notValgrind: not under valgrind, which answers an mmap(2) of more memory
# than it manages with EINVAL where the kernel says ENOMEM.
::tcltest::testConstraint notValgrind [expr {![info exists ::env(LD_PRELOAD)]
	|| ![string match *vgpreload* $::env(LD_PRELOAD)]}]
