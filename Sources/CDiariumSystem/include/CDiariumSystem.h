#ifndef C_DIARIUM_SYSTEM_H
#define C_DIARIUM_SYSTEM_H
#include <stdint.h>

/// Starts asynchronous write-back of a file range (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`, which
/// Swift's Glibc module does not expose because it needs _GNU_SOURCE). A no-op elsewhere. Returns 0 or -1.
int diarium_start_writeback(int fd, int64_t offset, int64_t length);

/// Writes out everything pending on the file system that holds `fd`, data and names, and waits (Linux `syncfs`,
/// which also needs _GNU_SOURCE). -1 with errno ENOSYS elsewhere: callers then sync file by file.
int diarium_sync_file_system(int fd);

/// Makes the entries of `directory` (a new, renamed or removed name in it) durable: opens it and fsyncs it, again on
/// EINTR. 0, or -1 with errno. The one place every layer that publishes files syncs their directory through.
int diarium_sync_directory(const char *directory);

/// Opens a file without a name in `directory` (Linux `O_TMPFILE`): if the process dies before the file is given
/// a name, the file system frees it; nothing is left behind. -1 with errno (EOPNOTSUPP, EISDIR, …) where the file
/// system or kernel cannot; callers then fall back to a named temp file.
int diarium_open_unnamed(const char *directory, unsigned int mode);

/// Gives a file opened with `diarium_open_unnamed` the name `path` (which must not exist). 0 or -1 with errno.
int diarium_link_unnamed(int fd, const char *path);

/// Renames `from` to `to` only if `to` does not exist (Linux `renameat2(RENAME_NOREPLACE)`): a name made there
/// meanwhile is never replaced. Where the file system cannot, falls back to checking first and renaming (racy).
/// 0, or -1 with errno (EEXIST when `to` exists).
int diarium_rename_noreplace(const char *from, const char *to);

#endif
