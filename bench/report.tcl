# report.tcl --
#
#	The report of bench/bench.tcl: the table of results with ratios, the
#	targets of the performance issue judged met or missed, each miss with
#	the measurement from the same run that explains it, the callgrind
#	figures, and the machine.  As plain text for the terminal and as
#	Markdown for bench/results.md.  Sourced by bench.tcl.

namespace eval ::bench::report {
    variable rows {}
    variable ir {}

    # The targets: id, text, how the figure is formed (a ratio of two
    # rows, "a/b", or one row), the comparison and the bound, and the
    # procedure that explains a miss.  Ratios of times are "how many
    # times faster": ref/this.
    variable targets {
	whole-same  "whole read: mmap channel >= 1.4x the file channel,\
		both -buffersize 4 KiB"
		{file-4k / mmap-4k} >= 1.4 WholeWhy
	whole-best  "whole read, each at its best -buffersize: mmap channel\
		>= 1.4x the file channel"
		{best-file / best-mmap} >= 1.4 WholeWhy
	pread-file  "whole read: mmap::pread >= 3x the file channel"
		{file-4k / pread} >= 3 PreadWhy
	pread-c     "whole read: mmap::pread within 1.2x of C memcpy into a\
		new buffer (time ratio)"
		{pread / c-memcpy} <= 1.2 PreadCWhy
	rnd-chan    "random 64-byte reads: mmap channel seek+read >= 3x the\
		file channel"
		{rnd-file / rnd-mmap} >= 3 RandomWhy
	rnd-chan-1m "random 64-byte reads with -buffersize 1 MiB: mmap\
		channel still >= 3x the file channel"
		{rnd-file / rnd-mmap-1m} >= 3 RandomWhy
	rnd-pread   "random 64-byte reads: mmap::pread >= 4.5x the file\
		channel"
		{rnd-file / rnd-pread} >= 4.5 RandomPreadWhy
	rnd-py      "random 64-byte reads: mmap::pread within 1.4x of\
		CPython's mmap seek+read (time ratio)"
		{rnd-pread / rnd-py} <= 1.4 RandomPyWhy
	rnd-each    "random 64-byte reads: mmap::pread -each >= 1.4x a\
		pread loop, per record"
		{rnd-pread / rnd-each} >= 1.4 EachWhy
	gets        "gets loop: mmap channel >= 0.95x the file channel"
		{gets-file / gets-mmap} >= 0.95 GetsWhy
	lines-gets  "mmap::lines >= 3x the file channel's gets loop"
		{gets-file / lines-mmap} >= 3 Generic
	lines-py    "mmap::lines faster than CPython's mmap readline loop"
		{py-readline / lines-mmap} > 1 LinesPyWhy
	puts        "puts of 64-byte records, -sync async: >= 3x the\
		unbuffered file channel"
		{puts-file / puts-async} >= 3 PutsWhy
	atomic      "atomic add within 4x the cost of Tcl's incr (time\
		ratio)"
		{atomic-add / incr} <= 4 AtomicWhy
	find-read   "find >= 2x read + string first"
		{find-read / find-mmap} >= 2 Generic
	find-py     "find no slower than CPython's mmap find"
		{find-py / find-mmap} >= 1 FindPyWhy
	grep-gnu    "mmap::grep -count at least as fast as GNU grep -F -c\
		(process start included)"
		{grep-gnu / grep-count} >= 1 Generic
	grep-gnu-i  "mmap::grep -nocase -count at least as fast as GNU\
		grep -F -i -c"
		{grep-gnu-i / grep-count-i} >= 1 Generic
	grep-tcl    "mmap::grep -count >= 15x a read + split + string\
		first loop"
		{grep-tcl / grep-count-tcl} >= 15 Generic
	grep-lines  "mmap::grep returning all matching lines >= 5x that\
		loop"
		{grep-tcl / grep-lines} >= 5 Generic
	grep-last   "mmap::grep -last -max 20 >= 20x faster than a full\
		count"
		{grep-count / grep-last} >= 20 Generic
	mapclose    "map+close independent of size: 8 GiB within 2x of\
		1 MiB (time ratio)"
		{map-8g / map-1m} <= 2 Generic
	rss         "RSS growth under 1 MiB after touching one page of an\
		8 GiB map (KiB, file-backed)"
		{rss-touch} < 1024 RssWhy
	queue-append "ring log append with nobody waiting >= 2.5x puts\
		-buffering line to a file"
		{queue-puts-line / queue-append} >= 2.5 Generic
	queue-median "wake-up latency, append to a read -wait return in\
		another process: median <= 50 us"
		{queue-wait-median} <= 50 Generic
	queue-p99   "wake-up latency, append to a read -wait return in\
		another process: 99th percentile <= 1 ms (us)"
		{queue-wait-p99} <= 1000 Generic
	queue-idle  "a reader waiting in read -wait -1 while nothing is\
		appended: no context switch in 1 s"
		{queue-idle-wait-switches} <= 0 Generic
	queue-idle-notify "a reader waiting with notify while nothing is\
		appended: no context switch in 1 s"
		{queue-idle-notify-switches} <= 0 Generic
    }
}

