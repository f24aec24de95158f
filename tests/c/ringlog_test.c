/*
 * ringlog_test.c --
 *
 *	Unit test of the ring log core (c/ringlog*.c) without Tcl:
 *	checksums, create and open with every format error, append and read,
 *	wrapping against a model of the format, damage, truncation, writers
 *	in threads, a writer killed mid-stream, and the writers' lock: a
 *	holder killed (with a writer waiting, and many times over), a lock
 *	left "held" by a thread that no longer exists (as after a reboot), a
 *	lock made unrecoverable, an opener killed while it initialises the
 *	lock, and the header page truncated away while the lock is held.
 *	The lock tests look inside the handle (ringlogInt.h) to take the
 *	lock as a writer in mid-append would.
 *
 *	Build: gcc -D_GNU_SOURCE -Ic -Ic/ringlog c/ringlog/[a-s]*.c
 *		c/ringlog/w*.c c/guard.c tests/c/ringlog_test.c -lpthread
 *		-o ringlog_test
 *	Run: ./ringlog_test ?directory?   (a temporary directory by default)
 *	Prints "N passed, 0 failed" and exits 0 when all is well.
 *
 *	./ringlog_test poison path  makes the writers' lock of a log that
 *	another process has open unrecoverable (for tests/ringlog.test).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ringlog.h"
#include "internal.h"
#include "check.h"
#include "ringtest.h"


static void
Patch(
    const char *path,
    uint64_t offset,
    const void *bytes,
    size_t length)
{
    int fd = open(path, O_WRONLY);

    if (fd < 0 || pwrite(fd, bytes, length, (off_t) offset)
	    != (ssize_t) length) {
	perror("patch");
	exit(2);
    }
    close(fd);
}

static uint32_t
Peek32(
    const char *path,
    uint64_t offset)
{
    uint32_t value = 0;
    int fd = open(path, O_RDONLY);

    if (fd < 0 || pread(fd, &value, 4, (off_t) offset) != 4) {
	perror("peek");
	exit(2);
    }
    close(fd);
    return value;
}

/* A bit-at-a-time CRC-32C, the reference for the fast ones. */
static uint32_t
SlowCrc(
    uint32_t crc,
    const unsigned char *p,
    size_t length)
{
    int k;

    crc = ~crc;
    while (length--) {
	crc ^= *p++;
	for (k = 0; k < 8; k++) {
	    crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
	}
    }
    return ~crc;
}

/* Collects what a read returns. */
typedef struct Got {
    int count;
    uint64_t seqs[20000];
    char *msgs[20000];
    size_t lengths[20000];
} Got;

static Got got;

static void
GotReset(void)
{
    int i;

    for (i = 0; i < got.count; i++) {
	free(got.msgs[i]);
    }
    got.count = 0;
}

static int
Collect(
    void *clientData,
    uint64_t seq,
    const unsigned char *bytes,
    size_t length)
{
    (void) clientData;
    if (got.count >= 20000) {
	return 1;
    }
    got.seqs[got.count] = seq;
    got.msgs[got.count] = malloc(length + 1);
    memcpy(got.msgs[got.count], bytes, length);
    got.msgs[got.count][length] = '\0';
    got.lengths[got.count] = length;
    got.count++;
    return 0;
}

static int
ReadAll(
    MmapRinglog *logPtr,
    uint64_t from,
    uint64_t count,
    uint64_t *damagedPtr)
{
    MmapRinglogError err;

    GotReset();
    return MmapRinglogRead(logPtr, from, count, Collect, NULL, damagedPtr,
	    &err);
}


static void
TestCrc(void)
{
    unsigned char buf[1000];
    uint32_t crc;
    size_t i, start;

    CHECK(MmapRinglogCrc32c(0, "123456789", 9) == 0xE3069283u);
    crc = MmapRinglogCrc32c(0, "1234", 4);
    CHECK(MmapRinglogCrc32c(crc, "56789", 5) == 0xE3069283u);
    memset(buf, 0, 32);
    CHECK(MmapRinglogCrc32c(0, buf, 32) == 0x8A9136AAu);
    memset(buf, 0xFF, 32);
    CHECK(MmapRinglogCrc32c(0, buf, 32) == 0x62A8AB43u);
    for (i = 0; i < sizeof(buf); i++) {
	buf[i] = (unsigned char) (i * 7 + 3);
    }
    for (start = 0; start < 9; start++) {
	for (i = 0; i < 40; i++) {
	    CHECK(MmapRinglogCrc32c(0, buf + start, i * 23)
		    == SlowCrc(0, buf + start, i * 23));
	}
    }
}

