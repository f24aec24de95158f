# cmdhelpers.tcl --
#
#	Helpers of tests/commands.test: error outcomes spelled out once,
#	child processes that load the same mmap package as the test, and
#	system call traces.  The helpers commands.test shares with the other
#	test files (mt::tempFile, mt::readFile, mt::mapFile, mt::outcome, ...)
#	are in helpers.tcl, sourced from here.
#
#	Sourced by commands.test.  Its child scripts get caught and mark
#	from childHeader.

source [file join [file dirname [file normalize [info script]]] helpers.tcl]

namespace eval ::cmdtest {
    namespace export caught cleanupMaps runChild spawnChild collect \
	truncateFile zeros allBytes le64 le32 childHeader wrongArgs \
	rangeError readOnlyError alignError protectedError truncatedError \
	systemError traceChild mark
}

# caught script ?chan ...? --
#
#	mt::outcome under the short name the tests use: {0 result} or {code
#	message errorCode} of script, run in the caller's scope, with every
#	channel name given replaced by "mmapN".

proc ::cmdtest::caught {script args} {
    tailcall ::mt::outcome $script {*}$args
}

# le64/le32 path offset --
#
#	The little-endian signed integer at offset of a file, as binary scan
#	w/i reads it through a plain channel.

proc ::cmdtest::le64 {path offset} {
    binary scan [::mt::readFile $path $offset 8] w value
    return $value
}

proc ::cmdtest::le32 {path offset} {
    binary scan [::mt::readFile $path $offset 4] i value
    return $value
}

# cleanupMaps --
#
#	Closes every mmap channel of the interpreter, deletes the files made
#	by mt::tempFile.

proc ::cmdtest::cleanupMaps {} {
    foreach chan [chan names mmap*] {
	close $chan
    }
    ::mt::cleanFiles
}

# zeros n, allBytes --
#
#	n NUL bytes; the 256 byte values in order.

proc ::cmdtest::zeros {n} {
    return [string repeat \0 $n]
}

proc ::cmdtest::allBytes {} {
    set values {}
    for {set i 0} {$i < 256} {incr i} {
	lappend values $i
    }
    return [binary format c* $values]
}

# childHeader --
#
#	The start of every child script: the test's auto_path (so the child
#	loads the very package under test), mmap, and the helpers a child
#	script uses: caught (with the mt procs behind it), mark and
#	truncateFile, by their definitions, so that the child loads neither
#	tcltest nor the probes of helpers.tcl.

proc ::cmdtest::childHeader {} {
    set lines [list [list set ::auto_path $::auto_path] \
	[list package require mmap] [list namespace eval ::mt {}] \
	[list namespace eval ::cmdtest {
	    namespace export caught mark truncateFile}]]
    foreach cmd {::mt::normalize ::mt::outcome ::cmdtest::caught
	    ::cmdtest::mark ::cmdtest::truncateFile} {
	lappend lines [list proc $cmd [info args $cmd] [info body $cmd]]
    }
    lappend lines [list namespace import ::cmdtest::*]
    return [join $lines \n]\n
}

# runChild script ?prefix? --
#
#	Runs script in a new tclsh (after childHeader) and returns what it
#	printed on stdout and stderr.  exec raises an error if the child
#	dies of a signal or exits non-zero, which fails the test.  prefix is
#	a command put before tclsh (e.g. prlimit ...).

proc ::cmdtest::runChild {script {prefix {}}} {
    set path [::mt::tempFile "[childHeader]$script"]
    return [exec {*}$prefix [info nameofexecutable] $path 2>@1]
}

# spawnChild script --
#
#	Starts script in a new tclsh (after childHeader) without waiting;
#	returns a pipe to read its output from.

proc ::cmdtest::spawnChild {script} {
    set path [::mt::tempFile "[childHeader]$script"]
    return [open |[list [info nameofexecutable] $path 2>@1] r]
}