# # ## ### ##### ######## ############# #####################
## Looking up figures

# V --
#
#	The median of a row in its unit, or "" (no such row, or n/a).
#	best-file and best-mmap are the fastest whole read of each channel
#	over the -buffersize settings tried.

proc ::bench::report::V {id} {
    variable rows
    if {$id in {best-file best-mmap}} {
	set best ""
	set prefix [string range $id 5 end]
	foreach row $rows {
	    if {[regexp "^$prefix-\\d+\[km\]\$" [dict get $row id]]
		    && [dict get $row value] ne ""
		    && ($best eq "" || [dict get $row value] < $best)} {
		set best [dict get $row value]
	    }
	}
	return $best
    }
    foreach row $rows {
	if {[dict get $row id] eq $id} {
	    return [dict get $row value]
	}
    }
    return ""
}

proc ::bench::report::Label {id} {
    variable rows
    if {$id in {best-file best-mmap}} {
	set best [V $id]
	set prefix [string range $id 5 end]
	foreach row $rows {
	    if {[regexp "^$prefix-\\d+\[km\]\$" [dict get $row id]]
		    && [dict get $row value] == $best} {
		return [dict get $row contender]
	    }
	}
    }
    foreach row $rows {
	if {[dict get $row id] eq $id} {
	    return [dict get $row contender]
	}
    }
    return $id
}

# Ir --
#
#	The callgrind figure of a hot path, or "".

proc ::bench::report::Ir {id} {
    variable ir
    foreach r $ir {
	if {[dict get $r id] eq $id && [string is integer -strict [dict get $r ir]]} {
	    return [dict get $r ir]
	}
    }
    return ""
}

# MinMax --
#
#	The fastest and slowest repetition of a row, in its unit; "" if it
#	has fewer than two.  best-file and best-mmap mean the rows V picks.

proc ::bench::report::MinMax {id} {
    variable rows
    if {$id in {best-file best-mmap}} {
	set label [Label $id]
	foreach row $rows {
	    if {[dict get $row contender] eq $label} {
		set id [dict get $row id]
	    }
	}
    }
    foreach row $rows {
	if {[dict get $row id] eq $id} {
	    set times [lsort -real [dict get $row times]]
	    if {[llength $times] < 2} {
		return ""
	    }
	    set scale [dict get $row scale]
	    return [list [expr {[lindex $times 0] * $scale}] \
		[expr {[lindex $times end] * $scale}]]
	}
    }
    return ""
}

# Spread --
#
#	"min-max" of a row's repetitions, in its unit.

proc ::bench::report::Spread {row} {
    set times [dict get $row times]
    if {[llength $times] < 2} {
	return ""
    }
    set scale [dict get $row scale]
    set sorted [lsort -real $times]
    format "%s-%s" [Num [expr {[lindex $sorted 0] * $scale}]] \
	[Num [expr {[lindex $sorted end] * $scale}]]
}

