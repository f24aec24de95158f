# counters.tcl --
#
#	A counter shared by several processes: a 64-bit integer in a file
#	that each process maps -shared and changes only with mmap::atomic,
#	lock-free and safe across processes.  Starts 3 copies of itself
#	that each add 1 a thousand times, waits for them and prints the
#	total, 3000 more than before.  The value lives in the file itself.
#
#	Run: tclsh examples/counters.tcl ?file?   (after tclsh build.tcl build)
#	Without a file the counter is a temporary file, removed at the end;
#	a file given is kept, so that each run goes on from the last.

# The build beside this script: ../lib for Tcl 8.6, ../lib-tcl9 for Tcl 9
# (a build for one does not load into the other).
set lib [file normalize [file join [file dirname [info script]] .. \
    [expr {[package vsatisfies [info patchlevel] 9-] ? "lib-tcl9" : "lib"}]]]
if {[file isdirectory $lib]} {
    lappend auto_path $lib
}
package require mmap

if {[lindex $argv 0] eq "-child"} {
    # The file is 8 bytes long by now: map it -shared, read/write.
    set m [mmap::open -shared [lindex $argv 1] r+]
    for {set i 0} {$i < 1000} {incr i} {
	mmap::atomic $m 0 add 1	;# -width 64 is the default
    }
    close $m
    exit
}

set keep [llength $argv]
if {$keep} {
    set path [lindex $argv 0]
} else {
    close [file tempfile path mmap-counter.dat]
}

# Map the file's first 8 bytes -shared, making it (and growing it to 8
# zero bytes) if need be: all processes then work on the same memory,
# which the kernel writes back.
set m [mmap::open -shared -size 8 -length 8 $path {RDWR CREAT}]
puts "counter file: $path\nbefore: [mmap::atomic $m 0 load]"

# Start the children together, then read each pipe to EOF: its child ended.
set self [file normalize [info script]]
foreach i {1 2 3} {
    lappend pipes [open |[list [info nameofexecutable] $self -child $path]]
}
foreach pipe $pipes {read $pipe; close $pipe}
puts "after: [mmap::atomic $m 0 load]"
close $m

# The value is in the file itself: read it back through a plain channel.
set fd [open $path rb]
binary scan [read $fd 8] w value
close $fd
puts "in the file: $value"
if {!$keep} {
    file delete $path
}
