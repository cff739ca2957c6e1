import Foundation
import Synchronization

/// Request counts and latency histograms by route, method and status, written in the Prometheus text format.
/// One lock around a small dictionary: a few hundred series at most, updated once per request.
public final class HTTPMetrics: Sendable {
    /// Histogram bucket bounds in seconds (upper bounds, inclusive).
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Key: Hashable, Comparable {
        let route: String
        let method: String
        let status: Int

        static func < (a: Key, b: Key) -> Bool { (a.route, a.method, a.status) < (b.route, b.method, b.status) }
    }

    struct Series {
        var count = 0
        var sum = 0.0
        /// Per bucket, the requests that fell in it (not cumulative; summed when written).
        var bucketCounts = [Int](repeating: 0, count: HTTPMetrics.buckets.count)

        mutating func record(_ seconds: Double) {
            count += 1
            sum += seconds
            if let index = HTTPMetrics.buckets.firstIndex(where: { seconds <= $0 }) { bucketCounts[index] += 1 }
        }
    }

    private let series = Mutex<[Key: Series]>([:])
    /// Connections, counted by the channel handlers (`ConnectionMetricsHandler`, `RefusedBodyHandler`).
    let connections = ConnectionMetrics()
    /// The server's own deliveries of outbox interchanges (`RedeliveryService`).
    let redelivery = RedeliveryMetrics()

    public init() {}

    func record(route: String, method: String, status: Int, seconds: Double) {
        let key = Key(route: route, method: method, status: status)
        // In place: a copy taken out and stored back would copy its bucket array (an allocation) on every request.
        series.withLock { all in all[key, default: Series()].record(seconds) }
    }

    /// The Prometheus text exposition format, version 0.0.4.
    func exposition() -> String {
        let snapshot = series.withLock { $0 }
        let keys = snapshot.keys.sorted()
        var out = """
            # HELP diarium_http_requests_total HTTP requests answered, by route template, method and status.
            # TYPE diarium_http_requests_total counter

            """
        for key in keys {
            out += "diarium_http_requests_total{\(labels(key))} \(snapshot[key]!.count)\n"
        }
        out += """
            # HELP diarium_http_request_duration_seconds Time to produce the response head, by route template, method and status.
            # TYPE diarium_http_request_duration_seconds histogram

            """
        for key in keys {
            let entry = snapshot[key]!
            var cumulative = 0
            for (bound, count) in zip(Self.buckets, entry.bucketCounts) {
                cumulative += count
                out += "diarium_http_request_duration_seconds_bucket{\(labels(key)),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "diarium_http_request_duration_seconds_bucket{\(labels(key)),le=\"+Inf\"} \(entry.count)\n"
            out += "diarium_http_request_duration_seconds_sum{\(labels(key))} \(entry.sum)\n"
            out += "diarium_http_request_duration_seconds_count{\(labels(key))} \(entry.count)\n"
        }
        return out + connections.exposition() + redelivery.exposition()
    }

    private func labels(_ key: Key) -> String {
        "route=\"\(Self.escape(key.route))\",method=\"\(Self.escape(key.method))\",status=\"\(key.status)\""
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
