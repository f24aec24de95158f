# helpers.tcl --
#
#	Helpers shared by the test files: temporary files with exact bytes,
#	reading a file's bytes back, the process's resources (channels,
#	descriptors, mappings) for leak checks, running a script in a second
#	tclsh, outcomes with channel names made predictable, a C compiler and
#	the paths it needs, and the constraints the test files share.
#
#	Sourced by every test file, directly or through cmdhelpers.tcl
#	(commands.test) and harden.tcl (the fault-safety tests):
#	    source [file join [file dirname [info script]] helpers.tcl]

package require tcltest 2

# Run standalone (tclsh tests/x.test) the package may not be on auto_path;
# tests/all.tcl and TCLLIBPATH put the build first, so ../lib only goes last
# (../lib-tcl9 under Tcl 9: build.tcl builds there for it).
apply {{} {
    set lib [file normalize [file join [file dirname [info script]] .. \
	[expr {[package vsatisfies [info patchlevel] 9-] ? "lib-tcl9" : "lib"}]]]
    if {[lsearch -exact $::auto_path $lib] < 0} {
	lappend ::auto_path $lib
    }
}}

namespace eval ::mt {
    variable created {}
    variable counter 0
}

# mt::makeFile --
#	Writes exactly the bytes given (no newline added, unlike
#	tcltest::makeFile) to a file in the temporary directory.  Returns the
#	file's full path; mt::cleanFiles deletes every file made so.

proc ::mt::makeFile {name bytes} {
    variable created
    set path [file join [::tcltest::temporaryDirectory] $name]
    set f [open $path w]
    fconfigure $f -translation binary
    puts -nonewline $f $bytes
    close $f
    if {$path ni $created} {
	lappend created $path
    }
    return $path
}

# mt::tempPath --
#	A path in the temporary directory, registered for mt::cleanFiles but
#	not created.

proc ::mt::tempPath {name} {
    variable created
    set path [file join [::tcltest::temporaryDirectory] $name]
    file delete $path
    if {$path ni $created} {
	lappend created $path
    }
    return $path
}

# mt::tempFile ?bytes? --
#	A new file with a fresh name in the temporary directory holding
#	bytes; returns its path.  mt::cleanFiles deletes it.

proc ::mt::tempFile {{bytes ""}} {
    variable created
    variable counter
    set path [file join [::tcltest::temporaryDirectory] \
	mt-[pid]-[incr counter].bin]
    set f [open $path wb]
    puts -nonewline $f $bytes
    close $f
    lappend created $path
    return $path
}

proc ::mt::cleanFiles {} {
    variable created
    foreach path $created {
	file delete -force $path
    }
    set created {}
}

# mt::readFile --
#	The bytes of a file (through a fresh channel, not a mapping), or
#	"count" bytes at "offset".

proc ::mt::readFile {path {offset 0} {count -1}} {
    set f [open $path r]
    fconfigure $f -translation binary
    seek $f $offset
    if {$count < 0} {
	set data [read $f]
    } else {
	set data [read $f $count]
    }
    close $f
    return $data
}

# mt::pattern --
#	n bytes whose value at index i is (i + seed) mod 251: a prime period,
#	so that no two page-aligned windows of the file look alike.

proc ::mt::pattern {n {seed 0}} {
    set bytes {}
    for {set i 0} {$i < $n} {incr i} {
	lappend bytes [expr {($i + $seed) % 251}]
    }
    return [binary format c* $bytes]
}

# mt::hex --
#	A byte string as hex, for readable expected results.

proc ::mt::hex {bytes} {
    binary scan $bytes H* h
    return $h
}

# mt::mapFile --
#	Opens path with access mode "mode", maps it with the options given,
#	closes the source channel and returns the map.

proc ::mt::mapFile {path mode args} {
    set f [open $path $mode]
    try {
	return [mmap {*}$args $f]
    } finally {
	close $f
    }
}

# mt::fdCount, mt::mapsLines, mt::resources --
#	Open descriptors (/proc/self/fd) and mappings (/proc/self/maps) of
#	this process, and both with the channel names, for leak checks.
#	glob does not hold a descriptor open, and the maps count is taken
#	after its own channel is closed, so neither counts itself.

proc ::mt::fdCount {} {
    llength [glob -nocomplain -directory /proc/self/fd *]
}

