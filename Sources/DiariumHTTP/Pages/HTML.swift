/// Markup in which every interpolated `String` is escaped: stored text (a title, a sender, a snippet) reaches a page
/// only as text, never as markup, whatever it holds. Literal parts are trusted markup; other `HTML` values are
/// inserted as they are.
///
///     let row: HTML = "<td>\(entry.title)</td>"      // the title is escaped
struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    private(set) var markup: String

    init(stringLiteral value: String) { markup = value }

    init(stringInterpolation: StringInterpolation) { markup = stringInterpolation.markup }

    /// Text as markup that shows it.
    init(text: String) {
        markup = ""
        Self.escape(text, into: &markup)
    }

    var description: String { markup }

    static func + (a: HTML, b: HTML) -> HTML {
        var joined = a
        joined.markup += b.markup
        return joined
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var markup = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            markup.reserveCapacity(literalCapacity + 24 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) { markup += literal }
        mutating func appendInterpolation(_ text: String) { HTML.escape(text, into: &markup) }
        mutating func appendInterpolation(_ number: Int) { markup += String(number) }
        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }
        mutating func appendInterpolation(_ html: HTML?) { if let html { markup += html.markup } }
        mutating func appendInterpolation(_ parts: [HTML]) { for part in parts { markup += part.markup } }
    }

    /// Escapes for text and for double- or single-quoted attribute values alike. Characters HTML forbids in a
    /// document even as character references (controls other than whitespace, noncharacters) become U+FFFD: an
    /// extracted text may hold them, and the page must stay valid.
    static func escape(_ text: String, into markup: inout String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": markup += "&amp;"
            case "<": markup += "&lt;"
            case ">": markup += "&gt;"
            case "\"": markup += "&quot;"
            case "'": markup += "&#39;"
            case "\t", "\n", "\r": markup.unicodeScalars.append(scalar)
            default:
                markup.unicodeScalars.append(isForbidden(scalar) ? "\u{FFFD}" : scalar)
            }
        }
    }

    /// C0 and C1 controls (whitespace aside, which the caller keeps) and the noncharacters.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || (0xFDD0...0xFDEF).contains(value) || value & 0xFFFE == 0xFFFE
    }
}
