#!/bin/sh
# -*- tcl -*- \
exec tclsh "$0" ${1+"$@"}

# # ## ### ##### ######## ############# #####################
## bench.tcl -- how fast is mmap, measured against everything else.
#
#   tclsh bench/bench.tcl ?--quick|--tiny? ?--out FILE? ?--work DIR?
#                         ?--reps N? ?--no-ir? ?--only SECTIONS?
#
# One run, all contenders side by side: Tcl's file channel, memchan
# (package Memchan), the mmap channel and the mmap:: commands, C
# (bench/baseline.c, built here with gcc) and CPython's mmap module
# (bench/peer.py); whole reads under GLIBC_TUNABLES run in a process of
# their own (bench/wholeread.tcl).  Each figure is the median of several
# repetitions.  The table, the ratios, the targets of the performance
# issues (met or missed, with the measurement that explains a miss) and
# the machine are printed and written as Markdown to bench/results.md,
# or to --out.
# The hot paths' instruction counts under callgrind (bench/ir.tcl) are
# the reproducible figures: timings on a shared machine vary.
#
#   --quick   smaller files and fewer repetitions (about 2 minutes)
#   --tiny    kilobyte sizes, one repetition, no callgrind: a smoke test
#             of a few seconds (tests/bench.test); writes to a file in
#             the work directory unless --out says where
#   --work    where the data files go (default bench/work/, git-ignored);
#             the big ones are deleted at the end of every run
#   --only    the sections to run, a list of WholeRead FirstRead
#             RandomReads Lines Puts Atomic Find Grep MapClose Rss (then
#             no callgrind)
#
# The package comes from lib/ beside bench/ (tclsh build.tcl), unless
# TCLLIBPATH is set, in which case tclsh has put that first already.
# Run from anywhere; nothing is built but bench/baseline.c.
#
# bench/report.tcl formats the results and judges the targets.

package require Tcl 8.6-

namespace eval ::bench {
    variable here [file dirname [file normalize [info script]]]
    variable top  [file dirname $here]

    # The rows of the table, in order: dicts with keys id, workload,
    # contender, unit, value (median), times (seconds per repetition),
    # ref (id of the row ratios are taken against), note.
    variable rows {}

    # Settings by mode: data sizes, operation counts, repetitions.
    variable modes {
	full {
	    whole 268435456 random 100000 randomBig 2000 lines 2000000
	    puts 1000000 sync 10000 atomic 1000000 mapclose 2000 reps 7
	    irN 10000 grepLog 104857600 queue 10000
	}
	quick {
	    whole 67108864 random 50000 randomBig 1000 lines 500000
	    puts 250000 sync 2000 atomic 250000 mapclose 500 reps 3
	    irN 2000 grepLog 33554432 queue 2000
	}
	tiny {
	    whole 262144 random 200 randomBig 20 lines 2000
	    puts 2000 sync 20 atomic 2000 mapclose 10 reps 1
	    irN 0 grepLog 262144 queue 200
	}
    }
    variable cfg
    variable work
    variable files {}

    # An absent needle for find; checked absent before timing.
    variable needle "needle-not-present-1234567890"

    # The glibc tunable of the whole-read rows run in a child process
    # (bench/wholeread.tcl): huge pages for the blocks malloc maps.
    variable hugetlb glibc.malloc.hugetlb=1
}

if {![info exists env(TCLLIBPATH)]} {
    set auto_path [linsert $auto_path 0 [file join $::bench::top lib]]
}
package require mmap
source [file join $::bench::here report.tcl]
source [file join $::bench::here queue.tcl]

# # ## ### ##### ######## ############# #####################
## Driver

proc ::bench::Main {argv} {
    variable cfg
    variable work
    variable here

    set opts [Options $argv]
    set mode [dict get $opts mode]
    set cfg [dict get $::bench::modes $mode]
    dict set cfg mode $mode
    if {[dict get $opts reps] ne ""} {
	dict set cfg reps [dict get $opts reps]
    }
    set work [dict get $opts work]
    if {$work eq ""} {
	set work [file join $here work]
    }
    file mkdir $work
    set work [file normalize $work]
    set out [dict get $opts out]
    if {$out eq ""} {
	set out [expr {$mode eq "tiny" ? [file join $work results-tiny.md]
	    : [file join $here results.md]}]
    }

    set started [clock seconds]
    set machine [Machine]
    Say "mmap benchmark, $mode run: [dict get $machine cpu],\
	[dict get $machine kernel], Tcl [dict get $machine tcl]"
    try {
	Setup
	Say "data ready in $work"
	set only [dict get $opts only]
	dict set cfg only $only
	foreach section {
	    WholeRead FirstRead RandomReads Lines Puts Queue Atomic Find Grep
	    MapClose Rss
	} {
	    if {$only eq "" || $section in $only} {
		$section
	    }
	}
	set ir {}
	if {[dict get $cfg irN] > 0 && ![dict get $opts noir]
		&& $only eq ""} {
	    source [file join $here ir.tcl]
	    set ir [::bench::ir::Run $work [dict get $cfg irN]]
	}
    } finally {
	Cleanup
    }
    set elapsed [expr {[clock seconds] - $started}]
    set report [::bench::report::Markdown $cfg $machine $::bench::rows \
	$ir $elapsed]
    Say [::bench::report::Text $::bench::rows $ir]
    set f [open $out w]
    puts -nonewline $f $report
    close $f
    Say "written to $out ($elapsed s)"
}

# ::bench::Options --
#
#	The command line as a dict: mode (full, quick, tiny), out, work,
#	reps, noir.

