/// Where the next page of a search starts. Opaque to users: base64url of `kind:value:fingerprint`, where the
/// fingerprint ties it to the query and view it came from, so a cursor pasted into another query is refused.
public struct SearchCursor: Hashable, Sendable {
    public enum Position: Hashable, Sendable {
        /// Ranked results: how many were already shown.
        case offset(Int)
        /// Newest-first results: the last document row shown.
        case before(Int64)
        /// Oldest-first listings (a case's documents by ordinal): the last one shown.
        case after(Int64)
    }

    public let position: Position
    public let fingerprint: String
    /// No ranked search has more results than this (ranking stops far below it); a larger offset is forged, and
    /// it is refused here so that page arithmetic downstream cannot overflow.
    public static let maximumOffset: Int64 = 1 << 40

    public init(position: Position, fingerprint: String) {
        self.position = position
        self.fingerprint = fingerprint
    }

    public var token: String {
        let raw: String = switch position {
        case .offset(let n): "o:\(n):\(fingerprint)"
        case .before(let id): "b:\(id):\(fingerprint)"
        case .after(let id): "a:\(id):\(fingerprint)"
        }
        return Base64URL.encode(Array(raw.utf8))
    }

    public init(token: String, expectedFingerprint: String) throws(DiariumError) {
        let invalid = DiariumError(.invalidField, "invalid cursor: use the nextCursor value of the previous page of the same search", field: "after")
        guard let bytes = Base64URL.decode(token) else { throw invalid }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let value = Int64(parts[1]), value >= 0 else { throw invalid }
        guard parts[2] == expectedFingerprint else {
            throw DiariumError(.invalidField, "the cursor belongs to another search: repeat the same query to page on", field: "after")
        }
        switch parts[0] {
        case "o":
            guard value <= Self.maximumOffset else { throw invalid }
            position = .offset(Int(value))
        case "b": position = .before(value)
        case "a": position = .after(value)
        default: throw invalid
        }
        fingerprint = expectedFingerprint
    }

    /// A stable 64-bit FNV-1a hash, as hex: the same query and view give the same fingerprint in every process.
    public static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let n = (UInt32(chunk[0]) << 16) | (chunk.count > 1 ? UInt32(chunk[1]) << 8 : 0) | (chunk.count > 2 ? UInt32(chunk[2]) : 0)
            for j in 0..<(chunk.count + 1) { out.append(alphabet[Int((n >> UInt32(18 - 6 * j)) & 63)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt32] = []
        for byte in text.utf8 {
            guard let index = alphabet.firstIndex(of: byte) else { return nil }
            values.append(UInt32(index))
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let chunk = Array(values[i..<min(i + 4, values.count)])
            var n: UInt32 = 0
            for j in 0..<4 { n |= (j < chunk.count ? chunk[j] : 0) << UInt32(18 - 6 * j) }
            for j in 0..<(chunk.count - 1) { out.append(UInt8((n >> UInt32(16 - 8 * j)) & 0xff)) }
            i += 4
        }
        return out
    }
}
