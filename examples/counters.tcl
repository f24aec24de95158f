# counters.tcl --
#
#	A persistent counter shared by several processes: a 64-bit integer
#	in a file that each process maps -shared and changes only with
#	mmap::atomic, lock-free and safe across processes.  Starts 3 copies
#	of itself that each add 1 a thousand times, waits for them and
#	prints the total, 3000 more than before.  The value lives in the
#	file: each run starts where the last one ended.
#
#	Run: tclsh examples/counters.tcl ?file?   (after tclsh build.tcl build)
#	file defaults to mmap-counter.dat in $TMPDIR, else in /tmp.

set lib [file join [file dirname [info script]] .. lib]
if {[file isdirectory $lib]} {
    lappend auto_path $lib
}
package require mmap

# Maps the file's first 8 bytes -shared (making the file if need be): all
# processes then work on the same memory, which the kernel writes back.
proc counter {path} {
    if {![file exists $path]} {
	set fd [open $path wb]
	puts -nonewline $fd [binary format w 0]
	close $fd
    }
    set fd [open $path r+]
    set m [mmap -shared -length 8 $fd]
    close $fd			;# the map does not need the channel
    return $m
}

if {[lindex $argv 0] eq "-child"} {
    set m [counter [lindex $argv 1]]
    for {set i 0} {$i < 1000} {incr i} {
	mmap::atomic $m 0 add 1	;# -width 64 is the default
    }
    exit
}

set dir [expr {[info exists env(TMPDIR)] ? $env(TMPDIR) : "/tmp"}]
set path [lindex [list {*}$argv [file join $dir mmap-counter.dat]] 0]
set m [counter $path]
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
