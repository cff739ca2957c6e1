import Crypto
import DiariumCore
import Foundation

/// The hash chain over audit events. Documented in `Storage/README.md` so an archivist can recompute it
/// with any SHA-256 tool: the fields joined by U+001F (unit separator), UTF-8, hashed, lower-case hex.
public enum AuditChain {
    public static let genesisHash = String(repeating: "0", count: 64)
    static let separator = "\u{1F}"

    public static func hash(sequence: Int64, at: String, actor: String, action: String, object: String,
                            version: Int?, details: String, previousHash: String) -> String {
        let fields = [String(sequence), at, actor, action, object, version.map(String.init) ?? "", details, previousHash]
        let digest = SHA256.hash(data: Data(fields.joined(separator: separator).utf8))
        return BlobStore.hex(digest)
    }

    /// Audit fields must not contain the separator, or two different events could hash alike.
    static func checkField(_ value: String, name: String) throws(DiariumError) {
        if value.contains(separator) || value.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw DiariumError(.invalidField, "\(name) must not contain control characters", field: name)
        }
    }
}
