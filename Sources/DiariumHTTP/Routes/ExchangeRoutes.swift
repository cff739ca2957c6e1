import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumStorage
import Foundation
import Hummingbird
import NIOCore

/// `POST /api/v1/exchange/inbox`: another Diarium (a party) delivers an interchange.
///
/// Not behind the user API's `AuthenticationMiddleware`: the caller is a party, not a user.
///
/// Request
/// - `Authorization: Bearer <party token>` (required): the token the party presents to this store; matched against
///   the SHA-256 of each party's inbound token (`diarium party add --token/--inbound-token`).
/// - `Diarium-Envelope: <base64url of the envelope XML, no padding>` (required): `Schemas/exchange/envelope-1.xsd`,
///   messageType `caseTransfer` or `documentDelivery`, payload format `eark-sip`, recipient = this store's party id,
///   sender = the authenticated party.
/// - `Content-Type: application/octet-stream` (not checked); body: the package (E-ARK SIP as tar or zip), exactly the
///   envelope's payload size and SHA-256. Streamed to the store's temp area, at most `--max-upload` bytes.
///
/// Responses
/// - `200 application/xml`: the receipt envelope (messageType `receipt`, referring to the interchange), for an
///   accepted interchange (`status="accepted"` with each sender number → number registered here) AND for a rejected
///   one (`status="rejected"` with diagnostics naming element, file or segment; nothing was registered). A redelivery
///   under a known control reference gets the stored receipt again (nothing registered), or a rejection when its
///   payload differs.
/// - `400 application/problem+json`: missing or undecodable `Diarium-Envelope`, or an envelope that fails the schema
///   or the rules (`field` names the element, e.g. `/interchange/recipient`), or a body that ended early. Checked before
///   the body is read.
/// - `401 application/problem+json` with `WWW-Authenticate: Bearer`: no token, or no party presents this token.
/// - `403 application/problem+json`: the envelope's sender is not the party the token belongs to.
/// - `404 application/problem+json`: the sender is not a known party (with a token matching, only after a change).
/// - `405 application/problem+json` with `Allow: POST`: any other method.
/// - `409 application/problem+json`: this store has no exchange party id yet (`diarium exchange identity`), or no
///   receiving series for the sender (`diarium party update`); nothing is recorded.
/// - `413 application/problem+json`: a `Content-Length` or a streamed body over the limit (nothing kept).
/// - `500 application/problem+json`: the store failed; nothing was registered and the sender may resend.
struct ExchangeRoutes: Sendable {
    static let inbox = "/api/v1/exchange/inbox"
    static let envelopeHeader = OutboundDelivery.envelopeHeader.lowercased()
    static let damagedInTransit = TransportFailure.damagedInTransit
    static let routes: [(path: String, methods: [HTTPRequest.Method])] = [(inbox, [.post])]

    let records: Records
    let uploads: UploadArea
    let settings: APISettings

    func add(to router: Router<DiariumRequestContext>) {
        router.post(RouterPath(Self.inbox)) { request, context in try await receive(request, context) }
    }

    func receive(_ request: Request, _ context: DiariumRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let token = try AuthenticationMiddleware.bearerToken(request, missing: "The inbox needs the party's token: Authorization: Bearer <token>.")
        // Who first (an unknown token learns nothing about what the inbox checks), then what, before a byte of a
        // package that may be gigabytes.
        let party = try await records.run { service -> PartyID in
            guard let party = try ExchangeService(records: service).party(presenting: token) else {
                throw Problem.unauthenticated("No party presents this token to this store's inbox.", tokenGiven: true)
            }
            return party
        }
        // Refused from here on, the party is known: the receiving operator is told who and what (a missing receiving
        // series is theirs to set up; only the sender would hear of it otherwise).
        var reference: ControlReference?
        let result: ReceiveResult
        do {
            guard let encoded = request.headers.first(where: { $0.name.canonicalName == Self.envelopeHeader })?.value else {
                throw Problem(status: .badRequest, code: DiariumError.Code.invalidField.rawValue, title: "Invalid value",
                              detail: "The envelope is missing: send it as base64url in the \(OutboundDelivery.envelopeHeader) header.",
                              field: OutboundDelivery.envelopeHeader)
            }
            guard let bytes = OutboundDelivery.decodeEnvelope(encoded.trimmingSpaces()) else {
                throw Problem(status: .badRequest, code: DiariumError.Code.invalidField.rawValue, title: "Invalid value",
                              detail: "The \(OutboundDelivery.envelopeHeader) header is not base64url.", field: OutboundDelivery.envelopeHeader)
            }
            let envelope = try await records.run { service -> Envelope in
                try ExchangeService(records: service).checkEnvelope(bytes, source: OutboundDelivery.envelopeHeader, from: party)
            }
            reference = envelope.controlReference
            guard envelope.payload?.format == .earkSIP else {
                throw Problem(DiariumError(.invalidField, "the inbox takes E-ARK packages (payload format eark-sip); EDIFACT travels as files",
                                           field: "/interchange/payload/@format"))
            }
            try UploadWriter.checkDeclaredLength(request, limit: settings.maxUploadBytes)
            let upload = UploadWriter(path: uploads.newFilePath(), limit: settings.maxUploadBytes, threadPool: records.blockingPool)
            defer { upload.discard() }
            for try await chunk in request.body { try await upload.write(chunk) }
            try await upload.finish()
            // A body cut short is a transport failure, never a payload to judge: a rejection would be recorded under the
            // control reference and answer every later (complete) resend.
            if let declared = request.headers[.contentLength].flatMap(Int64.init), declared != upload.size {
                throw Problem(status: .badRequest, code: Self.damagedInTransit, title: "Damaged in transit",
                              detail: "The body ended after \(upload.size) of \(declared) bytes; send the interchange again.", field: "Content-Length")
            }
            let path = upload.path
            do {
                result = try await records.change { service in
                    let exchange = ExchangeService(records: service)
                    // Still this party's token once the body is in (a `party update` may have replaced it meanwhile).
                    guard try exchange.party(presenting: token) == party else {
                        throw Problem.unauthenticated("The party's token was replaced while the interchange was sent; nothing was recorded.",
                                                      tokenGiven: true)
                    }
                    return try exchange.receive(envelope, payloadAt: path, records: service, actor: "party:\(envelope.sender)")
                }
            } catch let error as DiariumError where [ExchangeService.payloadSizeField, ExchangeService.payloadDigestField].contains(error.field) {
                // Its own code, which Diarium senders take as worth another attempt (other 400s are not).
                throw Problem(status: .badRequest, code: Self.damagedInTransit, title: "Damaged in transit", detail: error.message, field: error.field)
            }
        } catch {
            let problem = Problem.from(error, logger: context.logger)
            context.logger.notice("interchange refused", metadata: [
                "exchange.sender": .string(party.rawValue), "exchange.controlReference": .string(reference?.rawValue ?? "-"),
                "http.status": .stringConvertible(problem.status.code), "problem.code": .string(problem.code),
                "problem.field": .string(problem.field ?? "-"), "problem.detail": .string(problem.detail),
            ])
            throw problem
        }
        context.logger.info("interchange answered", metadata: [
            "exchange.sender": .string(party.rawValue), "exchange.controlReference": .string(reference?.rawValue ?? "-"),
            "exchange.status": .string(result.receipt.status.rawValue), "exchange.duplicate": .stringConvertible(result.duplicate),
        ])
        return Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: result.receiptXML)))
    }
}
