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
}
