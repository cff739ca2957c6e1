import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// HTTP/1.0 as RFC 9112 has it, which Hummingbird's codec does not see (it turns every request into HTTP/1.1): a
/// 1.0 connection ends after its response unless the client asked to keep it (§9.3), so a client such as `ab` or a
/// health probe that reads to the end of the connection is not left waiting for the idle timeout; and a 1.0 client
/// gets no `Transfer-Encoding` (§6.1: it cannot read chunks) and no 1xx (RFC 9110 §15.2). The connection is simply
/// closed after each answer, keep-alive or not: a 1.0 client's keep-alive needs a length on every response, and
/// closing is always allowed.
///
/// Sits between NIO's HTTP/1 parser and Hummingbird's codec, where the version is still known. One per connection.
final class HTTP10Handler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The versions of the requests not yet answered, oldest first (HTTP/1 answers in order).
    private var versions = CircularBuffer<HTTPVersion>(initialCapacity: 2)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        versions.append(head.version)
        if head.version == .http1_0 {
            // Hummingbird ends the connection after a request that says `close`.
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        let informational = head.status.code < 200
        // A final answer answers the oldest request; an interim one (100 Continue) answers none.
        let version = informational ? versions.first : versions.popFirst()
        guard version == .http1_0 else {
            context.write(data, promise: promise)
            return
        }
        if informational {
            promise?.succeed()   // no 1xx for an HTTP/1.0 client
            return
        }
        // As 1.0, NIO's encoder sends the body as it comes and the end of the connection ends it, never chunks.
        head.version = .http1_0
        head.headers.remove(name: "transfer-encoding")
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}

@available(*, unavailable)
extension HTTP10Handler: Sendable {}

/// Puts an `HTTP10Handler` in front of Hummingbird's codec when a connection's pipeline is made: Hummingbird adds
/// the server's own handlers only after its codec, where the version is gone.
final class HTTP10Installer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    func handlerAdded(context: ChannelHandlerContext) {
        let operations = context.pipeline.syncOperations
        if let codec = try? operations.handler(type: HTTP1ToHTTPServerCodec.self) {
            try? operations.addHandler(HTTP10Handler(), position: .before(codec))
        }
    }
}

@available(*, unavailable)
extension HTTP10Installer: Sendable {}
