import DiariumCore
import GRDB

/// The retention schedule.
extension CatalogAccess {
    /// The rules of one series, or of all, the series' default before the per-type rules.
    public func retentionRules(series: SeriesCode? = nil) throws -> [RetentionRule] {
        let rows = if let series {
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM retention_rules WHERE series = ? ORDER BY record_type"),
                             arguments: [series.rawValue])
        } else {
            try Row.fetchAll(db, sql: "SELECT * FROM retention_rules ORDER BY series, record_type")
        }
        return try rows.map(Self.retentionRule)
    }

    /// Inserts or replaces the rule for the rule's series and record type.
    public func putRetentionRule(_ rule: RetentionRule) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO retention_rules(series, record_type, action, years, mandate, schedule) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [rule.series.rawValue, rule.recordType?.rawValue ?? "", rule.action.rawValue, rule.years,
                             rule.mandate, rule.schedule])
    }

    /// Removes a rule; false when there was none.
    public func deleteRetentionRule(series: SeriesCode, recordType: RecordType?) throws -> Bool {
        try db.execute(sql: "DELETE FROM retention_rules WHERE series = ? AND record_type = ?",
                       arguments: [series.rawValue, recordType?.rawValue ?? ""])
        return db.changesCount > 0
    }

    static func retentionRule(_ row: Row) throws -> RetentionRule {
        let type: String = try row.value("record_type")
        let action: String = try row.value("action")
        guard let parsedAction = RetentionRule.Action(rawValue: action) else {
            throw DiariumError(.storage, "retention rule with unknown action '\(action)'")
        }
        guard type.isEmpty || RecordType(rawValue: type) != nil else {
            throw DiariumError(.storage, "retention rule with unknown record type '\(type)'")
        }
        return RetentionRule(stored: try SeriesCode(parsing: try row.value("series")), recordType: RecordType(rawValue: type),
                             terms: RetentionTerms(stored: parsedAction, years: try row.value("years"), mandate: try row.value("mandate"),
                                                   schedule: try row.value("schedule")))
    }
}