proc ::bench::report::SpreadOf {id} {
    variable rows
    foreach row $rows {
	if {[dict get $row id] eq $id} {
	    return [Spread $row]
	}
    }
    return ""
}

proc ::bench::report::Num {value} {
    if {$value eq ""} {
	return n/a
    }
    set a [expr {abs($value)}]
    if {$a >= 100} {
	return [format %.0f $value]
    } elseif {$a >= 10} {
	return [format %.1f $value]
    } elseif {$a >= 1} {
	return [format %.2f $value]
    }
    return [format %.3f $value]
}

proc ::bench::report::X {value} {
    if {$value eq ""} {
	return n/a
    }
    format %.2fx $value
}

# Ratio --
#
#	The ratio of two rows' medians, "" if either is missing or zero.

proc ::bench::report::Ratio {a b} {
    set va [V $a]
    set vb [V $b]
    if {$va eq "" || $vb eq "" || $vb == 0} {
	return ""
    }
    expr {double($va) / $vb}
}

# # ## ### ##### ######## ############# #####################
## Targets

# Judge --
#
#	Each target as a dict: id, text, figure, need (the comparison and
#	bound as text), verdict (met, missed or n/a), why (for a miss).

proc ::bench::report::Judge {} {
    variable targets
    set result {}
    foreach {id text expression op bound why} $targets {
	if {[llength $expression] == 3} {
	    set figure [Ratio [lindex $expression 0] [lindex $expression 2]]
	} else {
	    set figure [V [lindex $expression 0]]
	}
	if {$figure eq ""} {
	    set verdict n/a
	} elseif {[expr "\$figure $op \$bound"]} {
	    set verdict met
	} else {
	    set verdict missed
	}
	set explanation ""
	if {$verdict eq "missed"} {
	    set explanation [$why $figure]
	}
	# The figure's range over the repetitions: the slowest of one row
	# against the fastest of the other, and the reverse.
	set range ""
	if {[llength $expression] == 3} {
	    set a [MinMax [lindex $expression 0]]
	    set b [MinMax [lindex $expression 2]]
	    if {[llength $a] && [llength $b] && [lindex $b 0] > 0} {
		set range [list [expr {[lindex $a 0] / [lindex $b 1]}] \
		    [expr {[lindex $a 1] / [lindex $b 0]}]]
	    }
	} else {
	    set range [MinMax [lindex $expression 0]]
	}
	set detail ""
	if {$id eq "whole-best" && $figure ne ""} {
	    set detail "best: [Label best-file]; [Label best-mmap]"
	}
	lappend result [dict create id $id text [regsub -all {\s+} $text " "] \
	    figure $figure need "$op $bound" verdict $verdict detail $detail \
	    range $range \
	    why $explanation unit [expr {[llength $expression] == 3 ? "x" : ""}]]
    }
    return $result
}

# The explanations of misses.  Each takes the figure and states the bound
# that another row of the same run puts on it.

proc ::bench::report::Generic {figure} {
    return "No analysis for this miss in the report; see the table."
}

proc ::bench::report::WholeWhy {figure} {
    set file [V file-4k]
    set c [V c-read]
    set thp [V c-memcpy-thp]
    if {$file eq "" || $c eq "" || $thp eq ""} {
	return [Generic $figure]
    }
    set text "A whole read through either channel is mostly the page faults\
	of its result, which Tcl allocates and grows itself, 4 KiB at a\
	time: C's read(2) into a new buffer takes [Num $c] ms, against the\
	file channel's [Num $file] ms, and a copy into a new buffer in huge\
	pages [Num $thp] ms.  No driver can advise that buffer."
    set mmap [V mmap-hugetlb]
    set fileHuge [V file-hugetlb]
    if {$mmap ne "" && $fileHuge ne ""} {
	append text "  The process can: with\
	    GLIBC_TUNABLES=$::bench::hugetlb (the rows so marked, each in a\
	    process of its own) glibc advises the blocks it maps into huge\
	    pages, and the mmap channel reads in [Num $mmap] ms,\
	    [X [Ratio file-4k mmap-hugetlb]] the file channel without it\
	    ([Num $fileHuge] ms for the file channel with it)."
    }
    return $text
}

