import Foundation

/// One line of the municipality's retention schedule (informationshanteringsplan): what becomes of a series'
/// documents, either all of them or those of one record type (which then take that rule instead), and the decision
/// that says so. Disposal (gallring) is counted from the closing of the document's case, as Swedish schedules
/// usually put it ("gallras 10 år efter ärendets avslutande"). Exports carry the rules as ERMS `disposal`.
public struct RetentionRule: Hashable, Encodable, Sendable {
    public enum Action: String, Hashable, Codable, Sendable, CaseIterable {
        /// Kept for ever (bevaras): the records go to the e-archive.
        case keep
        /// Disposed of (gallras) a number of years after the case is closed.
        case dispose

        /// The Swedish term archives use.
        public var swedish: String { self == .keep ? "bevaras" : "gallras" }
    }

    public let series: SeriesCode
    /// Nil for the series' default, which applies to every record type without a rule of its own.
    public let recordType: RecordType?
    /// Set when the rule is a class's of the classification structure (`ClassificationScheme.rule`), applied to a
    /// document of this series: the class's own rule covers every record type (`recordType` nil), a rule it has for
    /// a record type that type only.
    public let classCode: String?
    public let action: Action
    /// Years after the case is closed (only when disposed of; 0 means as soon as it is closed).
    public let years: Int?
    /// The decision (gallringsbeslut) or regulation behind the rule, e.g. "KS 2024-03-12 § 45" or "RA-FS 1991:6".
    public let mandate: String
    /// The schedule the rule belongs to, e.g. "IHP KS 2024".
    public let schedule: String?

    public static let maximumYears = 1000

    public init(series: SeriesCode, recordType: RecordType?, action: Action, years: Int?, mandate: String,
                schedule: String? = nil) throws(DiariumError) {
        self.init(series: series, recordType: recordType, classCode: nil,
                  terms: try RetentionTerms(action: action, years: years, mandate: mandate, schedule: schedule))
    }

    /// A series' rule read back from the catalog, which checked it when it was stored.
    public init(stored series: SeriesCode, recordType: RecordType?, terms: RetentionTerms) {
        self.init(series: series, recordType: recordType, classCode: nil, terms: terms)
    }

    /// A class's rule (its own, or for `recordType`) as it applies to a document of `series`.
    public init(series: SeriesCode, classCode: String, recordType: RecordType? = nil, terms: RetentionTerms) {
        self.init(series: series, recordType: recordType, classCode: classCode, terms: terms)
    }

    private init(series: SeriesCode, recordType: RecordType?, classCode: String?, terms: RetentionTerms) {
        self.series = series
        self.recordType = recordType
        self.classCode = classCode
        action = terms.action
        years = terms.years
        mandate = terms.mandate
        schedule = terms.schedule
    }

    /// When a document under this rule may be disposed of: once `years` have run from the day its case was closed,
    /// in Swedish time. As lagen (1930:173) om beräkning av lagstadgad tid counts, a period of years ends with the
    /// end of the day whose date matches the starting day (the last day of February for 29 February), so disposal
    /// is due at midnight after it, not at the hour the case happened to close. `years` 0: when the case closes.
    /// Nil when the rule keeps it or the case is still open (the period has not started).
    public func disposalDue(caseClosedAt: Date?) -> Date? {
        guard action == .dispose, let caseClosedAt, let years else { return nil }
        guard years > 0 else { return caseClosedAt }
        let calendar = Timestamp.swedishCalendar
        guard let anniversary = calendar.date(byAdding: .year, value: years, to: caseClosedAt) else { return nil }
        return calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: anniversary))
    }

    /// The rule in Swedish, as a schedule states it: "bevaras", "gallras 10 år efter ärendets avslutande".
    public var period: String { terms.period }

    public var terms: RetentionTerms { RetentionTerms(stored: action, years: years, mandate: mandate, schedule: schedule) }

    /// What the rule covers, for messages: "KS", "KS beslut", "klass 2.4" or "klass 2.4 beslut".
    public var scope: String {
        if let classCode { return "klass \(classCode)" + (recordType.map { " \($0.swedishName)" } ?? "") }
        return recordType.map { "\(series) \($0.swedishName)" } ?? series.rawValue
    }
}

extension Sequence<RetentionRule> {
    /// The rule a record of `type` falls under: the type's own, else the series' default.
    public func rule(for type: RecordType) -> RetentionRule? {
        first { $0.recordType == type } ?? seriesDefault
    }

    /// The rule for the series as a whole (no record type).
    public var seriesDefault: RetentionRule? { first { $0.recordType == nil } }
}