proc ::mt::mapsLines {} {
    set f [open /proc/self/maps r]
    set lines [split [string trimright [read $f] \n] \n]
    close $f
    return $lines
}

proc ::mt::resources {} {
    if {[instrumented]} {
	return [list [lsort [chan names]] [fdCount] *]
    }
    list [lsort [chan names]] [fdCount] [llength [mapsLines]]
}

# mt::instrumented --
#	Whether this tclsh runs under AddressSanitizer or valgrind (tclsh
#	build.tcl check), whose allocators map memory as they go: there the
#	count of mappings is not ours to compare, and mt::resources reports
#	"*" for it (tests still check the mappings of their own files).

proc ::mt::instrumented {} {
    expr {[info exists ::env(LD_PRELOAD)]
	&& [regexp {libasan|vgpreload} $::env(LD_PRELOAD)]}
}

# mt::smaps --
#	The fields of /proc/self/smaps (Rss, VmFlags, ...) for the first
#	mapping of the file at path, as a dict; empty if it is not mapped.

proc ::mt::smaps {path} {
    set f [open /proc/self/smaps r]
    set lines [split [read $f] \n]
    close $f
    set fields {}
    set inside 0
    foreach line $lines {
	if {[regexp {^[0-9a-f]+-[0-9a-f]+ } $line]} {
	    if {[dict size $fields]} {
		break
	    }
	    set inside [string match "* [file normalize $path]" $line]
	} elseif {$inside && [regexp {^(\w+):\s*(.*)$} $line -> key value]} {
	    dict set fields $key [string trim $value]
	}
    }
    return $fields
}

# mt::childRun --
#	Runs a script in a second tclsh that finds the same mmap package, and
#	returns its standard output.

proc ::mt::childRun {script} {
    set path [tempPath child-[pid]-[incr ::mt::childCount].tcl]
    set f [open $path w]
    puts $f [list set ::auto_path $::auto_path]
    puts $f $script
    close $f
    try {
	return [exec [info nameofexecutable] $path]
    } finally {
	file delete $path
    }
}

# mt::normalize, mt::outcome --
#	mt::normalize: text with each channel name given replaced by "mmapN"
#	(names are numbered process-wide, so a test cannot know them in
#	advance; a wrong name stays visible).  mt::outcome: {0 result} or
#	{code message errorCode} of script, run in the caller's scope, with
#	the channels named normalized.

proc ::mt::normalize {text args} {
    foreach chan $args {
	regsub -all "\\m$chan\\M" $text mmapN text
    }
    return $text
}

proc ::mt::outcome {script args} {
    set code [catch {uplevel 1 $script} msg opts]
    if {$code == 0} {
	set result [list 0 $msg]
    } else {
	set result [list $code $msg [dict get $opts -errorcode]]
    }
    return [normalize $result {*}$args]
}

# mt::errorOf, mt::masked --
#	Channel numbers vary, so tests state messages about channels with
#	placeholders: "mapping" is a list {name placeholder ...}, and every
#	name quoted in the message ("mmap7" -> "mmapN") and every errorCode
#	word equal to a name is replaced.
#
#	mt::errorOf runs a script in the caller's scope and returns {code
#	message errorCode}, for tests that check an error among other
#	results.  mt::masked runs a script and raises its error again,
#	masked, for tests with -returnCodes error -errorCode ... -result.

proc ::mt::errorOf {script {mapping {}}} {
    set code [catch {uplevel 1 $script} msg opts]
    if {$code == 1} {
	return [list $code {*}[Mask $mapping $msg [dict get $opts -errorcode]]]
    }
    return [list $code $msg]
}

proc ::mt::masked {mapping script} {
    set code [catch {uplevel 1 $script} msg opts]
    if {$code != 1} {
	return -code $code $msg
    }
    lassign [Mask $mapping $msg [dict get $opts -errorcode]] msg errorCode
    return -code error -errorcode $errorCode $msg
}

proc ::mt::Mask {mapping msg errorCode} {
    set quoted {}
    foreach {name placeholder} $mapping {
	lappend quoted "\"$name\"" "\"$placeholder\""
    }
    set masked {}
    foreach word $errorCode {
	if {[dict exists $mapping $word]} {
	    set word [dict get $mapping $word]
	}
	lappend masked $word
    }
    list [string map $quoted $msg] $masked
}

# mt::circleWrite --
#	The model of a cyclic write: "data" written byte by byte at pos,
#	pos+1, ... modulo the length of "bytes".  Returns the new bytes and
#	the position after the write.

