import Foundation

/// An audit event as a reader may see it.
///
/// The chain hashes go only to readers who see every event in full (`AccessPolicy.seesAuditChain`): a hash covers
/// the unredacted details, so with the neighbouring hash it would confirm a guessed content digest that redaction
/// left out. For a reader without clearance, an event about content they may not download loses its `sha256` and
/// `size` (a digest confirms a guessed text) and says `redacted`.
public struct AuditEventView: Codable, Hashable, Sendable {
    public let sequence: Int64
    public let at: Date
    public let actor: String
    public let action: AuditAction
    public let object: String
    public let version: Int?
    public let details: String
    public let previousHash: String?
    public let hash: String?
    public let redacted: Bool?

    public init(_ event: AuditEvent, showsChain: Bool, redactContent: Bool) {
        sequence = event.sequence
        at = event.at
        actor = event.actor
        action = event.action
        object = event.object
        version = event.version
        previousHash = showsChain ? event.previousHash : nil
        hash = showsChain ? event.hash : nil
        if redactContent, let stripped = Self.withoutContentDigest(event.details) {
            details = stripped
            redacted = true
        } else {
            details = event.details
            redacted = nil
        }
    }

    /// The details without `sha256` and `size`, nil when they have neither.
    static func withoutContentDigest(_ details: String) -> String? {
        guard var object = try? JSONSerialization.jsonObject(with: Data(details.utf8)) as? [String: Any],
              object["sha256"] != nil || object["size"] != nil
        else { return nil }
        object["sha256"] = nil
        object["size"] = nil
        object["redacted"] = true
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