# collect pipes --
#
#	Waits for the children of spawnChild: reads each pipe to EOF and
#	closes it (an error if the child failed).  Returns their outputs.

proc ::cmdtest::collect {pipes} {
    set outputs {}
    foreach pipe $pipes {
	lappend outputs [string trimright [read $pipe] \n]
	close $pipe
    }
    return $outputs
}

# truncateFile path size --
#
#	Sets the size of a file from another process, as a foreign
#	truncation of a mapped file happens.

proc ::cmdtest::truncateFile {path size} {
    exec [info nameofexecutable] << [list apply {{path size} {
	set f [open $path r+]
	chan truncate $f $size
	close $f
    }} $path $size]
    return
}

# wrongArgs, rangeError, ... --
#
#	The outcome (as caught reports it) of the errors that tests expect
#	again and again, spelled out once: the exact message and errorCode.

proc ::cmdtest::wrongArgs {usage} {
    list 1 "wrong # args: should be \"$usage\"" {TCL WRONGARGS}
}

proc ::cmdtest::rangeError {offset count length} {
    list 1 "range $offset+$count is outside the $length bytes of \"mmapN\"" \
	{MMAP RANGE}
}

proc ::cmdtest::readOnlyError {} {
    list 1 {channel "mmapN" is read-only} {MMAP MODE}
}

proc ::cmdtest::alignError {offset width} {
    list 1 "offset $offset is not aligned to [expr {$width / 8}] bytes" \
	{MMAP ALIGN}
}

proc ::cmdtest::protectedError {verb offset} {
    list 1 "error $verb \"mmapN\": offset $offset is in a protected page" \
	[list MMAP PROTECTED mmapN $offset]
}

proc ::cmdtest::truncatedError {verb offset} {
    list 1 "error $verb \"mmapN\": the file is truncated: no data at\
	offset $offset" [list MMAP TRUNCATED mmapN $offset]
}

# systemError subject errno --
#
#	The outcome of a system call's failure with the errno named (ENOMEM,
#	EBUSY, ...), as Tcl_PosixError reports it: "couldn't <subject>:
#	<Tcl's text for the errno>" and {POSIX <errno> <that text>}.  The
#	texts are the running Tcl's (mt::posixError): Tcl 9 words them as
#	strerror does.

proc ::cmdtest::systemError {subject errno} {
    list 1 "couldn't $subject: [::mt::errnoMsg $errno]" \
	[::mt::posixError $errno]
}

# traceChild script calls --
#
#	Runs script in a new tclsh (after childHeader) under strace, tracing
#	the system calls named in calls.  Returns what the script did after
#	it loaded mmap, in order: {mark TEXT} for each line TEXT the script
#	wrote to stdout, {call NAME ADDRESS LENGTH FLAGS} for each successful
#	traced call (ADDRESS as an integer, FLAGS as strace spells them).

proc ::cmdtest::traceChild {script calls} {
    set trace [::mt::tempFile]
    set path [::mt::tempFile "[childHeader]mark BEGIN\n$script"]
    exec strace -o $trace -e trace=[join [linsert $calls 0 write] ,] \
	[info nameofexecutable] $path
    set events {}
    set begun 0
    foreach line [split [::mt::readFile $trace] \n] {
	if {[regexp {^write\(1, "([^"\\]*)\\n"} $line -> text]} {
	    if {$begun} {
		lappend events [list mark $text]
	    }
	    set begun [expr {$begun || $text eq "BEGIN"}]
	} elseif {$begun && [regexp \
		{^(\w+)\((0x[0-9a-f]+), (\d+)(?:, ([A-Z_|]+))?\) += 0$} \
		$line -> name address length flags]} {
	    lappend events [list call $name [expr {$address}] $length $flags]
	}
    }
    return $events
}

# mark text --
#
#	In a traceChild script: a line on stdout, written at once, that
#	shows up in the trace between the calls before and after it.

proc ::cmdtest::mark {text} {
    puts $text
    flush stdout
}
