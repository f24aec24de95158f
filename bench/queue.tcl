# queue.tcl --
#
#	The ring log as a queue between processes (bench.tcl's Queue
#	section): append throughput with nobody waiting and with a reader
#	waiting in another process, against a line-buffered puts to a file;
#	the wake-up latency from an append in one process to the return of
#	a "read -wait" in another, and to a "notify" script there; and what
#	a reader costs while nothing is appended (CPU time and context
#	switches of the waiting process over one second).
#
#	Latencies are one way: the message carries the writer's
#	[clock microseconds], the reader subtracts it from its own on
#	return.  The writer sends the next message only once the reader has
#	answered on a second log, so that every message finds the reader
#	asleep and measures a real wake-up, not a queue.

namespace eval ::bench::queue {}

# The reader's side, run in a child tclsh: "wait" or "notify" mode.  It
# answers each message on the ack log and prints the latencies (us) when
# it reads "quit".
set ::bench::queue::readerScript {
    package require mmap
    lassign $argv mode requests acks
    set in [mmap::ringlog open $requests -readonly]
    set out [mmap::ringlog open $acks]
    set next [lindex [$in bounds] 1]
    set ::latencies {}
    proc take {records} {
	global next out
	set now [clock microseconds]
	foreach {seq message} $records {
	    set next [expr {$seq + 1}]
	    if {$message eq "quit"} {
		puts $::latencies
		exit 0
	    }
	    lappend ::latencies [expr {$now - $message}]
	    $out append ack
	}
    }
    if {$mode eq "wait"} {
	$out append ready
	while 1 {
	    take [$in read -from $next -wait -1]
	}
    }
    # Notify first: it fires for what is appended after it is set.
    $in notify {take [$in read -from $next]}
    $out append ready
    vwait forever
}

# The idle reader: waits (or notifies) until told to go.
set ::bench::queue::idleScript {
    package require mmap
    lassign $argv mode path
    set log [mmap::ringlog open $path -readonly]
    set next [lindex [$log bounds] 1]
    puts ready
    flush stdout
    if {$mode eq "wait"} {
	$log read -from $next -wait -1
	exit 0
    }
    $log notify {exit 0}
    vwait forever
}

# ::bench::queue::Child --
#	Starts a child tclsh on a script with arguments; its pipe.
proc ::bench::queue::Child {script args} {
    variable ::bench::work
    set path [file join $work queue-child.tcl]
    set f [open $path w]
    puts $f [list set auto_path $::auto_path]
    puts $f $script
    close $f
    lappend ::bench::files $path
    return [open |[list [info nameofexecutable] $path {*}$args 2>@1] r]
}

# ::bench::queue::Log --
#	A new ring log in the work directory; its path.
proc ::bench::queue::Log {name size} {
    variable ::bench::work
    set path [file join $work $name.rlog]
    mmap::ringlog create $path -size $size -force
    lappend ::bench::files $path
    return $path
}

# ::bench::queue::Latencies --
#	n ping-pongs with a child reader in the given mode; the child's
#	latencies in seconds.
proc ::bench::queue::Latencies {mode n} {
    set requests [Log requests [expr {4 << 20}]]
    set acks [Log acks [expr {4 << 20}]]
    set out [mmap::ringlog open $requests]
    set in [mmap::ringlog open $acks -readonly]
    set child [Child $::bench::queue::readerScript $mode $requests $acks]
    set next [lindex [$in bounds] 0]
    # "ready" comes first: from then on the child has opened the logs.
    set records [$in read -from $next -wait 10000]
    set next [expr {[lindex $records end-1] + 1}]
    for {set i 0} {$i < $n} {incr i} {
	$out append [clock microseconds]
	set records [$in read -from $next -wait 10000]
	if {![llength $records]} {
	    error "the $mode reader did not answer message $i"
	}
	set next [expr {[lindex $records end-1] + 1}]
    }
    $out append quit
    set result [gets $child]
    close $child
    $out close
    $in close
    set seconds {}
    foreach us $result {
	lappend seconds [expr {$us / 1e6}]
    }
    return $seconds
}

# ::bench::queue::Percentile --
proc ::bench::queue::Percentile {values p} {
    set sorted [lsort -real $values]
    set i [expr {min([llength $sorted] - 1,
	int(ceil($p / 100.0 * [llength $sorted])) - 1)}]
    return [lindex $sorted [expr {max($i, 0)}]]
}

# ::bench::queue::Idle --
#	A child reader waiting (mode wait or notify) on a log nobody
#	appends to: its CPU ticks and context switches, all threads, over
#	one second.  {ticks switches}.
proc ::bench::queue::Idle {mode} {
    set path [Log idle 65536]
    set child [Child $::bench::queue::idleScript $mode $path]
    gets $child
    set pid [pid $child]
    after 300
    set before [Usage $pid]
    after 1000
    set after [Usage $pid]
    set log [mmap::ringlog open $path]
    $log append go
    $log close
    close $child
    return [lmap a $after b $before {expr {$a - $b}}]
}

