import DiariumCore
import Foundation
import GRDB

/// Catalog queries for archival export and import (information packages).
extension CatalogAccess {
    /// Cases of a series (and year of registration), in number order.
    public func storedCases(series: SeriesCode, year: Int?) throws -> [StoredCase] {
        var sql = "SELECT \(Self.caseColumns) FROM cases c WHERE series = ?"
        var arguments: StatementArguments = [series.rawValue]
        if let year { sql += " AND year = ?"; arguments += [year] }
        return try Row.fetchAll(db, sql: sql + " ORDER BY series, year, serial", arguments: arguments).map(Self.storedCase)
    }

    /// A case's documents with their row ids, in ordinal order.
    public func storedDocuments(caseID: Int64) throws -> [StoredDocument] {
        try Row.fetchAll(db, sql: """
            SELECT \(Self.documentColumns)
            FROM cases c JOIN documents d ON d.case_id = c.id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            LEFT JOIN disposals x ON x.document_id = d.id
            WHERE c.id = ? ORDER BY d.ordinal
            """, arguments: [caseID]).map(Self.storedDocument)
    }

    /// Who opened a case, who closed it (the log's `case.close`, else what its import brought), and its number elsewhere.
    /// Who opened and closed a case, the number it had elsewhere, and the organisation whose records it is when its
    /// import recorded another's (`archivalCreator` in the `case.import` event; nil: the store's own).
    public func caseProvenance(id: Int64) throws -> (openedBy: String, closedBy: String?, externalReference: String?,
                                                     archivalCreator: (name: String, code: String?)?) {
        let row = try Row.fetchOne(db, sql: """
            SELECT opened_by, external_ref, coalesce(
                       (SELECT a.actor FROM audit_events a WHERE a.object = number AND a.action = 'case.close' ORDER BY a.seq DESC LIMIT 1),
                       (SELECT json_extract(a.details, '$.closedBy') FROM audit_events a
                        WHERE a.object = number AND a.action = 'case.import' AND json_valid(a.details)
                          AND json_type(a.details, '$.closedBy') = 'text' ORDER BY a.seq DESC LIMIT 1)) AS closed_by,
                   (SELECT CASE WHEN json_type(a.details, '$.archivalCreator') = 'text'
                                THEN json_array(json_extract(a.details, '$.archivalCreator'), json_extract(a.details, '$.archivalCreatorCode')) END
                    FROM audit_events a WHERE a.object = number AND a.action = 'case.import' AND json_valid(a.details)
                    ORDER BY a.seq DESC LIMIT 1) AS creator
            FROM (SELECT opened_by, external_ref, status, series || ' ' || year || '/' || serial AS number FROM cases WHERE id = ?)
            """, arguments: [id])
        guard let row else { throw Self.corrupt("cases.id") }
        var creator: (name: String, code: String?)?
        if let pair: String = try row.optionalValue(at: 3),
           let values = try? JSONSerialization.jsonObject(with: Data(pair.utf8)) as? [Any], let name = values.first as? String {
            creator = (name, values.count > 1 ? values[1] as? String : nil)
        }
        return (try row.value(at: 0), try row.optionalValue(at: 2), try row.optionalValue(at: 1), creator)
    }

    /// Inserts an imported case as it was (its own dates, opener and status). Returns the row id.
    public func insertImportedCase(_ record: CaseRecord, openedBy: String, externalReference: String?) throws -> Int64 {
        let id = try insertCase(record, openedBy: openedBy)
        if let externalReference {
            try db.execute(sql: "UPDATE cases SET external_ref = ? WHERE id = ?", arguments: [externalReference, id])
        }
        return id
    }

    /// Inserts an imported document with every version it had (numbers 1…n, oldest first), then indexes its
    /// current version. Renditions of its content must be in place first. Returns the row id.
    /// `disposal`: the document was disposed of where it came from; its versions' content is recorded as disposed of
    /// (unless this store holds the same bytes for another document), and it is indexed without text.
    public func insertImportedDocument(caseID: Int64, ordinal: Int, registeredAt: Date, registeredBy: String,
                                       externalReference: String?, versions: [DocumentVersion],
                                       disposal: DocumentDisposal? = nil) throws -> Int64 {
        guard let current = versions.last else { throw DiariumError.invalid("versions", "a document needs at least one version") }
        if let disposal {
            for content in versions.compactMap(\.content) {
                try db.execute(sql: """
                    INSERT INTO blobs(sha256, size, stored_at, disposed_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING
                    """, arguments: [content.sha256, content.size, Timestamp.format(disposal.at), Timestamp.format(disposal.at)])
                // A size nothing can check (there is no file) must at least agree with what this store knows.
                let known = try Int64.fetchOne(db, sql: "SELECT size FROM blobs WHERE sha256 = ?", arguments: [content.sha256])
                guard known == content.size else {
                    throw DiariumError.invalid("content", "content \(content.sha256) is \(known ?? 0) bytes here, the package says \(content.size)")
                }
            }
        }
        try db.cachedStatement(sql: """
            INSERT INTO documents(case_id, ordinal, registered_at, registered_by, current_version, status, external_ref)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [caseID, ordinal, Timestamp.format(registeredAt), registeredBy, current.number,
                                     current.status.rawValue, externalReference])
        let id = db.lastInsertedRowID
        for version in versions { try insertVersion(documentID: id, version) }
        if let disposal { try insertDisposal(documentID: id, disposal) }
        try indexDocument(id: id)
        return id
    }

    /// Records an imported package; `auditSequence` is its `package.import` event.
    public func insertPackageImport(packageID: String, source: String, at: Date, actor: String, cases: Int, documents: Int,
                                    auditSequence: Int64) throws {
        try db.execute(sql: """
            INSERT INTO package_imports(package_id, source, imported_at, imported_by, cases, documents, audit_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [packageID, source, Timestamp.format(at), actor, cases, documents, auditSequence])
    }

    /// When packages with this id were imported before, oldest first.
    public func packageImports(packageID: String) throws -> [Date] {
        try String.fetchAll(db, sql: "SELECT imported_at FROM package_imports WHERE package_id = ? ORDER BY id",
                            arguments: [packageID]).compactMap(Timestamp.parse)
    }
}
