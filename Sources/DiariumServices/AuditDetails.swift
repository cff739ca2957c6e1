import Foundation

/// Builds the compact, key-sorted JSON stored in an audit event's `details`. Identifiers, sizes, digests and
/// field names only: never titles, parties or content, which may be restricted.
struct AuditDetails {
    private var values: [String: Value] = [:]

    enum Value: Encodable {
        case string(String), int(Int64), bool(Bool), strings([String])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            case .strings(let value): try container.encode(value)
            }
        }
    }

    subscript(key: String) -> Value? {
        get { values[key] }
        set { values[key] = newValue }
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(values)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
