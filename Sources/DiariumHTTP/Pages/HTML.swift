/// Markup in which every interpolated `String` is escaped: stored text (a title, a sender, a snippet) reaches a page
/// only as text, never as markup, whatever it holds. Literal parts are trusted markup; other `HTML` values are
/// inserted as they are.
///
///     let row: HTML = "<td>\(entry.title)</td>"      // the title is escaped
package struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    package private(set) var markup: String

    package init(stringLiteral value: String) { markup = value }

    package init(stringInterpolation: StringInterpolation) { markup = stringInterpolation.markup }

    /// Text as markup that shows it.
    package init(text: String) {
        markup = ""
        Self.escape(text, into: &markup)
    }

    package var description: String { markup }

    package static func + (a: HTML, b: HTML) -> HTML {
        var joined = a
        joined.markup += b.markup
        return joined
    }

    package struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var markup = ""

        package init(literalCapacity: Int, interpolationCount: Int) {
            markup.reserveCapacity(literalCapacity + 24 * interpolationCount)
        }

        package mutating func appendLiteral(_ literal: String) { markup += literal }
        package mutating func appendInterpolation(_ text: String) { HTML.escape(text, into: &markup) }
        package mutating func appendInterpolation(_ number: Int) { markup += String(number) }
        package mutating func appendInterpolation(_ html: HTML) { markup += html.markup }
        package mutating func appendInterpolation(_ html: HTML?) { if let html { markup += html.markup } }
        package mutating func appendInterpolation(_ parts: [HTML]) { for part in parts { markup += part.markup } }
    }

    /// Escapes for text and for double- or single-quoted attribute values alike. Characters HTML forbids in a
    /// document even as character references (controls other than whitespace, noncharacters) become U+FFFD: an
    /// extracted text may hold them, and the page must stay valid.
    package static func escape(_ text: String, into markup: inout String) {
        // Runs that need nothing are appended whole: most of a title or a snippet.
        let scalars = text.unicodeScalars
        var run = scalars.startIndex
        var index = run
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let replacement: String? = switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            case "\t", "\n", "\r": nil
            default: isForbidden(scalar) ? "\u{FFFD}" : nil
            }
            let next = scalars.index(after: index)
            if let replacement {
                markup.unicodeScalars.append(contentsOf: scalars[run..<index])
                markup += replacement
                run = next
            }
            index = next
        }
        markup.unicodeScalars.append(contentsOf: scalars[run...])
    }

    /// C0 and C1 controls (whitespace aside, which the caller keeps) and the noncharacters.
    package static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || (0xFDD0...0xFDEF).contains(value) || value & 0xFFFE == 0xFFFE
    }

    /// Text whose runs between `open` and `close` are in `<mark>`: a search snippet, whose matched words the search
    /// marks with characters a text does not hold (private-use ones). Markers out of pairs (a text that did hold
    /// them) are dropped, so the marks always close and never nest.
    package static func marked(_ text: String, open: Unicode.Scalar, close: Unicode.Scalar) -> HTML {
        var markup = ""
        var run = ""
        var inside = false
        for scalar in text.unicodeScalars {
            guard scalar == open || scalar == close else {
                run.unicodeScalars.append(scalar)
                continue
            }
            guard inside == (scalar == close) else { continue }
            escape(run, into: &markup)
            run = ""
            markup += inside ? "</mark>" : "<mark>"
            inside.toggle()
        }
        escape(run, into: &markup)
        if inside { markup += "</mark>" }
        return HTML(stringLiteral: markup)
    }
}
