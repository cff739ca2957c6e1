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
        let builder = TreeBuilder(options)
        try builder.run(.bytes(bytes), options: options, beyondMaxNodes: "(the tree built from them would take many times the document's size)")
        guard let root = builder.root else { throw .invalid("xml", "malformed XML: the document has no root element") }
        return root
    }

    /// Streams a document's `localName` elements (in `namespace`) to `body`, each as a value tree, in document order,
    /// without building the rest: a PREMIS document of a million objects and events costs one object at a time.
    /// One inside another is part of the outer one, not handed out itself. Everything outside them is dropped as it
    /// ends (the open ancestors keep their attributes only), so memory stays at one element and the document's depth.
    /// DOCTYPEs are always refused; `options.maxNodes` bounds what is held at once, not the document. An error `body`
    /// throws stops the parse and is thrown from here.
    public static func forEach(_ localName: String, namespace: String?, in bytes: [UInt8], options: XMLParseOptions = XMLParseOptions(),
                               _ body: @escaping (MarkupElement) throws(DiariumError) -> Void) throws(DiariumError) {
        try forEach(localName, namespace: namespace, in: .bytes(bytes), options: options, body)
    }

    /// `forEach` of bytes or of a file (read a chunk at a time).
    public static func forEach(_ localName: String, namespace: String?, in input: XMLInput, options: XMLParseOptions = XMLParseOptions(),
                               _ body: @escaping (MarkupElement) throws(DiariumError) -> Void) throws(DiariumError) {
        let builder = TreeBuilder(options)
        builder.detach = TreeBuilder.Detach(names: [MarkupName(localName, namespaceURI: namespace)], nested: false) { element, _ throws(DiariumError) in try body(element) }
        try builder.run(input, options: options, beyondMaxNodes: "in one \(localName)")
        guard builder.root != nil || builder.handedOutRoot else { throw .invalid("xml", "malformed XML: the document has no root element") }
    }

    /// What `stream` saw of the document element: its name, attributes and line (no children), and the names of its
    /// child elements.
    public struct StreamedRoot: Sendable {
        public let element: MarkupElement
        public let childNames: Set<MarkupName>
    }

    /// Streams a document of any size as the elements named in `names`: each is handed to `body` when it ends, as a
    /// value tree without the named elements inside it (those were handed out before it, each as it ended), with its
    /// open ancestors (name, attributes and line only), outermost first. Everything else is dropped as it ends. So
    /// an ERMS of a hundred thousand records, read as `record` and `aggregation`, costs one record at a time and the
    /// case around it without its records. DOCTYPEs are always refused; `options.maxNodes` bounds what is held at
    /// once (one named element, without the named ones inside it; its text counts a node per `textBytesPerNode`
    /// bytes), not the document. An error `body` throws stops the parse and is thrown from here.
    @discardableResult
    public static func stream(_ input: XMLInput, names: Set<MarkupName>, options: XMLParseOptions = XMLParseOptions(),
                              _ body: @escaping (MarkupElement, _ ancestors: [MarkupElement]) throws(DiariumError) -> Void)
        throws(DiariumError) -> StreamedRoot {
        let builder = TreeBuilder(options)
        builder.detach = TreeBuilder.Detach(names: names, nested: true) { element, stack throws(DiariumError) in
            try body(element, stack.map { MarkupElement(name: $0.name, attributes: $0.attributes, line: $0.line) })
        }
        try builder.run(input, options: options, beyondMaxNodes: "in one of " + names.map(\.localName).sorted().joined(separator: ", "))
        guard let root = builder.rootStart else { throw .invalid("xml", "malformed XML: the document has no root element") }
        return StreamedRoot(element: MarkupElement(name: root.name, attributes: root.attributes, line: root.line),
                            childNames: builder.rootChildNames)
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
    /// Elements open at once, at most; one more stops the parse at `tooDeepAtLine`.
    let maxDepth: Int
    var tooDeepAtLine: Int?
    /// What a streaming body threw: the parse stopped there.
    var failure: DiariumError?
    var stopped: Bool { stoppedAtLine != nil || tooDeepAtLine != nil || failure != nil }
    /// While streaming, text held counts against `maxNodes` too, a node per this many bytes: whitespace between a
    /// hundred thousand records, or one record of gigabytes of text, must not take the memory `maxNodes` keeps.
    static let textBytesPerNode = 16
    /// Elements of these names are handed to `body` when they end, instead of joining their parent; everything
    /// outside them is dropped (`MarkupElement.forEach`, `stream`). `nested`: one inside another is handed out on
    /// its own too (`stream`), not left in the outer one.
    /// A class: the callbacks look at it at every element, and a struct of a set, a name and a closure would be
    /// copied (and its parts retained) each time.
    final class Detach {
        let names: Set<MarkupName>
        let nested: Bool
        /// The element, and the open elements around it (outermost first).
        let body: (MarkupElement, [PartialElement]) throws(DiariumError) -> Void
        /// The one name, when there is one: compared, not hashed, at every element of a PREMIS document.
        private let only: MarkupName?

        init(names: Set<MarkupName>, nested: Bool, body: @escaping (MarkupElement, [PartialElement]) throws(DiariumError) -> Void) {
            self.names = names
            self.nested = nested
            self.body = body
            only = names.count == 1 ? names.first : nil
        }

        func named(_ name: MarkupName) -> Bool {
            if let only { return name == only }
            return names.contains(name)
        }
    }
    var detach: Detach?
    /// How many named elements are open: inside one, the tree is built as `parse` builds it.
    var detachOpen = 0
    var handedOutRoot = false
    /// The document element as it started, and (when streaming) the names of its children.
    var rootStart: PartialElement?
    var rootChildNames: Set<MarkupName> = []
    /// Names come from the parser's dictionary, one pointer per distinct string: one Swift string each.
    private var names: [UnsafePointer<xmlChar>: String] = [:]

    init(_ options: XMLParseOptions) {
        maxNodes = options.maxNodes
        maxDepth = options.maxDepth
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

    /// Counts `n` more nodes; past `maxNodes`, stops the parse where it is and says false.
    func count(_ n: Int) -> Bool {
        nodes += n
        guard nodes > maxNodes, let context else { return true }
        stoppedAtLine = Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer(context)))
        xmlStopParser(context)
        return false
    }

    /// Parses `input` through the tree callbacks; past `maxNodes`, refuses saying where and `beyondMaxNodes`.
    func run(_ input: XMLInput, options: XMLParseOptions, beyondMaxNodes: String) throws(DiariumError) {
        try parseWithSAX(input, options: options, sink: sink, keepAlive: self, handlers: { sax, ctxt in
            sax.pointee.startElementNs = treeStartElement
            sax.pointee.endElementNs = treeEndElement
            sax.pointee.characters = treeCharacters
            sax.pointee.cdataBlock = treeCharacters
            sax.pointee.ignorableWhitespace = treeCharacters
            self.context = ctxt
        }, stoppedOnPurpose: { self.stopped })
        if let failure { throw failure }
        if let line = tooDeepAtLine {
            throw .invalid("xml", "XML refused at line \(line): elements nested more than \(maxDepth) deep")
        }
        if let line = stoppedAtLine {
            throw .invalid("xml", "XML refused at line \(line): more than \(options.maxNodes) elements and attributes " + beyondMaxNodes)
        }
    }
}