proc ::bench::Options {argv} {
    set opts {mode full out {} work {} reps {} noir 0 only {}}
    while {[llength $argv]} {
	set argv [lassign $argv word]
	switch -- $word {
	    --quick { dict set opts mode quick }
	    --tiny  { dict set opts mode tiny }
	    --no-ir { dict set opts noir 1 }
	    --out - --work - --reps - --only {
		if {![llength $argv]} {
		    Usage "$word needs a value"
		}
		set argv [lassign $argv value]
		dict set opts [string range $word 2 end] $value
	    }
	    default {
		Usage "unknown option \"$word\""
	    }
	}
    }
    set reps [dict get $opts reps]
    if {$reps ne "" && (![string is integer -strict $reps] || $reps < 1)} {
	Usage "--reps must be a positive integer"
    }
    return $opts
}

proc ::bench::Usage {msg} {
    puts stderr "bench.tcl: $msg"
    puts stderr "usage: tclsh bench/bench.tcl ?--quick|--tiny? ?--out FILE?\
	?--work DIR? ?--reps N? ?--no-ir? ?--only SECTIONS?"
    exit 1
}

proc ::bench::Say {text} {
    puts stdout $text
    flush stdout
}

# # ## ### ##### ######## ############# #####################
## Measuring

# ::bench::Clocks: in clocks.tcl, which bench/wholeread.tcl shares.
source [file join $::bench::here clocks.tcl]

# ::bench::Times --
#
#	Runs script reps times in the caller's scope; returns a dict: cpu and
#	wall, the seconds of each repetition by each clock.

proc ::bench::Times {reps script} {
    set result {cpu {} wall {}}
    for {set i 0} {$i < $reps} {incr i} {
	lassign [Clocks] wall cpu
	uplevel 1 $script
	lassign [Clocks] wallEnd cpuEnd
	dict lappend result cpu [expr {$cpuEnd - $cpu}]
	dict lappend result wall [expr {$wallEnd - $wall}]
    }
    return $result
}

proc ::bench::Median {values} {
    set sorted [lsort -real $values]
    set n [llength $sorted]
    if {$n % 2} {
	return [lindex $sorted [expr {$n / 2}]]
    }
    expr {([lindex $sorted [expr {$n / 2 - 1}]]
	+ [lindex $sorted [expr {$n / 2}]]) / 2.0}
}

# ::bench::Row --
#
#	Adds a row.  measured is what Times, Rounds or External returned (a
#	dict of cpu and wall seconds a repetition), a dict with "values" for
#	figures that are not times (KiB), or empty for a row that could not
#	be measured, with note saying why.  The row's figure is the median by
#	clock (cpu unless a contender waits for a device); scale turns it
#	into the unit (1e3 for ms, 1e6/ops for us an operation, ...).

proc ::bench::Row {id workload contender unit scale measured ref {note {}}
	{clock cpu}} {
    variable rows
    set times {}
    set walls {}
    if {[dict exists $measured values]} {
	set times [dict get $measured values]
	set clock value
    } elseif {[llength $measured]} {
	set times [dict get $measured $clock]
	set walls [dict get $measured wall]
    }
    set value [expr {[llength $times] ? [Median $times] * $scale : ""}]
    set wall [expr {[llength $walls] ? [Median $walls] * $scale : ""}]
    lappend rows [dict create id $id workload $workload \
	contender $contender unit $unit value $value times $times \
	wall $wall clock $clock scale $scale ref $ref note $note]
    if {$value eq ""} {
	Say [format "  %-58s %s" $contender "n/a: $note"]
    } else {
	Say [format "  %-58s %10.3f %s" $contender $value $unit]
    }
}

# ::bench::External --
#
#	Runs a C or Python contender; returns its repetition times (the
#	words after the mode on its one line of output), or "" with the
#	reason in noteVar when it cannot run.

proc ::bench::External {noteVar args} {
    upvar 1 $noteVar note
    set note {}
    if {[catch {exec {*}$args 2>@1} output]} {
	set note [lindex [split $output \n] 0]
	return {}
    }
    set result {}
    foreach line [split [string trim $output] \n] {
	set clock [lindex $line 1]
	if {$clock in {cpu wall}} {
	    dict set result $clock [lrange $line 2 end]
	}
    }
    if {![dict exists $result cpu] || ![dict exists $result wall]} {
	set note "unexpected output: [lindex [split $output \n] 0]"
	return {}
    }
    return $result
}

proc ::bench::Python {noteVar args} {
    upvar 1 $noteVar note
    set note {}
    set python [auto_execok python3]
    if {$python eq ""} {
	set note "no python3"
	return {}
    }
    External note {*}$python [file join $::bench::here peer.py] {*}$args
}

proc ::bench::C {noteVar args} {
    upvar 1 $noteVar note
    set note {}
    set exe [file join $::bench::work baseline]
    if {![file executable $exe]} {
	set note "no C baseline (gcc missing?)"
	return {}
    }
    External note $exe {*}$args
}

proc ::bench::HaveMemchan {} {
    expr {![catch {package require Memchan}]}
}

# # ## ### ##### ######## ############# #####################
## Data

# ::bench::Setup --
#
#	Makes the data files in the work directory, each in the page cache
#	(written just now, and read once more):
#	  data.bin    pseudo-random bytes, one repeated MiB (deterministic)
#	  text.txt    lines of 20..100 characters, numbered
#	  offsets.txt the offsets of the random reads, one a line
#	  out.bin     the target of the puts workload
#	  small.bin   1 MiB; sparse.bin 8 GiB with no block allocated
#	and builds the C baseline.

