// Diarium's FTS5 tokenizer: unicode61, with the arguments given, whose tokens have the Turkish İ (U+0130) and
// dotless ı (U+0131) as i, and an i with a combining dot above (U+0307) as i.
//
// unicode61 folds case by the simple mappings of Unicode 6.1, and İ has none (its lower case is i and a combining
// dot), so "İsmail" stayed a word of its own that "ismail" never found; and "YILMAZ" folds to "yilmaz", which is not
// how "Yılmaz" is indexed. Names such as these are common in Swedish municipalities' records and are written both
// ways, with Turkish letters and without: both are found now. The query's words go through the same tokenizer (and
// `SearchQueryParser.folded` folds them the same way for the index's vocabulary).
//
// Registered under unicode61's own name, wrapping SQLite's: the index's tables keep their definition
// (`tokenize = 'unicode61 remove_diacritics 0'`), so an upgrade rebuilds them in place (no table dropped, whose
// freed pages `secure_delete` zeroes), and the sqlite3 shell still opens them, with SQLite's own unicode61.
#include <sqlite3.h>
#include <string.h>

typedef struct Builtin {
    fts5_tokenizer methods;        // SQLite's unicode61, found before this one took its name
    void *data;
} Builtin;

typedef struct Tokenizer {
    fts5_tokenizer inner;          // unicode61's methods
    Fts5Tokenizer *instance;       // unicode61 made with the table's arguments
} Tokenizer;

typedef struct Forward {
    void *context;
    int (*token)(void *, int, const char *, int, int, int);
} Forward;

static int create(void *userData, const char **arguments, int count, Fts5Tokenizer **out) {
    Builtin *builtin = (Builtin *)userData;
    Tokenizer *tokenizer = sqlite3_malloc(sizeof(Tokenizer));
    if (tokenizer == NULL) return SQLITE_NOMEM;
    memset(tokenizer, 0, sizeof(Tokenizer));
    tokenizer->inner = builtin->methods;
    int rc = tokenizer->inner.xCreate(builtin->data, arguments, count, &tokenizer->instance);
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

// Whether the token's bytes at `i` are İ or ı (C4 B0, C4 B1), or the combining dot above (CC 87) after an i, which
// a lower-casing of İ that knows no Turkish makes ("i̇smail"): what `forward` folds. 0xC4 and 0xCC begin a character
// in UTF-8 (never continue one), and unicode61 hands over tokens it has encoded itself.
static int foldsAt(const char *token, int length, int i) {
    if (i + 1 >= length) return 0;
    unsigned char first = (unsigned char)token[i], second = (unsigned char)token[i + 1];
    if (first == 0xC4 && (second == 0xB0 || second == 0xB1)) return 1;
    return first == 0xCC && second == 0x87 && i > 0 && token[i - 1] == 'i';
}

// Passes each token on; one holding İ or ı with each of them as i, and the dot after an i left out (two bytes fewer).
// Offsets into the text stay those of the token as written, so snippets mark the word as the text spells it.
static int forward(void *context, int flags, const char *token, int length, int start, int end) {
    Forward *next = (Forward *)context;
    int first = 0;
    while (first < length && !foldsAt(token, length, first)) first++;
    if (first == length) return next->token(next->context, flags, token, length, start, end);
    char small[128];
    char *folded = length <= (int)sizeof(small) ? small : sqlite3_malloc(length);
    if (folded == NULL) return SQLITE_NOMEM;
    memcpy(folded, token, (size_t)first);
    int n = first;
    for (int i = first; i < length; i++) {
        if (foldsAt(token, length, i)) {
            // İ and ı become i; the dot after an i (which is the i already written) goes.
            if ((unsigned char)token[i] == 0xC4) folded[n++] = 'i';
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

// Takes unicode61's name on this connection: FTS5 finds the tokenizer registered last under a name.
int diarium_register_tokenizer(fts5_api *api) {
    Builtin *builtin = sqlite3_malloc(sizeof(Builtin));
    if (builtin == NULL) return SQLITE_NOMEM;
    int rc = api->xFindTokenizer(api, "unicode61", &builtin->data, &builtin->methods);
    if (rc != SQLITE_OK) {
        sqlite3_free(builtin);
        return rc;
    }
    fts5_tokenizer methods = {create, destroy, tokenize};
    // FTS5 frees `builtin` when the connection closes.
    return api->xCreateTokenizer(api, "unicode61", builtin, &methods, sqlite3_free);
}
