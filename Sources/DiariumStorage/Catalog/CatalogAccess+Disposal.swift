import DiariumCore
import Foundation
import GRDB

/// A document of a closed case that has not been disposed of, where a disposal rule may reach it (its series has
/// one, or some class has one): the service applies the rule (which depends on its class and record type) to find
/// whether it is due.
public struct DisposalCandidate: Sendable {
    public let documentID: Int64
    public let number: DocumentNumber
    public let recordType: RecordType
    /// Its class, else its case's.
    public let classCode: String?
    public let caseClosedAt: Date
    /// Active legal holds on it or on its case.
    public let holds: [Int64]
    /// Outbound interchanges carrying it that wait for their receipt, not withdrawn: their packages in the outbox hold
    /// its content, so it is not disposed of until they are answered or withdrawn.
    public let inTransit: [String]
    /// Its record type or class, or its case's class, was changed after its case was closed: the rule it falls under
    /// now may not be the one it was registered for (a shorter period, by mistake or not), so a run over everything
    /// due leaves it for review.
    public let typeChangedAfterClosing: Bool
}

/// Legal holds and disposal (gallring).
extension CatalogAccess {
    // MARK: Legal holds

    private static let holdSelect = """
        SELECT h.id, CASE WHEN h.case_id IS NOT NULL THEN 'case' ELSE 'document' END,
               coalesce(hc.series || ' ' || hc.year || '/' || hc.serial, dc.series || ' ' || dc.year || '/' || dc.serial || '-' || d.ordinal),
               h.reason, h.placed_at, h.placed_by, h.released_at, h.released_by, h.release_reason
        FROM legal_holds h
        LEFT JOIN cases hc ON hc.id = h.case_id
        LEFT JOIN documents d ON d.id = h.document_id LEFT JOIN cases dc ON dc.id = d.case_id
        """

    private static func hold(_ row: Row) throws -> LegalHold {
        guard let scope = LegalHold.Scope(rawValue: try row.value(at: 1)) else { throw Self.corrupt("legal_holds") }
        let released: String? = try row.optionalValue(at: 6)
        return LegalHold(id: try row.value(at: 0), scope: scope, number: try row.value(at: 2), reason: try row.value(at: 3),
                         placedAt: try date(row, 4, "placed_at"), placedBy: try row.value(at: 5),
                         releasedAt: try released.map { _ in try date(row, 6, "released_at") }, releasedBy: try row.optionalValue(at: 7),
                         releaseReason: try row.optionalValue(at: 8))
    }

    /// Places a hold on a case or document, which must exist. The caller logs it.
    public func placeHold(_ target: HoldTarget, reason: String, at: Date, by: String) throws -> LegalHold {
        switch target {
        case .case(let number):
            guard let (id, _) = try caseStatus(number) else { throw DiariumError.notFound("case", number.description, field: "target") }
            try db.execute(sql: "INSERT INTO legal_holds(case_id, reason, placed_at, placed_by) VALUES (?, ?, ?, ?)",
                           arguments: [id, reason, Timestamp.format(at), by])
        case .document(let number):
            guard let stored = try document(number) else { throw DiariumError.notFound("document", number.description, field: "target") }
            if let disposal = stored.record.disposal {
                throw DiariumError(.invalidState, "document \(number) was already disposed of (\(disposal.summary)): there is nothing left to hold")
            }
            try db.execute(sql: "INSERT INTO legal_holds(document_id, reason, placed_at, placed_by) VALUES (?, ?, ?, ?)",
                           arguments: [stored.id, reason, Timestamp.format(at), by])
        }
        guard let placed = try legalHold(id: db.lastInsertedRowID) else { throw Self.corrupt("legal_holds") }
        return placed
    }

    /// Releases an active hold. The caller logs it.
    public func releaseHold(id: Int64, reason: String?, at: Date, by: String) throws -> LegalHold {
        guard let hold = try legalHold(id: id) else { throw DiariumError(.notFound, "legal hold \(id) does not exist", field: "id") }
        guard hold.isActive else {
            throw DiariumError(.invalidState, "legal hold \(id) was already released (\(Timestamp.swedishDisplay(hold.releasedAt!)) by \(hold.releasedBy ?? "?"))")
        }
        try db.execute(sql: "UPDATE legal_holds SET released_at = ?, released_by = ?, release_reason = ? WHERE id = ?",
                       arguments: [Timestamp.format(at), by, reason, id])
        guard let released = try legalHold(id: id) else { throw Self.corrupt("legal_holds") }
        return released
    }

