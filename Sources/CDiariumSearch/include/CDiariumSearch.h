#ifndef CDIARIUM_SEARCH_H
#define CDIARIUM_SEARCH_H

struct sqlite3;

/// Registers the FTS5 auxiliary functions `diarium_rank` (rank.c) and `diarium_snippet` (snippet.c) on a
/// connection. SQLITE_OK, or an SQLite error code.
int diarium_register_functions(struct sqlite3 *db);

#endif
