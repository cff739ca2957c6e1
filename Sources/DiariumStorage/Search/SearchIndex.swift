import CDiariumSearch
import DiariumCore
import Foundation
import GRDB

/// Keeps the search index (FTS5 + `search_meta`) in step with the catalog, inside the same transactions.
enum SearchIndex {
    /// Bump when the index layout or what goes into it changes; a store with another version needs `index rebuild`.
    static let version = "4"
    /// The version a migration leaves when it made the full-text tables again, empty: the catalog rebuilds them as it
    /// opens (`rebuildPendingFullText`); until then a search is refused as out of date, never answered from nothing.
    static let pendingRebuild = "4-pending-rebuild"
    /// The text columns, then `scope`: the document's series as one token (`scopeToken`), which no text holds. The
    /// public columns come first (`publicColumnMask`); `case_title` is the title of the document's case (v26).
    static let columns = ["title", "body", "sender", "recipient", "case_title", "restricted_title", "restricted_body",
                          "restricted_sender", "restricted_recipient", "restricted_case_title", "scope"]
    static let publicColumns = ["title", "body", "sender", "recipient", "case_title"]
    /// The columns that hold text: every column but `scope`.
    static let textColumns = columns.count - 1
    /// The columns a snippet may come from: the text columns but `restricted_case_title`, the last of them. A hit
    /// never shows its case's restricted title (the case does, where reading it is audited); it may be found by it.
    static let snippetColumns = textColumns - 1
    /// `publicColumns` as a bitmask, for `diarium_rank_over`.
    static let publicColumnMask = (1 << publicColumns.count) - 1

    /// Title weighs ten times the body; parties and the case's title twice (a document's own title names it better
    /// than its case's does, which every document of the case shares). Restricted columns weigh like their public
    /// twins; the scope nothing (it is never a word of a document).
    static let bm25Weights = "10.0, 1.0, 2.0, 2.0, 2.0, 10.0, 1.0, 2.0, 2.0, 2.0, 0.0"
    /// The public view: the restricted columns weigh nothing, so `diarium_rank`/`diarium_bm25` leave them out of the
    /// document length as well (rank.c): a restricted text must not move a public result.
    static let publicBM25Weights = "10.0, 1.0, 2.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0"

    /// The `scope` token of a series (as migration v23's view writes it): U+E000, then the code in lower case.
    static func scopeToken(_ series: SeriesCode) -> String { "\u{E000}" + series.rawValue.lowercased() }
    /// FTS5 writes the terms a transaction adds as a new index segment every `hashsize` bytes (1 MiB by default),
    /// and merges those segments as it goes. A batch of 500 corpus documents holds several MiB of terms with the two
    /// prefix indexes; at 8 MiB it is written about once per batch: 3–4 % faster CLI ingest (Benchmarks/RESULTS.md).
    /// FTS5 counts the terms' bytes, not its allocations: the writer's peak RSS in that run grew by about 10 MiB
    /// (72–73 → 81–87 MiB), while a transaction indexes.
    static let pendingTermsBytes = 8 << 20

    /// The statements of `writeIndexEntry`, built once: it runs for every registration and change.
    private static let columnList = columns.joined(separator: ", ")
    private static let valueMarks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
    static let contentRowSQL = "SELECT \(columnList) FROM search_content WHERE id = ?"
    static let insertEntrySQL = "INSERT INTO search_fts(rowid, \(columnList)) VALUES (?, \(valueMarks))"
    static let deleteEntrySQL = "INSERT INTO search_fts(search_fts, rowid, \(columnList)) VALUES (?, ?, \(valueMarks))"
    /// The same for the case index (v27): a case's row of `case_search`, into `case_fts`.
    static let caseRowSQL = "SELECT case_title, restricted_case_title FROM case_search WHERE id = ?"
    static let insertCaseSQL = "INSERT INTO case_fts(rowid, case_title, restricted_case_title) VALUES (?, ?, ?)"
    static let deleteCaseSQL = "INSERT INTO case_fts(case_fts, rowid, case_title, restricted_case_title) VALUES (?, ?, ?, ?)"

    static func configure(_ db: Database) throws {
        try db.execute(sql: "INSERT INTO search_fts(search_fts, rank) VALUES ('rank', 'bm25(\(bm25Weights))')")
        try db.execute(sql: "INSERT OR REPLACE INTO store_info(key, value) VALUES ('search_index_version', ?)", arguments: [version])
    }
}

