import DiariumCore
import DiariumExchange
@testable import DiariumServices
import DiariumStorage
import DiariumTesting
import Foundation
import Testing

private let token = "s3cret-token-for-timra-0001"
private let digest = String(repeating: "cd", count: 32)
private func party(_ text: String) -> PartyID { PartyID(rawValue: text)! }
private func reference(_ text: String) -> ControlReference { ControlReference(rawValue: text)! }

/// An inbox that answers every delivery with the bytes it is given.
private struct AnsweringTransport: InterchangeTransport {
    let answer: [UInt8]
    func send(_ delivery: OutboundDelivery) async -> Result<[UInt8], TransportFailure> { .success(answer) }
}

/// An inbox that cannot be reached.
private struct UnreachableTransport: InterchangeTransport {
    func send(_ delivery: OutboundDelivery) async -> Result<[UInt8], TransportFailure> {
        .failure(TransportFailure(message: "connection refused", retryable: true))
    }
}

/// An inbox that answers with a refusal time does not mend (a token it does not know).
private struct RefusingTransport: InterchangeTransport {
    func send(_ delivery: OutboundDelivery) async -> Result<[UInt8], TransportFailure> {
        .failure(TransportFailure(message: "the inbox answered HTTP 401: unknown token", retryable: false, httpStatus: 401))
    }
}

/// An inbox that cannot be reached, which tells `watch` of each attempt first.
private struct WatchingTransport: InterchangeTransport {
    let watch: @Sendable () -> Void
    func send(_ delivery: OutboundDelivery) async -> Result<[UInt8], TransportFailure> {
        watch()
        return .failure(TransportFailure(message: "connection refused", retryable: true))
    }
}

/// What a hook saw, in order (hooks are called from the service's thread).
private final class Seen<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [Value] = []
    func add(_ value: Value) { lock.lock(); seen.append(value); lock.unlock() }
    var values: [Value] { lock.lock(); defer { lock.unlock() }; return seen }
}

private final class Leases: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [Date?] = []
    func add(_ value: Date?) { lock.lock(); seen.append(value); lock.unlock() }
    var values: [Date?] { lock.lock(); defer { lock.unlock() }; return seen }
}

@Suite struct ExchangeServiceTests {
    func prepared() throws -> (Fixture, ExchangeService) {
        let f = try Fixture()
        let exchange = ExchangeService(records: f.service)
        _ = try exchange.addParty(NewParty(id: party("timra-bun"), name: "Timrå BUN", url: "https://diarium.timra.se/",
                                           outboundToken: token, receivingSeries: SeriesCode(rawValue: "KS")), actor: "admin")
        return (f, exchange)
    }

    /// Another store, party `timra-bun`, that receives from `sundsvall-ks` into its KS.
    func receivingStore() throws -> (Fixture, ExchangeService) {
        let receiver = try Fixture()
        let theirs = ExchangeService(records: receiver.service)
        try theirs.setIdentity(party("timra-bun"), actor: "admin")
        _ = try theirs.addParty(NewParty(id: party("sundsvall-ks"), name: "Sundsvall KS", receivingSeries: SeriesCode(rawValue: "KS")),
                                actor: "admin")
        return (receiver, theirs)
    }

    func transfer(_ ref: String, sha: String = digest, from sender: String = "sundsvall-ks", to recipient: String = "timra-bun") throws -> Envelope {
        try Envelope(sender: party(sender), recipient: party(recipient), controlReference: reference(ref),
                     created: Timestamp.parse("2026-03-01T09:00:00.000Z")!, messageType: .caseTransfer,
                     content: .payload(try PayloadDescriptor(name: "p.zip", size: 10, sha256: sha, format: .earkSIP)))
    }

    @Test func partiesKeepTokensOutOfEverythingShown() throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        let listed = try exchange.parties()
        #expect(listed.map(\.id) == [party("timra-bun")])
        #expect(listed[0].url == "https://diarium.timra.se")
        #expect(listed[0].hasOutboundToken && listed[0].hasInboundToken)
        let json = String(decoding: try JSONEncoder().encode(listed), as: UTF8.self)
        #expect(!json.contains(token))
        #expect(try f.service.audit().allSatisfy { !$0.details.contains(token) })

        // One shared token: presented to them, and accepted from them (checked by its SHA-256 only).
        let credentials = try exchange.credentials(party("timra-bun"))
        #expect(credentials.outboundToken == token)
        #expect(credentials.inboundTokenSHA256 == TokenDigest.sha256Hex(token))
        #expect(credentials.accepts(token))
        #expect(!credentials.accepts(token + "x"))
        #expect(!credentials.accepts(""))

