/// A document's number within its case, e.g. `KS 2026/14-3` (the third document registered in `KS 2026/14`).
public struct DocumentNumber: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let caseNumber: CaseNumber
    public let ordinal: Int

    public init(caseNumber: CaseNumber, ordinal: Int) {
        self.caseNumber = caseNumber
        self.ordinal = ordinal
    }

    public init(parsing text: String, field: String = "number") throws(DiariumError) {
        guard let parsed = Self.parse(text) else {
            throw DiariumError(.invalidNumber, "invalid document number '\(text)': expected SERIES YEAR/SERIAL-ORDINAL, e.g. \"KS 2026/14-3\""
                               + CaseNumber.upperCaseHint(text, valid: { Self.parse($0) != nil })
                               // A case's number where a document's belongs: say which is which.
                               + (CaseNumber.parse(Substring(SeriesCode.uppercasingSeries(of: text))) != nil
                                  ? "; '\(text)' is a case's number: its documents are numbered -1, -2, …" : ""), field: field)
        }
        self = parsed
    }

    static func parse(_ text: String) -> DocumentNumber? {
        guard let dash = text.lastIndex(of: "-"),
              let caseNumber = CaseNumber.parse(text[..<dash]),
              let ordinal = strictInt(text[text.index(after: dash)...]), ordinal >= 1
        else { return nil }
        return DocumentNumber(caseNumber: caseNumber, ordinal: ordinal)
    }

    /// The number the next document of a case gets, or an error when the case has run out of numbers
    /// (ordinals are bounded like serials: `CaseNumber.maxSerial`).
    public static func next(in caseNumber: CaseNumber, ordinal: Int) throws(DiariumError) -> DocumentNumber {
        guard ordinal <= CaseNumber.maxSerial else {
            throw DiariumError(.invalidState, "case \(caseNumber) has no document number left: "
                               + "\(caseNumber)-\(CaseNumber.maxSerial) is the largest a document number can be", field: "case")
        }
        return DocumentNumber(caseNumber: caseNumber, ordinal: ordinal)
    }

    public var description: String { "\(caseNumber)-\(ordinal)" }

    public static func < (a: Self, b: Self) -> Bool {
        (a.caseNumber, a.ordinal) < (b.caseNumber, b.ordinal)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
