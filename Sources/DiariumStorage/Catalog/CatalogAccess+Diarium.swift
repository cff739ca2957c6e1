import DiariumCore
import Foundation
import GRDB

extension CatalogAccess {
    /// Documents in registration order, newest first, with their current version: the register itself. The order
    /// is the registration time's (imported documents keep theirs, so row ids are not in that order), then the id.
    ///
    /// - Parameters:
    ///   - beforeID: only documents after this one in that order (the last of the previous page); `Int64.max` for
    ///     the first page. A document that does not exist ends the listing.
    ///   - registeredFrom: only documents registered at or after this moment.
    ///   - registeredBefore: only documents registered before this moment.
    /// - Returns: the documents with their row ids, for the next cursor.
    public func registeredDocuments(series: SeriesCode?, registeredFrom: Date?, registeredBefore: Date?, beforeID: Int64,
                                    limit: Int) throws -> [StoredDocument] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if beforeID != Int64.max {
            // Registration times never change, so the last row's is looked up rather than carried in the cursor.
            conditions.append("(d.registered_at, d.id) < ((SELECT registered_at FROM documents WHERE id = ?), ?)")
            arguments += [beforeID, beforeID]
        }
        if let series { conditions.append("c.series = ?"); arguments += [series.rawValue] }
        // Stored times are fixed-width ISO 8601 UTC text, so they compare as strings.
        if let registeredFrom { conditions.append("d.registered_at >= ?"); arguments += [Timestamp.format(registeredFrom)] }
        if let registeredBefore { conditions.append("d.registered_at < ?"); arguments += [Timestamp.format(registeredBefore)] }
        arguments += [limit]
        return try Row.fetchAll(db, sql: """
            SELECT \(Self.documentColumns)
            FROM documents d JOIN cases c ON c.id = d.case_id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            LEFT JOIN disposals x ON x.document_id = d.id
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY d.registered_at DESC, d.id DESC LIMIT ?
            """, arguments: arguments).map(Self.storedDocument)
    }
}