proc ::bench::Setup {} {
    variable cfg
    variable work
    variable files

    set data [Track data.bin]
    MakeRandomFile $data [dict get $cfg whole]
    set text [Track text.txt]
    MakeTextFile $text [dict get $cfg lines]

    expr {srand(42)}
    set span [expr {[dict get $cfg whole] - 64}]
    set offsets {}
    for {set i 0} {$i < [dict get $cfg random]} {incr i} {
	lappend offsets [expr {int(rand() * $span)}]
    }
    set ::bench::offsets $offsets
    set f [open [Track offsets.txt] w]
    puts $f [join $offsets \n]
    close $f

    set f [open [Track out.bin] w]
    chan truncate $f [expr {[dict get $cfg puts] * 64}]
    close $f
    set f [open [Track small.bin] w]
    chan truncate $f 1048576
    close $f
    set f [open [Track sparse.bin] w]
    set ::bench::sparseOk [expr {![catch {chan truncate $f [expr {8 * 2**30}]}]}]
    close $f

    # Into the page cache (and the check that the needle is absent).
    foreach path [list $data $text] {
	set f [open $path rb]
	fconfigure $f -buffersize 1048576
	while {[string length [read $f 1048576]]} {}
	close $f
    }

    set ::bench::cOk 0
    set gcc [auto_execok gcc]
    if {$gcc ne ""} {
	set ::bench::cOk [expr {![catch {
	    exec {*}$gcc -O2 -Wall -Wextra -o [Track baseline] \
		[file join $::bench::here baseline.c] 2>@1
	} ::bench::cError]}]
    }
}

proc ::bench::Track {name} {
    variable work
    variable files
    set path [file join $work $name]
    lappend files $path
    return $path
}

proc ::bench::Cleanup {} {
    variable files
    foreach chan [chan names mmap*] {
	catch {close $chan}
    }
    foreach path $files {
	file delete -force $path
    }
    set files {}
}

# ::bench::MakeRandomFile --
#
#	size bytes: one MiB (or less) of a fixed pseudo-random sequence,
#	repeated.  Deterministic, so that find scans the same bytes on every
#	run; repeated, so that making 256 MiB takes no time.

proc ::bench::MakeRandomFile {path size} {
    set block [expr {min($size, 1048576)}]
    set x 88172645463325252
    set words {}
    for {set i 0} {$i < $block / 8} {incr i} {
	# xorshift64
	set x [expr {($x ^ ($x << 13)) & 0xFFFFFFFFFFFFFFFF}]
	set x [expr {$x ^ ($x >> 7)}]
	set x [expr {($x ^ ($x << 17)) & 0xFFFFFFFFFFFFFFFF}]
	lappend words $x
    }
    set bytes [binary format w* $words]
    set f [open $path wb]
    fconfigure $f -buffersize 1048576
    for {set done 0} {$done < $size} {incr done $block} {
	puts -nonewline $f $bytes
    }
    close $f
}

# ::bench::MakeTextFile --
#
#	count lines: a number and 20..100 letters and digits, pure ASCII,
#	LF-terminated; about 68 bytes a line.

proc ::bench::MakeTextFile {path count} {
    set alphabet abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
    set pool [string repeat $alphabet 4]
    expr {srand(7)}
    set f [open $path wb]
    fconfigure $f -buffersize 1048576
    for {set i 0} {$i < $count} {incr i} {
	set from [expr {int(rand() * 100)}]
	set to [expr {$from + 19 + int(rand() * 81)}]
	puts $f "$i [string range $pool $from $to]"
    }
    close $f
}

proc ::bench::MapPath {path args} {
    set f [open $path rb]
    try {
	set m [mmap {*}$args $f]
    } finally {
	close $f
    }
    fconfigure $m -translation binary
    return $m
}

# # ## ### ##### ######## ############# #####################
## Workloads

# Whole read of a page-cached file.  Every repetition starts from a
# closed file: open (and map) the file, read it all, close.  The Tcl
# contenders take turns within each repetition, after one untimed round:
# how much of a result's memory comes back fresh from the kernel and how
# much from malloc's free lists depends on what ran before, so running
# each contender's repetitions in one block would favour whoever comes
# late.

proc ::bench::WholeRead {} {
    variable cfg
    variable work
    set reps [dict get $cfg reps]
    set size [dict get $cfg whole]
    set data [file join $work data.bin]
    set w "whole read, [Size $size]"
    Say "$w (ms)"

    set contenders {}
    foreach bs {4096 65536 1048576} {
	lappend contenders file-[Bs $bs] \
	    "Tcl file channel, read, -buffersize [Bs $bs]" [list apply {
		{data bs} {
		    set f [open $data rb]
		    fconfigure $f -buffersize $bs
		    set d [read $f]
		    close $f
		}
	    } $data $bs]
    }
    foreach bs {4096 65536 1048576} {
	lappend contenders mmap-[Bs $bs] \
	    "mmap channel, read, -buffersize [Bs $bs]" [list apply {
		{data bs} {
		    set m [::bench::MapPath $data]
		    fconfigure $m -buffersize $bs
		    set d [read $m]
		    close $m
		}
	    } $data $bs]
    }
    lappend contenders pread "mmap::pread of everything" [list apply {
	{data size} {
	    set m [::bench::MapPath $data]
	    set d [mmap::pread $m 0 $size]
	    close $m
	}
    } $data $size]
    set memchanNote ""
    if {[HaveMemchan]} {
	set mc [memchan]
	fconfigure $mc -translation binary
	set f [open $data rb]
	fcopy $f $mc
	close $f
	lappend contenders memchan "memchan holding the data, read" \
	    [list apply {{mc} {seek $mc 0; set d [read $mc]}} $mc]
    } else {
	set memchanNote "package Memchan missing"
    }
    lappend contenders floor \
	"floor: a fresh Tcl value that size (binary format x)" \
	[list apply {{size} {set d [binary format x$size]}} $size]

    set times [Rounds $reps $contenders]
    foreach {id label script} $contenders {
	Row $id $w $label ms 1e3 [dict get $times $id] file-4k
	if {$id eq "pread" && $memchanNote ne ""} {
	    Row memchan $w "memchan holding the data, read" ms 1e3 {} \
		file-4k $memchanNote
	}
    }
    if {[info exists mc]} {
	close $mc
    }
    Row c-read $w "C: read(2) into a new buffer" ms 1e3 \
	[C note read $data $reps] file-4k $note
    Row c-memcpy $w "C: memcpy from a new mapping into a new buffer" \
	ms 1e3 [C note memcpy $data $reps] file-4k $note
    Row c-memcpy-thp $w "C: the same, new buffer in huge pages" ms 1e3 \
	[C note memcpy-thp $data $reps] file-4k $note
    Row py-read $w "Python: mmap read()" ms 1e3 \
	[Python note whole $data $reps] file-4k $note
    foreach {id mode label} {
	file-hugetlb file "Tcl file channel, read"
	mmap-hugetlb mmap "mmap channel, read"
    } {
	Row $id $w "$label, GLIBC_TUNABLES=$::bench::hugetlb (a process\
	    of its own)" ms 1e3 [HugeTlb note $mode $data $reps] file-4k $note
    }
}

