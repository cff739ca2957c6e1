import Foundation

/// One class of the classification structure (klassificeringsstruktur, as SKR's Klassa lays one out): a code whose
/// dotted parts name its place in the tree (`2.4.1` is under `2.4`, under `2`), a title, and optionally the retention
/// rule for what is classified under it. Cases and documents carry a class code; once a store has a structure, the
/// codes given to them must be in it.
public struct ClassificationClass: Hashable, Encodable, Sendable {
    public let code: String
    public let title: String
    public let description: String?
    /// What becomes of documents classified here or below, unless a class further down has a rule of its own. Nil:
    /// the class above decides, and without one, the series' rules.
    public let retention: RetentionTerms?
    /// Rules for record types (handlingstyper) of the class, before its own: a schedule laid out by process gives the
    /// decisions of a process one period and its letters another. Set one by one (`RecordsService.setClassRule`).
    public let typeRetention: [RecordType: RetentionTerms]

    public static let maxTitleLength = 200

    public init(code: String, title: String, description: String? = nil, retention: RetentionTerms? = nil,
                typeRetention: [RecordType: RetentionTerms] = [:]) throws(DiariumError) {
        guard let code = try RecordRules.classification(code, field: "code") else {
            throw DiariumError.invalid("code", "a class needs a code such as 2.4")
        }
        self.code = code
        self.title = try TextRules.line(title, field: "title", maxLength: Self.maxTitleLength)
        self.description = try TextRules.optionalLine(description, field: "description", maxLength: 2000)
        self.retention = retention
        self.typeRetention = typeRetention
    }

    /// A class read back from the catalog, which checked it when it was stored: no rule runs again (a rule made
    /// stricter later must not make an older structure unreadable).
    public init(stored code: String, title: String, description: String?, retention: RetentionTerms?) {
        self.code = code
        self.title = title
        self.description = description
        self.retention = retention
        typeRetention = [:]
    }

    /// The class with `rules` for its record types instead of those it has.
    public func with(typeRetention rules: [RecordType: RetentionTerms]) -> ClassificationClass {
        ClassificationClass(validated: self, typeRetention: rules)
    }

    private init(validated other: ClassificationClass, typeRetention: [RecordType: RetentionTerms]) {
        code = other.code
        title = other.title
        description = other.description
        retention = other.retention
        self.typeRetention = typeRetention
    }

    /// The record types with rules of their own, in the order `RecordType` lists them.
    public var typeRules: [(type: RecordType, terms: RetentionTerms)] {
        RecordType.allCases.compactMap { type in typeRetention[type].map { (type, $0) } }
    }

    /// Its rules in Swedish, for messages: "gallras 10 år efter ärendets avslutande; beslut: bevaras"; nil without any.
    public var rulesSummary: String? {
        let parts = (retention.map { [$0.period] } ?? []) + typeRules.map { "\($0.type.swedishName): \($0.terms.period)" }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    private enum CodingKeys: String, CodingKey { case code, title, description, retention, typeRetention }

    private struct TypeKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// `typeRetention` as an object keyed by record type (`{"decision": {...}}`), left out when there is none.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(title, forKey: .title)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encodeIfPresent(retention, forKey: .retention)
        guard !typeRetention.isEmpty else { return }
        var rules = c.nestedContainer(keyedBy: TypeKey.self, forKey: .typeRetention)
        for (type, terms) in typeRules { try rules.encode(terms, forKey: TypeKey(stringValue: type.rawValue)) }
    }

    /// The class above (`2.4` for `2.4.1`); nil for a top-level class.
    public var parent: String? { Self.parent(of: code) }

    /// How deep in the tree: 1 for a top-level class.
    public var level: Int { code.split(separator: ".").count }

    public static func parent(of code: String) -> String? {
        code.lastIndex(of: ".").map { String(code[..<$0]) }
    }
}

/// A retention rule's terms, without what it covers: keep (bevaras) or dispose of (gallras) a number of years after
/// the case is closed, with the decision behind it.
public struct RetentionTerms: Hashable, Encodable, Sendable {
    public let action: RetentionRule.Action
    public let years: Int?
    public let mandate: String
    public let schedule: String?

