# cyclic-log.tcl --
#
#	The seed's third use: a log file of fixed size that always holds the
#	newest messages.  A 256-byte file is mapped -shared and numbered log
#	lines are written to the mapping with plain puts.  Writes never grow
#	the file: with -cyclic 1 (the default) a write that reaches the end
#	goes on at offset 0, so after a few laps the file holds the newest
#	lines, and the oldest of them is cut where the newest one ended.
#
#	Run: tclsh examples/cyclic-log.tcl   (after tclsh build.tcl build)

# The build beside this script: ../lib for Tcl 8.6, ../lib-tcl9 for Tcl 9
# (a build for one does not load into the other).
set lib [file normalize [file join [file dirname [info script]] .. \
    [expr {[package vsatisfies [info patchlevel] 9-] ? "lib-tcl9" : "lib"}]]]
if {[file isdirectory $lib]} {
    lappend auto_path $lib
}
package require mmap

# A log file of fixed size: a new temporary file grown to 256 zero
# bytes, mapped -shared so that every write reaches the file.  Each puts
# goes straight into the map.
set size 256
close [file tempfile path mmap-cyclic.log]
set log [mmap::open -size $size -shared $path r+]
puts "a $size-byte log file, mapped -shared [fconfigure $log -shared]\
      -cyclic [fconfigure $log -cyclic] -sync [fconfigure $log -sync]"

set count 40
set written 0
for {set i 1} {$i <= $count} {incr i} {
    set line [format "event %03d: all is well" $i]
    puts $log $line
    incr written [string length $line\n]
}
set position [tell $log]
puts "wrote $count lines, $written bytes:\
      the writes wrapped [expr {$written / $size}] times"
puts "file size now: [file size $path] bytes (it never grows)"
puts "write position: $position = $written mod $size"
close $log

# The file itself, as another program sees it.  Lines start at offset 0
# with the tail of a line that wrapped around the end; ">>" marks the
# write position: the newest line ends just before it, and the cut line
# after it is the remains of the oldest one.
set fd [open $path rb]
set data [read $fd]
close $fd
puts "\nthe file as it is on disk (>> marks the write position):"
set at 0
set lines [split [string trimright $data \n] \n]
foreach line $lines {
    set mark [expr {$at == $position ? ">>" : "  "}]
    set note ""
    if {$at == 0} {
        set note "   <- goes on from the end of the file"
    } elseif {$at == $position} {
        set note "   <- the tail of an overwritten line"
    } elseif {$at + [string length $line] == $size} {
        set note "   <- goes on at offset 0"
    }
    puts "$mark $line$note"
    incr at [string length $line\n]
}
file delete $path

puts "\nAfter a restart nobody knows where the newest line is, and the cut\
      line\nis garbage.  For a crash-safe log that several processes can\
      share, use\nmmap::ringlog (see doc/ringlog.man)."
