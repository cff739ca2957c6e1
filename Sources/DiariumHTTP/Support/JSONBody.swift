import DiariumCore
import DiariumExchange
import DiariumServices
import Foundation
import Hummingbird
import Logging
import NIOCore

/// A JSON request body's type: the keys it takes (any other is refused by name) and those allowed inside its
/// object-valued fields (`restriction`).
protocol RequestBody: Decodable, Sendable {
    static var keys: Set<String> { get }
    static var nested: [String: Set<String>] { get }
}

extension RequestBody {
    static var nested: [String: Set<String>] { [:] }
}

/// Reads a JSON request body strictly: at most `limit` bytes, an object, only the keys the resource takes, and
/// types as declared. Every problem is a `DiariumError` naming the field, so it becomes a 400 that says which one.
package enum JSONBody {
    static let limit = 1 << 20

    static func decode<T: RequestBody>(_ type: T.Type, from request: Request, emptyAllowed: Bool = false) async throws -> T {
        try checkJSONContentType(request, emptyAllowed: emptyAllowed)
        let buffer = try await collect(request)
        if buffer.readableBytes == 0 && emptyAllowed { return try decode(type, Data("{}".utf8)) }
        return try decode(type, Data(buffer.readableBytesView))
    }

    static func decode<T: RequestBody>(_ type: T.Type, _ data: Data) throws -> T {
        try decode(type, data, allowed: T.keys, nested: T.nested)
    }

    /// For actions that take no input (verify, close a case): no body, or `{}`. Anything else is a client mistake
    /// worth telling (a field the action does not have), not something to ignore.
    static func requireNone(_ request: Request) async throws {
        let buffer = try await collect(request)
        // `curl -d '{}'` sends a form type: an empty object is nothing whatever it is called.
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self).filter { !$0.isWhitespace }
        guard !text.isEmpty, text != "{}" else { return }
        try checkJSONContentType(request, emptyAllowed: false)
        struct Nothing: Decodable {}
        _ = try decode(Nothing.self, Data(buffer.readableBytesView), allowed: [])
    }

    static func collect(_ request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem(status: .contentTooLarge, code: "content-too-large", title: "Content too large",
                          detail: "A JSON body may have at most \(limit) bytes.")
        }
    }

    static func checkJSONContentType(_ request: Request, emptyAllowed: Bool) throws {
        guard let type = request.headers[.contentType] else {
            if emptyAllowed { return }
            throw DiariumError.invalid("Content-Type", "send the body as application/json")
        }
        let media = MediaTypes.essence(of: type).lowercased()
        guard media == "application/json" else {
            throw Problem(status: .unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported media type",
                          detail: "This resource takes application/json, not \(media).", field: "Content-Type")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, allowed: Set<String>, nested: [String: Set<String>] = [:]) throws -> T {
        // UTF-8, as RFC 8259 asks of JSON between systems. Foundation would also read UTF-16 and UTF-32, which the
        // checks on the bytes below (duplicate keys) do not: no NUL byte (none in UTF-8 JSON) and no other form.
        guard !data.contains(0), String(validating: data, as: UTF8.self) != nil else {
            throw DiariumError.invalid("body", "the body must be JSON in UTF-8")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            // Foundation's reason says where, and whether the text is valid JSON past a reader's limit (nesting too
            // deep, a number no double holds) rather than broken: given when there is one.
            let reason = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String).map { ": \($0.prefix(200))" } ?? ""
            throw DiariumError.invalid("body", "the body could not be read as JSON\(reason)")
        }
        guard let dictionary = object as? [String: Any] else { throw DiariumError.invalid("body", "the body must be a JSON object") }
        if let twice = JSONDuplicateKeys.first(in: data) {
            throw DiariumError.invalid(twice.isEmpty ? "body" : twice, "the field '\(twice)' is given twice: give each field once")
        }
        if let unknown = dictionary.keys.sorted().first(where: { !allowed.contains($0) }) {
            // A key "" is named by where it is, not by itself: an empty field name tells a client nothing.
            throw DiariumError.invalid(unknown.isEmpty ? "body" : unknown,
                                       "unknown field '\(unknown)' " + (allowed.isEmpty ? "(this object takes no fields)"
                                                                         : "(this resource takes \(allowed.sorted().joined(separator: ", ")))"))
        }
        for (key, keys) in nested {
            guard let inner = dictionary[key] as? [String: Any] else { continue }
            if let unknown = inner.keys.sorted().first(where: { !keys.contains($0) }) {
                throw DiariumError.invalid(unknown.isEmpty ? key : "\(key).\(unknown)",
                                           "unknown field '\(key).\(unknown)' (\(key) takes \(keys.sorted().joined(separator: ", ")))")
            }
        }
        do {
            return try JSONCoding.decoder().decode(type, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let field = unrepresentableNumber(in: dictionary) {
                throw DiariumError.invalid(field, "\(field) must be a whole number (an integer that fits in 64 bits)")
            }
            throw describe(error)
        } catch let error as DiariumError {
            throw error
        }
    }

    /// A decoding error as "field: what was wrong", in words a client can act on.
    static func describe(_ error: DecodingError) -> DiariumError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .invalid(field, "\(field) is required")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .invalid(field.isEmpty ? "body" : field, "\(field) has the wrong type (expected \(typeName(type)))")
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .invalid(field.isEmpty ? "body" : field, "\(field) must not be null (expected \(typeName(type)))")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if let (typeName, value) = invalidEnumValue(context.debugDescription), let allowed = enumValues[typeName] {
                return .invalid(field.isEmpty ? "body" : field, "\(field): '\(value)' is not one of \(allowed.joined(separator: ", "))")
            }
            return .invalid(field.isEmpty ? "body" : field, field.isEmpty ? context.debugDescription : "\(field): \(context.debugDescription)")
        @unknown default:
            return .invalid("body", "the body does not match the expected shape")
        }
    }

    /// Foundation reports a number that fits no integer (1.5, 1e20) as "not valid JSON" without a path, though
    /// JSONSerialization read it: the first such number is the field to name. (Bodies hold no fractional fields.)
    static func unrepresentableNumber(in value: Any, path: String = "") -> String? {
        if let object = value as? [String: Any] {
            for key in object.keys.sorted() {
                if let found = unrepresentableNumber(in: object[key]!, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
        } else if let array = value as? [Any] {
            for (index, item) in array.enumerated() {
                if let found = unrepresentableNumber(in: item, path: "\(path)[\(index)]") { return found }
            }
        } else if !(value is Bool), !(value is String), let number = value as? NSNumber {
            let double = number.doubleValue
            if number is NSDecimalNumber || double != double.rounded() || abs(double) >= 9.2e18 { return path }
        }
        return nil
    }

    /// The allowed values of the enumerations a request body may hold, by Swift type name.
    static let enumValues: [String: [String]] = [
        "RecordType": RecordType.allCases.map(\.rawValue), "Direction": Direction.allCases.map(\.rawValue),
        "DocumentStatus": DocumentStatus.allCases.map(\.rawValue), "CaseStatus": CaseStatus.allCases.map(\.rawValue),
        "Role": Role.allCases.map(\.rawValue), "Kind": AccessRestriction.Kind.allCases.map(\.rawValue),
        "Part": AccessRestriction.Part.allCases.map(\.rawValue),
        "PackageFormat": PackageFormat.allCases.map(\.rawValue), "Versions": ExportRequest.Versions.allCases.map(\.rawValue),
        "Action": RetentionRule.Action.allCases.map(\.rawValue),
    ]

    /// Foundation's "Cannot initialize RecordType from invalid String value memo" as (type, value): the wording is
    /// Swift's, not the client's.
    static func invalidEnumValue(_ description: String) -> (String, String)? {
        let prefix = "Cannot initialize ", middle = " from invalid String value "
        guard description.hasPrefix(prefix), let range = description.range(of: middle) else { return nil }
        return (String(description[description.index(description.startIndex, offsetBy: prefix.count)..<range.lowerBound]),
                String(description[range.upperBound...]))
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        default: "\(type)".contains("Dictionary") ? "an object" : "\(type)".contains("Array") ? "an array" : "a string"
        }
    }
}

