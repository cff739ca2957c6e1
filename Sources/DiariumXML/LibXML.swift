internal import CLibXML2
import DiariumCore

/// Process-wide libxml2 setup, run once on first use (a lazy global is thread-safe).
let libxmlSetup: Void = {
    xmlInitParser()
    // Defense in depth: the parse options never ask for external entities or DTDs, and this makes sure nothing
    // (a later XSD feature, an option set by mistake) can load a file or URL either.
    xmlSetExternalEntityLoader(refusingEntityLoader)
}()

private let refusingEntityLoader: xmlExternalEntityLoader = { _, _, _ in nil }

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
        let message = error.message.map { String(cString: $0) } ?? "error \(error.code)"
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

/// One XML parse through SAX2 callbacks only (no libxml2 tree), DOCTYPE refused: the shared frame of
/// `MarkupElement.parse` and `TextAccumulator.appendXMLText`. `handlers` installs the element and text callbacks,
/// which reach their state through `sink` (the context's `_private`); `stoppedOnPurpose` says whether a parse the
/// callbacks stopped still counts as done. Throws the same errors as `MarkupDocument.parseXML`.
func parseWithSAX(_ bytes: [UInt8], maxInputBytes: Int, sink: ParseSink, keepAlive: AnyObject,
                  handlers: (UnsafeMutablePointer<xmlSAXHandler>, xmlParserCtxtPtr) -> Void,
                  stoppedOnPurpose: () -> Bool = { false }) throws(DiariumError) {
    _ = libxmlSetup
    try MarkupDocument.checkSize(bytes.count, limit: maxInputBytes, what: "XML")
    guard !bytes.isEmpty else { throw .invalid("xml", "malformed XML: the document is empty") }
    let ok: Bool? = bytes.withUnsafeBufferPointer { buffer in
        let created = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
            xmlCreateMemoryParserCtxt($0, Int32(buffer.count))
        }
        guard let ctxt = created else { return nil }
        defer {
            if let doc = ctxt.pointee.myDoc { xmlFreeDoc(doc) }
            ctxt.pointee.myDoc = nil
            xmlFreeParserCtxt(ctxt)
        }
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
        let rc = withExtendedLifetime(keepAlive) { xmlParseDocument(ctxt) }
        return stoppedOnPurpose() || (rc == 0 && ctxt.pointee.wellFormed != 0)
    }
    guard let ok else { throw .invalid("xml", "cannot create an XML parser (out of memory?)") }
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