proc ::mt::circleWrite {bytes pos data} {
    set length [string length $bytes]
    set out [split $bytes ""]
    set i $pos
    foreach c [split $data ""] {
	lset out [expr {$i % $length}] $c
	incr i
    }
    return [list [join $out ""] [expr {$i % $length}]]
}

# mt::waitFor --
#	Enters the event loop until the global variable named varName is set
#	(or changes), but for at most "ms" milliseconds, so that a missing
#	event fails the test instead of hanging it.  Returns 1 when the
#	variable was set, 0 on timeout.

proc ::mt::waitFor {varName {ms 2000}} {
    set ::mt::timeout 0
    set id [after $ms {set ::mt::timeout 1}]
    trace add variable ::$varName write ::mt::Wake
    trace add variable ::mt::timeout write ::mt::Wake
    vwait ::mt::wake
    trace remove variable ::$varName write ::mt::Wake
    trace remove variable ::mt::timeout write ::mt::Wake
    after cancel $id
    return [expr {!$::mt::timeout}]
}

proc ::mt::Wake {args} {
    set ::mt::wake 1
}

# # ## ### ##### ######## What the running Tcl says

# mt::posixError name, mt::errnoMsg name --
#	The errorCode, {POSIX ENOMEM {not enough memory}}, and the message,
#	"not enough memory", that Tcl_PosixError gives a failure with the
#	errno named (ENOMEM, EBUSY, EIO, ...).  The texts are Tcl's own and
#	differ between versions (Tcl 9 uses strerror's words: "cannot
#	allocate memory"), so they are taken from the running Tcl: a
#	reflected channel whose read fails with each errno in turn (a
#	handler's error "-N" is errno N to the channel layer), the first
#	whose errorCode names the errno wins.  An errno Tcl does not know is
#	an error, so that a test cannot expect a placeholder.

proc ::mt::posixError {name} {
    variable posixErrors
    if {![info exists posixErrors]} {
	set posixErrors {}
	set chan [chan create read ::mt::FailingRead]
	try {
	    fconfigure $chan -translation binary
	    for {set ::mt::errno 1} {$::mt::errno < 256} {incr ::mt::errno} {
		# EAGAIN is not an error to the channel layer: read returns
		# nothing.
		if {[catch {read $chan 1} msg options]} {
		    set code [dict get $options -errorcode]
		    if {[lindex $code 0] eq "POSIX"
			    && ![dict exists $posixErrors [lindex $code 1]]} {
			dict set posixErrors [lindex $code 1] $code
		    }
		}
	    }
	} finally {
	    close $chan
	    unset ::mt::errno
	}
    }
    if {![dict exists $posixErrors $name]} {
	error "Tcl reports no POSIX error named \"$name\""
    }
    return [dict get $posixErrors $name]
}

proc ::mt::errnoMsg {name} {
    lindex [posixError $name] 2
}

namespace eval ::mt::FailingRead {
    namespace export initialize finalize watch read
    namespace ensemble create
    proc initialize {chan mode} {
	return {initialize finalize watch read}
    }
    proc finalize {chan} {}
    proc watch {chan events} {}
    proc read {chan count} {
	error -$::mt::errno
    }
}

# mt::genericOptions --
#	The options of every Tcl channel, in the order fconfigure lists them
#	(Tcl 9 adds -profile): those of a reflected channel, which has no
#	options of its own.

proc ::mt::genericOptions {} {
    set chan [chan create read ::mt::FailingRead]
    try {
	return [dict keys [fconfigure $chan]]
    } finally {
	close $chan
    }
}

# mt::badOption option driverOptions --
#	Tcl's message for an unknown option given to fconfigure of a channel
#	whose driver has the options listed (Tcl_BadChannelOption): the
#	generic options, then the driver's, "or" before the last.  It is
#	checked against Tcl's own message for a channel without driver
#	options, so that a change in Tcl's wording shows here rather than as
#	a package bug.

proc ::mt::badOption {option driverOptions} {
    set generic [genericOptions]
    set chan [chan create read ::mt::FailingRead]
    try {
	catch {fconfigure $chan $option} tclsays
    } finally {
	close $chan
    }
    if {$tclsays ne [BadOption $option $generic]} {
	error "Tcl's own message \"$tclsays\" is not of the form expected:\
	    update mt::badOption"
    }
    return [BadOption $option [concat $generic $driverOptions]]
}