    public func legalHold(id: Int64) throws -> LegalHold? {
        try Row.fetchOne(db, sql: Self.holdSelect + " WHERE h.id = ?", arguments: [id]).map(Self.hold)
    }

    /// Holds, newest first: all, or the active ones only. On a case: those on it and on its documents; on a document:
    /// those that keep it (on it and on its case). `before`: only holds with a smaller id (older: the next page).
    public func legalHolds(activeOnly: Bool, target: HoldTarget?, before: Int64? = nil, limit: Int) throws -> [LegalHold] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if activeOnly { conditions.append("h.released_at IS NULL") }
        if let before { conditions.append("h.id < ?"); arguments += [before] }
        switch target {
        case .case(let number):
            conditions.append("coalesce(hc.series, dc.series) = ? AND coalesce(hc.year, dc.year) = ? AND coalesce(hc.serial, dc.serial) = ?")
            arguments += [number.series.rawValue, number.year, number.serial]
        case .document(let number):
            // The holds that keep the document: its own and its case's.
            conditions.append("""
                ((dc.series = ? AND dc.year = ? AND dc.serial = ? AND d.ordinal = ?) OR (hc.series = ? AND hc.year = ? AND hc.serial = ?))
                """)
            let c = number.caseNumber
            arguments += [c.series.rawValue, c.year, c.serial, number.ordinal, c.series.rawValue, c.year, c.serial]
        case nil: break
        }
        arguments += [limit]
        return try Row.fetchAll(db, sql: Self.holdSelect + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
                                + " ORDER BY h.id DESC LIMIT ?", arguments: arguments).map(Self.hold)
    }

    // MARK: Disposal

    private static let candidateSelect = """
        SELECT d.id, c.series, c.year, c.serial, d.ordinal, v.record_type, c.closed_at,
               (SELECT group_concat(h.id) FROM legal_holds h
                WHERE h.released_at IS NULL AND (h.document_id = d.id OR h.case_id = c.id)) AS holds,
               EXISTS (SELECT 1 FROM versions w JOIN versions p ON p.document_id = w.document_id
                       AND p.n = (SELECT max(q.n) FROM versions q WHERE q.document_id = w.document_id AND q.n < w.n)
                       WHERE w.document_id = d.id AND w.created_at > c.closed_at
                       AND (w.record_type IS NOT p.record_type OR w.class_code IS NOT p.class_code))
               OR EXISTS (SELECT 1 FROM case_revisions r WHERE r.case_id = c.id AND r.replaced_at > c.closed_at
                          AND r.class_code IS NOT c.class_code) AS retyped,
               coalesce(v.class_code, c.class_code),
               (SELECT group_concat(ref, ' ') FROM (
                    SELECT i.control_ref AS ref FROM interchange_documents k JOIN interchanges i ON i.id = k.interchange_id
                    WHERE k.document_id = d.id AND i.direction = 'out' AND i.status IN ('queued', 'delivered') AND i.withdrawn_at IS NULL
                    ORDER BY i.id)) AS in_transit
        FROM cases c JOIN documents d ON d.case_id = c.id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
        WHERE c.status = 'closed' AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = d.id)
        """

    private static func candidate(_ row: Row) throws -> DisposalCandidate {
        let caseNumber = CaseNumber(series: try SeriesCode(parsing: try row.value(at: 1)), year: try row.value(at: 2), serial: try row.value(at: 3))
        let holds = try (try row.optionalValue(at: 7) as String? ?? "").split(separator: ",").map { part in
            guard let id = Int64(part) else { throw Self.corrupt("legal_holds") }
            return id
        }
        return DisposalCandidate(documentID: try row.value(at: 0), number: DocumentNumber(caseNumber: caseNumber, ordinal: try row.value(at: 4)),
                                 recordType: try enumValue(row, 5, "record_type"), classCode: try row.optionalValue(at: 9),
                                 caseClosedAt: try date(row, 6, "closed_at"), holds: holds,
                                 inTransit: (try row.optionalValue(at: 10) as String? ?? "").split(separator: " ").map(String.init),
                                 typeChangedAfterClosing: try row.value(at: 8))
    }

    /// The candidates for disposal in number order, after `after`, until `body` returns false: documents of closed
    /// cases, not yet disposed of, in series with at least one disposal rule (in any series when a class has one).
    /// Read with a cursor, in bounded memory.
    public func forEachDisposalCandidate(series: SeriesCode?, after: DocumentNumber?, _ body: (DisposalCandidate) throws -> Bool) throws {
        var sql = Self.candidateSelect + """
             AND (c.series IN (SELECT series FROM retention_rules WHERE action = 'dispose')
                  OR EXISTS (SELECT 1 FROM classes WHERE retention_action = 'dispose')
                  OR EXISTS (SELECT 1 FROM class_rules WHERE action = 'dispose'))
            """
        var arguments: StatementArguments = []
        if let series { sql += " AND c.series = ?"; arguments += [series.rawValue] }
        if let after {
            sql += " AND (c.series, c.year, c.serial, d.ordinal) > (?, ?, ?, ?)"
            arguments += [after.caseNumber.series.rawValue, after.caseNumber.year, after.caseNumber.serial, after.ordinal]
        }
        let cursor = try Row.fetchCursor(db, sql: sql + " ORDER BY c.series, c.year, c.serial, d.ordinal", arguments: arguments)
        while let row = try cursor.next() {
            guard try body(try Self.candidate(row)) else { return }
        }
    }

    /// One document as a candidate; nil when it does not exist, its case is open or it was disposed of already.
    public func disposalCandidate(_ number: DocumentNumber) throws -> DisposalCandidate? {
        try Row.fetchOne(db, sql: Self.candidateSelect + " AND c.series = ? AND c.year = ? AND c.serial = ? AND d.ordinal = ?",
                         arguments: [number.caseNumber.series.rawValue, number.caseNumber.year, number.caseNumber.serial, number.ordinal])
            .map(Self.candidate)
    }

    /// Records a document's disposal: its disposal row, its index entry without its text, and for each of its content
    /// files that no other document kept uses, the blob row marked disposed and the text rendition removed. Returns
    /// those files' digests: the caller removes the files once this is committed (`BlobPublisher.removeUnreferenced`,
    /// which checks again under the write lock), so a failed commit never leaves a document without its content.
    /// What it deletes is overwritten with zeros (`secure_delete`, set as the catalog opens), and the words its text
    /// leaves in the full-text index are counted for the next purge (`unpurgedDisposals`).
    public func recordDisposal(documentID: Int64, _ disposal: DocumentDisposal) throws -> [String] {
        // The index must be told exactly what it holds for the document, so it leaves under the old view.
        try unindexDocument(id: documentID)
        try insertDisposal(documentID: documentID, disposal)
        try indexDocument(id: documentID)
        try countUnpurgedDisposal()
        let digests = try String.fetchAll(db, sql: "SELECT DISTINCT blob_sha256 FROM versions WHERE document_id = ? AND blob_sha256 IS NOT NULL",
                                          arguments: [documentID])
        var released: [String] = []
        for sha256 in digests {
            let used = try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM versions v WHERE v.blob_sha256 = ?
                               AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = v.document_id))
                """, arguments: [sha256]) ?? true
            guard !used else { continue }
            try db.execute(sql: "UPDATE blobs SET disposed_at = ? WHERE sha256 = ? AND disposed_at IS NULL",
                           arguments: [Timestamp.format(disposal.at), sha256])
            try db.execute(sql: "DELETE FROM renditions WHERE sha256 = ?", arguments: [sha256])
            try db.execute(sql: "DELETE FROM content_formats WHERE sha256 = ?", arguments: [sha256])
            released.append(sha256)
        }
        return released
    }

    /// Digests of content disposed of whose file `isStored` says is still there.
    public func disposedContent(where isStored: (String) -> Bool) throws -> [String] {
        var found: [String] = []
        let cursor = try String.fetchCursor(db, sql: "SELECT sha256 FROM blobs WHERE disposed_at IS NOT NULL")
        while let sha256 = try cursor.next() {
            if isStored(sha256) { found.append(sha256) }
        }
        return found
    }

    /// One disposal as the disposal record counts it.
    public struct DisposalFact: Sendable {
        public let at: Date
        public let by: String
        public let series: SeriesCode
        public let caseYear: Int
        public let recordType: RecordType
        public let ruleRecordType: RecordType?
        public let ruleClass: String?
        public let years: Int
        public let mandate: String
        public let schedule: String?
    }

    /// Every disposal (of `series`, or all) made from `from` until before `before` (open-ended when nil), oldest first,
    /// through a cursor: the record of them grows with the years, and a period is read by its time index.
    public func forEachDisposal(series: SeriesCode?, from: Date? = nil, before: Date? = nil, _ body: (DisposalFact) throws -> Void) throws {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let series { conditions.append("c.series = ?"); arguments += [series.rawValue] }
        // Stored times are fixed-width ISO 8601 UTC text, so they compare as strings.
        if let from { conditions.append("x.disposed_at >= ?"); arguments += [Timestamp.format(from)] }
        if let before { conditions.append("x.disposed_at < ?"); arguments += [Timestamp.format(before)] }
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT x.disposed_at, x.disposed_by, c.series, c.year, v.record_type, x.rule_years, x.rule_mandate, x.rule_schedule, x.rule_class,
                   x.rule_record_type
            FROM disposals x JOIN documents d ON d.id = x.document_id JOIN cases c ON c.id = d.case_id
            JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY x.disposed_at, x.document_id
            """, arguments: arguments)
        while let row = try cursor.next() {
            try body(DisposalFact(at: try Self.date(row, 0, "disposed_at"), by: try row.value(at: 1),
                                  series: try SeriesCode(parsing: try row.value(at: 2)),
                                  caseYear: try row.value(at: 3), recordType: try Self.enumValue(row, 4, "record_type"),
                                  ruleRecordType: try Self.optionalEnumValue(row, 9, "rule_record_type"), ruleClass: try row.optionalValue(at: 8),
                                  years: try row.value(at: 5), mandate: try row.value(at: 6),
                                  schedule: try row.optionalValue(at: 7)))
        }
    }

    /// The log's newest event (0 for none): a mark to ask later whether documents were disposed of since
    /// (`disposed(after:)`), by the `document.dispose` events after it.
    public func disposalMark() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit_events") ?? 0
    }

    /// Whether a document was disposed of after the log's event `mark`: any document (`nil`), one of `numbers`, or
    /// one whose number starts with one of `prefixes` ("KS 2026/14-" for a case, "KS 2026/" or "KS " for a series).
    public func disposed(after mark: Int64, numbers: [String] = [], prefixes: [String]? = nil) throws -> Bool {
        var sql = "SELECT EXISTS (SELECT 1 FROM audit_events WHERE seq > ? AND action = 'document.dispose'"
        var arguments: StatementArguments = [mark]
        if let prefixes {
            let tests = numbers.map { _ in "object = ?" } + prefixes.map { _ in "substr(object, 1, length(?)) = ?" }
            guard !tests.isEmpty else { return false }
            sql += " AND (" + tests.joined(separator: " OR ") + ")"
            for number in numbers { arguments += [number] }
            for prefix in prefixes { arguments += [prefix, prefix] }
        }
        return try Bool.fetchOne(db, sql: sql + ")", arguments: arguments) ?? false
    }

    /// Whether this content's file was removed by a disposal (its row says so).
    public func isBlobDisposed(_ sha256: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT disposed_at IS NOT NULL FROM blobs WHERE sha256 = ?", arguments: [sha256]) ?? false
    }

    func insertDisposal(documentID: Int64, _ disposal: DocumentDisposal) throws {
        try db.execute(sql: """
            INSERT INTO disposals(document_id, disposed_at, disposed_by, due_at, rule_record_type, rule_years, rule_mandate, rule_schedule,
                                  rule_class)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [documentID, Timestamp.format(disposal.at), disposal.by, Timestamp.format(disposal.dueAt),
                             disposal.ruleRecordType?.rawValue, disposal.years, disposal.mandate, disposal.schedule, disposal.ruleClass])
    }

    // MARK: Verification

    /// Disposals and holds against the log, and content a kept document needs marked as disposed of: a disposal or a
    /// release the log never recorded is a change behind Diarium's back (a removed hold lets records be destroyed).
    public func disposalAuditMismatches() throws -> [String] {
        try lines("""
            WITH x AS (
                SELECT x.*, c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal AS object
                FROM disposals x JOIN documents d ON d.id = x.document_id JOIN cases c ON c.id = d.case_id
            ), h AS (
                SELECT h.*, coalesce(hc.series || ' ' || hc.year || '/' || hc.serial,
                                     dc.series || ' ' || dc.year || '/' || dc.serial || '-' || d.ordinal) AS object
                FROM legal_holds h LEFT JOIN cases hc ON hc.id = h.case_id
                LEFT JOIN documents d ON d.id = h.document_id LEFT JOIN cases dc ON dc.id = d.case_id
            )
            SELECT x.object || ' is disposed of (' || x.rule_mandate || ', ' || x.rule_years || ' years), but the log '
                   || CASE WHEN a.seq IS NULL THEN 'has no document.dispose event for it'
                           ELSE 'says ' || coalesce(json_extract(a.details, '$.mandate'), 'no mandate') || ', '
                                || coalesce(json_extract(a.details, '$.years'), '?') || ' years (event ' || a.seq || ')' END
            FROM x LEFT JOIN audit_events a ON a.object = x.object AND a.action = 'document.dispose' AND json_valid(a.details)
            -- An import logs a disposal made elsewhere with its original time and archivist in the details.
            WHERE a.seq IS NULL OR json_extract(a.details, '$.mandate') IS NOT x.rule_mandate
               OR json_extract(a.details, '$.years') IS NOT x.rule_years OR json_extract(a.details, '$.ruleClass') IS NOT x.rule_class
               OR coalesce(json_extract(a.details, '$.disposedAt'), a.at) IS NOT x.disposed_at
               OR coalesce(json_extract(a.details, '$.disposedBy'), a.actor) IS NOT x.disposed_by
            UNION ALL
            SELECT 'the log disposed of ' || a.object || ' (event ' || a.seq || '), but the catalog has it as kept'
            FROM audit_events a WHERE a.action = 'document.dispose' AND NOT EXISTS (SELECT 1 FROM x WHERE x.object = a.object)
            UNION ALL
            -- An import logs a hold placed elsewhere with its original time and archivist in the details.
            SELECT 'legal hold ' || h.id || ' on ' || h.object || ' has no hold.place event at its time and by its archivist'
            FROM h WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'hold.place' AND a.object = h.object
                                     AND json_valid(a.details) AND json_extract(a.details, '$.hold') = h.id
                                     AND coalesce(json_extract(a.details, '$.placedAt'), a.at) = h.placed_at
                                     AND coalesce(json_extract(a.details, '$.placedBy'), a.actor) = h.placed_by)
            UNION ALL
            SELECT 'legal hold ' || h.id || ' on ' || h.object || ' is '
                   || CASE WHEN h.released_at IS NULL THEN 'active, but the log released it' ELSE 'released, but the log never released it' END
            FROM h WHERE (h.released_at IS NOT NULL) != EXISTS (
                SELECT 1 FROM audit_events a WHERE a.action = 'hold.release' AND a.object = h.object
                AND json_valid(a.details) AND json_extract(a.details, '$.hold') = h.id)
            UNION ALL
            SELECT 'legal hold ' || h.id || ' on ' || h.object || ' was released ' || h.released_at || ' by ' || h.released_by
                   || ', but the log released it otherwise'
            FROM h WHERE h.released_at IS NOT NULL AND EXISTS (
                SELECT 1 FROM audit_events a WHERE a.action = 'hold.release' AND a.object = h.object
                AND json_valid(a.details) AND json_extract(a.details, '$.hold') = h.id)
              AND NOT EXISTS (
                SELECT 1 FROM audit_events a WHERE a.action = 'hold.release' AND a.object = h.object
                AND json_valid(a.details) AND json_extract(a.details, '$.hold') = h.id AND a.at = h.released_at AND a.actor = h.released_by)
            UNION ALL
            -- A disposal must never have run under an active hold.
            SELECT x.object || ' was disposed of ' || x.disposed_at || ' while legal hold ' || h.id || ' on ' || h.object || ' kept it'
            FROM x JOIN documents d ON d.id = x.document_id
            JOIN h ON (h.document_id = x.document_id OR h.case_id = d.case_id)
                  AND h.placed_at < x.disposed_at AND (h.released_at IS NULL OR h.released_at > x.disposed_at)
            UNION ALL
            SELECT 'the log placed legal hold ' || json_extract(a.details, '$.hold') || ' on ' || a.object || ' (event ' || a.seq
                   || '), which the catalog does not have'
            FROM audit_events a WHERE a.action = 'hold.place' AND json_valid(a.details)
              AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.id = json_extract(a.details, '$.hold'))
            UNION ALL
            SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal || ' version ' || v.n || ' names content '
                   || v.blob_sha256 || ', which the catalog has as disposed of'
            FROM versions v JOIN blobs b ON b.sha256 = v.blob_sha256 JOIN documents d ON d.id = v.document_id JOIN cases c ON c.id = d.case_id
            WHERE b.disposed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = v.document_id)
            UNION ALL
            -- The text of content disposed of is gone with it.
            SELECT 'content ' || r.sha256 || ' was disposed of, but its text is still kept'
            FROM renditions r JOIN blobs b ON b.sha256 = r.sha256 WHERE b.disposed_at IS NOT NULL
            UNION ALL
            SELECT 'content ' || f.sha256 || ' was disposed of, but its format is still kept'
            FROM content_formats f JOIN blobs b ON b.sha256 = f.sha256 WHERE b.disposed_at IS NOT NULL
            """)
    }
}

/// Backups and the disposals made since: a copy made before a document was disposed of still holds its content.
extension CatalogAccess {
    /// One `store.backup` event.
    public struct LoggedBackup: Sendable {
        public let at: Date
        public let by: String
        public let destination: String
        /// The newest audit event in the copy: it holds what was registered up to there.
        public let auditHead: Int64
    }

    /// Every backup the log records, oldest first.
    public func loggedBackups() throws -> [LoggedBackup] {
        try Row.fetchAll(db, sql: """
            SELECT a.at, a.actor, json_extract(a.details, '$.destination') AS destination,
                   json_extract(a.details, '$.auditHead') AS head
            FROM audit_events a
            WHERE a.object = 'store' AND a.action = 'store.backup' AND json_valid(a.details)
              AND json_type(a.details, '$.destination') = 'text' AND json_type(a.details, '$.auditHead') = 'integer'
            ORDER BY a.seq
            """).map { row in
            LoggedBackup(at: try Self.date(row, 0, "at"), by: try row.value(at: 1), destination: try row.value("destination"),
                         auditHead: try row.value("head"))
        }
    }

    /// A disposed document's place in the log: its first event (its registration or import) and its
    /// `document.dispose` event. A copy whose newest event lies between them holds its content.
    public struct DisposalSpan: Sendable {
        public let registered: Int64
        public let disposed: Int64

        public func isHeld(byCopyUpTo head: Int64) -> Bool { registered <= head && head < disposed }
    }

    /// The spans of every disposed document (of `numbers` only, when given), by the log's order rather than its
    /// clock. Disposals that came with an import are logged in the import's transaction, so no copy falls between.
    public func disposalSpans(of numbers: [String]? = nil) throws -> [DisposalSpan] {
        let span = try db.cachedStatement(sql: """
            SELECT (SELECT min(e.seq) FROM audit_events e WHERE e.object = ?1),
                   (SELECT max(e.seq) FROM audit_events e WHERE e.object = ?1 AND e.action = 'document.dispose')
            """)
        func read(_ number: String) throws -> DisposalSpan? {
            guard let row = try Row.fetchOne(span, arguments: [number]),
                  let registered: Int64 = try row.optionalValue(at: 0), let disposed: Int64 = try row.optionalValue(at: 1) else { return nil }
            return DisposalSpan(registered: registered, disposed: disposed)
        }
        if let numbers { return try numbers.compactMap(read) }
        var spans: [DisposalSpan] = []
        let cursor = try String.fetchCursor(db, sql: """
            SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal
            FROM disposals x JOIN documents d ON d.id = x.document_id JOIN cases c ON c.id = d.case_id
            """)
        while let number = try cursor.next() {
            if let found = try read(number) { spans.append(found) }
        }
        return spans
    }
}
