// diarium_rank(fts, weight, ...): FTS5's bm25 with every phrase's IDF set to 1.
// diarium_bm25(fts, weight, ...): FTS5's bm25, IDF included.
// diarium_bm25_given(fts, documents, weight, ...): diarium_bm25 with each phrase's document count given, as
//   diarium_phrase_documents gives them (text), instead of counted.
// diarium_phrase_documents(fts): each phrase's document count as bm25 uses it, as text: "n1 n2 …".
// diarium_rank_over(fts, columns, weight, ...): diarium_rank with the average length taken over the columns of the
//   bitmask `columns` only, whatever the weights.
// diarium_rank_top(fts, k, weight, ...): diarium_rank for an `ORDER BY … LIMIT` of at most k rows, in one scan: a row
//   that cannot be among the k best seen so far is answered 1.0 (after every real score, which is never above 0)
//   without reading its length. The k best rows, in their order, are diarium_rank's.
//
// FTS5's bm25() computes each phrase's IDF on its first call by counting every document the phrase matches: for a
// common word that reads its whole doclist, and for a phrase it checks positions in every candidate, often more
// work than the query itself. For a query of one phrase (or word, or prefix) the IDF is the same for every document,
// so leaving it out changes no ranking but for the lengths (below); Diarium uses diarium_rank only for such queries.
// Otherwise it is bm25:
// k1 = 1.2, b = 0.75, per-column weights.
//
// The count stops at half the documents: from there on the IDF, log((N - n + 0.5) / (n + 0.5)), is not above zero and
// bm25 takes its floor (1e-6) whatever n is. A word in nearly every document is thus counted over half its doclist.
//
// FTS5 keeps a function's statistics for one scan (one cursor). Looking documents up one by one (a statement per
// document) would count every phrase again at each: diarium_phrase_documents counts them once, on any one match of
// the expression, and diarium_bm25_given takes those counts, so a lookup scores exactly as a scan does.
//
// Unlike bm25(), all the scoring functions count a document's length (and, but for diarium_rank_over, the average)
// over the columns whose weight is not zero only: the public search gives the restricted columns weight 0, so text the public may not search does not move public
// results either (a longer restricted text would otherwise push a document down, and tell that it is there). The
// index's scope column (one token per document, weight 0) is thus left out of every length here, not in bm25().
//
// diarium_rank_top: reading a document's length (its docsize row, a B-tree lookup) is five sixths of ranking a match
// (50 of 60 ms for a word in 47,000 documents of 1,000,000). A row's score can be no better than with a length of 0
// (for weights of 0 or more: with others nothing is left out); once k rows are scored, a row whose best possible
// score is below the k-th best so far is out, exactly (the k-th best only rises). Rows are remembered by rowid, so
// that a score asked for twice is counted once. One diarium_rank_top per statement: its state is per cursor, so a
// second call on the same cursor (other k, other weights) would share the first one's.
//
// diarium_rank_over is for a reader cleared for some series (a clerk): there, documents are matched and weighed over
// every column, restricted ones included, but the statistics that span the whole store must not: neither IDF (how
// many documents hold a word, restricted text of other departments included) nor the average length. It takes no
// IDF and averages over the public columns, so nothing hidden elsewhere moves the order of what that reader sees.
#include <sqlite3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/// diarium_rank_top's state: the best totals so far (a min-heap of at most `capacity`), and the last row's answer.
typedef struct Top {
    int capacity, count;
    int hasLast;
    sqlite3_int64 lastRowid;
    double lastScore;
    double best[];
} Top;

typedef struct RankData {
    double averageLength;
    int phraseCount;
    double *idf;            // per phrase, or NULL (diarium_rank)
    Top *top;               // diarium_rank_top only
    double frequencies[];   // per phrase, reused for each row
} RankData;

static void rankDataDelete(void *p) {
    if (p != NULL) sqlite3_free(((RankData *)p)->top);
    sqlite3_free(p);
}

/// Keeps `total` if it is among the `capacity` best so far.
static void topKeep(Top *top, double total) {
    if (top->count < top->capacity) {
        int i = top->count++;
        while (i > 0 && top->best[(i - 1) / 2] > total) { top->best[i] = top->best[(i - 1) / 2]; i = (i - 1) / 2; }
        top->best[i] = total;
    } else if (total > top->best[0]) {
        int i = 0;
        for (;;) {
            int child = 2 * i + 1;
            if (child >= top->count) break;
            if (child + 1 < top->count && top->best[child + 1] < top->best[child]) child++;
            if (top->best[child] >= total) break;
            top->best[i] = top->best[child];
            i = child;
        }
        top->best[i] = total;
    }
}

