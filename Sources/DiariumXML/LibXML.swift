internal import CLibXML2

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

extension String {
    func trimmingTrailingWhitespace() -> String {
        var result = Substring(self)
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return String(result)
    }
}
