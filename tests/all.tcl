# all.tcl -- run the mmap test suite.
#
#   tclsh tests/all.tcl ?-file globs? ?-notfile globs? ?-lib dir?
#                       ?-tclsh command? ?tcltest-option value ...?
#
# Runs each tests/*.test (or those -file selects and -notfile does not)
# in a fresh tclsh of its own, so that a crash, a leaked channel or a
# changed signal handler in one file cannot touch another, with
#
#   - -lib (default: lib/ beside tests/) first on auto_path, through
#     TCLLIBPATH, so that `package require mmap` loads the build;
#   - the remaining options handed to tcltest through TCLTEST_OPTIONS,
#     which tcltest reads when it loads, whatever the test file then
#     does with its argv (e.g. -match, -skip, -verbose, -constraints);
#   - a private temporary directory as working and -tmpdir directory,
#     so that files a test makes never land in the source tree.
#
# -tclsh is the command that runs a test file (default: this tclsh); a
# wrapper such as {valgrind --error-exitcode=99 tclsh} works.
#
# Every file's tcltest totals line is echoed with the rest of its
# output. The last line is always the verdict,
#
#   N passed, N failed, N skipped
#
# and the exit status is 0 exactly when N failed is 0. A test file that
# crashes, exits non-zero without failed tests, or never prints its
# totals counts as one failure; so does an error of this script itself.

package require Tcl 8.6-

namespace eval ::all {
    variable here [file dirname [file normalize [info script]]]
    variable top  [file dirname $here]

    # Totals over all files, and the skips per constraint.
    variable passed  0
    variable failed  0
    variable skipped 0
    variable because {}
    variable failing {}
}

# ::all::Main --
#
#	Run the suite as the command line asks.
#
# Results:
#	None. Exits with the verdict.

proc ::all::Main {argv} {
    variable here

    if {[catch {Configure $argv} config]} {
        Abort $config
    }
    dict with config {}

    set files [Select $here $patterns $nopatterns]
    if {![llength $files]} {
        Abort "no test files in [file join $here *.test] match\
            -file {$patterns} -notfile {$nopatterns}"
    }
    if {[catch {Preflight $lib} msg]} {
        Abort $msg
    }

    set scratch [TempDir]
    try {
        foreach file $files {
            set tmp [file join $scratch [file rootname [file tail $file]]]
            file mkdir $tmp
            RunFile $file $lib $tclsh $tmp $forward
        }
    } finally {
        file delete -force $scratch
    }
    Verdict
}

# ::all::Configure --
#
#	Split the command line into this script's options and tcltest's.
#
# Results:
#	A dict: patterns, nopatterns, lib, tclsh, forward (the options
#	for tcltest).

proc ::all::Configure {argv} {
    variable top
    if {[llength $argv] % 2} {
        error "options must come in pairs: -option value ..."
    }
    set config [dict create patterns *.test nopatterns {} \
        lib [file join $top [expr {[package vsatisfies [info patchlevel] 9-]
            ? "lib-tcl9" : "lib"}]] tclsh [list [info nameofexecutable]] \
        forward {}]
    foreach {option value} $argv {
        switch -exact -- $option {
            -file    { dict set config patterns $value }
            -notfile { dict set config nopatterns $value }
            -lib     { dict set config lib [file normalize $value] }
            -tclsh   { dict set config tclsh $value }
            default  { dict lappend config forward $option $value }
        }
    }

    # Check tcltest's options here, once, instead of letting every child
    # warn about them and carry on.
    set i [interp create]
    try {
        $i eval {package require tcltest 2}
        $i eval [list ::tcltest::configure {*}[dict get $config forward]]
    } finally {
        interp delete $i
    }
    return $config
}

# ::all::Select --
#
#	The test files to run, sorted.

proc ::all::Select {dir patterns nopatterns} {
    set result {}
    foreach pattern $patterns {
        foreach file [glob -nocomplain -directory $dir -types f $pattern] {
            set skip 0
            foreach no $nopatterns {
                if {[string match $no [file tail $file]]} {
                    set skip 1
                }
            }
            if {!$skip && [file extension $file] eq ".test"} {
                lappend result $file
            }
        }
    }
    return [lsort -unique $result]
}

# ::all::Preflight --
#
#	Make sure `package require mmap` in a child will load the package
#	in lib. Tcl picks the highest version on all of auto_path, so an
#	installed newer copy would silently be tested instead.

proc ::all::Preflight {lib} {
    if {![file isdirectory $lib]} {
        error "no $lib: build first (tclsh build.tcl build)"
    }
    set i [interp create]
    try {
        $i eval [list set ::auto_path [linsert [$i eval {set ::auto_path}] \
            0 $lib]]
        # Any unknown package makes Tcl read every pkgIndex.tcl.
        $i eval {catch {package require mmap-all.tcl-no-such-package}}
        set versions [$i eval {package versions mmap}]
        if {![llength $versions]} {
            error "no mmap package in $lib: build first\
                (tclsh build.tcl build)"
        }
        set newest [lindex [lsort -command {package vcompare} $versions] end]
        set script [$i eval [list package ifneeded mmap $newest]]
    } finally {
        interp delete $i
    }
    if {[string first [file join $lib mmap] $script] < 0} {
        error "`package require mmap` would load mmap $newest from\
            outside $lib (an installed copy?); uninstall it, or build a\
            newer version"
    }
    return
}

