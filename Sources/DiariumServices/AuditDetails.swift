import Foundation

/// Builds the compact, key-sorted JSON stored in an audit event's `details`. Identifiers, sizes, digests and
/// field names only: never titles, parties or content, which may be restricted.
struct AuditDetails {
    private var values: [String: Value] = [:]

    enum Value: Encodable {
        case string(String), int(Int64), bool(Bool), strings([String])
        /// Objects of the same kind (a case import's kept descriptions), each written as `json` writes it.
        case objects([AuditDetails])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            case .strings(let value): try container.encode(value)
            case .objects(let value): try container.encode(value.map(\.values))
            }
        }
    }

    subscript(key: String) -> Value? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// What `JSONEncoder` writes with sorted keys and unescaped slashes, written directly: one of these is built in
    /// every write transaction, and the encoder's boxing cost more than the rest of the event.
    var json: String {
        var out = "{"
        for (n, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
            if n > 0 { out += "," }
            Self.quote(key, into: &out)
            out += ":"
            switch value {
            case .string(let value): Self.quote(value, into: &out)
            case .int(let value): out += String(value)
            case .bool(let value): out += value ? "true" : "false"
            case .strings(let value):
                out += "["
                for (i, item) in value.enumerated() {
                    if i > 0 { out += "," }
                    Self.quote(item, into: &out)
                }
                out += "]"
            case .objects(let value):
                out += "[" + value.map(\.json).joined(separator: ",") + "]"
            }
        }
        return out + "}"
    }

    /// RFC 8259 §7: quotation mark, reverse solidus and control characters escaped, the rest as it is.
    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
