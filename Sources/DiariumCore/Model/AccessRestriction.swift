/// A restriction on public access (sekretessmarkering). Public access is the default (offentlighetsprincipen):
/// a restriction exists only with a stated ground and the legal reference it rests on.
public struct AccessRestriction: Hashable, Codable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable, SwedishNamed {
        case security, secrecy, privacy

        /// As Swedish records say it (packages' index pages and ERMS text for people).
        public var swedishName: String {
            switch self {
            case .security: "säkerhetsskydd"
            case .secrecy: "sekretess"
            case .privacy: "skydd för personlig integritet"
            }
        }

        public var swedishWords: [String] {
            switch self {
            case .security: ["säkerhetsskydd", "säkerhet"]
            case .secrecy: ["sekretess"]
            case .privacy: ["skydd för personlig integritet", "integritet", "integritetsskydd"]
            }
        }
    }

    /// The parts of a document the restriction hides from those without access.
    public enum Part: String, Codable, Sendable, CaseIterable, Comparable, SwedishNamed {
        case content, title, parties

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

        public var swedishName: String {
            switch self {
            case .content: "innehåll"
            case .title: "titel"
            case .parties: "avsändare och mottagare"
            }
        }

        public var swedishWords: [String] {
            switch self {
            case .content: ["innehåll"]
            case .title: ["titel", "rubrik"]
            case .parties: ["avsändare och mottagare", "parter"]
            }
        }
    }

    public let kind: Kind
    /// The provision the restriction rests on, e.g. `OSL 26 kap. 1 §`.
    public let legalReference: String
    /// The last day the restriction applies, when the ground has an end.
    public let until: CalendarDate?
    /// Sorted, never empty.
    public let hides: [Part]

    public static let defaultHides: [Part] = [.content]

    public init(kind: Kind, legalReference: String, until: CalendarDate? = nil, hides: [Part] = AccessRestriction.defaultHides) throws(DiariumError) {
        let reference = legalReference.trimmingWhitespace()
        guard !reference.isEmpty else {
            throw DiariumError(.missingLegalReference,
                               "a \(kind.rawValue) restriction needs the legal reference it rests on (e.g. \"OSL 26 kap. 1 §\")",
                               field: "legal")
        }
        // A line as every other (NFC, a line separator a space), so that what is stored is what was checked.
        let line = try TextRules.line(reference, field: "legal", maxLength: 200)
        guard !hides.isEmpty else { throw .invalid("hides", "a restriction must hide at least one part (content, title, parties)") }
        self.kind = kind
        self.legalReference = line
        self.until = until
        self.hides = Array(Set(hides)).sorted()
    }

    /// A restriction read back from the catalog, which checked it when it was stored: no rule runs again (a rule made
    /// stricter later must not make older records unreadable, and a list of documents need not re-check every row).
    public init(stored kind: Kind, legalReference: String, until: CalendarDate?, hides: [Part]) {
        self.kind = kind
        self.legalReference = legalReference
        self.until = until
        self.hides = hides.count < 2 ? hides : Array(Set(hides)).sorted()
    }

    /// This restriction given as a correction of `current`, with what it leaves unsaid taken from there: what the
    /// current one hides (`keepingHides`; correcting a reference must not make a title public unasked), and its end
    /// date (`keepingUntil`) when this one rests on the same ground and provision — a restatement, not a new ground,
    /// whose end the law behind it decides.
    public func restated(over current: AccessRestriction?, keepingHides: Bool, keepingUntil: Bool) -> AccessRestriction {
        guard let current else { return self }
        let sameGround = current.kind == kind && current.legalReference == legalReference
        return AccessRestriction(stored: kind, legalReference: legalReference,
                                 until: keepingUntil && until == nil && sameGround ? current.until : until,
                                 hides: keepingHides ? current.hides : hides)
    }

    public func hides(_ part: Part) -> Bool { hides.contains(part) }

    public enum CodingKeys: String, CodingKey, CaseIterable { case kind, legalReference, until, hides }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(kind: try c.decode(Kind.self, forKey: .kind),
                          legalReference: try c.decode(String.self, forKey: .legalReference),
                          until: try c.decodeIfPresent(CalendarDate.self, forKey: .until),
                          hides: try c.decodeIfPresent([Part].self, forKey: .hides) ?? Self.defaultHides)
        } catch let error as DiariumError {
            // Named by the key it is about ("restriction.legalReference"), not only the object.
            let key: CodingKeys? = switch error.field { case "legal": .legalReference; case "hides": .hides; default: nil }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + (key.map { [$0] } ?? []), debugDescription: error.message))
        }
    }
}
