/// A register kept by a board or committee (diarieserie), e.g. `KS`, `BUN`, `SBN`.
///
/// Upper-case ASCII letters and digits, starting with a letter, 1–12 characters: the code is part of every
/// case number printed on paper, so it must survive any system it is copied into.
public struct SeriesCode: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public init(parsing text: String, field: String = "series") throws(DiariumError) {
        guard let code = SeriesCode(rawValue: text) else {
            throw .invalid(field, "invalid series code '\(text)': use 1–12 upper-case letters A–Z or digits, starting with a letter (e.g. KS)")
        }
        self = code
    }

    /// A case or document number as a person types it, the series in any case (`ks 2026/14-3`): the ASCII letters
    /// before the first space upper-cased, the rest as typed. Codes are ASCII upper-case by rule, so no other number
    /// is reached (Unicode's upper-casing would make "kſ" KS).
    public static func uppercasingSeries(of number: String) -> String {
        guard let space = number.firstIndex(of: " "), space != number.startIndex else { return number }
        let series = number[..<space].unicodeScalars.map { ("a"..."z").contains($0) ? Unicode.Scalar($0.value - 32)! : $0 }
        return String(String.UnicodeScalarView(series)) + number[space...]
    }

    /// A case or document number typed with its series in lower case, as it should be spelled ("ks 2026/14-3" →
    /// "KS 2026/14-3"); nil for anything else. For free-text lookups (an audit object), where a lower-case number
    /// would otherwise match nothing and say nothing.
    public static func correctedNumber(_ text: String) -> String? {
        let upper = uppercasingSeries(of: text)
        guard upper != text, CaseNumber.parse(Substring(upper)) != nil || DocumentNumber.parse(upper) != nil else { return nil }
        return upper
    }

    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...12).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) else {
            return false
        }
        return bytes.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = SeriesCode(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid series code '\(text)'"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
