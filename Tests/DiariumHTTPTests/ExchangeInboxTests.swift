#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// `POST /api/v1/exchange/inbox`: the contract at the top of `ExchangeRoutes.swift`.
@Suite struct ExchangeInboxTests {
    static let token = "inbox-party-token-0123456789abcdef"

    /// The fixture's store as party `timra-bun`, knowing `sundsvall-ks`; an interchange from it carrying the fixture's
    /// case (exported from the same store: renumbered into BUN, it registers as new).
    struct Inbox {
        let f: APIFixture
        let envelope: [UInt8]
        let package: Data

        init() throws {
            f = try APIFixture()
            let exchange = ExchangeService(records: f.service)
            try exchange.setIdentity(PartyID(rawValue: "timra-bun")!, actor: "admin")
            _ = try exchange.addParty(NewParty(id: PartyID(rawValue: "sundsvall-ks")!, name: "Sundsvall", outboundToken: Self.tokenValue,
                                               receivingSeries: SeriesCode(rawValue: "BUN")!), actor: "admin")
            let path = f.dir.file("package.tar")
            _ = try f.service.exportPackage(ExportRequest(selection: .case(f.docs.decision.number.caseNumber), format: .earkTar,
                                                          versions: .final, output: path), actor: "admin")
            package = try Data(contentsOf: URL(fileURLWithPath: path))
            let payload = try PayloadDescriptor(name: "package.tar", size: Int64(package.count), sha256: SHA256Hex.of([UInt8](package)),
                                                format: .earkSIP)
            envelope = try Envelope(sender: PartyID(rawValue: "sundsvall-ks")!, recipient: PartyID(rawValue: "timra-bun")!,
                                    controlReference: ControlReference(rawValue: "REF1")!, created: Date(), messageType: .caseTransfer,
                                    content: .payload(payload)).xml()
        }

        static let tokenValue = ExchangeInboxTests.token
    }

    static func request(token: String?, envelope: String?, body: Data, length: Int? = nil, method: String = "POST") -> [Data] {
        var head = "\(method) /api/v1/exchange/inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let envelope { head += "Diarium-Envelope: \(envelope)\r\n" }
        head += "Content-Type: application/octet-stream\r\nContent-Length: \(length ?? body.count)\r\n\r\n"
        return [Data(head.utf8), body]
    }

