/// An organisation named in an information package: the archival creator (arkivbildare) whose records these are,
/// the body submitting them, or the archive preserving them. E-ARK SIP and FGS Paketstruktur name each in METS
/// `metsHdr/agent` with an optional identification code.
public struct Organisation: Sendable, Equatable, Codable {
    public let name: String
    /// The identification code with its scheme (`ORG:2120001355` for a Swedish organisationsnummer, as FGS writes
    /// it; `VAT:SE…`, `ISIL:…` and the like as given).
    public let code: String?

    /// Whether two descriptions name the same organisation: by their codes when both have one, else by name.
    public func isSame(as other: Organisation) -> Bool {
        if let code, let otherCode = other.code { return code == otherCode }
        return name.lowercased() == other.name.lowercased()
    }

    /// Checks and normalises: the name is a line of at most 200 characters; a code given as a bare
    /// organisationsnummer (`212000-1355`, `2120001355`) or as `ORG:…` must have a valid check digit and becomes
    /// `ORG:` and its ten digits; any other code must name its scheme (`SCHEME:value`). `field`, when given,
    /// prefixes the fields an error names (`submitter.code`; `code` without it).
    public init(name: String, code: String? = nil, field: String? = nil) throws(DiariumError) {
        let prefix = field.map { $0 + "." } ?? ""
        self.name = try TextRules.line(name, field: prefix + "name", maxLength: 200)
        guard let code = try TextRules.optionalLine(code, field: prefix + "code", maxLength: 100) else {
            self.code = nil
            return
        }
        self.code = try Self.normalisedCode(code, field: prefix + "code")
    }

    private enum Keys: String, CodingKey { case name, code }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let path = decoder.codingPath.map(\.stringValue).joined(separator: ".")
        // A code is a string or absent: null is refused as the wrong type, as JSON Schema says.
        let code = c.contains(.code) ? try c.decode(String.self, forKey: .code) : nil
        try self.init(name: try c.decode(String.self, forKey: .name), code: code, field: path.isEmpty ? nil : path)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(code, forKey: .code)
    }

    static func normalisedCode(_ code: String, field: String) throws(DiariumError) -> String {
        // The scheme in any case: "org:" is FGS's ORG too, and its number is checked.
        let isORG = code.utf8.count >= 4 && code.prefix(4).uppercased() == "ORG:"
        let digits = isORG ? String(code.dropFirst(4)) : code
        if let number = Self.organisationsnummer(digits) {
            guard Self.luhnValid(number) else {
                throw .invalid(field, "\(code) is not an organisationsnummer: its check digit is wrong")
            }
            return "ORG:" + number
        }
        if isORG {
            throw .invalid(field, "\(code): ORG: is followed by an organisationsnummer, ten digits (NNNNNN-NNNN)")
        }
        guard let colon = code.firstIndex(of: ":"), colon != code.startIndex, code.index(after: colon) != code.endIndex,
              code[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
              !code.unicodeScalars.contains(where: { $0.properties.generalCategory == .spaceSeparator }) else {
            throw .invalid(field, "\(code) is neither an organisationsnummer (NNNNNN-NNNN) nor a code with its scheme "
                + "(letters and digits, a colon, the code without spaces: VAT:SE212000135501)")
        }
        return code
    }

    /// The ten digits of `NNNNNN-NNNN` or `NNNNNNNNNN`, nil for anything else.
    static func organisationsnummer(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        if bytes.count == 10, bytes.allSatisfy(isDigit) { return text }
        if bytes.count == 11, bytes[6] == UInt8(ascii: "-"), bytes[..<6].allSatisfy(isDigit), bytes[7...].allSatisfy(isDigit) {
            return String(decoding: bytes[..<6] + bytes[7...], as: UTF8.self)
        }
        return nil
    }

    /// The Luhn check Swedish personnummer and organisationsnummer carry in their last digit.
    static func luhnValid(_ digits: String) -> Bool {
        var sum = 0
        for (i, byte) in digits.utf8.reversed().enumerated() {
            var d = Int(byte) - 0x30
            if i % 2 == 1 { d *= 2; if d > 9 { d -= 9 } }
            sum += d
        }
        return sum % 10 == 0
    }
}
