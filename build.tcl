#!/bin/sh
# -*- tcl -*- \
exec tclsh "$0" ${1+"$@"}

# # ## ### ##### ######## ############# #####################
## build.tcl -- build, test, install and package mmap.
#
#   tclsh build.tcl ?recipe? ?arg ...?      (no recipe: build)
#
# Modelled on critcl's examples/*/build.tcl: every recipe is a pair of
# procedures, H<name> returning its help text and _<name> doing the
# work; `usage` lists whatever pairs exist. To add a recipe (bench,
# check, fuzz, ...) define another pair. Build is the reusable critcl
# step: a sanitizer build is
#
#   Build -target-dir [file join $selfdir lib-asan] \
#       -cflags {-fsanitize=address,undefined -fno-omit-frame-pointer} \
#       -ldflags -fsanitize=address,undefined -debug symbols
#
# (critcl's "-debug symbols" compiles with -g instead of -O2 -DNDEBUG,
# so assert() is live, and does not strip), then tests/all.tcl -lib
# lib-asan with LD_PRELOAD set to [exec gcc -print-file-name=libasan.so]
# (tclsh itself is not instrumented). Add such output directories to
# ::generated, so that `clean` removes them.
#
# Errors the user can act on (a missing Debian package, a bad option)
# are one line on stderr and exit status 1; anything else is a bug in
# this file and prints its stack trace.

# # ## ### ##### ######## ############# #####################
## Requirements

package require Tcl 8.6-

# # ## ### ##### ######## ############# #####################
## Configuration

set selfdir [file dirname [file normalize [info script]]]
set self    [file tail [info script]]

# Where the package is built: lib/ for Tcl 8.6, lib-tcl9/ for Tcl 9, whose
# build does not load into 8.6 (nor the other way round), so that both can
# live in one checkout (see the tcl9 recipe).
set libdir [expr {[package vsatisfies [info patchlevel] 9-]
    ? "lib-tcl9" : "lib"}]

# Build output, relative to selfdir, removed by `clean`. Recipes with
# output directories of their own add them here.
set generated {lib lib-tcl9 .critcl dist}

# # ## ### ##### ######## ############# #####################
## Driver

proc main {} {
    global argv
    set argv [lassign $argv recipe]
    if {$recipe eq ""} {
        set recipe build
    }
    if {[catch {
        if {"_$recipe" ni [info procs _*]} {
            Fail "unknown recipe \"$recipe\": must be [Enumerate [Recipes]]"
        }
        _$recipe {*}$argv
    } msg opts]} {
        if {[dict get $opts -errorcode] eq {BUILD FAIL}} {
            puts stderr "$::self: error: $msg"
        } else {
            puts stderr [dict get $opts -errorinfo]
        }
        exit 1
    }
    exit 0
}

proc usage {{status 1}} {
    set chan [expr {$status ? "stderr" : "stdout"}]
    puts $chan "Usage: tclsh $::self ?recipe? ?arg ...?  (no recipe: build)\n"
    foreach r [Recipes] {
        if {[catch {H$r} help]} {
            set help "?arg ...?"
        }
        # Recipes without arguments have help starting with a newline.
        regsub {^ \n} " $help" \n help
        puts $chan "    $r$help\n"
    }
    exit $status
}

proc Recipes {} {
    set result {}
    foreach p [info procs _*] {
        lappend result [string range $p 1 end]
    }
    return [lsort -dictionary $result]
}

# # ## ### ##### ######## ############# #####################
## Helpers

# Fail --
#
#	Abort the recipe with a message the user can act on. main prints
#	it as one line, without a stack trace.

proc Fail {msg} {
    return -code error -errorcode {BUILD FAIL} $msg
}

proc Say {text} {
    puts stdout $text
    flush stdout
    return
}

# Enumerate --
#
#	"a", "a or b", "a, b, or c", as Tcl's own error messages list
#	choices.

proc Enumerate {words} {
    switch -- [llength $words] {
        0 { return "" }
        1 { return [lindex $words 0] }
        2 { return "[lindex $words 0] or [lindex $words 1]" }
    }
    return "[join [lrange $words 0 end-1] {, }], or [lindex $words end]"
}

# Options --
#
#	Parse a recipe's arguments. spec is a dict from option name to
#	"flag" or "value"; "--name value" and "--name=value" both work.
#	Results: a dict from every option name to its value (0/1 for
#	flags, "" for unset values).

proc Options {spec arguments} {
    set result {}
    dict for {name kind} $spec {
        dict set result $name [expr {$kind eq "flag" ? 0 : ""}]
    }
    while {[llength $arguments]} {
        set arguments [lassign $arguments word]
        set inline [regexp {^(--[^=]+)=(.*)$} $word -> word value]
        if {![dict exists $spec $word]} {
            if {![dict size $spec]} {
                Fail "unexpected argument \"$word\": this recipe takes none"
            }
            Fail "unknown option \"$word\": must be\
                [Enumerate [dict keys $spec]]"
        }
        if {[dict get $spec $word] eq "flag"} {
            if {$inline} {
                Fail "option \"$word\" takes no value"
            }
            dict set result $word 1
            continue
        }
        if {!$inline} {
            if {![llength $arguments]} {
                Fail "option \"$word\" needs a value"
            }
            set arguments [lassign $arguments value]
        }
        dict set result $word $value
    }
    return $result
}

# Require --
#
#	Load a Tcl package (into interp, default this one), or fail naming
#	the Debian package that provides it.

proc Require {pkg debian {interp {}}} {
    if {[catch {interp eval $interp [list package require $pkg]} msg]} {
        Fail "cannot load Tcl package $pkg ([lindex [split $msg \n] 0]):\
            install the Debian package $debian"
    }
    return
}

proc Cat {path} {
    set chan [open $path r]
    fconfigure $chan -encoding utf-8
    set data [read $chan]
    close $chan
    return $data
}

proc WriteFile {path data} {
    set chan [open $path w]
    fconfigure $chan -encoding utf-8
    puts -nonewline $chan $data
    close $chan
    return
}

# Relative --
#
#	A path inside the tree as the user sees it from the top, for
#	messages; other paths unchanged.

proc Relative {path} {
    set path [file normalize $path]
    if {[Inside $path $::selfdir]} {
        return [string range $path [string length $::selfdir/] end]
    }
    return $path
}