proc ::bench::report::PreadWhy {figure} {
    set file [V file-4k]
    set pread [V pread]
    set thp [V c-memcpy-thp]
    if {$file eq "" || $pread eq "" || $thp eq ""} {
	return [Generic $figure]
    }
    return "mmap::pread makes one copy into a new value, advised into huge\
	pages (MADV_HUGEPAGE), with the source pages mapped in one call\
	(MADV_POPULATE_READ): [Num $pread] ms.  C's copy from a new mapping\
	into a new buffer in huge pages takes [Num $thp] ms\
	([X [Ratio file-4k c-memcpy-thp]] the file channel); what is left\
	is the kernel's zeroing of the new pages and the copy itself.  Huge\
	pages come only where the kernel's transparent huge pages are\
	enabled (always or madvise) and 2 MiB pages are free to be had."
}

proc ::bench::report::PreadCWhy {figure} {
    return "mmap::pread takes [Num [V pread]] ms against C's\
	[Num [V c-memcpy]] ms."
}

proc ::bench::report::RandomWhy {figure} {
    set file [V rnd-file]
    set mmap [V rnd-mmap]
    if {$file eq "" || $mmap eq ""} {
	return [Generic $figure]
    }
    set text "Tcl's generic seek and read are most of a seek+read through\
	any channel"
    set irFile [Ir file-seekread]
    set irMmap [Ir mmap-seekread]
    if {$irFile ne "" && $irMmap ne ""} {
	append text ": in user space the mmap channel runs as many\
	    instructions as the file channel ($irMmap against $irFile Ir, the\
	    callgrind table)"
    }
    append text ".  What the mmap channel saves is the file channel's two\
	system calls (lseek, and a read(2) of a 4 KiB buffer): [Num $file]\
	against [Num $mmap] us, so those calls cost about\
	[Num [expr {$file - $mmap}]] us.  For 3x they would have to cost\
	twice the whole Tcl path, [Num [expr {2 * $mmap}]] us.  With\
	-buffersize 1 MiB the mmap channel still hands out after a seek only\
	what the reads before took, here 64 bytes ([Num [V rnd-mmap-1m]]\
	us), where the file channel reads a whole MiB\
	([Num [V rnd-file-1m]] us)."
    return $text
}

proc ::bench::report::EachWhy {figure} {
    set each [V rnd-each]
    set pread [V rnd-pread]
    if {$each eq "" || $pread eq ""} {
	return [Generic $figure]
    }
    set text "mmap::pread -each takes [Num $each] us a record, a pread\
	loop [Num $pread] us: the batch saves the command call, the channel\
	lookup and the parsing of two arguments of each read, but still\
	makes a byte array and a list slot per record, and the records are\
	as far apart in memory"
    set irEach [Ir pread-each]
    set irPread [Ir pread]
    if {$irEach ne "" && $irPread ne ""} {
	append text " ($irEach against $irPread Ir a record, the callgrind\
	    table)"
    }
    return "$text."
}

proc ::bench::report::RandomPreadWhy {figure} {
    set file [V rnd-file]
    set pread [V rnd-pread]
    set call [V call-floor]
    set empty [V empty-loop]
    if {$file eq "" || $pread eq "" || $call eq "" || $empty eq ""} {
	return [Generic $figure]
    }
    set callUs [expr {($call - $empty) / 1000.0}]
    return "mmap::pread skips the channel layer but is still a Tcl command\
	with three arguments and a new value: [Num $pread] us a read, of\
	which calling any C command costs [Num $callUs] us (atomic\
	section: mmap::pagesize against the empty loop).  4.5x the file\
	channel's [Num $file] us would be [Num [expr {$file / 4.5}]] us."
}

