/// Writes well-formed, indented XML 1.0 (UTF-8) for the documents Diarium produces: METS, ERMS, PREMIS, envelopes.
///
/// Names are the caller's (prefixed, e.g. `mets:file`) and trusted; text and attribute values are not: they are
/// escaped, and characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates are impossible in Swift
/// strings, U+FFFE/U+FFFF) become U+FFFD, so a stray control character in a title can never make a broken package.
public struct XMLWriter: Sendable {
    public private(set) var output: String
    private var open: [String] = []
    /// The innermost open element has content (children or text), so it cannot be written as `<x/>`.
    private var startTagPending = false
    private var hasChildElements: [Bool] = []

    public init(declaration: Bool = true) {
        output = declaration ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : ""
    }

    /// Attributes whose value is nil are left out, so optional metadata needs no `if` at the call site.
    public typealias Attributes = KeyValuePairs<String, String?>

    public mutating func start(_ name: String, _ attributes: Attributes = [:]) {
        closePendingStartTag()
        if !open.isEmpty { hasChildElements[hasChildElements.count - 1] = true }
        if !output.isEmpty && !output.hasSuffix("\n") { output += "\n" }
        output += indentation + "<" + name
        writeAttributes(attributes)
        open.append(name)
        hasChildElements.append(false)
        startTagPending = true
    }

    public mutating func end() {
        guard let name = open.popLast() else { preconditionFailure("XMLWriter.end without an open element") }
        let hadChildren = hasChildElements.removeLast()
        if startTagPending {
            output += "/>"
            startTagPending = false
        } else {
            if hadChildren { output += "\n" + indentation }
            output += "</" + name + ">"
        }
    }

    /// Text content of the innermost open element.
    public mutating func text(_ value: String) {
        closePendingStartTag()
        Self.escape(value, into: &output, attribute: false)
    }

    /// The UTF-8 offset inside the innermost open element where a caller will splice in content it streams later
    /// (a package's cases, files or events). An offset, not a marker text: user text (a title, a query, a user name)
    /// could contain any marker, and the document would be split there.
    public mutating func insertionPoint() -> Int {
        closePendingStartTag()
        return output.utf8.count
    }

    /// `<name attributes>text</name>`; nothing at all when `text` is nil.
    public mutating func element(_ name: String, _ attributes: Attributes = [:], text: String?) {
        guard let text else { return }
        start(name, attributes)
        if !text.isEmpty { self.text(text) }
        end()
    }

    /// An element with attributes only.
    public mutating func empty(_ name: String, _ attributes: Attributes) {
        start(name, attributes)
        end()
    }

    /// The finished document as UTF-8 bytes (with a final newline). Every started element must have been ended.
    public var bytes: [UInt8] {
        precondition(open.isEmpty, "XMLWriter: unclosed element \(open.last ?? "")")
        return Array(output.utf8) + [0x0A]
    }

    private var indentation: String { String(repeating: "  ", count: open.count) }

    private mutating func closePendingStartTag() {
        if startTagPending {
            output += ">"
            startTagPending = false
        }
    }

    private mutating func writeAttributes(_ attributes: Attributes) {
        for (key, value) in attributes {
            guard let value else { continue }
            output += " " + key + "=\""
            Self.escape(value, into: &output, attribute: true)
            output += "\""
        }
    }

    static func escape(_ value: String, into output: inout String, attribute: Bool) {
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"" where attribute: output += "&quot;"
            // In attributes, whitespace other than space is normalised away by parsers unless written as references.
            case "\t" where attribute: output += "&#9;"
            case "\n" where attribute: output += "&#10;"
            case "\r": output += "&#13;"
            case "\t", "\n": output.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    output += "\u{FFFD}"
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
    }
}
