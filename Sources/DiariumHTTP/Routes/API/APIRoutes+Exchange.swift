import DiariumCore
import DiariumExchange
import DiariumServices
import Foundation
import Hummingbird

/// `/api/v1/exchange/…` for the department's own systems (users with tokens; the partner inbox is `ExchangeRoutes`):
/// send a case or documents to a party, follow the outbox and the inbox, deliver again, withdraw. As
/// `diarium exchange send|resend|withdraw|list`, with one delivery attempt per request: a failed one keeps the
/// interchange in the outbox (202), instead of holding the request through a backoff. The server then tries again by
/// itself (`RedeliveryService`, at `nextAttemptAt`), and `…/resend` tries at once.
extension APIRoutes {
    struct SendBody: RequestBody {
        /// A case with all its documents (`caseTransfer`), or
        let `case`: CaseNumber?
        /// chosen documents (`documentDelivery`).
        let documents: [DocumentNumber]?
        let to: PartyID

        static let keys: Set<String> = ["case", "documents", "to"]

        func selection() throws(DiariumError) -> SendRequest.Selection {
            switch (`case`, documents) {
            case (let number?, nil): return .caseFile(number)
            case (nil, let numbers?):
                guard !numbers.isEmpty else { throw .invalid("documents", "name at least one document to send") }
                return .documents(numbers)
            default: throw .invalid("case", "give a case or documents, one of them")
            }
        }
    }

    /// An interchange as the API shows it: its envelope's facts, the numbers the receiver gave, why it was rejected,
    /// and (after a delivery attempt of this request) why it was not delivered. The receipt's XML stays in the store.
    struct InterchangeView: Encodable, Sendable {
        let direction: InterchangeDirection
        let sender: PartyID
        let recipient: PartyID
        let controlReference: ControlReference
        let messageType: InterchangeMessageType
        let status: InterchangeStatus
        let references: [ControlReference]
        let payloadSHA256: String?
        let payloadSize: Int64?
        let links: [NumberLink]
        let diagnostics: [ExchangeDiagnostic]
        let attempts: Int
        let lastError: String?
        let createdAt: Date
        let updatedAt: Date
        let withdrawnAt: Date?
        let nextAttemptAt: Date?
        /// An attempt holds it now (`nextAttemptAt` is its lease, further ahead than any wait the schedule sets).
        let attemptUnderWay: Bool
        let failure: String?

        /// `underWay`: `ExchangeService.attemptUnderWay(record)`, for one that may still be delivered.
        init(_ record: InterchangeRecord, failure: String? = nil, underWay: Bool) {
            direction = record.direction
            sender = record.sender
            recipient = record.recipient
            controlReference = record.controlReference
            messageType = record.messageType
            status = record.status
            references = record.references
            payloadSHA256 = record.payloadSHA256
            payloadSize = record.payloadSize
            links = record.links
            // Why it was rejected; or, accepted, what the receiver noted (a document received before).
            diagnostics = record.status.isFinal
                ? (record.receipt.flatMap { try? Envelope.read(Array($0.utf8), source: "stored receipt").receipt?.diagnostics } ?? [])
                : []
            attempts = record.attempts
            lastError = record.lastError
            createdAt = record.createdAt
            updatedAt = record.updatedAt
            withdrawnAt = record.withdrawnAt
            nextAttemptAt = record.nextAttemptAt
            attemptUnderWay = underWay
            self.failure = failure
        }
    }

    static func outboxPath(_ reference: ControlReference) -> String { "/api/v1/exchange/outbox/\(pathSegment(reference.rawValue))" }

    /// Who follows exchanges: the clerks who keep records and the archivists (not admins, who have no clearance).
    static func requireExchangeReader(_ principal: Principal) throws {
        try require(AccessPolicy.mayEditSomewhere(principal) || principal.role == .archivist, principal, "follow exchanges")
    }

    /// Whether the reader may see this interchange: archivists all of them; a clerk those concerning a series of
    /// their departments (`ExchangeService.series(of:)`): its parties, numbers and a rejection's reasons are that
    /// department's records.
    static func sees(_ record: InterchangeRecord, _ principal: Principal, _ service: RecordsService,
                     _ departments: inout [SeriesCode: Department]) throws -> Bool {
        if principal.role == .archivist { return true }
        for code in try ExchangeService(records: service).series(of: record) {
            if departments[code] == nil { departments[code] = try service.department(of: code) }
            if AccessPolicy.hasClearance(principal, department: departments[code]!) { return true }
        }
        return false
    }