/// A JSON field that may be absent (leave unchanged), null (clear) or a value (set): for PATCH bodies.
enum Patch<Value: Decodable & Sendable>: Sendable {
    case absent, clear, set(Value)

    var change: Value?? {
        switch self {
        case .absent: nil
        case .clear: .some(nil)
        case .set(let value): .some(value)
        }
    }
}

extension KeyedDecodingContainer {
    /// A field that may be left out but not cleared: `null` is refused, naming the field, rather than read as
    /// "no change".
    func decodeUnlessNull<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DiariumError.invalid(key.stringValue, "\(key.stringValue) cannot be cleared (null): give a value or leave it out")
        }
        return try decode(Value.self, forKey: key)
    }

    func decodePatch<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Patch<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .clear }
        return .set(try decode(Value.self, forKey: key))
    }
}

extension JSONBody {
    /// What a client gets for one body: nil when it was read, else the problem's status and the field it names.
    package typealias Outcome = (body: String, refusal: (status: Int, field: String?, error: String)?)

    /// Reads `bytes` as every JSON body the API takes, with the checks that follow before a store is touched (a
    /// registration's metadata, a retention rule, an export's selection), and maps each refusal as the API does. For
    /// the fuzz target, which holds every refusal to a 4xx that names a field: a 500 would be the server's fault.
    package static func outcomes(reading bytes: [UInt8]) -> [Outcome] {
        let logger = Logger(label: "diarium.fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        let data = Data(bytes)
        let readers: [(String, () throws -> Void)] = [
            ("register", { _ = try APIRoutes.registerBody(ByteBuffer(bytes: bytes)).metadata }),
            ("patch", { _ = try decode(APIRoutes.MetadataPatchBody.self, data) }),
            ("comment", { _ = try decode(APIRoutes.CommentBody.self, data) }),
            ("user", { _ = try decode(APIRoutes.NewUserBody.self, data) }),
            ("user-patch", { _ = try decode(APIRoutes.UserPatchBody.self, data) }),
            ("token", { _ = try decode(APIRoutes.NewTokenBody.self, data) }),
            ("series", { _ = try decode(APIRoutes.NewSeriesBody.self, data) }),
            ("case", { _ = try decode(APIRoutes.NewCaseBody.self, data).restriction?.restriction() }),
            ("case-patch", { _ = try decode(APIRoutes.CasePatchBody.self, data).caseChange() }),
            ("retention", {
                let body = try decode(APIRoutes.RetentionRuleBody.self, data)
                _ = try RetentionRule(series: SeriesCode(rawValue: "KS")!, recordType: nil, action: body.action, years: body.years,
                                      mandate: body.mandate, schedule: body.schedule)
            }),
            ("class", { _ = try decode(APIRoutes.ClassBody.self, data).item(code: "2.4") }),
            ("export", { _ = try decode(APIRoutes.ExportBody.self, data).selection() }),
            ("organisation", { _ = try decode(APIRoutes.OrganisationBody.self, data) }),
            ("hold", { _ = try decode(APIRoutes.NewHoldBody.self, data).holdTarget() }),
            ("hold-release", { _ = try TextRules.optionalLine(try decode(APIRoutes.ReleaseBody.self, data).reason, field: "reason",
                                                              maxLength: LegalHold.maxReasonLength) }),
            ("disposal", { _ = try decode(APIRoutes.DisposalBody.self, data).selection() }),
        ]
        return readers.map { name, read in
            do {
                try read()
                return (name, nil)
            } catch {
                let problem = Problem.from(error, logger: logger)
                return (name, (Int(problem.status.code), problem.field, String(describing: error)))
            }
        }
    }
}
