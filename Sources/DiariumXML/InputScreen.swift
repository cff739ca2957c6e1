import DiariumCore
#if canImport(Glibc)
import Glibc
#endif

/// Counts the attributes of each start tag in XML or HTML bytes before libxml2 parses them. libxml2 2.9 compares each
/// attribute with every earlier one of its element, and nothing in it limits their number: one start tag of 500,000
/// attributes (6 MB) cost 80 s of CPU. Past `limit` in one tag, the input is refused.
///
/// A byte-level scan that knows just enough markup to count well (quoted values, comments, CDATA, processing
/// instructions, declarations) and keeps its state from one chunk to the next, for a file parsed a chunk at a time.
/// Zero bytes are skipped, so UTF-16 and UTF-32 text is counted as its ASCII would be.
public struct StartTagScreen {
    private enum State {
        case text, open, bang, bangDash, declaration, endTag, tag, processing, comment, cdata
        case quoted(UInt8)
    }

    public let limit: Int
    private var state = State.text
    /// Attributes of the open tag so far; dashes or brackets at the end of a comment or CDATA section; whether a
    /// processing instruction's last byte was "?".
    private var attributes = 0
    private var run = 0
    private var line = 1

    public init(limit: Int) {
        self.limit = limit
    }

    /// Scans the next bytes; the line of the first tag past the limit, else nil.
    public mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var i = 0
        while i < count {
            // Text and quoted values are most of a document: skipped to the byte that ends them (memchr).
            if case .text = state {
                guard let found = memchr(base + i, 0x3C, count - i) else { break }   // <
                i = UnsafeRawPointer(found) - UnsafeRawPointer(base) + 1
                state = .open
                continue
            }
            if case .quoted(let quote) = state {
                guard let found = memchr(base + i, Int32(quote), count - i) else { break }
                i = UnsafeRawPointer(found) - UnsafeRawPointer(base) + 1
                state = .tag
                continue
            }
            if case .endTag = state {
                guard let found = memchr(base + i, 0x3E, count - i) else { break }   // >
                i = UnsafeRawPointer(found) - UnsafeRawPointer(base) + 1
                state = .text
                continue
            }
            if case .tag = state {
                // Names and the space between attributes: on to the next byte that means something in a tag.
                while i < count {
                    let byte = base[i]
                    if byte == 0x3D || byte == 0x22 || byte == 0x27 || byte == 0x3E || byte == 0x3C || byte == 0 { break }
                    i += 1
                }
                if i == count { break }
            }
            let byte = base[i]
            i += 1
            if byte == 0 { continue }
            switch state {
            case .text, .quoted:
                break   // handled above
            case .open:
                switch byte {
                case 0x21: state = .bang   // !
                case 0x3F: state = .processing; run = 0   // ?
                case 0x2F: state = .endTag   // /
                case 0x3C: state = .open
                case _ where byte >= 0x80 || byte == 0x5F || byte == 0x3A || (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A:
                    state = .tag; attributes = 0   // a name: letter, _, : or beyond ASCII
                default: state = .text   // "a < b" in HTML text
                }
            case .bang:
                switch byte {
                case 0x2D: state = .bangDash   // -
                case 0x5B: state = .cdata; run = 0   // [ of <![CDATA[
                default: state = .declaration
                }
            case .bangDash:
                state = byte == 0x2D ? .comment : .declaration
                run = 0
            case .declaration, .endTag:
                if byte == 0x3E { state = .text }   // (an end tag is skipped above)
            case .processing:
                if byte == 0x3E && run == 1 { state = .text }
                run = byte == 0x3F ? 1 : 0
            case .comment:
                if byte == 0x3E && run >= 2 { state = .text }
                run = byte == 0x2D ? run + 1 : 0
            case .cdata:
                if byte == 0x3E && run >= 2 { state = .text }
                run = byte == 0x5D ? run + 1 : 0
            case .tag:
                switch byte {
                case 0x22, 0x27: state = .quoted(byte)
                case 0x3D:
                    attributes += 1
                    if attributes > limit { return line + Self.newlines(base, upTo: i) }
                case 0x3E: state = .text
                case 0x3C: state = .open   // an unclosed tag in HTML
                default: break
                }
            }
        }
        // Lines are counted once per chunk (a loop the compiler vectorises), not at every byte.
        line += Self.newlines(base, upTo: count)
        return nil
    }

    private static func newlines(_ base: UnsafePointer<UInt8>, upTo end: Int) -> Int {
        var n = 0
        for i in 0..<end where base[i] == 0x0A { n += 1 }
        return n
    }

    /// Refuses `bytes` when one of its start tags has more than `limit` attributes. `what`: "XML" or "HTML".
    static func check(_ bytes: [UInt8], limit: Int, what: String) throws(DiariumError) {
        var screen = StartTagScreen(limit: limit)
        if let line = bytes.withUnsafeBufferPointer({ screen.scan($0) }) { throw refusal(line: line, limit: limit, what: what) }
    }

    static func refusal(line: Int, limit: Int, what: String) -> DiariumError {
        .invalid(what.lowercased(), "\(what) refused at line \(line): an element with more than \(limit) attributes")
    }
}

/// FGS and E-ARK metadata are UTF-8, and so is what Diarium writes: metadata that says or shows it is otherwise
/// (UTF-16 or UTF-32 by its byte order mark or its zero bytes, EBCDIC by its first byte, another encoding declared)
/// is refused, naming the encoding, instead of being converted by libxml2.
enum UTF8Declaration {
    static func check(_ head: UnsafeBufferPointer<UInt8>) throws(DiariumError) {
        var bytes = Array(head.prefix(1024))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let first = bytes.first, first != 0x3C && first != 0x20 && first != 0x09 && first != 0x0A && first != 0x0D {
            let name = bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || first == 0 ? "UTF-16 or UTF-32"
                : first == 0x4C ? "EBCDIC" : "an encoding other than UTF-8"
            throw .invalid("xml", "XML refused: it is encoded in \(name); this input must be UTF-8")
        }
        if bytes.count > 1 && bytes[1] == 0 {
            throw .invalid("xml", "XML refused: it is encoded in UTF-16 or UTF-32; this input must be UTF-8")
        }
        // The declaration, when there is one: <?xml version="1.0" encoding="…"?>
        guard bytes.starts(with: Array("<?xml".utf8)), let end = bytes.firstIndex(of: 0x3E) else { return }
        let declaration = String(decoding: bytes[..<end], as: UTF8.self)
        guard let key = declaration.range(of: "encoding") else { return }
        let rest = declaration[key.upperBound...].drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "=" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return }
        let name = rest.dropFirst().prefix { $0 != quote }
        guard name.lowercased() != "utf-8" else { return }
        throw .invalid("xml", "XML refused: its declaration says it is encoded in \(String(name).visibleForMessage); this input must be UTF-8")
    }
}

private extension String {
    /// A declared name as a message can show it: at most 40 characters, nothing unprintable.
    var visibleForMessage: String {
        String(unicodeScalars.prefix(40).map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
