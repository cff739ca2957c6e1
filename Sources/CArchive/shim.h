#include <archive.h>
#include <archive_entry.h>
// The AE_IF* file-type macros are casts, which Swift cannot import.
static const unsigned int CA_IFREG = AE_IFREG;
static const unsigned int CA_IFDIR = AE_IFDIR;
static const unsigned int CA_IFLNK = AE_IFLNK;
static const unsigned int CA_IFMT  = AE_IFMT;
