# shared-memory.tcl --
#
#	The seed's second use: memory shared between processes.
#
#	1. Two unrelated processes map the same file -shared.  This script
#	   starts a second tclsh running itself as the child; the child maps
#	   the file, writes a message into it and then bumps an atomic
#	   counter; the parent polls the counter with mmap::atomic load and
#	   reads the message once the counter says it is complete.
#	2. Related processes can share memory without any file: memory from
#	   mmap::anonymous -shared (or a -shared map of /dev/zero) stays
#	   shared across fork.  That part needs TclX for fork, and is
#	   skipped with a message when TclX is not installed.
#
#	Run: tclsh examples/shared-memory.tcl   (after tclsh build.tcl build)

# The build beside this script: ../lib for Tcl 8.6, ../lib-tcl9 for Tcl 9
# (a build for one does not load into the other).
set lib [file normalize [file join [file dirname [info script]] .. \
    [expr {[package vsatisfies [info patchlevel] 9-] ? "lib-tcl9" : "lib"}]]]
if {[file isdirectory $lib]} {
    lappend auto_path $lib
}
package require mmap

# The layout of the shared page: offset 0 a 64-bit counter of messages
# posted, offset 8 the message's length in bytes, the message from 16.

proc child {path} {
    # r+b: a read/write map that starts binary, for the bytes below.
    set m [mmap::open -shared $path r+b]

    # The message first, through the channel; then its length; the
    # counter last, so that a reader who sees it sees the rest too.
    set message [encoding convertto utf-8 \
        "hello from the child, a process of its own"]
    seek $m 16
    puts -nonewline $m $message
    mmap::atomic $m 8 store [string length $message]
    mmap::atomic $m 0 add 1
    close $m
    puts "child: message posted"
}

proc parent {} {
    close [file tempfile path mmap-shared.mem]
    set m [mmap::open -size 4096 -shared $path r+]
    puts "parent: mapped a 4096-byte file -shared, counter\
          [mmap::atomic $m 0 load]"

    # The child is another tclsh running this script, which finds the
    # package as this one did.
    set child [open |[list [info nameofexecutable] \
        [file normalize [info script]] child $path] r]

    # Wait for the counter, polling every 10 ms, for at most 10 s.
    set deadline [expr {[clock milliseconds] + 10000}]
    while {[mmap::atomic $m 0 load] == 0} {
        if {[clock milliseconds] > $deadline} {
            puts "parent: no message from the child"
            exit 1
        }
        after 10
    }
    set length [mmap::atomic $m 8 load]
    set message [encoding convertfrom utf-8 [mmap::pread $m 16 $length]]
    puts "parent: counter [mmap::atomic $m 0 load], message \"$message\""
    puts "parent: the child says \"[gets $child]\""
    close $child
    close $m
    file delete $path
}

proc forked {} {
    if {[catch {package require Tclx}]} {
        puts "fork: TclX is not installed, skipping mmap::anonymous -shared"
        return
    }
    set zero [open /dev/zero r+]
    set sources [list "mmap::anonymous -shared" \
        [mmap::anonymous -shared -length 4096] \
        "mmap -shared of /dev/zero" [mmap -shared -length 4096 $zero]]
    close $zero
    foreach {what m} $sources {
        # Flush before fork, or the child's exit writes our output again.
        flush stdout
        set pid [fork]
        if {$pid == 0} {
            for {set i 0} {$i < 10000} {incr i} {
                mmap::atomic $m 0 add 1
            }
            exit 0
        }
        for {set i 0} {$i < 10000} {incr i} {
            mmap::atomic $m 0 add 1
        }
        wait $pid
        puts "fork: $what: parent and child each added 1 10000 times,\
              counter [mmap::atomic $m 0 load]"
        close $m
    }
}

if {[lindex $argv 0] eq "child"} {
    child [lindex $argv 1]
} else {
    parent
    forked
}
