// The `diarium` FTS5 tokenizer: unicode61, with the arguments given, whose tokens have the Turkish İ (U+0130) and
// dotless ı (U+0131) as i.
//
// unicode61 folds case by the simple mappings of Unicode 6.1, and İ has none (its lower case is i and a combining
// dot), so "İsmail" stayed a word of its own that "ismail" never found; and "YILMAZ" folds to "yilmaz", which is not
// how "Yılmaz" is indexed. Names such as these are common in Swedish municipalities' records and are written both
// ways, with Turkish letters and without: both are found now. The query's words go through the same tokenizer (and
// `SearchQueryParser.folded` folds them the same way for the index's vocabulary).
#include <sqlite3.h>
#include <string.h>

typedef struct Tokenizer {
    fts5_tokenizer inner;          // unicode61's methods
    Fts5Tokenizer *instance;       // unicode61 made with the table's arguments
} Tokenizer;

typedef struct Forward {
    void *context;
    int (*token)(void *, int, const char *, int, int, int);
} Forward;

static int create(void *userData, const char **arguments, int count, Fts5Tokenizer **out) {
    fts5_api *api = (fts5_api *)userData;
    void *innerData = NULL;
    Tokenizer *tokenizer = sqlite3_malloc(sizeof(Tokenizer));
    if (tokenizer == NULL) return SQLITE_NOMEM;
    memset(tokenizer, 0, sizeof(Tokenizer));
    int rc = api->xFindTokenizer(api, "unicode61", &innerData, &tokenizer->inner);
    if (rc == SQLITE_OK) rc = tokenizer->inner.xCreate(innerData, arguments, count, &tokenizer->instance);
    if (rc != SQLITE_OK) {
        sqlite3_free(tokenizer);
        return rc;
    }
    *out = (Fts5Tokenizer *)tokenizer;
    return SQLITE_OK;
}

static void destroy(Fts5Tokenizer *opaque) {
    Tokenizer *tokenizer = (Tokenizer *)opaque;
    if (tokenizer == NULL) return;
    if (tokenizer->instance) tokenizer->inner.xDelete(tokenizer->instance);
    sqlite3_free(tokenizer);
}

// Passes each token on; one holding İ or ı (UTF-8 C4 B0, C4 B1) with each of them as i, one byte where there were two.
// Offsets into the text stay those of the token as written, so snippets mark the word as the text spells it.
static int forward(void *context, int flags, const char *token, int length, int start, int end) {
    Forward *next = (Forward *)context;
    const char *found = NULL;
    for (int i = 0; i + 1 < length; i++) {
        if ((unsigned char)token[i] == 0xC4 && ((unsigned char)token[i + 1] == 0xB0 || (unsigned char)token[i + 1] == 0xB1)) {
            found = token + i;
            break;
        }
    }
    if (found == NULL) return next->token(next->context, flags, token, length, start, end);
    char small[128];
    char *folded = length <= (int)sizeof(small) ? small : sqlite3_malloc(length);
    if (folded == NULL) return SQLITE_NOMEM;
    int n = 0;
    for (int i = 0; i < length; i++) {
        if (i + 1 < length && (unsigned char)token[i] == 0xC4
            && ((unsigned char)token[i + 1] == 0xB0 || (unsigned char)token[i + 1] == 0xB1)) {
            folded[n++] = 'i';
            i++;
        } else {
            folded[n++] = token[i];
        }
    }
    int rc = next->token(next->context, flags, folded, n, start, end);
    if (folded != small) sqlite3_free(folded);
    return rc;
}

static int tokenize(Fts5Tokenizer *opaque, void *context, int flags, const char *text, int length,
                    int (*token)(void *, int, const char *, int, int, int)) {
    Tokenizer *tokenizer = (Tokenizer *)opaque;
    Forward next = {context, token};
    return tokenizer->inner.xTokenize(tokenizer->instance, &next, flags, text, length, forward);
}

int diarium_register_tokenizer(fts5_api *api) {
    fts5_tokenizer methods = {create, destroy, tokenize};
    return api->xCreateTokenizer(api, "diarium", (void *)api, &methods, NULL);
}