    public init(action: RetentionRule.Action, years: Int?, mandate: String, schedule: String? = nil) throws(DiariumError) {
        switch (action, years) {
        case (.keep, .some):
            throw DiariumError.invalid("years", "a rule that keeps documents has no disposal period")
        case (.dispose, .none):
            throw DiariumError.invalid("years", "a disposal rule needs the years after the case is closed")
        case (.dispose, .some(let n)) where !(0...RetentionRule.maximumYears).contains(n):
            throw DiariumError.invalid("years", "years must be between 0 and \(RetentionRule.maximumYears), not \(n)")
        default: break
        }
        self.action = action
        self.years = years
        self.mandate = try TextRules.line(mandate, field: "mandate", maxLength: 500)
        self.schedule = try TextRules.optionalLine(schedule, field: "schedule", maxLength: 200)
    }

    /// Terms taken from a rule that was checked when it was made, or read back from the catalog, which checked them
    /// when they were stored: no rule runs again (a rule made stricter later must not make older records unreadable).
    public init(stored action: RetentionRule.Action, years: Int?, mandate: String, schedule: String?) {
        self.action = action
        self.years = years
        self.mandate = mandate
        self.schedule = schedule
    }

    /// The rule in Swedish, as a schedule states it: "bevaras", "gallras 10 år efter ärendets avslutande".
    public var period: String {
        guard action == .dispose, let years else { return action.swedish }
        return years == 0 ? "gallras när ärendet avslutas" : "gallras \(years) år efter ärendets avslutande"
    }
}

/// The whole classification structure, looked up by code.
public struct ClassificationScheme: Sendable {
    public let classes: [String: ClassificationClass]

    public init(_ classes: some Sequence<ClassificationClass>) {
        self.classes = Dictionary(classes.map { ($0.code, $0) }, uniquingKeysWith: { _, last in last })
    }

    public var isEmpty: Bool { classes.isEmpty }

    /// The class rule that governs what of `type` (nil: the class's own rule, as for a case) is classified under
    /// `code`: walking up from that class, the first class with a rule for the record type or a rule of its own, the
    /// nearer class deciding (a process's own rule before its group's rule for decisions). `recordType` is set when
    /// the rule found is one for the type. Nil when no class on the way has one, or the code is not in the
    /// structure: a code given before the structure existed, or by another organisation's (a received
    /// interchange), may mean something else than the class above it here.
    public func governingRule(of code: String?, type: RecordType?) -> (owner: ClassificationClass, recordType: RecordType?, terms: RetentionTerms)? {
        guard let code, classes[code] != nil else { return nil }
        var next: String? = code
        while let current = next {
            if let found = classes[current] {
                if let type, let terms = found.typeRetention[type] { return (found, type, terms) }
                if let terms = found.retention { return (found, nil, terms) }
            }
            next = ClassificationClass.parent(of: current)
        }
        return nil
    }

    /// The rule a document of `type` in `series`, classified `code` (its own class, else its case's), falls under:
    /// its class's rule for the type or its class's own (or the nearest class's above it with either), else the
    /// series' rule for its record type, else the series' default. A classification structure organised by process
    /// (as Klassa's are) states the rules where the process is; the series' rules cover what is not classified, or
    /// classified where no rule is.
    public func rule(series: SeriesCode, code: String?, type: RecordType, seriesRules: [RetentionRule]) -> RetentionRule? {
        if let governing = governingRule(of: code, type: type) {
            return RetentionRule(series: series, classCode: governing.owner.code, recordType: governing.recordType, terms: governing.terms)
        }
        return seriesRules.rule(for: type)
    }

    /// The rule of a case classified `code` in `series`: its class's own (or the nearest above it with one), else the
    /// series' default.
    public func caseRule(series: SeriesCode, code: String?, seriesRules: [RetentionRule]) -> RetentionRule? {
        if let governing = governingRule(of: code, type: nil) {
            return RetentionRule(series: series, classCode: governing.owner.code, terms: governing.terms)
        }
        return seriesRules.seriesDefault
    }

    /// Classes in tree order: each followed by those under it, siblings by their codes' parts compared as numbers
    /// where they are numbers (2.9 before 2.10).
    public var ordered: [ClassificationClass] {
        classes.values.sorted { Self.precedes($0.code, $1.code) }
    }

    /// A total order: part by part, numbers before other parts and by value (ties, as 2 and 02, by their text), other
    /// parts by their text; a code before those under it.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let left = a.split(separator: "."), right = b.split(separator: ".")
        for (x, y) in zip(left, right) where x != y {
            switch (Int(x), Int(y)) {
            case let (m?, n?): return m != n ? m < n : x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return x < y
            }
        }
        return left.count < right.count
    }
}
