/// A value with the Swedish word a clerk uses for it, which queries take too (`type:beslut`).
public protocol SwedishNamed {
    var swedishName: String { get }
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
}

public enum CaseStatus: String, Codable, Sendable, CaseIterable {
    case open, closed

    /// As a Swedish diarium says it of an ärende.
    public var swedishName: String {
        switch self {
        case .open: "pågående"
        case .closed: "avslutat"
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