# ::bench::HugeTlb --
#
#	A whole read (bench/wholeread.tcl) in a child process whose glibc
#	advises its large blocks into huge pages: Tcl grows the result of a
#	whole read itself, and this is the one way to give it huge pages.
#	Returns what External returns.

proc ::bench::HugeTlb {noteVar mode data reps} {
    upvar 1 $noteVar note
    set env [auto_execok env]
    if {$env eq ""} {
	set note "no env(1)"
	return {}
    }
    External note {*}$env GLIBC_TUNABLES=$::bench::hugetlb \
	[info nameofexecutable] [file join $::bench::here wholeread.tcl] \
	$mode $data $reps
}

# ::bench::Rounds --
#
#	Runs contenders (a list id label command ...) in turns: one untimed
#	round, then reps timed ones.  Returns a dict from id to what Times
#	returns.

proc ::bench::Rounds {reps contenders} {
    set times {}
    foreach {id label command} $contenders {
	{*}$command
	dict set times $id {cpu {} wall {}}
    }
    for {set i 0} {$i < $reps} {incr i} {
	foreach {id label command} $contenders {
	    lassign [Clocks] wallStart cpuStart
	    {*}$command
	    lassign [Clocks] wallEnd cpuEnd
	    dict with times $id {
		lappend cpu [expr {$cpuEnd - $cpuStart}]
		lappend wall [expr {$wallEnd - $wallStart}]
	    }
	}
    }
    return $times
}

# The first read of a fresh mapping, in 1 MiB reads through the channel
# (so that the cost of the result values stays small): plain, with
# -populate, with madvise(WILLNEED), and again over pages already mapped.

proc ::bench::FirstRead {} {
    variable cfg
    variable work
    set reps [dict get $cfg reps]
    set data [file join $work data.bin]
    set w "first read of a fresh mapping, [Size [dict get $cfg whole]]"
    Say "$w (ms)"

    Row first-file $w "Tcl file channel, read 1 MiB at a time" ms 1e3 \
	[Times $reps {
	    set f [open $data rb]
	    fconfigure $f -buffersize 1048576
	    ReadAll $f
	    close $f
	}] first-file
    foreach {id label args advice} {
	first-plain {mmap channel, fresh mapping} {} {}
	first-populate {mmap channel, fresh mapping, -populate} -populate {}
	first-willneed {mmap channel, fresh mapping, advise willneed} {}
	    willneed
    } {
	Row $id $w $label ms 1e3 [Times $reps {
	    set m [MapPath $data {*}$args]
	    if {$advice ne ""} {
		mmap::advise $m $advice
	    }
	    fconfigure $m -buffersize 1048576
	    ReadAll $m
	    close $m
	}] first-file
    }
    set m [MapPath $data]
    fconfigure $m -buffersize 1048576
    ReadAll $m
    Row first-warm $w "mmap channel, pages already mapped (second read)" \
	ms 1e3 [Times $reps {
	    seek $m 0
	    ReadAll $m
	}] first-file
    close $m
}

proc ::bench::ReadAll {chan} {
    while {[string length [read $chan 1048576]]} {}
}

# Random 64-byte reads at fixed pseudo-random offsets; every contender
# keeps its channel or map open and makes one pass before the timing.

proc ::bench::RandomRead {chan offsets} {
    foreach o $offsets {
	seek $chan $o
	read $chan 64
    }
}

proc ::bench::RandomPread {m offsets} {
    foreach o $offsets {
	mmap::pread $m $o 64
    }
}

proc ::bench::RandomEach {m offsets} {
    llength [mmap::pread -each $m $offsets 64]
}

