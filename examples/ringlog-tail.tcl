# ringlog-tail.tcl --
#
#	Follow a ring log while another process writes it, like "tail -f":
#	a child tclsh appends a record every 100 ms for about two seconds;
#	this process asks the log to [notify] it from the event loop when
#	records arrive (no polling: a watcher thread sleeps in the kernel
#	until an append wakes it), prints each new record, and commits how
#	far it got in a named cursor, so that a follower restarted later
#	would resume there.  The log is a temporary file, removed at the end.
#
#	Run: tclsh examples/ringlog-tail.tcl   (after tclsh build.tcl build)

# The build beside this script: ../lib for Tcl 8.6, ../lib-tcl9 for Tcl 9
# (a build for one does not load into the other).
set lib [file normalize [file join [file dirname [info script]] .. \
    [expr {[package vsatisfies [info patchlevel] 9-] ? "lib-tcl9" : "lib"}]]]
if {[file isdirectory $lib]} {
    lappend auto_path $lib
}
package require mmap

close [file tempfile path mmap-ringlog-tail.log]
mmap::ringlog create $path -size 65536 -force

# The follower opens the log before the writer starts, so that it sees
# every record: it starts where its cursor says (a new log: the next
# record), and notify fires for what is appended from now on.
set log [mmap::ringlog open $path -readonly]
set seen 0

# The writer: 20 records, 100 ms apart.  It finds mmap where we did.
set writer [string map [list @AUTO@ [list $auto_path] @PATH@ [list $path]] {
    set auto_path @AUTO@
    package require mmap
    set log [mmap::ringlog open @PATH@]
    for {set i 1} {$i <= 20} {incr i} {
	$log append "pid [pid]: tick $i"
	after 100
    }
    $log close
}]
set child [open |[list [info nameofexecutable] << $writer 2>@1] r]

# Print what came after the last record seen, and commit the position.
proc follow {} {
    global log seen done
    set next [$log cursor tail]
    foreach {seq message} [$log read -from $next] {
	puts "#$seq $message"
	set next [expr {$seq + 1}]
	incr seen
    }
    $log cursor tail $next
    if {$seen >= 20} {
	set done 1
    }
}

$log notify follow
after 10000 {set done timeout}
vwait done

$log close
close $child
file delete $path
puts "followed $seen records; the log is gone"
