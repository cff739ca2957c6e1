#ifndef CDIARIUM_SEARCH_H
#define CDIARIUM_SEARCH_H

struct sqlite3;
struct sqlite3_stmt;

/// Registers the FTS5 auxiliary functions `diarium_rank`, `diarium_bm25`, `diarium_bm25_given`,
/// `diarium_phrase_documents`, `diarium_rank_over` (rank.c) and
/// `diarium_snippet` (snippet.c), and the tokenizer that wraps unicode61 under its name (tokenizer.c), on a
/// connection. SQLITE_OK, or an SQLite error code.
int diarium_register_functions(struct sqlite3 *db);

/// Binds `id` to `select`'s only parameter and steps it once; if it gives a row, binds `command` (when not NULL),
/// `id` and then the row's columns, unchanged, to `insert`'s parameters, and steps `insert` (rowcopy.c). Both
/// statements are reset. SQLITE_OK (also when there is no row), or an error code whose message is the connection's.
int diarium_copy_row(struct sqlite3_stmt *select, struct sqlite3_stmt *insert, long long id, const char *command);

#endif
