# wholeread.tcl --
#
#	The whole-read contenders of bench/bench.tcl that need a process of
#	their own: an environment set before the process starts, such as
#	GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which makes glibc advise the
#	large blocks it maps (Tcl's result buffer among them) into huge
#	pages.  bench.tcl runs
#
#	    env GLIBC_TUNABLES=... tclsh bench/wholeread.tcl MODE FILE REPS
#
#	MODE is "file" (a file channel) or "mmap" (the mmap channel), both
#	opened binary with the default -buffersize, as bench.tcl's own rows.
#	After one untimed round, REPS times: open (and map) FILE, read all of
#	it, close.  Output, as bench/baseline.c's: "MODE cpu T..." and
#	"MODE wall T...", the seconds of each repetition on this thread's CPU
#	clock and on the wall clock.
#
#	The package comes from lib/ beside bench/, unless TCLLIBPATH is set.

package require Tcl 8.6-

if {![info exists env(TCLLIBPATH)]} {
    set auto_path [linsert $auto_path 0 [file join \
	[file dirname [file dirname [file normalize [info script]]]] lib]]
}
package require mmap

source [file join [file dirname [file normalize [info script]]] clocks.tcl]

proc ReadAll {mode path} {
    set f [open $path rb]
    if {$mode eq "mmap"} {
	set m [mmap $f]
	close $f
	fconfigure $m -translation binary
	set f $m
    }
    set data [read $f]
    close $f
    return [string length $data]
}

lassign $argv mode path reps
if {$mode ni {file mmap} || ![string is integer -strict $reps] || $reps < 1} {
    puts stderr "usage: tclsh wholeread.tcl file|mmap FILE REPS"
    exit 1
}
set cpu {}
set wall {}
for {set i -1} {$i < $reps} {incr i} {
    lassign [::bench::Clocks] wallStart cpuStart
    ReadAll $mode $path
    lassign [::bench::Clocks] wallEnd cpuEnd
    if {$i >= 0} {
	lappend cpu [expr {$cpuEnd - $cpuStart}]
	lappend wall [expr {$wallEnd - $wallStart}]
    }
}
puts "$mode cpu $cpu"
puts "$mode wall $wall"
