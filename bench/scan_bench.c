/*
 * scan_bench.c --
 *
 *	Micro-benchmark of the search core (c/scan.c), not run by the tests:
 *	on a log of realistic lines ("2026-12-01T10:00:00 INFO worker-17
 *	request 12345 done in 12 ms", a tenth of them ERROR, a few WARN and
 *	DEBUG), counts the matches of "ERROR" and the lines that hold it,
 *	exact and nocase, with the SSE2 path, the memchr path and a loop
 *	over glibc's memmem, and prints GB/s (best of the repetitions).
 *
 *	The log is written to FILE (100 MiB unless it exists) and mapped, so
 *	that the figures compare with grep on the same file:
 *	    time grep -F -c ERROR FILE;  time grep -F -i -c error FILE
 *	"mapped" is a scan of a mapping already faulted in; "fresh map" maps
 *	the (page-cached) file anew each time, open to close, as a process
 *	that counts once pays it.
 *
 *	Build: gcc -O2 -Wall -Wextra -D_GNU_SOURCE -Ic c/scan.c
 *		bench/scan_bench.c -o scan_bench
 *	Run: ./scan_bench FILE ?MiB? ?repetitions?
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "scan.h"

static double
Now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t
Rand(void)
{
    static uint64_t s = 88172645463325252ULL;

    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

static void
WriteLog(
    const char *path,
    uint64_t bytes)
{
    FILE *f = fopen(path, "w");
    uint64_t written = 0;
    unsigned line = 0;

    if (f == NULL) {
	perror(path);
	exit(1);
    }
    while (written < bytes) {
	unsigned r = (unsigned) (Rand() % 100);
	const char *level = r < 10 ? "ERROR" : r < 18 ? "WARN" : r < 25
		? "DEBUG" : "INFO";
	int n = fprintf(f, "2026-12-01T%02u:%02u:%02u %s worker-%u request"
		" %u %s in %u ms\n", line / 3600 % 24, line / 60 % 60,
		line % 60, level, (unsigned) (Rand() % 32),
		(unsigned) (Rand() % 100000), r < 10 ? "failed" : "done",
		(unsigned) (Rand() % 1000));

	written += (uint64_t) n;
	line++;
    }
    fclose(f);
}

static uint64_t
Scan(
    const unsigned char *base,
    uint64_t length,
    const char *needle,
    int flags)
{
    MmapScan scan;

    memset(&scan, 0, sizeof(scan));
    scan.base = base;
    scan.length = scan.end = length;
    scan.needle = (const unsigned char *) needle;
    scan.needleLength = strlen(needle);
    scan.flags = flags | MMAP_SCAN_COUNT;
    scan.max = UINT64_MAX;
    MmapScanRun(&scan);
    return scan.count;
}

/* The same counts with memmem, the baseline libc offers. */
static uint64_t
MemmemCount(
    const unsigned char *base,
    uint64_t length,
    const char *needle,
    int lines)
{
    size_t n = strlen(needle);
    const unsigned char *p = base, *end = base + length, *hit;
    uint64_t count = 0;

    while ((hit = memmem(p, (size_t) (end - p), needle, n)) != NULL) {
	count++;
	if (lines) {
	    const unsigned char *nl = memchr(hit, '\n', (size_t) (end - hit));

	    p = nl ? nl + 1 : end;
	} else {
	    p = hit + n;
	}
    }
    return count;
}

typedef struct Job {
    const char *name;
    const char *needle;
    int flags;			/* -1: memmem, -2: memmem lines. */
} Job;

