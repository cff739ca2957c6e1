import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Ends a connection whose request is refused while its body is still arriving, instead of reading all of it.
///
/// To keep a connection, Hummingbird reads and throws away whatever is left of a request body after the response,
/// however much that is: a client that declares 100 GiB over the upload limit gets its 413 at once, and the server
/// then reads 100 GiB. When an error response (4xx, 5xx) starts before the request's end has arrived, this handler
/// marks it `Connection: close` and ends the body for the application. Once the response is out it closes the
/// connection as nginx's lingering close does: the output side first, so the client reads the answer instead of
/// losing it to a reset, then the rest when the client closes, `lingerBytes` more have arrived, or `lingerTime`
/// has passed, whichever comes first. What arrives meanwhile is counted and dropped.
///
/// Sits after Hummingbird's HTTP/1 codec (`HTTP1Channel.Configuration.additionalChannelHandlers`), one per connection.
final class RefusedBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let defaultLingerBytes = 8 << 20
    static let defaultLingerTime = TimeAmount.seconds(5)

    private let lingerBytes: Int
    private let lingerTime: TimeAmount
    /// Request heads read and final response heads written: response n answers request n (HTTP/1.1 keeps the order).
    private var requests = 0
    private var responses = 0
    /// The end of the latest request has arrived.
    private var latestEnded = true
    /// An error response started while the request was open: what arrives from now on is dropped.
    private var refusing = false
    private var dropped = 0
    private var lingering: Scheduled<Void>?

    init(lingerBytes: Int = defaultLingerBytes, lingerTime: TimeAmount = defaultLingerTime) {
        self.lingerBytes = lingerBytes
        self.lingerTime = lingerTime
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard !refusing else {
            if case .body(let bytes) = part { dropped += bytes.readableBytes }
            if dropped > lingerBytes { context.close(promise: nil) } else { context.read() }
            return
        }
        switch part {
        case .head: requests += 1; latestEnded = false
        case .body: break
        case .end: latestEnded = true
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var response) = unwrapOutboundIn(data), response.status.kind != .informational else {
            context.write(data, promise: promise)
            return
        }
        responses += 1
        // Only a refusal of the request still arriving: one a pipelining client sent after it is not cut off.
        guard response.status.code >= 400, responses == requests, !latestEnded, !refusing else {
            context.write(data, promise: promise)
            return
        }
        refusing = true
        response.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(response)), promise: promise)
        // The application reads no more of this body, and no further request: its end of the input is here. (It has
        // stopped reading already: a response is only written once the route is done with the request.)
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        // The application asks for no more reads once its input has ended; the dropping is asked for here.
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard refusing, lingering == nil, mode != .input else {
            context.close(mode: mode, promise: promise)
            return
        }
        // Hummingbird closes the output once the response is written (or all of the channel, when stopping): send
        // the response's end of stream now, and the rest after the client had its chance to read it.
        context.close(mode: .output, promise: mode == .output ? promise : nil)
        if mode == .all, let promise { context.channel.closeFuture.cascade(to: promise) }
        lingering = context.eventLoop.assumeIsolated().scheduleTask(in: lingerTime) { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        lingering?.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        lingering?.cancel()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Bytes after a refusal are not parsed for anyone: a framing error in them changes nothing.
        guard refusing else {
            context.fireErrorCaught(error)
            return
        }
    }
}
