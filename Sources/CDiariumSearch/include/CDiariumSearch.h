#ifndef CDIARIUM_SEARCH_H
#define CDIARIUM_SEARCH_H

struct sqlite3;

/// Registers the FTS5 auxiliary function `diarium_rank` on a connection. SQLITE_OK, or an SQLite error code.
int diarium_register_rank(struct sqlite3 *db);

#endif