static double weight(int column, int argumentCount, sqlite3_value **arguments) {
    return column < argumentCount ? sqlite3_value_double(arguments[column]) : 1.0;
}

typedef struct Count {
    sqlite3_int64 hits;
    sqlite3_int64 enough;   // where the IDF reaches its floor: counting further changes nothing
} Count;

static int countRow(const Fts5ExtensionApi *api, Fts5Context *fts, void *context) {
    (void)api; (void)fts;
    Count *count = (Count *)context;
    return ++count->hits >= count->enough ? SQLITE_DONE : SQLITE_OK;   // SQLITE_DONE: xQueryPhrase stops, no error
}

/// The documents phrase `phrase` matches, up to the first count at which bm25's IDF is at its floor (n ≥ rows / 2).
static int phraseDocuments(const Fts5ExtensionApi *api, Fts5Context *fts, int phrase, sqlite3_int64 rows,
                           sqlite3_int64 *documents) {
    Count count = { 0, rows / 2 + rows % 2 };
    int rc = count.enough > 0 ? api->xQueryPhrase(fts, phrase, (void *)&count, countRow) : SQLITE_OK;
    *documents = count.hits;
    return rc;
}

static double inverseDocumentFrequency(sqlite3_int64 rows, sqlite3_int64 documents) {
    double idf = log(((double)rows - (double)documents + 0.5) / ((double)documents + 0.5));
    return idf > 0.0 ? idf : 1e-6;   // as FTS5's bm25: never zero or negative
}

/// Parses `text` ("n1 n2 …", as diarium_phrase_documents writes it) into `phrases` counts; 0 if it is not exactly that.
static int parseDocuments(const unsigned char *text, int phrases, sqlite3_int64 *documents) {
    const char *p = (const char *)text;
    if (p == NULL) return 0;
    for (int i = 0; i < phrases; i++) {
        if (i > 0 && *p++ != ' ') return 0;
        if (*p < '0' || *p > '9') return 0;
        char *end = NULL;
        long long value = strtoll(p, &end, 10);
        if (end == p || value < 0) return 0;
        documents[i] = value;
        p = end;
    }
    return *p == '\0';
}

/// `averaged`: a bitmask of the columns the average length spans; -1 for those whose weight is not zero.
/// `given`: each phrase's document count as text (diarium_bm25_given), or NULL to count them (when `withIDF`).
/// `keep`: how many best rows diarium_rank_top keeps (0: every row is scored).
static int rankData(const Fts5ExtensionApi *api, Fts5Context *fts, int withIDF, sqlite3_value *given, sqlite3_int64 averaged,
                    int keep, int argumentCount, sqlite3_value **arguments, RankData **out) {
    RankData *data = (RankData *)api->xGetAuxdata(fts, 0);
    if (data == NULL) {
        sqlite3_int64 rows = 0, tokens = 0;
        int rc = api->xRowCount(fts, &rows);
        for (int column = 0; rc == SQLITE_OK && column < api->xColumnCount(fts); column++) {
            if (averaged < 0 ? weight(column, argumentCount, arguments) == 0 : column >= 62 || !(averaged & (1LL << column))) continue;
            sqlite3_int64 size = 0;
            rc = api->xColumnTotalSize(fts, column, &size);
            tokens += size;
        }
        if (rc != SQLITE_OK) return rc;
        int phrases = api->xPhraseCount(fts);
        sqlite3_uint64 bytes = sizeof(RankData) + sizeof(double) * (sqlite3_uint64)phrases * (withIDF ? 2 : 1);
        data = (RankData *)sqlite3_malloc64(bytes);
        if (data == NULL) return SQLITE_NOMEM;
        memset(data, 0, (size_t)bytes);
        data->averageLength = rows > 0 ? (double)tokens / (double)rows : 1.0;
        if (data->averageLength <= 0) data->averageLength = 1.0;
        data->phraseCount = phrases;
        if (withIDF) {
            data->idf = data->frequencies + phrases;
            sqlite3_int64 *documents = (sqlite3_int64 *)sqlite3_malloc64(sizeof(sqlite3_int64) * (sqlite3_uint64)(phrases > 0 ? phrases : 1));
            if (documents == NULL) { sqlite3_free(data); return SQLITE_NOMEM; }
            if (given != NULL) {
                if (!parseDocuments(sqlite3_value_text(given), phrases, documents)) rc = SQLITE_MISMATCH;
            } else {
                for (int i = 0; rc == SQLITE_OK && i < phrases; i++) rc = phraseDocuments(api, fts, i, rows, &documents[i]);
            }
            for (int i = 0; rc == SQLITE_OK && i < phrases; i++) data->idf[i] = inverseDocumentFrequency(rows, documents[i]);
            sqlite3_free(documents);
            if (rc != SQLITE_OK) { sqlite3_free(data); return rc; }
        }
        if (keep > 0) {
            data->top = (Top *)sqlite3_malloc64(sizeof(Top) + sizeof(double) * (sqlite3_uint64)keep);
            if (data->top == NULL) { sqlite3_free(data); return SQLITE_NOMEM; }
            memset(data->top, 0, sizeof(Top));
            data->top->capacity = keep;
        }
        rc = api->xSetAuxdata(fts, data, rankDataDelete);
        if (rc != SQLITE_OK) return rc;
    }
    *out = data;
    return SQLITE_OK;
}

