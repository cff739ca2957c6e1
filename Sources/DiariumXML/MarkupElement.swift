internal import CLibXML2

/// An XML element as a value tree: what import and exchange code reads (METS, ERMS, PREMIS, envelopes).
///
/// Built from a parsed `MarkupDocument`; entity references are dropped, never expanded (as in `walk`). `line` is the
/// element's line in the source, for diagnostics that name where a problem is.
public struct MarkupElement: Sendable {
    public let name: MarkupName
    public let attributes: [MarkupAttribute]
    public let children: [MarkupElement]
    /// The element's own text (text and CDATA children joined), not its descendants'.
    public let text: String
    public let line: Int

    public init(name: MarkupName, attributes: [MarkupAttribute] = [], children: [MarkupElement] = [], text: String = "", line: Int = 0) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
        self.line = line
    }

    /// The value of an attribute by local name and namespace (nil namespace: an unprefixed attribute).
    public func attribute(_ localName: String, namespace: String? = nil) -> String? {
        attributes.first { $0.name.localName == localName && $0.name.namespaceURI == namespace }?.value
    }

    /// Direct children with this local name (and namespace, when given).
    public func children(_ localName: String, namespace: String? = nil) -> [MarkupElement] {
        children.filter { $0.name.localName == localName && (namespace == nil || $0.name.namespaceURI == namespace) }
    }

    /// The first direct child with this local name (and namespace, when given).
    public func child(_ localName: String, namespace: String? = nil) -> MarkupElement? {
        children.first { $0.name.localName == localName && (namespace == nil || $0.name.namespaceURI == namespace) }
    }

    /// Text with surrounding whitespace removed; nil when that leaves nothing.
    public var trimmedText: String? {
        let trimmed = text.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// All descendants (depth first, document order) with this local name and namespace.
    public func descendants(_ localName: String, namespace: String? = nil) -> [MarkupElement] {
        var found: [MarkupElement] = []
        var stack: [MarkupElement] = children.reversed()
        while let element = stack.popLast() {
            if element.name.localName == localName && (namespace == nil || element.name.namespaceURI == namespace) {
                found.append(element)
            }
            stack.append(contentsOf: element.children.reversed())
        }
        return found
    }
}

extension MarkupDocument {
    /// The document element as a value tree; nil for a document without one. Iterative, so hostile nesting depth
    /// (bounded by libxml2's own depth limit) cannot overflow the stack.
    public func elementTree() -> MarkupElement? {
        var stack: [PartialElement] = []
        var root: MarkupElement?
        traverse { node, step in
            switch step {
            case .enter:
                stack.append(PartialElement(name: MarkupName(node: node), attributes: Self.attributes(of: node), line: Int(xmlGetLineNo(node))))
            case .leave:
                guard let done = stack.popLast() else { return .stop }
                let element = MarkupElement(name: done.name, attributes: done.attributes, children: done.children, text: done.text, line: done.line)
                if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
            case .text:
                if !stack.isEmpty { stack[stack.count - 1].text += Self.content(of: node) }
            }
            return .proceed
        }
        return root
    }
}

/// An element being built, until its end tag: by `elementTree()` and by `MarkupElement.parse`.
struct PartialElement {
    let name: MarkupName
    let attributes: [MarkupAttribute]
    let line: Int
    /// Elements and attributes counted before this one began: what the count goes back to once it is handed out
    /// (`MarkupElement.forEach`).
    var nodesBefore = 0
    var children: [MarkupElement] = []
    var text = ""
}

extension String {
    func trimmingWhitespace() -> String {
        var result = Substring(self)
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return String(result)
    }
}
