#ifndef C_DIARIUM_SYSTEM_H
#define C_DIARIUM_SYSTEM_H
#include <stdint.h>

/// Starts asynchronous write-back of a file range (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`, which
/// Swift's Glibc module does not expose because it needs _GNU_SOURCE). A no-op elsewhere. Returns 0 or -1.
int diarium_start_writeback(int fd, int64_t offset, int64_t length);

#endif
