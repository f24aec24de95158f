# region-read.tcl --
#
#	The seed's first use: fast access to a part of a big file.  Makes an
#	8 MiB file of numbered lines, maps only 1000 bytes in its middle,
#	from an offset that is not page-aligned (the library aligns the real
#	mmap(2) call and hides the difference), and reads that region with
#	gets, mmap::find and mmap::pread.  Offsets are relative to the
#	mapping; fconfigure tells which part of the file it is.
#
#	Run: tclsh examples/region-read.tcl   (after tclsh build.tcl build)

# The build beside this script: ../lib for Tcl 8.6, ../lib-tcl9 for Tcl 9
# (a build for one does not load into the other).
set lib [file normalize [file join [file dirname [info script]] .. \
    [expr {[package vsatisfies [info patchlevel] 9-] ? "lib-tcl9" : "lib"}]]]
if {[file isdirectory $lib]} {
    lappend auto_path $lib
}
package require mmap

# 262144 lines of 32 bytes: "line 0000001 of a big text file\n" ...
set lineLength 32
set lines 262144
set fd [file tempfile path mmap-region.txt]
fconfigure $fd -translation binary
for {set i 1} {$i <= $lines} {incr i 1024} {
    set chunk ""
    for {set j $i} {$j < $i + 1024} {incr j} {
        append chunk [format "line %07d of a big text file\n" $j]
    }
    puts -nonewline $fd $chunk
}
close $fd
puts "file: [file size $path] bytes, $lines lines of $lineLength bytes"

# Map 1000 bytes from byte 4000003: three bytes into line 125001.
set m [mmap::open -offset 4000003 -length 1000 $path]
puts "mapped: -offset [fconfigure $m -offset] -length [fconfigure $m -length]\
      (the rest of the file is not mapped)"

# The region starts in the middle of a line, so the first gets returns
# its tail; the next ones return whole lines.
gets $m line
puts "first gets:  \"$line\" (the tail of line 125001)"
for {set i 0} {$i < 2} {incr i} {
    gets $m line
    puts "next gets:   \"$line\""
}
puts "tell:        [tell $m] (bytes from the start of the mapping)"

# Search the region without copying it; pread does not move the position.
set at [mmap::find $m "line 0125020"]
puts "mmap::find:  \"line 0125020\" at offset $at of the mapping,\
      [expr {$at + [fconfigure $m -offset]}] of the file"
puts "mmap::pread: \"[string trimright [mmap::pread $m $at $lineLength] \n]\""
puts "mmap::find:  \"line 0200000\" -> [mmap::find $m "line 0200000"]\
      (outside the region)"
puts "tell:        [tell $m] (unchanged)"

# Reads stop at the end of the region: the last line is cut there.
seek $m -20 end
set tail [read $m]
puts "last bytes:  \"[string map {\n \\n} $tail]\", eof [eof $m]"
puts "info:        [mmap::info $m]"
close $m
file delete $path