# Inside --
#
#	Is path strictly below dir? Both must be normalized.

proc Inside {path dir} {
    string equal -length [string length $dir/] $path $dir/
}

# Walk --
#
#	All plain files below dir, recursively, as paths relative to dir,
#	skipping the relative paths listed in skip (files or whole
#	directories).

proc Walk {dir {skip {}} {sub {}}} {
    set result {}
    foreach path [Entries [file join $dir {*}$sub]] {
        set rel [file join {*}$sub [file tail $path]]
        if {$rel in $skip} continue
        if {[file isdirectory $path]} {
            lappend result {*}[Walk $dir $skip \
                [list {*}$sub [file tail $path]]]
        } else {
            lappend result $rel
        }
    }
    return [lsort $result]
}

# Run --
#
#	Run a program with this process's stdin, stdout and stderr, so that
#	its output streams as it comes.
#
# Results:
#	The program's exit status (1 when a signal killed it).

proc Run {args} {
    if {![catch {exec {*}$args >@ stdout 2>@ stderr} msg opts]} {
        return 0
    }
    set code [dict get $opts -errorcode]
    switch -- [lindex $code 0] {
        CHILDSTATUS {
            return [lindex $code 2]
        }
        CHILDKILLED {
            puts stderr "$::self: [file tail [lindex $args 0]]\
                killed by [lindex $code 2]"
            return 1
        }
    }
    Fail $msg
}

# WithTclLibPath --
#
#	Run script with dir first on TCLLIBPATH, so that a child tclsh
#	finds the packages in it before any installed copy of the same
#	version.

proc WithTclLibPath {dir script} {
    global env
    set had [info exists env(TCLLIBPATH)]
    if {$had} {
        set saved $env(TCLLIBPATH)
        set env(TCLLIBPATH) [linsert $saved 0 $dir]
    } else {
        set env(TCLLIBPATH) [list $dir]
    }
    try {
        uplevel 1 $script
    } finally {
        if {$had} {
            set env(TCLLIBPATH) $saved
        } else {
            unset env(TCLLIBPATH)
        }
    }
}

# # ## ### ##### ######## ############# #####################
## The package: version, sources, and the critcl build

# Version --
#
#	The version is written in one place only: the literal
#	`package provide mmap X.Y` line of mmap.tcl.

proc Version {} {
    set src [file join $::selfdir mmap.tcl]
    if {![file exists $src]} {
        # A fresh tree: the packaging recipes still need a file name.
        return 1.0
    }
    set found [regexp -all -inline -line \
        {^\s*package\s+provide\s+mmap\s+([0-9][0-9.]*)\s*$} [Cat $src]]
    if {[llength $found] != 2} {
        Fail "mmap.tcl must hold exactly one literal\
            \"package provide mmap X.Y\" line, found\
            [expr {[llength $found] / 2}]"
    }
    return [lindex $found 1]
}

# Sources --
#
#	The files a build depends on: mmap.tcl and everything below c/.

proc Sources {} {
    set result [list [file join $::selfdir mmap.tcl]]
    foreach rel [Walk [file join $::selfdir c]] {
        lappend result [file join $::selfdir c $rel]
    }
    return $result
}

# Build --
#
#	Compile mmap.tcl with critcl into TARGET/mmap (default lib/mmap),
#	unless that is already newer than every source and was built with
#	the same settings.
#
#	Build ?-force? ?-target-dir DIR? ?-cache DIR? ?-cflags FLAGS?
#	      ?-ldflags FLAGS? ?--? ?critcl-option ...?
#
#	-cflags and -ldflags are appended to critcl's compile and link
#	commands (critcl reads them from env(CFLAGS) and env(LDFLAGS) when
#	it loads its configuration). The first argument Build does not
#	know, and everything after it, goes to critcl::app as options,
#	e.g. -debug symbols, -keep, -with-<userconfig> value.
#
# Results:
#	The package directory.

proc Build {args} {
    global selfdir env
    set force   0
    set target  [file join $selfdir $::libdir]
    set cache   {}
    set cflags  {}
    set ldflags {}
    while {[llength $args]} {
        set opt [lindex $args 0]
        if {$opt eq "-force"} {
            set force 1
            set args [lrange $args 1 end]
            continue
        }
        if {$opt eq "--"} {
            set args [lrange $args 1 end]
            break
        }
        set vars {-target-dir target -cache cache -cflags cflags
            -ldflags ldflags}
        if {![dict exists $vars $opt]} break
        if {[llength $args] < 2} {
            Fail "Build: option \"$opt\" needs a value"
        }
        set [dict get $vars $opt] [lindex $args 1]
        set args [lrange $args 2 end]
    }
    set target [file normalize $target]
    if {$cache eq ""} {
        set cache [file join $selfdir .critcl [file tail $target]]
    }
    set pkgdir [file join $target mmap]
    set stamp  [file join $target .mmap-build]

    # Everything that makes a build different, so that changing a flag,
    # or adding or removing a file in c/, rebuilds as surely as editing
    # a source.
    set config [list critcl $args cflags $cflags ldflags $ldflags \
        tcl [info patchlevel] sources [Walk [file join $selfdir c]]]
    foreach var {CC CFLAGS LDFLAGS} {
        if {[info exists env($var)]} {
            lappend config $var $env($var)
        }
    }

    if {!$force && [UpToDate $pkgdir $stamp $config]} {
        Say "Up to date: [Relative $pkgdir]\
            (newer than mmap.tcl and c/; build --force rebuilds)"
        return $pkgdir
    }
    set src [file join $selfdir mmap.tcl]
    if {![file exists $src]} {
        Fail "mmap.tcl not found in $selfdir"
    }
    set version [Version]
    set started [clock seconds]

    # critcl appends env(CFLAGS) and env(LDFLAGS) to its commands.
    set flags {}
    foreach {var extra} [list CFLAGS $cflags LDFLAGS $ldflags] {
        if {$extra ne ""} {
            set was [expr {[info exists env($var)] ? $env($var) : ""}]
            dict set flags $var [string trim "$was $extra"]
        }
    }
    WithEnv $flags {
        # critcl makes its -includedir (for exported stubs headers, which
        # mmap has none of) even when empty, by default ./include in
        # whatever directory we run from: keep it in the transient cache.
        Critcl [list -cache $cache -libdir $target \
            -includedir [file join $cache include] {*}$args \
            -pkg mmap $src] [list $pkgdir $stamp $cache]
    }

    if {![file exists [file join $pkgdir pkgIndex.tcl]]} {
        Fail "critcl built no package in [Relative $pkgdir]"
    }
    set built [lindex [split [Cat [file join $pkgdir teapot.txt]] \n] 0]
    if {$built ne "Package mmap $version"} {
        Fail "[Relative $pkgdir]/teapot.txt says \"$built\", but mmap.tcl\
            provides mmap $version"
    }

    # critcl 3.1.18 writes "<<Undefined>>" into license.terms
    # (critcl::license never stores its text), and a working critcl
    # writes only the short text given to critcl::license. The
    # package carries the full terms instead, as Tcl's own do.
    set license [file join $selfdir LICENSE]
    if {[file exists $license]} {
        file copy -force $license [file join $pkgdir license.terms]
    }

    # The stamp carries the time the build started: a source edited
    # while critcl ran is newer, and the next build takes it.
    WriteFile $stamp $config
    file mtime $stamp $started
    Say "Built: [Relative $pkgdir] (mmap $version)"
    return $pkgdir
}

