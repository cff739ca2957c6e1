internal import CLibXML2
import DiariumCore

/// A problem found by validating a document against an XSD, with where it is.
public struct SchemaDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public let severity: XMLDiagnostic.Severity
    /// 1-based line of the element the problem is in; 0 when libxml2 did not know.
    public let line: Int
    /// 1-based column of that element's start tag (`<`); 0 when only the parsed tree was validated.
    public let column: Int
    /// The element's local name, e.g. `controlReference`.
    public let element: String?
    /// The attribute, for a problem with one.
    public let attribute: String?
    /// Where the element is: local names from the root, with a 1-based position where siblings share a name
    /// (`/interchange/receipt/assigned[2]`).
    public let path: String?
    /// libxml2's message without its `Element '…':` prefix (that is in `element` and `attribute`).
    public let message: String

    public init(severity: XMLDiagnostic.Severity, line: Int, column: Int, element: String?, attribute: String?,
                path: String?, message: String) {
        self.severity = severity
        self.line = line
        self.column = column
        self.element = element
        self.attribute = attribute
        self.path = path
        self.message = message
    }

    public var description: String {
        var text = "line \(line)"
        if column > 0 { text += ":\(column)" }
        if let path { text += " \(path)" } else if let element { text += " element \(element)" }
        if let attribute { text += " attribute \(attribute)" }
        return text + ": " + message
    }
}

/// A compiled XSD that validates parsed documents.
///
/// Compiling never loads anything: the schema comes from memory, and the process-wide entity loader (see
/// `LibXML.swift`) refuses every file and URL, so an `xs:import` or `xs:include` with a `schemaLocation` fails to
/// load instead of fetching (a schema that needs the imported components then fails to compile).
///
/// `@unchecked Sendable`: libxml2 never changes a compiled `xmlSchema` while validating; all per-validation state
/// lives in a validation context, which each call creates and frees itself. So one instance can serve every thread.
public final class SchemaValidator: @unchecked Sendable {
    private let schema: xmlSchemaPtr
    /// What the schema is called in messages (e.g. `envelope-1.xsd`).
    public let name: String
    /// Warnings from compiling (a schema that compiled despite them).
    public let compileWarnings: [SchemaDiagnostic]

    /// Compiles an XSD. Throws `.invalidField` (field `xsd`) naming the line of the first problem in the schema.
    public init(xsd: [UInt8], name: String) throws(DiariumError) {
        _ = libxmlSetup
        guard !xsd.isEmpty, xsd.count <= Int(Int32.max) else { throw .invalid("xsd", "schema \(name) is empty or too large") }
        let sink = SchemaSink()
        let compiled: xmlSchemaPtr? = xsd.withUnsafeBufferPointer { buffer in
            let created = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                xmlSchemaNewMemParserCtxt($0, Int32(buffer.count))
            }
            guard let parser = created else { return nil }
            defer { xmlSchemaFreeParserCtxt(parser) }
            let context = Unmanaged.passUnretained(sink).toOpaque()
            xmlSchemaSetParserStructuredErrors(parser, schemaErrorHandler, context)
            // The XSD's own XML parse reports through libxml2's error globals, which are per thread: route them to
            // the sink too (they carry the line of a malformed schema) instead of stderr, and restore afterwards.
            xmlSetStructuredErrorFunc(context, schemaErrorHandler)
            defer { xmlSetStructuredErrorFunc(nil, nil) }
            return withExtendedLifetime(sink) { xmlSchemaParse(parser) }
        }
        let problems = sink.diagnostics(nodeIndex: nil, starts: nil)
        guard let compiled else {
            let first = problems.first { $0.severity != .warning } ?? problems.first
            throw .invalid("xsd", "cannot compile schema \(name)" + (first.map { ": \($0)" } ?? ""))
        }
        schema = compiled
        self.name = name
        compileWarnings = problems
    }

    deinit { xmlSchemaFree(schema) }

    /// Validates a parsed document; an empty result means valid. Columns are 0: the tree does not keep them.
    public func validate(_ document: MarkupDocument) -> [SchemaDiagnostic] {
        run(document, source: nil)
    }

    /// Parses `bytes` (with `options`: by default a DOCTYPE is refused) and validates them. Throws only when the
    /// bytes are not well-formed XML or are refused; schema problems come back as diagnostics with line and column.
    public func validate(_ bytes: [UInt8], options: XMLParseOptions = XMLParseOptions()) throws(DiariumError)
        -> (document: MarkupDocument, diagnostics: [SchemaDiagnostic]) {
        let document = try MarkupDocument.parseXML(bytes, options: options)
        return (document, run(document, source: bytes))
    }

    private func run(_ document: MarkupDocument, source: [UInt8]?) -> [SchemaDiagnostic] {
        _ = libxmlSetup
        let sink = SchemaSink()
        guard let context = xmlSchemaNewValidCtxt(schema) else {
            return [SchemaDiagnostic(severity: .fatal, line: 0, column: 0, element: nil, attribute: nil, path: nil,
                                     message: "cannot create a validation context (out of memory?)")]
        }
        defer { xmlSchemaFreeValidCtxt(context) }
        xmlSchemaSetValidStructuredErrors(context, schemaErrorHandler, Unmanaged.passUnretained(sink).toOpaque())
        let rc = withExtendedLifetime(sink) { xmlSchemaValidateDoc(context, document.doc) }
        if rc == 0 && sink.isEmpty { return [] }
        // Element positions only when something needs them.
        var index: [xmlNodePtr: Int] = [:]
        document.traverse { node, step in
            if step == .enter { index[node] = index.count }
            return .proceed
        }
        var diagnostics = sink.diagnostics(nodeIndex: index, starts: source.map(StartTagScanner.starts))
        if rc != 0 && !diagnostics.contains(where: { $0.severity != .warning }) {
            diagnostics.append(SchemaDiagnostic(severity: .error, line: 0, column: 0, element: nil, attribute: nil, path: nil,
                                                message: "the document is not valid against \(name) (libxml2 code \(rc))"))
        }
        return diagnostics
    }
}