proc ::bench::RandomReads {} {
    variable cfg
    variable work
    variable offsets
    set reps [dict get $cfg reps]
    set n [llength $offsets]
    set few [lrange $offsets 0 [dict get $cfg randomBig]-1]
    set data [file join $work data.bin]
    set w "random 64-byte reads, [Count $n] in [Size [dict get $cfg whole]]"
    set us [expr {1e6 / $n}]
    Say "$w (us a read)"

    set f [open $data rb]
    RandomRead $f $offsets
    Row rnd-file $w "Tcl file channel, seek+read" us $us \
	[Times $reps {RandomRead $f $offsets}] rnd-file
    fconfigure $f -buffersize 1048576
    Row rnd-file-1m $w "Tcl file channel, seek+read, -buffersize 1 MiB\
	([Count [llength $few]] reads)" us [expr {1e6 / [llength $few]}] \
	[Times $reps {RandomRead $f $few}] rnd-file
    close $f

    set m [MapPath $data]
    RandomRead $m $offsets
    Row rnd-mmap $w "mmap channel, seek+read" us $us \
	[Times $reps {RandomRead $m $offsets}] rnd-file
    fconfigure $m -buffersize 1048576
    Row rnd-mmap-1m $w "mmap channel, seek+read, -buffersize 1 MiB" us $us \
	[Times $reps {RandomRead $m $offsets}] rnd-file
    Row rnd-pread $w "mmap::pread" us $us \
	[Times $reps {RandomPread $m $offsets}] rnd-file
    Row rnd-each $w "mmap::pread -each, all offsets in one call (a record)" \
	us $us [Times $reps {RandomEach $m $offsets}] rnd-file
    close $m

    if {[HaveMemchan]} {
	set mc [memchan]
	fconfigure $mc -translation binary
	set f [open $data rb]
	fcopy $f $mc
	close $f
	RandomRead $mc $offsets
	Row rnd-memchan $w "memchan, seek+read" us $us \
	    [Times $reps {RandomRead $mc $offsets}] rnd-file
	close $mc
    } else {
	Row rnd-memchan $w "memchan, seek+read" us $us {} rnd-file \
	    "package Memchan missing"
    }
    set offsetsFile [file join $work offsets.txt]
    Row rnd-py $w "Python: mmap seek+read" us $us \
	[Python note random $data $offsetsFile $reps] rnd-file $note
    Row rnd-py-slice $w "Python: mmap slice m\[o:o+64\]" us $us \
	[Python note slice $data $offsetsFile $reps] rnd-file $note
    Row rnd-c $w "C: memcpy of 64 bytes from the mapping" us $us \
	[C note random $data $offsetsFile $reps] rnd-file $note
}

# Lines of a text file: a gets loop through each channel, mmap::lines
# batch by batch, Python's readline loop.  Every contender visits every
# line (incr n); every repetition opens (and maps) the file afresh.

proc ::bench::GetsLoop {chan} {
    set n 0
    while {[gets $chan line] >= 0} {
	incr n
    }
    return $n
}

proc ::bench::LinesLoop {m} {
    set n 0
    set offset 0
    while {[llength [set batch [mmap::lines $m $offset offset]]]} {
	foreach line $batch {
	    incr n
	}
    }
    return $n
}

# The Tcl floor of a lines loop: the same lines as Tcl strings in batches
# of 1000 made by split from text already in memory, visited the same
# way.  No I/O at all: what making and dropping the values costs.

proc ::bench::SplitLoop {chunks} {
    set n 0
    foreach chunk $chunks {
	foreach line [split $chunk \n] {
	    incr n
	}
    }
    return $n
}

proc ::bench::Lines {} {
    variable cfg
    variable work
    set reps [dict get $cfg reps]
    set count [dict get $cfg lines]
    set text [file join $work text.txt]
    set w "lines of a text file, [Count $count] lines,\
	[Size [file size $text]]"
    Say "$w (ms)"

    set contenders [list gets-file "Tcl file channel, gets loop" \
	[list apply {{text count} {
	    set f [open $text r]
	    ::bench::Check [::bench::GetsLoop $f] $count gets
	    close $f
	}} $text $count]]
    lappend contenders gets-mmap "mmap channel, gets loop" \
	[list apply {{text count} {
	    set f [open $text r]
	    set m [mmap $f]
	    close $f
	    ::bench::Check [::bench::GetsLoop $m] $count gets
	    close $m
	}} $text $count]
    set memchanNote ""
    if {[HaveMemchan]} {
	set mc [memchan]
	set f [open $text rb]
	fconfigure $mc -translation binary
	fcopy $f $mc
	close $f
	fconfigure $mc -translation auto -encoding utf-8
	lappend contenders gets-memchan "memchan, gets loop" \
	    [list apply {{mc count} {
		seek $mc 0
		::bench::Check [::bench::GetsLoop $mc] $count gets
	    }} $mc $count]
    } else {
	set memchanNote "package Memchan missing"
    }
    lappend contenders lines-mmap "mmap::lines, 1000 at a time, foreach" \
	[list apply {{text count} {
	    set f [open $text r]
	    set m [mmap $f]
	    close $f
	    ::bench::Check [::bench::LinesLoop $m] $count lines
	    close $m
	}} $text $count]
    lappend contenders lines-floor \
	"floor: split of lines already in memory, foreach" \
	[list apply {{count} {
	    ::bench::Check [::bench::SplitLoop $::bench::chunks] $count split
	}} $count]

    # The floor's input: the text in strings of 1000 lines.
    set f [open $text rb]
    set ::bench::chunks {}
    set chunk {}
    set inChunk 0
    while {[gets $f line] >= 0} {
	append chunk $line \n
	if {[incr inChunk] == 1000} {
	    lappend ::bench::chunks [string range $chunk 0 end-1]
	    set chunk {}
	    set inChunk 0
	}
    }
    if {$chunk ne ""} {
	lappend ::bench::chunks [string range $chunk 0 end-1]
    }
    close $f

    set times [Rounds $reps $contenders]
    set ::bench::chunks {}
    foreach {id label script} $contenders {
	Row $id $w $label ms 1e3 [dict get $times $id] gets-file
	if {$id eq "gets-mmap" && $memchanNote ne ""} {
	    Row gets-memchan $w "memchan, gets loop" ms 1e3 {} gets-file \
		$memchanNote
	}
    }
    if {[info exists mc]} {
	close $mc
    }
    Row py-readline $w "Python: mmap readline loop" ms 1e3 \
	[Python note readline $text $reps] gets-file $note
}

