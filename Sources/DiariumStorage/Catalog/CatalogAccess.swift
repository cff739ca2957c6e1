#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import Foundation
import GRDB

/// Catalog queries inside one read or write transaction. The only place that knows the SQL schema, so the
/// use cases above it never see GRDB.
public struct CatalogAccess {
    let db: Database

    // MARK: Store info

    public func setInfo(_ key: String, _ value: String) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO store_info(key, value) VALUES (?, ?)", arguments: [key, value])
    }

    public func removeInfo(_ key: String) throws {
        try db.execute(sql: "DELETE FROM store_info WHERE key = ?", arguments: [key])
    }

    public func info(_ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = ?", arguments: [key])
    }

    // MARK: Series

    public func insertSeries(_ series: Series) throws {
        try db.execute(sql: "INSERT INTO series(code, name, department, created_at) VALUES (?, ?, ?, ?)",
                       arguments: [series.code.rawValue, series.name, series.department == Department(series: series.code) ? nil : series.department.rawValue,
                                   Timestamp.format(series.createdAt)])
    }

    public func setSeriesDepartment(_ code: SeriesCode, _ department: Department) throws {
        try db.execute(sql: "UPDATE series SET department = ? WHERE code = ?",
                       arguments: [department == Department(series: code) ? nil : department.rawValue, code.rawValue])
    }

    public func series(_ code: SeriesCode) throws -> Series? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM series WHERE code = ?"), arguments: [code.rawValue]).map(Self.series)
    }

    public func allSeries() throws -> [Series] {
        try Row.fetchAll(db, sql: "SELECT * FROM series ORDER BY code").map(Self.series)
    }

    /// Throws when `code` names no series: a mistake in a filter (a typo, an old link), not "nothing registered".
    /// The message lists the series there are (up to 20), so the right one can be picked.
    public func requireSeriesFilter(_ code: SeriesCode, field: String, prefix: String = "") throws {
        guard try series(code) == nil else { return }
        let known = try String.fetchAll(db, sql: "SELECT code FROM series ORDER BY code LIMIT 21")
        throw DiariumError(.invalidField, "\(prefix)there is no series \(code)"
                           + (known.isEmpty ? "" : " (series: \(known.prefix(20).joined(separator: ", "))\(known.count > 20 ? ", …" : ""))"),
                           field: field)
    }

    static func series(_ row: Row) throws -> Series {
        let department: String? = try row.value("department")
        return Series(code: try SeriesCode(parsing: try row.value("code")), name: try row.value("name"),
                      department: try department.map { text throws(DiariumError) in try Department(parsing: text) }, createdAt: try date(row, "created_at"))
    }

    // MARK: Cases

    /// The next serial in a series and year. Called inside the registering write transaction, which holds the
    /// database's write lock, so numbers are gap-free and never shared.
    public func nextCaseSerial(series: SeriesCode, year: Int) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT coalesce(max(serial), 0) + 1 FROM cases WHERE series = ? AND year = ?",
                         arguments: [series.rawValue, year])!
    }

    /// Inserts a new case, and its title into the case index. Returns its row id.
    @discardableResult
    public func insertCase(_ record: CaseRecord, openedBy: String) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO cases(series, year, serial, status, opened_at, opened_by, closed_at, \(DescriptionSeal.caseColumns.joined(separator: ", ")))
            VALUES (?, ?, ?, ?, ?, ?, ?\(String(repeating: ", ?", count: DescriptionSeal.caseColumns.count)))
            """, arguments: StatementArguments([record.number.series.rawValue.databaseValue, record.number.year.databaseValue,
                                                record.number.serial.databaseValue, record.status.rawValue.databaseValue,
                                                Timestamp.format(record.openedAt).databaseValue, openedBy.databaseValue,
                                                record.closedAt.map(Timestamp.format)?.databaseValue ?? .null] + DescriptionSeal.caseValues(record)))
        let id = db.lastInsertedRowID
        try writeCaseIndexEntry(id: id, deleting: false)
        return id
    }

    static let caseColumns = """
        c.*, (SELECT count(*) FROM documents d WHERE d.case_id = c.id) AS document_count
        """

    public func caseRecord(_ number: CaseNumber) throws -> StoredCase? {
        try Row.fetchOne(db, sql: "SELECT \(Self.caseColumns) FROM cases c WHERE series = ? AND year = ? AND serial = ?",
                         arguments: [number.series.rawValue, number.year, number.serial]).map(Self.storedCase)
    }

    /// A case's row id and status, without counting its documents: what every registration checks (an upload
    /// server's hottest write), where `caseRecord`'s count would scan the whole case each time.
    public func caseStatus(_ number: CaseNumber) throws -> (id: Int64, status: CaseStatus)? {
        guard let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT id, status FROM cases WHERE series = ? AND year = ? AND serial = ?"),
                                         arguments: [number.series.rawValue, number.year, number.serial])
        else { return nil }
        return (try row.value(at: 0), try Self.enumValue(row, "status"))
    }

    /// Cases newest first: by when they were opened (an imported case keeps its own time), then by when they came
    /// into this store; after the case `after` (a page's last) when given.
    /// `title`: only cases whose title holds those words, matched in the title `view` may read of each (a restricted
    /// title only where the view clears the series, the public title elsewhere).
    public func cases(series: SeriesCode?, status: CaseStatus?, year: Int?, after: CaseNumber?, limit: Int,
                      title: TitleWords? = nil, view: SearchView = .full) throws -> [CaseRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let title {
            // Every word in one title the reader may read: the public one, or (where the view clears the series) the
            // restricted one too, never some words in each.
            let words = SearchPlan.compile(.all(title.words.map { $0.prefix ? .prefix([$0.text]) : .phrase([$0.text]) }, excluded: []))
            let publicMatch = "{case_title} : (\(words))", fullMatch = "({case_title} : (\(words))) OR ({restricted_case_title} : (\(words)))"
            let matching = "c.id IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?)"
            switch view {
            case .full:
                conditions.append(matching); arguments += [fullMatch]
            case .public:
                conditions.append(matching); arguments += [publicMatch]
            case .cleared(let cleared):
                // One set of ids, so that the planner can start from the matches as it does for the other views; CROSS
                // JOIN keeps the matches outermost (given the choice, SQLite probed the index once per case of the
                // cleared series: 3.5 s for 100,000 cases, against 21 ms).
                let marks = Array(repeating: "?", count: cleared.count).joined(separator: ", ")
                conditions.append("""
                    c.id IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?
                             UNION SELECT f.rowid FROM case_fts f CROSS JOIN cases x ON x.id = f.rowid
                                   WHERE case_fts MATCH ? AND x.series IN (\(marks)))
                    """)
                arguments += [publicMatch, fullMatch] + StatementArguments(cleared.sorted().map(\.rawValue))
            }
        }
        if let series { conditions.append("series = ?"); arguments += [series.rawValue] }
        if let status { conditions.append("status = ?"); arguments += [status.rawValue] }
        if let year { conditions.append("year = ?"); arguments += [year] }
        if let after {
            guard let row = try Row.fetchOne(db, sql: "SELECT opened_at, id FROM cases WHERE series = ? AND year = ? AND serial = ?",
                                             arguments: [after.series.rawValue, after.year, after.serial])
            else { throw DiariumError(.notFound, "there is no case \(after) to continue after", field: "after") }
            conditions.append("(opened_at, id) < (?, ?)")
            arguments += [row[0] as DatabaseValue, row[1] as DatabaseValue]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [limit]
        // The page's ids first, then their rows with their document counts: a count for each case of the page only,
        // whichever way the planner finds the page (by the opening index, or from a title's matches and a sort).
        return try Row.fetchAll(db, sql: """
            SELECT \(Self.caseColumns) FROM cases c
            WHERE c.id IN (SELECT c.id FROM cases c \(filter) ORDER BY opened_at DESC, id DESC LIMIT ?)
            ORDER BY opened_at DESC, id DESC
            """, arguments: arguments).map { try Self.storedCase($0).record }
    }

    /// Writes a corrected description. Documents without a classification of their own are filed under the case's,
    /// so their search metadata follows it; every document's full-text entry holds the case's title, so it follows too.
    public func updateCase(id: Int64, _ record: CaseRecord) throws {
        try reindexingCase(id: id, to: record) {
            try db.execute(sql: """
                UPDATE cases SET \(DescriptionSeal.caseColumns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?
                """, arguments: StatementArguments(DescriptionSeal.caseValues(record) + [id.databaseValue]))
        }
        try db.execute(sql: """
            UPDATE search_meta SET class_code = ?
            WHERE document_id IN (SELECT d.id FROM documents d JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
                                  WHERE d.case_id = ? AND v.class_code IS NULL)
            """, arguments: [record.classification, id])
    }

    /// The number of a case's current description: 1 as opened, one more with each correction (the next revision's
    /// number). What an API client's `If-Match` names, so of two corrections based on the same description one wins.
    public func caseDescription(caseID: Int64) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT coalesce(max(n), 0) + 1 FROM case_revisions WHERE case_id = ?", arguments: [caseID]) ?? 1
    }

    /// A case's version, what optimistic concurrency compares: its description's number plus the closings and
    /// reopenings logged for it. Each change raises one of the two by one, so the sum names one state; a close or
    /// reopen based on what a clerk saw before another's close or reopen is refused like a stale correction.
    public func caseVersion(caseID: Int64, number: CaseNumber) throws -> Int {
        let statusChanges = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM audit_events WHERE object = ? AND action IN ('case.close', 'case.reopen')
            """, arguments: [number.description]) ?? 0
        return try caseDescription(caseID: caseID) + statusChanges
    }

    /// A user's version, what optimistic concurrency compares: 1 as added, one more with each change logged for them.
    public func userVersion(name: String) throws -> Int {
        try 1 + (Int.fetchOne(db, sql: "SELECT count(*) FROM audit_events WHERE object = ? AND action = 'user.update'",
                              arguments: ["user:\(name)"]) ?? 0)
    }

    /// Keeps a case's description as it was before the next correction, and returns the revision's number.
    public func insertCaseRevision(caseID: Int64, replacing record: CaseRecord, at: Date, by actor: String) throws -> Int {
        let n = try caseDescription(caseID: caseID)
        try insertCaseRevision(caseID: caseID, CaseRevision(
            n: n, replacedAt: at, replacedBy: actor, title: record.title, publicTitle: record.publicTitle, restriction: record.restriction,
            classification: record.classification, department: record.department, officer: record.officer))
        return n
    }

    /// Keeps a revision as given (an import brings them numbered in order).
    public func insertCaseRevision(caseID: Int64, _ revision: CaseRevision) throws {
        try db.execute(sql: """
            INSERT INTO case_revisions(case_id, n, replaced_at, replaced_by, title, public_title, class_code, department, officer,
                                       restriction_kind, restriction_legal, restriction_until)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [caseID, revision.n, Timestamp.format(revision.replacedAt), revision.replacedBy, revision.title,
                             revision.publicTitle, revision.classification, revision.department, revision.officer,
                             revision.restriction?.kind.rawValue, revision.restriction?.legalReference,
                             revision.restriction?.until?.description])
    }

    /// A case's earlier descriptions, oldest first.
    public func caseRevisions(caseID: Int64) throws -> [CaseRevision] {
        try Row.fetchAll(db, sql: "SELECT * FROM case_revisions WHERE case_id = ? ORDER BY n", arguments: [caseID]).map { row in
            CaseRevision(n: try row.value("n"), replacedAt: try Self.date(row, "replaced_at"), replacedBy: try row.value("replaced_by"),
                         title: try row.value("title"), publicTitle: try row.value("public_title"), restriction: try Self.caseRestriction(row),
                         classification: try row.value("class_code"), department: try row.value("department"), officer: try row.value("officer"))
        }
    }

    public func closeCase(id: Int64, at: Date) throws {
        try db.execute(sql: "UPDATE cases SET status = 'closed', closed_at = ? WHERE id = ?", arguments: [Timestamp.format(at), id])
    }

    public func reopenCase(id: Int64) throws {
        try db.execute(sql: "UPDATE cases SET status = 'open', closed_at = NULL WHERE id = ?", arguments: [id])
    }

    /// The title restriction of a row of `cases` or `case_revisions` (the same three columns).
    static func caseRestriction(_ row: Row) throws -> AccessRestriction? {
        guard let kind: String = try row.value("restriction_kind") else { return nil }
        guard let kind = AccessRestriction.Kind(rawValue: kind) else { throw corrupt("restriction_kind") }
        let until = try (try row.value("restriction_until") as String?).map { text throws -> CalendarDate in try CalendarDate(parsing: text, field: "until") }
        guard let legal: String = try row.value("restriction_legal") else { throw corrupt("restriction_legal") }
        return AccessRestriction(stored: kind, legalReference: legal, until: until, hides: [.title])
    }

    static func storedCase(_ row: Row) throws -> StoredCase {
        let number = CaseNumber(series: try SeriesCode(parsing: try row.value("series")), year: try row.value("year"), serial: try row.value("serial"))
        let record = CaseRecord(
            number: number, title: try row.value("title"), publicTitle: try row.value("public_title"), restriction: try caseRestriction(row),
            classification: try row.value("class_code"),
            status: try enumValue(row, "status"), department: try row.value("department"), officer: try row.value("officer"),
            openedAt: try date(row, "opened_at"), closedAt: try optionalDate(row, "closed_at"),
            documentCount: try row.value("document_count"))
        return StoredCase(id: try row.value("id"), record: record)
    }

    // MARK: Documents and versions

    public func nextOrdinal(caseID: Int64) throws -> Int {
        try Int.fetchOne(try db.cachedStatement(sql: "SELECT coalesce(max(ordinal), 0) + 1 FROM documents WHERE case_id = ?"),
                         arguments: [caseID])!
    }

    /// Inserts a document with its first version. Returns the document's row id.
    public func insertDocument(caseID: Int64, ordinal: Int, version: DocumentVersion) throws -> Int64 {
        try db.cachedStatement(sql: """
            INSERT INTO documents(case_id, ordinal, registered_at, registered_by, current_version, status)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [caseID, ordinal, Timestamp.format(version.createdAt), version.author,
                                     version.number, version.status.rawValue])
        let id = db.lastInsertedRowID
        try insertVersion(documentID: id, version)
        try indexDocument(id: id)
        return id
    }

    /// Appends a version and moves the document's head (and its search index entry) to it.
    public func appendVersion(documentID: Int64, _ version: DocumentVersion) throws {
        try unindexDocument(id: documentID)
        try insertVersion(documentID: documentID, version)
        try db.execute(sql: "UPDATE documents SET current_version = ?, status = ? WHERE id = ?",
                       arguments: [version.number, version.status.rawValue, documentID])
        try indexDocument(id: documentID)
    }

    func insertVersion(documentID: Int64, _ v: DocumentVersion) throws {
        // The values a seal covers, as they are stored: one list for both, so the two cannot drift apart.
        try db.cachedStatement(sql: """
            INSERT INTO versions(document_id, n, \(DescriptionSeal.versionColumns.joined(separator: ", ")))
            VALUES (?, ?\(String(repeating: ", ?", count: DescriptionSeal.versionColumns.count)))
            """).execute(arguments: StatementArguments([documentID.databaseValue, v.number.databaseValue] + DescriptionSeal.versionValues(v)))
    }

    /// A version's columns in the order `version(_:at:)` reads them. Rows are read by position, not by name: a
    /// lookup by name lower-cases and compares the name against every column, which cost about as much as the
    /// query itself on the server's hottest read.
    static let versionColumns = """
        v.n, v.change, v.author, v.created_at, v.comment, v.status, v.title, v.public_title, v.record_type, v.direction,
        v.document_date, v.sender, v.recipient, v.class_code, v.restriction_kind, v.restriction_legal, v.restriction_until,
        v.restriction_hides, v.blob_sha256, v.content_size, v.media_type, v.original_name
        """

    /// A document's columns in the order `storedDocument(_:)` reads them: seven, its version's, two more, then its
    /// disposal's (`disposals x`, left-joined: NULL for nearly every document).
    static let documentColumns = """
        d.id, d.ordinal, d.registered_at, d.registered_by, c.series, c.year, c.serial, \(versionColumns), d.external_ref, c.external_ref,
        x.disposed_at, x.disposed_by, x.due_at, x.rule_record_type, x.rule_years, x.rule_mandate, x.rule_schedule, x.rule_class
        """

    /// The hottest read of the server (every document request): a cached statement, parsed once per connection.
    public func document(_ number: DocumentNumber) throws -> StoredDocument? {
        let statement = try db.cachedStatement(sql: """
            SELECT \(Self.documentColumns)
            FROM cases c JOIN documents d ON d.case_id = c.id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            LEFT JOIN disposals x ON x.document_id = d.id
            WHERE c.series = ? AND c.year = ? AND c.serial = ? AND d.ordinal = ?
            """)
        return try Row.fetchOne(statement, arguments: [number.caseNumber.series.rawValue, number.caseNumber.year, number.caseNumber.serial,
                                                       number.ordinal]).map(Self.storedDocument)
    }

    public func documents(caseID: Int64) throws -> [DocumentRecord] {
        try Row.fetchAll(db, sql: """
            SELECT \(Self.documentColumns)
            FROM cases c JOIN documents d ON d.case_id = c.id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            LEFT JOIN disposals x ON x.document_id = d.id
            WHERE c.id = ? ORDER BY d.ordinal
            """, arguments: [caseID]).map { try Self.storedDocument($0).record }
    }

    /// A page of a case's documents in the order they were filed (by ordinal), with their current versions.
    ///
    /// - Parameter afterOrdinal: only documents after this one (the last of the previous page); 0 for the first page.
    public func documents(caseID: Int64, afterOrdinal: Int, limit: Int) throws -> [DocumentRecord] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(Self.documentColumns)
            FROM cases c JOIN documents d ON d.case_id = c.id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            LEFT JOIN disposals x ON x.document_id = d.id
            WHERE c.id = ? AND d.ordinal > ? ORDER BY d.ordinal LIMIT ?
            """), arguments: [caseID, afterOrdinal, limit]).map { try Self.storedDocument($0).record }
    }

    /// A page of `documents(caseID:afterOrdinal:limit:)`, and whether more follow it.
    public func documentsPage(caseID: Int64, afterOrdinal: Int, limit: Int) throws -> (documents: [DocumentRecord], more: Bool) {
        var documents = try documents(caseID: caseID, afterOrdinal: afterOrdinal, limit: limit + 1)
        let more = documents.count > limit
        if more { documents.removeLast() }
        return (documents, more)
    }

    /// The ordinals of a case's documents whose current content an earlier version of the same document carried
    /// with its title or parties restricted (see `PublicEntry.namesHiddenEarlier`).
    public func namesHiddenEarlier(caseID: Int64) throws -> Set<Int> {
        Set(try Int.fetchAll(db, sql: Self.namesHiddenEarlierSQL(filter: "d.case_id = ?"), arguments: [caseID]))
    }

    /// Whether an earlier version of the document carried its current content with its title or parties restricted.
    public func nameHiddenEarlier(documentID: Int64) throws -> Bool {
        try Int.fetchOne(db.cachedStatement(sql: Self.namesHiddenEarlierSQL(filter: "d.id = ?")), arguments: [documentID]) != nil
    }

    private static func namesHiddenEarlierSQL(filter: String) -> String {
        """
        SELECT d.ordinal FROM documents d JOIN versions cur ON cur.document_id = d.id AND cur.n = d.current_version
        WHERE \(filter) AND cur.n > 1 AND cur.blob_sha256 IS NOT NULL AND EXISTS (
            SELECT 1 FROM versions o WHERE o.document_id = d.id AND o.n < cur.n AND o.blob_sha256 = cur.blob_sha256
              AND o.original_name = cur.original_name
              AND (instr(coalesce(o.restriction_hides, ''), 'title') > 0 OR instr(coalesce(o.restriction_hides, ''), 'parties') > 0))
        """
    }

    public func versions(documentID: Int64) throws -> [DocumentVersion] {
        try Row.fetchAll(db, sql: "SELECT \(Self.versionColumns) FROM versions v WHERE document_id = ? ORDER BY n", arguments: [documentID])
            .map { try Self.version($0) }
    }

    public func version(documentID: Int64, number: Int) throws -> DocumentVersion? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(Self.versionColumns) FROM versions v WHERE document_id = ? AND n = ?"),
                         arguments: [documentID, number])
            .map { try Self.version($0) }
    }

    /// A row of `documentColumns`.
    static func storedDocument(_ row: Row) throws -> StoredDocument {
        let caseNumber = CaseNumber(series: try SeriesCode(parsing: try row.value(at: 4)), year: try row.value(at: 5), serial: try row.value(at: 6))
        let record = DocumentRecord(
            number: DocumentNumber(caseNumber: caseNumber, ordinal: try row.value(at: 1)),
            registeredAt: try date(row, 2, "registered_at"), registeredBy: try row.value(at: 3), current: try version(row, at: 7),
            originalNumber: try row.optionalValue(at: 29), originalCaseNumber: try row.optionalValue(at: 30), disposal: try disposal(row, at: 31))
        return StoredDocument(id: try row.value(at: 0), record: record)
    }

    /// The `disposals` columns of `documentColumns`, from `first`; nil when the document is not disposed of.
    static func disposal(_ row: Row, at first: Int) throws -> DocumentDisposal? {
        guard row.hasNull(atIndex: first) == false else { return nil }
        return DocumentDisposal(
            at: try date(row, first, "disposed_at"), by: try row.value(at: first + 1), dueAt: try date(row, first + 2, "due_at"),
            ruleRecordType: try optionalEnumValue(row, first + 3, "rule_record_type"),
            ruleClass: try row.optionalValue(at: first + 7),
            years: try row.value(at: first + 4), mandate: try row.value(at: first + 5), schedule: try row.optionalValue(at: first + 6))
    }

    /// The `versionColumns` of a row, starting at column `first`.
    static func version(_ row: Row, at first: Int = 0) throws -> DocumentVersion {
        func column(_ i: Int) -> Int { first + i }
        var restriction: AccessRestriction?
        if let kind: String = try row.optionalValue(at: column(14)) {
            let hides = try (try row.optionalValue(at: column(17)) as String? ?? "").split(separator: ",").map { part in
                guard let value = AccessRestriction.Part(rawValue: String(part)) else { throw corrupt("restriction_hides") }
                return value
            }
            let until = try (try row.optionalValue(at: column(16)) as String?).map { text throws -> CalendarDate in try CalendarDate(parsing: text, field: "until") }
            guard let kind = AccessRestriction.Kind(rawValue: kind) else { throw corrupt("restriction_kind") }
            restriction = AccessRestriction(stored: kind, legalReference: try row.value(at: column(15)), until: until, hides: hides)
        }
        let documentDate = try (try row.optionalValue(at: column(10)) as String?).map { text throws -> CalendarDate in try CalendarDate(parsing: text, field: "date") }
        let metadata = DocumentMetadata(
            title: try row.value(at: column(6)), publicTitle: try row.optionalValue(at: column(7)), recordType: try enumValue(row, column(8), "record_type"),
            direction: try enumValue(row, column(9), "direction"), documentDate: documentDate, sender: try row.optionalValue(at: column(11)),
            recipient: try row.optionalValue(at: column(12)), classification: try row.optionalValue(at: column(13)), restriction: restriction)
        var content: ContentReference?
        if let sha256: String = try row.optionalValue(at: column(18)) {
            content = ContentReference(sha256: sha256, size: try row.value(at: column(19)), mediaType: try row.value(at: column(20)), originalName: try row.value(at: column(21)))
        }
        return DocumentVersion(
            number: try row.value(at: column(0)), change: try enumValue(row, column(1), "change"), author: try row.value(at: column(2)),
            createdAt: try date(row, column(3), "created_at"), comment: try row.optionalValue(at: column(4)), status: try enumValue(row, column(5), "status"),
            metadata: metadata, content: content)
    }

    // MARK: Blobs

    /// Records a published blob; a no-op when the same content is already known. The file is looked for after the
    /// row is written, under the write lock, under which unreferenced files are removed too: should it have been
    /// removed since it was published, the publication's reserve copy (`BlobPublisher.publish`) is linked back, so
    /// a row never names a missing file.
    public func insertBlob(_ blob: StagedBlob, at: Date, publishedIn objects: BlobPublisher) throws {
        // Content disposed of with the last document that had it is stored anew (and its row says so again).
        try db.cachedStatement(sql: """
            INSERT INTO blobs(sha256, size, stored_at) VALUES (?, ?, ?)
            ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, stored_at = excluded.stored_at, disposed_at = NULL
            WHERE disposed_at IS NOT NULL
            """).execute(arguments: [blob.sha256, blob.size, Timestamp.format(at)])
        let target = objects.path(of: blob.sha256)
        guard !POSIX.fileExists(target) else { return }
        guard link(blob.tempPath, target) == 0 || errno == EEXIST
                || (errno == EPERM || errno == EOPNOTSUPP) && rename(blob.tempPath, target) == 0 else {
            throw POSIX.storageError("content \(blob.sha256) was removed before it was recorded, and its copy cannot be put back at", target)
        }
        try POSIX.fsyncDirectory(String(target[..<target.lastIndex(of: "/")!]))
    }

    /// Whether any row needs this content's file: its blob row, a version of a document not disposed of, or a text
    /// rendition; for content disposed of (its blob row says so), only a version of a document not disposed of.
    public func isBlobReferenced(_ sha256: String) throws -> Bool {
        try Bool.fetchOne(try db.cachedStatement(sql: """
            SELECT CASE WHEN EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1 AND disposed_at IS NOT NULL)
                        THEN EXISTS (SELECT 1 FROM versions v WHERE v.blob_sha256 = ?1
                                     AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = v.document_id))
                        ELSE EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1) OR EXISTS (SELECT 1 FROM versions WHERE blob_sha256 = ?1)
                             OR EXISTS (SELECT 1 FROM renditions WHERE sha256 = ?1) END
            """), arguments: [sha256]) ?? true
    }

    /// Calls `body` for each stored blob (not those disposed of), in digest order, without loading them all.
    public func forEachBlob(_ body: (String, Int64) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: "SELECT sha256, size FROM blobs WHERE disposed_at IS NULL ORDER BY sha256")
        while let row = try cursor.next() { try body(try row.value(at: 0), try row.value(at: 1)) }
    }

    public func blobExists(_ sha256: String) throws -> Bool {
        try Bool.fetchOne(try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ? AND disposed_at IS NULL)"),
                          arguments: [sha256]) ?? false
    }

    public func versionsWithMissingBlobRow() throws -> [(document: String, version: Int, sha256: String)] {
        try Row.fetchAll(db, sql: """
            SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal, v.n, v.blob_sha256
            FROM versions v JOIN documents d ON d.id = v.document_id JOIN cases c ON c.id = d.case_id
            WHERE v.blob_sha256 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = v.blob_sha256)
            """).map { (try $0.value(at: 0), try $0.value(at: 1), try $0.value(at: 2)) }
    }

    // MARK: Audit

    /// Appends an event to the chain. Must run inside the write transaction of the change it records.
    @discardableResult
    public func appendAudit(at: Date, actor: String, action: AuditAction, object: String, version: Int?,
                            details: String) throws -> AuditEvent {
        try AuditChain.checkField(actor, name: "actor")
        try AuditChain.checkField(object, name: "object")
        try AuditChain.checkField(details, name: "details")
        let last = try Row.fetchOne(try db.cachedStatement(sql: "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"))
        // Read as a value, not as Int64: a damaged row (text, or a number at the end of the range) is an integrity
        // error here, not a trap in the middle of a write.
        let lastSequence: Int64
        switch last?[0] as DatabaseValue? {
        case nil: lastSequence = 0
        case let value?:
            guard case .int64(let number) = value.storage, number < Int64.max else {
                throw DiariumError(.integrity, "the audit log's last sequence number is damaged: run diarium verify")
            }
            lastSequence = number
        }
        let sequence = lastSequence + 1
        // A last event without its hash (a NOT NULL column: a catalog edited by hand) is an error, not a new chain.
        let previous = try last?.value(at: 1) as String? ?? AuditChain.genesisHash
        let stamp = Timestamp.format(at)
        let hash = AuditChain.hash(sequence: sequence, at: stamp, actor: actor, action: action.rawValue, object: object,
                                   version: version, details: details, previousHash: previous)
        try db.cachedStatement(sql: """
            INSERT INTO audit_events(seq, at, actor, action, object, version, details, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [sequence, stamp, actor, action.rawValue, object, version, details, previous, hash])
        return AuditEvent(sequence: sequence, at: Timestamp.parse(stamp) ?? at, actor: actor, action: action, object: object,
                          version: version, details: details, previousHash: previous, hash: hash)
    }

    /// Events about `object` (a case number also matches its documents), oldest first.
    public func auditEvents(object: String?, includeChildren: Bool, afterSequence: Int64, limit: Int) throws -> [AuditEvent] {
        var sql = "SELECT * FROM audit_events WHERE seq > ?"
        var arguments: StatementArguments = [afterSequence]
        if let object {
            if includeChildren {
                sql += " AND (object = ? OR (object >= ? AND object < ?))"
                arguments += [object, object + "-", object + "."]   // '.' sorts right after '-'
            } else {
                sql += " AND object = ?"
                arguments += [object]
            }
        }
        sql += " ORDER BY seq LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.auditEvent)
    }

    /// Every row of the log in sequence order, as stored (the action is not interpreted), for verification.
    public func forEachAuditRow(_ body: (RawAuditRow) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit_events ORDER BY seq")
        while let row = try cursor.next() {
            try body(RawAuditRow(sequence: try row.value("seq"), at: try row.value("at"), actor: try row.value("actor"), action: try row.value("action"),
                                 object: try row.value("object"), version: try row.value("version"), details: try row.value("details"),
                                 previousHash: try row.value("prev_hash"), hash: try row.value("hash")))
        }
    }

    /// Audit events about versions that do not exist. A set difference, not a lookup per event: no index can serve
    /// the computed number, and a correlated NOT EXISTS scanned every version once per event (2 minutes at 20,000
    /// versions, growing with the square; 1.2 s for all of `verify` this way).
    static let danglingSQL = """
        WITH v AS (
            SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal AS object, v.n
            FROM versions v JOIN documents d ON d.id = v.document_id JOIN cases c ON c.id = d.case_id
        ), missing AS (
            SELECT object, version FROM audit_events WHERE action IN (\(versionActions))
            EXCEPT
            SELECT object, n FROM v
        )
        SELECT a.object || ' version ' || a.version || ' (event ' || a.seq || ')' FROM audit_events a
        WHERE a.action IN (\(versionActions)) AND (a.object, a.version) IN (SELECT object, version FROM missing)
        ORDER BY a.seq
        """

    /// Versions that no audit event records, and audit events about versions that do not exist.
    public func auditCrossCheck() throws -> (unrecorded: [String], dangling: [String]) {
        let versionActions = Self.versionActions
        let unrecorded = try String.fetchAll(db, sql: """
            WITH v AS (
                SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal AS object, v.n
                FROM versions v JOIN documents d ON d.id = v.document_id JOIN cases c ON c.id = d.case_id
            )
            SELECT v.object || ' version ' || v.n FROM v
            WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.object = v.object AND a.version = v.n
                              AND a.action IN (\(versionActions)))
            UNION ALL
            SELECT 'case ' || c.series || ' ' || c.year || '/' || c.serial FROM cases c
            WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.action IN ('case.open', 'case.import')
                              AND a.object = c.series || ' ' || c.year || '/' || c.serial)
            UNION ALL
            SELECT 'closing of case ' || c.series || ' ' || c.year || '/' || c.serial FROM cases c
            -- Closed, but the log never closed it, or opened it again last.
            WHERE c.status = 'closed'
              AND coalesce((SELECT a.action FROM audit_events a
                            WHERE a.object = c.series || ' ' || c.year || '/' || c.serial
                              AND (a.action IN ('case.close', 'case.reopen')
                                   OR (a.action = 'case.import'
                                       AND CASE WHEN json_valid(a.details) THEN json_extract(a.details, '$.status') END = 'closed'))
                            ORDER BY a.seq DESC LIMIT 1),
                           'case.reopen') = 'case.reopen'
            UNION ALL
            SELECT 'series ' || s.code FROM series s
            WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'series.add' AND a.object = s.code)
            """)
        let dangling = try String.fetchAll(db, sql: Self.danglingSQL)
        return (unrecorded, dangling)
    }

    static func auditEvent(_ row: Row) throws -> AuditEvent {
        AuditEvent(sequence: try row.value("seq"), at: try date(row, "at"), actor: try row.value("actor"), action: try enumValue(row, "action"),
                   object: try row.value("object"), version: try row.value("version"), details: try row.value("details"),
                   previousHash: try row.value("prev_hash"), hash: try row.value("hash"))
    }

    // MARK: Counts

    public func counts() throws -> StoreCounts {
        let row = try Row.fetchOne(db, sql: """
            SELECT (SELECT count(*) FROM series), (SELECT count(*) FROM cases), (SELECT count(*) FROM documents),
                   (SELECT count(*) FROM versions), (SELECT count(*) FROM blobs WHERE disposed_at IS NULL), (SELECT count(*) FROM audit_events)
            """)!
        return StoreCounts(series: try row.value(at: 0), cases: try row.value(at: 1), documents: try row.value(at: 2), versions: try row.value(at: 3), blobs: try row.value(at: 4), auditEvents: try row.value(at: 5))
    }

    // MARK: Decoding helpers

    static func corrupt(_ column: String) -> DiariumError {
        Row.damaged(column)
    }

    static func date(_ row: Row, _ column: String) throws -> Date {
        guard let text: String = try row.value(column), let date = Timestamp.parse(text) else { throw corrupt(column) }
        return date
    }

    static func optionalDate(_ row: Row, _ column: String) throws -> Date? {
        guard try row.value(column) as String? != nil else { return nil }
        return try date(row, column)
    }

    static func enumValue<E: RawRepresentable>(_ row: Row, _ column: String) throws -> E where E.RawValue == String {
        guard let text: String = try row.value(column), let value = E(rawValue: text) else { throw corrupt(column) }
        return value
    }

    /// By position; `name` is for the error.
    static func date(_ row: Row, _ index: Int, _ name: String) throws -> Date {
        guard let text: String = try row.optionalValue(at: index), let date = Timestamp.parse(text) else { throw corrupt(name) }
        return date
    }

    static func enumValue<E: RawRepresentable>(_ row: Row, _ index: Int, _ name: String) throws -> E where E.RawValue == String {
        guard let text: String = try row.optionalValue(at: index), let value = E(rawValue: text) else { throw corrupt(name) }
        return value
    }

    /// NULL is nil; any other value must be one of `E`'s.
    static func optionalEnumValue<E: RawRepresentable>(_ row: Row, _ index: Int, _ name: String) throws -> E? where E.RawValue == String {
        guard let text: String = try row.optionalValue(at: index) else { return nil }
        guard let value = E(rawValue: text) else { throw corrupt(name) }
        return value
    }
}

