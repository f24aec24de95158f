# clocks.tcl --
#
#	The clocks of the benchmark, shared by bench.tcl and the contenders
#	that run in processes of their own (wholeread.tcl).

namespace eval ::bench {}

# ::bench::Clocks --
#
#	Seconds so far: {wall cpu}.  cpu is the time this thread has spent
#	on a processor (/proc/thread-self/schedstat, in nanoseconds), which
#	leaves out the time spent waiting for one while other processes run:
#	on a shared machine that wait is most of the noise.  Where the file
#	is missing, cpu is the wall clock.

proc ::bench::Clocks {} {
    set wall [expr {[clock microseconds] / 1e6}]
    if {[catch {
	set f [open /proc/thread-self/schedstat]
	set ns [lindex [read $f] 0]
	close $f
    }]} {
	return [list $wall $wall]
    }
    list $wall [expr {$ns / 1e9}]
}
