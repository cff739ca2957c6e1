// diarium_copy_row: hands FTS5 a row of its content view exactly as the view gives it.
//
// An external-content FTS5 table must be told, to delete a document, the very values it indexed. Reading them into
// Swift and binding them again is not exact (GRDB reads text as a C string, so a NUL would cut it) and copies the
// whole body twice; an INSERT … SELECT is exact but opens a statement transaction, at which FTS5 writes its pending
// terms as a new segment (one segment per registered document). sqlite3_bind_value copies each value unchanged.
#include <sqlite3.h>

#include "CDiariumSearch.h"

int diarium_copy_row(struct sqlite3_stmt *select, struct sqlite3_stmt *insert, sqlite3_int64 id, const char *command) {
    sqlite3_reset(select);
    sqlite3_reset(insert);
    int rc = sqlite3_bind_int64(select, 1, id);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(select);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(select);
        return SQLITE_OK;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(select);
        return rc;
    }
    int next = 1;
    rc = SQLITE_OK;
    if (command) rc = sqlite3_bind_text(insert, next++, command, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(insert, next++, id);
    int columns = sqlite3_column_count(select);
    for (int i = 0; i < columns && rc == SQLITE_OK; i++) {
        rc = sqlite3_bind_value(insert, next + i, sqlite3_column_value(select, i));
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(insert);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    sqlite3_reset(insert);
    sqlite3_clear_bindings(insert);
    sqlite3_reset(select);
    return rc;
}