proc ::bench::report::RandomPyWhy {figure} {
    set call [V call-floor]
    set empty [V empty-loop]
    set text "mmap::pread takes [Num [V rnd-pread]] us a read, CPython's\
	seek+read [Num [V rnd-py]] us.  Both spend most of that outside the\
	copy (C: [Num [V rnd-c]] us a read including the cache miss)."
    if {$call ne "" && $empty ne ""} {
	append text "  A Tcl command call costs\
	    [Num [expr {($call - $empty) / 1000.0}]] us by itself (atomic\
	    section); pread adds the channel lookup by name, two integer\
	    arguments and a byte array (Ir in the callgrind table).  For\
	    many records, mmap::pread -each takes [Num [V rnd-each]] us a\
	    record."
    }
    return $text
}

proc ::bench::report::GetsWhy {figure} {
    set text "Both loops run Tcl's generic gets over 4 KiB buffers; the\
	drivers differ by one memcpy against one read(2) a buffer."
    set irFile [Ir file-gets]
    set irMmap [Ir mmap-gets]
    if {$irFile ne "" && $irMmap ne ""} {
	append text "  In instructions the mmap channel does less ($irMmap\
	    against $irFile Ir a line, the callgrind table), and it makes\
	    no system call."
    }
    append text "  The medians are [Num [V gets-file]] and\
	[Num [V gets-mmap]] ms, spread [SpreadOf gets-file] and\
	[SpreadOf gets-mmap]: when those ranges overlap, the difference is\
	this machine's noise."
    return $text
}

proc ::bench::report::LinesPyWhy {figure} {
    set floor [V lines-floor]
    set py [V py-readline]
    if {$floor eq "" || $py eq ""} {
	return [Generic $figure]
    }
    return "Making and visiting the lines as Tcl strings is the cost: the\
	floor row, split of the same lines already in memory into batches\
	of 1000 and a foreach over them, no I/O at all, takes [Num $floor]\
	ms, while CPython's whole readline loop takes [Num $py] ms\
	([X [expr {$py / $floor}]] of the floor).  mmap::lines takes\
	[Num [V lines-mmap]] ms, [X [expr {[V lines-mmap] / $floor}]] the\
	floor: Tcl objects (two allocations each, a thread-local lookup per\
	allocation) cost more than CPython's bytes."
}

proc ::bench::report::PutsWhy {figure} {
    set memchan [V puts-memchan]
    set file [V puts-file]
    set async [V puts-async]
    if {$memchan eq "" || $file eq "" || $async eq ""} {
	return [Generic $figure]
    }
    set text "Tcl's generic channel layer is much of an unbuffered puts: an\
	unbuffered memchan, whose driver only copies, takes [Num $memchan]\
	us a puts, against the file channel's [Num $file] us.  The mmap\
	channel with -sync async takes [Num $async] us (no system call:\
	msync(MS_ASYNC) is a no-op on Linux and is not made); the rest is\
	the driver's copy under the fault guard and the generic layer's\
	work, in the Ir table."
    append text "  With -buffering full it takes [Num [V puts-mmap-full]] us."
    return $text
}

proc ::bench::report::AtomicWhy {figure} {
    set call [V call-floor]
    set incr [V incr]
    if {$call eq "" || $incr eq ""} {
	return [Generic $figure]
    }
    return "incr of a local variable is one bytecode instruction\
	([Num $incr] ns in the loop); any command call is not: the same loop\
	calling a C command that takes no arguments and does nothing\
	(mmap::pagesize) costs [Num $call] ns, [X [expr {$call / $incr}]]\
	incr, before any work.  mmap::atomic add costs [Num [V atomic-add]]\
	ns, [X [expr {[V atomic-add] / $call}]] that floor: it parses four\
	arguments (looking the channel up by name), checks range, alignment\
	and access, and runs the operation under the fault guard; the Ir\
	table has the instruction counts."
}