/// bm25's term for a phrase of weighted frequency `f` in a document of `length` tokens, in FTS5's order of operations.
/// At a length of 0 it is the most the phrase can add to any document's total (diarium_rank_top's bound).
static double bm25Term(double f, double length, double averageLength) {
    const double k1 = 1.2, b = 0.75;
    return (f * (k1 + 1.0)) / (f + k1 * (1.0 - b + b * length / averageLength));
}

static void score(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context,
                  int argumentCount, sqlite3_value **arguments, int withIDF, sqlite3_value *given, sqlite3_int64 averaged, int keep) {
    RankData *data = NULL;
    int rc = rankData(api, fts, withIDF, given, averaged, keep, argumentCount, arguments, &data);
    if (rc == SQLITE_MISMATCH) {
        sqlite3_result_error(context, "diarium_bm25_given(fts, documents, weight, ...): documents is not one count per phrase", -1);
        return;
    }
    int instances = 0;
    if (rc == SQLITE_OK) {
        memset(data->frequencies, 0, sizeof(double) * (size_t)data->phraseCount);
        rc = api->xInstCount(fts, &instances);
    }
    for (int i = 0; rc == SQLITE_OK && i < instances; i++) {
        int phrase = 0, column = 0, offset = 0;
        rc = api->xInst(fts, i, &phrase, &column, &offset);
        if (rc == SQLITE_OK && phrase >= 0 && phrase < data->phraseCount) {
            data->frequencies[phrase] += weight(column, argumentCount, arguments);
        }
    }
    Top *top = rc == SQLITE_OK ? data->top : NULL;
    if (top != NULL) {
        sqlite3_int64 rowid = api->xRowid(fts);
        if (top->hasLast && rowid == top->lastRowid) {   // asked again for the same row: not kept twice
            sqlite3_result_double(context, top->lastScore);
            return;
        }
        top->hasLast = 0;   // until this row's answer is known
        top->lastRowid = rowid;
        if (top->count == top->capacity) {
            double best = 0;   // the total with a length of 0: the most this row can score
            for (int i = 0; i < data->phraseCount; i++) {
                double term = bm25Term(data->frequencies[i], 0.0, data->averageLength);
                best += data->idf ? data->idf[i] * term : term;
            }
            if (best < top->best[0]) {
                top->lastScore = 1.0;
                top->hasLast = 1;
                sqlite3_result_double(context, 1.0);
                return;
            }
        }
    }
    int length = 0;
    for (int column = 0; rc == SQLITE_OK && column < api->xColumnCount(fts); column++) {
        if (weight(column, argumentCount, arguments) == 0) continue;
        int size = 0;
        rc = api->xColumnSize(fts, column, &size);
        length += size;
    }
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(context, rc);
        return;
    }
    double total = 0;
    for (int i = 0; i < data->phraseCount; i++) {
        double term = bm25Term(data->frequencies[i], (double)length, data->averageLength);
        total += data->idf ? data->idf[i] * term : term;
    }
    if (top != NULL) {
        topKeep(top, total);
        top->lastScore = -total;
        top->hasLast = 1;
    }
    sqlite3_result_double(context, -total);   // like bm25(): smaller is better
}

