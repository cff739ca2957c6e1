import Foundation

/// What remains of a disposed document (gallrad handling): when, by whom and under which rule its content went. Its
/// registration and the metadata of its versions stay: the diarium keeps the entry, the content is what is destroyed.
public struct DocumentDisposal: Hashable, Codable, Sendable {
    public let at: Date
    public let by: String
    /// When the retention period ran out (`RetentionRule.disposalDue`).
    public let dueAt: Date
    /// The rule as it stood when it was applied: the record type it was set for (nil: the series' or the class's own
    /// rule), the class of the classification structure it was a rule of (nil: a series' rule), its years, its
    /// mandate (gallringsbeslut) and schedule.
    public let ruleRecordType: RecordType?
    public let ruleClass: String?
    public let years: Int
    public let mandate: String
    public let schedule: String?

    public init(at: Date, by: String, dueAt: Date, ruleRecordType: RecordType?, ruleClass: String? = nil, years: Int, mandate: String,
                schedule: String?) {
        self.at = at
        self.by = by
        self.dueAt = dueAt
        self.ruleRecordType = ruleRecordType
        self.ruleClass = ruleClass
        self.years = years
        self.mandate = mandate
        self.schedule = schedule
    }

    /// The rule as it was applied, for a document of `series`.
    public func rule(series: SeriesCode) -> RetentionRule? {
        guard let terms = try? RetentionTerms(action: .dispose, years: years, mandate: mandate, schedule: schedule) else { return nil }
        if let ruleClass { return RetentionRule(series: series, classCode: ruleClass, recordType: ruleRecordType, terms: terms) }
        return try? RetentionRule(series: series, recordType: ruleRecordType, action: .dispose, years: years, mandate: mandate, schedule: schedule)
    }

    /// In Swedish, as a disposal record (gallringsprotokoll) puts it: "gallrad 2037-01-02 enligt KS 2024-03-12 § 45".
    public var summary: String {
        "gallrad \(Timestamp.swedishDate(of: at)) enligt \(mandate)" + (schedule.map { " (\($0))" } ?? "")
    }
}

/// What a legal hold is placed on: a case (all its documents) or one document.
public enum HoldTarget: Hashable, Sendable, CustomStringConvertible {
    case `case`(CaseNumber)
    case document(DocumentNumber)

    /// A document number ("KS 2026/14-3") or a case number ("KS 2026/14").
    public init(parsing text: String, field: String = "target") throws(DiariumError) {
        if let number = try? DocumentNumber(parsing: text) {
            self = .document(number)
        } else if let number = try? CaseNumber(parsing: text) {
            self = .case(number)
        } else {
            throw DiariumError(.invalidNumber, "'\(text)' is neither a case number (KS 2026/14) nor a document number (KS 2026/14-3)",
                               field: field)
        }
    }

    public var description: String {
        switch self {
        case .case(let number): number.description
        case .document(let number): number.description
        }
    }

    /// The series of the case or document held.
    public var series: SeriesCode {
        switch self {
        case .case(let number): number.series
        case .document(let number): number.caseNumber.series
        }
    }
}

/// A legal hold (bevarandebeslut, e.g. for a pending appeal, an inquiry or a request for the records): while it is
/// active nothing under it is disposed of, whatever the retention schedule says. Released, never deleted.
public struct LegalHold: Hashable, Codable, Sendable {
    public enum Scope: String, Codable, Sendable { case `case`, document }

    public let id: Int64
    public let scope: Scope
    /// The case or document number.
    public let number: String
    /// Why, e.g. "Överklagande, förvaltningsrätten mål 1234-26". Logged with the hold.
    public let reason: String
    public let placedAt: Date
    public let placedBy: String
    public let releasedAt: Date?
    public let releasedBy: String?
    /// Why it was released, when that was given. Kept with the hold, not logged (as its reason).
    public let releaseReason: String?

    public init(id: Int64, scope: Scope, number: String, reason: String, placedAt: Date, placedBy: String, releasedAt: Date?,
                releasedBy: String?, releaseReason: String? = nil) {
        self.id = id
        self.scope = scope
        self.number = number
        self.reason = reason
        self.placedAt = placedAt
        self.placedBy = placedBy
        self.releasedAt = releasedAt
        self.releasedBy = releasedBy
        self.releaseReason = releaseReason
    }

    public var isActive: Bool { releasedAt == nil }

    public static let maxReasonLength = 500
}

