/*
 * ringtest.h --
 *
 *	What the ring log's C unit tests (ringlog_test.c, ringqueue_test.c)
 *	share: their scratch directory and paths in it, and appending one
 *	text message.  Included once by each, after ringlog.h and the
 *	system headers; everything here is static to that program.
 */

#ifndef MMAP_TEST_RINGTEST_H
#define MMAP_TEST_RINGTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringlog.h"

/* The scratch directory: main sets it. */
static char dir[256];

static char *
Path(
    const char *name)
{
    static char buf[512];

    snprintf(buf, sizeof(buf), "%s/%s", dir, name);
    return buf;
}

/*
 * ScratchBegin, ScratchEnd --
 *	main's first and last steps: the scratch directory is argv[1], or a
 *	new one made from template ("/tmp/nameXXXXXX"), which ScratchEnd
 *	removes.  ScratchBegin returns 0, or 2 when none can be made.
 */

static int
ScratchBegin(
    int argc,
    char **argv,
    const char *template)
{
    if (argc > 1) {
	snprintf(dir, sizeof(dir), "%s", argv[1]);
    } else {
	snprintf(dir, sizeof(dir), "%s", template);
	if (mkdtemp(dir) == NULL) {
	    perror("mkdtemp");
	    return 2;
	}
    }
    return 0;
}

static void
ScratchEnd(
    int argc)
{
    char cmd[600];

    if (argc <= 1) {
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
	    fprintf(stderr, "could not remove %s\n", dir);
	}
    }
}

/* Appends text as one message: its sequence number, 0 on failure. */
static uint64_t
Append1(
    MmapRinglog *logPtr,
    const char *text)
{
    MmapRinglogMessage msg;
    MmapRinglogError err;
    uint64_t seq = 0;

    msg.bytes = text;
    msg.length = strlen(text);
    if (MmapRinglogAppend(logPtr, 1, &msg, &seq, &err) != 0) {
	return 0;
    }
    return seq;
}

#endif /* MMAP_TEST_RINGTEST_H */
