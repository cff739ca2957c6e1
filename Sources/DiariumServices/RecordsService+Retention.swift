import DiariumCore
import DiariumStorage

/// The retention schedule: kept with the series, carried into every export as ERMS `disposal`.
extension RecordsService {
    /// Sets (or replaces) the rule for the rule's series and record type.
    public func setRetentionRule(_ rule: RetentionRule, actor: String) throws(DiariumError) -> RetentionRule {
        let actor = try checkedActor(actor)
        return try store.catalog.write { access in
            guard try access.series(rule.series) != nil else {
                throw DiariumError(.notFound, "series \(rule.series) does not exist", field: "series")
            }
            try access.putRetentionRule(rule)
            try access.appendAudit(at: clock.now(), actor: actor, action: .retentionSet, object: Self.retentionAuditObject(rule.series, rule.recordType),
                                   version: nil, details: Self.retentionAuditDetails(rule).json)
            return rule
        }
    }

    /// Removes the rule for a series (its default when `recordType` is nil) or one record type in it.
    public func removeRetentionRule(series: SeriesCode, recordType: RecordType?, actor: String) throws(DiariumError) {
        let actor = try checkedActor(actor)
        try store.catalog.write { access in
            guard try access.series(series) != nil else {
                throw DiariumError(.notFound, "series \(series) does not exist", field: "series")
            }
            guard try access.deleteRetentionRule(series: series, recordType: recordType) else {
                let what = recordType.map { "for \($0.rawValue) in series \(series)" } ?? "default for series \(series)"
                throw DiariumError(.notFound, "there is no retention rule \(what)", field: recordType == nil ? "series" : "type")
            }
            try access.appendAudit(at: clock.now(), actor: actor, action: .retentionRemove, object: Self.retentionAuditObject(series, recordType),
                                   version: nil, details: "{}")
        }
    }

    /// The rules of one series (404 for an unknown series) or of all.
    public func retentionSchedule(series: SeriesCode? = nil) throws(DiariumError) -> [RetentionRule] {
        try store.catalog.read { access in
            try Self.requireSeries(series, access)
            return try access.retentionRules(series: series)
        }
    }

    static func retentionAuditObject(_ series: SeriesCode, _ recordType: RecordType?) -> String {
        recordType.map { "\(series)/\($0.rawValue)" } ?? series.rawValue
    }

    static func retentionAuditDetails(_ rule: RetentionRule) -> AuditDetails {
        var details = AuditDetails()
        details["action"] = .string(rule.action.rawValue)
        if let years = rule.years { details["years"] = .int(Int64(years)) }
        details["mandate"] = .string(rule.mandate)
        if let schedule = rule.schedule { details["schedule"] = .string(schedule) }
        return details
    }
}
