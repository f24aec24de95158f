# ir.tcl --
#
#	The reproducible figures of bench/bench.tcl: instructions per
#	operation of the hot paths, counted by callgrind.  Each path runs N
#	and then 2N times in a fresh tclsh under
#	valgrind --tool=callgrind; (Ir(2N) - Ir(N)) / N is one operation with
#	its share of the loop, whatever else the machine is doing.  Setup
#	that does not depend on N (loading the package, making the offsets
#	of 2N reads) cancels out.
#
#	bench.tcl sources this file and calls ::bench::ir::Run; each
#	measured child is this file again:
#
#	    tclsh bench/ir.tcl --child PATH N WORKDIR
#
#	Run by itself, it counts the paths named (default: all) and prints
#	one line each, for a quick look after a change:
#
#	    tclsh bench/ir.tcl ?-n N? ?PATH ...?

namespace eval ::bench::ir {
    variable here [file dirname [file normalize [info script]]]

    # The hot paths: id, label, and the operations of N in the child
    # (Child below runs them).
    variable paths {
	file-seekread {Tcl file channel: seek + read 64 bytes}
	mmap-seekread {mmap channel: seek + read 64 bytes}
	mmap-seekread-protect {mmap channel: seek + read 64 bytes, a page\
	    protected elsewhere}
	pread         {mmap::pread of 64 bytes}
	pread-each    {mmap::pread -each, one 64-byte record (N in one call)}
	file-gets     {Tcl file channel: gets, one line}
	mmap-gets     {mmap channel: gets, one line}
	lines         {mmap::lines, one line (batches of 1000, foreach)}
	file-puts     {Tcl file channel -buffering none: puts 64 bytes}
	mmap-puts-none  {mmap channel -sync none: puts 64 bytes}
	mmap-puts-async {mmap channel -sync async: puts 64 bytes}
	incr          {Tcl incr of a local variable}
	atomic        {mmap::atomic add}
	find          {mmap::find of an absent needle in 4 KiB}
    }
}

# ::bench::ir::Run --
#
#	Makes the data files, runs every path, returns a list of dicts (id,
#	label, ir), ir being "n/a: reason" when valgrind cannot run.

proc ::bench::ir::Run {work n} {
    variable paths
    variable here
    set valgrind [auto_execok valgrind]
    set result {}
    if {$valgrind eq ""} {
	foreach {id label} $paths {
	    lappend result [dict create id $id label $label ir "n/a: no valgrind"]
	}
	return $result
    }
    ::bench::Say "callgrind: instructions per operation (N = $n)"
    MakeFiles $work $n
    try {
	foreach {id label} $paths {
	    set ir [expr {([Count $valgrind $id [expr {2 * $n}] $work]
		- [Count $valgrind $id $n $work]) / $n}]
	    ::bench::Say [format "  %-62s %8s" $label $ir]
	    lappend result [dict create id $id label $label ir $ir]
	}
    } finally {
	foreach name {ir-data.bin ir-text.txt ir-out.bin} {
	    file delete [file join $work $name]
	}
    }
    return $result
}

proc ::bench::ir::Count {valgrind id n work} {
    variable here
    set out [exec {*}$valgrind --tool=callgrind --callgrind-out-file=/dev/null \
	[info nameofexecutable] [file join $here ir.tcl] --child $id $n \
	$work 2>@1]
    if {![regexp {refs:\s+([\d,]+)} $out -> count]} {
	error "callgrind of $id: no instruction count in\n$out"
    }
    return [string map {, {}} $count]
}

# ::bench::ir::MakeFiles --
#
#	8 MiB of bytes that do not hold the needle, a text of 2N + 1000
#	lines of 20..100 characters, and room for 2N puts.

proc ::bench::ir::MakeFiles {work n} {
    ::bench::MakeRandomFile [file join $work ir-data.bin] 8388608
    ::bench::MakeTextFile [file join $work ir-text.txt] [expr {2 * $n + 1000}]
    set f [open [file join $work ir-out.bin] w]
    chan truncate $f [expr {2 * $n * 64}]
    close $f
}

# # ## ### ##### ######## ############# #####################
## The child: one path, n operations