# ::bench::queue::Usage --
#	{CPU ticks, context switches} of every thread of a process.
proc ::bench::queue::Usage {pid} {
    set ticks 0
    set switches 0
    foreach task [glob -directory /proc/$pid/task *] {
	set f [open $task/stat]
	set stat [read $f]
	close $f
	# The fields after the command name, which may hold spaces.
	set fields [string range $stat [string last ) $stat]+2 end]
	incr ticks [expr {[lindex $fields 11] + [lindex $fields 12]}]
	set f [open $task/status]
	set status [read $f]
	close $f
	foreach kind {voluntary_ctxt_switches nonvoluntary_ctxt_switches} {
	    regexp -line "^$kind:\\s+(\\d+)" $status -> count
	    incr switches $count
	}
    }
    return [list $ticks $switches]
}

proc ::bench::queue::AppendLoop {log record n} {
    for {set i 0} {$i < $n} {incr i} {
	$log append $record
    }
}

# ::bench::Queue --
#	The section.
proc ::bench::Queue {} {
    variable cfg
    variable work
    set reps [dict get $cfg reps]
    set n [dict get $cfg puts]
    set record [string repeat x 63]
    set us [expr {1e6 / $n}]

    set w "append of 64-byte records, [Count $n]"
    Say "$w (us an append)"
    set out [file join $work out.bin]
    set f [open $out r+]
    fconfigure $f -buffering line -translation binary
    Row queue-puts-line $w "Tcl file channel, puts -buffering line" us $us \
	[Times $reps {seek $f 0; queue::PutsLines $f $record $n}] \
	queue-puts-line
    close $f
    set path [queue::Log append [expr {64 << 20}]]
    set log [mmap::ringlog open $path]
    # Once round the log first: the timed runs find its pages in memory.
    queue::AppendLoop $log $record [expr {(64 << 20) / 88 + 1}]
    Row queue-append $w "ring log append, nobody waiting" us $us \
	[Times $reps {queue::AppendLoop $log $record $n}] queue-puts-line

    # A reader in another process, consuming as fast as it is woken.
    set consumer [queue::Child {
	package require mmap
	set log [mmap::ringlog open [lindex $argv 0] -readonly]
	set next [lindex [$log bounds] 1]
	puts ready
	flush stdout
	while 1 {
	    set records [$log read -from $next -wait -1 -last 1000]
	    set next [expr {[lindex $records end-1] + 1}]
	    if {[lindex $records end] eq "quit"} {
		exit 0
	    }
	}
    } $path]
    gets $consumer
    Row queue-append-reader $w "ring log append, a reader waiting in\
	another process" us $us \
	[Times $reps {queue::AppendLoop $log $record $n}] queue-puts-line
    $log append quit
    close $consumer
    $log close

    set m [dict get $cfg queue]
    foreach mode {wait notify} {
	set w "wake-up latency, append to [expr {$mode eq "wait"
	    ? "read -wait return" : "notify script"}] in another process,\
	    [Count $m] messages"
	Say "$w (us)"
	set note ""
	if {[catch {queue::Latencies $mode $m} latencies]} {
	    set note $latencies
	    set latencies {}
	}
	set measured [expr {[llength $latencies]
	    ? [list values $latencies] : ""}]
	Row queue-$mode-median $w "median" us 1e6 $measured {} $note
	Row queue-$mode-p99 $w "99th percentile" us 1e6 \
	    [expr {[llength $latencies] ? [list values [list \
	    [queue::Percentile $latencies 99]]] : ""}] {} $note
	Row queue-$mode-max $w "maximum" us 1e6 \
	    [expr {[llength $latencies] ? [list values [list \
	    [tcl::mathfunc::max {*}$latencies]]] : ""}] {} $note
    }

    set w "an idle reader over 1 s, all its threads"
    Say $w
    foreach mode {wait notify} {
	lassign [queue::Idle $mode] ticks switches
	Row queue-idle-$mode-cpu $w "[expr {$mode eq "wait"
	    ? "read -wait -1" : "notify"}]: CPU time" ms 1 \
	    [list values [list [expr {$ticks * 10}]]] {} \
	    "clock ticks of 10 ms"
	Row queue-idle-$mode-switches $w "[expr {$mode eq "wait"
	    ? "read -wait -1" : "notify"}]: context switches" count 1 \
	    [list values [list $switches]] {}
    }
}

proc ::bench::queue::PutsLines {chan record n} {
    for {set i 0} {$i < $n} {incr i} {
	puts $chan $record
    }
}