proc ::bench::report::RssWhy {figure} {
    return "The read faulted in [Num [V rss-touch]] KiB of the file's pages\
	(all memory grew by [Num [V rss-touch-all]] KiB): the kernel maps the\
	pages around a fault that are in the page cache (fault-around), and\
	with large folios it may cache and map a whole folio of a hole.  The\
	library maps with plain mmap(2) and touches nothing itself; see the\
	spread of the repetitions ([SpreadOf rss-touch] KiB)."
}

proc ::bench::report::FindPyWhy {figure} {
    return "Both scan the same bytes with a vectorised search (glibc\
	memmem, CPython's fastsearch), at memory speed: [Num [V find-mmap]]\
	ms against [Num [V find-py]] ms, spread [SpreadOf find-mmap] and\
	[SpreadOf find-py] ms; ranges that overlap are within this\
	machine's noise."
}

# # ## ### ##### ######## ############# #####################
## Output

# Groups --
#
#	The rows by workload, in order: a flat list workload rowlist ...

proc ::bench::report::Groups {rows} {
    set order {}
    set groups {}
    foreach row $rows {
	set w [dict get $row workload]
	if {$w ni $order} {
	    lappend order $w
	}
	dict lappend groups $w $row
    }
    set result {}
    foreach w $order {
	lappend result $w [dict get $groups $w]
    }
    return $result
}

proc ::bench::report::RowRatio {row} {
    set ref [dict get $row ref]
    if {$ref eq "" || [dict get $row value] eq ""} {
	return ""
    }
    Ratio $ref [dict get $row id]
}

proc ::bench::report::Text {rows ir} {
    set ::bench::report::rows $rows
    set ::bench::report::ir $ir
    set out {}
    foreach {w group} [Groups $rows] {
	set unit [dict get [lindex $group 0] unit]
	lappend out "" "$w ($unit: on-CPU median, wall-clock median, ratio\
	    of the reference's time to this one)"
	foreach row $group {
	    set wall [dict get $row wall]
	    lappend out [format "  %-62s %9s %9s %9s" [dict get $row contender] \
		[Num [dict get $row value]] [expr {$wall eq "" ? "" : [Num $wall]}] \
		[X [RowRatio $row]]]
	}
    }
    lappend out "" "targets"
    foreach t [Judge] {
	lappend out [format "  %-7s %-8s %s" [dict get $t verdict] \
	    [Figure $t] [dict get $t text]]
    }
    if {[llength $ir]} {
	lappend out "" "callgrind: instructions (Ir) per operation"
	foreach r $ir {
	    lappend out [format "  %-62s %10s" [dict get $r label] \
		[dict get $r ir]]
	}
    }
    join $out \n
}

proc ::bench::report::RangeText {t} {
    set range [dict get $t range]
    if {![llength $range]} {
	return ""
    }
    lassign $range low high
    if {[dict get $t unit] eq "x"} {
	return "[X $low]-[X $high]"
    }
    return "[Num $low]-[Num $high]"
}

proc ::bench::report::Figure {t} {
    set figure [dict get $t figure]
    if {$figure eq ""} {
	return n/a
    }
    if {[dict get $t unit] eq "x"} {
	set figure [X $figure]
    } else {
	set figure [Num $figure]
    }
    if {[dict get $t detail] ne ""} {
	append figure " ([dict get $t detail])"
    }
    return $figure
}

