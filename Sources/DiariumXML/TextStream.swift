internal import CLibXML2
import DiariumCore

extension TextAccumulator {
    /// Appends an XML document's text as `MarkupDocument.collectText` would, but streamed through libxml2's SAX2
    /// callbacks: memory stays at the element depth whatever the document's size. A tree costs ten to twenty times
    /// its input, so a zip bomb's 64 MiB of `<a/>` inside a DOCX would have been a tree of gigabytes.
    ///
    /// The DOCTYPE is always refused (so the predefined entities are all there is to decode). On any error nothing
    /// is appended. Parsing stops once the accumulator is full.
    public mutating func appendXMLText(_ bytes: [UInt8], layout: TextLayout, maxInputBytes: Int = 64 << 20) throws(DiariumError) {
        let collector = TextCollector(text: self, layout: layout)
        try parseWithSAX(bytes, options: XMLParseOptions(maxInputBytes: maxInputBytes), sink: collector.sink, keepAlive: collector, handlers: { sax, ctxt in
            sax.pointee.startElementNs = textStartElement
            sax.pointee.endElementNs = textEndElement
            sax.pointee.characters = textCharacters
            sax.pointee.cdataBlock = textCharacters
            sax.pointee.ignorableWhitespace = textCharacters
            collector.context = ctxt
        }, stoppedOnPurpose: { collector.full })
        self = collector.text
    }
}

/// The state of one streamed text collection, reached from the C callbacks through the sink's back reference.
final class TextCollector {
    let sink = ParseSink(rejectDoctype: true)
    var context: xmlParserCtxtPtr?
    var text: TextAccumulator
    let layout: TextLayout
    /// Inside an element of `layout.skipping`: how deep.
    var skipping = 0
    /// How many `layout.textOnlyInside` elements are open.
    var inside = 0
    /// The accumulator filled up and the parse was stopped on purpose.
    var full = false
    /// What an element means for the text, by name. Names come from the parser's dictionary, one pointer per
    /// distinct string, so each is classified once, not hashed as a string at every start and end tag.
    struct Kind {
        let skipped: Bool
        let boundary: TextBoundary
        let holdsText: Bool
    }
    private var kinds: [UnsafePointer<xmlChar>: Kind] = [:]

    init(text: TextAccumulator, layout: TextLayout) {
        self.text = text
        self.layout = layout
        sink.collector = self
    }

    func kind(_ pointer: UnsafePointer<xmlChar>?) -> Kind {
        guard let pointer else { return classify("") }
        if let known = kinds[pointer] { return known }
        let made = classify(String(cString: pointer))
        kinds[pointer] = made
        return made
    }

    private func classify(_ name: String) -> Kind {
        Kind(skipped: layout.skipping.contains(name),
             boundary: layout.blockElements.contains(name) ? .lineBreak : layout.spaceElements.contains(name) ? .space : layout.otherElements,
             holdsText: layout.textOnlyInside?.contains(name) == true)
    }

    /// An element starts (`delta` 1) or ends (-1).
    func element(_ kind: Kind, _ delta: Int) {
        if skipping > 0 { skipping += delta; return }
        if kind.skipped {
            if delta > 0 { skipping = 1 }
            return
        }
        switch kind.boundary {
        case .none: break
        case .space: text.appendSpace()
        case .lineBreak: text.appendLineBreak()
        }
        if kind.holdsText { inside += delta }
        if delta < 0 { stopIfFull() }
    }

    func stopIfFull() {
        guard text.isTruncated, !full, let context else { return }
        full = true
        xmlStopParser(context)
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> TextCollector? {
        ParseSink.from(context)?.collector
    }
}

private let textStartElement: startElementNsSAX2Func = { context, localName, _, _, _, _, _, _, _ in
    guard let collector = TextCollector.from(context), !collector.full else { return }
    collector.element(collector.kind(localName), 1)
}

private let textEndElement: endElementNsSAX2Func = { context, localName, _, _ in
    guard let collector = TextCollector.from(context), !collector.full else { return }
    collector.element(collector.kind(localName), -1)
}

private let textCharacters: charactersSAXFunc = { context, characters, length in
    guard let collector = TextCollector.from(context), !collector.full, collector.skipping == 0, let characters else { return }
    guard collector.layout.textOnlyInside == nil || collector.inside > 0 else { return }
    collector.text.append(String(decoding: UnsafeBufferPointer(start: characters, count: Int(length)), as: UTF8.self))
    collector.stopIfFull()
}

extension TextAccumulator {
    /// Appends an HTML document's text as `MarkupDocument.parseHTML` followed by `collectText` would, streamed
    /// through the HTML parser's SAX callbacks (see `appendXMLText`): never fails on bad markup, loads nothing.
    /// `encoding` nil: UTF-8 when the bytes are valid UTF-8, otherwise what the document declares (else Latin-1).
    public mutating func appendHTMLText(_ bytes: [UInt8], layout: TextLayout, encoding: String? = nil,
                                        maxInputBytes: Int = 64 << 20) throws(DiariumError) {
        _ = libxmlSetup
        try MarkupDocument.checkSize(bytes.count, limit: maxInputBytes, what: "HTML")
        guard !bytes.isEmpty else { return }
        try StartTagScreen.check(bytes, limit: XMLParseOptions().maxAttributes, what: "HTML")
        let encoding = encoding ?? (String(validating: bytes, as: UTF8.self) != nil ? "UTF-8" : nil)
        guard let ctxt = htmlNewParserCtxt() else { throw .invalid("html", "cannot create an HTML parser (out of memory?)") }
        defer {
            if let doc = ctxt.pointee.myDoc { xmlFreeDoc(doc) }
            ctxt.pointee.myDoc = nil
            htmlFreeParserCtxt(ctxt)
        }
        let collector = TextCollector(text: self, layout: layout)
        // Only the callbacks that carry text and structure; none that would build a tree or a DTD.
        let sax = ctxt.pointee.sax!
        sax.pointee.startDocument = nil
        sax.pointee.internalSubset = nil
        sax.pointee.externalSubset = nil
        sax.pointee.startElement = htmlTextStartElement
        sax.pointee.endElement = htmlTextEndElement
        sax.pointee.characters = textCharacters
        sax.pointee.cdataBlock = textCharacters
        sax.pointee.ignorableWhitespace = nil   // as the tree parse: whitespace between blocks is not text
        sax.pointee.reference = nil
        sax.pointee.comment = nil
        sax.pointee.processingInstruction = nil
        sax.pointee.serror = nil
        sax.pointee.error = nil
        sax.pointee.warning = nil
        ctxt.pointee._private = Unmanaged.passUnretained(collector.sink).toOpaque()
        collector.context = ctxt
        let options = Int32(HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
            | HTML_PARSE_RECOVER.rawValue)
        withExtendedLifetime(collector) {
            bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    _ = htmlCtxtReadMemory(ctxt, $0, Int32(buffer.count), nil, encoding, options)
                }
            }
        }
        self = collector.text
    }
}

private let htmlTextStartElement: startElementSAXFunc = { context, name, _ in
    guard let collector = TextCollector.from(context), !collector.full else { return }
    collector.element(collector.kind(name), 1)
}

private let htmlTextEndElement: endElementSAXFunc = { context, name in
    guard let collector = TextCollector.from(context), !collector.full else { return }
    collector.element(collector.kind(name), -1)
}
