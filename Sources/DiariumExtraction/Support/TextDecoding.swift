/// Decodes UTF-8 that arrives in chunks, which may split a character.
struct UTF8ChunkDecoder {
    /// Invalid input: nil from `decode` (validating) or U+FFFD (repairing, for tools that promise UTF-8).
    let repairs: Bool
    private var carry: [UInt8] = []

    init(repairs: Bool) {
        self.repairs = repairs
    }

    /// The text of the complete characters so far; nil if the bytes are not UTF-8 (validating mode only).
    mutating func decode(_ chunk: some Collection<UInt8>, isLast: Bool = false) -> String? {
        var bytes = carry
        bytes.append(contentsOf: chunk)
        let cut = isLast ? bytes.count : Self.completePrefix(bytes)
        carry = Array(bytes[cut...])
        let complete = bytes[..<cut]
        if repairs { return String(decoding: complete, as: UTF8.self) }
        return String(validating: complete, as: UTF8.self)
    }

    /// Length of the prefix that does not end inside a multi-byte sequence.
    private static func completePrefix(_ bytes: [UInt8]) -> Int {
        var start = bytes.count
        // Back over at most 3 continuation bytes to the lead byte of the last sequence.
        while start > 0, bytes.count - start < 4, bytes[start - 1] & 0xC0 == 0x80 { start -= 1 }
        guard start > 0 else { return bytes.count }
        let lead = bytes[start - 1]
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        // Incomplete: keep it for the next chunk. Anything else (complete or invalid) is decided now.
        return start - 1 + length > bytes.count ? start - 1 : bytes.count
    }
}

/// Windows-1252, the usual encoding of older Swedish text files: Latin-1 plus typographic characters in 0x80–0x9F.
enum Windows1252 {
    // The five unassigned bytes map to the C1 controls of the same value (as WHATWG does); the index treats them as spaces.
    private static let high: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    static func decode(_ bytes: some Sequence<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value = (0x80...0x9F).contains(byte) ? high[Int(byte) - 0x80] : UInt32(byte)
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }
}

/// UTF-16 with a byte order mark (what Windows calls "Unicode"), arriving in chunks.
struct UTF16ChunkDecoder {
    let bigEndian: Bool
    private var carry: [UInt8] = []

    init(bigEndian: Bool) {
        self.bigEndian = bigEndian
    }

    mutating func decode(_ chunk: some Collection<UInt8>, isLast: Bool = false) -> String {
        var bytes = carry
        bytes.append(contentsOf: chunk)
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = 0
        while index + 1 < bytes.count {
            let (a, b) = (UInt16(bytes[index]), UInt16(bytes[index + 1]))
            units.append(bigEndian ? a << 8 | b : b << 8 | a)
            index += 2
        }
        var keep = bytes.count - index
        // A high surrogate at the end waits for its partner.
        if !isLast, let last = units.last, UTF16.isLeadSurrogate(last) {
            units.removeLast()
            keep += 2
        }
        carry = isLast ? [] : Array(bytes.suffix(keep))
        return String(decoding: units, as: UTF16.self)
    }
}