proc ::bench::report::Markdown {cfg machine rows ir elapsed} {
    set ::bench::report::rows $rows
    set ::bench::report::ir $ir
    set mode [dict get $cfg mode]
    set md {}
    lappend md "# mmap benchmark results" ""
    set only [expr {[dict exists $cfg only] ? [dict get $cfg only] : ""}]
    lappend md "A $mode run of `tclsh bench/bench.tcl[expr {$mode eq "full"
	? "" : " --$mode"}][expr {$only eq "" ? "" : " --only [list $only]"}]`\
	(also `tclsh build.tcl bench`), $elapsed s,\
	[dict get $machine date].  Every figure is the median of\
	[dict get $cfg reps] repetitions (min-max beside it) of the time the\
	measuring thread spent on a processor (Tcl: /proc/thread-self/schedstat;\
	C: CLOCK_THREAD_CPUTIME_ID; Python: time.thread_time), which counts\
	its system calls and page faults but not the time it waited for a\
	processor while other processes ran: this machine is shared, and that\
	wait is most of the noise.  The wall-clock median is beside it; the\
	one row that waits for a device (-sync sync) is judged by wall\
	clock.  Ratios are the reference row's time over the row's time, so\
	2.00x means twice as fast as the reference.  Timings still move by\
	10-30% from run to run; the callgrind instruction counts at the end\
	do not." ""
    lappend md "## Machine" ""
    lappend md "| | |" "|---|---|"
    foreach {key label} {
	cpu CPU cores {Logical CPUs} memory Memory kernel Kernel tcl Tcl
	mmap {mmap package} memchan Memchan gcc gcc python Python
	thp {Transparent huge pages} load {Load average at start}
    } {
	lappend md "| $label | [dict get $machine $key] |"
    }
    lappend md ""
    lappend md "## Results" ""
    foreach {w group} [Groups $rows] {
	set unit [dict get [lindex $group 0] unit]
	set refId [dict get [lindex $group 0] ref]
	lappend md "### $w" ""
	lappend md "| Contender | Median ($unit) | Min-max | Wall clock | Ratio |"
	lappend md "|---|---:|---:|---:|---:|"
	foreach row $group {
	    set value [dict get $row value]
	    if {$value eq ""} {
		set value "n/a ([dict get $row note])"
	    } else {
		set value [Num $value]
	    }
	    set label [dict get $row contender]
	    if {[dict get $row id] eq $refId} {
		set label "$label (reference)"
	    }
	    set wall [dict get $row wall]
	    lappend md "| $label | $value | [Spread $row] |\
		[expr {$wall eq "" ? "" : [Num $wall]}] |\
		[expr {[RowRatio $row] eq "" ? "" : [X [RowRatio $row]]}] |"
	}
	lappend md ""
    }
    lappend md "## Targets" ""
    lappend md "The measured figure is formed from the two rows' medians;\
	the range beside it pairs the slowest repetition of one row with the\
	fastest of the other, and back: a verdict whose bound lies inside\
	that range could go the other way on another run." ""
    lappend md "| Target | Measured | Range | Needed | Verdict |" \
	"|---|---:|---:|---:|---|"
    set misses {}
    foreach t [Judge] {
	lappend md "| [dict get $t text] | [Figure $t] | [RangeText $t] |\
	    [dict get $t need] | **[dict get $t verdict]** |"
	if {[dict get $t verdict] eq "missed"} {
	    lappend misses $t
	}
    }
    lappend md ""
    if {[llength $misses]} {
	lappend md "### Why the misses" ""
	foreach t $misses {
	    lappend md "- **[dict get $t text]** ([Figure $t]):\
		[regsub -all {\s+} [dict get $t why] " "]"
	}
	lappend md ""
    }
    lappend md "## Instruction counts (callgrind)" ""
    if {[llength $ir]} {
	lappend md "Each hot path run N and 2N times under `valgrind\
	    --tool=callgrind` in a fresh tclsh; (Ir(2N) - Ir(N)) / N is the\
	    cost of one operation with its loop, independent of the machine's\
	    load.  Files of 8 MiB, page-cached; same offsets every run." ""
	lappend md "| Hot path | Ir per operation |" "|---|---:|"
	foreach r $ir {
	    lappend md "| [dict get $r label] | [dict get $r ir] |"
	}
    } else {
	lappend md "Not run ([expr {$mode eq "tiny" ? "--tiny" :
	    "--no-ir or no valgrind"}])."
    }
    lappend md ""
    return [join $md \n]
}