# UpToDate --
#
#	Is the package in pkgdir complete, built with config, and newer
#	than every source? Whole seconds: a source changed in the second
#	the build started counts as newer.

proc UpToDate {pkgdir stamp config} {
    if {![file exists $stamp] || [Cat $stamp] ne $config} {
        return 0
    }
    set shlib mmap[info sharedlibextension]
    if {![file exists [file join $pkgdir pkgIndex.tcl]] ||
        ![llength [glob -nocomplain -directory $pkgdir */$shlib]]} {
        return 0
    }
    set built [file mtime $stamp]
    foreach path [Sources] {
        if {![file exists $path] || [file mtime $path] >= $built} {
            return 0
        }
    }
    return 1
}

# Critcl --
#
#	Run the critcl application in-process on argv, in a child
#	interpreter of its own: critcl::app replaces [package], sources
#	mmap.tcl (which then counts as provided), and keeps its state
#	between runs. A fresh interpreter per build keeps all that out of
#	this one, so that one process can build twice (e.g. a plain and a
#	sanitizer build) or load the result afterwards.
#
#	The paths in clear are deleted once critcl is known to be usable,
#	just before it runs: a failed build must not leave the previous
#	package looking current (critcl writes nothing into the package
#	directory unless everything compiled), while a missing dependency
#	should cost nothing. critcl reports a failed compile itself and
#	exits the process with status 1.

proc Critcl {argv clear} {
    set i [interp create]
    try {
        $i eval [list set ::argv0 $::argv0]
        $i eval [list set ::auto_path $::auto_path]
        Require critcl      critcl $i
        Require cmdline     tcllib $i
        Require critcl::app critcl $i

        # critcl compiles against critcl_c/tclX.Y/ in its own package
        # directory, which Debian links to tcl-dev's /usr/include/tclX.Y.
        if {![catch {$i eval {set ::critcl::v::hdrdir}} hdrdir]} {
            set header [file join $hdrdir tcl[info tclversion] tcl.h]
            if {![file exists $header]} {
                Fail "tcl.h not found (critcl looks for $header):\
                    install the Debian package tcl-dev"
            }
        }
        set cc [lindex [$i eval {critcl::getconfigvalue compile}] 0]
        if {[auto_execok $cc] eq ""} {
            Fail "C compiler \"$cc\" not found: install the Debian\
                package gcc"
        }

        file delete -force {*}$clear

        if {[catch {$i eval [list critcl::app::main $argv]} msg opts]} {
            # Not a compile failure (critcl exits on those) but an error
            # while sourcing mmap.tcl: its trace says where.
            puts stderr [dict get $opts -errorinfo]
            Fail "critcl failed on mmap.tcl: [lindex [split $msg \n] 0]"
        }
    } finally {
        interp delete $i
    }
    return
}

# # ## ### ##### ######## ############# #####################
## Installation paths

# InstallPaths --
#
#	Where install puts things and uninstall removes them, from the
#	--prefix and --dest-dir options.
#
# Results:
#	A dict: pkg (the package directory), man (the man page, or "" if
#	there is no man directory to use), root (install may create
#	directories below it; uninstall removes them again when empty, up
#	to root itself; "" when installing into the system's own
#	directories), where (how the library directory was chosen, ""
#	when --prefix says).

proc InstallPaths {opts} {
    set version [Version]
    set prefix  [dict get $opts --prefix]
    set destdir [dict get $opts --dest-dir]
    if {$prefix ne ""} {
        set prefix [file normalize $prefix]
        set libdir [file join $prefix lib]
        set man    [file join $prefix share man mann mmap.n]
        set root   $prefix
        set where  {}
    } else {
        set libdir [DefaultLibDir [expr {$destdir ne ""}]]
        set prefix [PrefixOf $libdir]
        set man    {}
        if {$prefix ne ""} {
            set man [file join $prefix share man mann mmap.n]
        }
        set root   {}
        set where  "the first package directory on auto_path"
        if {$destdir eq ""} {
            set where "the first writable package directory on auto_path"
        }
    }
    set pkg [file join $libdir mmap$version]
    if {$destdir ne ""} {
        set destdir [file normalize $destdir]
        set pkg  [Stage $destdir $pkg]
        if {$man ne ""} {
            set man [Stage $destdir $man]
        }
        # Everything below the staging directory is install's doing.
        set root $destdir
    }
    return [dict create pkg $pkg man $man root $root where $where]
}

# DefaultLibDir --
#
#	The first directory of auto_path that install may write into
#	(only its existence counts when staging: the staging directory is
#	what gets written). Skipped: Tcl's own script library, which is
#	not for packages, anything inside this tree (tests put lib/ on
#	auto_path through TCLLIBPATH), and anything not on the native
#	filesystem (Tcl 9's //zipfs:/ directories, a mounted archive).

