/// A value with the Swedish word a clerk uses for it, which queries and the CLI take too (`type:beslut`).
public protocol SwedishNamed {
    var swedishName: String { get }
    /// Every Swedish word taken for it as input, in lower case: its name, and any shorter one a clerk types.
    var swedishWords: [String] { get }
}

extension SwedishNamed {
    public var swedishWords: [String] { [swedishName] }
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// The value as a person types it: its raw value in any case, or one of its Swedish words (`Beslut`, `sekretess`).
    public static func typed(_ text: String) -> Self? {
        if let exact = Self(rawValue: text) { return exact }
        let typed = text.lowercased()
        return allCases.first { $0.rawValue.lowercased() == typed || ($0 as? any SwedishNamed)?.swedishWords.contains(typed) == true }
    }

    /// The values a message lists: "actionPlan, decision, … (or in Swedish: handlingsplan, beslut, …)".
    public static var choices: String {
        let swedish = allCases.compactMap { ($0 as? any SwedishNamed)?.swedishName }
        return allCases.map(\.rawValue).joined(separator: ", ") + (swedish.isEmpty ? "" : " (or in Swedish: \(swedish.joined(separator: ", ")))")
    }
}

/// What kind of record a document is. The raw values are the stable spellings used on the CLI, in JSON and in exports.
public enum RecordType: String, Codable, Sendable, CaseIterable, SwedishNamed {
    case actionPlan, decision, serviceRecord, letter, minutes, report, other

    /// The Swedish term a clerk would use.
    public var swedishName: String {
        switch self {
        case .actionPlan: "handlingsplan"
        case .decision: "beslut"
        case .serviceRecord: "tjänsteanteckning"
        case .letter: "skrivelse"
        case .minutes: "protokoll"
        case .report: "rapport"
        case .other: "övrigt"
        }
    }

    /// Also the everyday word: a letter is a brev to most, a skrivelse in a register.
    public var swedishWords: [String] {
        self == .letter ? ["skrivelse", "brev"] : [swedishName]
    }
}

public enum Direction: String, Codable, Sendable, CaseIterable, SwedishNamed {
    case incoming, outgoing, `internal`

    /// As a Swedish diarium says it.
    public var swedishName: String {
        switch self {
        case .incoming: "inkommande"
        case .outgoing: "utgående"
        case .internal: "intern"
        }
    }

    /// Also the word a register uses of the document itself: an incoming letter is an "inkommen handling".
    public var swedishWords: [String] {
        self == .incoming ? ["inkommande", "inkommen"] : [swedishName]
    }
}

/// `draft` → `final` (upprättad/fastställd) → `archived`. Never backwards.
public enum DocumentStatus: String, Codable, Sendable, CaseIterable, SwedishNamed {
    case draft, final, archived

    /// As a Swedish diarium says it.
    public var swedishName: String {
        switch self {
        case .draft: "utkast"
        case .final: "upprättad"
        case .archived: "arkiverad"
        }
    }

    /// As a register says it of a document going this way: a final document that came in is inkommen, not
    /// upprättad (TF 2 kap. 9–10 §§).
    public func swedishName(_ direction: Direction) -> String {
        self == .final && direction == .incoming ? "inkommen" : swedishName
    }
}

public enum CaseStatus: String, Codable, Sendable, CaseIterable, SwedishNamed {
    case open, closed

    /// As a Swedish diarium says it of an ärende.
    public var swedishName: String {
        switch self {
        case .open: "pågående"
        case .closed: "avslutat"
        }
    }

    public var swedishWords: [String] {
        switch self {
        case .open: ["pågående", "öppet", "öppen"]
        case .closed: ["avslutat", "avslutad", "stängt", "stängd"]
        }
    }
}

/// Why a version was made.
public enum ChangeKind: String, Codable, Sendable, CaseIterable {
    /// The first version, made when the document was registered.
    case registered
    /// New content.
    case content
    /// Corrected or added metadata.
    case metadata
    /// A status change (finalised, archived).
    case status
}
