import GRDB

extension Migrations {
    /// Titles and parties reach the full-text index without the characters that are invisible inside a word (soft
    /// hyphen, joiners, word joiner, BOM), as extracted text and queries already are: "klimat\u{AD}anpassning" in a
    /// title was indexed as two words, which no query could find. The stored values keep what the clerk typed.
    ///
    /// An external-content FTS5 table must be told the exact values it indexed when a row leaves it, so the
    /// documents whose indexed text changes leave the index under the old view and re-enter under the new one.
    static func v7SearchText(_ db: Database) throws {
        let invisible = [0xAD, 0x200C, 0x200D, 0x2060, 0xFEFF]
        let fields = "coalesce(v.title, '') || coalesce(v.public_title, '') || coalesce(v.sender, '') || coalesce(v.recipient, '')"
        let affected = try Int64.fetchAll(db, sql: """
            SELECT d.id FROM documents d JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            WHERE \(invisible.map { "instr(\(fields), char(\($0))) > 0" }.joined(separator: " OR "))
            """)
        let columns = "title, body, sender, recipient, restricted_title, restricted_body, restricted_sender, restricted_recipient"
        for id in affected {
            try db.execute(sql: "INSERT INTO search_fts(search_fts, rowid, \(columns)) SELECT 'delete', id, \(columns) FROM search_content WHERE id = ?",
                           arguments: [id])
        }
        func visible(_ expression: String) -> String {
            invisible.reduce(expression) { "replace(\($0), char(\($1)), '')" }
        }
        try db.execute(sql: """
            DROP VIEW search_content;
            CREATE VIEW search_content AS
            SELECT d.id AS id,
                   \(visible("""
                       CASE WHEN instr(coalesce(v.restriction_hides, ''), 'title') > 0 THEN coalesce(v.public_title, '')
                            ELSE v.title || coalesce(' ' || v.public_title, '') END
                       """)) AS title,
                   CASE WHEN instr(coalesce(v.restriction_hides, ''), 'content') > 0 OR v.status = 'draft' THEN ''
                        ELSE coalesce(r.text, '') END AS body,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN '' ELSE coalesce(v.sender, '') END")) AS sender,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN '' ELSE coalesce(v.recipient, '') END")) AS recipient,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'title') > 0 THEN v.title ELSE '' END")) AS restricted_title,
                   CASE WHEN instr(coalesce(v.restriction_hides, ''), 'content') > 0 OR v.status = 'draft' THEN coalesce(r.text, '')
                        ELSE '' END AS restricted_body,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN coalesce(v.sender, '') ELSE '' END")) AS restricted_sender,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN coalesce(v.recipient, '') ELSE '' END")) AS restricted_recipient
            FROM documents d
            JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            LEFT JOIN renditions r ON r.sha256 = v.blob_sha256;
            """)
        for id in affected {
            try db.execute(sql: "INSERT INTO search_fts(rowid, \(columns)) SELECT id, \(columns) FROM search_content WHERE id = ?",
                           arguments: [id])
        }
    }

    /// Each document's series goes into the full-text index as a token of its own (column `scope`), so that a
    /// reader cleared for some series (a clerk, for their departments') is answered by FTS5 expressions alone:
    /// the full columns within those series, the public ones elsewhere. Limits, counts and statistics then cover
    /// only what that reader may see, in the bounded time of any other search (see `SearchPlan`).
    ///
    /// The token is U+E000 (private use: a token character to FTS5's tokenizer, and nothing any text or query
    /// holds in practice) and the code in lower case. FTS5 cannot add a column: the table is made again, with the
    /// settings of v2 and v8, and rebuilt from the view (minutes for a million documents).
    static func v23SearchScope(_ db: Database) throws {
        let last = " AS restricted_recipient", from = "FROM documents d"
        guard let view = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'search_content'"),
              view.components(separatedBy: last).count == 2, view.components(separatedBy: from).count == 2 else {
            throw DatabaseError(message: "search_content is not the view this migration expects")
        }
        let changed = view
            .replacingOccurrences(of: last, with: last + ",\n       char(57344) || lower(c.series) AS scope")
            .replacingOccurrences(of: from, with: from + "\n        JOIN cases c ON c.id = d.case_id")
        try db.execute(sql: "DROP TABLE search_fts")
        try db.execute(sql: "DROP VIEW search_content")
        try db.execute(sql: changed)
        try db.execute(sql: """
            CREATE VIRTUAL TABLE search_fts USING fts5(
                title, body, sender, recipient, restricted_title, restricted_body, restricted_sender, restricted_recipient, scope,
                content = 'search_content', content_rowid = 'id',
                tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4'
            );
            """)
        // Literal settings, not SearchIndex's: this is what version 2 of the index is, whatever later code says.
        try db.execute(sql: """
            INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', \(8 << 20));
            INSERT INTO search_fts(search_fts) VALUES ('rebuild');
            INSERT INTO search_fts(search_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 2.0, 2.0, 10.0, 1.0, 2.0, 2.0, 0.0)');
            INSERT OR REPLACE INTO store_info(key, value) VALUES ('search_index_version', '2');
            """)
        // The index's scope is only right while a document stays in its case and a case in its series, as they
        // always have: held so, since a move would leave the index naming the old series.
        try db.execute(sql: """
            CREATE TRIGGER cases_series_fixed BEFORE UPDATE OF series ON cases
            BEGIN SELECT RAISE(ABORT, 'a case stays in its series'); END;
            CREATE TRIGGER documents_case_fixed BEFORE UPDATE OF case_id ON documents
            BEGIN SELECT RAISE(ABORT, 'a document stays in its case'); END;
            """)
    }
}

