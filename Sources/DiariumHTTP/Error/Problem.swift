import DiariumCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// An RFC 9457 problem (`application/problem+json`): the shape of every error response.
///
/// `code` is stable (clients match on it) and is the last path segment of `type`; `field` names the parameter or
/// field the problem is about, when there is one.
public struct Problem: Error, Sendable, Equatable {
    public static let typeBase = "https://diarium.se/problems/"

    public var status: HTTPResponse.Status
    public var code: String
    public var title: String
    public var detail: String
    public var field: String?
    /// Extra response headers (`Allow`, `Content-Range`).
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, code: String, title: String, detail: String, field: String? = nil,
                headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.field = field
        self.headers = headers
    }

    public var type: String { Self.typeBase + code }

    /// The one mapping of domain errors to HTTP. Internal failures get a generic text: their message may name
    /// paths or stored values, so it goes to the log only (see `from(_:logger:)`).
    public init(_ error: DiariumError) {
        switch error.code {
        case .invalidField, .invalidNumber, .missingLegalReference, .unreadableFile:
            self.init(status: .badRequest, code: error.code.rawValue, title: Self.titles[error.code]!, detail: error.message,
                      field: error.field)
        case .notFound:
            self.init(status: .notFound, code: error.code.rawValue, title: Self.titles[error.code]!, detail: error.message,
                      field: error.field)
        case .invalidState, .alreadyExists:
            self.init(status: .conflict, code: error.code.rawValue, title: Self.titles[error.code]!, detail: error.message,
                      field: error.field)
        case .versionConflict:
            self.init(status: .preconditionFailed, code: error.code.rawValue, title: Self.titles[error.code]!, detail: error.message,
                      field: error.field ?? "If-Match")
        case .forbidden:
            self.init(status: .forbidden, code: error.code.rawValue, title: Self.titles[error.code]!, detail: error.message,
                      field: error.field)
        case .gone:
            self.init(status: .gone, code: error.code.rawValue, title: Self.titles[error.code]!, detail: error.message,
                      field: error.field)
        case .storage where error.outcomeUnknown:
            self = .outcomeUnknown
        case .notAStore, .unsupportedStore, .storage, .integrity:
            self = .internalError
        }
    }

    static let titles: [DiariumError.Code: String] = [
        .invalidField: "Invalid value",
        .invalidNumber: "Invalid case or document number",
        .missingLegalReference: "Restriction without legal reference",
        .unreadableFile: "Unreadable file",
        .notFound: "Not found",
        .alreadyExists: "Already exists",
        .invalidState: "Not allowed in the current state",
        .versionConflict: "Changed by someone else",
        .forbidden: "Forbidden",
        .gone: "Disposed of",
    ]

    /// A change the store failed to save in a way that does not tell whether it was saved (a disk failure during
    /// the commit): a client that simply retries might register the same document twice.
    public static let outcomeUnknown = Problem(
        status: .internalServerError, code: "internal-error", title: "Internal error",
        detail: "The store failed while saving this change, and whether it was saved is not known. Look before trying again. "
            + "The problem has been logged.")

    public static let internalError = Problem(
        status: .internalServerError, code: "internal-error", title: "Internal error",
        detail: "The server could not answer this request. The problem has been logged.")

    /// Any error as a problem; failures of the server itself are logged here, with their real message, and answered
    /// with the generic `internalError`.
    static func from(_ error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as DiariumError:
            let problem = Problem(error)
            if problem.status == .internalServerError {
                logger.error("request failed", metadata: ["error.code": .string(error.code.rawValue), "error.message": .string(error.message)])
            }
            return problem
        case let error as HTTPError where error.status.kind == .clientError:
            return Problem(httpStatus: error.status, detail: error.body, headers: error.headers)
        case is CancellationError:
            // The server is stopping and its grace (`--stop-timeout`) is over: the request was cut off, not failed.
            logger.info("request cut off: the server is stopping")
            return Problem(status: .serviceUnavailable, code: "stopping", title: "Server stopping",
                           // A route may have committed before it was cut off (an interchange queued, then delivering).
                           detail: "The server stopped before this request was finished. Whether a change it asked for was stored is "
                               + "not known: look before sending it again.",
                           headers: [.retryAfter: "10"])
        case is HTTPParserError:
            // The client sent broken HTTP or went away mid-body (a cut-off upload): its problem, not the server's.
            logger.debug("request body could not be read", metadata: ["error.type": .string(String(reflecting: Swift.type(of: error)))])
            return Problem(status: .badRequest, code: "bad-request", title: "Bad request",
                           detail: "The request could not be read to its end (malformed HTTP, or the connection was cut off).")
        default:
            logger.error("request failed", metadata: ["error.type": .string(String(reflecting: Swift.type(of: error))),
                                                      "error.message": .string(String(describing: error))])
            return .internalError
        }
    }

    /// A problem for a plain HTTP status (no route, unsupported method …).
    init(httpStatus status: HTTPResponse.Status, detail: String?, headers: HTTPFields = [:]) {
        let code = status.reasonPhrase.lowercased().split(separator: " ").joined(separator: "-")
        let detail = detail ?? (status == .notFound ? "There is nothing at this address." : status.reasonPhrase)
        self.init(status: status, code: code, title: Self.sentenceCase(status.reasonPhrase), detail: detail, headers: headers)
    }

    /// A reason phrase in sentence case, as every other problem's title: "Method Not Allowed" → "Method not allowed";
    /// an abbreviation stays as it is ("URI Too Long" → "URI too long").
    static func sentenceCase(_ phrase: String) -> String {
        phrase.split(separator: " ").enumerated().map { index, word in
            index == 0 || (word.count > 1 && word.allSatisfy(\.isUppercase)) ? String(word) : word.lowercased()
        }.joined(separator: " ")
    }

    /// A 401. `tokenGiven`: a token came and is not accepted, which RFC 6750 §3.1 names `invalid_token` (a request
    /// without one gets no error code, §3.1).
    static func unauthenticated(_ detail: String, tokenGiven: Bool = false) -> Problem {
        Problem(status: .unauthorized, code: "unauthenticated", title: "Authentication required", detail: detail,
                field: "Authorization",
                headers: [.wwwAuthenticate: tokenGiven ? "Bearer realm=\"diarium\", error=\"invalid_token\"" : "Bearer realm=\"diarium\""])
    }

    static func forbidden(_ principal: Principal, _ what: String) -> Problem {
        Problem(status: .forbidden, code: "forbidden", title: "Forbidden",
                detail: "\(principal.name) (\(principal.role?.rawValue ?? "operator")) may not \(what).")
    }

    static func methodNotAllowed(allow: String) -> Problem {
        Problem(status: .methodNotAllowed, code: "method-not-allowed", title: "Method not allowed",
                detail: "This resource answers \(allow) only.", headers: [.allow: allow])
    }
}

extension Problem: HTTPResponseError {
    struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let instance: String
        let code: String
        let field: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(type: type, title: title, status: status.code, detail: detail, instance: request.uri.path, code: code,
                        field: field)
        let data = try JSONCoding.encoder().encode(body)
        var headers = headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