# ::all::RunFile --
#
#	Run one test file in a fresh interpreter, echo its output, and add
#	its totals to the suite's.

proc ::all::RunFile {file lib tclsh tmp forward} {
    variable passed
    variable failed
    variable skipped
    variable because
    variable failing
    global env

    set name [file tail $file]
    set saved {}
    foreach var {TCLLIBPATH TCLTEST_OPTIONS} {
        if {[info exists env($var)]} {
            dict set saved $var $env($var)
        }
    }
    set env(TCLLIBPATH) [linsert [Get env(TCLLIBPATH)] 0 $lib]
    set options [Get env(TCLTEST_OPTIONS)]
    if {"-tmpdir" ni $forward} {
        lappend options -tmpdir $tmp
    }
    set env(TCLTEST_OPTIONS) [concat $options $forward]
    set cwd [pwd]
    cd $tmp
    try {
        # A test file that hangs (a deadlocked thread, a child that never
        # exits) is killed after MMAP_TEST_TIMEOUT seconds (default 900)
        # and counts as broken, rather than holding up the run, and CI,
        # for ever.
        set limit [expr {[info exists env(MMAP_TEST_TIMEOUT)]
            ? $env(MMAP_TEST_TIMEOUT) : 900}]
        set guard {}
        if {[auto_execok timeout] ne ""} {
            set guard [list timeout -s KILL $limit]
        }
        set fail [catch {open |[list {*}$guard {*}$tclsh $file 2>@1] r} \
            chan]
    } finally {
        cd $cwd
        foreach var {TCLLIBPATH TCLTEST_OPTIONS} {
            if {[dict exists $saved $var]} {
                set env($var) [dict get $saved $var]
            } else {
                unset env($var)
            }
        }
    }
    if {$fail} {
        Broken $name "cannot run it: $chan"
        return
    }

    # tcltest's cleanupTests prints "<file>:\tTotal\tN\tPassed\tN..."
    set totalsRE {^(\S+):\tTotal\t(\d+)\tPassed\t(\d+)\tSkipped\t(\d+)}
    append totalsRE {\tFailed\t(\d+)$}

    set totals {}
    set inSkips 0
    set skips {}
    while {[gets $chan line] >= 0} {
        puts $line
        if {[regexp $totalsRE $line -> who total p s f] && $who eq $name} {
            set totals [list $p $f $s]
            set skips {}
            continue
        }
        if {$line eq "Number of tests skipped for each constraint:"} {
            set inSkips 1
            continue
        }
        if {$inSkips && [regexp {^\t(\d+)\t(.+)$} $line -> n constraint]} {
            dict incr skips $constraint $n
            continue
        }
        set inSkips 0
    }
    flush stdout
    set status 0
    set death ""
    if {[catch {close $chan} msg opts]} {
        set code [dict get $opts -errorcode]
        switch -- [lindex $code 0] {
            CHILDSTATUS { set status [lindex $code 2] }
            CHILDKILLED { set death "killed by [lindex $code 2]" }
            default     { set death $msg }
        }
    }

    if {![llength $totals]} {
        if {$death eq ""} {
            set death "exit status $status"
        }
        Broken $name "$death, before printing its totals"
        return
    }
    lassign $totals p f s
    incr passed  $p
    incr failed  $f
    incr skipped $s
    dict for {constraint n} $skips {
        dict incr because $constraint $n
    }
    if {$f} {
        lappend failing $name
    }
    if {$death ne ""} {
        Broken $name $death
    } elseif {$status && !$f} {
        Broken $name "exit status $status with no failed test"
    }
    return
}

# ::all::Broken --
#
#	A test file that did not run to its end: say so at once (its
#	output is just above), and count it as one failure.

proc ::all::Broken {name why} {
    variable failed
    variable failing
    puts "$name: CRASHED ($why); counted as 1 failure"
    incr failed
    if {$name ni $failing} {
        lappend failing $name
    }
    return
}

# ::all::Abort --
#
#	This script cannot run the suite: report it as one failure.

proc ::all::Abort {msg} {
    variable failed
    puts "all.tcl: error: $msg"
    incr failed
    Verdict
}

# ::all::Verdict --
#
#	Print the summary, the verdict as the last line, and exit.

proc ::all::Verdict {} {
    variable passed
    variable failed
    variable skipped
    variable because
    variable failing
    if {[dict size $because]} {
        puts "Tests skipped per constraint:"
        foreach constraint [lsort [dict keys $because]] {
            puts "\t[dict get $because $constraint]\t$constraint"
        }
    }
    if {[llength $failing]} {
        puts "Files with failures: [join $failing { }]"
    }
    puts "$passed passed, $failed failed, $skipped skipped"
    flush stdout
    exit [expr {$failed ? 1 : 0}]
}

proc ::all::Get {varName} {
    upvar #0 $varName var
    if {[info exists var]} {
        return $var
    }
    return {}
}

# ::all::TempDir --
#
#	A new private directory (Tcl 8.6 has no [file tempdir]).

proc ::all::TempDir {} {
    set base [Get ::env(TMPDIR)]
    if {$base eq "" || ![file isdirectory $base]} {
        set base /tmp
    }
    for {set n 0} {$n < 100} {incr n} {
        set dir [file join $base mmap-tests-[pid]-[clock clicks]-$n]
        if {![file exists $dir]} {
            file mkdir $dir
            file attributes $dir -permissions 0700
            return $dir
        }
    }
    error "cannot make a temporary directory in $base"
}

::all::Main $argv
