/// A case number (diarienummer) such as `KS 2026/14`: series, year of registration, serial within series and year.
public struct CaseNumber: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let series: SeriesCode
    public let year: Int
    public let serial: Int

    public init(series: SeriesCode, year: Int, serial: Int) {
        self.series = series
        self.year = year
        self.serial = serial
    }

    /// Parses `KS 2026/14`. The spelling without the space (`KS2026/14`) is refused: a series code may end in
    /// digits, so that form is ambiguous.
    public init(parsing text: String, field: String = "case") throws(DiariumError) {
        guard let parsed = Self.parse(Substring(text)) else {
            throw DiariumError(.invalidNumber, "invalid case number '\(text)': expected SERIES YEAR/SERIAL, e.g. \"KS 2026/14\""
                               + Self.upperCaseHint(text, valid: { Self.parse(Substring($0)) != nil }), field: field)
        }
        self = parsed
    }

    /// "; series codes are upper case: KS 2026/14" when that is all that is wrong (an API client that took a
    /// number from a person's typing), else nothing.
    static func upperCaseHint(_ text: String, valid: (String) -> Bool) -> String {
        let upper = SeriesCode.uppercasingSeries(of: text)
        return upper != text && valid(upper) ? "; series codes are upper case: \(upper)" : ""
    }

    static func parse(_ text: Substring) -> CaseNumber? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, let series = SeriesCode(rawValue: String(parts[0])) else { return nil }
        let numbers = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        guard numbers.count == 2,
              let year = strictInt(numbers[0]), (1000...9999).contains(year),
              let serial = strictInt(numbers[1]), serial >= 1
        else { return nil }
        return CaseNumber(series: series, year: year, serial: serial)
    }

    /// The largest serial (and document ordinal, and version number) that is still read back: numbers have at most
    /// 9 digits (`strictInt`), and a printed number nobody can look up again is worse than a refusal.
    public static let maxSerial = 999_999_999

    /// The number the next case of a series and year gets, or an error when the series has run out of numbers.
    public static func next(series: SeriesCode, year: Int, serial: Int) throws(DiariumError) -> CaseNumber {
        guard serial <= maxSerial else {
            throw DiariumError(.invalidState, "series \(series) has no case number left in \(year): "
                               + "\(series) \(year)/\(maxSerial) is the largest a case number can be", field: "series")
        }
        return CaseNumber(series: series, year: year, serial: serial)
    }

    public var description: String { "\(series.rawValue) \(year)/\(serial)" }

    public static func < (a: Self, b: Self) -> Bool {
        (a.series, a.year, a.serial) < (b.series, b.year, b.serial)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Self.parse(Substring(text)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid case number '\(text)'"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Digits only, no sign, no leading zeros, at most 9 digits: numbers are identifiers, and `KS 2026/014`
/// must not silently mean the same case as `KS 2026/14`.
func strictInt(_ text: Substring) -> Int? {
    guard (1...9).contains(text.count), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
        return nil
    }
    if text.count > 1 && text.first == "0" { return nil }
    return Int(text)
}
