#if canImport(Glibc)
import Glibc
#endif
internal import CLibXML2
import DiariumCore

/// Process-wide libxml2 setup, run once on first use (a lazy global is thread-safe).
let libxmlSetup: Void = {
    xmlInitParser()
    // Defense in depth: the parse options never ask for external entities or DTDs, and this makes sure nothing
    // (a later XSD feature, an option set by mistake) can load a file or URL either.
    xmlSetExternalEntityLoader(refusingEntityLoader)
    // Errors libxml2 raises outside a parser context (an encoding converter's "input conversion failed …, bytes
    // 0xFF 0xFE …") went to stderr, with bytes of the input: a server's log must hold no document content. Each parse
    // reports through its own context (its failure comes back as an error all the same); these go nowhere. Per
    // thread: the default for threads to come and this one's.
    xmlThrDefSetStructuredErrorFunc(nil, discardingErrorHandler)
    xmlSetStructuredErrorFunc(nil, discardingErrorHandler)
    cxml_silence_generic_errors()
}()

private let refusingEntityLoader: xmlExternalEntityLoader = { _, _, _ in nil }
private let discardingErrorHandler: xmlStructuredErrorFunc = { _, _ in }

/// Collects what one parse reports. Reached from C callbacks through `ctxt->_private`, so it lives in one parse only.
final class ParseSink {
    static let maxDiagnostics = 100

    let rejectDoctype: Bool
    private(set) var diagnostics: [XMLDiagnostic] = []
    /// Where a refused DOCTYPE started.
    var doctypeAt: (line: Int, column: Int)?
    /// The value tree being built, for a parse straight into `MarkupElement`s (weak: the builder owns this sink).
    weak var builder: TreeBuilder?
    /// The text being collected, for a streamed text extraction (weak: the collector owns this sink).
    weak var collector: TextCollector?

    init(rejectDoctype: Bool) {
        self.rejectDoctype = rejectDoctype
    }