proc ::bench::ir::Child {id n work} {
    package require mmap
    set data [file join $work ir-data.bin]
    set text [file join $work ir-text.txt]
    set out [file join $work ir-out.bin]

    # The offsets of 2 * 10000 reads at most, made the same way whatever
    # n is (a linear congruential sequence), so that they cancel out.
    set offsets {}
    set x 12345
    for {set i 0} {$i < 40000} {incr i} {
	set x [expr {(1103515245 * $x + 12345) % 2147483648}]
	lappend offsets [expr {$x % (8388608 - 64)}]
    }
    set offsets [lrange $offsets 0 [expr {$n - 1}]]
    set record [string repeat x 63]\n

    switch -- $id {
	file-seekread - mmap-seekread - mmap-seekread-protect - pread -
	pread-each {
	    set f [open $data rb]
	    if {$id ne "file-seekread"} {
		set m [mmap $f]
		close $f
		set f $m
		fconfigure $f -translation binary
	    }
	    if {$id eq "mmap-seekread-protect"} {
		# Any protect makes every access consult the pages' state.
		mmap::protect $f r 0 4096
	    }
	    if {$id eq "pread"} {
		foreach o $offsets {
		    mmap::pread $f $o 64
		}
	    } elseif {$id eq "pread-each"} {
		mmap::pread -each $f $offsets 64
	    } else {
		foreach o $offsets {
		    seek $f $o
		    read $f 64
		}
	    }
	}
	file-gets - mmap-gets {
	    set f [open $text r]
	    if {$id eq "mmap-gets"} {
		set m [mmap $f]
		close $f
		set f $m
	    }
	    for {set i 0} {$i < $n} {incr i} {
		gets $f line
	    }
	}
	lines {
	    set f [open $text r]
	    set m [mmap $f]
	    close $f
	    set offset 0
	    set count 0
	    while {$count < $n} {
		foreach line [mmap::lines -max [expr {min(1000, $n - $count)}] \
			$m $offset offset] {
		    incr count
		}
	    }
	}
	file-puts - mmap-puts-none - mmap-puts-async {
	    set f [open $out r+]
	    fconfigure $f -translation binary -buffering none
	    if {$id ne "file-puts"} {
		set m [mmap -shared -sync [lindex [split $id -] end] $f]
		close $f
		set f $m
		fconfigure $f -translation binary
	    }
	    for {set i 0} {$i < $n} {incr i} {
		puts -nonewline $f $record
	    }
	}
	incr {
	    set x 0
	    for {set i 0} {$i < $n} {incr i} {
		incr x
	    }
	}
	atomic {
	    set m [mmap::anonymous -shared -length 4096]
	    for {set i 0} {$i < $n} {incr i} {
		mmap::atomic $m 0 add 1
	    }
	}
	find {
	    set f [open $data rb]
	    set m [mmap $f]
	    close $f
	    set needle [encoding convertto utf-8 $::bench::needle]
	    for {set i 0} {$i < $n} {incr i} {
		mmap::find $m $needle 0 4096
	    }
	}
	default {
	    error "unknown path \"$id\""
	}
    }
}

if {[lindex $argv 0] eq "--child"} {
    lassign $argv - id n work
    if {![info exists env(TCLLIBPATH)]} {
	set auto_path [linsert $auto_path 0 \
	    [file join [file dirname $::bench::ir::here] lib]]
    }
    set ::bench::needle "needle-not-present-1234567890"
    ::bench::ir::Child $id $n $work
} elseif {[info exists argv0]
	&& [file normalize $argv0] eq [file normalize [info script]]} {
    # By itself: the paths named, with bench.tcl's helpers and work
    # directory.
    source [file join $::bench::ir::here bench.tcl]
    set n 10000
    if {[lindex $argv 0] eq "-n"} {
	set argv [lassign $argv - n]
    }
    set ids [expr {[llength $argv] ? $argv
	: [dict keys $::bench::ir::paths]}]
    foreach id $ids {
	if {![dict exists $::bench::ir::paths $id]} {
	    puts stderr "ir.tcl: unknown path \"$id\": must be one of\
		[join [dict keys $::bench::ir::paths] {, }]"
	    exit 1
	}
    }
    set ::bench::ir::paths [dict filter $::bench::ir::paths script {id -} {
	expr {$id in $ids}
    }]
    set work [file join $::bench::here work]
    file mkdir $work
    ::bench::ir::Run $work $n
}