    @Test func protocolErrorsAreProblemsAndLeaveTheStoreAsItWas() async throws {
        let inbox = try Inbox()
        defer { inbox.f.dir.remove() }
        let before = try inbox.f.snapshot()
        let encoded = OutboundDelivery.encodeEnvelope(inbox.envelope)
        let elsewhere = OutboundDelivery.encodeEnvelope(Array(String(decoding: inbox.envelope, as: UTF8.self)
            .replacingOccurrences(of: "<ex:recipient>timra-bun</ex:recipient>", with: "<ex:recipient>ange</ex:recipient>").utf8))
        let userToken = inbox.f.tokens.arkiv
        let package = inbox.package
        try await inbox.f.application(maxUploadBytes: 64 << 20).test(.live) { client in
            let port = try #require(client.port)
            func send(_ parts: [Data]) async throws -> String { try await Self.exchange(port: port, parts) }
            let noToken = try await send(Self.request(token: nil, envelope: encoded, body: package))
            #expect(noToken.hasPrefix("HTTP/1.1 401") && noToken.lowercased().contains("www-authenticate: bearer")
                    && noToken.contains("application/problem+json"), "\(noToken)")
            let user = try await send(Self.request(token: userToken, envelope: encoded, body: package))
            #expect(user.hasPrefix("HTTP/1.1 401"), "a user's token is not a party's: \(user.prefix(300))")
            let missing = try await send(Self.request(token: Self.token, envelope: nil, body: package))
            #expect(missing.hasPrefix("HTTP/1.1 400") && missing.contains("\"field\":\"Diarium-Envelope\""), "\(missing)")
            let garbled = try await send(Self.request(token: Self.token, envelope: "!!!", body: package))
            #expect(garbled.hasPrefix("HTTP/1.1 400"))
            let notXML = try await send(Self.request(token: Self.token, envelope: OutboundDelivery.encodeEnvelope(Array("<a/>".utf8)), body: package))
            #expect(notXML.hasPrefix("HTTP/1.1 400") && notXML.contains("invalid envelope"), "\(notXML)")
            let misaddressed = try await send(Self.request(token: Self.token, envelope: elsewhere, body: package))
            #expect(misaddressed.hasPrefix("HTTP/1.1 400") && misaddressed.contains("/interchange/recipient"), "\(misaddressed)")
            // Refused by its declared length, before a byte of the body is read.
            let tooLarge = try await send(Self.request(token: Self.token, envelope: encoded, body: Data(), length: 65 << 20))
            #expect(tooLarge.hasPrefix("HTTP/1.1 413"), "\(tooLarge.prefix(300))")
            // A body that ends early is a transport failure: no receipt, nothing recorded.
            let cut = try await Self.exchange(port: port, Self.request(token: Self.token, envelope: encoded, body: package.prefix(1000),
                                                                      length: package.count), hangUp: true)
            #expect(!cut.contains("HTTP/1.1 200"), "\(cut.prefix(300))")
            let get = try await send([Data("GET /api/v1/exchange/inbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)])
            #expect(get.hasPrefix("HTTP/1.1 405") && get.contains("Allow: POST"))
        }
        #expect(try inbox.f.snapshot() == before)
        #expect(try ExchangeService(records: inbox.f.service).interchanges().isEmpty)
    }

    /// A delivery refused once its party is known is logged for the receiving operator, naming the party, the
    /// interchange and why: a missing receiving series is theirs to set up, and only the sender heard of it before.
    @Test func aRefusedDeliveryIsLoggedForTheReceivingOperator() async throws {
        let inbox = try Inbox()
        defer { inbox.f.dir.remove() }
        var change = PartyChange()
        change.receivingSeries = .some(nil)
        _ = try ExchangeService(records: inbox.f.service).updateParty(PartyID(rawValue: "sundsvall-ks")!, change, actor: "admin")
        let log = CapturedLog()
        let encoded = OutboundDelivery.encodeEnvelope(inbox.envelope)
        let package = inbox.package
        try await inbox.f.application(maxUploadBytes: 64 << 20, log: log).test(.live) { client in
            let port = try #require(client.port)
            let refused = try await Self.exchange(port: port, Self.request(token: Self.token, envelope: encoded, body: package))
            #expect(refused.hasPrefix("HTTP/1.1 409"), "\(refused.prefix(300))")
        }
        let line = try #require(log.all.first { $0.contains("interchange refused") }, "\(log.all)")
        #expect(line.hasPrefix("notice ") && line.contains("exchange.sender=sundsvall-ks") && line.contains("exchange.controlReference=REF1")
                && line.contains("http.status=409") && line.contains("diarium party update sundsvall-ks --series"), "\(line)")
        #expect(!log.all.joined().contains(Self.token), "the token is never logged")
    }

    @Test func anInterchangeIsRegisteredOnceAndAnsweredWithTheSameReceipt() async throws {
        let inbox = try Inbox()
        defer { inbox.f.dir.remove() }
        let before = try inbox.f.snapshot()
        let encoded = OutboundDelivery.encodeEnvelope(inbox.envelope)
        let package = inbox.package
        let answers = try await inbox.f.application(maxUploadBytes: 64 << 20).test(.live) { client in
            let port = try #require(client.port)
            var answers: [String] = []
            for _ in 0..<2 {
                answers.append(try await Self.exchange(port: port, Self.request(token: Self.token, envelope: encoded, body: package)))
            }
            return answers
        }
        let first = try #require(answers.first)
        #expect(first.hasPrefix("HTTP/1.1 200") && first.contains("application/xml"), "\(first.prefix(500))")
        let body = try #require(first.range(of: "\r\n\r\n").map { String(first[$0.upperBound...]) })
        let receipt = try #require(try Envelope.read(Array(body.utf8)).receipt)
        #expect(receipt.status == .accepted, "\(receipt.diagnostics)")
        #expect(receipt.assigned.first?.receiverNumber.hasPrefix("BUN ") == true)
        #expect(answers[1].hasSuffix(body), "the redelivery gets the stored receipt")
        let after = try inbox.f.snapshot()
        #expect(after[0] == before[0] + 1, "one case registered, once")
        #expect(after[1] == before[1] + receipt.assigned.count - 1)
        let recorded = try ExchangeService(records: inbox.f.service).interchanges(direction: .inbound)
        #expect(recorded.map(\.status) == [.accepted])
        let problems = try inbox.f.service.verify().problems
        #expect(problems.isEmpty, "\(problems)")
    }

    /// A package whose records the catalog would refuse (here one document twice in its case): a rejection receipt
    /// naming the problem, not a 500 that the sender answers by resending forever; nothing registered.
    @Test func recordsTheCatalogWouldRefuseAreRejectedNotAServerError() async throws {
        let inbox = try Inbox()
        defer { inbox.f.dir.remove() }
        let sent = inbox.f.dir.file("sent.tar")
        try inbox.package.write(to: URL(fileURLWithPath: sent))
        let root = try PackageEditing.extract(sent, into: inbox.f.dir)
        try PackageEditing.editERMS(inPackage: root) { erms in
            guard let record = erms.range(of: #"(?s)<record .*?</record>"#, options: .regularExpression) else { return erms }
            return erms.replacingCharacters(in: record, with: erms[record] + "\n" + erms[record])
        }
        let package = try Data(contentsOf: URL(fileURLWithPath: try PackageEditing.tar(root, as: "package.tar")))
        let payload = try PayloadDescriptor(name: "package.tar", size: Int64(package.count), sha256: SHA256Hex.of([UInt8](package)),
                                            format: .earkSIP)
        let envelope = try Envelope(sender: PartyID(rawValue: "sundsvall-ks")!, recipient: PartyID(rawValue: "timra-bun")!,
                                    controlReference: ControlReference(rawValue: "DUP1")!, created: Date(), messageType: .caseTransfer,
                                    content: .payload(payload)).xml()
        let before = try inbox.f.snapshot()
        let answer = try await inbox.f.application(maxUploadBytes: 64 << 20).test(.live) { client in
            try await Self.exchange(port: try #require(client.port),
                                    Self.request(token: Self.token, envelope: OutboundDelivery.encodeEnvelope(envelope), body: package))
        }
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(500))")
        let body = try #require(answer.range(of: "\r\n\r\n").map { String(answer[$0.upperBound...]) })
        let receipt = try #require(try Envelope.read(Array(body.utf8)).receipt)
        #expect(receipt.status == .rejected)
        #expect(receipt.diagnostics.contains { $0.message.contains("occurs twice") && $0.file == "package.tar" }, "\(receipt.diagnostics)")
        #expect(Array(try inbox.f.snapshot().prefix(4)) == Array(before.prefix(4)), "no case, document, version or content")
        #expect(try ExchangeService(records: inbox.f.service).interchanges(direction: .inbound).map(\.status) == [.rejected])
        #expect(try inbox.f.service.verify().problems.isEmpty)
    }

    /// The same interchange delivered four times at once (a sender retrying over several connections): registered
    /// once, every answer the same receipt.
    @Test func concurrentRedeliveriesRegisterOnce() async throws {
        let inbox = try Inbox()
        defer { inbox.f.dir.remove() }
        let before = try inbox.f.snapshot()
        let encoded = OutboundDelivery.encodeEnvelope(inbox.envelope)
        let package = inbox.package
        let answers = try await inbox.f.application(maxUploadBytes: 64 << 20).test(.live) { client in
            let port = try #require(client.port)
            return try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Self.exchange(port: port, Self.request(token: Self.token, envelope: encoded, body: package)) }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
        }
        let bodies = answers.map { answer in answer.range(of: "\r\n\r\n").map { String(answer[$0.upperBound...]) } ?? answer }
        #expect(answers.allSatisfy { $0.hasPrefix("HTTP/1.1 200") }, "\(answers.map { $0.prefix(200) })")
        #expect(Set(bodies).count == 1, "one receipt for all")
        #expect(bodies.first?.contains("status=\"accepted\"") == true)
        #expect(try inbox.f.snapshot()[0] == before[0] + 1)
        #expect(try ExchangeService(records: inbox.f.service).interchanges(direction: .inbound).count == 1)
        #expect(try inbox.f.service.verify().problems.isEmpty)
    }

    /// Writes everything and reads the answer until the server closes, without half-closing first: the server may
    /// take a moment (it registers) and must not mistake a half-close for a client gone away.
    static func exchange(port: Int, _ parts: [Data], hangUp: Bool = false) async throws -> String {
        // A server that answered early (401, 400, 413) stops reading the body: stop sending then (after 2 s at most),
        // and read its answer. `hangUp`: half-close after writing, as a client that died mid-upload leaves the connection.
        try await onOwnThread {
            let connection = try LoopbackConnection(port: port, timeout: 30, sendTimeout: 2)
            for part in parts where !connection.send([UInt8](part)) { break }
            if hangUp { connection.finishSending() }
            return String(decoding: connection.receiveUntilClosed().bytes, as: UTF8.self)
        }
    }
}