proc DefaultLibDir {staging} {
    set skip [file normalize [info library]]
    foreach dir $::auto_path {
        set dir [file normalize $dir]
        if {$dir eq $skip || $dir eq $::selfdir ||
            [Inside $dir $::selfdir] || ![file isdirectory $dir] ||
            [lindex [file system $dir] 0] ne "native"} {
            continue
        }
        if {$staging || [file writable $dir]} {
            return $dir
        }
    }
    Fail "no writable directory on auto_path ([join $::auto_path {, }]):\
        use --prefix DIR and put DIR/lib on TCLLIBPATH"
}

# PrefixOf --
#
#	The installation prefix a library directory belongs to: the part
#	before its last "lib" or "share" component (/usr/share/tcltk ->
#	/usr, /usr/local/lib/tcltk -> /usr/local), "" if there is none.

proc PrefixOf {dir} {
    set parts [file split $dir]
    for {set i [expr {[llength $parts] - 1}]} {$i > 0} {incr i -1} {
        if {[lindex $parts $i] in {lib share}} {
            return [file join {*}[lrange $parts 0 $i-1]]
        }
    }
    return ""
}

# Stage --
#
#	path relocated below the staging directory destdir, the way
#	DESTDIR works for make install.

proc Stage {destdir path} {
    return [file join $destdir {*}[lrange [file split $path] 1 end]]
}

# Prune --
#
#	Remove dir and its parents while they are empty and strictly
#	below root.

proc Prune {dir root} {
    if {$root eq ""} return
    while {[Inside $dir $root] && [file isdirectory $dir] &&
        ![llength [Entries $dir]]} {
        file delete $dir
        set dir [file dirname $dir]
    }
    return
}

# Entries --
#
#	Everything in dir, dot files included (glob's "hidden" type also
#	matches . and .., which do not count).

proc Entries {dir} {
    set result {}
    foreach path [glob -nocomplain -directory $dir * .*] {
        if {[file tail $path] ni {. ..}} {
            lappend result $path
        }
    }
    return [lsort $result]
}

# # ## ### ##### ######## ############# #####################
## Recipes

proc Hhelp {} {
    return "\n\tPrint this help."
}
proc _help {args} {
    Options {} $args
    usage 0
}

proc Hbuild {} {
    return "?--force?\n\tCompile mmap.tcl with critcl into lib/mmap/.\
        Nothing is done when\n\tlib/mmap is newer than mmap.tcl and c/*,\
        unless --force."
}
proc _build {args} {
    set opts [Options {--force flag} $args]
    if {[dict get $opts --force]} {
        Build -force
    } else {
        Build
    }
    return
}

proc Htest {} {
    return "?-file globs? ?-match patterns? ?option value ...?\n\tBuild,\
        then run tests/all.tcl: each tests/*.test in a fresh tclsh,\n\twith\
        lib/ first on auto_path. -file, -notfile (globs of test\
        files)\n\tand -lib go to tests/all.tcl, the rest to tcltest\
        (-match, -skip,\n\t-verbose, -constraints, ...)."
}
proc _test {args} {
    set all [file join $::selfdir tests all.tcl]
    if {![file exists $all]} {
        Fail "tests/all.tcl not found"
    }
    Build
    exit [Run [info nameofexecutable] $all \
        -lib [file join $::selfdir $::libdir] {*}$args]
}

proc Hdemo {} {
    return "\n\tBuild, then run examples/cyclic-log.tcl against lib/."
}
proc _demo {args} {
    Options {} $args
    set demo [file join $::selfdir examples cyclic-log.tcl]
    if {![file exists $demo]} {
        Fail "examples/cyclic-log.tcl not found"
    }
    Build
    WithTclLibPath [file join $::selfdir $::libdir] {
        set status [Run [info nameofexecutable] $demo]
    }
    exit $status
}

proc Hinstall {} {
    return "?--prefix DIR? ?--dest-dir DIR?\n\tBuild, then copy\
        lib/mmap to DIR/lib/mmap<version> (default: the first\n\twritable\
        package directory on auto_path) and the man pages (doc/*.n),\
        if\n\trendered, to <prefix>/share/man/mann. --dest-dir stages it\
        all below\n\tDIR, as DESTDIR does for make install."
}
proc _install {args} {
    set opts  [Options {--prefix value --dest-dir value} $args]
    set paths [InstallPaths $opts]
    set pkgdir [Build]

    set dst [dict get $paths pkg]
    file mkdir [file dirname $dst]
    file delete -force $dst
    file copy $pkgdir $dst
    set where [dict get $paths where]
    if {$where ne ""} {
        set where " ($where)"
    }
    Say "Installed package:  $dst$where"

    # Every page doc renders, as <page>.n in share/man/mann/.
    set pages [DocPages]
    set unrendered [lmap page $pages {
        if {[file exists [file join $::selfdir doc $page.n]]} continue
        set page
    }]
    if {![llength $pages]} {
        # No manual to install.
    } elseif {[llength $unrendered]} {
        Say "No man page installed: run `tclsh $::self doc` first"
    } elseif {[dict get $paths man] eq ""} {
        Say "No man page installed: no share/man beside [file dirname $dst]"
    } else {
        set mann [file dirname [dict get $paths man]]
        file mkdir $mann
        foreach page $pages {
            set man [file join $mann $page.n]
            file copy -force [file join $::selfdir doc $page.n] $man
            Say "Installed man page: $man"
        }
    }
    return
}

proc Huninstall {} {
    return "?--prefix DIR? ?--dest-dir DIR?\n\tRemove what install with\
        the same options put."
}
proc _uninstall {args} {
    set opts  [Options {--prefix value --dest-dir value} $args]
    set paths [InstallPaths $opts]
    set doomed [list [dict get $paths pkg]]
    if {[dict get $paths man] ne ""} {
        set mann [file dirname [dict get $paths man]]
        foreach page [DocPages] {
            lappend doomed [file join $mann $page.n]
        }
    }
    foreach path $doomed {
        if {![file exists $path]} {
            Say "Not installed:      $path"
            continue
        }
        file delete -force $path
        Say "Removed:            $path"
        Prune [file dirname $path] [dict get $paths root]
    }
    return
}

# DocPages --
#
#	The manual's pages, one per doc/*.man, sorted by file: each named
#	as its [manpage_begin] names it (doc/ringlog.man is mmap_ringlog),
#	which is the name doc renders it under, install installs it under
#	and `man n` finds it by. A .man without one is named after its file.

proc DocPages {} {
    set result {}
    foreach man [DocSources] {
        lappend result [lindex [DocHead $man] 0]
    }
    return $result
}