extension Migrations {
    /// The case's title is searched with each of its documents: a clerk looks for "Storgatan 5" and finds the
    /// application, the drawings and the decision of the case *Bygglov Storgatan 5*, whatever each is called. A
    /// restricted case title (or one with a public title standing in for it, as `CaseRecord.titleIsRestricted`) goes
    /// to `restricted_case_title`, the public title to `case_title`, as a document's own title does.
    ///
    /// FTS5 cannot add a column: the table is made again with v23's settings and the two columns, and rebuilt from the
    /// view (minutes for a million documents, as v23).
    static func v26SearchCaseTitles(_ db: Database) throws {
        let scope = "char(57344) || lower(c.series) AS scope"
        guard let view = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'search_content'"),
              view.components(separatedBy: scope).count == 2 else {
            throw DatabaseError(message: "search_content is not the view this migration expects")
        }
        // The characters invisible inside a word, left out as v7 leaves them out of a document's title.
        func visible(_ expression: String) -> String {
            [0xAD, 0x200C, 0x200D, 0x2060, 0xFEFF].reduce(expression) { "replace(\($0), char(\($1)), '')" }
        }
        let restricted = "c.restriction_kind IS NOT NULL OR c.public_title IS NOT NULL"
        let changed = view.replacingOccurrences(of: scope, with: """
            \(visible("CASE WHEN \(restricted) THEN coalesce(c.public_title, '') ELSE c.title END")) AS case_title,
                   \(visible("CASE WHEN \(restricted) THEN c.title ELSE '' END")) AS restricted_case_title,
                   \(scope)
            """)
        try db.execute(sql: "DROP TABLE search_fts")
        try db.execute(sql: "DROP VIEW search_content")
        try db.execute(sql: changed)
        try db.execute(sql: """
            CREATE VIRTUAL TABLE search_fts USING fts5(
                title, body, sender, recipient, case_title,
                restricted_title, restricted_body, restricted_sender, restricted_recipient, restricted_case_title, scope,
                content = 'search_content', content_rowid = 'id',
                tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4'
            );
            """)
        // Literal settings, not SearchIndex's: this is what version 3 of the index is, whatever later code says.
        try db.execute(sql: """
            INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', \(8 << 20));
            INSERT INTO search_fts(search_fts) VALUES ('rebuild');
            INSERT INTO search_fts(search_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 2.0, 2.0, 2.0, 10.0, 1.0, 2.0, 2.0, 2.0, 0.0)');
            INSERT OR REPLACE INTO store_info(key, value) VALUES ('search_index_version', '3');
            """)
    }
}

extension Migrations {
    /// Cases are found by their titles (`case list --title`), also before they hold a document, with the words and
    /// the access of document search: the title, or while it is restricted the public title, in `case_title`; the
    /// restricted title in `restricted_case_title` (as v26 indexes them with each document). A table of its own,
    /// kept in the transactions that open and correct cases: a municipality has a few thousand cases a year.
    static func v27CaseTitleIndex(_ db: Database) throws {
        func visible(_ expression: String) -> String {
            [0xAD, 0x200C, 0x200D, 0x2060, 0xFEFF].reduce(expression) { "replace(\($0), char(\($1)), '')" }
        }
        let restricted = "c.restriction_kind IS NOT NULL OR c.public_title IS NOT NULL"
        try db.execute(sql: """
            CREATE VIEW case_search AS
            SELECT c.id AS id,
                   \(visible("CASE WHEN \(restricted) THEN coalesce(c.public_title, '') ELSE c.title END")) AS case_title,
                   \(visible("CASE WHEN \(restricted) THEN c.title ELSE '' END")) AS restricted_case_title
            FROM cases c;
            CREATE VIRTUAL TABLE case_fts USING fts5(
                case_title, restricted_case_title,
                content = 'case_search', content_rowid = 'id',
                tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4'
            );
            INSERT INTO case_fts(case_fts) VALUES ('rebuild');
            """)
    }
}

extension Migrations {
    /// Both full-text indexes with Diarium's tokenizer (CDiariumSearch tokenizer.c): unicode61 as before, with the
    /// Turkish İ and ı as i, so that "ismail" finds "İsmail" and "YILMAZ" "Yılmaz". It takes unicode61's name on the
    /// catalog's connections, so the tables stay as they are and only their contents are made again: marked here,
    /// rebuilt by the catalog in a transaction of its own once the migrations are done (`Catalog.init`), as `index
    /// rebuild` does (minutes and 73 MiB at a million documents). Dropping and making the tables again instead held a
    /// copy of every page the drop freed in memory (3 GiB). Index version 4.
    static func v29TurkishI(_ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO store_info(key, value) VALUES ('search_index_version', ?)",
                       arguments: [SearchIndex.pendingRebuild])
    }
}
