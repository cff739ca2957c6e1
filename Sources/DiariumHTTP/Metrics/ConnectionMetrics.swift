import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Connection counts for `/metrics`: how many are open, how many were accepted, and how many the server ended itself
/// and why. Requests are counted by `HTTPMetrics`; a connection the server closes between requests, or before a
/// request was whole, is seen only here.
public final class ConnectionMetrics: Sendable {
    /// Why the server ended a connection (the `reason` label).
    enum Ending: String, CaseIterable {
        /// Nothing arrived for the idle timeout, between requests (`ServerSettings.idleTimeout`).
        case idle
        /// A request's head or body stopped arriving for the idle timeout.
        case stalled
        /// An error was answered while much of the request body was still to come (`RefusedBodyHandler`).
        case refusedBody = "refused-body"
    }

    private let accepted = Atomic<Int>(0)
    private let gone = Atomic<Int>(0)
    // One per `Ending` (atomics cannot sit in an array).
    private let idle = Atomic<Int>(0)
    private let stalled = Atomic<Int>(0)
    private let refusedBody = Atomic<Int>(0)

    public init() {}

    func opened() { accepted.add(1, ordering: .relaxed) }
    func closed() { gone.add(1, ordering: .relaxed) }
    func ended(_ ending: Ending) {
        switch ending {
        case .idle: idle.add(1, ordering: .relaxed)
        case .stalled: stalled.add(1, ordering: .relaxed)
        case .refusedBody: refusedBody.add(1, ordering: .relaxed)
        }
    }

    func count(_ ending: Ending) -> Int {
        switch ending {
        case .idle: idle.load(ordering: .relaxed)
        case .stalled: stalled.load(ordering: .relaxed)
        case .refusedBody: refusedBody.load(ordering: .relaxed)
        }
    }

    /// The Prometheus text exposition format, version 0.0.4.
    func exposition() -> String {
        let total = accepted.load(ordering: .relaxed)
        var out = """
            # HELP diarium_http_connections_open HTTP connections open now.
            # TYPE diarium_http_connections_open gauge
            diarium_http_connections_open \(max(0, total - gone.load(ordering: .relaxed)))
            # HELP diarium_http_connections_total HTTP connections accepted since the server started.
            # TYPE diarium_http_connections_total counter
            diarium_http_connections_total \(total)
            # HELP diarium_http_connections_ended_total HTTP connections the server ended itself: idle (no request for the idle timeout), stalled (a request stopped arriving for the idle timeout), refused-body (an error answered while a large request body was still coming).
            # TYPE diarium_http_connections_ended_total counter

            """
        for ending in Ending.allCases {
            out += "diarium_http_connections_ended_total{reason=\"\(ending.rawValue)\"} \(count(ending))\n"
        }
        return out
    }
}

/// Counts a connection into `ConnectionMetrics`, and tells an ending for idleness from other closes.
///
/// Hummingbird's idle timeout (`HTTPConnectionStateHandler`, right after this handler) closes without saying why. It
/// restarts its clock at every request part read and every response written, as this handler does from the same
/// parts, so a close that comes when nothing has moved for the whole timeout is that timeout's. A partly read head
/// shows as bytes read that made no request part yet; with a head read and its end not, the request is stalled.
final class ConnectionMetricsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Hummingbird's timer and this handler's clock are read at slightly different moments of the same event.
    static let tolerance = Duration.milliseconds(10)

    private let metrics: ConnectionMetrics
    private let idleTimeout: Duration
    private var lastActive = ContinuousClock.now
    /// A request's head has been read and its end not.
    private var inRequest = false
    /// Requests whose head was read and whose response has not ended: while one is answered (its request read
    /// whole), Hummingbird's timeout never closes, so a close then is not for idleness.
    private var unanswered = 0
    /// A request part came out of the current socket read.
    private var partThisRead = false
    /// Bytes arrived after the last request part and made none (part of a head, in all likelihood).
    private var headPending = false
    /// The input has ended (the client's end of stream, or a refusal): a later close is not for idleness.
    private var inputClosed = false

    init(metrics: ConnectionMetrics, idleTimeout: Duration) {
        self.metrics = metrics
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        metrics.opened()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        metrics.closed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActive = .now
        partThisRead = true
        headPending = false
        switch unwrapInboundIn(data) {
        case .head:
            inRequest = true
            unanswered += 1
        case .body: break
        case .end: inRequest = false
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !partThisRead, !inRequest { headPending = true }
        partThisRead = false
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { inputClosed = true }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            lastActive = .now
            unanswered = max(0, unanswered - 1)
        }
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Hummingbird's rule (`timeoutTriggered`): no close while a request read whole is still being answered.
        let answering = !inRequest && unanswered > 0
        if mode == .all, !inputClosed, !answering, ContinuousClock.now - lastActive >= idleTimeout - Self.tolerance {
            inputClosed = true
            metrics.ended(inRequest || headPending ? .stalled : .idle)
        }
        context.close(mode: mode, promise: promise)
    }
}

@available(*, unavailable)
extension ConnectionMetricsHandler: Sendable {}
