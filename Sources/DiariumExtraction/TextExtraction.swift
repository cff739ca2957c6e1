import DiariumCore

/// The text rendition of one file, for the search index, and how it went.
public struct TextExtraction: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case extracted, empty, truncated, unsupported, failed
    }

    public let status: Status
    /// Which extractor produced it: "text", "html", "xml", "docx", "xlsx", "pptx", "odt", "ods", "odp", "pdftotext", or "none".
    public let extractor: String
    /// The text ("" when none). At most `maxTextBytes` UTF-8 bytes (cut at a character boundary; status .truncated).
    public let text: String
    /// Why there is no or only partial text, for the user ("pdftotext is not installed: metadata only", "malformed XML at line 3: ...").
    public let message: String?
    /// The content's PRONOM format (of the file, not its text), when it was looked for (`identified(as:)`,
    /// `TextExtractor.analyse`).
    public var format: IdentifiedFormat?

    /// The same with the content's format as a sniffer that watched the bytes tells it; unchanged (the format left to
    /// be looked for later) when the file could not be read again for it.
    public func identified(by sniffer: inout FormatSniffer, path: String, originalName: String, mediaType: String) -> TextExtraction {
        var result = self
        result.format = sniffer.identified(path: path, originalName: originalName, mediaType: mediaType) ?? format
        return result
    }

    /// The same with the content's format, as the signatures in use found it (nil: none matched).
    public func identified(as format: FileFormat?) -> TextExtraction {
        var result = self
        result.format = IdentifiedFormat(format, identifiedWith: FormatIdentifier.release)
        return result
    }

    public init(status: Status, extractor: String, text: String, message: String?) {
        self.status = status
        self.extractor = extractor
        self.text = text
        self.message = message
    }
}

/// Ends an extraction early with a status other than `.failed`, or with a message of our own.
struct ExtractionStop: Error {
    let status: TextExtraction.Status
    let message: String

    static func unsupported(_ message: String) -> ExtractionStop { ExtractionStop(status: .unsupported, message: message) }
    static func failed(_ message: String) -> ExtractionStop { ExtractionStop(status: .failed, message: message) }
}