proc DocSources {} {
    lsort [glob -nocomplain -directory [file join $::selfdir doc] *.man]
}

# DocHead --
#
#	The name and section of the page in the doctools file man.

proc DocHead {man} {
    if {[regexp {\[manpage_begin\s+([^]]*)\]} [Cat $man] -> words] &&
        ![catch {llength $words}] && [llength $words] >= 2} {
        return [lrange $words 0 1]
    }
    return [list [file rootname [file tail $man]] n]
}

proc Hdoc {} {
    return "\n\tRender each doc/*.man with tcllib's doctools\
        into doc/<page>.n\n\t(nroff) and doc/<page>.html, named after its\
        \[manpage_begin\]; the HTML\n\tpages link to each other."
}
proc _doc {args} {
    Options {} $args
    Require doctools tcllib
    set mans [DocSources]
    if {![llength $mans]} {
        Fail "no doc/*.man to render"
    }

    # Cross-references between the HTML pages, as dtplite makes them
    # for a directory of pages: [term], [cmd], [package] and
    # [see_also] naming a page (name, or name(section)) link to it.
    # dtplite itself would also write a table of contents and a keyword
    # index into the directory and link every page to those; the pages
    # here stand alone, so only the links between them are made.
    set xref {}
    foreach man $mans {
        lassign [DocHead $man] name section
        set html [file join $::selfdir doc $name.html]
        foreach key [list $name "$name\($section\)"] {
            lappend xref [list $key $html] [list sa,$key $html]
        }
    }

    foreach man $mans {
        set name [lindex [DocHead $man] 0]
        set text [Cat $man]
        foreach {format ext} {nroff .n html .html} {
            set out [file join $::selfdir doc $name$ext]
            # -file is where the page will be, for the links' relative
            # paths; -ibase where its [include]s are found; -module the
            # package, for each page's title line.
            doctools::new ::BuildDoc -format $format -module mmap \
                -file $out -ibase $man
            try {
                if {$format eq "html"} {
                    ::BuildDoc setparam xref $xref
                }
                if {[catch {::BuildDoc format $text} result]} {
                    Fail "doctools could not render [Relative $man] as\
                        $format: $result"
                }
                foreach warning [::BuildDoc warnings] {
                    puts stderr "[Relative $man]: $warning"
                }
            } finally {
                ::BuildDoc destroy
            }
            WriteFile $out $result
            Say "Rendered: [Relative $out]"
        }
    }
    return
}

proc Hwrap {} {
    return "?--zip-program?\n\tBuild, then write dist/mmap-demo.zip, for\
        vfs::zip::Mount: lib/mmap/,\n\tdemo.tcl (examples/cyclic-log.tcl)\
        and main.tcl, which runs the demo\n\tagainst the lib/ inside the\
        archive. Written by tcllib's zipfile::mkzip,\n\tor by the zip\
        program with --zip-program."
}
proc _wrap {args} {
    set opts [Options {--zip-program flag} $args]
    set demo [file join $::selfdir examples cyclic-log.tcl]
    if {![file exists $demo]} {
        Fail "examples/cyclic-log.tcl not found: the archive's demo"
    }
    set useProgram [dict get $opts --zip-program]
    if {$useProgram} {
        if {[auto_execok zip] eq ""} {
            Fail "zip program not found: install the Debian package zip"
        }
    } else {
        # Pure Tcl (Tcl 8.6's zlib), so no Debian package beyond tcllib.
        Require zipfile::mkzip tcllib
    }
    set pkgdir [Build]

    set dist  [file join $::selfdir dist]
    set stage [file join $dist mmap-demo.vfs]
    set zip   [file join $dist mmap-demo.zip]
    file delete -force $stage $zip
    file mkdir [file join $stage lib]
    file copy $pkgdir [file join $stage lib mmap]
    file copy $demo [file join $stage demo.tcl]
    WriteFile [file join $stage main.tcl] [MainScript]

    if {$useProgram} {
        # zip stores the paths it is given: run it inside the stage.
        set here [pwd]
        cd $stage
        try {
            exec zip -q -r -X $zip main.tcl demo.tcl lib
        } finally {
            cd $here
        }
    } else {
        zipfile::mkzip::mkzip $zip -directory $stage
    }
    file delete -force $stage
    Say "Wrapped: [Relative $zip]"
    return
}

proc MainScript {} {
    set script [string map {{        } {}} {
        # main.tcl -- entry point of the mmap demo archive.
        #
        # Mount the archive (vfs::zip::Mount mmap-demo.zip /somewhere),
        # or wrap it into a starkit, and source this file. It puts the
        # archive's lib/ first on auto_path, so that the demo's
        # `package require mmap` loads the package from inside the
        # archive (Tcl copies mmap.so out to a temporary file to load
        # it), then runs the demo.

        set dir [file dirname [file normalize [info script]]]
        set auto_path [linsert $auto_path 0 [file join $dir lib]]
        source [file join $dir demo.tcl]
    }]
    return [string trim $script]\n
}

proc Hdist {} {
    return "\n\tWrite dist/mmap-<version>.tar.gz: the files git tracks\
        (their work tree\n\tcontents), or outside a git checkout the\
        tree without its build output."
}
proc _dist {args} {
    Options {} $args
    if {[auto_execok tar] eq ""} {
        Fail "tar program not found: install the Debian package tar"
    }
    set name  mmap-[Version]
    set dist  [file join $::selfdir dist]
    set stage [file join $dist $name]
    set tarball $stage.tar.gz
    file delete -force $stage $tarball
    foreach rel [DistFiles] {
        set dst [file join $stage $rel]
        file mkdir [file dirname $dst]
        file copy [file join $::selfdir $rel] $dst
    }
    set flags {}
    if {[string match *GNU* [exec tar --version]]} {
        # Whoever unpacks it as root gets files they own.
        set flags {--owner=0 --group=0 --numeric-owner}
    }
    exec tar {*}$flags -C $dist -czf $tarball $name
    file delete -force $stage
    Say "Wrote: [Relative $tarball]"
    return
}

# DistFiles --
#
#	What goes into the source tarball, relative to the top. In a git
#	checkout that is what git tracks, as the work tree has it now (so
#	a file added but not yet committed is in, and a release should be
#	made from a clean tree). Elsewhere (an unpacked tarball) it is
#	the tree minus build output, as .gitignore lists it (and the Tcl 9
#	root of the tcl9 recipe).

