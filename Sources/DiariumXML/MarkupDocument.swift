internal import CLibXML2
import DiariumCore

/// A parsed XML or HTML document (owns the libxml2 tree). Not Sendable: keep it within one task.
public final class MarkupDocument {
    let doc: xmlDocPtr
    public let isHTML: Bool
    /// Warnings from a successful parse (an XML parse that hit an error throws instead).
    public let diagnostics: [XMLDiagnostic]

    private init(doc: xmlDocPtr, isHTML: Bool, diagnostics: [XMLDiagnostic]) {
        self.doc = doc
        self.isHTML = isHTML
        self.diagnostics = diagnostics
    }

    deinit { xmlFreeDoc(doc) }

    // NONET and nothing else that loads or expands: no NOENT, DTDLOAD, DTDATTR, XINCLUDE, and no HUGE (keeps
    // libxml2's limits on depth, name and text length, and its entity amplification guard).
    private static let xmlOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue)
    private static let htmlOptions = Int32(
        HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
            | HTML_PARSE_RECOVER.rawValue)

    /// Parses well-formed XML. Throws `.invalidField` (field "xml") for input that is too large, not well-formed or
    /// (with `rejectDoctype`) has a DOCTYPE; the message names line and column.
    public static func parseXML(_ bytes: [UInt8], options: XMLParseOptions = XMLParseOptions()) throws(DiariumError) -> MarkupDocument {
        _ = libxmlSetup
        try checkSize(bytes.count, limit: options.maxInputBytes, what: "XML")
        guard !bytes.isEmpty else { throw .invalid("xml", "malformed XML: the document is empty") }
        if options.requireUTF8 { try bytes.withUnsafeBufferPointer { buffer throws(DiariumError) in try UTF8Declaration.check(buffer) } }
        try StartTagScreen.check(bytes, limit: options.maxAttributes, what: "XML")
        let sink = ParseSink(rejectDoctype: options.rejectDoctype)

        let parsed: (doc: xmlDocPtr?, ok: Bool)? = bytes.withUnsafeBufferPointer { buffer in
            let created = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                xmlCreateMemoryParserCtxt($0, Int32(buffer.count))
            }
            guard let ctxt = created else { return nil }
            defer { xmlFreeParserCtxt(ctxt) }
            _ = xmlCtxtUseOptions(ctxt, xmlOptions)
            // Per-context handlers: nothing global, nothing printed to stderr.
            ctxt.pointee.sax.pointee.serror = collectingErrorHandler
            if options.rejectDoctype { ctxt.pointee.sax.pointee.internalSubset = doctypeRefuser }
            ctxt.pointee._private = Unmanaged.passUnretained(sink).toOpaque()
            let rc = withExtendedLifetime(sink) { xmlParseDocument(ctxt) }
            let doc = ctxt.pointee.myDoc
            ctxt.pointee.myDoc = nil
            return (doc, rc == 0 && ctxt.pointee.wellFormed != 0)
        }
        guard let parsed else { throw .invalid("xml", "cannot create an XML parser (out of memory?)") }

        if let at = sink.doctypeAt {
            if let doc = parsed.doc { xmlFreeDoc(doc) }
            throw doctypeRefused(line: at.line, column: at.column)
        }
        guard let doc = parsed.doc, parsed.ok else {
            if let doc = parsed.doc { xmlFreeDoc(doc) }
            let first = sink.diagnostics.first { $0.severity != .warning }
            throw .invalid("xml", first.map { "malformed XML at line \($0.line):\($0.column): \($0.message)" } ?? "malformed XML")
        }
        do { try checkNoNUL(bytes) } catch {
            xmlFreeDoc(doc)
            throw error
        }
        // Belt and braces: the SAX hook above should already have stopped the parse.
        if options.rejectDoctype && doc.pointee.intSubset != nil {
            xmlFreeDoc(doc)
            throw doctypeRefused(line: 0, column: 0)
        }
        return MarkupDocument(doc: doc, isHTML: false, diagnostics: sink.diagnostics)
    }

    public static func parseXML(_ text: String, options: XMLParseOptions = XMLParseOptions()) throws(DiariumError) -> MarkupDocument {
        try parseXML(Array(text.utf8), options: options)
    }

    /// Parses HTML the way browsers do: never fails on bad markup, loads nothing. `encoding` nil means: UTF-8 when the
    /// bytes are valid UTF-8, otherwise whatever the document declares (libxml2 falls back to Latin-1).
    public static func parseHTML(_ bytes: [UInt8], encoding: String? = nil, maxInputBytes: Int = 64 << 20) throws(DiariumError) -> MarkupDocument {
        _ = libxmlSetup
        try checkSize(bytes.count, limit: maxInputBytes, what: "HTML")
        try StartTagScreen.check(bytes, limit: XMLParseOptions().maxAttributes, what: "HTML")
        // libxml2 2.9 assumes Latin-1 for HTML without a charset declaration; most HTML today is UTF-8.
        let encoding = encoding ?? (String(validating: bytes, as: UTF8.self) != nil ? "UTF-8" : nil)
        guard let ctxt = htmlNewParserCtxt() else { throw .invalid("html", "cannot create an HTML parser (out of memory?)") }
        defer { htmlFreeParserCtxt(ctxt) }
        // An empty document still gets a tree: htmlCtxtReadMemory wants at least one byte.
        let input = bytes.isEmpty ? [UInt8(ascii: " ")] : bytes
        let parsed = input.withUnsafeBufferPointer { buffer -> xmlDocPtr? in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                htmlCtxtReadMemory(ctxt, $0, Int32(buffer.count), nil, encoding, htmlOptions)
            }
        }
        guard let doc = parsed else { throw .invalid("html", "cannot parse HTML") }
        return MarkupDocument(doc: doc, isHTML: true, diagnostics: [])
    }

    public static func parseHTML(_ text: String, maxInputBytes: Int = 64 << 20) throws(DiariumError) -> MarkupDocument {
        try parseHTML(Array(text.utf8), encoding: "UTF-8", maxInputBytes: maxInputBytes)
    }

    /// The document element, if any.
    public var rootElement: MarkupName? {
        xmlDocGetRootElement(doc).map(MarkupName.init(node:))
    }

    /// XML never holds a NUL character. libxml2's in-memory parser takes one after the root element as the end of
    /// the input (and ignores whatever follows), where its push parser, reading the same bytes from a file, refuses
    /// them: checked once a memory parse has succeeded (one elsewhere fails it), so a document reads the same from
    /// memory as from a file, up to the same point. UTF-16 (a byte order mark, or "<" as 3C 00 / 00 3C) is full of
    /// zero bytes: there a NUL is a zero code unit. UTF-32 is left to libxml2.
    static func checkNoNUL(_ bytes: [UInt8]) throws(DiariumError) {
        func starts(_ prefixes: [[UInt8]]) -> Bool { prefixes.contains { bytes.starts(with: $0) } }
        if starts([[0x00, 0x00], [0xFF, 0xFE, 0x00, 0x00], [0x3C, 0x00, 0x00, 0x00]]) { return }
        if starts([[0xFF, 0xFE], [0xFE, 0xFF], [0x3C, 0x00], [0x00, 0x3C]]) {
            guard let offset = stride(from: 0, to: bytes.count - 1, by: 2).first(where: { bytes[$0] == 0 && bytes[$0 + 1] == 0 }) else { return }
            throw .invalid("xml", "malformed XML at byte \(offset + 1): a NUL character is not allowed in XML")
        }
        guard let offset = bytes.firstIndex(of: 0) else { return }
        let before = bytes[..<offset]
        let lineStart = (before.lastIndex(of: 0x0A) ?? -1) + 1
        // Columns in characters, as libxml2 gives them: UTF-8 continuation bytes do not count.
        let column = bytes[lineStart..<offset].count { $0 & 0xC0 != 0x80 } + 1
        throw .invalid("xml", "malformed XML at line \(before.count { $0 == 0x0A } + 1):\(column): a NUL byte is not allowed in XML")
    }

    static func checkSize(_ count: Int, limit: Int, what: String) throws(DiariumError) {
        // libxml2 takes an int length.
        let limit = min(limit, Int(Int32.max))
        if count > limit {
            throw .invalid(what.lowercased(), "\(what) input is \(count) bytes, more than the limit of \(limit) bytes")
        }
    }

    private static func doctypeRefused(line: Int, column: Int) -> DiariumError {
        let at = line > 0 ? " at line \(line):\(column)" : ""
        return .invalid("xml", "XML refused\(at): a DOCTYPE (document type declaration) is not allowed in this input")
    }
}
