import DiariumCore
import GRDB

extension CatalogAccess {
    /// The current content of documents not disposed of, counted by series and format (`FormatTally`): one scan of
    /// the documents, so a report at a million documents takes seconds, not a lookup.
    ///
    /// - Parameter release: the signatures in use; content another release (or none) looked at is `pending`.
    /// - Returns: per series, identified formats first, then unidentified and pending content, the most documents first.
    public func formatTallies(series: SeriesCode?, release: String) throws -> [FormatTally] {
        var arguments: StatementArguments = [release]
        var filter = ""
        if let series { filter = "AND c.series = ?"; arguments += [series.rawValue] }
        return try Row.fetchAll(db, sql: """
            WITH current AS (
                SELECT c.series, v.media_type, v.content_size, r.identified_with IS ? AS looked,
                       r.format_puid, r.format_name, r.format_version, r.format_basis
                FROM documents d JOIN cases c ON c.id = d.case_id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
                LEFT JOIN renditions r ON r.sha256 = v.blob_sha256
                WHERE v.blob_sha256 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = d.id) \(filter)
            )
            SELECT series, looked, CASE WHEN looked THEN format_puid END AS puid, CASE WHEN looked THEN format_name END,
                   CASE WHEN looked THEN format_version END, CASE WHEN looked THEN format_basis END,
                   CASE WHEN NOT looked OR format_puid IS NULL THEN media_type END AS type, count(*) AS n, sum(content_size)
            FROM current
            GROUP BY 1, 2, 3, 4, 5, 6, 7
            ORDER BY series, looked DESC, puid IS NULL, n DESC, puid, type
            """, arguments: arguments).map { row in
            let series = try SeriesCode(parsing: try row.value(at: 0))
            let looked: Bool = try row.value(at: 1)
            let format = try Self.format(row, at: 2)
            let state: FormatTally.State = !looked ? .pending : format == nil ? .unidentified : .identified
            return FormatTally(series: series, state: state, format: format, mediaType: try row.value(at: 6),
                               documents: try row.value(at: 7), bytes: try row.value(at: 8))
        }
    }
}
