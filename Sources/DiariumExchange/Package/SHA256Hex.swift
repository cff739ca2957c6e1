import Crypto

/// Lower-case hex SHA-256, the spelling METS `CHECKSUM`, PREMIS and BagIt manifests use.
public enum SHA256Hex {
    public static func of(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Incremental hashing of streamed content.
    public struct Hasher {
        var state = SHA256()
        public private(set) var count: Int64 = 0
        public init() {}
        public mutating func update(_ chunk: UnsafeRawBufferPointer) {
            state.update(bufferPointer: chunk)
            count += Int64(chunk.count)
        }
        public func finalize() -> String { SHA256Hex.hex(state.finalize()) }
    }
}
