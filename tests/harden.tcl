# harden.tcl --
#
#	Helpers of the fault-safety and hardening tests (fault.test,
#	lifecycle.test, core.test, differential.test, hostile.test,
#	crash.test): child processes with their exit status, the process's
#	resources for leak checks, a C compiler and the paths it needs, and
#	the constraints these files share.
#
#	Sourced by those files:
#	    source [file join [file dirname [file normalize [info script]]] \
#		harden.tcl]

package require tcltest 2

namespace eval ::hz {
    variable here [file dirname [file normalize [info script]]]
    variable top  [file dirname $here]
    variable counter 0
    variable files {}
}

# hz::tempFile ?bytes? --
#
#	A new file in tcltest's temporary directory holding bytes; hz::cleanup
#	deletes it.

proc ::hz::tempFile {{bytes ""}} {
    variable files
    variable counter
    set path [file join [::tcltest::temporaryDirectory] \
	hz-[pid]-[incr counter].bin]
    set f [open $path wb]
    puts -nonewline $f $bytes
    close $f
    lappend files $path
    return $path
}

# hz::bytes path ?offset? ?count? --
#
#	A file's bytes through a plain channel, never a map.

proc ::hz::bytes {path {offset 0} {count -1}} {
    set f [open $path rb]
    seek $f $offset
    if {$count < 0} {
	set data [read $f]
    } else {
	set data [read $f $count]
    }
    close $f
    return $data
}

# hz::cleanup --
#
#	Closes every mmap channel of this interpreter and deletes the files
#	made by tempFile.

proc ::hz::cleanup {} {
    variable files
    foreach chan [chan names mmap*] {
	catch {close $chan}
    }
    foreach path $files {
	file delete -force $path
    }
    set files {}
}

# hz::fds, hz::maps, hz::resources --
#
#	Open descriptors and mappings of this process (/proc/self), and both
#	with the channel names, for leak checks.

proc ::hz::fds {} {
    llength [glob -nocomplain -directory /proc/self/fd *]
}

proc ::hz::maps {} {
    set f [open /proc/self/maps r]
    set lines [split [string trimright [read $f] \n] \n]
    close $f
    return [llength $lines]
}

# The mappings of a file, by its path: how many lines of /proc/self/maps
# name it (a map of it that leaked stays there even after the file is
# gone, marked "(deleted)").

proc ::hz::mapsOf {path} {
    set f [open /proc/self/maps r]
    set n 0
    foreach line [split [read $f] \n] {
	if {[string first $path $line] >= 0} {
	    incr n
	}
    }
    close $f
    return $n
}

# Under AddressSanitizer or valgrind the count of mappings is not ours to
# compare: their allocators map memory as they go.  There resources
# reports "*" for it, and the tests still check the mappings of their own
# files with mapsOf.

proc ::hz::resources {} {
    if {[instrumented]} {
	return [list [lsort [chan names]] [fds] *]
    }
    list [lsort [chan names]] [fds] [maps]
}

proc ::hz::instrumented {} {
    expr {[info exists ::env(LD_PRELOAD)]
	&& [regexp {libasan|vgpreload} $::env(LD_PRELOAD)]}
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
    set path [tempFile "[childHeader]$script"]
    set err [tempFile]
    set code [catch {
	exec [info nameofexecutable] $path {*}$args 2> $err
    } out opts]
    set stderr [bytes $err]
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

# hz::normalize text chan ... --
#
#	text with each channel name given replaced by "mmapN": names are
#	numbered process-wide, so a test cannot know them in advance.

proc ::hz::normalize {text args} {
    foreach chan $args {
	regsub -all "\\m$chan\\M" $text mmapN text
    }
    return $text
}

# hz::outcome script ?chan ...? --
#
#	{0 result} or {code message errorCode} of script, run in the
#	caller's scope, with the channels named normalized.

proc ::hz::outcome {script args} {
    set code [catch {uplevel 1 $script} msg opts]
    if {$code == 0} {
	set result [list 0 $msg]
    } else {
	set result [list $code $msg [dict get $opts -errorcode]]
    }
    return [normalize $result {*}$args]
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

# # ## ### ##### ######## Compilers

# hz::cc --
#
#	The C compiler the tests use (gcc, else cc), or "".

proc ::hz::cc {} {
    foreach name {gcc cc} {
	if {[auto_execok $name] ne ""} {
	    return [lindex [auto_execok $name] 0]
	}
    }
    return ""
}

# hz::tclInclude --
#
#	The directory holding this Tcl's tcl.h, or "".

proc ::hz::tclInclude {} {
    set version [info tclversion]
    set candidates [list /usr/include/tcl$version /usr/local/include/tcl$version \
	/usr/include /usr/local/include]
    # tclConfig.sh, where Tcl says where it installed its headers.
    foreach dir [list [file dirname [info library]] \
	    /usr/lib/tcl$version /usr/lib/x86_64-linux-gnu/tcl$version] {
	set config [file join $dir tclConfig.sh]
	if {[file readable $config]} {
	    set f [open $config r]
	    set text [read $f]
	    close $f
	    if {[regexp -line {^TCL_INCLUDE_SPEC='-I([^']*)'} $text -> inc]} {
		set candidates [linsert $candidates 0 $inc]
	    }
	}
    }
    foreach dir $candidates {
	if {[file exists [file join $dir tcl.h]]} {
	    return $dir
	}
    }
    return ""
}

# hz::cleanEnv script --
#
#	Runs script with the sanitizer runtime taken out of the environment
#	(LD_PRELOAD, ASAN_OPTIONS, UBSAN_OPTIONS), for programs that must run
#	as they would for a user.

proc ::hz::cleanEnv {script} {
    global env
    set saved {}
    foreach var {LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS} {
	if {[info exists env($var)]} {
	    dict set saved $var $env($var)
	    unset env($var)
	}
    }
    try {
	uplevel 1 $script
    } finally {
	dict for {var value} $saved {
	    set env($var) $value
	}
    }
}

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
    cleanEnv {
	exec [cc] -Wall -Wextra -shared -fPIC -I[tclInclude] \
	    [file join $here c ext crash.c] -o $out
    }
    set crashExt $out
    return $out
}

# # ## ### ##### ######## Constraints

::tcltest::testConstraint procfs [expr {[file isdirectory /proc/self/fd]
	&& [file readable /proc/self/maps]}]
::tcltest::testConstraint thread [expr {![catch {package require Thread}]}]
::tcltest::testConstraint tclx [expr {![catch {package require Tclx}]}]
::tcltest::testConstraint cc [expr {[::hz::cc] ne ""}]
::tcltest::testConstraint ccTcl [expr {[::hz::cc] ne ""
	&& [::hz::tclInclude] ne ""}]
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
