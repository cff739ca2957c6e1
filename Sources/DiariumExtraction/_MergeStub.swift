// TEMPORARY stand-in until the extraction branch is merged; deleted at merge.
import Foundation

public struct TextExtraction: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case extracted, empty, truncated, unsupported, failed }
    public let status: Status
    public let extractor: String
    public let text: String
    public let message: String?
    public init(status: Status, extractor: String, text: String, message: String?) {
        self.status = status; self.extractor = extractor; self.text = text; self.message = message
    }
}

public struct TextExtractor: Sendable {
    let maxTextBytes: Int
    public init(maxTextBytes: Int = 1 << 20, maxInputBytes: Int64 = 256 << 20, pdftotextPath: String? = nil) {
        self.maxTextBytes = maxTextBytes
    }
    public func extract(fileAt path: String, mediaType: String, originalName: String) -> TextExtraction {
        guard mediaType.hasPrefix("text/plain"), let data = FileManager.default.contents(atPath: path) else {
            return TextExtraction(status: .unsupported, extractor: "none", text: "", message: "no extractor for \(mediaType)")
        }
        let text = String(decoding: data, as: UTF8.self)
        return TextExtraction(status: text.isEmpty ? .empty : .extracted, extractor: "text", text: text, message: nil)
    }
    public var canExtractPDF: Bool { false }
}
