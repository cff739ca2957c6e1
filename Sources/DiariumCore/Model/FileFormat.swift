/// A file's format as the PRONOM registry (The National Archives, UK) names it: what archives use to tell PDF/A-1b
/// from PDF 1.4, or Word 2007 from Word 97, when they plan preservation.
public struct FileFormat: Hashable, Codable, Sendable {
    /// How the format was told.
    public enum Basis: String, Codable, Sendable {
        /// The bytes match PRONOM's signature for it.
        case signature
        /// The file is a zip whose parts match PRONOM's container signature.
        case container
        /// Only the name's extension: PRONOM has no signature for the format (plain text, CSV), and the bytes are
        /// text.
        case `extension`
    }

    /// The PRONOM unique identifier (PUID), such as "fmt/354".
    public let puid: String
    /// PRONOM's name of the format, such as "Acrobat PDF/A - Portable Document Format".
    public let name: String
    /// PRONOM's version, such as "1b"; nil when PRONOM gives none.
    public let version: String?
    public let basis: Basis

    public init(puid: String, name: String, version: String?, basis: Basis) {
        self.puid = puid
        self.name = name
        self.version = version
        self.basis = basis
    }

    /// The name with its version, unless the name already says it ("Acrobat PDF 1.4 - Portable Document Format").
    public var nameWithVersion: String {
        guard let version, !name.contains(version) else { return name }
        return "\(name) \(version)"
    }

    /// The format's page in the registry.
    public var registryURL: String { "https://www.nationalarchives.gov.uk/pronom/\(puid)" }
}

/// What is known of a content's format once its bytes were looked at, as `show --json` and the API give it: the
/// PRONOM format (null when no signature matched) and whether the signatures in use found it (false: an earlier
/// release did; `diarium formats identify` looks again).
public struct FormatFinding: Encodable, Hashable, Sendable {
    public let format: FileFormat?
    public let current: Bool

    public init(format: FileFormat?, current: Bool) {
        self.format = format
        self.current = current
    }

    private enum Keys: String, CodingKey { case format, current }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(format, forKey: .format)   // null: looked at, nothing matched
        try container.encode(current, forKey: .current)
    }
}

/// What one release of the signatures (`identifiedWith`, such as "diarium-pronom-v109-1") found in a content's bytes;
/// kept per content, apart from its text. Content stored before formats were identified has none yet.
public struct IdentifiedFormat: Hashable, Sendable {
    /// nil: the signatures looked and none matched.
    public let format: FileFormat?
    public let identifiedWith: String

    public init(_ format: FileFormat?, identifiedWith: String) {
        self.format = format
        self.identifiedWith = identifiedWith
    }
}

/// How much content of one format a series holds (`diarium formats`): the current content of its documents, those
/// disposed of left out. What an archivist plans preservation from, before an export.
public struct FormatTally: Codable, Hashable, Sendable {
    public enum State: String, Codable, Hashable, Sendable, CaseIterable {
        /// A signature matched: `format` says which.
        case identified
        /// The signatures looked and none matched.
        case unidentified
        /// Stored before formats were identified, or with signatures since revised: `diarium formats identify` looks.
        case pending
    }

    public let series: SeriesCode
    public let state: State
    public let format: FileFormat?
    /// The declared media type, for content whose format is not known (unidentified or pending).
    public let mediaType: String?
    public let documents: Int
    public let bytes: Int64

    public init(series: SeriesCode, state: State, format: FileFormat?, mediaType: String?, documents: Int, bytes: Int64) {
        self.series = series
        self.state = state
        self.format = format
        self.mediaType = mediaType
        self.documents = documents
        self.bytes = bytes
    }
}

/// A document whose current content's format is not known (`diarium formats documents`): what an archivist looks at
/// before an export, by number.
public struct FormatlessDocument: Codable, Hashable, Sendable {
    public let number: DocumentNumber
    /// `unidentified` or `pending`.
    public let state: FormatTally.State
    public let mediaType: String
    public let originalName: String
    public let size: Int64

    public init(number: DocumentNumber, state: FormatTally.State, mediaType: String, originalName: String, size: Int64) {
        self.number = number
        self.state = state
        self.mediaType = mediaType
        self.originalName = originalName
        self.size = size
    }
}
