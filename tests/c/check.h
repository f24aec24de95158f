/*
 * check.h --
 *
 *	The checks shared by the C unit tests (region_test.c, guard_test.c,
 *	ringlog_test.c): the counts of passed and failed checks, CHECK(cond),
 *	which counts cond and reports a failure on stderr with its file and
 *	line, and Report(), which prints "N passed, N failed" and returns the
 *	exit status (0 when none failed).  Included once by each test program, after the system
 *	headers; everything here is static to that program.
 */

#ifndef MMAP_TEST_CHECK_H
#define MMAP_TEST_CHECK_H

#include <stdio.h>

static int passed = 0, failed = 0;

#define CHECK(cond) Check((cond), #cond, __FILE__, __LINE__)

static int
Check(
    int ok,
    const char *text,
    const char *file,
    int line)
{
    if (ok) {
	passed++;
    } else {
	failed++;
	fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, text);
    }
    return ok;
}

static int
Report(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif /* MMAP_TEST_CHECK_H */