/// Collects schema errors; reached from the C callback through its user-data pointer, one per compile or validation.
private final class SchemaSink {
    private struct Raw {
        let severity: XMLDiagnostic.Severity
        let line: Int
        let column: Int
        /// Only for looking up the element's position while the validated document is alive; what else is needed
        /// from the node is copied at once (a schema's own nodes are freed with its parser context).
        let node: xmlNodePtr?
        let nodeName: String?
        let nodeLine: Int
        let path: String?
        let message: String
    }

    private var raw: [Raw] = []
    var isEmpty: Bool { raw.isEmpty }

    func add(_ error: xmlError) {
        guard raw.count < ParseSink.maxDiagnostics else { return }
        let severity: XMLDiagnostic.Severity
        switch error.level {
        case XML_ERR_WARNING: severity = .warning
        case XML_ERR_ERROR: severity = .error
        default: severity = .fatal
        }
        var node: xmlNodePtr?
        if let pointer = error.node {
            let candidate = pointer.assumingMemoryBound(to: xmlNode.self)
            // Attribute errors may name the attribute node; report its element.
            if candidate.pointee.type == XML_ATTRIBUTE_NODE { node = candidate.pointee.parent } else if candidate.pointee.type == XML_ELEMENT_NODE { node = candidate }
        }
        let message = error.message.map { String(cString: $0) } ?? "error \(error.code)"
        raw.append(Raw(severity: severity, line: Int(error.line), column: Int(error.int2), node: node,
                       nodeName: node.flatMap { $0.pointee.name.map { String(cString: $0) } },
                       nodeLine: node.map { Int(xmlGetLineNo($0)) } ?? 0, path: node.map(Self.path(of:)),
                       message: message.trimmingTrailingWhitespace()))
    }

    func diagnostics(nodeIndex: [xmlNodePtr: Int]?, starts: [(line: Int, column: Int)]?) -> [SchemaDiagnostic] {
        raw.map { item in
            let (named, attribute, message) = Self.splitPrefix(item.message)
            let element = named ?? item.nodeName
            var line = item.line
            var column = item.column
            if line == 0 { line = item.nodeLine }
            if let node = item.node, let position = nodeIndex?[node], let starts, position < starts.count {
                (line, column) = starts[position]
            }
            return SchemaDiagnostic(severity: item.severity, line: line, column: column, element: element,
                                    attribute: attribute, path: item.path, message: message)
        }
    }

