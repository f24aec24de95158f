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