/// A document whose retention period has run out: a line of the disposal list (gallringslista). Numbers and rules
/// only, as the public diarium shows them anyway.
public struct DueDisposal: Hashable, Codable, Sendable {
    public let number: DocumentNumber
    public let recordType: RecordType
    public let caseClosedAt: Date
    public let dueAt: Date
    public let ruleRecordType: RecordType?
    /// The class whose rule it falls under, when a class of the classification structure has one for it.
    public let ruleClass: String?
    public let years: Int
    public let mandate: String
    public let schedule: String?
    /// The active holds that keep it (on it or on its case): disposal skips it until they are released.
    public let holds: [Int64]
    /// The outbound interchanges (control references) whose packages, waiting in the outbox for their receipt, hold its
    /// content: disposal skips it until they are answered or withdrawn (`exchange withdraw`).
    public let inTransit: [String]
    /// Its record type or class, or its case's class, was changed after its case was closed: a run over everything due
    /// leaves it for an archivist to review and name (these decide the rule, and a later change may have shortened its
    /// period).
    public let typeChangedAfterClosing: Bool

    public init(number: DocumentNumber, recordType: RecordType, caseClosedAt: Date, dueAt: Date, rule: RetentionRule, holds: [Int64],
                inTransit: [String] = [], typeChangedAfterClosing: Bool = false) {
        self.number = number
        self.recordType = recordType
        self.caseClosedAt = caseClosedAt
        self.dueAt = dueAt
        ruleRecordType = rule.recordType
        ruleClass = rule.classCode
        years = rule.years ?? 0
        mandate = rule.mandate
        schedule = rule.schedule
        self.holds = holds
        self.inTransit = inTransit
        self.typeChangedAfterClosing = typeChangedAfterClosing
    }
}

/// One line of the disposal record (gallringsprotokoll): the documents of one series and record type disposed of on
/// one day, by one archivist, under one rule, how many, and the years of the cases they came from. Counts, not
/// titles: what was destroyed is described by its kind and period, as a record of gallring states it (and titles may
/// be restricted).
public struct DisposalRecordLine: Codable, Sendable, Equatable {
    /// The day (Swedish time) they were disposed of.
    public let day: CalendarDate
    public let series: SeriesCode
    public let recordType: RecordType
    public let documents: Int
    public let firstCaseYear: Int
    public let lastCaseYear: Int
    /// The rule as applied: the record type it was set for (nil: the series' or the class's own rule), the class it
    /// was a rule of (nil: a series' rule), years after closing, mandate (gallringsbeslut), schedule.
    public let ruleRecordType: RecordType?
    public let ruleClass: String?
    public let years: Int
    public let mandate: String
    public let schedule: String?
    public let by: String

    public init(day: CalendarDate, series: SeriesCode, recordType: RecordType, documents: Int, firstCaseYear: Int, lastCaseYear: Int,
                ruleRecordType: RecordType? = nil, ruleClass: String? = nil, years: Int, mandate: String, schedule: String?, by: String) {
        self.day = day
        self.series = series
        self.recordType = recordType
        self.documents = documents
        self.firstCaseYear = firstCaseYear
        self.lastCaseYear = lastCaseYear
        self.ruleRecordType = ruleRecordType
        self.ruleClass = ruleClass
        self.years = years
        self.mandate = mandate
        self.schedule = schedule
        self.by = by
    }
}

/// What a disposal run did.
public struct DisposalReport: Codable, Sendable, Equatable {
    /// The documents disposed of, in number order.
    public var disposed: [DocumentNumber] = []
    /// Due documents left alone because a legal hold keeps them.
    public var held: [DocumentNumber] = []
    /// Due documents left alone because an interchange waiting in the outbox for its receipt carries them.
    public var inTransit: [DocumentNumber] = []
    /// Due documents a run over everything due left for review: their record type or class (or their case's class) was
    /// changed after their case was closed. Dispose of them by number once reviewed.
    public var review: [DocumentNumber] = []
    /// Content files removed (content another document still uses stays), and their bytes.
    public var files = 0
    public var bytes: Int64 = 0
    /// Files of disposed content that could not be removed yet (the next run, or `verify --remove-orphans`, does).
    public var filesLeft = 0
    /// The run stopped at its limit: more may be due (run it again).
    public var more = false
    /// Disposals whose words the full-text index still holds as the run ends (this run's and any earlier): they stay
    /// in the catalog until the index is merged (`diarium index optimize`; the CLI's run and the server do it next).
    public var unpurged = 0
    /// Backups (as `diarium backup` logged them, still present on this machine) that hold documents this run disposed
    /// of: the disposal decision covers copies too, so they are to be removed or rotated out (`diarium backups`). Nil
    /// when they could not be looked up.
    public var backupsHoldingDisposedContent: [String]? = []

    public init() {}
}