static void
TestCreateOpen(void)
{
    MmapRinglogError err;
    MmapRinglogInfo info;
    MmapRinglog *logPtr;
    char *path;
    uint32_t value;
    int fd;

    path = strdup(Path("a.log"));
    CHECK(MmapRinglogCreate(path, 100, 0, &err) == MMAP_RINGLOG_BADSIZE);
    CHECK(access(path, F_OK) != 0);
    CHECK(MmapRinglogCreate(path, 8190, 0, &err) == MMAP_RINGLOG_OK);
    CHECK(MmapRinglogCreate(path, 8192, 0, &err) == MMAP_RINGLOG_POSIX
	    && err.errorNum == EEXIST);
    CHECK(MmapRinglogCreate(path, 8192, 1, &err) == MMAP_RINGLOG_OK);
    CHECK(MmapRinglogCreate(Path("no/such/x"), 8192, 0, &err)
	    == MMAP_RINGLOG_POSIX && err.errorNum == ENOENT);

    logPtr = MmapRinglogOpen(path, 0, &err);
    CHECK(logPtr != NULL);
    free(path);
    if (logPtr == NULL) {
	return;
    }
    CHECK(MmapRinglogGetInfo(logPtr, &info, &err) == 0);
    CHECK(info.fileSize == 8192 && info.dataSize == 4096);
    CHECK(info.maxMessage == 4096 - 24);
    CHECK(info.head == 0 && info.tail == 0 && info.nextSeq == 1
	    && info.oldestSeq == 1 && info.records == 0 && info.wraps == 0);
    MmapRinglogClose(logPtr);

    /* A size that is not a multiple of 8 is rounded up. */
    CHECK(MmapRinglogCreate(Path("b.log"), 8190, 0, &err) == 0
	    || err.errorNum == EEXIST);
    logPtr = MmapRinglogOpen(Path("b.log"), 1, &err);
    CHECK(logPtr != NULL && MmapRinglogGetInfo(logPtr, &info, &err) == 0
	    && info.fileSize == 8192);
    if (logPtr) {
	MmapRinglogClose(logPtr);
    }

    /* The format errors, one by one. */
    CHECK(MmapRinglogOpen(Path("none.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_POSIX && err.errorNum == ENOENT);
    fd = open(Path("text.log"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    CHECK(write(fd, "hello, world\n", 13) == 13);
    close(fd);
    CHECK(MmapRinglogOpen(Path("text.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_NOTLOG
	    && strcmp(err.detail, "not a ring log") == 0);
    CHECK(MmapRinglogOpen(dir, 1, &err) == NULL
	    && err.status == MMAP_RINGLOG_NOTLOG);

    CHECK(MmapRinglogCreate(Path("short.log"), 8192, 1, &err) == 0);
    CHECK(truncate(Path("short.log"), 100) == 0);
    CHECK(MmapRinglogOpen(Path("short.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_SHORT);
    CHECK(strcmp(err.detail, "truncated header: the file has 100 bytes,"
	    " the header alone needs 4096") == 0);

    CHECK(MmapRinglogCreate(Path("v.log"), 8192, 1, &err) == 0);
    value = 3;
    Patch(Path("v.log"), 16, &value, 4);
    CHECK(MmapRinglogOpen(Path("v.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_VERSION);
    CHECK(strcmp(err.detail, "format version 3 is not supported (this"
	    " library reads versions 1 to 2)") == 0);
    value = 0;
    Patch(Path("v.log"), 16, &value, 4);
    CHECK(MmapRinglogOpen(Path("v.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_VERSION);

    CHECK(MmapRinglogCreate(Path("bo.log"), 8192, 1, &err) == 0);
    value = 0x04030201;
    Patch(Path("bo.log"), 20, &value, 4);
    CHECK(MmapRinglogOpen(Path("bo.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_BYTEORDER);

    CHECK(MmapRinglogCreate(Path("crc.log"), 8192, 1, &err) == 0);
    value = Peek32(Path("crc.log"), 48) ^ 1;
    Patch(Path("crc.log"), 48, &value, 4);
    CHECK(MmapRinglogOpen(Path("crc.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_CORRUPT
	    && strcmp(err.detail, "header checksum mismatch") == 0);

    CHECK(MmapRinglogCreate(Path("cur.log"), 8192, 1, &err) == 0);
    value = 7;
    Patch(Path("cur.log"), 192, &value, 4);
    CHECK(MmapRinglogOpen(Path("cur.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_CORRUPT
	    && strcmp(err.detail, "cursor block checksum mismatch") == 0);

    CHECK(MmapRinglogCreate(Path("sz.log"), 8192, 1, &err) == 0);
    CHECK(truncate(Path("sz.log"), 12288) == 0);
    CHECK(MmapRinglogOpen(Path("sz.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_SIZE);
    CHECK(strcmp(err.detail, "size mismatch: the header describes 8192"
	    " bytes, the file has 12288") == 0);
}

static void
TestAppendRead(void)
{
    MmapRinglogError err;
    MmapRinglogInfo info;
    MmapRinglogMessage msgs[3];
    MmapRinglog *logPtr, *roPtr;
    unsigned char all[256];
    uint64_t seq, damaged;
    char big[5000];
    int i;

    CHECK(MmapRinglogCreate(Path("ar.log"), 8192, 1, &err) == 0);
    logPtr = MmapRinglogOpen(Path("ar.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    CHECK(Append1(logPtr, "one") == 1);
    CHECK(Append1(logPtr, "two") == 2);
    for (i = 0; i < 256; i++) {
	all[i] = (unsigned char) i;
    }
    msgs[0].bytes = all;
    msgs[0].length = 256;
    msgs[1].bytes = "";
    msgs[1].length = 0;
    msgs[2].bytes = "five";
    msgs[2].length = 4;
    CHECK(MmapRinglogAppend(logPtr, 3, msgs, &seq, &err) == 0 && seq == 5);
    CHECK(ReadAll(logPtr, 0, UINT64_MAX, &damaged) == 0 && damaged == 0);
    CHECK(got.count == 5);
    CHECK(got.seqs[0] == 1 && strcmp(got.msgs[0], "one") == 0);
    CHECK(got.seqs[2] == 3 && got.lengths[2] == 256
	    && memcmp(got.msgs[2], all, 256) == 0);
    CHECK(got.seqs[3] == 4 && got.lengths[3] == 0);
    CHECK(got.seqs[4] == 5 && strcmp(got.msgs[4], "five") == 0);

    CHECK(ReadAll(logPtr, 2, 2, NULL) == 0 && got.count == 2
	    && got.seqs[0] == 2 && got.seqs[1] == 3);
    CHECK(ReadAll(logPtr, 5, 10, NULL) == 0 && got.count == 1);
    CHECK(ReadAll(logPtr, 6, 10, NULL) == 0 && got.count == 0);
    CHECK(ReadAll(logPtr, 1, 0, NULL) == 0 && got.count == 0);

    CHECK(MmapRinglogGetInfo(logPtr, &info, &err) == 0);
    CHECK(info.records == 5 && info.oldestSeq == 1 && info.nextSeq == 6);
    CHECK(info.bytes == 32 + 32 + (24 + 256) + 24 + 32);

    /* Too big: exactly the area minus one header fits. */
    memset(big, 'x', sizeof(big));
    msgs[0].bytes = big;
    msgs[0].length = 4096 - 24 + 1;
    CHECK(MmapRinglogAppend(logPtr, 1, msgs, &seq, &err)
	    == MMAP_RINGLOG_TOOBIG && err.offset == 4072);
    msgs[0].length = 4072;
    CHECK(MmapRinglogAppend(logPtr, 1, msgs, &seq, &err) == 0 && seq == 6);
    CHECK(ReadAll(logPtr, 0, UINT64_MAX, NULL) == 0 && got.count == 1
	    && got.seqs[0] == 6 && got.lengths[0] == 4072);

    roPtr = MmapRinglogOpen(Path("ar.log"), 1, &err);
    CHECK(roPtr != NULL);
    if (roPtr) {
	CHECK(MmapRinglogAppend(roPtr, 1, msgs, &seq, &err)
		== MMAP_RINGLOG_READONLY);
	CHECK(ReadAll(roPtr, 0, UINT64_MAX, NULL) == 0 && got.count == 1);
	MmapRinglogClose(roPtr);
    }
    MmapRinglogClose(logPtr);
}

/*
 * The model: where each record goes and which are held, computed from
 * the rules of the format alone.
 */

typedef struct Model {
    uint64_t dataSize, head;
    int first, n;		/* Held: seqs first .. first+n-1. */
    uint64_t pos[100000];
    uint64_t size[100000];
    uint64_t next;
} Model;

static Model model;

static void
ModelAppend(
    uint64_t length)
{
    uint64_t D = model.dataSize, size, off, start, end;

    size = 24 + ((length + 7) & ~(uint64_t) 7);
    off = model.head % D;
    start = (D - off >= size) ? model.head : (model.head / D + 1) * D;
    end = start + size;
    while (model.n > 0 && end > D && model.pos[model.first] < end - D) {
	model.first++;
	model.n--;
    }
    if (model.n == 0) {
	model.first = (int) model.next;
    }
    model.pos[model.next] = start;
    model.size[model.next] = size;
    model.n++;
    model.next++;
    model.head = end;
}

static void
TestWrapModel(void)
{
    MmapRinglogError err;
    MmapRinglogInfo info;
    MmapRinglog *logPtr;
    MmapRinglogMessage msg;
    char buf[2000];
    uint64_t seq, length;
    unsigned rnd = 12345;
    uint64_t follow = 1;
    int i, j, ok, infoOk = 1, readOk = 1, followOk = 1;

    CHECK(MmapRinglogCreate(Path("wrap.log"), 4096 + 3000, 1, &err) == 0);
    logPtr = MmapRinglogOpen(Path("wrap.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    memset(&model, 0, sizeof(model));
    model.dataSize = 3000;
    model.next = 1;
    model.first = 1;
    for (i = 1; i <= 20000; i++) {
	rnd = rnd * 1103515245 + 12345;
	length = (rnd >> 8) % ((i % 50 == 0) ? 1500 : 120);
	for (j = 0; j < (int) length; j++) {
	    buf[j] = (char) ('a' + (i + j) % 26);
	}
	msg.bytes = buf;
	msg.length = length;
	if (MmapRinglogAppend(logPtr, 1, &msg, &seq, &err) != 0
		|| seq != (uint64_t) i) {
	    CHECK(!"append in wrap");
	    break;
	}
	ModelAppend(length);
	ok = MmapRinglogGetInfo(logPtr, &info, &err) == 0
		&& info.head == model.head
		&& info.oldestSeq == (uint64_t) model.first
		&& info.nextSeq == model.next
		&& info.tail == model.pos[model.first]
		&& info.wraps == model.head / model.dataSize;
	infoOk &= ok;

	/* A follower reading "-from next" sees each record once. */
	if (i % 3 == 0) {
	    ok = ReadAll(logPtr, follow, UINT64_MAX, NULL) == 0;
	    if (follow < (uint64_t) model.first) {
		follow = (uint64_t) model.first;
	    }
	    for (j = 0; ok && j < got.count; j++) {
		ok = got.seqs[j] == follow + (uint64_t) j;
	    }
	    ok = ok && follow + (uint64_t) got.count == model.next;
	    follow = model.next;
	    followOk &= ok;
	}
	if (i % 997 == 0 || !ok) {
	    ok = ReadAll(logPtr, 0, UINT64_MAX, NULL) == 0
		    && got.count == model.n;
	    for (j = 0; ok && j < got.count; j++) {
		ok = got.seqs[j] == (uint64_t) (model.first + j)
			&& got.lengths[j] == model.size[model.first + j] - 24
			- ((8 - got.lengths[j] % 8) % 8);
	    }
	    readOk &= ok;
	}
    }
    CHECK(infoOk);
    CHECK(readOk);
    CHECK(followOk);
    CHECK(model.head / model.dataSize > 100);
    MmapRinglogClose(logPtr);
}

static void
TestDamage(void)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    uint64_t damaged, off;
    char text[64];
    unsigned char junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int i;

    CHECK(MmapRinglogCreate(Path("dmg.log"), 8192, 1, &err) == 0);
    logPtr = MmapRinglogOpen(Path("dmg.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    for (i = 1; i <= 20; i++) {
	snprintf(text, sizeof(text), "message %02d", i);	/* 10 bytes */
	Append1(logPtr, text);
    }

    /* Each record is 24 + 16 = 40 bytes; record n starts at 40*(n-1). */
    off = 4096 + 40 * 4 + 24 + 3;		/* Payload of record 5. */
    Patch(Path("dmg.log"), off, junk, 1);
    CHECK(ReadAll(logPtr, 0, UINT64_MAX, &damaged) == 0);
    CHECK(got.count == 19 && damaged == 1 && got.seqs[4] == 6);

    off = 4096 + 40 * 9 + 4;		/* Length field of record 10. */
    Patch(Path("dmg.log"), off, junk, 4);
    CHECK(ReadAll(logPtr, 0, UINT64_MAX, &damaged) == 0);
    CHECK(got.count == 18 && damaged == 2 && got.seqs[8] == 11
	    && strcmp(got.msgs[8], "message 11") == 0);

    /* Writers walk over damage too, as the tail passes it. */
    for (i = 21; i <= 300; i++) {
	snprintf(text, sizeof(text), "message %03d", i);
	CHECK(Append1(logPtr, text) == (uint64_t) i);
    }
    CHECK(ReadAll(logPtr, 0, UINT64_MAX, &damaged) == 0 && damaged == 0);
    CHECK(got.count > 50 && got.seqs[got.count - 1] == 300);
    MmapRinglogClose(logPtr);
}

static void
TestTruncate(void)
{
    MmapRinglogError err;
    MmapRinglogInfo info;
    MmapRinglog *logPtr;
    int i;

    CHECK(MmapRinglogCreate(Path("tr.log"), 16384, 1, &err) == 0);
    logPtr = MmapRinglogOpen(Path("tr.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    for (i = 0; i < 10; i++) {
	Append1(logPtr, "some message");
    }
    CHECK(truncate(Path("tr.log"), 4096) == 0);
    CHECK(ReadAll(logPtr, 0, UINT64_MAX, NULL) == MMAP_RINGLOG_FAULT);
    CHECK(MmapRinglogRead(logPtr, 0, 10, Collect, NULL, NULL, &err)
	    == MMAP_RINGLOG_FAULT && err.fault == MMAP_FAULT_BUS
	    && err.offset == 4096);
    CHECK(Append1(logPtr, "more") == 0);
    CHECK(MmapRinglogGetInfo(logPtr, &info, &err) == 0
	    && info.nextSeq == 11);
    CHECK(truncate(Path("tr.log"), 0) == 0);
    CHECK(MmapRinglogGetInfo(logPtr, &info, &err) == MMAP_RINGLOG_FAULT
	    && err.offset == 128);
    MmapRinglogClose(logPtr);
}

/* Writer threads, each with its own handle, and a reader among them. */

typedef struct ThreadArg {
    int id;
    int count;
    const char *path;
    int bad;
} ThreadArg;

static volatile int writersDone = 0;

static void
Message(
    char *buf,
    int id,
    int i)
{
    int n = sprintf(buf, "t%d %d ", id, i), pad = (i * 7 + id) % 40;

    memset(buf + n, 'a' + id, (size_t) pad);
    buf[n + pad] = '\0';
}

static void *
Writer(
    void *arg)
{
    ThreadArg *argPtr = arg;
    MmapRinglogError err;
    MmapRinglog *logPtr = MmapRinglogOpen(argPtr->path, 0, &err);
    char buf[100];
    uint64_t seq, prev = 0;
    int i;

    if (logPtr == NULL) {
	argPtr->bad++;
	return NULL;
    }
    for (i = 0; i < argPtr->count; i++) {
	Message(buf, argPtr->id, i);
	seq = Append1(logPtr, buf);
	if (seq <= prev) {
	    argPtr->bad++;
	}
	prev = seq;
    }
    MmapRinglogClose(logPtr);
    return NULL;
}

typedef struct Checker {
    int last[8];
    int bad;
    uint64_t prevSeq;
} Checker;

static int
CheckRecord(
    void *clientData,
    uint64_t seq,
    const unsigned char *bytes,
    size_t length)
{
    Checker *cPtr = clientData;
    char text[100], want[100];
    int id, i;

    if (length >= sizeof(text) || seq <= cPtr->prevSeq) {
	cPtr->bad++;
	return 0;
    }
    cPtr->prevSeq = seq;
    memcpy(text, bytes, length);
    text[length] = '\0';
    if (sscanf(text, "t%d %d", &id, &i) != 2 || id < 0 || id > 7) {
	cPtr->bad++;
	return 0;
    }
    Message(want, id, i);
    if (strcmp(want, text) != 0 || i <= cPtr->last[id]) {
	cPtr->bad++;
    }
    cPtr->last[id] = i;
    return 0;
}

static void *
Reader(
    void *arg)
{
    ThreadArg *argPtr = arg;
    MmapRinglogError err;
    MmapRinglog *logPtr = MmapRinglogOpen(argPtr->path, 1, &err);
    Checker checker;
    uint64_t damaged;
    int k;

    if (logPtr == NULL) {
	argPtr->bad++;
	return NULL;
    }
    while (!__atomic_load_n(&writersDone, __ATOMIC_ACQUIRE)) {
	memset(&checker, 0, sizeof(checker));
	for (k = 0; k < 8; k++) {
	    checker.last[k] = -1;
	}
	/* Being lapped is no damage: nothing may be reported damaged. */
	if (MmapRinglogRead(logPtr, 0, UINT64_MAX, CheckRecord, &checker,
		&damaged, &err) != 0 || damaged != 0) {
	    argPtr->bad++;
	}
	argPtr->bad += checker.bad;
	argPtr->count++;
    }
    MmapRinglogClose(logPtr);
    return NULL;
}

static void
TestThreads(
    uint64_t fileSize,
    int perThread)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    pthread_t threads[5];
    ThreadArg args[5];
    Checker checker;
    uint64_t damaged;
    int i, bad = 0;

    CHECK(MmapRinglogCreate(Path("thr.log"), fileSize, 1, &err) == 0);
    writersDone = 0;
    for (i = 0; i < 5; i++) {
	args[i].id = i;
	args[i].count = (i < 4) ? perThread : 0;
	args[i].path = Path("thr.log");
	args[i].path = strdup(args[i].path);
	args[i].bad = 0;
	pthread_create(&threads[i], NULL, (i < 4) ? Writer : Reader,
		&args[i]);
    }
    for (i = 0; i < 4; i++) {
	pthread_join(threads[i], NULL);
	bad += args[i].bad;
    }
    __atomic_store_n(&writersDone, 1, __ATOMIC_RELEASE);
    pthread_join(threads[4], NULL);
    CHECK(bad == 0);
    CHECK(args[4].bad == 0 && args[4].count > 0);

    logPtr = MmapRinglogOpen(Path("thr.log"), 1, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    memset(&checker, 0, sizeof(checker));
    for (i = 0; i < 8; i++) {
	checker.last[i] = -1;
    }
    CHECK(MmapRinglogRead(logPtr, 0, UINT64_MAX, CheckRecord, &checker,
	    &damaged, &err) == 0 && damaged == 0 && checker.bad == 0);
    CHECK(checker.prevSeq == (uint64_t) 4 * perThread);
    if (fileSize > 4096 + 64 * 4 * (uint64_t) perThread) {
	/* Nothing wrapped: every record, once. */
	for (i = 0; i < 4; i++) {
	    CHECK(checker.last[i] == perThread - 1);
	}
	CHECK(ReadAll(logPtr, 0, UINT64_MAX, NULL) == 0
		&& got.count == 4 * perThread);
    }
    MmapRinglogClose(logPtr);
    for (i = 0; i < 5; i++) {
	free((char *) args[i].path);
    }
}

/* Writers killed mid-stream: nothing torn, and the next one goes on. */
static void
TestKill(void)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    Checker checker;
    struct timespec pause = {0, 30 * 1000 * 1000};
    uint64_t damaged;
    pid_t pid;
    int i, status;

    CHECK(MmapRinglogCreate(Path("kill.log"), 4096 + 65536, 1, &err) == 0);
    for (i = 0; i < 5; i++) {
	pid = fork();
	if (pid == 0) {
	    ThreadArg arg = {i, 1 << 30, NULL, 0};

	    arg.path = Path("kill.log");
	    Writer(&arg);
	    _exit(0);
	}
	nanosleep(&pause, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status));
    }
    logPtr = MmapRinglogOpen(Path("kill.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    memset(&checker, 0, sizeof(checker));
    for (i = 0; i < 8; i++) {
	checker.last[i] = -1;
    }
    CHECK(MmapRinglogRead(logPtr, 0, UINT64_MAX, CheckRecord, &checker,
	    &damaged, &err) == 0 && damaged == 0 && checker.bad == 0);
    CHECK(checker.prevSeq > 1000);
    CHECK(Append1(logPtr, "t7 0 ") == checker.prevSeq + 1);
    MmapRinglogClose(logPtr);
}

/*
 * The writers' lock.  Sleep, and the children that hold the lock.
 */

static void
Sleep(
    int ms)
{
    struct timespec pause;

    pause.tv_sec = ms / 1000;
    pause.tv_nsec = (long) (ms % 1000) * 1000000;
    nanosleep(&pause, NULL);
}

/*
 * HoldLock --
 *	Forks a child that opens the log, takes the writers' lock as an
 *	append does and scribbles past the head, as a writer in mid-record
 *	would; returns its pid once it holds the lock.  It waits there to be
 *	killed.  The log must have room past the head (no wrap).
 */

static pid_t
HoldLock(
    const char *path)
{
    int pipes[2];
    pid_t pid;
    char c;

    if (pipe(pipes) != 0) {
	return -1;
    }
    pid = fork();
    if (pid == 0) {
	MmapRinglogError err;
	MmapRinglog *logPtr = MmapRinglogOpen(path, 0, &err);
	Cursors cursors;
	uint64_t at;

	if (logPtr == NULL || RlLock(logPtr, &err) != 0
		|| RlLoadCursors(logPtr, &cursors, &err) != 0) {
	    _exit(1);
	}
	at = cursors.head % logPtr->dataSize;
	if (cursors.head + 100 - cursors.tail > logPtr->dataSize
		|| logPtr->dataSize - at < 100) {
	    _exit(1);
	}
	memset(logPtr->area + at, 0x5A, 100);
	if (write(pipes[1], "x", 1) != 1) {
	    _exit(1);
	}
	Sleep(100000);
	_exit(0);
    }
    close(pipes[1]);
    if (pid < 0 || read(pipes[0], &c, 1) != 1) {
	if (pid > 0) {
	    kill(pid, SIGKILL);
	    waitpid(pid, NULL, 0);
	}
	pid = -1;
    }
    close(pipes[0]);
    return pid;
}

static void
KillChild(
    pid_t pid)
{
    int status;

    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

typedef struct Waiter {
    MmapRinglog *logPtr;
    uint64_t seq;
    int done;
} Waiter;

static void *
WaitingAppend(
    void *arg)
{
    Waiter *waiterPtr = arg;

    waiterPtr->seq = Append1(waiterPtr->logPtr, "after the kill");
    __atomic_store_n(&waiterPtr->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/*
 * TestLockKilledHolder --
 *	A writer killed while it holds the lock: a writer waiting for it
 *	goes on (EOWNERDEAD), and so does the next one each time; nothing
 *	committed is lost and nothing torn is read.  This process keeps the
 *	log open throughout, so no open reinitialises the lock.
 */

static void
TestLockKilledHolder(void)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    pthread_t thread;
    Waiter waiter;
    uint64_t damaged;
    char text[32];
    pid_t pid;
    int i, ok = 1;

    CHECK(MmapRinglogCreate(Path("lk.log"), 4096 + 65536, 1, &err) == 0);
    logPtr = MmapRinglogOpen(Path("lk.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    for (i = 1; i <= 50; i++) {
	snprintf(text, sizeof(text), "before %d", i);
	ok &= Append1(logPtr, text) == (uint64_t) i;
    }
    CHECK(ok);

    alarm(20);		/* A hang fails the test rather than blocking. */
    pid = HoldLock(Path("lk.log"));
    if (!CHECK(pid > 0)) {
	MmapRinglogClose(logPtr);
	return;
    }
    waiter.logPtr = logPtr;
    waiter.seq = 0;
    waiter.done = 0;
    pthread_create(&thread, NULL, WaitingAppend, &waiter);
    Sleep(100);
    CHECK(!__atomic_load_n(&waiter.done, __ATOMIC_ACQUIRE));
    KillChild(pid);
    pthread_join(thread, NULL);
    CHECK(waiter.seq == 51);

    /* Again and again, with no one waiting. */
    for (i = 0; i < 10; i++) {
	pid = HoldLock(Path("lk.log"));
	if (!CHECK(pid > 0)) {
	    break;
	}
	KillChild(pid);
	snprintf(text, sizeof(text), "after kill %d", i);
	ok &= Append1(logPtr, text) == (uint64_t) (52 + i);
    }
    alarm(0);
    CHECK(ok);
    CHECK(ReadAll(logPtr, 0, UINT64_MAX, &damaged) == 0 && damaged == 0
	    && got.count == 61 && strcmp(got.msgs[0], "before 1") == 0
	    && strcmp(got.msgs[50], "after the kill") == 0
	    && strcmp(got.msgs[60], "after kill 9") == 0
	    && got.seqs[60] == 61);
    MmapRinglogClose(logPtr);
}

/*
 * RunChild --
 *	Runs proc(path) in a child that SIGALRM kills after ms.  Returns 0
 *	when it exits with 0, 1 when it fails, 2 when it times out.
 */

static int
RunChild(
    int (*proc)(const char *path),
    const char *path,
    int ms)
{
    struct itimerval timer;
    pid_t pid;
    int status;

    pid = fork();
    if (pid == 0) {
	memset(&timer, 0, sizeof(timer));
	timer.it_value.tv_sec = ms / 1000;
	timer.it_value.tv_usec = (ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &timer, NULL);
	_exit(proc(path));
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
	return 1;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
	return 2;
    }
    return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : 1;
}

static int
OpenAndAppend(
    const char *path)
{
    MmapRinglogError err;
    MmapRinglog *logPtr = MmapRinglogOpen(path, 0, &err);
    uint64_t seq;

    if (logPtr == NULL) {
	return 1;
    }
    seq = Append1(logPtr, "after the reboot");
    MmapRinglogClose(logPtr);
    return seq == 0;
}

/*
 * TestLockStale --
 *	The lock as a reboot leaves it: "held" by a thread that no longer
 *	exists, which no kernel will ever mark as dead.  Made by copying the
 *	lock's bytes while a child held it into the file while nobody has
 *	it open.  The next open reinitialises it.  The control: while
 *	someone has the log open the lock is not reinitialised (that is the
 *	protection of live holders), and an append would wait.
 */

/*
 * LockedImage --
 *	Copies the lock area of the log at path as it is while a child
 *	holds the lock (the child then dies).  1 on success.
 */

static int
LockedImage(
    const char *path,
    unsigned char *image)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    unsigned char fresh[RL_LOCK_SIZE];
    int pipes[2], status;
    pid_t pid;

    if (pipe(pipes) != 0) {
	return 0;
    }
    pid = fork();
    if (pid == 0) {
	logPtr = MmapRinglogOpen(path, 0, &err);
	if (logPtr == NULL || RlLock(logPtr, &err) != 0) {
	    _exit(1);
	}
	memcpy(image, logPtr->base + RL_LOCK_OFFSET, RL_LOCK_SIZE);
	_exit(write(pipes[1], image, RL_LOCK_SIZE) != RL_LOCK_SIZE);
    }
    close(pipes[1]);
    status = (read(pipes[0], image, RL_LOCK_SIZE) == RL_LOCK_SIZE);
    close(pipes[0]);
    waitpid(pid, NULL, 0);

    /* Not an unlocked mutex, and marked ready. */
    memset(fresh, 0, sizeof(fresh));
    RlLockInit((pthread_mutex_t *) fresh);
    return status && memcmp(image, fresh, RL_LOCK_SIZE - 8) != 0
	    && memcmp(image + RL_LOCK_SIZE - 8, "LogLOCK1", 8) == 0;
}

static void
TestLockStale(void)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    unsigned char image[RL_LOCK_SIZE];

    CHECK(MmapRinglogCreate(Path("st.log"), 4096 + 8192, 1, &err) == 0);
    if (!CHECK(LockedImage(Path("st.log"), image))) {
	return;
    }
    Patch(Path("st.log"), RL_LOCK_OFFSET, image, RL_LOCK_SIZE);
    CHECK(RunChild(OpenAndAppend, Path("st.log"), 5000) == 0);

    logPtr = MmapRinglogOpen(Path("st.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    Patch(Path("st.log"), RL_LOCK_OFFSET, image, RL_LOCK_SIZE);
    CHECK(RunChild(OpenAndAppend, Path("st.log"), 300) == 2);
    MmapRinglogClose(logPtr);
    CHECK(RunChild(OpenAndAppend, Path("st.log"), 5000) == 0);

    logPtr = MmapRinglogOpen(Path("st.log"), 1, &err);
    CHECK(logPtr != NULL && ReadAll(logPtr, 0, UINT64_MAX, NULL) == 0
	    && got.count == 2 && got.seqs[1] == 2
	    && strcmp(got.msgs[1], "after the reboot") == 0);
    if (logPtr != NULL) {
	MmapRinglogClose(logPtr);
    }
}

/*
 * TestLockInitDied --
 *	An opener killed while it initialises the lock, with another opener
 *	waiting: the waiter must not use the half-made mutex.  The killed
 *	opener is played by a child that takes the exclusive flock, clears
 *	lockReady and leaves the mutex as a stale lock.
 */

static void
TestLockInitDied(void)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    unsigned char image[RL_LOCK_SIZE];
    struct itimerval timer;
    int pipes[2], status, fd;
    pid_t initer, waiter;
    char c;

    CHECK(MmapRinglogCreate(Path("id.log"), 4096 + 8192, 1, &err) == 0);
    if (!CHECK(LockedImage(Path("id.log"), image)) || pipe(pipes) != 0) {
	return;
    }
    memset(image + RL_LOCK_SIZE - 8, 0, 8);
    initer = fork();
    if (initer == 0) {
	fd = open(Path("id.log"), O_RDWR);
	if (fd < 0 || flock(fd, LOCK_EX) != 0
		|| pwrite(fd, image, RL_LOCK_SIZE, RL_LOCK_OFFSET)
		!= RL_LOCK_SIZE || write(pipes[1], "x", 1) != 1) {
	    _exit(1);
	}
	Sleep(100000);
	_exit(0);
    }
    close(pipes[1]);
    CHECK(read(pipes[0], &c, 1) == 1);
    close(pipes[0]);

    waiter = fork();
    if (waiter == 0) {
	memset(&timer, 0, sizeof(timer));
	timer.it_value.tv_sec = 5;
	setitimer(ITIMER_REAL, &timer, NULL);
	_exit(OpenAndAppend(Path("id.log")));
    }
    Sleep(100);
    CHECK(waitpid(waiter, &status, WNOHANG) == 0);	/* It waits. */
    KillChild(initer);
    CHECK(waitpid(waiter, &status, 0) == waiter && WIFEXITED(status)
	    && WEXITSTATUS(status) == 0);

    logPtr = MmapRinglogOpen(Path("id.log"), 1, &err);
    CHECK(logPtr != NULL && ReadAll(logPtr, 0, UINT64_MAX, NULL) == 0
	    && got.count == 1 && strcmp(got.msgs[0], "after the reboot") == 0);
    if (logPtr != NULL) {
	MmapRinglogClose(logPtr);
    }
}

/*
 * Poison --
 *	Makes the writers' lock of the log at path unrecoverable: a child
 *	dies holding it, and we take it (EOWNERDEAD) and release it without
 *	marking it consistent.  Maps the file itself, so as not to take
 *	part in the open protocol.  0 on success.
 */

static int
Poison(
    const char *path)
{
    pthread_mutex_t *mutexPtr;
    void *base;
    pid_t pid;
    int fd, status, ok;

    fd = open(path, O_RDWR);
    if (fd < 0) {
	return 1;
    }
    base = mmap(NULL, MMAP_RINGLOG_HEADER_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
	return 1;
    }
    mutexPtr = (pthread_mutex_t *) ((char *) base + RL_LOCK_OFFSET);
    pid = fork();
    if (pid == 0) {
	_exit(pthread_mutex_lock(mutexPtr) != 0);
    }
    waitpid(pid, &status, 0);
    ok = WIFEXITED(status) && WEXITSTATUS(status) == 0
	    && pthread_mutex_lock(mutexPtr) == EOWNERDEAD
	    && pthread_mutex_unlock(mutexPtr) == 0
	    && pthread_mutex_lock(mutexPtr) == ENOTRECOVERABLE;
    munmap(base, MMAP_RINGLOG_HEADER_SIZE);
    return !ok;
}

/*
 * TestLockNotRecoverable --
 *	A lock made unrecoverable by foreign code: append reports LOCK and
 *	appends nothing; once nobody has the log open, the next open
 *	reinitialises the lock and nothing is lost.
 */

static void
TestLockNotRecoverable(void)
{
    MmapRinglogError err;
    MmapRinglogMessage msg;
    MmapRinglog *logPtr;
    uint64_t seq = 0;

    CHECK(MmapRinglogCreate(Path("nr.log"), 4096 + 8192, 1, &err) == 0);
    logPtr = MmapRinglogOpen(Path("nr.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    CHECK(Append1(logPtr, "one") == 1);
    CHECK(Poison(Path("nr.log")) == 0);
    msg.bytes = "two";
    msg.length = 3;
    CHECK(MmapRinglogAppend(logPtr, 1, &msg, &seq, &err) == MMAP_RINGLOG_LOCK
	    && strcmp(err.detail, "the writers' lock is not recoverable:"
	    " close the log in every process, then open it again") == 0);
    CHECK(strcmp(MmapRinglogStatusName(MMAP_RINGLOG_LOCK), "LOCK") == 0);
    MmapRinglogClose(logPtr);

    logPtr = MmapRinglogOpen(Path("nr.log"), 0, &err);
    if (!CHECK(logPtr != NULL)) {
	return;
    }
    CHECK(Append1(logPtr, "two") == 2);
    CHECK(ReadAll(logPtr, 0, UINT64_MAX, NULL) == 0 && got.count == 2);
    MmapRinglogClose(logPtr);
}

/*
 * LoseHeader --
 *	In a child: takes the lock, truncates the file to nothing, and lets
 *	the append's fault path release the lock.  Then takes another
 *	robust mutex, before and after closing the log: the C library links
 *	held robust mutexes through the mutexes, so a lock left on this
 *	thread's list would make that fault (or, after close, write into
 *	whatever is mapped where the log was).
 */

static int
LoseHeader(
    const char *path)
{
    MmapRinglogError err;
    MmapRinglogInfo info;
    MmapRinglog *logPtr = MmapRinglogOpen(path, 0, &err);
    pthread_mutex_t other;

    if (logPtr == NULL || RlLock(logPtr, &err) != 0) {
	return 1;
    }
    if (truncate(path, 0) != 0) {
	return 1;
    }
    RlUnlockAfterFault(logPtr);
    if (RlLockInit(&other) != 0 || pthread_mutex_lock(&other) != 0
	    || pthread_mutex_unlock(&other) != 0) {
	return 1;
    }
    if (MmapRinglogGetInfo(logPtr, &info, &err) != MMAP_RINGLOG_FAULT
	    || err.offset != 128) {
	return 1;
    }
    MmapRinglogClose(logPtr);
    if (pthread_mutex_lock(&other) != 0
	    || pthread_mutex_unlock(&other) != 0) {
	return 1;
    }
    return 0;
}

static void
TestLockLostPage(void)
{
    MmapRinglogError err;

    CHECK(MmapRinglogCreate(Path("lp.log"), 4096 + 8192, 1, &err) == 0);
    CHECK(RunChild(LoseHeader, Path("lp.log"), 5000) == 0);
}

/*
 * Downgrade --
 *	Makes a new log a version 1 file, as mmap 1.x and 2.0 wrote them:
 *	the version and the header checksum; the bytes from 512 on are
 *	already zero in a log that nobody has waited on or named a cursor
 *	in.  Also "ringlog_test v1 path", for tests/ringqueue.test.
 */

static int
Downgrade(
    const char *path)
{
    unsigned char header[64];
    uint32_t version = 1, crc;
    int fd = open(path, O_RDWR);

    if (fd < 0 || pread(fd, header, sizeof(header), 0)
	    != (ssize_t) sizeof(header)) {
	perror(path);
	return 2;
    }
    memcpy(header + 16, &version, 4);
    crc = MmapRinglogCrc32c(0, header, 60);
    memcpy(header + 60, &crc, 4);
    if (pwrite(fd, header, sizeof(header), 0) != (ssize_t) sizeof(header)) {
	perror(path);
	return 2;
    }
    close(fd);
    return 0;
}

/*
 * TestVersion1 --
 *	A version 1 file opens, reports version 1, and does everything a
 *	version 2 file does: append, read, wait, named cursors.
 */

static void
TestVersion1(void)
{
    MmapRinglogMessage msg = { "one", 3 };
    MmapRinglogError err;
    MmapRinglogInfo info;
    MmapRinglog *logPtr;
    uint64_t seq = 0;
    int found = 0;

    CHECK(MmapRinglogCreate(Path("v1.log"), 8192, 1, &err) == 0);
    CHECK(Downgrade(Path("v1.log")) == 0);
    logPtr = MmapRinglogOpen(Path("v1.log"), 0, &err);
    CHECK(logPtr != NULL);
    if (logPtr == NULL) {
	return;
    }
    CHECK(MmapRinglogGetInfo(logPtr, &info, &err) == 0 && info.version == 1);
    CHECK(MmapRinglogAppend(logPtr, 1, &msg, &seq, &err) == 0 && seq == 1);
    CHECK(MmapRinglogWait(logPtr, NULL, 0, 0, &seq, &err) == 0 && seq == 2);
    CHECK(MmapRinglogWait(logPtr, NULL, 2, 10, &seq, &err)
	    == MMAP_RINGLOG_TIMEOUT);
    CHECK(MmapRinglogSetCursor(logPtr, "c", 1, 2, &err) == 0);
    CHECK(MmapRinglogGetCursor(logPtr, "c", 1, &seq, &found, &err) == 0
	    && found && seq == 2);
    CHECK(ReadAll(logPtr, 0, 10, NULL) == 0 && got.count == 1
	    && strcmp(got.msgs[0], "one") == 0);
    MmapRinglogClose(logPtr);
}

int
main(
    int argc,
    char **argv)
{
    if (argc == 3 && strcmp(argv[1], "poison") == 0) {
	return Poison(argv[2]);
    }
    if (argc == 3 && strcmp(argv[1], "v1") == 0) {
	return Downgrade(argv[2]);
    }
    if (ScratchBegin(argc, argv, "/tmp/ringlog_testXXXXXX") != 0) {
	return 2;
    }
    TestCrc();
    TestCreateOpen();
    TestAppendRead();
    TestWrapModel();
    TestDamage();
    TestTruncate();
    TestThreads(4096 + 4 * 1024 * 1024, 20000);
    TestThreads(4096 + 8192, 20000);
    TestKill();
    TestLockKilledHolder();
    TestLockStale();
    TestLockInitDied();
    TestLockNotRecoverable();
    TestLockLostPage();
    TestVersion1();
    GotReset();
    ScratchEnd(argc);
    return Report();
}