proc ::bench::Check {got expected what} {
    if {$got != $expected} {
	error "$what saw $got lines, not $expected"
    }
}

# 64-byte records written one puts at a time: into a -shared map with
# each -sync policy, against an unbuffered file channel (every puts a
# write(2)) and an unbuffered memchan (every puts a copy: what Tcl's
# generic channel layer costs by itself).

proc ::bench::PutsLoop {chan record n} {
    for {set i 0} {$i < $n} {incr i} {
	puts -nonewline $chan $record
    }
}

proc ::bench::Puts {} {
    variable cfg
    variable work
    set reps [dict get $cfg reps]
    set n [dict get $cfg puts]
    set nSync [dict get $cfg sync]
    set out [file join $work out.bin]
    set record [string repeat x 63]\n
    set w "puts of 64-byte records, [Count $n]"
    set us [expr {1e6 / $n}]
    Say "$w (us a puts)"

    set f [open $out r+]
    fconfigure $f -buffering none -translation binary
    Row puts-file $w "Tcl file channel, -buffering none" us $us \
	[Times $reps {seek $f 0; PutsLoop $f $record $n}] puts-file
    close $f
    foreach sync {none async} {
	set f [open $out r+]
	set m [mmap -shared -sync $sync $f]
	close $f
	fconfigure $m -translation binary
	Row puts-$sync $w "mmap channel, -shared -sync $sync" us $us \
	    [Times $reps {seek $m 0; PutsLoop $m $record $n}] puts-file
	close $m
    }
    set f [open $out r+]
    set m [mmap -shared -sync sync $f]
    close $f
    fconfigure $m -translation binary
    Row puts-sync $w "mmap channel, -shared -sync sync (msync MS_SYNC each\
	puts, slow: only [Count $nSync] records; wall clock)" \
	us [expr {1e6 / $nSync}] \
	[Times $reps {seek $m 0; PutsLoop $m $record $nSync}] puts-file \
	"" wall
    close $m
    if {[HaveMemchan]} {
	set mc [memchan]
	fconfigure $mc -buffering none -translation binary
	Row puts-memchan $w "floor: memchan, -buffering none" us $us \
	    [Times $reps {seek $mc 0; PutsLoop $mc $record $n}] puts-file
	close $mc
    } else {
	Row puts-memchan $w "floor: memchan, -buffering none" us $us {} \
	    puts-file "package Memchan missing"
    }
    set f [open $out r+]
    fconfigure $f -buffering full -translation binary
    Row puts-file-full $w "Tcl file channel, -buffering full" us $us \
	[Times $reps {seek $f 0; PutsLoop $f $record $n; flush $f}] puts-file
    close $f
    set f [open $out r+]
    set m [mmap -shared -sync async $f]
    close $f
    fconfigure $m -translation binary -buffering full
    Row puts-mmap-full $w "mmap channel, -sync async, -buffering full" \
	us $us [Times $reps {seek $m 0; PutsLoop $m $record $n; flush $m}] \
	puts-file
    close $m
}

# mmap::atomic add on a shared anonymous map against Tcl's incr of a
# local variable, in the same loop; and what any command call costs in
# that loop (mmap::pagesize: no arguments, no work).

proc ::bench::IncrLoop {n} {
    set x 0
    for {set i 0} {$i < $n} {incr i} {
	incr x
    }
}

proc ::bench::AtomicLoop {m n} {
    for {set i 0} {$i < $n} {incr i} {
	mmap::atomic $m 0 add 1
    }
}

proc ::bench::EmptyLoop {n} {
    for {set i 0} {$i < $n} {incr i} {
    }
}

proc ::bench::CallLoop {n} {
    for {set i 0} {$i < $n} {incr i} {
	mmap::pagesize
    }
}

proc ::bench::Atomic {} {
    variable cfg
    set reps [dict get $cfg reps]
    set n [dict get $cfg atomic]
    set w "atomic add, [Count $n]"
    set ns [expr {1e9 / $n}]
    Say "$w (ns an operation, loop included)"

    Row incr $w "Tcl incr of a local variable" ns $ns \
	[Times $reps {IncrLoop $n}] incr
    set m [mmap::anonymous -shared -length 4096]
    Row atomic-add $w "mmap::atomic add" ns $ns \
	[Times $reps {AtomicLoop $m $n}] incr
    close $m
    Row empty-loop $w "floor: the loop alone" ns $ns \
	[Times $reps {EmptyLoop $n}] incr
    Row call-floor $w "floor: a C command without arguments\
	(mmap::pagesize)" ns $ns [Times $reps {CallLoop $n}] incr
}

# find of a needle that is not in the file: mmap::find over the map
# (kept open), against reading the file and string first.  Tcl 8.6's
# string first has no byte path: it converts both values to Unicode
# strings first, which is most of its time; the second row shows the
# search alone, on a value converted by an earlier call.

