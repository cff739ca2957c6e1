import DiariumCore
import Foundation
import GRDB

extension CatalogAccess {
    /// Documents in registration order, newest first, with their current version: the register itself.
    ///
    /// - Parameters:
    ///   - beforeID: only documents whose row id is below this (the cursor of the previous page).
    ///   - registeredFrom: only documents registered at or after this moment.
    ///   - registeredBefore: only documents registered before this moment.
    /// - Returns: the documents with their row ids, for the next cursor.
    public func registeredDocuments(series: SeriesCode?, registeredFrom: Date?, registeredBefore: Date?, beforeID: Int64,
                                    limit: Int) throws -> [StoredDocument] {
        var conditions = ["d.id < ?"]
        var arguments: StatementArguments = [beforeID]
        if let series { conditions.append("c.series = ?"); arguments += [series.rawValue] }
        // Stored times are fixed-width ISO 8601 UTC text, so they compare as strings.
        if let registeredFrom { conditions.append("d.registered_at >= ?"); arguments += [Timestamp.format(registeredFrom)] }
        if let registeredBefore { conditions.append("d.registered_at < ?"); arguments += [Timestamp.format(registeredBefore)] }
        arguments += [limit]
        return try Row.fetchAll(db, sql: """
            SELECT \(Self.documentColumns)
            FROM documents d JOIN cases c ON c.id = d.case_id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY d.id DESC LIMIT ?
            """, arguments: arguments).map(Self.storedDocument)
    }
}