    func add(_ error: xmlError) {
        // A broken document can produce an error per byte; the first ones say what matters.
        guard diagnostics.count < Self.maxDiagnostics else { return }
        let severity: XMLDiagnostic.Severity
        switch error.level {
        case XML_ERR_WARNING: severity = .warning
        case XML_ERR_ERROR: severity = .error
        default: severity = .fatal
        }
        // libxml2 advises its caller on a limit ("Excessive depth in document: 256 use XML_PARSE_HUGE option"): the
        // reader of a diagnostic is the sender of the document, to whom the limit is the thing to know.
        let message = (error.message.map { String(cString: $0) } ?? "error \(error.code)")
            .replacing("use XML_PARSE_HUGE option", with: "(past the limits XML is read within here)")
        diagnostics.append(XMLDiagnostic(
            severity: severity, line: Int(error.line), column: Int(error.int2),
            message: message.trimmingTrailingWhitespace()))
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> ParseSink? {
        // libxml2 hands parser callbacks ctxt->userData, which is the parser context itself.
        guard let context else { return nil }
        let ctxt = context.assumingMemoryBound(to: xmlParserCtxt.self)
        guard let sink = ctxt.pointee._private else { return nil }
        return Unmanaged<ParseSink>.fromOpaque(sink).takeUnretainedValue()
    }
}

// C callbacks cannot capture: context comes in through the parser context.
let collectingErrorHandler: xmlStructuredErrorFunc = { context, error in
    guard let error, let sink = ParseSink.from(context) else { return }
    sink.add(error.pointee)
}

/// Called at `<!DOCTYPE name ...` before the internal subset is read, so entity declarations are never even parsed.
let doctypeRefuser: internalSubsetSAXFunc = { context, _, _, _ in
    guard let context, let sink = ParseSink.from(context) else { return }
    let ctxt = context.assumingMemoryBound(to: xmlParserCtxt.self)
    let input = ctxt.pointee.input
    sink.doctypeAt = (Int(input?.pointee.line ?? 0), Int(input?.pointee.col ?? 0))
    xmlStopParser(ctxt)
}

/// Where XML comes from: bytes in memory, or a file read a chunk at a time (a metadata document too large to hold,
/// streamed with `MarkupElement.stream`: the parse then holds what its callbacks keep, not the document). The file is
/// the caller's own (a temp copy), so failing to read it is a `.storage` error, not the document's fault.
public enum XMLInput: Sendable {
    case bytes([UInt8])
    case file(String)
}

/// One XML parse through SAX2 callbacks only (no libxml2 tree), DOCTYPE refused: the shared frame of
/// `MarkupElement.parse` and `TextAccumulator.appendXMLText`. `handlers` installs the element and text callbacks,
/// which reach their state through `sink` (the context's `_private`); `stoppedOnPurpose` says whether a parse the
/// callbacks stopped still counts as done. Throws the same errors as `MarkupDocument.parseXML`.
func parseWithSAX(_ bytes: [UInt8], options: XMLParseOptions, sink: ParseSink, keepAlive: AnyObject,
                  handlers: (UnsafeMutablePointer<xmlSAXHandler>, xmlParserCtxtPtr) -> Void,
                  stoppedOnPurpose: () -> Bool = { false }) throws(DiariumError) {
    try parseWithSAX(.bytes(bytes), options: options, sink: sink, keepAlive: keepAlive, handlers: handlers,
                     stoppedOnPurpose: stoppedOnPurpose)
}

/// `parseWithSAX` of bytes or of a file: a file goes through libxml2's push parser in chunks of 256 KiB. Uses
/// `options`' input limit, attribute limit (`StartTagScreen`) and UTF-8 requirement; the callbacks keep the others.
func parseWithSAX(_ input: XMLInput, options: XMLParseOptions, sink: ParseSink, keepAlive: AnyObject,
                  handlers: (UnsafeMutablePointer<xmlSAXHandler>, xmlParserCtxtPtr) -> Void,
                  stoppedOnPurpose: () -> Bool = { false }) throws(DiariumError) {
    _ = libxmlSetup
    let maxInputBytes = options.maxInputBytes
    func configure(_ ctxt: xmlParserCtxtPtr) {
        // NOENT is safe only because the DOCTYPE is refused: the predefined entities are all there is to expand.
        _ = xmlCtxtUseOptions(ctxt, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_NOENT.rawValue))
        let sax = ctxt.pointee.sax!
        sax.pointee.serror = collectingErrorHandler
        sax.pointee.internalSubset = doctypeRefuser
        sax.pointee.reference = nil
        sax.pointee.comment = nil
        sax.pointee.processingInstruction = nil
        handlers(sax, ctxt)
        ctxt.pointee._private = Unmanaged.passUnretained(sink).toOpaque()
    }
    func free(_ ctxt: xmlParserCtxtPtr) {
        if let doc = ctxt.pointee.myDoc { xmlFreeDoc(doc) }
        ctxt.pointee.myDoc = nil
        xmlFreeParserCtxt(ctxt)
    }
    let ok: Bool?
    switch input {
    case .bytes(let bytes):
        try MarkupDocument.checkSize(bytes.count, limit: maxInputBytes, what: "XML")
        guard !bytes.isEmpty else { throw .invalid("xml", "malformed XML: the document is empty") }
        if options.requireUTF8 { try bytes.withUnsafeBufferPointer { buffer throws(DiariumError) in try UTF8Declaration.check(buffer) } }
        try StartTagScreen.check(bytes, limit: options.maxAttributes, what: "XML")
        ok = bytes.withUnsafeBufferPointer { buffer in
            let created = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                xmlCreateMemoryParserCtxt($0, Int32(buffer.count))
            }
            guard let ctxt = created else { return nil }
            defer { free(ctxt) }
            configure(ctxt)
            let rc = withExtendedLifetime(keepAlive) { xmlParseDocument(ctxt) }
            return stoppedOnPurpose() || (rc == 0 && ctxt.pointee.wellFormed != 0)
        }
    case .file(let path):
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DiariumError(.storage, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw DiariumError(.storage, "cannot read \(path): \(String(cString: strerror(errno)))") }
        // The push parser has no int length to overflow: the caller's limit is the only one.
        if Int(st.st_size) > maxInputBytes {
            throw .invalid("xml", "XML input is \(st.st_size) bytes, more than the limit of \(maxInputBytes) bytes")
        }
        guard st.st_size > 0 else { throw .invalid("xml", "malformed XML: the document is empty") }
        guard let ctxt = xmlCreatePushParserCtxt(nil, nil, nil, 0, nil) else {
            throw .invalid("xml", "cannot create an XML parser (out of memory?)")
        }
        defer { free(ctxt) }
        configure(ctxt)
        let chunk = UnsafeMutablePointer<CChar>.allocate(capacity: 1 << 18)
        defer { chunk.deallocate() }
        var rc: Int32 = 0
        var total = 0
        var screen = StartTagScreen(limit: options.maxAttributes)
        try withExtendedLifetime(keepAlive) { () throws(DiariumError) in
            while rc == 0 && ctxt.pointee.disableSAX == 0 {
                let n = read(fd, chunk, 1 << 18)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DiariumError(.storage, "cannot read \(path): \(String(cString: strerror(errno)))")
                }
                total += n
                // A file that grows while it is read is held to the limit all the same.
                if total > maxInputBytes { throw .invalid("xml", "XML input is more than the limit of \(maxInputBytes) bytes") }
                let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(chunk).assumingMemoryBound(to: UInt8.self), count: n)
                if options.requireUTF8 && total == n && n > 0 { try UTF8Declaration.check(bytes) }
                if let line = screen.scan(bytes) { throw StartTagScreen.refusal(line: line, limit: options.maxAttributes, what: "XML") }
                rc = xmlParseChunk(ctxt, chunk, Int32(n), n == 0 ? 1 : 0)
                if n == 0 { break }
            }
        }
        ok = stoppedOnPurpose() || (rc == 0 && ctxt.pointee.wellFormed != 0)
    }
    guard let ok else { throw .invalid("xml", "cannot create an XML parser (out of memory?)") }
    // What the memory parser took for the end may be a NUL after the root, which the file's push parser refuses.
    if ok, case .bytes(let bytes) = input, !stoppedOnPurpose() { try MarkupDocument.checkNoNUL(bytes) }
    if let at = sink.doctypeAt {
        let position = at.line > 0 ? " at line \(at.line):\(at.column)" : ""
        throw .invalid("xml", "XML refused\(position): a DOCTYPE (document type declaration) is not allowed in this input")
    }
    guard ok else {
        let first = sink.diagnostics.first { $0.severity != .warning }
        throw .invalid("xml", first.map { "malformed XML at line \($0.line):\($0.column): \($0.message)" } ?? "malformed XML")
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var result = Substring(self)
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return String(result)
    }
}
