/*
 * fileref.h --
 *
 *	The descriptors that mappings of regular files keep, one per file
 *	(device and inode) and access, shared by every mapping of that file
 *	in the process and counted.  A mapping needs its file afterwards only
 *	to tell truncation from an I/O error (fstat) and to resize
 *	(ftruncate, mmap); a descriptor per mapping would make the number of
 *	maps a process can hold that of its descriptors (ulimit -n), and push
 *	the application's own descriptors past FD_SETSIZE, where Tcl's select
 *	notifier cannot watch them.  So the shared descriptor is also placed
 *	at or above FD_SETSIZE when the limit allows.  No Tcl here.
 */

#ifndef MMAP_FILEREF_H
#define MMAP_FILEREF_H

typedef struct MmapFileRef MmapFileRef;

int		MmapFileAcquire(int fd, int writable, MmapFileRef **refPtr);
int		MmapFileDescriptor(const MmapFileRef *refPtr);
void		MmapFileRelease(MmapFileRef *refPtr);

#endif /* MMAP_FILEREF_H */