public struct StoredCase: Sendable {
    public let id: Int64
    public let record: CaseRecord
}

public struct StoredDocument: Sendable {
    public let id: Int64
    public let record: DocumentRecord
}

/// An audit row exactly as stored, for verification (an edited row may not even parse).
public struct RawAuditRow: Sendable {
    public let sequence: Int64
    public let at: String
    public let actor: String
    public let action: String
    public let object: String
    public let version: Int?
    public let details: String
    public let previousHash: String
    public let hash: String
}

public struct StoreCounts: Equatable, Codable, Sendable {
    public let series: Int
    public let cases: Int
    public let documents: Int
    public let versions: Int
    public let blobs: Int
    public let auditEvents: Int
}

extension CatalogAccess {
    /// Runs `body` in a savepoint: when it throws, what it wrote is undone and the surrounding transaction goes on.
    ///
    /// A constraint the catalog enforces (a CHECK, a trigger's RAISE) fails only this statement, so it becomes a
    /// `DiariumError` that fails only this body: in a group commit, one document a rule missed must not fail the
    /// others' registrations. Any other database error (I/O, disk full) may have ended the transaction: it fails all.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        var result: T?
        try mappingRefusedRows {
            try db.inSavepoint {
                result = try body()
                return .commit
            }
        }
        return result!
    }

    /// Runs `body`, turning a row the catalog refuses (a CHECK or a trigger: a bug, not input) into a `DiariumError`,
    /// as `savepoint` does; the database failing (I/O, locks) stays a database error.
    public func mappingRefusedRows<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw DiariumError(.storage, "the catalog refused the row: \(Catalog.describe(error))")
        }
    }
}
