# ringlog-tail.tcl --
#
#	Follow a ring log while another process writes it, like "tail -f":
#	a child tclsh appends a record every 100 ms for about two seconds;
#	this process polls the log with [after] and prints each new record
#	as it arrives.  The log is a temporary file, removed at the end.
#
#	Run: tclsh examples/ringlog-tail.tcl   (mmap on auto_path)

package require mmap

set dir [expr {[info exists env(TMPDIR)] ? $env(TMPDIR) : "/tmp"}]
set path [file join $dir ringlog-tail-[pid].log]
mmap::ringlog create $path -size 65536 -force

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

# The follower: every 50 ms, print what came after the last record seen.
set log [mmap::ringlog open $path -readonly]
set next [lindex [$log bounds] 1]
set seen 0
set deadline [expr {[clock milliseconds] + 10000}]

proc poll {} {
    global log next seen deadline done
    foreach {seq message} [$log read -from $next] {
	puts "#$seq $message"
	set next [expr {$seq + 1}]
	incr seen
    }
    if {$seen >= 20 || [clock milliseconds] > $deadline} {
	set done 1
	return
    }
    after 50 poll
}

after 0 poll
vwait done

$log close
close $child
file delete $path
puts "followed $seen records; the log is gone"
