import DiariumCore
import GRDB

/// A restriction whose last day has passed: due for review, to be lifted, or extended on a new ground.
public struct EndedRestriction: Codable, Sendable, Hashable {
    public enum Holder: String, Codable, Sendable { case `case`, document }

    /// The case or document number: what the public diarium shows beside the ground anyway (never a title).
    public let number: String
    public let holder: Holder
    public let restriction: AccessRestriction
}

extension CatalogAccess {
    /// Current restrictions of cases and documents whose last day (`until`) is before `date`, oldest end first.
    /// Documents disposed of are left out: their registration stays as the record of what was destroyed, unchanged.
    public func restrictionsEnded(before date: CalendarDate, series: SeriesCode?, limit: Int) throws -> [EndedRestriction] {
        let filter = series == nil ? "" : " AND c.series = :series"
        var arguments: StatementArguments = ["date": date.description, "limit": limit]
        if let series { arguments += ["series": series.rawValue] }
        let rows = try Row.fetchAll(db, sql: """
            SELECT * FROM (
                SELECT c.series || ' ' || c.year || '/' || c.serial AS number, 'case' AS holder, c.restriction_kind AS kind,
                       c.restriction_legal AS legal, c.restriction_until AS until, 'title' AS hides, c.series, c.year, c.serial, 0 AS ordinal
                FROM cases c
                WHERE c.restriction_until IS NOT NULL AND c.restriction_until < :date\(filter)
                UNION ALL
                SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal, 'document', v.restriction_kind,
                       v.restriction_legal, v.restriction_until, v.restriction_hides, c.series, c.year, c.serial, d.ordinal
                FROM versions v JOIN documents d ON d.id = v.document_id AND d.current_version = v.n
                JOIN cases c ON c.id = d.case_id
                WHERE v.restriction_until IS NOT NULL AND v.restriction_until < :date\(filter)
                  AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = d.id)
            )
            ORDER BY until, series, year, serial, ordinal LIMIT :limit
            """, arguments: arguments)
        return try rows.map { row in
            guard let holder = EndedRestriction.Holder(rawValue: try row.value("holder")) else { throw Self.corrupt("holder") }
            guard let kind = AccessRestriction.Kind(rawValue: try row.value("kind")) else { throw Self.corrupt("restriction_kind") }
            let hides = try (try row.value("hides") as String).split(separator: ",").map { part in
                guard let value = AccessRestriction.Part(rawValue: String(part)) else { throw Self.corrupt("restriction_hides") }
                return value
            }
            let until = try CalendarDate(parsing: try row.value("until"), field: "until")
            return EndedRestriction(number: try row.value("number"), holder: holder,
                                    restriction: AccessRestriction(stored: kind, legalReference: try row.value("legal"), until: until, hides: hides))
        }
    }
}
