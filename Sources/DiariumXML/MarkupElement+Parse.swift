internal import CLibXML2
import DiariumCore

extension MarkupElement {
    /// Parses XML straight into a value tree through libxml2's SAX2 callbacks: no libxml2 tree is built, so a large
    /// metadata document (the ERMS of a whole series) costs its value tree only, not a libxml2 tree beside it.
    ///
    /// The same checks and errors as `MarkupDocument.parseXML`. With `rejectDoctype` (the default, and what machine
    /// input uses) there can be no declared entities, so the predefined ones are decoded and nothing else exists;
    /// without it this falls back to the tree parse, which drops entity references. Two differences from
    /// `elementTree()`: an element with child elements keeps its own text only when that text is not just whitespace
    /// (indentation is not content), and equal names share one string.
    public static func parse(_ bytes: [UInt8], options: XMLParseOptions = XMLParseOptions()) throws(DiariumError) -> MarkupElement {
        guard options.rejectDoctype else {
            guard let root = try MarkupDocument.parseXML(bytes, options: options).elementTree() else {
                throw .invalid("xml", "malformed XML: the document has no root element")
            }
            return root
        }
        let builder = TreeBuilder(maxNodes: options.maxNodes)
        try builder.run(bytes, options: options, beyondMaxNodes: "(the tree built from them would take many times the document's size)")
        guard let root = builder.root else { throw .invalid("xml", "malformed XML: the document has no root element") }
        return root
    }

    /// Streams a document's `localName` elements (in `namespace`) to `body`, each as a value tree, in document order,
    /// without building the rest: a PREMIS document of a million objects and events costs one object at a time.
    /// One inside another is part of the outer one, not handed out itself. Everything outside them is dropped as it
    /// ends (the open ancestors keep their attributes only), so memory stays at one element and the document's depth.
    /// DOCTYPEs are always refused; `options.maxNodes` bounds what is held at once, not the document.
    public static func forEach(_ localName: String, namespace: String?, in bytes: [UInt8], options: XMLParseOptions = XMLParseOptions(),
                               _ body: @escaping (MarkupElement) -> Void) throws(DiariumError) {
        let builder = TreeBuilder(maxNodes: options.maxNodes)
        builder.detach = (MarkupName(localName, namespaceURI: namespace), body)
        try builder.run(bytes, options: options, beyondMaxNodes: "in one \(localName)")
        guard builder.root != nil || builder.handedOutRoot else { throw .invalid("xml", "malformed XML: the document has no root element") }
    }
}

/// The state of one `MarkupElement.parse`, reached from the C callbacks through the sink's back reference.
final class TreeBuilder {
    let sink = ParseSink(rejectDoctype: true)
    var context: xmlParserCtxtPtr?
    var stack: [PartialElement] = []
    var root: MarkupElement?
    /// Elements and attributes built so far, against `maxNodes`; past it the parse stops at `stoppedAtLine`.
    var nodes = 0
    let maxNodes: Int
    var stoppedAtLine: Int?
    /// Elements of this name are handed to the closure when they end, instead of joining their parent; everything
    /// outside them is dropped (`MarkupElement.forEach`).
    var detach: (name: MarkupName, body: (MarkupElement) -> Void)?
    /// How many elements of `detach`'s name are open: inside one, the tree is built as `parse` builds it.
    var detachOpen = 0
    var handedOutRoot = false
    /// Names come from the parser's dictionary, one pointer per distinct string: one Swift string each.
    private var names: [UnsafePointer<xmlChar>: String] = [:]

    init(maxNodes: Int) {
        self.maxNodes = maxNodes
        sink.builder = self
    }

