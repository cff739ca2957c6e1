import DiariumCore
import DiariumXML

enum Markup {
    /// What a browser would show: no scripts, styles or templates; a line per block.
    static let htmlLayout = TextLayout(
        skipping: ["script", "style", "template"],
        blockElements: [
            "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt", "fieldset",
            "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
            "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
        ],
        spaceElements: ["td", "th", "option", "label", "button"])

    /// Generic XML: every element boundary separates words.
    static let xmlLayout = TextLayout(otherElements: .space)

    static func html(_ bytes: [UInt8], maxInputBytes: Int, into text: inout TextAccumulator) throws(DiariumError) {
        // Named here, so the bytes are checked for UTF-8 once (the parser would check again without a name).
        try text.appendHTMLText(bytes, layout: htmlLayout, encoding: HTMLCharset.encoding(of: bytes), maxInputBytes: maxInputBytes)
    }

    static func xml(_ bytes: [UInt8], maxInputBytes: Int, into text: inout TextAccumulator) throws(DiariumError) {
        try text.appendXMLText(bytes, layout: xmlLayout, maxInputBytes: maxInputBytes)
    }
}

/// Which encoding an HTML page without a usable byte order mark is in, the WHATWG way: what its `charset`
/// declaration names, and where that is missing or a Latin-1 label, Windows-1252 (browsers never use Latin-1).
enum HTMLCharset {
    /// "UTF-8" for UTF-8; "windows-1252" for bytes that are not, carry no byte order mark and declare no charset
    /// other than a Latin-1/ASCII/Windows-1252 label (libxml2 would read them as Latin-1, turning the dashes and quotes
    /// into C1 controls; named, iconv converts them as the parser reads, without a second copy); otherwise nil: what
    /// the mark or the declaration says, which libxml2 follows.
    static func encoding(of bytes: [UInt8]) -> String? {
        if String(validating: bytes, as: UTF8.self) != nil { return "UTF-8" }
        // A byte order mark names the encoding (a UTF-8 page with one stray byte is still UTF-8).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) { return nil }
        guard let label = declared(in: bytes) else { return "windows-1252" }
        return windows1252Labels.contains(label) ? "windows-1252" : nil
    }

    /// The WHATWG Encoding Standard's labels for windows-1252.
    static let windows1252Labels: Set<String> = [
        "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1", "iso-ir-100", "iso8859-1",
        "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252", "x-cp1252",
    ]

    /// The label after the first `charset=` in the first 1,024 bytes (where browsers look), lowercased.
    static func declared(in bytes: [UInt8]) -> String? {
        let head = bytes.prefix(1024).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let key = Array("charset".utf8)
        var index = 0
        while index + key.count <= head.count {
            defer { index += 1 }
            guard head[index..<index + key.count].elementsEqual(key) else { continue }
            var at = index + key.count
            at = skipSpace(head, at)
            guard at < head.count, head[at] == UInt8(ascii: "=") else { continue }
            at = skipSpace(head, at + 1)
            var quote: UInt8?
            if at < head.count, head[at] == UInt8(ascii: "\"") || head[at] == UInt8(ascii: "'") {
                quote = head[at]
                at += 1
            }
            let start = at
            while at < head.count, head[at] != quote, !isSpace(head[at]),
                  ![UInt8(ascii: ";"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "/")].contains(head[at]) {
                at += 1
            }
            guard at > start else { continue }
            return String(decoding: head[start..<at], as: UTF8.self)
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    private static func skipSpace(_ bytes: [UInt8], _ start: Int) -> Int {
        var at = start
        while at < bytes.count, isSpace(bytes[at]) { at += 1 }
        return at
    }
}
