import DiariumCore
import Foundation
import Hummingbird

/// A request's query parameters, checked against the names a route takes. Each problem is a `DiariumError` naming
/// the parameter, so it becomes a 400 that says which one.
struct QueryParameters {
    private var values: [String: String] = [:]

    /// Parses `a=1&b=x+y`: `+` is a space (HTML forms) and `%XX` is decoded. Refuses unknown and repeated names.
    init(_ request: Request, allowed: Set<String>) throws(DiariumError) {
        guard let query = request.uri.query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], parameter: String(parts[0]))
            guard allowed.contains(name) else {
                throw .invalid(name, "unknown parameter '\(name)' (this resource takes \(allowed.sorted().joined(separator: ", ")))")
            }
            guard values[name] == nil else { throw .invalid(name, "the parameter '\(name)' is given more than once") }
            values[name] = try parts.count > 1 ? Self.decode(parts[1], parameter: name) : ""
        }
    }

    static func decode(_ text: Substring, parameter: String) throws(DiariumError) -> String {
        guard let decoded = text.percentDecoded(plusIsSpace: true) else {
            throw .invalid(parameter, "the parameter '\(parameter)' is not correctly percent-encoded")
        }
        return decoded
    }

    /// The value, nil when absent or empty.
    func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// The value of a typed parameter: nil when absent; given but empty (`?limit=`) is not a value of the type.
    func typed(_ name: String) throws(DiariumError) -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty else { throw .invalid(name, "\(name) is given without a value: leave it out or give one") }
        return value
    }

    func date(_ name: String) throws(DiariumError) -> CalendarDate? {
        guard let text = try typed(name) else { return nil }
        return try CalendarDate(parsing: text, field: name)
    }

    func series(_ name: String) throws(DiariumError) -> SeriesCode? {
        guard let text = try typed(name) else { return nil }
        return try SeriesCode(parsing: text, field: name)
    }

    func bool(_ name: String, default value: Bool) throws(DiariumError) -> Bool {
        guard let text = try typed(name) else { return value }
        switch text {
        case "true": return true
        case "false": return false
        default: throw .invalid(name, "\(name) is true or false, not '\(text)'")
        }
    }

    func int64(_ name: String, default value: Int64) throws(DiariumError) -> Int64 {
        guard let text = try typed(name) else { return value }
        guard let number = Int64(text), number >= 0 else { throw .invalid(name, "\(name) must be a whole number from 0, not '\(text)'") }
        return number
    }

    func int(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(DiariumError) -> Int {
        guard let text = try typed(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw .invalid(name, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return number
    }
}