proc DistFiles {} {
    if {[GitTop] ne $::selfdir} {
        set skip [list .git {*}$::generated .tcl9 bench/work]
        foreach page [DocPages] {
            lappend skip [file join doc $page.n] [file join doc $page.html]
        }
        return [Walk $::selfdir $skip]
    }
    set listed [exec git -C $::selfdir ls-files -z]
    set files {}
    foreach rel [split [string trimright $listed \0] \0] {
        if {$rel eq ""} continue
        if {![file exists [file join $::selfdir $rel]]} {
            Say "Left out (deleted from the work tree): $rel"
            continue
        }
        lappend files $rel
    }
    if {![llength $files]} {
        Fail "git tracks no files in $::selfdir yet"
    }
    if {[exec git -C $::selfdir status --porcelain \
        --untracked-files=no] ne ""} {
        Say "Note: the tarball holds uncommitted changes (see git status)"
    }
    return $files
}

# GitTop --
#
#	The top of the git checkout holding this tree, "" if none (or no
#	git). A tarball unpacked inside some other checkout is not ours.

proc GitTop {} {
    if {[auto_execok git] eq "" || [catch {
        exec git -C $::selfdir rev-parse --show-toplevel 2>/dev/null
    } top]} {
        return ""
    }
    return [file normalize $top]
}

proc Hclean {} {
    return "\n\tRemove the build output: [join $::generated {/, }]/ and the\
        rendered docs."
}
proc _clean {args} {
    Options {} $args
    set doomed {}
    foreach rel $::generated {
        lappend doomed [file join $::selfdir $rel]
    }
    foreach page [DocPages] {
        set stem [file join $::selfdir doc $page]
        lappend doomed $stem.n $stem.html
    }
    foreach path $doomed {
        if {[file exists $path]} {
            file delete -force $path
            Say "Removed: [Relative $path]"
        }
    }
    return
}

# # ## ### ##### ######## ############# #####################
## Sanitizers, valgrind and the fuzzer

# The sanitizer build has a library directory of its own.
lappend generated lib-asan

# The sanitizer build's flags: critcl appends them to its compile and link
# commands; "-debug symbols" compiles with -g and without -DNDEBUG.
set asanFlags {
    -cflags {-fsanitize=address,undefined -fno-omit-frame-pointer -g}
    -ldflags {-fsanitize=address,undefined}
    -debug symbols
}

# How the sanitizers run.  halt_on_error: the first error ends the test
# file (all.tcl counts that as a failure).  handle_segv/handle_sigbus=1:
# ASan installs its handlers at startup and lets the package's guard
# install its own over them, which passes ASan every fault it does not
# own (tests/fault.test checks both).  detect_leaks=0: the preload
# reaches every program the tests start (gcc, git, tar, strace, ...),
# most of which leave memory to the system at exit on purpose, and LSan
# would fail them; tclsh itself is not instrumented, and the package's
# memory comes from Tcl's allocator, whose per-thread pools LSan cannot
# attribute.  Leaks are valgrind's part of the check, and the C unit
# tests (tests/core.test) run under LSan on their own.
set asanOptions [join {
    detect_leaks=0 halt_on_error=1 abort_on_error=0 handle_segv=1
    handle_sigbus=1 allow_user_segv_handler=1 print_summary=1
} :]
set ubsanOptions halt_on_error=1:print_stacktrace=1

# Tests that cannot pass under each tool, whatever the package does:
# ASan replaces mlock(2) and munlock(2) by no-ops (they always succeed
# and make no system call); valgrind answers an mmap(2) of more memory
# than it manages with EINVAL instead of the kernel's ENOMEM, and maps
# and unmaps memory of its own as the process runs, so that a count of
# /proc/self/maps lines is not the package's to compare.
set asanSkips {mmap-lock-1.9 mmap-sync-1.6 mmap-sync-1.7}
set valgrindSkips {mmap-anonymous-2.9 mmap-args-18.25 mmap-args-18.26
    mmap-name-19.4 mmap-name-19.5 mmap-name-19.6}

# The test files valgrind leaves out, for time: ringlog.test's processes
# and threads appending at once take 330 s under memcheck, more than all
# the other files together; the sanitizer run covers it.
set valgrindHeavy {ringlog.test}

# memcheck: any error, or memory definitely lost at exit, fails the test
# file (exit status 3, which all.tcl counts as a failure).  Memory Tcl
# keeps in its allocator's pools shows as "possibly lost": not reported.
set valgrindCommand {valgrind --tool=memcheck --error-exitcode=3
    --trace-children=no --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite -q}

# WithEnv --
#
#	Run script with the environment variables of the dict vars set,
#	then put the environment back as it was.

proc WithEnv {vars script} {
    global env
    set saved {}
    dict for {var value} $vars {
        if {[info exists env($var)]} {
            dict set saved $var [list 1 $env($var)]
        } else {
            dict set saved $var [list 0 {}]
        }
        set env($var) $value
    }
    try {
        uplevel 1 $script
    } finally {
        dict for {var was} $saved {
            lassign $was existed value
            if {$existed} {
                set env($var) $value
            } else {
                unset env($var)
            }
        }
    }
}

# AsanRuntime --
#
#	The ASan runtime to preload into the uninstrumented tclsh, so that
#	the instrumented mmap.so can be loaded.

proc AsanRuntime {} {
    if {[auto_execok gcc] eq ""} {
        Fail "gcc not found: install the Debian package gcc"
    }
    set lib [exec gcc -print-file-name=libasan.so]
    if {[file pathtype $lib] ne "absolute" || ![file exists $lib]} {
        Fail "gcc has no libasan.so: install the Debian package libasan8"
    }
    return $lib
}

# Elapsed --
#
#	Seconds since the clock milliseconds value start, to a tenth.

proc Elapsed {start} {
    format %.1f [expr {([clock milliseconds] - $start) / 1000.0}]
}

proc Hbench {} {
    return " ?--quick? ?--tiny? ?--out FILE?\n\tBuild, then run\
        bench/bench.tcl: Tcl's file channel, memchan, the\n\tmmap channel and\
        commands, C and Python side by side; the table\n\tand its ratios go\
        to bench/results.md (--out: elsewhere)."
}

