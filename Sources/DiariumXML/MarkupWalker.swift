internal import CLibXML2

/// An element name: local part and namespace URI (nil for no namespace and for HTML).
public struct MarkupName: Sendable, Hashable, CustomStringConvertible {
    public let localName: String
    public let namespaceURI: String?

    public init(_ localName: String, namespaceURI: String? = nil) {
        self.localName = localName
        self.namespaceURI = namespaceURI
    }

    init(node: xmlNodePtr) {
        localName = node.pointee.name.map { String(cString: $0) } ?? ""
        namespaceURI = node.pointee.ns?.pointee.href.map { String(cString: $0) }
    }

    public var description: String {
        namespaceURI.map { "{\($0)}\(localName)" } ?? localName
    }
}

public struct MarkupAttribute: Sendable, Equatable {
    public let name: MarkupName
    public let value: String

    public init(name: MarkupName, value: String) {
        self.name = name
        self.value = value
    }
}

/// What the walker sees, in document order. Entity references, comments, processing instructions and the DTD are
/// not reported.
public enum MarkupEvent: Sendable, Equatable {
    /// `attributes` is empty unless the walk asked for them.
    case start(MarkupName, attributes: [MarkupAttribute])
    case end(MarkupName)
    case text(String)
}

/// What `collectText` adds at an element's start and end.
public enum TextBoundary: Sendable {
    case none, space, lineBreak
}

/// Which elements shape the text, by local name (namespaces are ignored: office formats use one prefix per name).
public struct TextLayout: Sendable {
    /// Elements whose content is left out entirely (`script`, `style`).
    public var skipping: Set<String>
    /// A line break at start and end (paragraphs, headings, list items).
    public var blockElements: Set<String>
    /// A space at start and end (table cells, tab elements).
    public var spaceElements: Set<String>
    /// When set, only text inside one of these elements counts (`w:t`, `a:t`): formats that keep formulas, values or
    /// layout whitespace in other elements.
    public var textOnlyInside: Set<String>?
    /// What every other element boundary adds: `.space` for generic XML, so `<a>x</a><b>y</b>` does not become "xy".
    public var otherElements: TextBoundary

    public init(
        skipping: Set<String> = [], blockElements: Set<String> = [], spaceElements: Set<String> = [],
        textOnlyInside: Set<String>? = nil, otherElements: TextBoundary = .none
    ) {
        self.skipping = skipping
        self.blockElements = blockElements
        self.spaceElements = spaceElements
        self.textOnlyInside = textOnlyInside
        self.otherElements = otherElements
    }
}

extension MarkupDocument {
    /// Visits elements and text in document order. Throw from `visit` to stop early.
    ///
    /// Entity references are skipped, never expanded: their content is shared with the DTD and expanding it is how the
    /// quadratic and billion-laughs attacks work. (This is also why nothing here calls `xmlNodeGetContent`.)
    public func walk<E: Error>(includeAttributes: Bool = false, _ visit: (MarkupEvent) throws(E) -> Void) throws(E) {
        var failure: E?
        traverse { node, step in
            do throws(E) {
                switch step {
                case .enter:
                    try visit(.start(MarkupName(node: node), attributes: includeAttributes ? Self.attributes(of: node) : []))
                case .leave:
                    try visit(.end(MarkupName(node: node)))
                case .text:
                    try visit(.text(Self.content(of: node)))
                }
                return .proceed
            } catch {
                failure = error
                return .stop
            }
        }
        if let failure { throw failure }
    }

    /// All text joined: a newline at `blockElements`, nothing left of `skipping`, whitespace normalised.
    public func collectText(skipping: Set<String> = [], blockElements: Set<String> = [], maxBytes: Int = .max) -> String {
        var text = TextAccumulator(maxBytes: maxBytes)
        collectText(TextLayout(skipping: skipping, blockElements: blockElements), into: &text)
        return text.text
    }

    /// Appends the text to `text`; stops walking once `text` is full.
    public func collectText(_ layout: TextLayout, into text: inout TextAccumulator) {
        var inside = 0
        func boundary(_ name: String) {
            let kind: TextBoundary =
                layout.blockElements.contains(name) ? .lineBreak
                : layout.spaceElements.contains(name) ? .space : layout.otherElements
            switch kind {
            case .none: break
            case .space: text.appendSpace()
            case .lineBreak: text.appendLineBreak()
            }
        }
        traverse { node, step in
            switch step {
            case .enter, .leave:
                let name = node.pointee.name.map { String(cString: $0) } ?? ""
                if layout.skipping.contains(name) { return .skipChildren }
                boundary(name)
                if layout.textOnlyInside?.contains(name) == true { inside += step == .enter ? 1 : -1 }
            case .text:
                if layout.textOnlyInside == nil || inside > 0 { text.append(Self.content(of: node)) }
            }
            return text.isTruncated ? .stop : .proceed
        }
    }

    enum Step { case enter, leave, text }
    enum Control { case proceed, skipChildren, stop }

    /// Iterative (no recursion on hostile depth) walk over elements and text nodes. An element whose enter returns
    /// `.skipChildren` still gets its leave.
    func traverse(_ visit: (xmlNodePtr, Step) -> Control) {
        var next = doc.pointee.children
        while let node = next {
            var descend = false
            switch node.pointee.type {
            case XML_ELEMENT_NODE:
                switch visit(node, .enter) {
                case .stop: return
                case .skipChildren: descend = false
                case .proceed: descend = node.pointee.children != nil
                }
                if !descend, visit(node, .leave) == .stop { return }
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if visit(node, .text) == .stop { return }
            default:
                break  // entity references, comments, PIs, DTD: never entered
            }
            if descend {
                next = node.pointee.children
                continue
            }
            // Next sibling, or climb, leaving each finished element.
            var current = node
            next = nil
            while true {
                if let sibling = current.pointee.next {
                    next = sibling
                    break
                }
                guard let parent = current.pointee.parent, parent.pointee.type == XML_ELEMENT_NODE else { break }
                if visit(parent, .leave) == .stop { return }
                current = parent
            }
        }
    }

    static func content(of node: xmlNodePtr) -> String {
        node.pointee.content.map { String(cString: $0) } ?? ""
    }

    /// Attribute values from their text children only, so an entity reference in a value is dropped, not expanded.
    static func attributes(of node: xmlNodePtr) -> [MarkupAttribute] {
        var result: [MarkupAttribute] = []
        var attribute = node.pointee.properties
        while let current = attribute {
            var value = ""
            var child = current.pointee.children
            while let part = child {
                if part.pointee.type == XML_TEXT_NODE, let content = part.pointee.content {
                    value += String(cString: content)
                }
                child = part.pointee.next
            }
            let name = MarkupName(
                current.pointee.name.map { String(cString: $0) } ?? "",
                namespaceURI: current.pointee.ns?.pointee.href.map { String(cString: $0) })
            result.append(MarkupAttribute(name: name, value: value))
            attribute = current.pointee.next
        }
        return result
    }
}
