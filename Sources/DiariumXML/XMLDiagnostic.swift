/// A problem libxml2 reported while parsing, with where it noticed it.
public struct XMLDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable {
        case warning, error, fatal
    }

    public let severity: Severity
    /// 1-based; 0 when libxml2 did not know.
    public let line: Int
    public let column: Int
    public let message: String

    public init(severity: Severity, line: Int, column: Int, message: String) {
        self.severity = severity
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line):\(column): \(message)" }
}

/// How much to trust the input. The defaults suit machine input (API payloads, office formats).
public struct XMLParseOptions: Sendable, Equatable {
    /// Refuse any document with a DOCTYPE. Entity declarations live there, and even unexpanded ones can blow up
    /// later (the quadratic attack), so input that has no use for a DTD should not get one.
    public var rejectDoctype: Bool
    /// Input larger than this is refused before parsing.
    public var maxInputBytes: Int
    /// A parse into a value tree (`MarkupElement.parse`) stops past this many elements and attributes: each costs
    /// about a hundred bytes, so tiny elements (`<a/>`) in a large document would build a tree many times its size.
    public var maxNodes: Int
    /// A start tag with more attributes than this is refused before libxml2 sees it (`StartTagScreen`).
    public var maxAttributes: Int
    /// Elements nested deeper than this are refused, as libxml2 refuses them in a document it reads whole; its push
    /// parser (a file read a chunk at a time) does not, and a value tree that deep overflows the stack when freed.
    public var maxDepth: Int
    /// Refuse a document that is not UTF-8 (`UTF8Declaration`), instead of having libxml2 convert it.
    public var requireUTF8: Bool

    public init(rejectDoctype: Bool = true, maxInputBytes: Int = 64 << 20, maxNodes: Int = 4_000_000,
                maxAttributes: Int = 256, maxDepth: Int = 256, requireUTF8: Bool = false) {
        self.rejectDoctype = rejectDoctype
        self.maxInputBytes = maxInputBytes
        self.maxNodes = maxNodes
        self.maxAttributes = maxAttributes
        self.maxDepth = maxDepth
        self.requireUTF8 = requireUTF8
    }
}