proc ::bench::Find {} {
    variable cfg
    variable work
    variable needle
    set reps [dict get $cfg reps]
    set data [file join $work data.bin]
    set bytes [encoding convertto utf-8 $needle]
    set w "find of an absent needle, [Size [dict get $cfg whole]]"
    Say "$w (ms)"

    Row find-read $w "Tcl: read + string first (converts to Unicode)" \
	ms 1e3 [Times $reps {
	set f [open $data rb]
	set d [read $f]
	close $f
	Check [string first $bytes $d] -1 "string first"
	unset d
    }] find-read
    set f [open $data rb]
    set d [read $f]
    close $f
    string first $bytes $d
    Row find-first $w "Tcl: string first alone, data read and converted" \
	ms 1e3 [Times $reps {string first $bytes $d}] find-read
    unset d
    set m [MapPath $data]
    Check [mmap::find $m $bytes] -1 "mmap::find"
    Row find-mmap $w "mmap::find" ms 1e3 \
	[Times $reps {mmap::find $m $bytes}] find-read
    close $m
    binary scan $bytes H* hex
    Row find-py $w "Python: mmap find()" ms 1e3 \
	[Python note find $data $hex $reps] find-read $note
}

# Search a log: mmap::grep against GNU grep (process start included), the
# Tcl ways and CPython, on a page-cached log of realistic lines with about
# 10% matches.  All wall clock: grep runs in another process.

proc ::bench::MakeLogFile {path size} {
    expr {srand(11)}
    set levels {INFO INFO INFO INFO INFO DEBUG DEBUG WARN INFO ERROR}
    set f [open $path wb]
    fconfigure $f -buffersize 1048576
    set written 0
    set i 0
    while {$written < $size} {
	set level [lindex $levels [expr {int(rand() * 10)}]]
	set line [format "2026-12-01T10:%02d:%02d.%03d %-5s worker-%d request\
	    %d done in %d ms" [expr {$i / 60000 % 60}] [expr {$i / 1000 % 60}] \
	    [expr {$i % 1000}] $level [expr {int(rand() * 32)}] $i \
	    [expr {int(rand() * 500)}]]
	puts $f $line
	incr written [expr {[string length $line] + 1}]
	incr i
    }
    close $f
}

proc ::bench::GrepReadLoop {path needle} {
    set f [open $path rb]
    set n 0
    foreach line [split [read $f] \n] {
	if {[string first $needle $line] >= 0} {
	    incr n
	}
    }
    close $f
    return $n
}

proc ::bench::Grep {} {
    variable cfg
    variable work
    set reps [dict get $cfg reps]
    set log [file join $work grep.log]
    MakeLogFile $log [dict get $cfg grepLog]
    Track $log
    set w "grep ERROR in a log, [Size [dict get $cfg grepLog]] (ms, wall)"
    Say $w
    set m [MapPath $log]
    set want [mmap::grep -count $m ERROR]
    mmap::grep -count -nocase $m error

    set grep [auto_execok grep]
    if {$grep ne ""} {
	exec {*}$grep -F -c ERROR $log
	Row grep-gnu $w "GNU grep -F -c (a process)" ms 1e3 [Times $reps {
	    Check [exec {*}$grep -F -c ERROR $log] $want "grep -c"
	}] grep-gnu {} wall
    } else {
	Row grep-gnu $w "GNU grep -F -c (a process)" ms 1e3 {} grep-gnu \
	    "no grep" wall
    }
    Row grep-count $w "mmap::grep -count" ms 1e3 [Times $reps {
	Check [mmap::grep -count $m ERROR] $want "mmap::grep -count"
    }] grep-gnu {} wall
    if {$grep ne ""} {
	Row grep-gnu-i $w "GNU grep -F -i -c (a process)" ms 1e3 \
	    [Times $reps {exec {*}$grep -F -i -c error $log}] grep-gnu {} wall
    }
    Row grep-count-i $w "mmap::grep -nocase -count" ms 1e3 [Times $reps {
	mmap::grep -nocase -count $m error
    }] grep-gnu-i {} wall
    Row grep-tcl $w "Tcl: read + split + string first" ms 1e3 \
	[Times $reps {
	    Check [GrepReadLoop $log ERROR] $want "read + split"
	}] grep-tcl {} wall
    Row grep-count-tcl $w "mmap::grep -count (against the Tcl loop)" ms 1e3 \
	[Times $reps {mmap::grep -count $m ERROR}] grep-tcl {} wall
    Row grep-lines $w "mmap::grep (all matching lines as values)" ms 1e3 \
	[Times $reps {
	    Check [llength [mmap::grep $m ERROR]] $want "mmap::grep"
	}] grep-tcl {} wall
    Row grep-last $w "mmap::grep -last -max 20" ms 1e3 [Times $reps {
	Check [llength [mmap::grep -last -max 20 $m ERROR]] 20 "-last"
    }] grep-count {} wall
    Row grep-find-count $w "mmap::find -count" ms 1e3 \
	[Times $reps {mmap::find -count $m ERROR}] grep-gnu {} wall
    close $m
    binary scan ERROR H* hex
    Row grep-py-find $w "Python: mmap find() loop over lines" ms 1e3 \
	[Python note grepfind $log $hex $reps] grep-gnu $note wall
    Row grep-py-re $w "Python: re.finditer on the mmap" ms 1e3 \
	[Python note grepre $log $hex $reps] grep-gnu $note wall
}

# Map and close a 1 MiB file and an 8 GiB sparse one: open, mmap, close
# both channels; the cost must not grow with the size.

proc ::bench::MapCloseLoop {path n} {
    for {set i 0} {$i < $n} {incr i} {
	set f [open $path rb]
	set m [mmap $f]
	close $f
	close $m
    }
}

