import DiariumCore
import GRDB

extension CatalogAccess {
    /// The current content of documents not disposed of, counted by series and format (`FormatTally`): one pass over
    /// the documents' current versions and their formats' short rows.
    ///
    /// - Parameter release: the signatures in use; content another release (or none) looked at is `pending`.
    /// - Returns: per series, identified formats first, then unidentified and pending content, the most documents first.
    public func formatTallies(series: SeriesCode?, release: String) throws -> [FormatTally] {
        var arguments: StatementArguments = [release]
        var filter = ""
        if let series { filter = "AND c.series = ?"; arguments += [series.rawValue] }
        return try Row.fetchAll(db, sql: """
            WITH current AS (
                SELECT c.series, v.media_type, v.content_size, f.identified_with IS ? AS looked,
                       f.puid AS format_puid, f.name AS format_name, f.version AS format_version, f.basis AS format_basis
                FROM documents d JOIN cases c ON c.id = d.case_id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
                LEFT JOIN content_formats f ON f.sha256 = v.blob_sha256
                WHERE v.blob_sha256 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = d.id) \(filter)
            )
            SELECT series, looked, CASE WHEN looked THEN format_puid END AS puid, CASE WHEN looked THEN format_name END AS name,
                   CASE WHEN looked THEN format_version END AS version, max(CASE WHEN looked THEN format_basis END) AS basis,
                   CASE WHEN NOT looked OR format_puid IS NULL THEN media_type END AS type, count(*) AS n, sum(content_size) AS bytes
            FROM current
            GROUP BY 1, 2, 3, 4, 5, 7
            ORDER BY series, looked DESC, puid IS NULL, n DESC, puid, type
            """, arguments: arguments).map { row in
            let series = try SeriesCode(parsing: try row.value(at: 0))
            let looked: Bool = try row.value(at: 1)
            let format = try Self.format(row, at: 2)
            let state: FormatTally.State = !looked ? .pending : format == nil ? .unidentified : .identified
            return FormatTally(series: series, state: state, format: format, mediaType: try row.optionalValue(at: 6),
                               documents: try row.value(at: 7), bytes: try row.value(at: 8))
        }
    }

    /// Documents not disposed of whose current content is in `state` (`unidentified` or `pending`; not `identified`),
    /// in number order after `after`, at most `limit`.
    public func formatlessDocuments(state: FormatTally.State, series: SeriesCode?, after: DocumentNumber?, limit: Int,
                                    release: String) throws -> [FormatlessDocument] {
        var sql = """
            SELECT c.series, c.year, c.serial, d.ordinal, v.media_type, v.original_name, v.content_size
            FROM documents d JOIN cases c ON c.id = d.case_id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            LEFT JOIN content_formats f ON f.sha256 = v.blob_sha256
            WHERE v.blob_sha256 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = d.id)
            """
        var arguments: StatementArguments = [release]
        sql += state == .pending ? " AND f.identified_with IS NOT ?" : " AND f.identified_with IS ? AND f.puid IS NULL"
        if let series { sql += " AND c.series = ?"; arguments += [series.rawValue] }
        if let after {
            // The first condition, on the cases alone, lets SQLite start from the case in its index.
            sql += " AND (c.series, c.year, c.serial) >= (?, ?, ?) AND (c.series, c.year, c.serial, d.ordinal) > (?, ?, ?, ?)"
            arguments += [after.caseNumber.series.rawValue, after.caseNumber.year, after.caseNumber.serial,
                          after.caseNumber.series.rawValue, after.caseNumber.year, after.caseNumber.serial, after.ordinal]
        }
        arguments += [limit]
        return try Row.fetchAll(db, sql: sql + " ORDER BY c.series, c.year, c.serial, d.ordinal LIMIT ?", arguments: arguments).map { row in
            let caseNumber = CaseNumber(series: try SeriesCode(parsing: try row.value(at: 0)), year: try row.value(at: 1), serial: try row.value(at: 2))
            return FormatlessDocument(number: DocumentNumber(caseNumber: caseNumber, ordinal: try row.value(at: 3)), state: state,
                                      mediaType: try row.value(at: 4), originalName: try row.value(at: 5), size: try row.value(at: 6))
        }
    }
}
