import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// `/api/v1/exchange/…`: a department's system sends a case to another Diarium over HTTP (a live server as the
/// party's inbox), follows the outbox, and delivers again or withdraws what did not arrive.
@Suite struct ExchangeAPITests {
    static let partyToken = "exchange-api-party-token-0123456789"

    @Test func aCaseIsSentDeliveredAndAnsweredThroughTheAPI() async throws {
        let sender = try APIFixture(), receiver = try APIFixture()
        defer { sender.dir.remove(); receiver.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!, bun = SeriesCode(rawValue: "BUN")!
        let incoming = ExchangeService(records: receiver.service)
        try ExchangeService(records: sender.service).setIdentity(PartyID(rawValue: "sundsvall-ks")!, actor: "admin")
        try incoming.setIdentity(PartyID(rawValue: "timra-bun")!, actor: "admin")
        _ = try incoming.addParty(NewParty(id: PartyID(rawValue: "sundsvall-ks")!, name: "Sundsvall", outboundToken: Self.partyToken,
                                           receivingSeries: bun), actor: "admin")
        // A party nobody answers for: delivery fails and the interchange stays in the outbox.
        let nobody = try ClosedPort()
        _ = try ExchangeService(records: sender.service).addParty(NewParty(id: PartyID(rawValue: "ange")!, name: "Ånge", url: "http://127.0.0.1:\(nobody.port)/",
                                           outboundToken: Self.partyToken), actor: "admin")
        let caseNumber = sender.docs.decision.number.caseNumber
        let casesBefore = try receiver.service.listCases(series: bun).count
        let tokens = sender.tokens
        let json: HTTPFields = [.contentType: "application/json"]
        let senderStore = sender.service.store.root, decision = sender.docs.decision.number
        let senderApp = try sender.application()

        try await receiver.application(maxUploadBytes: 64 << 20).test(.live) { inbox in
            let port = try #require(inbox.port)
            let outgoing = ExchangeService(records: try RecordsService.open(at: senderStore))
            _ = try outgoing.addParty(NewParty(id: PartyID(rawValue: "timra-bun")!, name: "Timrå BUN", url: "http://127.0.0.1:\(port)/",
                                               outboundToken: Self.partyToken), actor: "admin")
            try await senderApp.test(.router) { client in
                // Refused before anything is written: wrong department, admins, a body naming both or neither, an
                // unknown party.
                let send = #"{"case":"\#(caseNumber)","to":"timra-bun"}"#
                try await client.execute(uri: "/api/v1/exchange/outbox", method: .post, headers: bearer(tokens.bo, json),
                                         body: ByteBuffer(string: send)) { try expectProblem($0, .forbidden, code: "forbidden") }
                for (body, status, code, field) in [
                    (#"{"case":"\#(caseNumber)","documents":["\#(caseNumber)-1"],"to":"timra-bun"}"#, HTTPResponse.Status.badRequest,
                     "invalid-field", "case"),
                    (#"{"to":"timra-bun"}"#, .badRequest, "invalid-field", "case"),
                    (#"{"case":"\#(caseNumber)","to":"okand"}"#, .notFound, "not-found", "to"),
                ] as [(String, HTTPResponse.Status, String, String?)] {
                    try await client.execute(uri: "/api/v1/exchange/outbox", method: .post, headers: bearer(tokens.anna, json),
                                             body: ByteBuffer(string: body)) { try expectProblem($0, status, code: code, field: field) }
                }
                #expect(try ExchangeService(records: try RecordsService.open(at: senderStore)).interchanges().isEmpty)

                // Sent and answered: accepted, with the numbers the receiver gave.
                let location = try await client.execute(uri: "/api/v1/exchange/outbox", method: .post, headers: bearer(tokens.anna, json),
                                                        body: ByteBuffer(string: send)) { response in
                    #expect(response.status == .ok)
                    let view = try jsonObject(response)
                    #expect(view["status"] as? String == "accepted" && view["direction"] as? String == "out", "\(view)")
                    #expect((view["links"] as? [[String: Any]])?.isEmpty == false)
                    #expect(view["failure"] == nil && view["receipt"] == nil)
                    return try #require(response.headers[.location])
                }
                try await client.execute(uri: location, method: .get, headers: bearer(tokens.arkiv)) { response in
                    #expect(response.status == .ok)
                    let status = try jsonObject(response)["status"] as? String
                    #expect(status == "accepted")
                }
                try await client.execute(uri: "/api/v1/exchange/interchanges?direction=out&party=timra-bun", method: .get,
                                         headers: bearer(tokens.anna)) { response in
                    let list = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    #expect(list.count == 1 && list[0]["messageType"] as? String == "caseTransfer")
                }
                try await client.execute(uri: "/api/v1/exchange/interchanges", method: .get, headers: bearer(tokens.root)) {
                    try expectProblem($0, .forbidden, code: "forbidden")
                }
                // Another department's clerk sees none of KS's exchanges.
                try await client.execute(uri: "/api/v1/exchange/interchanges", method: .get, headers: bearer(tokens.bo)) { response in
                    #expect(response.status == .ok && bodyText(response) == "[]", "\(bodyText(response))")
                }
                try await client.execute(uri: location, method: .get, headers: bearer(tokens.bo)) { try expectProblem($0, .forbidden, code: "forbidden") }
                try await client.execute(uri: "/api/v1/exchange/interchanges?direction=sideways", method: .get, headers: bearer(tokens.anna)) {
                    try expectProblem($0, .badRequest, code: "invalid-field", field: "direction")
                }

                // Not delivered: 202, kept in the outbox; another department may neither resend nor withdraw it.
                let documents = #"{"documents":["\#(decision)"],"to":"ange"}"#
                let queued = try await client.execute(uri: "/api/v1/exchange/outbox", method: .post, headers: bearer(tokens.anna, json),
                                                      body: ByteBuffer(string: documents)) { response in
                    #expect(response.status == .accepted)
                    let view = try jsonObject(response)
                    #expect(view["status"] as? String != "accepted" && view["failure"] is String && view["attempts"] as? Int == 1, "\(view)")
                    return try #require(response.headers[.location])
                }
                for action in ["resend", "withdraw"] {
                    try await client.execute(uri: queued + "/" + action, method: .post, headers: bearer(tokens.bo)) {
                        try expectProblem($0, .forbidden, code: "forbidden")
                    }
                }
                try await client.execute(uri: queued + "/resend", method: .post, headers: bearer(tokens.anna)) { response in
                    #expect(response.status == .accepted)
                    let attempts = try jsonObject(response)["attempts"] as? Int
                    #expect(attempts == 2)
                }
                try await client.execute(uri: queued + "/withdraw", method: .post, headers: bearer(tokens.anna)) { response in
                    #expect(response.status == .ok)
                    let withdrawn = try jsonObject(response)["withdrawnAt"]
                    #expect(withdrawn is String)
                }
                try await client.execute(uri: queued + "/resend", method: .post, headers: bearer(tokens.anna)) {
                    try expectProblem($0, .conflict, code: "invalid-state")
                }

                // A document's interchanges, newest first: the decision went out with its case, then alone (withdrawn).
                let byDocument = "/api/v1/exchange/interchanges?document=" + decision.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                try await client.execute(uri: byDocument, method: .get, headers: bearer(tokens.anna)) { response in
                    let list = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    #expect(list.map { $0["recipient"] as? String } == ["ange", "timra-bun"], "\(list)")
                    #expect(list.map { $0["messageType"] as? String } == ["documentDelivery", "caseTransfer"])
                    #expect(list.first?["withdrawnAt"] is String)
                }
                try await client.execute(uri: byDocument + "&party=timra-bun&direction=out", method: .get, headers: bearer(tokens.arkiv)) { response in
                    let list = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    #expect(list.map { $0["recipient"] as? String } == ["timra-bun"], "\(list)")
                }
                try await client.execute(uri: byDocument + "&direction=in", method: .get, headers: bearer(tokens.anna)) { response in
                    #expect(response.status == .ok && bodyText(response) == "[]", "\(bodyText(response))")
                }
                // Another department's clerk: none of them concerns BUN.
                try await client.execute(uri: byDocument, method: .get, headers: bearer(tokens.bo)) { response in
                    #expect(response.status == .ok && bodyText(response) == "[]", "\(bodyText(response))")
                }
                // Page by page, after the last one listed.
                let firstPage = try await client.execute(uri: "/api/v1/exchange/interchanges?limit=1", method: .get, headers: bearer(tokens.anna)) {
                    try #require(try JSONSerialization.jsonObject(with: Data($0.body.readableBytesView)) as? [[String: Any]])
                }
                let last = try #require(firstPage.first)
                let cursor = "\(last["direction"] as? String ?? ""):\(last["sender"] as? String ?? "")/\(last["controlReference"] as? String ?? "")"
                try await client.execute(uri: "/api/v1/exchange/interchanges?limit=5&after=" + cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                                         method: .get, headers: bearer(tokens.anna)) { response in
                    let list = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    #expect(list.map { $0["messageType"] as? String } == ["caseTransfer"], "\(list)")
                }
                try await client.execute(uri: "/api/v1/exchange/interchanges?after=out%3Asundsvall-ks%2FNOSUCH", method: .get,
                                         headers: bearer(tokens.anna)) {
                    try expectProblem($0, .notFound, code: "not-found", field: "after")
                }
                try await client.execute(uri: "/api/v1/exchange/interchanges?after=NOSUCH", method: .get, headers: bearer(tokens.anna)) {
                    try expectProblem($0, .badRequest, code: "invalid-field", field: "after")
                }
                // One another department's clerk may not see is answered as one that is not there.
                try await client.execute(uri: "/api/v1/exchange/interchanges?after=" + cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                                         method: .get, headers: bearer(tokens.bo)) {
                    try expectProblem($0, .notFound, code: "not-found", field: "after")
                }
                let other = "\(caseNumber)-99".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                try await client.execute(uri: "/api/v1/exchange/interchanges?document=\(other)", method: .get, headers: bearer(tokens.anna)) {
                    try expectProblem($0, .notFound, code: "not-found", field: "document")
                }
                try await client.execute(uri: "/api/v1/exchange/interchanges?document=KS-1", method: .get, headers: bearer(tokens.anna)) {
                    try expectProblem($0, .badRequest, code: "invalid-number", field: "document")
                }
                try await client.execute(uri: "/api/v1/exchange/outbox/NOSUCHREF", method: .get, headers: bearer(tokens.anna)) {
                    try expectProblem($0, .notFound, code: "not-found")
                }
            }
        }
        // The receiver registered the case in its own series; both logs hold together.
        #expect(try receiver.service.listCases(series: bun).count == casesBefore + 1)
        #expect(try sender.service.listCases(series: ks).contains { $0.number == caseNumber })
        #expect(try sender.service.verify().ok && receiver.service.verify().ok)
        withExtendedLifetime(nobody) {}
    }

    /// A receiver that was down is reached by the server by itself, once the next attempt is due; one that cannot be
    /// attempted at all is left to a person, and `/metrics` counts both kinds.
    @Test func theServerDeliversAgainByItself() async throws {
        let sender = try APIFixture(), receiver = try APIFixture()
        defer { sender.dir.remove(); receiver.dir.remove() }
        let bun = SeriesCode(rawValue: "BUN")!
        let incoming = ExchangeService(records: receiver.service)
        let outgoing = ExchangeService(records: sender.service)
        try outgoing.setIdentity(PartyID(rawValue: "sundsvall-ks")!, actor: "admin")
        try incoming.setIdentity(PartyID(rawValue: "timra-bun")!, actor: "admin")
        _ = try incoming.addParty(NewParty(id: PartyID(rawValue: "sundsvall-ks")!, name: "Sundsvall", outboundToken: Self.partyToken,
                                           receivingSeries: bun), actor: "admin")
        // Down at first: nobody listens where the party says its inbox is.
        let down = try ClosedPort()
        for id in ["timra-bun", "ange"] {
            _ = try outgoing.addParty(NewParty(id: PartyID(rawValue: id)!, name: id, url: "http://127.0.0.1:\(down.port)/",
                                               outboundToken: Self.partyToken), actor: "admin")
        }
        let clock = FixedClock(Timestamp.format(Date()))
        let tokens = sender.tokens
        let json: HTTPFields = [.contentType: "application/json"]
        let caseNumber = sender.docs.decision.number.caseNumber, decision = sender.docs.decision.number
        let senderStore = sender.service.store.root
        let senderApp = try sender.application(clock: clock, redeliveryInterval: .milliseconds(50))
        let casesBefore = try receiver.service.listCases(series: bun).count

        try await receiver.application(maxUploadBytes: 64 << 20).test(.live) { inbox in
            let port = try #require(inbox.port)
            try await senderApp.test(.router) { client in
                func post(_ body: String) async throws -> (location: String, next: Date) {
                    try await client.execute(uri: "/api/v1/exchange/outbox", method: .post, headers: bearer(tokens.anna, json),
                                             body: ByteBuffer(string: body)) { response in
                        #expect(response.status == .accepted)
                        let view = try jsonObject(response)
                        let text = try #require(view["nextAttemptAt"] as? String)
                        let next = try #require(Timestamp.parse(text))
                        return (try #require(response.headers[.location]), next)
                    }
                }
                func view(_ location: String) async throws -> [String: Any] {
                    try await client.execute(uri: location, method: .get, headers: bearer(tokens.anna)) { try jsonObject($0) }
                }
                func outboxGauges() async throws -> [String] {
                    try await client.execute(uri: "/metrics", method: .get) { response in
                        bodyText(response).split(separator: "\n").filter { $0.hasPrefix("diarium_exchange_outbox_interchanges{") }.map(String.init)
                    }
                }
                let transfer = try await post(#"{"case":"\#(caseNumber)","to":"timra-bun"}"#)
                let delivery = try await post(#"{"documents":["\#(decision)"],"to":"ange"}"#)
                #expect(try await outboxGauges() == [#"diarium_exchange_outbox_interchanges{state="scheduled"} 2"#,
                                                     #"diarium_exchange_outbox_interchanges{state="stalled"} 0"#])
                // Not yet due: nothing happens, however often the server looks.
                try await Task.sleep(for: .milliseconds(300))
                let waiting = try await view(transfer.location)
                #expect(waiting["attempts"] as? Int == 1 && waiting["attemptUnderWay"] as? Bool == false, "\(waiting)")

                // The receiver is up now; Ånge's system lost its address in the meantime. (On the server's clock: a
                // corrected address makes what waits due at once, by that clock.)
                let records = try RecordsService.open(at: senderStore, clock: clock)
                var moved = PartyChange()
                moved.url = .some("http://127.0.0.1:\(port)/")
                _ = try ExchangeService(records: records).updateParty(PartyID(rawValue: "timra-bun")!, moved, actor: "admin")
                var lost = PartyChange()
                lost.url = .some(nil)
                _ = try ExchangeService(records: records).updateParty(PartyID(rawValue: "ange")!, lost, actor: "admin")
                clock.set(Timestamp.format(max(transfer.next, delivery.next).addingTimeInterval(1)))

                var answered: [String: Any] = [:]
                for _ in 0..<400 {
                    answered = try await view(transfer.location)
                    if answered["status"] as? String == "accepted" { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(answered["status"] as? String == "accepted" && answered["attempts"] as? Int == 2, "\(answered)")
                #expect(answered["nextAttemptAt"] == nil && answered["lastError"] == nil)
                var stopped: [String: Any] = [:]
                for _ in 0..<400 {
                    stopped = try await view(delivery.location)
                    if stopped["nextAttemptAt"] == nil { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(stopped["status"] as? String == "queued" && stopped["attempts"] as? Int == 1, "\(stopped)")
                #expect((stopped["lastError"] as? String)?.hasPrefix("not tried again by itself: party ange has no inbox URL") == true,
                        "\(stopped)")
                #expect(try await outboxGauges() == [#"diarium_exchange_outbox_interchanges{state="scheduled"} 0"#,
                                                     #"diarium_exchange_outbox_interchanges{state="stalled"} 1"#])
                // One taken up and accepted; the one left to a person is not the server's to count.
                let counted = try await Self.redeliveryMetrics(client) { $0["diarium_exchange_redelivery_parties"] == 0 }
                #expect(counted == [#"diarium_exchange_redelivery_attempts_total{outcome="accepted"}"#: 1,
                                    #"diarium_exchange_redelivery_attempts_total{outcome="rejected"}"#: 0,
                                    #"diarium_exchange_redelivery_attempts_total{outcome="failed"}"#: 0,
                                    #"diarium_exchange_redelivery_attempts_total{outcome="not-attempted"}"#: 0,
                                    "diarium_exchange_redelivery_parties": 0], "\(counted)")
            }
        }
        #expect(try receiver.service.listCases(series: bun).count == casesBefore + 1)
        // The attempt (delivered) and its receipt (accepted), by the server.
        let attempts = try sender.service.audit().filter { $0.action == .interchangeStatus }
        #expect(attempts.map(\.actor) == ["anna", "anna", "system:redelivery", "system:redelivery"], "\(attempts.map(\.actor))")
        #expect(try sender.service.verify().ok && receiver.service.verify().ok)
        withExtendedLifetime(down) {}
    }

    /// Interchanges queued in `sender`'s outbox and left there, not attempted (due a minute after they were queued):
    /// one for each of `sends`, a party on a loopback port and the document it is sent. `stored` reads them as the
    /// catalog holds them now.
    func leftInOutbox(_ sender: APIFixture, _ sends: [(party: String, port: Int, document: DocumentNumber)]) throws
        -> (references: [ControlReference], stored: @Sendable () throws -> [InterchangeRecord]) {
        let outgoing = ExchangeService(records: sender.service)
        let own = PartyID(rawValue: "sundsvall-ks")!
        try outgoing.setIdentity(own, actor: "admin")
        var references: [ControlReference] = []
        for send in sends {
            let party = PartyID(rawValue: send.party)!
            if try !outgoing.parties().contains(where: { $0.id == party }) {
                _ = try outgoing.addParty(NewParty(id: party, name: send.party, url: "http://127.0.0.1:\(send.port)/",
                                                   outboundToken: Self.partyToken), actor: "admin")
            }
            guard case .queued(let reference) = try outgoing.queue(SendRequest(selection: .documents([send.document]), recipient: party),
                                                                   records: sender.service, actor: "anna") else {
                throw DiariumError(.invalidState, "an interchange to deliver was written instead")
            }
            references.append(reference)
        }
        let root = sender.service.store.root, all = references
        return (references, {
            let exchange = ExchangeService(records: try RecordsService.open(at: root))
            return try all.map { try exchange.interchange(direction: .outbound, sender: own, controlReference: $0) }
        })
    }

    /// The server's own redelivery as `/metrics` shows it: each series of `diarium_exchange_redelivery_*` and its
    /// value, once `settled` holds (a pass's task counts its outcome, then gives up its party's place).
    static func redeliveryMetrics(_ client: some TestClientProtocol,
                                  until settled: ([String: Int]) -> Bool = { _ in true }) async throws -> [String: Int] {
        var values: [String: Int] = [:]
        for _ in 0..<200 {
            values = try await client.execute(uri: "/metrics", method: .get) { response in
                Dictionary(uniqueKeysWithValues: bodyText(response).split(separator: "\n")
                    .filter { $0.hasPrefix("diarium_exchange_redelivery_") }
                    .compactMap { line in line.split(separator: " ").last.flatMap { Int($0) }.map { (String(line.split(separator: " ")[0]), $0) } })
            }
            if settled(values) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return values
    }

    /// An attempt under way holds its interchange (no second attempt starts beside it); a server stopping in the middle
    /// of one leaves the interchange due again at once, not counted as an attempt that failed.
    @Test func aStoppingServerLeavesItsAttemptDueAgain() async throws {
        let sender = try APIFixture()
        defer { sender.dir.remove() }
        let hanging = try ClosedPort(silent: true)
        let (_, storedAll) = try leftInOutbox(sender, [("timra-bun", hanging.port, sender.docs.decision.number)])
        @Sendable func stored() throws -> InterchangeRecord { try storedAll()[0] }
        let root = sender.service.store.root
        let queued = try stored()
        // Queued and left: due a minute later (its process might have stopped before the first attempt).
        #expect(queued.attempts == 0 && queued.nextAttemptAt.map { $0.timeIntervalSince(queued.createdAt).rounded() } == 60)
        let clock = FixedClock(Timestamp.format(try #require(queued.nextAttemptAt).addingTimeInterval(1)))
        let app = try sender.application(clock: clock, redeliveryInterval: .milliseconds(50))
        let anna = sender.tokens.anna
        try await app.test(.router) { client in
            // The server's attempt hangs on the silent inbox; meanwhile the interchange is leased for five hours.
            var leased = try stored()
            for _ in 0..<400 where (leased.nextAttemptAt ?? .distantPast) <= clock.now() {
                try await Task.sleep(for: .milliseconds(50))
                leased = try stored()
            }
            let lease = try #require(leased.nextAttemptAt).timeIntervalSince(clock.now())
            #expect(lease > 5 * 3600 - 100 && lease <= 5 * 3600, "\(lease)")
            // A system following it over the API reads that an attempt is under way.
            let shown = try await client.execute(uri: APIRoutes.outboxPath(leased.controlReference), method: .get, headers: bearer(anna)) {
                try jsonObject($0)
            }
            #expect(shown["attemptUnderWay"] as? Bool == true, "\(shown)")
            #expect(try ExchangeService(store: try RecordsService.open(at: root).store, clock: clock).dueForRedelivery().isEmpty)
        }
        let released = try stored()
        #expect(released.attempts == 0 && released.lastError == nil && released.status == .queued)
        #expect(try #require(released.nextAttemptAt) <= clock.now(), "\(released) \(clock.now())")
        #expect(!ExchangeService(store: try RecordsService.open(at: root).store, clock: clock).attemptUnderWay(released))
        #expect(try sender.service.verify().ok)
        withExtendedLifetime(hanging) {}
    }

    /// A party that does not answer is tried once in a pass: its other interchanges wait as long as the one tried,
    /// instead of each taking its own attempt (and, at a party that drops connections silently, its own timeout).
    @Test func aPartyThatDoesNotAnswerIsTriedOncePerPass() async throws {
        let sender = try APIFixture()
        defer { sender.dir.remove() }
        let down = try ClosedPort()
        let (_, stored) = try leftInOutbox(sender, [("ange", down.port, sender.docs.decision.number), ("ange", down.port, sender.docs.paper.number)])
        let queued = try stored()
        let clock = FixedClock(Timestamp.format(try #require(queued.compactMap(\.nextAttemptAt).max()).addingTimeInterval(1)))
        try await sender.application(clock: clock, redeliveryInterval: .milliseconds(50)).test(.router) { _ in
            var records = try stored()
            for _ in 0..<400 where records[0].attempts == 0 || records[1].nextAttemptAt == queued[1].nextAttemptAt {
                try await Task.sleep(for: .milliseconds(50))
                records = try stored()
            }
            #expect(records[0].attempts == 1 && records[0].lastError?.isEmpty == false)
            #expect(records[1].attempts == 0 && records[1].lastError == nil)
            let next = try #require(records[0].nextAttemptAt)
            #expect(next.timeIntervalSince(clock.now()) > 50 && records[1].nextAttemptAt == next, "\(records)")
        }
        #expect(try sender.service.verify().ok)
        withExtendedLifetime(down) {}
    }

    /// An interchange the server cannot attempt (its outbox files gone) is left to a person with the reason, and counted
    /// as not attempted; the party is not held.
    @Test func anInterchangeThatCannotBeAttemptedIsCountedSo() async throws {
        let sender = try APIFixture()
        defer { sender.dir.remove() }
        let down = try ClosedPort()
        let (references, stored) = try leftInOutbox(sender, [("ange", down.port, sender.docs.decision.number)])
        let outbox = ExchangeService(records: sender.service).outboxDirectory
        for suffix in ["xml", "tar"] { try FileManager.default.removeItem(atPath: "\(outbox)/\(references[0]).\(suffix)") }
        let clock = FixedClock(Timestamp.format(try #require(try stored()[0].nextAttemptAt).addingTimeInterval(1)))
        try await sender.application(clock: clock, redeliveryInterval: .milliseconds(50)).test(.router) { client in
            let counted = try await Self.redeliveryMetrics(client) {
                $0[#"diarium_exchange_redelivery_attempts_total{outcome="not-attempted"}"#] == 1
            }
            #expect(counted[#"diarium_exchange_redelivery_attempts_total{outcome="not-attempted"}"#] == 1
                    && counted[#"diarium_exchange_redelivery_attempts_total{outcome="failed"}"#] == 0, "\(counted)")
        }
        let left = try stored()[0]
        #expect(left.nextAttemptAt == nil && left.attempts == 0 && left.lastError?.hasPrefix("not tried again by itself: ") == true,
                "\(left)")
        withExtendedLifetime(down) {}
    }

    /// No more than `RedeliveryService.parallelParties` parties at once: with nine silent inboxes, eight attempts hang
    /// and the ninth party waits for a place, its interchange neither tried nor held.
    @Test func atMostEightPartiesAreDeliveredToAtOnce() async throws {
        let sender = try APIFixture()
        defer { sender.dir.remove() }
        let silent = try (0..<9).map { _ in try ClosedPort(silent: true) }
        let (_, stored) = try leftInOutbox(sender, silent.enumerated().map { ("tyst-\($0.offset)", $0.element.port, sender.docs.decision.number) })
        let clock = FixedClock(Timestamp.format(try #require(try stored().compactMap(\.nextAttemptAt).max()).addingTimeInterval(1)))
        try await sender.application(clock: clock, redeliveryInterval: .milliseconds(50)).test(.router) { client in
            let full = try await Self.redeliveryMetrics(client) { $0["diarium_exchange_redelivery_parties"] == 8 }
            #expect(full["diarium_exchange_redelivery_parties"] == 8 && RedeliveryService.parallelParties == 8, "\(full)")
            // Several passes later: still eight under way, the ninth neither tried nor held.
            try await Task.sleep(for: .milliseconds(500))
            let records = try stored()
            let held = records.filter { ($0.nextAttemptAt ?? .distantPast) > clock.now().addingTimeInterval(3600) }
            #expect(held.count == 8 && records.allSatisfy { $0.attempts == 0 }, "\(records.map { ($0.recipient, $0.nextAttemptAt) })")
            #expect(try await Self.redeliveryMetrics(client)["diarium_exchange_redelivery_parties"] == 8)
        }
        withExtendedLifetime(silent) {}
    }

    /// A party whose inbox takes the package and never answers holds its attempt up to the transport's deadline
    /// (hours): the other parties' interchanges are tried meanwhile, not after it.
    @Test func aSilentPartyDoesNotHoldUpTheOthers() async throws {
        let sender = try APIFixture()
        defer { sender.dir.remove() }
        let silent = try ClosedPort(silent: true), down = try ClosedPort()
        // The silent one first: it is due first.
        let (_, stored) = try leftInOutbox(sender, [("tyst", silent.port, sender.docs.decision.number), ("ange", down.port, sender.docs.decision.number)])
        let clock = FixedClock(Timestamp.format(try #require(try stored().compactMap(\.nextAttemptAt).max()).addingTimeInterval(1)))
        try await sender.application(clock: clock, redeliveryInterval: .milliseconds(50)).test(.router) { client in
            var records = try stored()
            for _ in 0..<400 where records[1].attempts == 0 || records[0].nextAttemptAt.map({ $0 <= clock.now() }) ?? true {
                try await Task.sleep(for: .milliseconds(50))
                records = try stored()
            }
            // The silent party's attempt is under way (leased, no outcome yet); the other party's was made and failed.
            #expect(records[0].attempts == 0 && (records[0].nextAttemptAt ?? .distantPast) > clock.now().addingTimeInterval(4 * 3600),
                    "\(records[0])")
            #expect(records[1].attempts == 1 && records[1].lastError?.isEmpty == false, "\(records[1])")
            // Operators see the same: one failed, one party still under way.
            let counted = try await Self.redeliveryMetrics(client) { $0["diarium_exchange_redelivery_parties"] == 1 }
            #expect(counted[#"diarium_exchange_redelivery_attempts_total{outcome="failed"}"#] == 1
                    && counted[#"diarium_exchange_redelivery_attempts_total{outcome="accepted"}"#] == 0
                    && counted["diarium_exchange_redelivery_parties"] == 1, "\(counted)")
        }
        // Stopping cut the silent attempt off: due again at once, not counted.
        let after = try stored()
        #expect(after[0].attempts == 0 && (after[0].nextAttemptAt ?? .distantFuture) <= clock.now())
        withExtendedLifetime((silent, down)) {}
    }
}
