// diarium_rank(fts, weight, ...): FTS5's bm25 with every phrase's IDF set to 1.
//
// FTS5's bm25() computes each phrase's IDF on its first call by counting every document the phrase matches: for a
// common word that reads its whole doclist, and for a phrase it checks positions in every candidate, often more
// work than the query itself. For a query of one phrase (or word, or prefix) the IDF is the same for every document,
// so leaving it out changes no ranking; Diarium uses this function only for such queries. Otherwise it is bm25:
// k1 = 1.2, b = 0.75, per-column weights, document length over all columns against the table's average.
#include <sqlite3.h>
#include <string.h>

typedef struct RankData {
    double averageLength;
    int phraseCount;
    double frequencies[];   // per phrase, reused for each row
} RankData;

static void rankDataDelete(void *p) { sqlite3_free(p); }

static int rankData(const Fts5ExtensionApi *api, Fts5Context *fts, RankData **out) {
    RankData *data = (RankData *)api->xGetAuxdata(fts, 0);
    if (data == NULL) {
        sqlite3_int64 rows = 0, tokens = 0;
        int rc = api->xRowCount(fts, &rows);
        if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
        if (rc != SQLITE_OK) return rc;
        int phrases = api->xPhraseCount(fts);
        data = (RankData *)sqlite3_malloc64(sizeof(RankData) + sizeof(double) * (sqlite3_uint64)phrases);
        if (data == NULL) return SQLITE_NOMEM;
        data->averageLength = rows > 0 ? (double)tokens / (double)rows : 1.0;
        if (data->averageLength <= 0) data->averageLength = 1.0;
        data->phraseCount = phrases;
        rc = api->xSetAuxdata(fts, data, rankDataDelete);
        if (rc != SQLITE_OK) return rc;
    }
    *out = data;
    return SQLITE_OK;
}

static void rankFunction(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context,
                         int argumentCount, sqlite3_value **arguments) {
    const double k1 = 1.2, b = 0.75;
    RankData *data = NULL;
    int rc = rankData(api, fts, &data);
    int instances = 0;
    if (rc == SQLITE_OK) {
        memset(data->frequencies, 0, sizeof(double) * (size_t)data->phraseCount);
        rc = api->xInstCount(fts, &instances);
    }
    for (int i = 0; rc == SQLITE_OK && i < instances; i++) {
        int phrase = 0, column = 0, offset = 0;
        rc = api->xInst(fts, i, &phrase, &column, &offset);
        if (rc == SQLITE_OK && phrase >= 0 && phrase < data->phraseCount) {
            data->frequencies[phrase] += column < argumentCount ? sqlite3_value_double(arguments[column]) : 1.0;
        }
    }
    int length = 0;
    if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &length);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(context, rc);
        return;
    }
    double score = 0;
    for (int i = 0; i < data->phraseCount; i++) {
        double f = data->frequencies[i];
        score += (f * (k1 + 1.0)) / (f + k1 * (1.0 - b + b * (double)length / data->averageLength));
    }
    sqlite3_result_double(context, -score);   // like bm25(): smaller is better
}

int diarium_register_snippet(fts5_api *api);   // snippet.c

int diarium_register_functions(struct sqlite3 *db) {
    fts5_api *api = NULL;
    sqlite3_stmt *statement = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &statement, NULL);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_pointer(statement, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(statement);
    rc = sqlite3_finalize(statement);
    if (rc != SQLITE_OK) return rc;
    if (api == NULL || api->iVersion < 2) return SQLITE_ERROR;
    rc = api->xCreateFunction(api, "diarium_rank", NULL, rankFunction, NULL);
    return rc == SQLITE_OK ? diarium_register_snippet(api) : rc;
}