    func string(_ pointer: UnsafePointer<xmlChar>?) -> String? {
        guard let pointer else { return nil }
        if let known = names[pointer] { return known }
        let made = String(cString: pointer)
        names[pointer] = made
        return made
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> TreeBuilder? {
        ParseSink.from(context)?.builder
    }

    /// Parses `bytes` through the tree callbacks; past `maxNodes`, refuses saying where and `beyondMaxNodes`.
    func run(_ bytes: [UInt8], options: XMLParseOptions, beyondMaxNodes: String) throws(DiariumError) {
        try parseWithSAX(bytes, maxInputBytes: options.maxInputBytes, sink: sink, keepAlive: self, handlers: { sax, ctxt in
            sax.pointee.startElementNs = treeStartElement
            sax.pointee.endElementNs = treeEndElement
            sax.pointee.characters = treeCharacters
            sax.pointee.cdataBlock = treeCharacters
            sax.pointee.ignorableWhitespace = treeCharacters
            self.context = ctxt
        }, stoppedOnPurpose: { self.stoppedAtLine != nil })
        if let line = stoppedAtLine {
            throw .invalid("xml", "XML refused at line \(line): more than \(options.maxNodes) elements and attributes " + beyondMaxNodes)
        }
    }
}

private let treeStartElement: startElementNsSAX2Func = { context, localName, _, uri, _, _, attributeCount, _, attributes in
    guard let builder = TreeBuilder.from(context), builder.stoppedAtLine == nil else { return }
    builder.nodes += 1 + Int(max(0, attributeCount))
    if builder.nodes > builder.maxNodes, let ctxt = builder.context {
        builder.stoppedAtLine = Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer(ctxt)))
        xmlStopParser(ctxt)
        return
    }
    let name = MarkupName(builder.string(localName) ?? "", namespaceURI: builder.string(uri))
    var list: [MarkupAttribute] = []
    if let attributes, attributeCount > 0 {
        list.reserveCapacity(Int(attributeCount))
        // Five pointers per attribute: local name, prefix, URI, value start, value end.
        for i in 0..<Int(attributeCount) {
            let base = i * 5
            let attributeName = MarkupName(builder.string(attributes[base]) ?? "", namespaceURI: builder.string(attributes[base + 2]))
            var value = ""
            if let start = attributes[base + 3], let end = attributes[base + 4] {
                value = String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
            }
            list.append(MarkupAttribute(name: attributeName, value: value))
        }
    }
    let line = builder.context.map { Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer($0))) } ?? 0
    if let detach = builder.detach, name == detach.name { builder.detachOpen += 1 }
    builder.stack.append(PartialElement(name: name, attributes: list, line: line,
                                        nodesBefore: builder.nodes - 1 - Int(max(0, attributeCount))))
}

private let treeEndElement: endElementNsSAX2Func = { context, _, _, _ in
    guard let builder = TreeBuilder.from(context), builder.stoppedAtLine == nil, var done = builder.stack.popLast() else { return }
    if !done.children.isEmpty, done.text.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) {
        done.text = ""
    }
    let element = MarkupElement(name: done.name, attributes: done.attributes, children: done.children, text: done.text, line: done.line)
    if let detach = builder.detach {
        if done.name == detach.name {
            builder.detachOpen -= 1
            if builder.detachOpen == 0 {
                builder.nodes = done.nodesBefore
                builder.handedOutRoot = builder.stack.isEmpty
                detach.body(element)
                return
            }
        } else if builder.detachOpen == 0, !builder.stack.isEmpty {
            // Outside every named element: not wanted, and not kept.
            builder.nodes = done.nodesBefore
            return
        }
    }
    if builder.stack.isEmpty { builder.root = element } else { builder.stack[builder.stack.count - 1].children.append(element) }
}

private let treeCharacters: charactersSAXFunc = { context, characters, length in
    guard let builder = TreeBuilder.from(context), builder.stoppedAtLine == nil, let characters, !builder.stack.isEmpty,
          builder.detach == nil || builder.detachOpen > 0 else { return }
    builder.stack[builder.stack.count - 1].text += String(decoding: UnsafeBufferPointer(start: characters, count: Int(length)), as: UTF8.self)
}