proc _bench {args} {
    Build
    WithTclLibPath [file join $::selfdir $::libdir] {
        set status [Run [info nameofexecutable] \
            [file join $::selfdir bench bench.tcl] {*}$args]
    }
    exit $status
}

proc Hcheck {} {
    return "\n\tBuild with -fsanitize=address,undefined into lib-asan/ and run\
        the\n\twhole test suite with ASan and UBSan preloaded into tclsh;\
        then run the\n\tsuite under valgrind memcheck with the normal\
        build (without\n\t[join $::valgrindHeavy {, }], for time).\
        Both must be clean."
}
proc _check {args} {
    global selfdir asanFlags asanOptions ubsanOptions asanSkips \
        valgrindSkips valgrindHeavy valgrindCommand
    Options {} $args
    set all [file join $selfdir tests all.tcl]
    if {![file exists $all]} {
        Fail "tests/all.tcl not found"
    }
    if {[auto_execok valgrind] eq ""} {
        Fail "valgrind not found: install the Debian package valgrind"
    }
    set asan [AsanRuntime]
    set tclsh [info nameofexecutable]
    set started [clock milliseconds]
    set failed {}

    # 1. The sanitizer build, and every test file with it.
    set t [clock milliseconds]
    Build -target-dir [file join $selfdir lib-asan] {*}$asanFlags
    Say "== ASan and UBSan: tests/all.tcl with lib-asan/,\
        LD_PRELOAD=$asan"
    set status [WithEnv [list LD_PRELOAD $asan ASAN_OPTIONS $asanOptions \
            UBSAN_OPTIONS $ubsanOptions] {
        Run $tclsh $all -lib [file join $selfdir lib-asan] \
            -skip $asanSkips
    }]
    set asanTime [Elapsed $t]
    if {$status} {
        lappend failed "ASan/UBSan run"
    }

    # 2. valgrind memcheck on the normal build.  Its children (the tests'
    #    own child processes) run natively: --trace-children=no.  The
    #    differential test runs 300 random sequences instead of 4000, and
    #    grep.test's 40 random buffers instead of 400.
    set t [clock milliseconds]
    Build
    Say "== valgrind memcheck: tests/all.tcl with $::libdir/, without\
        [join $valgrindHeavy {, }]"
    set status [WithEnv {MMAP_DIFF_SEQUENCES 300 MMAP_GREP_BUFFERS 40} {
        Run $tclsh $all -lib [file join $selfdir $::libdir] \
            -tclsh [list {*}$valgrindCommand $tclsh] \
            -notfile $valgrindHeavy -skip $valgrindSkips
    }]
    set valgrindTime [Elapsed $t]
    if {$status} {
        lappend failed "valgrind run"
    }

    Say "check: ASan/UBSan ${asanTime}s, valgrind ${valgrindTime}s,\
        total [Elapsed $started]s"
    if {[llength $failed]} {
        Fail "check failed: [join $failed {, }]"
    }
    return
}

proc Hfuzz {} {
    return "?seconds?\n\tBuild fuzz/fuzz_region.c with clang-14 and\
        libFuzzer, ASan and UBSan,\n\tand run it for seconds (default\
        60) on the corpus in .critcl/fuzz/corpus;\n\tprint the\
        executions and the time. A failing input is left in\
        .critcl/fuzz/."
}
proc _fuzz {args} {
    global selfdir
    if {[llength $args] > 1} {
        Fail "too many arguments: fuzz ?seconds?"
    }
    set seconds [expr {[llength $args] ? [lindex $args 0] : 60}]
    if {![string is integer -strict $seconds] || $seconds <= 0} {
        Fail "bad seconds \"$seconds\": must be a positive integer"
    }
    set clang [auto_execok clang-14]
    if {$clang eq ""} {
        Fail "clang-14 not found: install the Debian packages clang-14 and\
            libclang-rt-14-dev"
    }
    set dir [file join $selfdir .critcl fuzz]
    set corpus [file join $dir corpus]
    set bin [file join $dir fuzz_region]
    file mkdir $corpus
    set src [file join $selfdir fuzz fuzz_region.c]
    if {[catch {
        exec {*}$clang -g -O1 -Wall -Wextra \
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
            -I[file join $selfdir c] $src [file join $selfdir c region.c] \
            -o $bin 2>@1
    } msg]} {
        if {[string match *libclang_rt.fuzzer* $msg]} {
            Fail "no libFuzzer runtime: install the Debian package\
                libclang-rt-14-dev"
        }
        Fail "clang failed on fuzz/fuzz_region.c:\n$msg"
    } elseif {$msg ne ""} {
        Fail "clang warns on fuzz/fuzz_region.c:\n$msg"
    }
    Say "Built: [Relative $bin]; fuzzing for ${seconds}s"
    set log [file join $dir fuzz.log]
    set code [catch {
        exec $bin -max_total_time=$seconds -print_final_stats=1 \
            -artifact_prefix=$dir/ $corpus 2> $log
    }]
    set text [Cat $log]
    regexp -line {^stat::number_of_executed_units:\s*(\d+)} $text -> runs
    regexp -line {^Done \d+ runs in (\d+) second} $text -> took
    if {$code || ![info exists runs]} {
        puts stderr [join [lrange [split $text \n] end-40 end] \n]
        Fail "fuzz_region found a failure: see above and [Relative $dir]"
    }
    if {![info exists took]} {
        set took $seconds
    }
    Say "fuzz_region: $runs executions in ${took}s, clean\
        ([llength [glob -nocomplain -directory $corpus *]] inputs in the\
        corpus)"
    return
}

# # ## ### ##### ######## ############# #####################
## Tcl 9: the same recipes in a Debian 13 root

# The Debian 13 (trixie) packages that make the Tcl 9 environment: Tcl 9.0
# with its headers, critcl 3.3 and tcllib 2.0 (both work on 9), Thread
# for 9, and what the build and the tests run (gcc, zip, strace, procps).
# TclX, tcl-vfs and memchan have no Tcl 9 builds there: the tests that need
# them skip with their named constraints.
set tcl9Packages {
    tcl9.0 tcl9.0-dev tcl9.0-thread critcl tcllib gcc libc6-dev zip strace
    procps
}
set tcl9Suite  trixie
set tcl9Mirror http://deb.debian.org/debian