int
main(
    int argc,
    char **argv)
{
    static const Job jobs[] = {
	{ "matches ERROR         SSE2  ", "ERROR", 0 },
	{ "matches ERROR         memchr", "ERROR", MMAP_SCAN_PLAIN },
	{ "matches ERROR         memmem", "ERROR", -1 },
	{ "lines   ERROR         SSE2  ", "ERROR", MMAP_SCAN_LINES },
	{ "lines   ERROR         memchr", "ERROR",
		MMAP_SCAN_LINES | MMAP_SCAN_PLAIN },
	{ "lines   ERROR         memmem", "ERROR", -2 },
	{ "lines   error -nocase SSE2  ", "error",
		MMAP_SCAN_LINES | MMAP_SCAN_NOCASE },
	{ "lines   error -nocase memchr", "error",
		MMAP_SCAN_LINES | MMAP_SCAN_NOCASE | MMAP_SCAN_PLAIN },
	{ "lines   ERROR -last   SSE2  ", "ERROR",
		MMAP_SCAN_LINES | MMAP_SCAN_LAST },
	{ "lines   ERROR -last   memchr", "ERROR",
		MMAP_SCAN_LINES | MMAP_SCAN_LAST | MMAP_SCAN_PLAIN },
	{ "lines   worker-17     SSE2  ", "worker-17", MMAP_SCAN_LINES },
	{ "lines   worker-17     memchr", "worker-17",
		MMAP_SCAN_LINES | MMAP_SCAN_PLAIN },
	{ "lines   worker-17     memmem", "worker-17", -2 },
    };
    const char *path;
    uint64_t mib = 100, count = 0, length;
    int reps = 5, fd, r;
    size_t j;
    struct stat st;
    unsigned char *base;
    double best, t;

    if (argc < 2 || argc > 4) {
	fprintf(stderr, "usage: %s FILE ?MiB? ?repetitions?\n", argv[0]);
	return 1;
    }
    path = argv[1];
    if (argc > 2) {
	mib = strtoull(argv[2], NULL, 10);
    }
    if (argc > 3) {
	reps = atoi(argv[3]);
    }
    if (stat(path, &st) != 0) {
	WriteLog(path, mib << 20);
    }
    fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) {
	perror(path);
	return 1;
    }
    length = (uint64_t) st.st_size;
    base = mmap(NULL, (size_t) length, PROT_READ, MAP_SHARED | MAP_POPULATE,
	    fd, 0);
    if (base == MAP_FAILED) {
	perror("mmap");
	return 1;
    }
    printf("%s: %.1f MiB, SIMD path %s\n", path, length / 1048576.0,
	    MmapScanHasSimd() ? "SSE2" : "none");

    for (j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
	best = 1e9;
	for (r = 0; r < reps; r++) {
	    t = Now();
	    if (jobs[j].flags < 0) {
		count = MemmemCount(base, length, jobs[j].needle,
			jobs[j].flags == -2);
	    } else {
		count = Scan(base, length, jobs[j].needle, jobs[j].flags);
	    }
	    t = Now() - t;
	    best = t < best ? t : best;
	}
	printf("mapped     %s %9llu  %7.2f ms  %6.2f GB/s\n", jobs[j].name,
		(unsigned long long) count, best * 1e3, length / best / 1e9);
    }

    /* A fresh mapping of the cached file each time, faults included. */
    for (j = 0; j < 2; j++) {
	int flags = MMAP_SCAN_LINES | (j ? MMAP_SCAN_NOCASE : 0);

	best = 1e9;
	for (r = 0; r < reps; r++) {
	    unsigned char *fresh;
	    int fd2;

	    t = Now();
	    fd2 = open(path, O_RDONLY);
	    fresh = mmap(NULL, (size_t) length, PROT_READ, MAP_SHARED, fd2, 0);
	    madvise(fresh, (size_t) length, MADV_SEQUENTIAL);
	    count = Scan(fresh, length, j ? "error" : "ERROR", flags);
	    munmap(fresh, (size_t) length);
	    close(fd2);
	    t = Now() - t;
	    best = t < best ? t : best;
	}
	printf("fresh map  lines   %s SSE2   %9llu  %7.2f ms  %6.2f GB/s\n",
		j ? "error -nocase" : "ERROR        ",
		(unsigned long long) count, best * 1e3, length / best / 1e9);
    }
    munmap(base, (size_t) length);
    close(fd);
    return 0;
}