private let treeStartElement: startElementNsSAX2Func = { context, localName, _, uri, _, _, attributeCount, _, attributes in
    guard let builder = TreeBuilder.from(context), !builder.stopped, builder.count(1 + Int(max(0, attributeCount))) else { return }
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
    guard builder.stack.count < builder.maxDepth else {
        builder.tooDeepAtLine = line
        if let ctxt = builder.context { xmlStopParser(ctxt) }
        return
    }
    if let detach = builder.detach, detach.named(name) { builder.detachOpen += 1 }
    let started = PartialElement(name: name, attributes: list, line: line, nodesBefore: builder.nodes - 1 - Int(max(0, attributeCount)))
    if builder.stack.isEmpty { builder.rootStart = started }
    builder.stack.append(started)
}

private let treeEndElement: endElementNsSAX2Func = { context, _, _, _ in
    guard let builder = TreeBuilder.from(context), !builder.stopped, var done = builder.stack.popLast() else { return }
    if !done.children.isEmpty, done.text.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) {
        done.text = ""
    }
    let element = MarkupElement(name: done.name, attributes: done.attributes, children: done.children, text: done.text, line: done.line)
    if let detach = builder.detach {
        if detach.nested && builder.stack.count == 1 { builder.rootChildNames.insert(done.name) }
        if detach.named(done.name) {
            builder.detachOpen -= 1
            if detach.nested || builder.detachOpen == 0 {
                builder.nodes = done.nodesBefore
                builder.handedOutRoot = builder.stack.isEmpty
                do throws(DiariumError) { try detach.body(element, builder.stack) } catch {
                    builder.failure = error
                    if let ctxt = builder.context { xmlStopParser(ctxt) }
                }
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
    guard let builder = TreeBuilder.from(context), !builder.stopped, let characters, !builder.stack.isEmpty,
          builder.detach == nil || builder.detachOpen > 0 else { return }
    // Rounded up: whitespace between elements comes a few bytes at a time, and must count too.
    if builder.detach != nil, !builder.count((Int(length) + TreeBuilder.textBytesPerNode - 1) / TreeBuilder.textBytesPerNode) { return }
    builder.stack[builder.stack.count - 1].text += String(decoding: UnsafeBufferPointer(start: characters, count: Int(length)), as: UTF8.self)
}