proc ::bench::MapClose {} {
    variable cfg
    variable work
    set reps [dict get $cfg reps]
    set n [dict get $cfg mapclose]
    set w "map+close, [Count $n] times"
    set us [expr {1e6 / $n}]
    Say "$w (us each)"

    Row map-1m $w "open, mmap, close: 1 MiB file" us $us \
	[Times $reps {MapCloseLoop [file join $work small.bin] $n}] map-1m
    if {$::bench::sparseOk} {
	Row map-8g $w "open, mmap, close: 8 GiB sparse file" us $us \
	    [Times $reps {MapCloseLoop [file join $work sparse.bin] $n}] \
	    map-1m
    } else {
	Row map-8g $w "open, mmap, close: 8 GiB sparse file" us $us {} \
	    map-1m "no 8 GiB sparse file here"
    }
}

# Resident memory of a fresh tclsh that maps the 8 GiB sparse file and
# reads one byte in its middle: growth after the mapping, and after the
# touch, from /proc/self/status, file-backed (RssFile: the mapping's own
# pages) and in all (VmRSS, with the interpreter's heap).  Each repetition
# is a new process; the figure is the median.

proc ::bench::Rss {} {
    variable cfg
    variable work
    set w "resident memory, 8 GiB sparse map"
    Say "$w (KiB)"
    set sparse [file join $work sparse.bin]
    set note "no 8 GiB sparse file here"
    set samples {}
    if {$::bench::sparseOk} {
	set script [file join $work rss.tcl]
	lappend ::bench::files $script
	set f [open $script w]
	puts $f [list set auto_path $::auto_path]
	puts $f {
	    package require mmap
	    proc rss {} {
		set f [open /proc/self/status]
		set status [read $f]
		close $f
		regexp -line {^VmRSS:\s+(\d+)} $status -> all
		regexp -line {^RssFile:\s+(\d+)} $status -> file
		list $file $all
	    }
	    set f [open [lindex $argv 0] rb]
	    lassign [rss] file0 all0
	    set m [mmap $f]
	    close $f
	    lassign [rss] file1 all1
	    mmap::pread $m [expr {4 * 2**30}] 1
	    lassign [rss] file2 all2
	    close $m
	    puts [list [expr {$file1 - $file0}] [expr {$all1 - $all0}] \
		[expr {$file2 - $file0}] [expr {$all2 - $all0}]]
	}
	close $f
	for {set i 0} {$i < [dict get $cfg reps]} {incr i} {
	    if {[catch {exec [info nameofexecutable] $script $sparse} out]} {
		set note [lindex [split $out \n] 0]
		set samples {}
		break
	    }
	    lappend samples $out
	}
    }
    foreach {id label index} {
	rss-map-file {growth after mapping it: file-backed} 0
	rss-map {growth after mapping it: all} 1
	rss-touch {growth after reading one byte at 4 GiB: file-backed} 2
	rss-touch-all {growth after reading one byte at 4 GiB: all} 3
    } {
	set values {}
	foreach sample $samples {
	    lappend values [lindex $sample $index]
	}
	Row $id $w $label KiB 1 \
	    [expr {[llength $values] ? [list values $values] : ""}] {} $note
    }
}

# # ## ### ##### ######## ############# #####################
## Formatting helpers

proc ::bench::Size {bytes} {
    foreach {unit factor} {GiB 1073741824 MiB 1048576 KiB 1024} {
	if {$bytes >= $factor && $bytes % $factor == 0} {
	    return "[expr {$bytes / $factor}] $unit"
	}
    }
    if {$bytes >= 1048576} {
	return [format "%.0f MiB" [expr {$bytes / 1048576.0}]]
    }
    return "$bytes bytes"
}

proc ::bench::Bs {bytes} {
    string map {{ } {}} [string map {KiB k MiB m} [Size $bytes]]
}

proc ::bench::Count {n} {
    if {$n >= 1000000 && $n % 1000000 == 0} {
	return "[expr {$n / 1000000}]M"
    }
    if {$n >= 1000 && $n % 1000 == 0} {
	return "[expr {$n / 1000}]k"
    }
    return $n
}

# ::bench::Machine --
#
#	What the figures were measured on.

proc ::bench::Machine {} {
    set cpu unknown
    set cores 0
    if {![catch {open /proc/cpuinfo} f]} {
	foreach line [split [read $f] \n] {
	    if {[regexp {^model name\s*:\s*(.*)$} $line -> name]} {
		set cpu $name
		incr cores
	    }
	}
	close $f
    }
    set memory unknown
    if {![catch {open /proc/meminfo} f]} {
	if {[regexp -line {^MemTotal:\s+(\d+)} [read $f] -> kib]} {
	    set memory [format "%.1f GiB" [expr {$kib / 1048576.0}]]
	}
	close $f
    }
    set kernel "$::tcl_platform(os) $::tcl_platform(osVersion)\
	$::tcl_platform(machine)"
    set thp unknown
    catch {
	set f [open /sys/kernel/mm/transparent_hugepage/enabled]
	set thp [string trim [read $f]]
	close $f
    }
    set load unknown
    catch {
	set f [open /proc/loadavg]
	set load [join [lrange [read $f] 0 2] " "]
	close $f
    }
    set gcc none
    catch {set gcc [lindex [split [exec gcc --version] \n] 0]}
    set python none
    catch {set python [exec python3 --version 2>@1]}
    set memchan none
    catch {set memchan "Memchan [package require Memchan]"}
    dict create cpu $cpu cores $cores memory $memory kernel $kernel \
	tcl [info patchlevel] thp $thp load $load gcc $gcc python $python \
	memchan $memchan mmap [package present mmap] \
	date [clock format [clock seconds] -format "%Y-%m-%d %H:%M UTC" \
	    -gmt 1]
}

if {[info exists argv0] && [file normalize $argv0] eq
	[file normalize [info script]]} {
    ::bench::Main $argv
}
