import DiariumCore

/// One UN/EDIFACT segment: a tag and its data elements, each a list of components (a simple data element is a
/// composite of one). Values are unescaped; `EDIFACTSyntax` escapes them on writing.
public struct EDIFACTSegment: Hashable, Sendable, CustomStringConvertible {
    public let tag: String
    public var elements: [[String]]
    /// 1-based position in the interchange (UNA not counted), set by the parser; 0 for segments being written.
    public let index: Int

    public init(_ tag: String, _ elements: [[String]], index: Int = 0) {
        self.tag = tag
        self.elements = elements
        self.index = index
    }

    /// The component at `element` (0-based, the tag not counted) and `component`, or "" when absent.
    public func value(_ element: Int, _ component: Int = 0) -> String {
        guard element < elements.count, component < elements[element].count else { return "" }
        return elements[element][component]
    }

    /// How errors name the segment: `segment 7 (DTM)`.
    public var label: String { "\(index) (\(tag))" }

    public var description: String { "segment \(label)" }
}

/// The service characters of an interchange (ISO 9735 syntax version 3): what a UNA segment declares, or the defaults.
public struct EDIFACTSyntax: Hashable, Sendable {
    public var componentSeparator: Unicode.Scalar = ":"
    public var elementSeparator: Unicode.Scalar = "+"
    public var decimalMark: Unicode.Scalar = "."
    public var releaseCharacter: Unicode.Scalar = "?"
    /// Reserved in version 3 (the repetition separator of version 4); written as a space.
    public var reserved: Unicode.Scalar = " "
    public var segmentTerminator: Unicode.Scalar = "'"

    public init() {}

    /// `UNA:+.? '`
    public var serviceStringAdvice: String {
        "UNA" + String(String.UnicodeScalarView([componentSeparator, elementSeparator, decimalMark, releaseCharacter, reserved,
                                                 segmentTerminator]))
    }

    // MARK: Writing

    /// A value with the release character before every separator, terminator and release character, so that
    /// `Bygg ?+ plan's` reaches the receiver unchanged.
    public func escape(_ value: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            if scalar == componentSeparator || scalar == elementSeparator || scalar == releaseCharacter || scalar == segmentTerminator {
                result.append(releaseCharacter)
            }
            result.append(scalar)
        }
        return String(result)
    }

    /// `TAG+a:b+c'` with trailing empty components and elements left out, as ISO 9735 requires.
    public func render(_ segment: EDIFACTSegment) -> String {
        var text = segment.tag
        for components in Self.trimmed(segment.elements) {
            text.unicodeScalars.append(elementSeparator)
            text += components.map(escape).joined(separator: String(componentSeparator))
        }
        text.unicodeScalars.append(segmentTerminator)
        return text
    }

    /// Elements without their trailing empty components, and without trailing empty elements: `DOC+a:+b++'`
    /// means `DOC+a+b'`. The writer leaves them out and the reader drops them, so that a segment read from an
    /// interchange reads back unchanged from what it is written as (an empty element inside reads as `[]`).
    static func trimmed(_ elements: [[String]]) -> [[String]] {
        var elements = elements.map { components -> [String] in
            var trimmed = components
            while trimmed.last?.isEmpty == true { trimmed.removeLast() }
            return trimmed
        }
        while elements.last?.isEmpty == true { elements.removeLast() }
        return elements
    }

    // MARK: Reading

    /// Splits an interchange into segments. Honours a leading UNA; a line break after a segment terminator is
    /// skipped (interchanges are often written one segment per line). Errors name the segment where they occur.
    public static func parse(_ text: String) throws(DiariumError) -> (syntax: EDIFACTSyntax, segments: [EDIFACTSegment]) {
        var syntax = EDIFACTSyntax()
        var scalars = Array(text.unicodeScalars)[...]
        if scalars.starts(with: "UNA".unicodeScalars) {
            guard scalars.count >= 9 else {
                throw DiariumError(.invalidField, "UNA must be followed by six service characters", field: "segment 0 (UNA)")
            }
            let advice = Array(scalars.dropFirst(3).prefix(6))
            syntax.componentSeparator = advice[0]
            syntax.elementSeparator = advice[1]
            syntax.decimalMark = advice[2]
            syntax.releaseCharacter = advice[3]
            syntax.reserved = advice[4]
            syntax.segmentTerminator = advice[5]
            let distinct = Set([advice[0], advice[1], advice[3], advice[5]])
            guard distinct.count == 4 else {
                throw DiariumError(.invalidField, "UNA declares the same character for two separators", field: "segment 0 (UNA)")
            }
            scalars = scalars.dropFirst(9)
            while let first = scalars.first, first == "\r" || first == "\n" { scalars = scalars.dropFirst() }
        }
        var segments: [EDIFACTSegment] = []
        var elements: [[String]] = [[]]
        var current = String.UnicodeScalarView()
        var released = false
        var started = false
        func label() -> String {
            let tag = elements.first?.first ?? (elements.count == 1 ? String(current) : "")
            return "\(segments.count + 1) (\(tag.isEmpty ? "?" : String(tag.prefix(3))))"
        }
        while let scalar = scalars.first {
            scalars = scalars.dropFirst()
            if released {
                current.append(scalar)
                released = false
                continue
            }
            if !started, scalar == "\r" || scalar == "\n" { continue }  // blank lines between segments
            started = true
            switch scalar {
            case syntax.releaseCharacter:
                released = true
            case syntax.componentSeparator:
                elements[elements.count - 1].append(String(current))
                current = String.UnicodeScalarView()
            case syntax.elementSeparator:
                elements[elements.count - 1].append(String(current))
                current = String.UnicodeScalarView()
                elements.append([])
            case syntax.segmentTerminator:
                elements[elements.count - 1].append(String(current))
                current = String.UnicodeScalarView()
                let tag = elements.removeFirst()
                let name = tag.first ?? ""
                guard name.utf8.count == 3, name.utf8.allSatisfy({ (65...90).contains($0) }), tag.count == 1 else {
                    throw DiariumError(.invalidField, "'\(name)' is not a segment tag (three upper-case letters)",
                                       field: "segment \(segments.count + 1) (\(name.isEmpty ? "?" : String(name.prefix(3))))")
                }
                segments.append(EDIFACTSegment(name, trimmed(elements), index: segments.count + 1))
                elements = [[]]
                started = false
                while let next = scalars.first, next == "\r" || next == "\n" { scalars = scalars.dropFirst() }
            default:
                current.append(scalar)
            }
        }
        if released {
            throw DiariumError(.invalidField, "the interchange ends with a release character", field: "segment \(label())")
        }
        if started {
            throw DiariumError(.invalidField, "the last segment is not terminated by \(syntax.segmentTerminator)",
                               field: "segment \(label())")
        }
        return (syntax, segments)
    }
}

/// ISO 8859-1, the character repertoire and encoding of syntax level UNOC.
enum Latin1 {
    /// Graphic characters of ISO 8859-1 only: C0 and C1 controls are not in UNOC's repertoire.
    static func encode(_ text: String, field: String) throws(DiariumError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard isGraphic(scalar) else {
                throw .invalid(field, "\(field): '\(Character(scalar))' (U+\(String(scalar.value, radix: 16, uppercase: true))) cannot be written in UNOC (ISO 8859-1)")
            }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }

    static func isGraphic(_ scalar: Unicode.Scalar) -> Bool {
        (0x20...0x7E).contains(scalar.value) || (0xA0...0xFF).contains(scalar.value)
    }

    static func decode(_ bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}
