/*
 * ringlog_test.c --
 *
 *	Unit test of the ring log core (c/ringlog.c) without Tcl: checksums,
 *	create and open with every format error, append and read, wrapping
 *	against a model of the format, damage, truncation, writers in
 *	threads and a writer killed mid-stream.
 *
 *	Build: gcc -D_GNU_SOURCE -Ic c/ringlog.c c/guard.c
 *		tests/c/ringlog_test.c -lpthread -o ringlog_test
 *	Run: ./ringlog_test ?directory?   (a temporary directory by default)
 *	Prints "N passed, 0 failed" and exits 0 when all is well.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ringlog.h"

static int passed = 0, failed = 0;
static char dir[256];

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

static char *
Path(
    const char *name)
{
    static char buf[512];

    snprintf(buf, sizeof(buf), "%s/%s", dir, name);
    return buf;
}

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
    value = 2;
    Patch(Path("v.log"), 16, &value, 4);
    CHECK(MmapRinglogOpen(Path("v.log"), 0, &err) == NULL
	    && err.status == MMAP_RINGLOG_VERSION);
    CHECK(strcmp(err.detail, "format version 2 is not supported (this"
	    " library reads version 1)") == 0);

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

/* A writer killed mid-stream, and one killed holding the lock. */
static void
TestKill(void)
{
    MmapRinglogError err;
    MmapRinglog *logPtr;
    Checker checker;
    struct timespec pause = {0, 30 * 1000 * 1000};
    uint64_t damaged;
    pid_t pid;
    int i, status, fd, pipes[2];
    char c;

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

    /* The kernel drops the lock of a dead holder. */
    CHECK(pipe(pipes) == 0);
    pid = fork();
    if (pid == 0) {
	fd = open(Path("kill.log"), O_RDWR);
	flock(fd, LOCK_EX);
	if (write(pipes[1], "x", 1) != 1) {
	    _exit(1);
	}
	pause.tv_sec = 100;
	nanosleep(&pause, NULL);
	_exit(0);
    }
    CHECK(read(pipes[0], &c, 1) == 1);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    CHECK(Append1(logPtr, "t7 0 ") == checker.prevSeq + 1);
    close(pipes[0]);
    close(pipes[1]);
    MmapRinglogClose(logPtr);
}

int
main(
    int argc,
    char **argv)
{
    char cmd[600];

    if (argc > 1) {
	snprintf(dir, sizeof(dir), "%s", argv[1]);
    } else {
	strcpy(dir, "/tmp/ringlog_testXXXXXX");
	if (mkdtemp(dir) == NULL) {
	    perror("mkdtemp");
	    return 2;
	}
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
    GotReset();
    if (argc <= 1) {
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
	    fprintf(stderr, "could not remove %s\n", dir);
	}
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
