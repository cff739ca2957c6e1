import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Ends a connection whose request is refused while much of its body is still to come, instead of reading all of it.
///
/// To keep a connection, Hummingbird reads and throws away whatever is left of a request body after the response,
/// however much that is: a client that declares 100 GiB over the upload limit gets its 413 at once, and the server
/// then reads 100 GiB. When an error response (4xx, 5xx) starts before the request's end has arrived, and more than
/// `drainBytes` of it may still come (chunked, or a larger remaining `Content-Length`), this handler marks the
/// response `Connection: close` and ends the body for the application. Once the response is out it closes the
/// connection as nginx's lingering close does: the output side first, so the client reads the answer instead of
/// losing it to a reset, then the rest when the client closes, `lingerBytes` more have arrived, or `lingerTime`
/// has passed, whichever comes first. What arrives meanwhile is read and dropped, so a client still sending does not
/// block before it reads the answer.
///
/// Sits after Hummingbird's HTTP/1 codec (`HTTP1Channel.Configuration.additionalChannelHandlers`), one per connection.
final class RefusedBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let defaultLingerBytes = 8 << 20
    static let defaultLingerTime = TimeAmount.seconds(5)
    /// A refused body with no more than this left is read to its end as before, and the connection kept.
    static let drainBytes: Int64 = 64 << 10

    private let lingerBytes: Int
    private let lingerTime: TimeAmount
    private let metrics: ConnectionMetrics?
    /// Request heads read and final response heads written: response n answers request n (HTTP/1.1 keeps the order).
    private var requests = 0
    private var responses = 0
    /// The end of the latest request has arrived.
    private var latestEnded = true
    /// What the latest request's `Content-Length` says is still to come; nil when chunked.
    private var latestRemaining: Int64?
    /// A refusal has begun: from now on what arrives is dropped.
    private var refusing = false
    /// Bytes dropped since the refusal began, and again since the output was closed.
    private var dropped = 0
    private var lingering: Scheduled<Void>?

    init(lingerBytes: Int = defaultLingerBytes, lingerTime: TimeAmount = defaultLingerTime, metrics: ConnectionMetrics? = nil) {
        self.lingerBytes = lingerBytes
        self.lingerTime = lingerTime
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard !refusing else {
            if case .body(let bytes) = part { dropped += bytes.readableBytes }
            if dropped <= lingerBytes {
                context.read()
            } else if lingering != nil {
                context.close(promise: nil)
            }
            // Else the answer is still being written, and closing would cut it off: reading pauses until the output
            // is closed behind it (`close`), and starts again from there.
            return
        }
        switch part {
        case .head(let request):
            requests += 1
            latestEnded = false
            latestRemaining = request.headerFields[.contentLength].flatMap { Int64($0) }
        case .body(let bytes):
            latestRemaining = latestRemaining.map { $0 - Int64(bytes.readableBytes) }
        case .end:
            latestEnded = true
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // A socket read can give the decoder nothing to pass on (a chunk's size line): ask for the next one here too,
        // as the application, its input ended, asks for none.
        if refusing, dropped <= lingerBytes { context.read() }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var response) = unwrapOutboundIn(data), response.status.kind != .informational else {
            context.write(data, promise: promise)
            return
        }
        responses += 1
        // Only a refusal of the request still arriving: one a pipelining client sent after it is not cut off.
        guard response.status.code >= 400, responses == requests, !latestEnded, !refusing,
              (latestRemaining ?? .max) > Self.drainBytes else {
            context.write(data, promise: promise)
            return
        }
        refusing = true
        metrics?.ended(.refusedBody)
        response.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(response)), promise: promise)
        // The application reads no more of this body, and no further request: its end of the input is here. (A
        // route has stopped reading by then: a response is only written once it is done with the request.)
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard refusing, lingering == nil, mode != .input else {
            context.close(mode: mode, promise: promise)
            return
        }
        // Hummingbird closes the output once the response is written (or all of the channel, when stopping): the
        // end of stream goes out after the answer, and the rest closes after the client had its chance to read it.
        context.close(mode: .output, promise: mode == .output ? promise : nil)
        if mode == .all, let promise { context.channel.closeFuture.cascade(to: promise) }
        lingering = context.eventLoop.assumeIsolated().scheduleTask(in: lingerTime) { context.close(promise: nil) }
        dropped = 0
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        lingering?.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        lingering?.cancel()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Bytes after a refusal are parsed for no one: a framing error in them changes nothing, and reading goes on.
        guard refusing else {
            context.fireErrorCaught(error)
            return
        }
        if dropped <= lingerBytes { context.read() }
    }
}

@available(*, unavailable)
extension RefusedBodyHandler: Sendable {}