proc Hshell {} {
    return " script ?arg ...?\n\tBuild, then run script with this Tcl and\
        the build first on auto_path\n\t(TCLLIBPATH), in the checkout's root\
        directory."
}
proc _shell {args} {
    if {![llength $args]} {
        Fail "missing script: shell script ?arg ...?"
    }
    set args [lassign $args script]
    Build
    cd $::selfdir
    WithTclLibPath [file join $::selfdir $::libdir] {
        set status [Run [info nameofexecutable] $script {*}$args]
    }
    exit $status
}

proc Htcl9 {} {
    return " ?--reset? recipe ?arg ...?\n\tRun any recipe under Tcl 9.0\
        (tclsh9.0) in a Debian 13 root made\n\twith debootstrap on first use\
        and kept in .tcl9/root (--reset\n\tremakes it); the checkout is\
        bind-mounted at the same path, and\n\tthe Tcl 9 build goes to\
        lib-tcl9/. E.g. tcl9 test, tcl9 shell x.tcl."
}
proc _tcl9 {args} {
    global selfdir
    set reset 0
    if {[lindex $args 0] eq "--reset"} {
        set reset 1
        set args [lrange $args 1 end]
    }
    if {![llength $args]} {
        Fail "missing recipe: tcl9 ?--reset? recipe ?arg ...?"
    }
    if {[package vsatisfies [info patchlevel] 9-]} {
        # Already Tcl 9 (a Debian 13 machine, or inside the root).
        _[lindex $args 0] {*}[lrange $args 1 end]
        return
    }
    set root [file join $selfdir .tcl9 root]
    Tcl9Root $root $reset
    set status [Tcl9Run $root $args]
    exit $status
}

# Tcl9Root --
#
#	Makes the Debian 13 root with debootstrap unless it is there and
#	holds the packages asked for (the list is written into it last, so
#	an interrupted debootstrap is redone).

proc Tcl9Root {root reset} {
    global tcl9Packages tcl9Suite tcl9Mirror
    set stamp [file join $root .mmap-tcl9]
    set want [lsort $tcl9Packages]
    if {!$reset && [file exists $stamp] && [Cat $stamp] eq "$want\n"} {
        return
    }
    if {[exec id -u] != 0} {
        Fail "the tcl9 recipe makes a Debian 13 root and chroots into it:\
            run it as root"
    }
    set debootstrap [auto_execok debootstrap]
    if {$debootstrap eq ""} {
        foreach dir {/usr/sbin /sbin} {
            if {[file executable [file join $dir debootstrap]]} {
                set debootstrap [file join $dir debootstrap]
            }
        }
    }
    if {$debootstrap eq ""} {
        Fail "debootstrap not found: install the Debian package debootstrap"
    }
    # Never delete through a mount (runs mount the checkout inside, in
    # namespaces of their own, but a root left by hand may have some).
    if {[llength [Tcl9Mounts $root]]} {
        Fail "cannot remake [Relative $root]: still mounted there:\
            [join [Tcl9Mounts $root] {, }]"
    }
    file delete -force $root
    file mkdir $root
    Say "Making the Tcl 9 root: debootstrap $tcl9Suite into\
        [Relative $root] (a few minutes)"
    set log [file join [file dirname $root] debootstrap.log]
    if {[catch {
        exec {*}$debootstrap --variant=minbase \
            --include=[join $tcl9Packages ,] $tcl9Suite $root $tcl9Mirror \
            > $log 2>@1
    }]} {
        set tail [lrange [split [string trim [Cat $log]] \n] end-5 end]
        Fail "debootstrap of Debian $tcl9Suite from $tcl9Mirror failed\
            (is the archive reachable?); the end of [Relative $log]:\n\
            [join $tail \n]"
    }
    WriteFile $stamp "$want\n"
    Say "Made the Tcl 9 root: [exec chroot $root tclsh9.0 << \
        {puts "Tcl [info patchlevel], critcl [package require critcl]"}]"
}

# Tcl9Run --
#
#	Runs "tclsh9.0 build.tcl recipe ?arg ...?" in the root, in a mount
#	namespace of its own (unshare): the checkout bind-mounted at its own
#	path (so that every path the tests print is the same inside and
#	out), /proc and /dev mounted.  The mounts exist only for that
#	process tree and vanish with it, so runs may overlap and nothing is
#	left mounted.  Of the environment, only what the tests read is
#	passed (CI, MMAP_TEST_TIMEOUT, MMAP_DIFF_SEQUENCES, MMAP_GREP_BUFFERS).

proc Tcl9Run {root recipeArgs} {
    global selfdir
    set inside [file join $root {*}[lrange [file split $selfdir] 1 end]]
    file mkdir $inside
    set envVars {PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
        HOME=/root LANG=C.UTF-8}
    foreach var {CI MMAP_TEST_TIMEOUT MMAP_DIFF_SEQUENCES MMAP_GREP_BUFFERS} {
        if {[info exists ::env($var)]} {
            lappend envVars $var=$::env($var)
        }
    }
    set command "cd [ShQuote $selfdir] && exec tclsh9.0 build.tcl\
        [join [lmap a $recipeArgs {ShQuote $a}]]"
    set script [join [list \
        "set -e" \
        "mount --bind [ShQuote $selfdir] [ShQuote $inside]" \
        "mount -t proc proc [ShQuote [file join $root proc]]" \
        "mount --rbind /dev [ShQuote [file join $root dev]]" \
        "exec chroot [ShQuote $root] /usr/bin/env -i\
            [join [lmap v $envVars {ShQuote $v}]] /bin/sh -c\
            [ShQuote $command]"] \n]
    return [Run unshare --mount --propagation private /bin/sh -c $script]
}

# Tcl9Mounts: the mount points at or below root, from /proc/mounts.

proc Tcl9Mounts {root} {
    set result {}
    foreach line [split [Cat /proc/mounts] \n] {
        set point [lindex [split $line] 1]
        if {$point eq $root || [string match $root/* $point]} {
            lappend result $point
        }
    }
    return $result
}

# ShQuote: a word for /bin/sh, in single quotes.

proc ShQuote {word} {
    return '[string map {' '\\''} $word]'
}

# # ## ### ##### ######## ############# #####################
## Ready

main
