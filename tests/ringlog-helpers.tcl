# ringlog-helpers.tcl --
#
#	Helpers shared by the ring log's test files, ringlog.test and
#	ringqueue.test (DESIGN.md section 5): the package from the build,
#	the constraints they share, paths in the temporary directory and
#	their cleanup, outcomes with a log's name and the temporary
#	directory made predictable, bytes of a file patched and read back,
#	descriptors and mappings for leak checks, child tclsh processes, and
#	the C unit test program.
#
#	Sourced by both, after tcltest:
#	    source [file join [file dirname [file normalize [info script]]] \
#		ringlog-helpers.tcl]
#
#	Not a test file: tests/all.tcl runs only tests/*.test.

package require Tcl 8.6-
package require tcltest 2

# Standalone, the build in ../lib (../lib-tcl9 under Tcl 9) comes last;
# all.tcl puts it first.
apply {{} {
    set lib [file join [file dirname [file dirname [file normalize \
	    [info script]]]] [expr {[package vsatisfies [info patchlevel] 9-]
	    ? "lib-tcl9" : "lib"}]]
    if {$lib ni $::auto_path} {
	lappend ::auto_path $lib
    }
}}
package require mmap

namespace eval ::rlt {
    variable top [file dirname [file dirname [file normalize [info script]]]]
    variable tmp [file normalize [::tcltest::temporaryDirectory]]
    variable counter 0
}

::tcltest::testConstraint linux [expr {$tcl_platform(os) eq "Linux"}]
::tcltest::testConstraint littleEndian \
    [expr {$tcl_platform(byteOrder) eq "littleEndian"}]
::tcltest::testConstraint thread [expr {![catch {
    interp create rltProbe
    rltProbe eval {package require Thread}
}]}]
catch {interp delete rltProbe}
::tcltest::testConstraint cc \
    [expr {[auto_execok gcc] ne "" || [auto_execok cc] ne ""}]
::tcltest::testConstraint kill [expr {[auto_execok kill] ne ""}]
::tcltest::testConstraint truncate [expr {[auto_execok truncate] ne ""}]

# rlt::path --
#	A new path in the temporary directory (no file there yet).

proc ::rlt::path {{name rl}} {
    variable tmp
    variable counter
    set path [file join $tmp $name-[pid]-[incr counter].log]
    file delete -force $path
    return $path
}

# rlt::cleanup --
#	Closes every log command still open and deletes the files made.

proc ::rlt::cleanup {} {
    variable tmp
    foreach cmd [info commands ::mmap::ringlog?*] {
	rename $cmd {}
    }
    foreach file [glob -nocomplain -directory $tmp *-[pid]-*] {
	file delete -force $file
    }
}

# rlt::caught script ?log ...? --
#	Runs script in the caller's scope.  {0 result} or {code message
#	errorCode}, with the given log names replaced by LOG, the temporary
#	directory by TMP and "-<pid>" (in the names of its files) by -PID.

proc ::rlt::caught {script args} {
    variable tmp
    set code [catch {uplevel 1 $script} msg opts]
    if {$code == 0} {
	set outcome [list 0 $msg]
    } else {
	set outcome [list $code $msg [dict get $opts -errorcode]]
    }
    set map [list $tmp TMP -[pid] -PID]
    foreach log $args {
	lappend map $log LOG
    }
    return [string map $map $outcome]
}

# rlt::newLog size ?args? --
#	Creates a log of size bytes and opens it; returns the command.

proc ::rlt::newLog {size args} {
    set path [path]
    mmap::ringlog create $path -size $size
    return [mmap::ringlog open $path {*}$args]
}

proc ::rlt::pathOf {log} {
    dict get [$log stats] path
}

# rlt::patch path offset bytes --
#	Overwrites bytes of a file through a plain channel.

proc ::rlt::patch {path offset bytes} {
    set f [open $path r+]
    fconfigure $f -translation binary
    seek $f $offset
    puts -nonewline $f $bytes
    close $f
}