        // Distinct tokens per direction.
        _ = try exchange.addParty(NewParty(id: party("ange"), name: "Ånge", url: "http://127.0.0.1:9", outboundToken: token,
                                           inboundToken: "their-own-token-0000"), actor: "admin")
        #expect(try exchange.credentials(party("ange")).accepts("their-own-token-0000"))
        #expect(!(try exchange.credentials(party("ange")).accepts(token)))
    }

    @Test func refusedPartiesChangeNothing() throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        let before = try f.snapshot()
        func code(_ request: NewParty) -> DiariumError.Code? {
            do { _ = try exchange.addParty(request, actor: "admin"); return nil } catch { return error.code }
        }
        #expect(code(NewParty(id: party("timra-bun"), name: "Again")) == .alreadyExists)
        #expect(code(NewParty(id: party("x"), name: "X", receivingSeries: SeriesCode(rawValue: "BUN"))) == .notFound)
        #expect(code(NewParty(id: party("x"), name: "X", url: "https://x.se")) == .invalidField)         // no token
        #expect(code(NewParty(id: party("x"), name: "X", url: "https://u:p@x.se", outboundToken: token)) == .invalidField)
        #expect(code(NewParty(id: party("x"), name: "X", outboundToken: "short")) == .invalidField)
        #expect(code(NewParty(id: party("x"), name: " ")) == .invalidField)
        #expect(try f.snapshot() == before)
    }

    @Test func outboxMovesFromQueuedToAcceptedWithLinks() throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        let envelope = try transfer("OUT1")
        var record = try exchange.queueOutbound(envelope, documents: [], actor: "anna")
        #expect(record.status == .queued && record.attempts == 0)
        #expect(throws: DiariumError.self) { try exchange.queueOutbound(envelope, documents: [], actor: "anna") }

        record = try exchange.recordAttempt(sender: envelope.sender, controlReference: envelope.controlReference,
                                            outcome: .failed("connection refused"), actor: "anna")
        #expect(record.status == .queued && record.attempts == 1 && record.lastError == "connection refused")
        record = try exchange.recordAttempt(sender: envelope.sender, controlReference: envelope.controlReference, outcome: .delivered, actor: "anna")
        #expect(record.status == .delivered && record.attempts == 2 && record.lastError == nil)

        let receipt = try envelope.answer(with: try Receipt(status: .accepted, payloadSHA256: digest, assigned: [
            NumberLink(senderNumber: "KS 2026/14", receiverNumber: "BUN 2026/3"),
            NumberLink(senderNumber: "KS 2026/14-1", receiverNumber: "BUN 2026/3-1"),
        ]), controlReference: reference("R1"), created: Date())
        record = try exchange.recordReceipt(receipt, xml: receipt.xml(), actor: "anna")
        #expect(record.status == .accepted)
        #expect(record.links.map(\.receiverNumber) == ["BUN 2026/3", "BUN 2026/3-1"])
        #expect(try Envelope.read(Array(record.receipt!.utf8)) == receipt)

        // The same receipt again changes nothing; a different one is refused; a late transport ack does not move it back.
        #expect(try exchange.recordReceipt(receipt, xml: receipt.xml(), actor: "anna") == record)
        let other = try envelope.answer(with: try Receipt(status: .rejected, payloadSHA256: digest, diagnostics: [
            ExchangeDiagnostic(code: "x", message: "m", element: "/")]), controlReference: reference("R2"), created: Date())
        #expect(throws: DiariumError.self) { try exchange.recordReceipt(other, xml: other.xml(), actor: "anna") }
        #expect(try exchange.recordAttempt(sender: envelope.sender, controlReference: envelope.controlReference, outcome: .sent,
                                           actor: "anna").status == .accepted)

        let listed = try exchange.interchanges(direction: .outbound)
        #expect(listed.count == 1 && listed[0].links.count == 2)
        #expect(try exchange.interchanges(direction: .inbound).isEmpty)
        let actions = try f.service.audit(object: ExchangeService.auditObject(record)).map(\.action)
        #expect(actions == [.interchangeRecord, .interchangeStatus, .interchangeStatus, .interchangeStatus, .interchangeStatus])
        #expect(try f.service.verify().ok)
    }

    @Test func receiptsMustAnswerWhatWasSent() throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        let envelope = try transfer("OUT2")
        _ = try exchange.queueOutbound(envelope, documents: [], actor: "anna")
        // One addressed to another store says so (it said there was no such interchange "from" that store).
        let elsewhere = try transfer("OUT2", from: "ange-ks").answer(with: try Receipt(status: .accepted, payloadSHA256: digest),
                                                                     controlReference: reference("R0"), created: Date())
        expectFailure("the receipt is addressed to ange-ks, not to this store (sundsvall-ks)") {
            try exchange.recordReceipt(elsewhere, xml: elsewhere.xml(), actor: "anna")
        }
        let wrongPayload = try envelope.answer(with: try Receipt(status: .accepted, payloadSHA256: String(repeating: "00", count: 32)),
                                               controlReference: reference("R1"), created: Date())
        #expect(throws: DiariumError.self) { try exchange.recordReceipt(wrongPayload, xml: wrongPayload.xml(), actor: "anna") }
        let unknown = try transfer("NOPE").answer(with: try Receipt(status: .accepted, payloadSHA256: nil), controlReference: reference("R2"),
                                                  created: Date())
        #expect(throws: DiariumError.self) { try exchange.recordReceipt(unknown, xml: unknown.xml(), actor: "anna") }
        #expect(try exchange.interchanges().first?.status == .queued)
        // Unknown recipients are not queued.
        #expect(throws: DiariumError.self) { try exchange.queueOutbound(try transfer("OUT3", to: "nobody"), documents: [], actor: "anna") }
    }

    @Test func inboxIsIdempotentPerSenderAndControlReference() throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        let incoming = try transfer("IN1", from: "timra-bun", to: "sundsvall-ks")
        guard case .new(let record) = try exchange.recordInbound(incoming, actor: "inbox") else {
            Issue.record("first delivery not new"); return
        }
        #expect(record.status == .delivered && record.peer == party("timra-bun"))
        #expect(try exchange.recordInbound(incoming, actor: "inbox") == .duplicate(record))
        // The same reference with another payload: refused, the first stands.
        let tampered = try transfer("IN1", sha: String(repeating: "ef", count: 32), from: "timra-bun", to: "sundsvall-ks")
        do {
            _ = try exchange.recordInbound(tampered, actor: "inbox")
            Issue.record("a reused control reference was accepted")
        } catch {
            #expect(error.code == .alreadyExists && error.field == "controlReference")
        }
        // Unknown senders are not recorded.
        #expect(throws: DiariumError.self) { try exchange.recordInbound(try transfer("IN2", from: "stranger", to: "sundsvall-ks"), actor: "inbox") }

        let receipt = try incoming.answer(with: try Receipt(status: .rejected, payloadSHA256: digest, diagnostics: [
            ExchangeDiagnostic(code: "integrity", message: "SHA-256 differs", file: "representations/rep1/data/a.pdf")]),
            controlReference: reference("A1"), created: Date())
        let answered = try exchange.answerInbound(sender: incoming.sender, controlReference: incoming.controlReference, receipt: receipt,
                                                  xml: receipt.xml(), actor: "inbox")
        #expect(answered.status == .rejected && answered.receipt != nil)
        // A redelivery now finds the receipt to send again.
        #expect(try exchange.recordInbound(incoming, actor: "inbox").record.receipt == answered.receipt)
        #expect(throws: DiariumError.self) {
            try exchange.answerInbound(sender: incoming.sender, controlReference: incoming.controlReference, receipt: receipt,
                                       xml: receipt.xml(), actor: "inbox")
        }
        // The same control reference from another sender is another interchange.
        _ = try exchange.addParty(NewParty(id: party("ange"), name: "Ånge"), actor: "admin")
        #expect(try exchange.recordInbound(try transfer("IN1", from: "ange", to: "sundsvall-ks"), actor: "inbox").record.sender == party("ange"))
        #expect(try exchange.interchanges(direction: .inbound).count == 2)
        #expect(try f.service.verify().ok)
    }

    /// A store that receives from party `sundsvall-ks` into series BUN, as `timra-bun`.
    func receiving() throws -> (Fixture, ExchangeService) {
        let f = try Fixture()
        let exchange = ExchangeService(records: f.service)
        try exchange.setIdentity(party("timra-bun"), actor: "admin")
        _ = try f.service.addSeries(code: SeriesCode(rawValue: "BUN")!, name: "Barn- och utbildningsnämnden", actor: "admin")
        _ = try exchange.addParty(NewParty(id: party("sundsvall-ks"), name: "Sundsvall", outboundToken: token,
                                           receivingSeries: SeriesCode(rawValue: "BUN")), actor: "admin")
        return (f, exchange)
    }

    /// The fixture's case sent back to its own store from `sundsvall-ks` and received, at the clock's time. Packed as
    /// `exchange send` packs it: the current versions only.
    func receiveTheCase(_ f: Fixture, _ exchange: ExchangeService, _ ref: String) throws -> ReceiveResult {
        let package = f.dir.file("\(ref).tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, versions: .final, output: package),
                                        actor: "admin")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: package)))
        let envelope = try Envelope(sender: party("sundsvall-ks"), recipient: party("timra-bun"), controlReference: reference(ref),
                                    created: Date(), messageType: .caseTransfer,
                                    content: .payload(try PayloadDescriptor(name: "\(ref).tar", size: Int64(bytes.count),
                                                                            sha256: SHA256Hex.of(bytes), format: .earkSIP)))
        let result = try exchange.receive(envelope, payloadAt: package, records: f.service, actor: "party:sundsvall-ks")
        #expect(result.receipt.status == .accepted, "\(result.receipt.diagnostics)")
        return result
    }

    /// A receiving registry registers what came in when it came in: the received case is opened then and open (the
    /// sender had closed its own), its documents registered then by the inbox, so the public diarium lists them on the
    /// day they arrived. The sender's dates stay in the import's events and come back as provenance in an export.
    @Test func aReceivedCaseIsRegisteredOnTheDayItArrives() throws {
        let (f, exchange) = try receiving()
        defer { f.dir.remove() }
        let plan = try f.register("plan.txt", "Handlingsplan för klimatet")
        _ = try f.service.finalise(plan.number, comment: nil, actor: "anna")
        let closed = try f.service.closeCase(f.caseNumber, actor: "anna")
        f.clock.set("2026-03-09T13:30:00.000Z")
        // Only the finalised version travels, not the registration's.
        let result = try receiveTheCase(f, exchange, "ARR1")
        let arrived = try #require(Timestamp.parse("2026-03-09T13:30:00.000Z"))
        let links = Dictionary(uniqueKeysWithValues: result.receipt.assigned.map { ($0.senderNumber, $0.receiverNumber) })
        let caseNumber = try CaseNumber(parsing: try #require(links[f.caseNumber.description]))
        let documentNumber = try DocumentNumber(parsing: try #require(links[plan.number.description]))

        let (record, documents) = try f.service.caseDetails(caseNumber)
        #expect(record.status == .open && record.closedAt == nil, "closed where it came from, open here")
        #expect(record.openedAt >= arrived && record.openedAt < arrived.addingTimeInterval(1), "\(record.openedAt)")
        let document = try #require(documents.first)
        #expect(document.number == documentNumber)
        #expect(document.registeredAt >= arrived && document.registeredAt < arrived.addingTimeInterval(1))
        #expect(document.registeredBy == "party:sundsvall-ks")
        // Its version was made where it was made, when it was; the receiver's version on top says it came in.
        let history = try f.service.history(documentNumber)
        let sentVersion = try #require(try f.service.history(plan.number).last)
        #expect(history.map(\.number) == [2, 3] && history[0].createdAt == sentVersion.createdAt)
        #expect(history[0].metadata.direction == .internal && history[1].change == .metadata && history[1].author == "party:sundsvall-ks")
        #expect(history[1].metadata.direction == .incoming && history[1].metadata.sender == "Sundsvall" && history[1].status == .final)
        #expect(history[1].comment == "inkommen från Sundsvall (ARR1): registered here as it came in")
        // The public diarium lists it on the day it came in.
        let day = try #require(CalendarDate(year: 2026, month: 3, day: 9))
        let listed = try f.service.publicDiarium(from: day, to: day).documents
        #expect(listed.map(\.number) == [documentNumber] && listed.first?.direction == .incoming)

        // What the sender recorded, kept with the import.
        let caseImport = try #require(try f.service.audit(object: caseNumber.description).first { $0.action == .caseImport })
        let details = try #require(try JSONSerialization.jsonObject(with: Data(caseImport.details.utf8)) as? [String: Any])
        #expect(details["openedAt"] as? String == Timestamp.format(closed.openedAt) && details["openedBy"] as? String == "anna")
        #expect(details["closedAt"] as? String == closed.closedAt.map(Timestamp.format) && details["status"] as? String == "open")
        #expect(details["registeredOnArrival"] as? Bool == true)
        let documentImport = try #require(try f.service.audit(object: documentNumber.description).first { $0.action == .documentImport })
        let registered = try #require(try JSONSerialization.jsonObject(with: Data(documentImport.details.utf8)) as? [String: Any])
        #expect(registered["registeredAt"] as? String == Timestamp.format(plan.registeredAt) && registered["registeredBy"] as? String == "anna")
        // Exported from here, the records say so in their provenance, before the ingestion here.
        let provenance = RecordsService.eventsBeforeImport(caseImport, files: []) + RecordsService.eventsBeforeImport(documentImport, files: [])
        #expect(provenance.map(\.detail) == ["case.open \(caseNumber) (before import, from package \(details["package"] as? String ?? "?"))",
                                             "case.close \(caseNumber) (before import, from package \(details["package"] as? String ?? "?"))",
                                             "document.register \(documentNumber) (before import, from package \(details["package"] as? String ?? "?"))",
                                             "document.finalise \(documentNumber) version 2 (before import, from package \(details["package"] as? String ?? "?"))"],
                "\(provenance.map(\.detail))")
        #expect(Timestamp.format(provenance[2].at) == Timestamp.format(plan.registeredAt) && provenance[2].agent.hasPrefix("anna ["))
        let problems = try f.service.verify().problems
        #expect(problems.isEmpty, "\(problems)")
    }

    /// A document incoming where it came from too, but a draft (as an older build registered incoming documents):
    /// received, it is made final as it came in, in a version of its own; its direction and sender stay.
    @Test func anIncomingDraftIsFinalWhenReceived() throws {
        let (f, exchange) = try receiving()
        defer { f.dir.remove() }
        let letter = try f.service.register([NewDocument(file: try f.dir.write("brev.txt", "Ansökan om bygglov.\n"),
                                                         metadata: DocumentMetadata(title: "Ansökan", recordType: .letter, direction: .incoming,
                                                                                    sender: "Anna Andersson"))],
                                            in: f.caseNumber, actor: "anna")[0]
        // As an older build left it: registered incoming, still a draft.
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER versions_no_update")
            try db.execute(sql: "UPDATE versions SET status = 'draft'")
            try db.execute(sql: "UPDATE documents SET status = 'draft'")
            try db.execute(sql: "CREATE TRIGGER versions_no_update BEFORE UPDATE ON versions BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END")
        }
        #expect(try f.service.document(letter.number).status == .draft)
        let result = try receiveTheCase(f, exchange, "ARR2")
        let received = try DocumentNumber(parsing: try #require(result.receipt.assigned.first { $0.senderNumber == letter.number.description })
                                            .receiverNumber)
        let history = try f.service.history(received)
        #expect(history.map(\.status) == [.draft, .final] && history[1].change == .status, "\(history)")
        #expect(history[1].comment == "inkommen: final as it came in (TF 2 kap. 9 §)" && history[1].author == "party:sundsvall-ks")
        #expect(history[1].metadata.direction == .incoming && history[1].metadata.sender == "Anna Andersson")
        // What verify finds is the sender's document altered by hand, nothing of the received one.
        let problems = try f.service.verify().problems
        #expect(!problems.isEmpty && problems.allSatisfy { !"\($0.object) \($0.message)".contains(received.description) }, "\(problems)")
    }

    @Test func verifyFindsExchangeRowsTheAuditLogDoesNotRecord() throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        _ = try exchange.queueOutbound(try transfer("OUT9"), documents: [], actor: "anna")
        #expect(try f.service.verify().ok)
        // Rows written behind Diarium's back, as someone editing the file would.
        try f.rawCatalog().write { db in
            try db.execute(sql: """
                INSERT INTO parties(party_id, name, created_at, updated_at) VALUES ('sneaky', 'S', '2026-03-01T09:00:00.000Z', '2026-03-01T09:00:00.000Z');
                INSERT INTO interchanges(direction, sender_party, recipient_party, peer_party, control_ref, message_type, status,
                                         created_at, updated_at)
                VALUES ('in', 'sneaky', 'sundsvall-ks', 'sneaky', 'X1', 'caseTransfer', 'delivered',
                        '2026-03-01T09:00:00.000Z', '2026-03-01T09:00:00.000Z');
                """)
        }
        let report = try f.service.verify()
        #expect(report.problems.filter { $0.code == "audit-unrecorded" }.map(\.object)
                == ["party:sneaky", "interchange:in:sneaky/X1"])
    }

    @Test func aReceiptForAnotherInterchangeIsNotTakenAsTheAnswer() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        try f.register("plan.txt", "Handlingsplan")
        // A: written for other transport, so it waits in the outbox.
        let first = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun"),
                                                        output: f.dir.file("ut")), records: f.service, actor: "anna")
        func receipt(for record: InterchangeRecord, _ ref: String) throws -> [UInt8] {
            let assigned = [NumberLink(senderNumber: "\(f.caseNumber)", receiverNumber: "KS 2026/90"),
                            NumberLink(senderNumber: "\(f.caseNumber)-1", receiverNumber: "KS 2026/90-1")]
            return try Envelope(sender: party("timra-bun"), recipient: party("sundsvall-ks"), controlReference: reference(ref), created: Date(),
                                messageType: .receipt, references: [record.controlReference],
                                content: .receipt(try Receipt(status: .accepted, payloadSHA256: record.payloadSHA256, assigned: assigned))).xml()
        }
        func sender(_ answer: [UInt8]) -> InterchangeSender {
            InterchangeSender(transport: AnsweringTransport(answer: answer), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        }
        // B: delivered, and the inbox answers with a receipt for A. Neither takes it: A is not answered by B's delivery,
        // and B keeps its files to be sent again.
        let second = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                             records: f.service, transport: sender(try receipt(for: first.record, "R8")), actor: "anna")
        #expect(second.receipt == nil)
        #expect(second.failure == "the inbox answered with a receipt for \(first.record.controlReference), not for \(second.record.controlReference)",
                "\(second.failure ?? "-")")
        #expect(try exchange.interchange(direction: .outbound, sender: party("sundsvall-ks"),
                                         controlReference: first.record.controlReference).status == .sent)
        // From another party than the one it was sent to: said so.
        _ = try exchange.addParty(NewParty(id: party("ange"), name: "Ånge"), actor: "admin")
        let stranger = try Envelope(sender: party("ange"), recipient: party("sundsvall-ks"), controlReference: reference("R7"), created: Date(),
                                    messageType: .receipt, references: [second.record.controlReference],
                                    content: .receipt(try Receipt(status: .accepted, payloadSHA256: second.record.payloadSHA256))).xml()
        let misdirected = try await exchange.deliver(second.record.controlReference, transport: sender(stranger), actor: "anna")
        #expect(misdirected.failure == "the inbox answered with a receipt from ange, not from timra-bun", "\(misdirected.failure ?? "-")")
        let again = try await exchange.deliver(second.record.controlReference, transport: sender(try receipt(for: second.record, "R9")),
                                               actor: "anna")
        #expect(again.record.status == .accepted && again.receipt != nil)
    }

    /// An acceptance names where each record sent went: every document carried once, cases only of those, no number
    /// twice either way. One that does not (a black-box review's partner inbox answered with a number never sent, and
    /// one sent went unlinked) fails the attempt, and the copy stays in the outbox; by file it is refused.
    @Test func anAcceptanceAnswersForEachDocumentSent() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        let plan = try f.register("plan.txt", "Handlingsplan")
        let letter = try f.register("brev.txt", "Brev")
        let other = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Annat"), actor: "anna")
        func links(_ pairs: [(String, String)]) -> [NumberLink] { pairs.map { NumberLink(senderNumber: $0.0, receiverNumber: $0.1) } }
        let right = links([("\(f.caseNumber)", "BUN 2026/3"), ("\(plan.number)", "BUN 2026/3-1"), ("\(letter.number)", "BUN 2026/3-2")])
        // Duplicates and a case linked to a document are not receipts at all.
        for (bad, phrase) in [(right + links([("\(plan.number)", "BUN 2026/3-9")]), "'\(plan.number)' is assigned more than one number"),
                              (right + links([("KS 2026/8-1", "BUN 2026/3-1")]), "'BUN 2026/3-1' is assigned to more than one record"),
                              (links([("\(f.caseNumber)", "BUN 2026/3-1")]), "a case to a case, a document to a document")] {
            expectFailure(phrase) { try Receipt(status: .accepted, payloadSHA256: nil, assigned: bad) }
        }

        var outcomes: [String] = []
        let wrong: [([NumberLink], String)] = [
            (right + links([("KS 2026/9-9", "BUN 2026/3-3")]), "it assigns a number to KS 2026/9-9, which it was not sent"),
            (links([("\(other.number)", "BUN 2026/4")]) + right, "it assigns a number to case \(other.number), none of whose documents it was sent"),
            (Array(right.prefix(2)), "it assigns no number to \(letter.number)"),
            ([], "it assigns no number to \(plan.number), \(letter.number)"),
        ]
        let unreachable = InterchangeSender(transport: UnreachableTransport(), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        let queued = try await exchange.send(SendRequest(selection: .documents([plan.number, letter.number]), recipient: party("timra-bun")),
                                             records: f.service, transport: unreachable, actor: "anna")
        let sent = queued.record
        func answer(_ assigned: [NumberLink], _ ref: String) throws -> Envelope {
            try Envelope(sender: party("timra-bun"), recipient: party("sundsvall-ks"), controlReference: reference(ref), created: Date(),
                         messageType: .receipt, references: [sent.controlReference],
                         content: .receipt(try Receipt(status: .accepted, payloadSHA256: sent.payloadSHA256, assigned: assigned)))
        }
        for (index, (assigned, phrase)) in wrong.enumerated() {
            let receipt = try answer(assigned, "W\(index)")
            let before = try f.snapshot()
            expectFailure(phrase) { try exchange.recordReceipt(receipt, xml: receipt.xml(), actor: "anna") }
            #expect(try f.snapshot() == before)
            let delivered = try await exchange.deliver(sent.controlReference, transport: InterchangeSender(
                transport: AnsweringTransport(answer: receipt.xml()), policy: RetryPolicy(maxAttempts: 1), pause: { _ in }), actor: "anna")
            // One request, one attempt: the bytes were delivered, the answer found wanting (not counted twice).
            #expect(delivered.receipt == nil && delivered.record.status == .delivered && delivered.record.attempts == index + 2,
                    "\(delivered.record.status) \(delivered.record.attempts)")
            outcomes.append(delivered.failure ?? "-")
            #expect(FileManager.default.fileExists(atPath: "\(exchange.outboxDirectory)/\(sent.controlReference).tar"))
        }
        for (outcome, (_, phrase)) in zip(outcomes, wrong) {
            #expect(outcome.hasPrefix("the inbox answered with a receipt that cannot be taken: ") && outcome.contains(phrase), "\(outcome)")
        }
        let stored = try exchange.interchange(direction: .outbound, sender: party("sundsvall-ks"), controlReference: sent.controlReference)
        #expect(stored.links.isEmpty && stored.lastError?.contains("assigns no number") == true)
        let receipt = try answer(right, "OK1")
        #expect(try exchange.recordReceipt(receipt, xml: receipt.xml(), actor: "anna").links == right)
        #expect(!FileManager.default.fileExists(atPath: "\(exchange.outboxDirectory)/\(sent.controlReference).tar"))
        #expect(try f.service.verify().ok)
    }

    /// What a command line stopped part-way needs to remove the files of an interchange it never recorded
    /// (`InterruptedDelivery`): each file named before it is written, and the commit that records them run inside
    /// the hook, with every file complete before it and the interchange recorded after it.
    @Test func queueingNamesItsFilesBeforeTheCommitThatRecordsThem() throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        try f.register("plan.txt", "Handlingsplan")
        let outbox = exchange.outboxDirectory
        let named = Seen<(path: String, existed: Bool)>()
        exchange.writingUnrecorded = { path in named.add((path, FileManager.default.fileExists(atPath: path))) }
        let atCommit = Seen<(recorded: Int, files: [String])>()
        let root = f.service.store.root
        exchange.recording = { commit in
            // Another connection's view, as a signal handler's would be.
            func recorded() -> Int { (try? ExchangeService(records: try RecordsService.open(at: root)).interchanges().count) ?? -1 }
            atCommit.add((recorded(), (try? FileManager.default.contentsOfDirectory(atPath: outbox).sorted()) ?? []))
            commit()
            atCommit.add((recorded(), []))
        }
        guard case .queued(let reference) = try exchange.queue(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                                               records: f.service, actor: "anna") else {
            Issue.record("not queued"); return
        }
        #expect(named.values.map(\.path) == ["\(outbox)/\(reference).tar", "\(outbox)/\(reference).xml"], "\(named.values)")
        #expect(named.values.allSatisfy { !$0.existed }, "each named before it was written")
        let commits = atCommit.values
        #expect(commits.count == 2 && commits[0].recorded == 0 && commits[0].files == ["\(reference).tar", "\(reference).xml"]
                && commits[1].recorded == 1, "\(commits)")
    }

    @Test func anInterchangeNotDeliveredIsTriedAgainOnASchedule() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        try f.register("plan.txt", "Handlingsplan")
        func once(_ transport: some InterchangeTransport) -> InterchangeSender {
            InterchangeSender(transport: transport, policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        }
        func stored(_ ref: ControlReference) throws -> InterchangeRecord {
            try exchange.interchange(direction: .outbound, sender: party("sundsvall-ks"), controlReference: ref)
        }
        func seconds(_ date: Date?, after start: Date) -> Int? { date.map { Int($0.timeIntervalSince(start).rounded()) } }

        // Written for other transport: nothing to deliver, nothing scheduled.
        let written = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun"),
                                                          output: f.dir.file("ut")), records: f.service, actor: "anna")
        #expect(written.record.nextAttemptAt == nil)

        // Not delivered: tried again a minute after, then twice as long each time, up to an hour.
        var start = f.clock.now()
        let sent = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                           records: f.service, transport: once(UnreachableTransport()), actor: "anna")
        let ref = sent.record.controlReference
        #expect(sent.failure == "connection refused" && sent.record.attempts == 1)
        #expect(seconds(sent.record.nextAttemptAt, after: start) == 60)
        #expect(try exchange.dueForRedelivery().isEmpty)
        #expect(try exchange.outboxWaiting() == (scheduled: 1, stalled: 0))
        var waits: [Int?] = []
        for _ in 2...9 {
            f.clock.set(Timestamp.format(try #require(try stored(ref).nextAttemptAt).addingTimeInterval(1)))
            #expect(try exchange.dueForRedelivery().map(\.reference) == [ref])
            start = f.clock.now()
            let again = try await exchange.deliver(ref, transport: once(UnreachableTransport()), actor: "system:redelivery")
            waits.append(seconds(again.record.nextAttemptAt, after: start))
        }
        #expect(waits == [120, 240, 480, 960, 1920, 3600, 3600, 3600], "\(waits)")

        // An attempt under way holds the interchange for five hours (longer than an attempt may last): no automatic
        // attempt starts beside it, even from a list of due ones read before (another process, or a stale pass).
        f.clock.set(Timestamp.format(try #require(try stored(ref).nextAttemptAt).addingTimeInterval(1)))
        start = f.clock.now()
        #expect(try exchange.dueForRedelivery().map(\.reference) == [ref])
        #expect(try exchange.prepareDueDelivery(ref) != nil)
        #expect(seconds(try stored(ref).nextAttemptAt, after: start) == 5 * 3600)
        #expect(try exchange.dueForRedelivery().isEmpty)
        #expect(try exchange.prepareDueDelivery(ref) == nil, "taken already")
        // A person's resend still may; it leases the interchange too.
        #expect(try exchange.prepareDelivery(ref).reference == ref)
        // Released (its process stopping): due at once.
        try exchange.releaseAttempt(ref)
        #expect(try exchange.dueForRedelivery().map(\.reference) == [ref])
        // Retries in one process keep the lease between attempts: no automatic attempt starts in the pauses.
        let leases = Leases()
        let root = f.service.store.root
        let watching = InterchangeSender(transport: WatchingTransport {
            leases.add(try? ExchangeService(records: RecordsService.open(at: root))
                .interchange(direction: .outbound, sender: party("sundsvall-ks"), controlReference: ref).nextAttemptAt)
        },
                                         policy: RetryPolicy(maxAttempts: 3), pause: { _ in })
        start = f.clock.now()
        let retried = try await exchange.deliver(ref, transport: watching, actor: "anna")
        #expect(leases.values.count == 3 && leases.values.allSatisfy { (seconds($0, after: start) ?? 0) >= 5 * 3600 - 5 },
                "\(leases.values.map { seconds($0, after: start) })")
        #expect(retried.record.attempts == waits.count + 4 && retried.record.nextAttemptAt != nil)
        f.clock.set(Timestamp.format(try #require(retried.record.nextAttemptAt).addingTimeInterval(1)))

        // A refusal time does not mend is left to a person; a resend that fails on the way is scheduled again.
        let refused = try await exchange.deliver(ref, transport: once(RefusingTransport()), actor: "anna")
        #expect(refused.record.nextAttemptAt == nil && refused.record.lastError?.contains("401") == true)
        #expect(try exchange.dueForRedelivery().isEmpty)
        #expect(try exchange.outboxWaiting() == (scheduled: 0, stalled: 1))
        start = f.clock.now()
        let resent = try await exchange.deliver(ref, transport: once(UnreachableTransport()), actor: "anna")
        #expect(seconds(resent.record.nextAttemptAt, after: start) == 3600)
        // A person's correction of the party's address or token makes those waiting for a person due again.
        _ = try await exchange.deliver(ref, transport: once(RefusingTransport()), actor: "anna")
        #expect(try stored(ref).nextAttemptAt == nil)
        var renamed = PartyChange()
        renamed.name = "Timrå kommun, BUN"
        _ = try exchange.updateParty(party("timra-bun"), renamed, actor: "admin")
        #expect(try stored(ref).nextAttemptAt == nil, "a new name mends nothing")
        var token = PartyChange()
        token.outboundToken = .some("a-new-token-for-timra-0002")
        _ = try exchange.updateParty(party("timra-bun"), token, actor: "admin")
        #expect(try exchange.dueForRedelivery().map(\.reference) == [ref])

        // A week after it was queued, no more automatic attempts, and the clerk reads why.
        f.clock.set(Timestamp.format(sent.record.createdAt.addingTimeInterval(7 * 86_400 - 1800)))
        let late = try await exchange.deliver(ref, transport: once(UnreachableTransport()), actor: "system:redelivery")
        #expect(late.record.nextAttemptAt == nil)
        #expect(late.record.lastError == "connection refused; no more automatic attempts (tried for 7 days): resend or withdraw it",
                "\(late.record.lastError ?? "-")")
        #expect(try exchange.outboxWaiting() == (scheduled: 0, stalled: 1))

        // Its party's address cleared: nothing can be attempted, and the clerk reads why at once.
        let second = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                             records: f.service, transport: once(UnreachableTransport()), actor: "anna")
        #expect(second.record.nextAttemptAt != nil)
        var change = PartyChange()
        change.url = .some(nil)
        _ = try exchange.updateParty(party("timra-bun"), change, actor: "admin")
        let cleared = try stored(second.record.controlReference)
        #expect(cleared.nextAttemptAt == nil && cleared.lastError == "not tried again by itself: party timra-bun has no inbox URL any more")
        #expect(try exchange.outboxWaiting() == (scheduled: 0, stalled: 2))
        // A person's resend is refused for the party's state, not for anything the request gave (409, exit 4).
        do {
            _ = try exchange.prepareDelivery(second.record.controlReference)
            Issue.record("delivered to a party without an inbox URL")
        } catch {
            #expect(error.code == .invalidState && error.field == nil && error.message.contains("has no inbox URL"), "\(error)")
        }

        // The address given back: both are due at once, the note that only said why they were not tried gone.
        change = PartyChange()
        change.url = .some("https://diarium.timra.se/")
        _ = try exchange.updateParty(party("timra-bun"), change, actor: "admin")
        #expect(Set(try exchange.dueForRedelivery().map(\.reference)) == [ref, second.record.controlReference])
        #expect(try stored(second.record.controlReference).lastError == nil)
        #expect(try exchange.outboxWaiting() == (scheduled: 2, stalled: 0))

        // One whose files are gone cannot be attempted: stopped with the reason (as a server does), not found again.
        for suffix in ["xml", "tar"] { unlink("\(exchange.outboxDirectory)/\(second.record.controlReference).\(suffix)") }
        let unreachable: DiariumError
        do {
            _ = try exchange.prepareDelivery(second.record.controlReference)
            Issue.record("an interchange without its files cannot be delivered")
            return
        } catch {
            unreachable = error
        }
        #expect(try exchange.leaveUnattempted(second.record.controlReference, because: unreachable), "left to a person")
        let stopped = try stored(second.record.controlReference)
        #expect(stopped.nextAttemptAt == nil && stopped.attempts == 1)
        #expect(stopped.lastError?.hasPrefix("not tried again by itself: interchange \(second.record.controlReference) has no files") == true,
                "\(stopped.lastError ?? "-")")
        #expect(try exchange.dueForRedelivery().map(\.reference) == [ref])

        // Answered or withdrawn: nothing scheduled, whatever the record held.
        let third = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                            records: f.service, transport: once(UnreachableTransport()), actor: "anna")
        #expect(third.record.nextAttemptAt != nil)
        #expect(try exchange.withdraw(third.record.controlReference, actor: "anna").nextAttemptAt == nil)
        let fourth = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                             records: f.service, transport: once(UnreachableTransport()), actor: "anna")
        #expect(try exchange.recordAttempt(sender: party("sundsvall-ks"), controlReference: fourth.record.controlReference,
                                           outcome: .delivered, actor: "anna").nextAttemptAt == nil)
        #expect(try exchange.outboxWaiting() == (scheduled: 1, stalled: 2))
        // Every attempt is in the audit chain, by whoever made it; the schedule is not.
        let attempts = try f.service.audit(object: ExchangeService.auditObject(sent.record)).filter { $0.action == .interchangeStatus }
        #expect(attempts.count == 16 && attempts.filter { $0.actor == "system:redelivery" }.count == 9, "\(attempts.count)")
        #expect(try f.service.verify().ok)
    }

    /// A due interchange not attempted in a pass (its party silent a moment ago) waits as long as the one tried, but
    /// only while it is still due: a lease another process took since, or a person's decision, is kept. One that could
    /// not be prepared for a passing reason is tried again within its week, and the clerk reads why.
    @Test func aDueInterchangeIsPostponedOnlyWhileStillDue() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        try f.register("plan.txt", "Handlingsplan")
        let unreachable = InterchangeSender(transport: UnreachableTransport(), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        let sent = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                           records: f.service, transport: unreachable, actor: "anna").record
        func stored() throws -> InterchangeRecord {
            try exchange.interchange(direction: .outbound, sender: party("sundsvall-ks"), controlReference: sent.controlReference)
        }
        let later = try #require(sent.nextAttemptAt).addingTimeInterval(600)
        // Not due yet: left as it is.
        try exchange.postponeRedelivery(sent.controlReference, until: later)
        #expect(try stored().nextAttemptAt == sent.nextAttemptAt)
        // Due: postponed.
        f.clock.set(Timestamp.format(try #require(sent.nextAttemptAt).addingTimeInterval(1)))
        try exchange.postponeRedelivery(sent.controlReference, until: later)
        #expect(try stored().nextAttemptAt == later)
        // Leased by another process since: the lease stands.
        f.clock.set(Timestamp.format(later.addingTimeInterval(1)))
        let leased = try #require(try exchange.prepareDueDelivery(sent.controlReference))
        let lease = try #require(try stored().nextAttemptAt)
        try exchange.postponeRedelivery(leased.reference, until: later.addingTimeInterval(60))
        #expect(try stored().nextAttemptAt == lease)

        // Not prepared for a passing reason: within the week, after the wait its attempts give, with the reason.
        let start = f.clock.now()
        #expect(try !exchange.leaveUnattempted(sent.controlReference, because: DiariumError(.storage, "the catalog is busy")),
                "a passing failure is tried again")
        let postponed = try stored()
        #expect(postponed.nextAttemptAt.map { Int($0.timeIntervalSince(start).rounded()) } == 60)
        #expect(postponed.lastError == "not attempted: the catalog is busy" && postponed.attempts == 1)
        // After the week: left to a person.
        f.clock.set(Timestamp.format(sent.createdAt.addingTimeInterval(7 * 86_400)))
        try exchange.postponeRedelivery(sent.controlReference, because: DiariumError(.storage, "the catalog is busy"))
        let given = try stored()
        #expect(given.nextAttemptAt == nil && given.lastError?.hasSuffix("resend or withdraw it") == true, "\(given.lastError ?? "-")")
    }

    /// A store from before v28: what waited for its receipt and was queued in the last week is due at once; older
    /// ones stay with a person, as they were.
    @Test func interchangesWaitingBeforeTheUpgradeAreDueOnceIfRecent() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        try f.register("plan.txt", "Handlingsplan")
        let unreachable = InterchangeSender(transport: UnreachableTransport(), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        var sent: [ControlReference] = []
        for _ in 0..<3 {
            sent.append(try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                                records: f.service, transport: unreachable, actor: "anna").record.controlReference)
        }
        _ = try exchange.withdraw(sent[2], actor: "anna")
        let yesterday = Timestamp.format(Date().addingTimeInterval(-86_400))
        let references = sent
        try await f.rawCatalog().write { db in
            try db.execute(sql: """
                DROP INDEX interchanges_next_attempt;
                ALTER TABLE interchanges DROP COLUMN next_attempt_at;
                DELETE FROM grdb_migrations WHERE identifier = 'v28-interchange-redelivery';
                """)
            // The first and the withdrawn one queued yesterday; the second in March (the fixture's clock).
            try db.execute(sql: "UPDATE interchanges SET created_at = ? WHERE control_ref IN (?, ?)",
                           arguments: [yesterday, references[0].rawValue, references[2].rawValue])
        }
        let upgraded = ExchangeService(records: try RecordsService.open(at: f.service.store.root))
        let records = try sent.map { try upgraded.interchange(direction: .outbound, sender: party("sundsvall-ks"), controlReference: $0) }
        let due = try #require(records[0].nextAttemptAt)
        #expect(abs(due.timeIntervalSinceNow) < 60, "\(due)")
        #expect(records[1].nextAttemptAt == nil && records[2].nextAttemptAt == nil)
    }

    /// Files of a case transfer from timra-bun (in `other`) to sundsvall-ks, written for other transport.
    func sentByTimra(from other: Fixture) async throws -> (envelope: String, package: String) {
        try other.register("x.txt", "skickad handling")
        let theirs = ExchangeService(records: other.service)
        try theirs.setIdentity(party("timra-bun"), actor: "admin")
        _ = try theirs.addParty(NewParty(id: party("sundsvall-ks"), name: "Sundsvall KS"), actor: "admin")
        let sent = try await theirs.send(SendRequest(selection: .caseFile(other.caseNumber), recipient: party("sundsvall-ks"),
                                                     output: other.dir.file("ut")), records: other.service, actor: "anna")
        return (try #require(sent.files.first { $0.hasSuffix(".xml") }), try #require(sent.files.first { $0.hasSuffix(".tar") }))
    }

    /// A party is corrected (a new URL, token, series): a shared token is replaced both ways, tokens never shown or
    /// logged, and what would leave it unreachable refused. An interchange from a party with no receiving series is
    /// not recorded (it was rejected for good, and the series could not be set): set it, and it is received.
    @Test func aPartyIsCorrectedAndItsInterchangeWaitsForItsSeries() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        let timra = party("timra-bun")
        var clearSeries = PartyChange()
        clearSeries.receivingSeries = .some(nil)
        #expect(try exchange.updateParty(timra, clearSeries, actor: "admin").receivingSeries == nil)

        let other = try Fixture()
        defer { other.dir.remove() }
        let (envelope, _) = try await sentByTimra(from: other)
        let before = try f.snapshot()
        expectFailure("no receiving series is set up here for party timra-bun, so nothing was registered or recorded") {
            try exchange.receiveFile(at: envelope, from: timra, records: f.service, actor: "anna")
        }
        #expect(try f.snapshot() == before && (try exchange.interchanges(direction: .inbound)).isEmpty)
        var setSeries = PartyChange()
        setSeries.receivingSeries = .some(SeriesCode(rawValue: "KS"))
        _ = try exchange.updateParty(timra, setSeries, actor: "admin")
        guard case .interchange(let received, _) = try exchange.receiveFile(at: envelope, from: timra, records: f.service, actor: "anna") else {
            Issue.record("not received as an interchange")
            return
        }
        #expect(received.record.status == .accepted)

        // A new shared token: presented and accepted; the old one no longer.
        let newToken = "a-new-shared-token-0002"
        var rotate = PartyChange()
        rotate.outboundToken = .some(newToken)
        rotate.url = .some("https://diarium.timra.se/ny/")
        let rotated = try exchange.updateParty(timra, rotate, actor: "admin")
        #expect(rotated.url == "https://diarium.timra.se/ny" && rotated.name == "Timrå BUN")
        let credentials = try exchange.credentials(timra)
        #expect(credentials.outboundToken == newToken && credentials.accepts(newToken) && !credentials.accepts(token))
        // Its own inbound token: the outbound one changes alone after that.
        var split = PartyChange()
        split.inboundToken = .some("their-own-token-0003")
        _ = try exchange.updateParty(timra, split, actor: "admin")
        rotate = PartyChange()
        rotate.outboundToken = .some("a-newer-token-000004")
        _ = try exchange.updateParty(timra, rotate, actor: "admin")
        #expect(try exchange.credentials(timra).accepts("their-own-token-0003"))

        let unchanged = try f.snapshot()
        var noToken = PartyChange()
        noToken.outboundToken = .some(nil)
        expectFailure("needs the token we present to its inbox") { try exchange.updateParty(timra, noToken, actor: "admin") }
        var missing = PartyChange()
        missing.receivingSeries = .some(SeriesCode(rawValue: "NOPE"))
        expectFailure("series NOPE does not exist") { try exchange.updateParty(timra, missing, actor: "admin") }
        expectFailure("party nobody") { try exchange.updateParty(party("nobody"), setSeries, actor: "admin") }
        expectFailure("already has these values") { try exchange.updateParty(timra, setSeries, actor: "admin") }
        expectFailure("nothing to change") { try exchange.updateParty(timra, PartyChange(), actor: "admin") }
        #expect(try f.snapshot() == unchanged)

        let logged = try f.service.audit(object: "party:timra-bun").filter { $0.action == .partyUpdate }.map(\.details)
        #expect(logged == [#"{"fields":["series"],"series":""}"#, #"{"fields":["series"],"series":"KS"}"#,
                           #"{"fields":["url","outboundToken","inboundToken"],"url":"https://diarium.timra.se/ny"}"#,
                           #"{"fields":["inboundToken"]}"#, #"{"fields":["outboundToken"]}"#], "\(logged)")
        #expect(try f.service.audit().allSatisfy { !$0.details.contains("token-000") })
        #expect(try f.service.verify().ok)
    }

    /// A payload in an exchange folder is read only when it is a regular file of the size its envelope says: a pipe
    /// or a link to a device was read without end, and gigabytes beside a small envelope to the last byte (found by a
    /// black-box review). Each is refused at once, and nothing recorded; the real one is then received.
    @Test func aPayloadIsSizedBeforeItIsRead() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        let other = try Fixture()
        defer { other.dir.remove() }
        let (envelope, tar) = try await sentByTimra(from: other)
        let kept = other.dir.file("kept.tar")
        #expect(rename(tar, kept) == 0)
        let before = try f.snapshot()
        func refused(_ phrase: String, code: DiariumError.Code) {
            do {
                _ = try exchange.receiveFile(at: envelope, from: party("timra-bun"), records: f.service, actor: "anna")
                Issue.record("received: \(phrase)")
            } catch {
                #expect(error.code == code && error.message.contains(phrase), "\(error)")
            }
        }
        #expect(mkfifo(tar, 0o600) == 0)
        refused("is not a regular file", code: .unreadableFile)
        unlink(tar)
        #expect(symlink("/dev/zero", tar) == 0)
        refused("is not a regular file", code: .unreadableFile)
        unlink(tar)
        let huge = open(tar, O_WRONLY | O_CREAT, 0o600)
        #expect(huge >= 0 && ftruncate(huge, 3 << 30) == 0)
        close(huge)
        refused("is 3221225472 bytes, the envelope says", code: .unreadableFile)
        #expect(try f.snapshot() == before)
        unlink(tar)
        #expect(rename(kept, tar) == 0)
        guard case .interchange(let received, _) = try exchange.receiveFile(at: envelope, from: party("timra-bun"), records: f.service,
                                                                             actor: "anna") else {
            Issue.record("not received as an interchange")
            return
        }
        #expect(received.record.status == .accepted)
    }

    /// An EDIFACT interchange names a file as the package beside it does: one whose name an earlier restriction hid
    /// goes under its number in both (the EDIFACT named it as stored), and the receiver holds the name and media type
    /// to the EDIFACT's too.
    @Test func anEDIFACTInterchangeNamesAHiddenNameAsItsPackageDoes() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        var letter = try f.document("Svar till Anna Andersson.txt", "Svar", restriction: try AccessRestriction(
            kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.parties]))
        letter.metadata.sender = "Anna Andersson"
        letter.metadata.title = "Svar"
        let number = try f.service.register([letter], in: f.caseNumber, actor: "anna")[0].number
        var lift = MetadataChange()
        lift.restriction = .some(nil)
        _ = try f.service.update(number, lift, comment: nil, actor: "anna")
        let sent = try await exchange.send(SendRequest(selection: .documents([number]), recipient: party("timra-bun"), format: .edifact,
                                                       output: f.dir.file("ut")), records: f.service, actor: "anna")
        let edi = try String(contentsOfFile: try #require(sent.files.first { $0.hasSuffix(".edi") }), encoding: .isoLatin1)
        #expect(!edi.contains("Anna Andersson.txt") && edi.contains("EFI+\(PackageNaming.contentPath(document: number, version: 2, originalName: "x.txt"))"
                                                                     + ":\(PublicEntry.numberedName(number, extensionOf: "x.txt"))+text/plain"), "\(edi)")

        let (receiver, theirs) = try receivingStore()
        defer { receiver.dir.remove() }
        guard case .interchange(let received, _) = try theirs.receiveFile(at: f.dir.file("ut"), from: party("sundsvall-ks"),
                                                                          records: receiver.service, actor: "anna") else {
            Issue.record("not received as an interchange")
            return
        }
        #expect(received.record.status == .accepted, "\(received.receipt)")
    }

    /// More documents of a case delivered before join the receiver's case that the first delivery opened (after its
    /// last document), as a registrar files a follow-up; a document delivered again is registered again and the receipt
    /// says it came before; once that case is closed, a delivery opens a new one.
    @Test func aFollowUpDeliveryJoinsTheCaseItsEarlierDeliveryOpened() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        let plan = try f.register("plan.txt", "Handlingsplan")
        let (receiver, theirs) = try receivingStore()
        defer { receiver.dir.remove() }
        var deliveries = 0
        func deliver(_ numbers: [DocumentNumber]) async throws -> Receipt {
            deliveries += 1
            let out = f.dir.file("ut-\(deliveries)")
            _ = try await exchange.send(SendRequest(selection: .documents(numbers), recipient: party("timra-bun"), output: out),
                                        records: f.service, actor: "anna")
            guard case .interchange(let received, _) = try theirs.receiveFile(at: out, from: party("sundsvall-ks"), records: receiver.service,
                                                                              actor: "anna") else { throw DiariumError.invalid("test", "not an interchange") }
            #expect(received.record.status == .accepted, "\(received.receipt)")
            return received.receipt
        }
        func assigned(_ receipt: Receipt, _ number: CustomStringConvertible) -> String? {
            receipt.assigned.first { $0.senderNumber == number.description }?.receiverNumber
        }
        let first = try await deliver([plan.number])
        let theirCase = try #require(assigned(first, f.caseNumber))
        #expect(assigned(first, plan.number) == "\(theirCase)-1" && first.diagnostics.isEmpty)

        let letter = try f.register("brev.txt", "Brev")
        let second = try await deliver([letter.number])
        #expect(assigned(second, f.caseNumber) == theirCase && assigned(second, letter.number) == "\(theirCase)-2", "\(second.assigned)")
        #expect(second.diagnostics.isEmpty)

        // The plan again: registered again in the same case, and both sides told where it went before.
        let again = try await deliver([plan.number])
        #expect(assigned(again, plan.number) == "\(theirCase)-3")
        #expect(again.diagnostics.map(\.code) == ["received-before"]
                && again.diagnostics[0].message.hasPrefix("\(plan.number) was received before as \(theirCase)-1 (interchange "), "\(again.diagnostics)")
        #expect(try receiver.service.caseDetails(CaseNumber(parsing: theirCase)).documents.count == 3)

        // Closed there: the next delivery opens a case of its own.
        _ = try receiver.service.closeCase(try CaseNumber(parsing: theirCase), actor: "anna")
        let memo = try f.register("pm.txt", "PM")
        let later = try await deliver([memo.number])
        let newCase = try #require(assigned(later, f.caseNumber))
        #expect(newCase != theirCase && assigned(later, memo.number) == "\(newCase)-3", "documents keep their ordinals in a new case")
        #expect(try receiver.service.verify().ok && (try f.service.verify().ok))
    }

    /// Withdrawn while an attempt holds it (its lease, further ahead than any wait the schedule sets): the withdrawal
    /// says so, as that attempt, in another process, may still deliver it.
    @Test func aWithdrawalSaysWhenAnAttemptWasUnderWay() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        let plan = try f.register("plan.txt", "Handlingsplan")
        let unreachable = InterchangeSender(transport: UnreachableTransport(), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        var queued: [ControlReference] = []
        for _ in 0..<2 {
            queued.append(try await exchange.send(SendRequest(selection: .documents([plan.number]), recipient: party("timra-bun")),
                                                  records: f.service, transport: unreachable, actor: "anna").record.controlReference)
        }
        let lease = Timestamp.format(f.clock.now().addingTimeInterval(4 * 3600)), held = queued[0].rawValue
        try f.rawCatalog().inDatabase { db in
            try db.execute(sql: "UPDATE interchanges SET next_attempt_at = ? WHERE control_ref = ?", arguments: [lease, held])
        }
        #expect(exchange.attemptUnderWay(try exchange.interchange(direction: .outbound, sender: party("sundsvall-ks"), controlReference: queued[0])))
        #expect(try exchange.withdrawal(queued[0], actor: "anna").attemptUnderWay)
        #expect(try !exchange.withdrawal(queued[1], actor: "anna").attemptUnderWay, "waiting for its next attempt, not under way")
        // One written for other transport and lost on the way is withdrawn too (it waits for no receipt any more); its
        // files stay where they were written.
        let written = try await exchange.send(SendRequest(selection: .documents([plan.number]), recipient: party("timra-bun"),
                                                          output: f.dir.file("ut")), records: f.service, actor: "anna")
        #expect(written.record.status == .sent)
        #expect(try exchange.withdraw(written.record.controlReference, actor: "anna").withdrawnAt != nil)
        #expect(written.files.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(try f.service.verify().ok)
    }

    /// `prepared()` with this store's identity set, and KS's documents disposed of as soon as their case closes.
    func disposingAtClosing() throws -> (Fixture, ExchangeService) {
        let (f, exchange) = try prepared()
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        _ = try f.service.setRetentionRule(try RetentionRule(series: SeriesCode(rawValue: "KS")!, recordType: nil, action: .dispose, years: 0,
                                                             mandate: "KS 2024 § 1"), actor: "admin")
        return (f, exchange)
    }

    /// A document carried by an interchange waiting in the outbox for its receipt is not disposed of: the package there
    /// holds its content. Withdrawn, the interchange is not delivered again, its files leave the outbox, and it goes.
    @Test func aDocumentWaitingInTheOutboxIsDisposedOfOnlyOnceItsInterchangeIsWithdrawn() async throws {
        let (f, exchange) = try disposingAtClosing()
        defer { f.dir.remove() }
        let plan = try f.register("plan.txt", "Handlingsplan")
        let letter = try f.register("brev.txt", "Brev")
        let unreachable = InterchangeSender(transport: UnreachableTransport(), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        let sent = try await exchange.send(SendRequest(selection: .documents([plan.number]), recipient: party("timra-bun")),
                                           records: f.service, transport: unreachable, actor: "anna")
        let reference = sent.record.controlReference
        #expect(sent.failure != nil && sent.record.status == .queued)
        #expect(FileManager.default.fileExists(atPath: "\(exchange.outboxDirectory)/\(reference).tar"))
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        f.clock.set("2026-03-02T08:00:00.000Z")

        let due = try f.service.disposalDue()
        #expect(due.map(\.number) == [plan.number, letter.number])
        #expect(due.map(\.inTransit) == [[reference.rawValue], []])
        expectFailure("\(plan.number) is in interchange \(reference), waiting in the outbox for its receipt") {
            try f.service.dispose(.documents([plan.number]), actor: "arkivarie")
        }
        let run = try f.service.dispose(.due(series: nil), actor: "arkivarie")
        #expect(run.disposed == [letter.number] && run.inTransit == [plan.number])

        let withdrawn = try exchange.withdraw(reference, actor: "anna")
        #expect(withdrawn.withdrawnAt != nil && withdrawn.status == .queued)
        #expect(!FileManager.default.fileExists(atPath: "\(exchange.outboxDirectory)/\(reference).tar"))
        #expect(!FileManager.default.fileExists(atPath: "\(exchange.outboxDirectory)/\(reference).xml"))
        expectFailure("was withdrawn already") { try exchange.withdraw(reference, actor: "anna") }
        do {
            _ = try await exchange.deliver(reference, transport: unreachable, actor: "anna")
            Issue.record("a withdrawn interchange was delivered again")
        } catch {
            #expect(error.message.contains("was withdrawn"), "\(error)")
        }
        #expect(try f.service.dispose(.documents([plan.number]), actor: "arkivarie").disposed == [plan.number])
        #expect(try f.service.audit(object: "interchange:out:sundsvall-ks/\(reference)").last?.details.contains(#""withdrawn":true"#) == true)
        // Disposed of, neither the document nor its case (all of whose documents went) can be sent: a state, not a request.
        let before = try f.snapshot()
        for (selection, field, phrase) in [(SendRequest.Selection.documents([plan.number]), "documents", "\(plan.number) was disposed of"),
                                           (.caseFile(f.caseNumber), "case", "holds no document to send (its documents were disposed of)")] {
            do {
                _ = try exchange.queue(SendRequest(selection: selection, recipient: party("timra-bun")), records: f.service, actor: "anna")
                Issue.record("\(selection) was queued")
            } catch {
                #expect(error.code == .invalidState && error.field == field && error.message.contains(phrase), "\(error)")
            }
        }
        #expect(try f.snapshot() == before)
        #expect(try f.service.verify().ok)
    }

    /// However the receipt comes (here as a file, the HTTP answer lost), the outbox's files go with the wait, and the
    /// documents are free to be disposed of; files no waiting interchange needs are swept by a disposal run; an
    /// interchange written for other transport has nothing in the outbox to withdraw; and verify holds the catalog's
    /// withdrawals and carried documents to the log.
    @Test func theOutboxKeepsOnlyWhatWaitsForItsReceipt() async throws {
        let (f, exchange) = try disposingAtClosing()
        defer { f.dir.remove() }
        let plan = try f.register("plan.txt", "Handlingsplan")
        let unreachable = InterchangeSender(transport: UnreachableTransport(), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        // A case transfer: every document of the case is recorded as carried.
        let sent = try await exchange.send(SendRequest(selection: .caseFile(f.caseNumber), recipient: party("timra-bun")),
                                           records: f.service, transport: unreachable, actor: "anna")
        let sentReference = sent.record.controlReference
        let tar = "\(exchange.outboxDirectory)/\(sentReference).tar"
        #expect(FileManager.default.fileExists(atPath: tar))
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        #expect(try f.service.disposalDue().map(\.inTransit) == [[sentReference.rawValue]])
        #expect(try f.service.verify().ok)

        let receipt = try Envelope(sender: party("timra-bun"), recipient: party("sundsvall-ks"), controlReference: reference("R1"),
                                   created: Date(), messageType: .receipt, references: [sentReference],
                                   content: .receipt(try Receipt(status: .accepted, payloadSHA256: sent.record.payloadSHA256, assigned: [
                                       NumberLink(senderNumber: "\(plan.number)", receiverNumber: "BUN 2026/1-1")])))
        let path = f.dir.file("R1.receipt.xml")
        try Data(receipt.xml()).write(to: URL(fileURLWithPath: path))
        _ = try exchange.receiveFile(at: path, from: nil, records: f.service, actor: "anna")
        #expect(!FileManager.default.fileExists(atPath: tar), "answered: the package leaves the outbox")
        expectFailure("it has its receipt; nothing to withdraw") { try exchange.withdraw(sentReference, actor: "anna") }
        #expect(try f.service.disposalDue().map(\.inTransit) == [[]])

        // A package left in the outbox by a crash after its receipt: the next disposal run removes it. Files of no
        // interchange, and a stopped writer's temp files, go once they have not changed for an hour (a send may be
        // about to queue them).
        try Data("left".utf8).write(to: URL(fileURLWithPath: tar))
        let outbox = exchange.outboxDirectory
        let unknown = "\(outbox)/NOSUCH1.tar", part = "\(outbox)/.NOSUCH2.xml.123.part"
        let youngUnknown = "\(outbox)/NOSUCH3.xml", youngPart = "\(outbox)/.NOSUCH4.tar.456.part"
        for path in [unknown, part, youngUnknown, youngPart] { try Data("x".utf8).write(to: URL(fileURLWithPath: path)) }
        let hoursAgo = Date().addingTimeInterval(-7200)
        for path in [unknown, part] { try FileManager.default.setAttributes([.modificationDate: hoursAgo], ofItemAtPath: path) }
        #expect(try f.service.dispose(.due(series: nil), actor: "arkivarie").disposed == [plan.number])
        #expect(!FileManager.default.fileExists(atPath: tar))
        #expect(!FileManager.default.fileExists(atPath: unknown) && !FileManager.default.fileExists(atPath: part))
        #expect(FileManager.default.fileExists(atPath: youngUnknown) && FileManager.default.fileExists(atPath: youngPart))
        for path in [youngUnknown, youngPart] { try FileManager.default.removeItem(atPath: path) }

        // Written for other transport: its files are not the outbox's, and it blocks nothing.
        let other = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Annat"), actor: "anna").number
        let letter = try f.service.register([try f.document("brev.txt", "Brev")], in: other, actor: "anna")[0]
        let written = try await exchange.send(SendRequest(selection: .documents([letter.number]), recipient: party("timra-bun"),
                                                          output: f.dir.file("ut")), records: f.service, actor: "anna")

        // Behind Diarium's back: a withdrawal, and a carried document dropped.
        let waiting = try await exchange.send(SendRequest(selection: .documents([letter.number]), recipient: party("timra-bun")),
                                              records: f.service, transport: unreachable, actor: "anna")
        let raw = try f.rawCatalog()
        try await raw.write { db in
            try db.execute(sql: "UPDATE interchanges SET withdrawn_at = updated_at, next_attempt_at = NULL WHERE control_ref = ?",
                           arguments: [waiting.record.controlReference.rawValue])
            try db.execute(sql: "DELETE FROM interchange_documents WHERE interchange_id = (SELECT id FROM interchanges WHERE control_ref = ?)",
                           arguments: [written.record.controlReference.rawValue])
        }
        let problems = try f.service.verify().problems.map(\.message)
        #expect(problems.contains { $0.contains("/\(waiting.record.controlReference) is withdrawn, but the log never withdrew it") }, "\(problems)")
        #expect(problems.contains { $0.contains("/\(written.record.controlReference) carries no document, but the log says \(letter.number)") },
                "\(problems)")
    }

    /// A list for some series is chosen in the query: a page holds as many of theirs as there are (up to the
    /// limit), however many newer interchanges concern other series; received ones count for the party's series.
    @Test func interchangesAreListedForTheSeriesTheyConcern() async throws {
        let (f, exchange) = try prepared()
        defer { f.dir.remove() }
        try exchange.setIdentity(party("sundsvall-ks"), actor: "admin")
        let ks = SeriesCode(rawValue: "KS")!, bun = SeriesCode(rawValue: "BUN")!
        _ = try f.service.addSeries(code: bun, name: "Barn- och utbildningsnämnden", actor: "admin")
        let bunCase = try f.service.openCase(NewCase(series: bun, title: "Skolskjuts"), actor: "bo").number
        let letter = try f.service.register([try f.document("brev.txt", "Brev")], in: bunCase, actor: "bo")[0]
        let plan = try f.register("plan.txt", "Handlingsplan")
        let unreachable = InterchangeSender(transport: UnreachableTransport(), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        let ours = try await exchange.send(SendRequest(selection: .documents([plan.number]), recipient: party("timra-bun")),
                                           records: f.service, transport: unreachable, actor: "anna").record.controlReference
        // Two at one time, one later (paging goes by time, then by order within a time).
        for time in ["2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.000Z", "2026-03-01T10:05:00.000Z"] {
            f.clock.set(time)
            _ = try await exchange.send(SendRequest(selection: .documents([letter.number]), recipient: party("timra-bun")),
                                        records: f.service, transport: unreachable, actor: "bo")
        }
        #expect(try exchange.interchanges(concerning: [ks], limit: 1).map(\.controlReference) == [ours])
        #expect(try exchange.interchanges(concerning: [bun], limit: 10).count == 3)
        #expect(try exchange.interchanges(concerning: [], limit: 10).isEmpty)
        #expect(try exchange.interchanges(limit: 10).count == 4)
        // Received from a party whose documents are registered in KS, and not answered yet: KS's.
        let incoming = try transfer("IN1", from: "timra-bun", to: "sundsvall-ks")
        _ = try exchange.recordInbound(incoming, actor: "inbox")
        #expect(try exchange.interchanges(direction: .inbound, concerning: [ks], limit: 10).map(\.controlReference) == [reference("IN1")])
        #expect(try exchange.interchanges(direction: .inbound, concerning: [bun], limit: 10).isEmpty)
        // Once it registered documents, the series they are in (the party's series may change since).
        let receipt = try incoming.answer(with: try Receipt(status: .accepted, payloadSHA256: digest, assigned: [
            NumberLink(senderNumber: "BUN 2026/9-1", receiverNumber: "\(letter.number)")]), controlReference: reference("A1"), created: Date())
        let answered = try exchange.answerInbound(sender: incoming.sender, controlReference: incoming.controlReference, receipt: receipt,
                                                  xml: receipt.xml(), actor: "inbox")
        #expect(try exchange.series(of: answered) == [bun])
        #expect(try exchange.interchanges(direction: .inbound, concerning: [bun], limit: 10).map(\.controlReference) == [reference("IN1")])
        #expect(try exchange.interchanges(direction: .inbound, concerning: [ks], limit: 10).isEmpty)

        // Page by page: each after the last of the one before, as the listing orders them.
        let all = try exchange.interchanges(limit: 10)
        var paged: [InterchangeRecord] = []
        var after: InterchangeKey?
        while true {
            let page = try exchange.interchanges(after: after, limit: 2)
            paged += page
            guard page.count == 2, let last = page.last else { break }
            after = try InterchangeKey(parsing: last.key.description)
        }
        #expect(paged.map(\.controlReference) == all.map(\.controlReference) && all.count == 5)
        expectFailure("interchange out:sundsvall-ks/NOSUCH does not exist") {
            try exchange.interchanges(after: try InterchangeKey(parsing: "out:sundsvall-ks/NOSUCH"), limit: 2)
        }
        for bad in ["sideways:x/y", "out:sundsvall-ks", "out:/R1", ":x/y", "out:sundsvall-ks/R1/2"] {
            expectFailure("names no interchange") { try InterchangeKey(parsing: bad) }
        }
    }

    @Test func statusOnlyMovesForward() {
        #expect(InterchangeStatus.queued.canMove(to: .sent))
        #expect(InterchangeStatus.sent.canMove(to: .sent))
        #expect(InterchangeStatus.sent.canMove(to: .accepted))
        #expect(!InterchangeStatus.delivered.canMove(to: .sent))
        #expect(!InterchangeStatus.accepted.canMove(to: .rejected))
        #expect(!InterchangeStatus.rejected.canMove(to: .accepted))
    }
}
