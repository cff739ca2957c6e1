import DiariumCore
import Foundation
import Hummingbird
import Logging

/// A request's query parameters, checked against the names a route takes. Each problem is a `DiariumError` naming
/// the parameter, so it becomes a 400 that says which one.
package struct QueryParameters {
    private(set) var values: [String: String] = [:]

    /// Parses `a=1&b=x+y`: `+` is a space (HTML forms) and `%XX` is decoded. Refuses unknown and repeated names,
    /// but for those `ignoring` passes over.
    init(_ request: Request, allowed: Set<String>, ignoring: (String) -> Bool = { _ in false }) throws(DiariumError) {
        try self.init(query: request.uri.query, allowed: allowed, ignoring: ignoring)
    }

    init(query: String?, allowed: Set<String>, ignoring: (String) -> Bool = { _ in false }) throws(DiariumError) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], parameter: parts[0].isEmpty ? "query" : String(parts[0]))
            // `=x` (or `%20=x`): nothing to name the problem by but the query itself.
            guard !name.isEmpty else { throw .invalid("query", "the query has a value without a parameter name: '\(pair)'") }
            if !allowed.contains(name) && ignoring(name) { continue }
            guard allowed.contains(name) else {
                throw .invalid(name, "unknown parameter '\(name)' " + (allowed.isEmpty ? "(this resource takes no query parameters)"
                                                                            : "(this resource takes \(allowed.sorted().joined(separator: ", ")))"))
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
        try int(name, in: range) ?? value
    }

    /// nil when not given.
    func int(_ name: String, in range: ClosedRange<Int>) throws(DiariumError) -> Int? {
        guard let text = try typed(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw .invalid(name, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return number
    }
}

extension QueryParameters {
    /// Every set of names a route takes, for the fuzz target.
    package static let routeParameterSets: [Set<String>] = [
        [], ["from", "to", "series", "limit", "after"], ["q", "limit", "after"], ["q", "limit", "after", "facets"], ["after", "limit"],
        ["object", "after", "limit"], ["filename", "comment"], ["dryRun", "intoSeries", "intoCase", "filename"],
        ["asOf", "series", "after", "limit"], ["on", "all", "after", "limit"], ["series", "from", "to"], ["series"],
        ["series", "status", "year", "after", "limit"], ["asOf", "series", "limit"], ["after"], ["state", "series", "after", "limit"],
        ["direction", "party", "limit"],
        // The public pages' forms.
        ["series", "from", "to", "after"], ["q", "after"],
    ]

    /// Reads `query` for every route's set of names and every parameter as every type a route reads: each refusal
    /// as the API maps it (status, field), and for a query a route takes, its values written back as a query and
    /// read again (they must come back the same).
    package static func outcomes(query: String) -> [(refusal: (status: Int, field: String?)?, roundTrip: Bool)] {
        let logger = Logger(label: "diarium.fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        func refusal(_ error: DiariumError) -> (status: Int, field: String?) {
            let problem = Problem.from(error, logger: logger)
            return (Int(problem.status.code), problem.field)
        }
        var results: [(refusal: (status: Int, field: String?)?, roundTrip: Bool)] = []
        for allowed in routeParameterSets {
            let parameters: QueryParameters
            do {
                parameters = try QueryParameters(query: query, allowed: allowed)
            } catch {
                results.append((refusal(error), true))
                continue
            }
            let written = parameters.values.sorted { $0.key < $1.key }
                .map { "\($0.key.percentEncoded())=\($0.value.percentEncoded())" }.joined(separator: "&")
            let again = try? QueryParameters(query: written, allowed: allowed)
            results.append((nil, again?.values == parameters.values))
            for name in allowed {
                for read in 0..<6 {
                    do throws(DiariumError) {
                        switch read {
                        case 0: _ = try parameters.typed(name)
                        case 1: _ = try parameters.date(name)
                        case 2: _ = try parameters.series(name)
                        case 3: _ = try parameters.bool(name, default: false)
                        case 4: _ = try parameters.int64(name, default: 0)
                        default: _ = try parameters.int(name, default: 1, in: 1...1000)
                        }
                    } catch {
                        results.append((refusal(error), true))
                    }
                }
            }
        }
        return results
    }
}