    /// libxml2 starts validity messages with `Element '{ns}name': ` or `Element '{ns}name', attribute 'a': `.
    static func splitPrefix(_ message: String) -> (element: String?, attribute: String?, message: String) {
        func quoted(after marker: String, in text: Substring) -> (String, Substring)? {
            guard text.hasPrefix(marker) else { return nil }
            let rest = text.dropFirst(marker.count)
            guard let end = rest.firstIndex(of: "'") else { return nil }
            return (String(rest[..<end]), rest[rest.index(after: end)...])
        }
        func local(_ name: String) -> String {
            if let close = name.lastIndex(of: "}") { return String(name[name.index(after: close)...]) }
            return name
        }
        guard let (element, afterElement) = quoted(after: "Element '", in: Substring(message)) else { return (nil, nil, message) }
        var rest = afterElement
        var attribute: String?
        if let (name, afterAttribute) = quoted(after: ", attribute '", in: rest) {
            attribute = local(name)
            rest = afterAttribute
        }
        if rest.hasPrefix(": ") { rest = rest.dropFirst(2) }
        return (local(element), attribute, String(rest))
    }

    static func path(of node: xmlNodePtr) -> String {
        var parts: [String] = []
        var current: xmlNodePtr? = node
        while let element = current, element.pointee.type == XML_ELEMENT_NODE {
            let name = element.pointee.name.map { String(cString: $0) } ?? "?"
            var position = 1, total = 0
            var sibling = element.pointee.parent?.pointee.children
            while let other = sibling {
                if other.pointee.type == XML_ELEMENT_NODE, Self.sameName(other, element) {
                    total += 1
                    if other == element { position = total }
                }
                sibling = other.pointee.next
            }
            parts.append(total > 1 ? "\(name)[\(position)]" : name)
            current = element.pointee.parent
        }
        return "/" + parts.reversed().joined(separator: "/")
    }

    private static func sameName(_ a: xmlNodePtr, _ b: xmlNodePtr) -> Bool {
        guard let x = a.pointee.name, let y = b.pointee.name, xmlStrEqual(x, y) != 0 else { return false }
        let nsA = a.pointee.ns?.pointee.href, nsB = b.pointee.ns?.pointee.href
        if nsA == nil || nsB == nil { return nsA == nil && nsB == nil }
        return xmlStrEqual(nsA, nsB) != 0
    }
}

private let schemaErrorHandler: xmlStructuredErrorFunc = { userData, error in
    guard let userData, let error else { return }
    Unmanaged<SchemaSink>.fromOpaque(userData).takeUnretainedValue().add(error.pointee)
}

/// Finds where each element's start tag is in the source, in document order, which is the order libxml2 builds
/// elements in: so the k-th start tag is the k-th element of the tree. `<` cannot appear raw in text or attribute
/// values of well-formed XML, so only comments, CDATA sections, processing instructions and the DOCTYPE need skipping.
enum StartTagScanner {
    static func starts(_ bytes: [UInt8]) -> [(line: Int, column: Int)] {
        var result: [(line: Int, column: Int)] = []
        var line = 1, column = 0
        var index = 0
        // Column counts characters, not bytes: UTF-8 continuation bytes do not advance it.
        func advance(_ count: Int) {
            for _ in 0..<count where index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\n") { line += 1; column = 0 } else if byte & 0xC0 != 0x80 { column += 1 }
                index += 1
            }
        }
        func skip(past terminator: [UInt8]) {
            while index < bytes.count {
                if bytes[index] == terminator[0], index + terminator.count <= bytes.count,
                   Array(bytes[index..<(index + terminator.count)]) == terminator {
                    advance(terminator.count)
                    return
                }
                advance(1)
            }
        }
        func hasPrefix(_ text: String) -> Bool {
            let prefix = Array(text.utf8)
            return index + prefix.count <= bytes.count && Array(bytes[index..<(index + prefix.count)]) == prefix
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else { advance(1); continue }
            if hasPrefix("<!--") { skip(past: Array("-->".utf8)); continue }
            if hasPrefix("<![CDATA[") { skip(past: Array("]]>".utf8)); continue }
            if hasPrefix("<?") { skip(past: Array("?>".utf8)); continue }
            if hasPrefix("<!DOCTYPE") {
                // An internal subset (`[ … ]`) may hold markup declarations with `<` and `>` of their own.
                var probe = index
                while probe < bytes.count, bytes[probe] != UInt8(ascii: ">"), bytes[probe] != UInt8(ascii: "[") { probe += 1 }
                skip(past: probe < bytes.count && bytes[probe] == UInt8(ascii: "[") ? Array("]>".utf8) : Array(">".utf8))
                continue
            }
            if hasPrefix("</") { advance(2); continue }
            result.append((line, column + 1))
            advance(1)
        }
        return result
    }
}
