/*
 * baseline.c --
 *
 *	The C contenders of bench/bench.tcl, which builds this file with gcc:
 *	what the machine itself does without Tcl, as the limits the Tcl
 *	figures are measured against.
 *
 *	    baseline read FILE REPS          read(2) of the whole file into a
 *	                                     freshly malloc'ed buffer
 *	    baseline memcpy FILE REPS        mmap(2) the file, memcpy all of it
 *	                                     into a freshly malloc'ed buffer
 *	                                     (not a limit: the 4 KiB page
 *	                                     faults of the new buffer dominate,
 *	                                     and glibc's memcpy of more than
 *	                                     its non-temporal threshold can be
 *	                                     slower than the same in pieces)
 *	    baseline memcpy-thp FILE REPS    the same with the new buffer in
 *	                                     transparent huge pages
 *	                                     (MADV_HUGEPAGE): what a pread that
 *	                                     advised its result could reach
 *	    baseline random FILE OFFS REPS   memcpy of 64 bytes from a mapping
 *	                                     at each offset of the file OFFS
 *	                                     (one decimal offset a line)
 *
 *	Each repetition starts from a closed file and frees what it made.
 *	Output: two lines, "MODE cpu T..." and "MODE wall T...": the seconds
 *	of each repetition on this thread's CPU clock (which leaves out time
 *	spent waiting for a processor, as bench.tcl measures Tcl) and on the
 *	wall clock.  Exit status 1 with a message on stderr on any failure.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Keeps the compiler from dropping a copy into memory nobody reads.
 */

#define USE(ptr) __asm__ volatile("" : : "r"(ptr) : "memory")

static double
Now(
    clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*
 * Times: the two clocks around each repetition, printed at the end.
 */

typedef struct Times {
    int count;
    double cpu[64], wall[64];
    double cpuStart, wallStart;
} Times;

static void
Start(
    Times *timesPtr)
{
    timesPtr->wallStart = Now(CLOCK_MONOTONIC);
    timesPtr->cpuStart = Now(CLOCK_THREAD_CPUTIME_ID);
}

static void
Stop(
    Times *timesPtr)
{
    double cpu = Now(CLOCK_THREAD_CPUTIME_ID);
    double wall = Now(CLOCK_MONOTONIC);

    if (timesPtr->count < 64) {
	timesPtr->cpu[timesPtr->count] = cpu - timesPtr->cpuStart;
	timesPtr->wall[timesPtr->count] = wall - timesPtr->wallStart;
	timesPtr->count++;
    }
}

static void
Print(
    const char *mode,
    const Times *timesPtr)
{
    int i;

    printf("%s cpu", mode);
    for (i = 0; i < timesPtr->count; i++) {
	printf(" %.9f", timesPtr->cpu[i]);
    }
    printf("\n%s wall", mode);
    for (i = 0; i < timesPtr->count; i++) {
	printf(" %.9f", timesPtr->wall[i]);
    }
    printf("\n");
}

static void
Die(const char *what, const char *path)
{
    fprintf(stderr, "baseline: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static int
OpenSized(
    const char *path,
    size_t *sizePtr)
{
    struct stat st;
    int fd = open(path, O_RDONLY);

    if (fd < 0 || fstat(fd, &st) != 0) {
	Die("cannot open", path);
    }
    *sizePtr = (size_t) st.st_size;
    return fd;
}

/*
 * WholeRead: read(2) in one call where the kernel allows, into a new
 * buffer.
 */

static void
WholeRead(
    const char *path)
{
    size_t size, done = 0;
    int fd = OpenSized(path, &size);
    char *buf = malloc(size ? size : 1);

    if (buf == NULL) {
	Die("cannot allocate for", path);
    }
    while (done < size) {
	ssize_t got = read(fd, buf + done, size - done);

	if (got <= 0) {
	    Die("cannot read", path);
	}
	done += (size_t) got;
    }
    USE(buf);
    free(buf);
    close(fd);
}

/*
 * WholeMemcpy: map, copy everything into a new buffer, unmap.  With
 * hugePages the buffer's 2 MiB-aligned interior is advised MADV_HUGEPAGE
 * first, so that its page faults come 512 pages at a time.
 */

static void
WholeMemcpy(
    const char *path,
    int hugePages)
{
    size_t size;
    int fd = OpenSized(path, &size);
    char *map, *buf;

    map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
	Die("cannot map", path);
    }
    buf = malloc(size);
    if (buf == NULL) {
	Die("cannot allocate for", path);
    }
    if (hugePages) {
	uintptr_t huge = 2u << 20;
	uintptr_t start = ((uintptr_t) buf + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t) buf + size) & ~(huge - 1);

	if (end > start) {
	    (void) madvise((void *) start, end - start, MADV_HUGEPAGE);
	}
    }
    memcpy(buf, map, size);
    USE(buf);
    free(buf);
    munmap(map, size);
    close(fd);
}

/*
 * ReadOffsets: the offsets file, one decimal number a line.
 */

static size_t *
ReadOffsets(
    const char *path,
    size_t *countPtr)
{
    FILE *in = fopen(path, "r");
    size_t count = 0, room = 1024, *offsets = malloc(room * sizeof(size_t));
    unsigned long long value;

    if (in == NULL || offsets == NULL) {
	Die("cannot read offsets from", path);
    }
    while (fscanf(in, "%llu", &value) == 1) {
	if (count == room) {
	    room *= 2;
	    offsets = realloc(offsets, room * sizeof(size_t));
	    if (offsets == NULL) {
		Die("cannot allocate offsets of", path);
	    }
	}
	offsets[count++] = (size_t) value;
    }
    fclose(in);
    *countPtr = count;
    return offsets;
}

/*
 * Random: the map is made once, outside the timing, as the Tcl and Python
 * contenders keep theirs open, and one untimed pass maps its pages; each
 * repetition copies 64 bytes at every offset.
 */

static void
Random(
    const char *path,
    const char *offsetsPath,
    int reps)
{
    size_t size, count, i;
    size_t *offsets = ReadOffsets(offsetsPath, &count);
    int fd = OpenSized(path, &size), rep;
    char *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    static char buf[64];
    Times times = { 0 };

    if (map == MAP_FAILED) {
	Die("cannot map", path);
    }
    for (rep = -1; rep < reps; rep++) {
	if (rep >= 0) {
	    Start(&times);
	}
	for (i = 0; i < count; i++) {
	    if (offsets[i] <= size - sizeof(buf)) {
		memcpy(buf, map + offsets[i], sizeof(buf));
		USE(buf);
	    }
	}
	if (rep >= 0) {
	    Stop(&times);
	}
    }
    Print("random", &times);
    munmap(map, size);
    close(fd);
    free(offsets);
}

int
main(
    int argc,
    char **argv)
{
    int reps, rep;
    Times times = { 0 };

    if (argc == 5 && strcmp(argv[1], "random") == 0) {
	Random(argv[2], argv[3], atoi(argv[4]));
	return 0;
    }
    if (argc != 4 || (reps = atoi(argv[3])) <= 0
	    || (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "memcpy") != 0
	    && strcmp(argv[1], "memcpy-thp") != 0)) {
	fprintf(stderr, "usage: baseline read|memcpy|memcpy-thp FILE REPS\n"
		"       baseline random FILE OFFSETS REPS\n");
	return 1;
    }
    for (rep = 0; rep < reps; rep++) {
	Start(&times);
	if (argv[1][0] == 'r') {
	    WholeRead(argv[2]);
	} else {
	    WholeMemcpy(argv[2], argv[1][6] == '-');
	}
	Stop(&times);
    }
    Print(argv[1], &times);
    return 0;
}