proc ::rlt::readBytes {path offset count} {
    set f [open $path rb]
    seek $f $offset
    set data [read $f $count]
    close $f
    return $data
}

# rlt::seqs list --
#	The sequence numbers of a read result.

proc ::rlt::seqs {records} {
    set result {}
    foreach {seq message} $records {
	lappend result $seq
    }
    return $result
}

proc ::rlt::range {from to} {
    set result {}
    for {set i $from} {$i <= $to} {incr i} {
	lappend result $i
    }
    return $result
}

# rlt::fds, rlt::maps --
#	This process's open descriptors, and its mappings of files in the
#	temporary directory, for leak checks.

proc ::rlt::fds {} {
    llength [glob -nocomplain /proc/self/fd/*]
}

proc ::rlt::maps {} {
    variable tmp
    set f [open /proc/self/maps]
    set n 0
    foreach line [split [read $f] \n] {
	# Those of files in the temporary directory: the allocators of
	# ASan and valgrind map anonymous memory as they please.
	if {[string first " $tmp/" $line] >= 0} {
	    incr n
	}
    }
    close $f
    return $n
}

# rlt::childScript body --
#	A script for a child tclsh that loads this same mmap package.

proc ::rlt::childScript {body} {
    return "set ::auto_path [list $::auto_path]\npackage require mmap\n$body"
}

proc ::rlt::writeScript {body} {
    set file [path child]
    set f [open $file w]
    puts $f [childScript $body]
    close $f
    return $file
}

# rlt::waitLines file n ?ms? --
#	Waits until file has at least n complete lines (or ms pass).

proc ::rlt::waitLines {file n {ms 10000}} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while {[clock milliseconds] < $deadline} {
	if {[file exists $file]} {
	    set f [open $file]
	    set lines [regexp -all {\n} [read $f]]
	    close $f
	    if {$lines >= $n} {
		return $lines
	    }
	}
	after 5
    }
    return 0
}

# rlt::runChild body ms ?arg ...? --
#	Runs body in a child tclsh (see childScript) with the args as argv;
#	returns its output, or TIMEOUT (and kills it) if it has not ended
#	after ms: an operation that would hang fails the test instead.

proc ::rlt::runChild {body ms args} {
    variable childDone
    variable childOut
    set script [writeScript $body]
    set chan [open |[list [info nameofexecutable] $script {*}$args 2>@1] r]
    fconfigure $chan -blocking 0
    set childDone 0
    set childOut ""
    fileevent $chan readable [list apply {{chan} {
	append ::rlt::childOut [read $chan]
	if {[eof $chan]} {
	    set ::rlt::childDone 1
	}
    }} $chan]
    set timer [after $ms {set ::rlt::childDone timeout}]
    vwait ::rlt::childDone
    after cancel $timer
    if {$childDone eq "timeout"} {
	catch {exec kill -9 {*}[pid $chan]}
	catch {close $chan}
	return TIMEOUT
    }
    fconfigure $chan -blocking 1
    if {[catch {close $chan} msg]} {
	return "ERROR $msg"
    }
    return [string trim $childOut]
}

# rlt::cBinary --
#	tests/c/ringlog_test.c, compiled once per run; its path.

proc ::rlt::cBinary {} {
    variable top
    variable tmp
    set dir [file join $tmp ctest-[pid]]
    set bin [file join $dir ringlog_test]
    if {![file exists $bin]} {
	set cc [expr {[auto_execok gcc] ne "" ? "gcc" : "cc"}]
	set c [file join $top c]
	file mkdir $dir
	# The ring log's core: every file of c/ringlog/ but the Tcl face
	# (tcl*.c).
	set core [lsearch -all -inline -not \
	    [glob -directory [file join $c ringlog] *.c] */tcl*.c]
	exec $cc -O2 -D_GNU_SOURCE -I$c -I[file join $c ringlog] {*}$core \
	    [file join $c guard.c] [file join $top tests c ringlog_test.c] \
	    -lpthread -o $bin 2>@1
    }
    return $bin
}