extension CatalogAccess {
    /// Adds a document's current version to the index. Call after its rows (and rendition) are in place.
    func indexDocument(id: Int64) throws {
        try writeIndexEntry(id: id, deleting: false)
        guard let row = try Row.fetchOne(try db.cachedStatement(sql: Self.metaSourceSQL + " WHERE d.id = ?"), arguments: [id]) else { return }
        try insertMeta(row)
    }

    /// Removes a document's current version from the index. Call before moving its head to a new version:
    /// an external-content FTS5 table must be told the exact values it indexed.
    func unindexDocument(id: Int64) throws {
        try writeIndexEntry(id: id, deleting: true)
        try db.cachedStatement(sql: "DELETE FROM search_meta WHERE document_id = ?").execute(arguments: [id])
    }

    /// Runs `change`, a correction of case `caseID`, with the case's documents taken out of the full-text index
    /// first and put back after, when it changes what the index holds of the case: every document's entry holds its
    /// case's title (`case_title`, or `restricted_case_title` while the title is restricted), and an external-content
    /// FTS5 table must be told the exact values it indexed. One entry out and in per document of the case.
    func reindexingCase(id caseID: Int64, to record: CaseRecord, _ change: () throws -> Void) throws {
        func indexed(title: String, publicTitle: String?, restricted: Bool) -> [String] {
            restricted || publicTitle != nil ? [publicTitle ?? "", title] : [title, ""]
        }
        let before = try Row.fetchOne(db, sql: "SELECT title, public_title, restriction_kind IS NOT NULL FROM cases WHERE id = ?",
                                      arguments: [caseID])
        let changes = try before.map {
            indexed(title: try $0.value(at: 0), publicTitle: try $0.optionalValue(at: 1), restricted: try $0.value(at: 2))
                != indexed(title: record.title, publicTitle: record.publicTitle, restricted: record.restriction != nil)
        } ?? false
        guard changes else { return try change() }
        let documents = try Int64.fetchAll(db, sql: "SELECT id FROM documents WHERE case_id = ? ORDER BY id", arguments: [caseID])
        try writeCaseIndexEntry(id: caseID, deleting: true)
        for id in documents { try writeIndexEntry(id: id, deleting: true) }
        try change()
        try writeCaseIndexEntry(id: caseID, deleting: false)
        for id in documents { try writeIndexEntry(id: id, deleting: false) }
    }

    /// Adds a case just inserted to the case index (`case_fts`, v27), or removes it before its title changes.
    func writeCaseIndexEntry(id: Int64, deleting: Bool) throws {
        try copyRow(id, from: SearchIndex.caseRowSQL, into: deleting ? SearchIndex.deleteCaseSQL : SearchIndex.insertCaseSQL,
                    deleting: deleting, what: "case")
    }

    /// Hands FTS5 the document's row of the content view in a one-row INSERT … VALUES, the values copied unchanged
    /// in C (`diarium_copy_row`). Not an INSERT … SELECT: that opens a statement transaction, and FTS5 writes its
    /// pending terms out as a new index segment at every one, so a batch of 500 registrations made 500 tiny segments
    /// to merge. This way a batch's terms are written once (up to `SearchIndex.pendingTermsBytes`): CLI ingest went
    /// from ~1,150 to ~1,550 docs/s (Benchmarks/RESULTS.md).
    private func writeIndexEntry(id: Int64, deleting: Bool) throws {
        try copyRow(id, from: SearchIndex.contentRowSQL, into: deleting ? SearchIndex.deleteEntrySQL : SearchIndex.insertEntrySQL,
                    deleting: deleting, what: "document")
    }