    func addExchangeRoutes(to api: RouterGroup<DiariumRequestContext>) {
        api.get("exchange/interchanges") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.requireExchangeReader(principal)
            let query = try QueryParameters(request, allowed: ["direction", "party", "document", "after", "limit"])
            let direction: InterchangeDirection? = try query.typed("direction").map { text throws(DiariumError) in
                guard let direction = InterchangeDirection(rawValue: text) else {
                    throw .invalid("direction", "direction is in (received) or out (sent), not '\(text)'")
                }
                return direction
            }
            let party = try query.typed("party").map { text throws(DiariumError) in try PartyID(parsing: text, field: "party") }
            let document = try query.typed("document").map { text throws(DiariumError) in try DocumentNumber(parsing: text, field: "document") }
            let after = try query.typed("after").map { text throws(DiariumError) in try InterchangeKey(parsing: text) }
            let limit = try query.int("limit", default: 100, in: 1...1000)
            return try JSONCoding.response(try await records.run { service in
                let exchange = ExchangeService(records: service)
                if let after, principal.role != .archivist {
                    // One the reader may not see is answered as one that is not there: no way to test which exist.
                    var departments: [SeriesCode: Department] = [:]
                    let unseen = DiariumError.notFound("interchange", after.description, field: "after")
                    guard let record = try? exchange.interchange(direction: after.direction, sender: after.sender,
                                                                  controlReference: after.controlReference),
                          try Self.sees(record, principal, service, &departments) else { throw unseen }
                }
                if let document {
                    // Of the document's (a few), those this reader sees in the listing without the filter.
                    var departments: [SeriesCode: Department] = [:]
                    return try exchange.interchanges(carrying: document, direction: direction, peer: party, after: after, limit: .max)
                        .filter { try Self.sees($0, principal, service, &departments) }.prefix(limit)
                        .map { InterchangeView($0, underWay: exchange.attemptUnderWay($0)) }
                }
                // A clerk's page is of their departments' series, chosen in the query (not cut from a page of all).
                return try exchange.interchanges(direction: direction, peer: party, concerning: try Self.clearedSeries(principal, service),
                                                 after: after, limit: limit)
                    .map { InterchangeView($0, underWay: exchange.attemptUnderWay($0)) }
            })
        }

        api.get("exchange/outbox/{controlReference}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.requireExchangeReader(principal)
            _ = try QueryParameters(request, allowed: [])
            let reference = try Self.controlReference(context)
            return try JSONCoding.response(try await records.run { service in
                let exchange = ExchangeService(records: service)
                guard let own = try exchange.identity() else {
                    throw DiariumError(.notFound, "this store has no party id for exchanges yet, and so no outbox", field: "controlReference")
                }
                let record = try exchange.interchange(direction: .outbound, sender: own, controlReference: reference)
                var departments: [SeriesCode: Department] = [:]
                try Self.require(try Self.sees(record, principal, service, &departments), principal, "see interchange \(reference)")
                return InterchangeView(record, underWay: exchange.attemptUnderWay(record))
            })
        }

        api.post("exchange/outbox") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let body = try await JSONBody.decode(SendBody.self, from: request)
            let selection = try body.selection()
            let reference = try await records.change { service -> ControlReference in
                let series: Set<SeriesCode> = switch selection {
                case .caseFile(let number): [number.series]
                case .documents(let numbers): Set(numbers.map(\.caseNumber.series))
                }
                for code in series.sorted(by: { $0.rawValue < $1.rawValue }) {
                    try Self.require(AccessPolicy.mayEdit(principal, department: try service.department(of: code)), principal,
                                     "send records of series \(code)")
                }
                let request = SendRequest(selection: selection, recipient: body.to)
                switch try ExchangeService(records: service).queue(request, records: service, actor: principal.name) {
                case .queued(let reference): return reference
                case .written: throw DiariumError(.storage, "an interchange for other transport was written where one to deliver was asked for")
                }
            }
            return try await deliver(reference, actor: principal.name, created: true)
        }

        api.post("exchange/outbox/{controlReference}/resend") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let reference = try Self.controlReference(context)
            try await JSONBody.requireNone(request)
            try await requireSender(principal, of: reference, "deliver")
            return try await deliver(reference, actor: principal.name, created: false)
        }

        api.post("exchange/outbox/{controlReference}/withdraw") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let reference = try Self.controlReference(context)
            try await JSONBody.requireNone(request)
            try await requireSender(principal, of: reference, "withdraw")
            return try JSONCoding.response(try await records.change { service in
                // An attempt under way elsewhere goes on (and may deliver it after all): say so.
                let (record, underWay) = try ExchangeService(records: service).withdrawal(reference, actor: principal.name)
                return InterchangeView(record, underWay: underWay)
            })
        }
    }

    static func controlReference(_ context: DiariumRequestContext) throws -> ControlReference {
        try ControlReference(parsing: try parameter(context, "controlReference"))
    }

    /// A clerk of every series whose documents the interchange carries (an archivist for one queued before they were
    /// recorded) may deliver it again or withdraw it.
    private func requireSender(_ principal: Principal, of reference: ControlReference, _ what: String) async throws {
        try Self.requireExchangeReader(principal)
        try await records.run { service in
            let series = try ExchangeService(records: service).outboundSeries(reference)
            if series.isEmpty {
                try Self.require(principal.role == .archivist, principal, "\(what) interchange \(reference)")
            }
            for code in series.sorted(by: { $0.rawValue < $1.rawValue }) {
                try Self.require(AccessPolicy.mayEdit(principal, department: try service.department(of: code)), principal,
                                 "\(what) interchanges of series \(code)")
            }
        }
    }

    /// One delivery attempt, its blocking parts on the blocking pool and the request to the party's inbox between
    /// them: 200 when the party answered (accepted or rejected: `status`), 202 when it did not (the interchange stays
    /// in the outbox, `failure` says why).
    private func deliver(_ reference: ControlReference, actor: String, created: Bool) async throws -> Response {
        let result = try await deliveries.attempt(reference, actor: actor)
        var headers: HTTPFields = [:]
        if created { headers[.location] = Self.outboxPath(reference) }
        // The attempt has ended: answered, or its failure recorded with the next time.
        return try JSONCoding.response(InterchangeView(result.record, failure: result.failure, underWay: false),
                                       status: result.failure == nil ? .ok : .accepted, headers: headers)
    }
}
