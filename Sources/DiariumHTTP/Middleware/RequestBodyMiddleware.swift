import DiariumCore
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// How a request body may arrive, checked before any route reads it.
///
/// - `Content-Encoding` other than `identity` is refused (415, `Accept-Encoding: identity`): stored content is the
///   exact bytes sent, and a gzip-compressed upload would otherwise be kept, and served, as the record itself.
/// - `Expect: 100-continue` is answered with `100 Continue` when the route first reads the body (RFC 9110 §10.1.1),
///   not before: an answer decided from the head alone (401, 403, 413, 412) goes out instead, and the client never
///   sends the body. Without it, curl waits a second before every upload over 1 MiB.
struct RequestBodyMiddleware: RouterMiddleware {
    typealias Context = DiariumRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Only these take bodies here; every other request (the lookups on the hot path) passes with one comparison.
        guard request.method == .post || request.method == .put || request.method == .patch else { return try await next(request, context) }
        if let coding = request.headers[.contentEncoding],
           coding.split(separator: ",").contains(where: { !$0.trimmingSpaces().elementsEqualIgnoringCase("identity") }) {
            throw Problem(status: .unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported media type",
                          detail: "Content-Encoding '\(coding.prefix(100))' is not accepted: send the bytes themselves, as they are to be stored.",
                          field: "Content-Encoding", headers: [.acceptEncoding: "identity"])
        }
        guard let expectation = request.headers[.expect], expectation.trimmingSpaces().elementsEqualIgnoringCase("100-continue"),
              let channel = context.channel
        else { return try await next(request, context) }
        var request = request
        request.body = Hummingbird.RequestBody(asyncSequence: ContinuingBody(base: request.body, channel: channel))
        return try await next(request, context)
    }
}

/// A request body that asks for `100 Continue` (`ContinueHandler`) before its first read.
struct ContinuingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: Hummingbird.RequestBody
    let channel: any Channel

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Hummingbird.RequestBody.AsyncIterator
        let channel: any Channel
        var asked = false

        mutating func next() async throws -> ByteBuffer? {
            if !asked {
                asked = true
                // A connection already gone fails the read that follows, with the real reason.
                try? await channel.triggerUserOutboundEvent(ContinueHandler.SendContinue()).get()
            }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), channel: channel) }
}

/// Writes `100 Continue` for a request that expects it, when its body is first read (`ContinuingBody`), unless its
/// answer has begun: then the client must not send the body at all. One per connection, after Hummingbird's
/// HTTP/1 codec.
final class ContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct SendContinue: Sendable {}

    /// The latest request expects `100 Continue` and has had neither it nor its answer.
    private var awaiting = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data) {
            awaiting = request.headerFields[.expect].map { $0.trimmingSpaces().elementsEqualIgnoringCase("100-continue") } ?? false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head(let response) = unwrapOutboundIn(data), response.status.kind != .informational { awaiting = false }
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        guard awaiting else {
            promise?.succeed()
            return
        }
        awaiting = false
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: promise)
    }
}

@available(*, unavailable)
extension ContinueHandler: Sendable {}