    /// Row `id` of a content view (`select`) into its FTS5 table (`insert`): as an entry, or as FTS5's 'delete'.
    private func copyRow(_ id: Int64, from select: String, into insert: String, deleting: Bool, what: String) throws {
        let select = try db.cachedStatement(sql: select), insert = try db.cachedStatement(sql: insert)
        let code = deleting ? diarium_copy_row(select.sqliteStatement, insert.sqliteStatement, id, "delete")
                            : diarium_copy_row(select.sqliteStatement, insert.sqliteStatement, id, nil)
        guard code == 0 else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage ?? "cannot index \(what) \(id)")
        }
    }

    static let metaSourceSQL = """
        SELECT d.id, c.series, c.year, c.serial, d.ordinal, v.record_type, v.direction, v.status, d.registered_at,
               v.document_date, coalesce(v.class_code, c.class_code) AS class_code
        FROM documents d JOIN cases c ON c.id = d.case_id
        JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
        """

    private func insertMeta(_ row: Row) throws {
        let registered = Timestamp.parse(try row.value(at: 8)) ?? Date(timeIntervalSince1970: 0)
        let date = (try row.optionalValue(at: 9) as String?) ?? Timestamp.swedishDate(of: registered).description
        try db.cachedStatement(sql: """
            INSERT INTO search_meta(document_id, series, case_year, case_serial, ordinal, record_type, direction, status,
                                    year, date, class_code)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                                     Timestamp.swedishYear(of: registered), date, row[10]])
    }

    /// Rebuilds the whole index from the catalog: metadata in batches through a cursor, the full-text index by
    /// FTS5's own `rebuild`, which streams the content view. Memory stays bounded whatever the store's size. Returns
    /// the disposals counted as it ran (`disposalsCounted`), for the caller to mark purged once the WAL is emptied.
    @discardableResult
    public func rebuildSearchIndex(progress: (_ done: Int, _ total: Int) -> Void) throws -> Int {
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM documents") ?? 0
        try db.execute(sql: "DELETE FROM search_meta")
        let cursor = try Row.fetchCursor(db, sql: Self.metaSourceSQL + " ORDER BY d.id")
        var done = 0
        while let row = try cursor.next() {
            try insertMeta(row)
            done += 1
            if done % 10_000 == 0 { progress(done, total) }
        }
        progress(done, total)
        // A rebuild throws every segment away, overwritten with zeros (`secure_delete`), words of disposed text and all.
        try db.execute(sql: "INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        // Migration v2 runs this too, long before v27 makes the case index.
        if try db.tableExists("case_fts") { try db.execute(sql: "INSERT INTO case_fts(case_fts) VALUES ('rebuild')") }
        try SearchIndex.configure(db)
        return try disposalsCounted()
    }

    /// Rebuilds the full-text tables a migration made again (`SearchIndex.pendingRebuild`), in a transaction of their
    /// own, with the memory of `index rebuild`. True when there was one to rebuild.
    func rebuildPendingFullText() throws -> Bool {
        guard try info("search_index_version") == SearchIndex.pendingRebuild else { return false }
        try db.execute(sql: "INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        try db.execute(sql: "INSERT INTO case_fts(case_fts) VALUES ('rebuild')")
        try SearchIndex.configure(db)
        return true
    }

    /// How many b-trees (segments) the full-text index has. Every query term is looked up in each, so fewer means
    /// cheaper lookups (a snippet's per-document lookup above all). Each segment has at least one row in `_idx`.
    public func searchIndexSegments() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(DISTINCT segid) FROM search_fts_idx") ?? 0
    }

    /// One step of merging every segment into one: about `pages` pages of merged index written. False when there
    /// was nothing left to merge (FTS5 reports work done as two or more changes).
    public func mergeSearchIndex(pages: Int) throws -> Bool {
        let before = db.totalChangesCount
        // Negative: all segments take part, however few there are on a level (FTS5's 'merge' command; an int).
        try db.execute(sql: "INSERT INTO search_fts(search_fts, rank) VALUES ('merge', ?)",
                       arguments: [-min(max(1, pages), Int(Int32.max))])
        return db.totalChangesCount - before >= 2
    }

    /// Disposals whose words the full-text index may still hold. FTS5 removes a document by writing delete markers;
    /// its terms and their positions (enough to piece the text together again) stay in the older segments until a
    /// merge reaches them (a merge zeroes the segments it frees: `secure_delete`). Two counters, never decreased:
    /// disposals counted, and how many of them a complete merge or rebuild, followed by a checkpoint that emptied the
    /// WAL, has purged (`markPurged`). Overlapping purges (the server's, a CLI's) can then never take back more than
    /// was counted before they began.
    public func unpurgedDisposals() throws -> Int {
        max(0, try disposalsCounted() - (Int(try info(Self.purgedKey) ?? "") ?? 0))
    }

    /// The disposals counted so far: a purge notes it as it begins, and passes it to `markPurged` when complete.
    public func disposalsCounted() throws -> Int {
        Int(try info(Self.countedKey) ?? "") ?? 0
    }

    func countUnpurgedDisposal() throws {
        try setInfo(Self.countedKey, String(try disposalsCounted() + 1))
    }

    /// Records that the disposals counted up to `counted` are purged; returns how many of them were not before.
    public func markPurged(through counted: Int) throws -> Int {
        let before = Int(try info(Self.purgedKey) ?? "") ?? 0
        guard counted > before else { return 0 }
        try setInfo(Self.purgedKey, String(counted))
        return counted - before
    }

    static let countedKey = "search_disposals_counted"
    static let purgedKey = "search_disposals_purged"

    /// Pages of the full-text index: what one complete merge writes, about.
    public func searchIndexPages() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM search_fts_data") ?? 0
    }

    /// The index version this build writes.
    public static var searchIndexVersion: String { SearchIndex.version }

    public func renditionCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM renditions GROUP BY status") { counts[try row.value(at: 0)] = try row.optionalValue(at: 1) }
        return counts
    }

    /// Content kept (not disposed of) with no text rendition: registered before search existed, or whose text a
    /// disposal of the same bytes removed while a registration that found it was committing. Indexed without text
    /// until `index rebuild --extract` extracts it.
    public func missingRenditions() throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM blobs b WHERE b.disposed_at IS NULL AND NOT EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = b.sha256)
            """) ?? 0
    }

    public func searchIndexVersion() throws -> String? {
        try info("search_index_version")
    }

    /// FTS5's own consistency check of the index against the content view.
    public func searchIndexProblems() throws -> [String] {
        var problems: [String] = []
        for (table, name) in [("search_fts", "full-text index"), ("case_fts", "case title index")] {
            do {
                try db.execute(sql: "INSERT INTO \(table)(\(table), rank) VALUES ('integrity-check', 1)")
            } catch let error as DatabaseError {
                problems.append("\(name): \(error.message ?? "integrity check failed")")
            }
        }
        return problems
    }

    // MARK: Renditions

    /// Writes a rendition (a content's text; one already there stays). Its format is written apart (`setFormat`).
    public func insertRendition(sha256: String, _ rendition: TextRendition, text: String, at: Date) throws {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO renditions(sha256, status, extractor, message, text, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [sha256, rendition.status.rawValue, rendition.extractor, rendition.message, text,
                                     Timestamp.format(at)])
    }

    public func rendition(sha256: String) throws -> TextRendition? {
        try Row.fetchOne(db, sql: "SELECT status, extractor, message, length(text) FROM renditions WHERE sha256 = ?",
                         arguments: [sha256]).map { row in
            TextRendition(status: TextRendition.Status(rawValue: try row.value(at: 0)) ?? .failed, extractor: try row.value(at: 1),
                          message: try row.optionalValue(at: 2), length: try row.value(at: 3))
        }
    }

    /// The four format columns from `first` (puid, name, version, basis); nil when no format was found.
    static func format(_ row: Row, at first: Int) throws -> FileFormat? {
        guard let puid: String = try row.optionalValue(at: first) else { return nil }
        guard let basis = FileFormat.Basis(rawValue: try row.value(at: first + 3)) else { throw Row.damaged("basis") }
        return FileFormat(puid: puid, name: try row.value(at: first + 1), version: try row.optionalValue(at: first + 2), basis: basis)
    }

    /// Records what the signatures found in a content's bytes, for content stored and not disposed of (the caller's
    /// to know: `isBlobDisposed`). A row the same signatures wrote stays: formats are kept per content, and the same
    /// bytes registered again under another name (plain text as `.txt`, then as `.csv`) must not change what every
    /// document with them shows.
    ///
    /// One row from values, on purpose: an `INSERT … SELECT` opens a statement transaction, at which FTS5 writes out
    /// the terms a registration batch holds as an index segment of its own (a third slower CLI ingest, measured).
    public func setFormat(sha256: String, _ identified: IdentifiedFormat) throws {
        let format = identified.format
        try db.cachedStatement(sql: """
            INSERT INTO content_formats(sha256, puid, name, version, basis, identified_with) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (sha256) DO UPDATE SET puid = excluded.puid, name = excluded.name, version = excluded.version,
                                               basis = excluded.basis, identified_with = excluded.identified_with
            WHERE content_formats.identified_with IS NOT excluded.identified_with
            """).execute(arguments: [sha256, format?.puid, format?.name, format?.version, format?.basis.rawValue,
                                     identified.identifiedWith])
    }

    /// What the signatures found in a content; nil when none looked yet.
    public func contentFormat(sha256: String) throws -> IdentifiedFormat? {
        try Row.fetchOne(db, sql: "SELECT puid, name, version, basis, identified_with FROM content_formats WHERE sha256 = ?",
                         arguments: [sha256]).map { row in IdentifiedFormat(try Self.format(row, at: 0), identifiedWith: try row.value(at: 4)) }
    }

    /// Stored content whose format the signatures `release` have not looked at (never, or an earlier release), with
    /// the media type and name of a version that uses it, in digest order after `after`.
    public func blobsForIdentification(release: String, after: String, limit: Int) throws -> [(sha256: String, mediaType: String, name: String)] {
        try Row.fetchAll(db, sql: """
            SELECT b.sha256, (SELECT media_type FROM versions v WHERE v.blob_sha256 = b.sha256 LIMIT 1),
                   (SELECT original_name FROM versions v WHERE v.blob_sha256 = b.sha256 LIMIT 1)
            FROM blobs b LEFT JOIN content_formats f ON f.sha256 = b.sha256
            WHERE b.sha256 > ? AND b.disposed_at IS NULL AND f.identified_with IS NOT ?
            ORDER BY b.sha256 LIMIT ?
            """, arguments: [after, release, limit]).map { row in
            let sha256: String = try row.value(at: 0)
            return (sha256, try row.optionalValue(at: 1) ?? "application/octet-stream", try row.optionalValue(at: 2) ?? sha256)
        }
    }

    /// How many `blobsForIdentification` would list from the start.
    public func countBlobsForIdentification(release: String) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM blobs b LEFT JOIN content_formats f ON f.sha256 = b.sha256
            WHERE b.disposed_at IS NULL AND f.identified_with IS NOT ?
            """, arguments: [release]) ?? 0
    }

    public func hasRendition(sha256: String) throws -> Bool {
        try Bool.fetchOne(try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM renditions WHERE sha256 = ?)"),
                          arguments: [sha256]) ?? false
    }

    /// Replaces a rendition (re-extraction), re-indexing the documents whose current version shows it in the same
    /// transaction. The index must always hold what the content view says: a later change unindexes a document by
    /// telling FTS5 the values it indexed, and the old text left in the index (until a rebuild, hours away on a
    /// large store) was both a damaged index and searchable after the document was restricted. When the text is the
    /// same (the content view reads nothing else of a rendition), the index already holds it: `--extract-all` then
    /// leaves the re-indexing of every document to the rebuild that follows, instead of doing it twice.
    /// Content disposed of since it was read for extraction keeps no text and no format: the write is dropped.
    /// `format`: what the same reading found, when it looked (a file it could not read for it keeps the one it had).
    public func replaceRendition(sha256: String, _ rendition: TextRendition, text: String, format: IdentifiedFormat?, at: Date) throws {
        guard try !isBlobDisposed(sha256) else { return }
        if let format { try setFormat(sha256: sha256, format) }
        // Compared in SQL: exact for any text, a NUL included.
        let unchanged = try Bool.fetchOne(db, sql: "SELECT coalesce((SELECT text FROM renditions WHERE sha256 = ?), '') = ?",
                                          arguments: [sha256, text]) ?? false
        let showing = unchanged ? [] : try Int64.fetchAll(db, sql: """
            SELECT d.id FROM versions v JOIN documents d ON d.id = v.document_id AND d.current_version = v.n
            WHERE v.blob_sha256 = ?
            """, arguments: [sha256])
        for id in showing { try unindexDocument(id: id) }
        try db.execute(sql: "DELETE FROM renditions WHERE sha256 = ?", arguments: [sha256])
        try insertRendition(sha256: sha256, rendition, text: text, at: at)
        for id in showing { try indexDocument(id: id) }
    }

    /// Digests of stored content, with the media type and name of a version that uses it, whose rendition is
    /// missing (or, with `all`, every one), for re-extraction.
    public func blobsForExtraction(all: Bool, after: String, limit: Int) throws -> [(sha256: String, mediaType: String, name: String)] {
        try Row.fetchAll(db, sql: """
            SELECT b.sha256, (SELECT media_type FROM versions v WHERE v.blob_sha256 = b.sha256 LIMIT 1),
                   (SELECT original_name FROM versions v WHERE v.blob_sha256 = b.sha256 LIMIT 1)
            FROM blobs b
            WHERE b.sha256 > ? AND b.disposed_at IS NULL \(all ? "" : "AND NOT EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = b.sha256)")
            ORDER BY b.sha256 LIMIT ?
            """, arguments: [after, limit]).map { row in
            // Every blob row is written with the version that names it; the fallbacks only keep paging going.
            let sha256: String = try row.value(at: 0)
            return (sha256, try row.optionalValue(at: 1) ?? "application/octet-stream", try row.optionalValue(at: 2) ?? sha256)
        }
    }
}