static void rankFunction(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context,
                         int argumentCount, sqlite3_value **arguments) {
    score(api, fts, context, argumentCount, arguments, 0, NULL, -1, 0);
}

static void rankOverFunction(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context,
                             int argumentCount, sqlite3_value **arguments) {
    if (argumentCount < 1 || sqlite3_value_type(arguments[0]) != SQLITE_INTEGER || sqlite3_value_int64(arguments[0]) < 0) {
        sqlite3_result_error(context, "diarium_rank_over(fts, columns, weight, ...): columns is a bitmask", -1);
        return;
    }
    score(api, fts, context, argumentCount - 1, arguments + 1, 0, NULL, sqlite3_value_int64(arguments[0]), 0);
}

static void rankTopFunction(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context,
                            int argumentCount, sqlite3_value **arguments) {
    sqlite3_int64 keep = argumentCount < 1 || sqlite3_value_type(arguments[0]) != SQLITE_INTEGER ? 0 : sqlite3_value_int64(arguments[0]);
    if (keep < 1) {
        sqlite3_result_error(context, "diarium_rank_top(fts, k, weight, ...): k is a count of rows, 1 or more", -1);
        return;
    }
    // Beyond a million rows kept, no row is left out (the heap would be larger than the scan is worth); nor with a
    // weight below 0 or not finite, for which a length of 0 no longer gives the most a row can score.
    for (int i = 1; i < argumentCount && keep > 0; i++) {
        double w = sqlite3_value_double(arguments[i]);
        if (!(w >= 0) || isinf(w)) keep = 0;
    }
    score(api, fts, context, argumentCount - 1, arguments + 1, 0, NULL, -1, keep > 1000000 ? 0 : (int)keep);
}

static void bm25Function(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context,
                         int argumentCount, sqlite3_value **arguments) {
    score(api, fts, context, argumentCount, arguments, 1, NULL, -1, 0);
}

static void bm25GivenFunction(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context,
                              int argumentCount, sqlite3_value **arguments) {
    if (argumentCount < 1 || sqlite3_value_type(arguments[0]) != SQLITE_TEXT) {
        sqlite3_result_error(context, "diarium_bm25_given(fts, documents, weight, ...): documents is text", -1);
        return;
    }
    score(api, fts, context, argumentCount - 1, arguments + 1, 1, arguments[0], -1, 0);
}

static void phraseDocumentsFunction(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context,
                                    int argumentCount, sqlite3_value **arguments) {
    (void)argumentCount; (void)arguments;
    sqlite3_int64 rows = 0;
    int rc = api->xRowCount(fts, &rows);
    sqlite3_str *text = sqlite3_str_new(NULL);
    for (int i = 0; rc == SQLITE_OK && i < api->xPhraseCount(fts); i++) {
        sqlite3_int64 documents = 0;
        rc = phraseDocuments(api, fts, i, rows, &documents);
        sqlite3_str_appendf(text, i > 0 ? " %lld" : "%lld", documents);
    }
    if (rc == SQLITE_OK) rc = sqlite3_str_errcode(text);
    char *result = sqlite3_str_finish(text);
    if (rc != SQLITE_OK) {
        sqlite3_free(result);
        sqlite3_result_error_code(context, rc);
        return;
    }
    sqlite3_result_text(context, result ? result : "", -1, result ? sqlite3_free : SQLITE_STATIC);
}

int diarium_register_snippet(fts5_api *api);     // snippet.c
int diarium_register_tokenizer(fts5_api *api);   // tokenizer.c

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
    if (rc == SQLITE_OK) rc = api->xCreateFunction(api, "diarium_bm25", NULL, bm25Function, NULL);
    if (rc == SQLITE_OK) rc = api->xCreateFunction(api, "diarium_bm25_given", NULL, bm25GivenFunction, NULL);
    if (rc == SQLITE_OK) rc = api->xCreateFunction(api, "diarium_phrase_documents", NULL, phraseDocumentsFunction, NULL);
    if (rc == SQLITE_OK) rc = api->xCreateFunction(api, "diarium_rank_over", NULL, rankOverFunction, NULL);
    if (rc == SQLITE_OK) rc = api->xCreateFunction(api, "diarium_rank_top", NULL, rankTopFunction, NULL);
    if (rc == SQLITE_OK) rc = diarium_register_snippet(api);
    return rc == SQLITE_OK ? diarium_register_tokenizer(api) : rc;
}