proc ::mt::BadOption {option options} {
    set last [lindex $options end]
    set list [join [lrange $options 0 end-1] ", "]
    return "bad option \"$option\": should be one of $list, or $last"
}

# mt::bytesError value --
#	{message errorCode} of the error for a value that is not a byte
#	string (a character above U+00FF), as DESIGN.md gives it on both
#	Tcl versions: Tcl 9's form, naming the first such character (Tcl
#	9.0.1's own message quotes the rest of the string from there on; the
#	package words it itself).

proc ::mt::bytesError {value} {
    set i 0
    foreach char [split $value ""] {
	scan $char %c code
	if {$code > 0xFF} {
	    return [list [format "expected byte sequence but character %d\
		was '%s' (U+%06X)" $i $char $code] {TCL VALUE BYTES}]
	}
	incr i
    }
    error "\"$value\" is a byte string"
}

# # ## ### ##### ######## Compilers

# mt::cc --
#	The C compiler the tests use (gcc, else cc), or "".

proc ::mt::cc {} {
    foreach name {gcc cc} {
	if {[auto_execok $name] ne ""} {
	    return [lindex [auto_execok $name] 0]
	}
    }
    return ""
}

# mt::tclInclude --
#	The directory holding this Tcl's tcl.h, or "".

proc ::mt::tclInclude {} {
    set version [info tclversion]
    set candidates [list /usr/include/tcl$version /usr/local/include/tcl$version \
	/usr/include /usr/local/include]
    # tclConfig.sh, where Tcl says where it installed its headers.
    foreach dir [list [file dirname [info library]] \
	    /usr/lib/tcl$version /usr/lib/x86_64-linux-gnu/tcl$version] {
	set config [file join $dir tclConfig.sh]
	if {[file readable $config]} {
	    set f [open $config r]
	    set text [read $f]
	    close $f
	    if {[regexp -line {^TCL_INCLUDE_SPEC='-I([^']*)'} $text -> inc]} {
		set candidates [linsert $candidates 0 $inc]
	    }
	}
    }
    foreach dir $candidates {
	if {[file exists [file join $dir tcl.h]]} {
	    return $dir
	}
    }
    return ""
}

# mt::cleanEnv script --
#	Runs script with the sanitizer runtime taken out of the environment
#	(LD_PRELOAD, ASAN_OPTIONS, UBSAN_OPTIONS), for programs that must run
#	as they would for a user.

proc ::mt::cleanEnv {script} {
    global env
    set saved {}
    foreach var {LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS} {
	if {[info exists env($var)]} {
	    dict set saved $var $env($var)
	    unset env($var)
	}
    }
    try {
	uplevel 1 $script
    } finally {
	dict for {var value} $saved {
	    set env($var) $value
	}
    }
}

# # ## ### ##### ######## Constraints

::tcltest::testConstraint procfs [expr {[file isdirectory /proc/self/fd]
	&& [file readable /proc/self/maps]}]
::tcltest::testConstraint tclx [expr {![catch {package require Tclx}]}]
::tcltest::testConstraint thread [expr {![catch {package require Thread}]}]
::tcltest::testConstraint devzero [expr {[file exists /dev/zero]}]
::tcltest::testConstraint devnull [expr {[file exists /dev/null]}]
::tcltest::testConstraint cc [expr {[::mt::cc] ne ""}]
::tcltest::testConstraint ccTcl [expr {[::mt::cc] ne ""
	&& [::mt::tclInclude] ne ""}]

# sparse64: the temporary directory holds a 5 GiB file that takes (almost)
# no disk space, so the tests beyond 4 GiB can run.

proc ::mt::SparseOk {} {
    set path [file join [::tcltest::temporaryDirectory] sparse-probe-[pid]]
    try {
	set f [open $path w]
	try {
	    chan truncate $f [expr {5 * 2**30}]
	} finally {
	    close $f
	}
	if {[file size $path] != 5 * 2**30} {
	    return 0
	}
	# du reports the blocks actually allocated, in KiB.
	return [expr {[lindex [exec du -k $path] 0] < 1024}]
    } on error {} {
	return 0
    } finally {
	file delete $path
    }
}
::tcltest::testConstraint sparse64 \
	[expr {$::tcl_platform(pointerSize) >= 8 && [::mt::SparseOk]}]
