import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// Disposal and legal holds over HTTP: archivists only; a disposed document answers 410 for its content everywhere
/// and 409 for every change, and its view says when and under which rule it went.
@Suite struct DisposalRoutesTests {
    func json(_ response: TestResponse) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bodyText(response).utf8))
    }

    func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    /// A closed case in KS holding these letters (file name and title; the text says the name), all due at once: KS
    /// disposes of letters when their case closes.
    func closedCaseOfLetters(_ f: APIFixture, _ letters: [(file: String, title: String)]) throws -> (CaseNumber, [DocumentRecord]) {
        let ks = SeriesCode(rawValue: "KS")!
        let caseNumber = try f.service.openCase(NewCase(series: ks, title: "Gallras"), actor: "anna").number
        let records = try f.service.register(letters.map { letter in
            NewDocument(file: try f.dir.write(letter.file, "Brev om gatubelysning, \(letter.file)"),
                        metadata: DocumentMetadata(title: letter.title, recordType: .letter))
        }, in: caseNumber, actor: "anna")
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: .letter, action: .dispose, years: 0, mandate: "KS 2024 § 45"),
                                           actor: "admin")
        _ = try f.service.closeCase(caseNumber, actor: "anna")
        return (caseNumber, records)
    }

    @Test func archivistsListHoldAndDisposeAndTheDocumentIsGoneForEveryone() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let (caseNumber, letters) = try closedCaseOfLetters(f, [("brev.txt", "Brev om gatubelysning"), ("svar.txt", "Svar")])
        let (letter, other) = (letters[0], letters[1])
        _ = try f.service.finalise(letter.number, comment: nil, actor: "anna")
        let t = f.tokens
        let storePath = f.dir.file("store")
        @Sendable func headers(_ token: String) -> HTTPFields { bearer(token, [.contentType: "application/json"]) }

        try await f.application().test(.router) { client in
            for token in [t.anna, t.root] {
                try await client.execute(uri: "/api/v1/disposal/due", method: .get, headers: bearer(token)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                }
                try await client.execute(uri: "/api/v1/holds", method: .post, headers: headers(token),
                                         body: body(#"{"target":"\#(caseNumber)","reason":"Tvist"}"#)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                }
            }
            try await client.execute(uri: "/api/v1/disposal/due?series=KS", method: .get, headers: bearer(t.arkiv)) { response in
                #expect(response.status == .ok)
                let items = try #require(try json(response) as? [[String: Any]])
                #expect(items.map { $0["number"] as? String } == [letter.number.description, other.number.description])
                #expect(items.first?["mandate"] as? String == "KS 2024 § 45")
            }
            try await client.execute(uri: "/api/v1/disposal/due?after=\(letter.number.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                                     method: .get, headers: bearer(t.arkiv)) { response in
                let items = try #require(try json(response) as? [[String: Any]])
                #expect(items.map { $0["number"] as? String } == [other.number.description], "the next page")
            }
            for target in ["KS 2026/99", "KS 2026/1-99"] {
                try await client.execute(uri: "/api/v1/holds", method: .post, headers: headers(t.arkiv),
                                         body: body(#"{"target":"\#(target)","reason":"Tvist"}"#)) { response in
                    try expectProblem(response, .notFound, code: "not-found", field: "target")
                }
            }
            var holdID = 0
            try await client.execute(uri: "/api/v1/holds", method: .post, headers: headers(t.arkiv),
                                     body: body(#"{"target":"\#(other.number)","reason":"Begäran om utlämnande"}"#)) { response in
                #expect(response.status == .created)
                let hold = try #require(try json(response) as? [String: Any])
                holdID = try #require(hold["id"] as? Int)
                #expect(response.headers[.location] == "/api/v1/holds/\(holdID)" && hold["scope"] as? String == "document")
            }
            // The department's clerk sees the holds on its records (named), not every hold, nor another department's.
            let on = "/api/v1/holds?on=" + caseNumber.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: on, method: .get, headers: bearer(t.anna)) { response in
                #expect(response.status == .ok)
                let holds = try json(response) as? [[String: Any]]
                #expect(holds?.map { $0["reason"] as? String } == ["Begäran om utlämnande"])
            }
            try await client.execute(uri: "/api/v1/holds/\(holdID)", method: .get, headers: bearer(t.anna)) { #expect($0.status == .ok) }
            for (uri, token) in [("/api/v1/holds", t.anna), (on, t.bo), (on, t.root)] {
                try await client.execute(uri: uri, method: .get, headers: bearer(token)) { try expectProblem($0, .forbidden, code: "forbidden") }
            }
            // Another department's hold is one that does not exist; nothing is held in a series that does not.
            try await client.execute(uri: "/api/v1/holds/\(holdID)", method: .get, headers: bearer(t.bo)) {
                try expectProblem($0, .notFound, code: "not-found", field: "id")
            }
            try await client.execute(uri: "/api/v1/holds?on=SBN%202026%2F1-1", method: .get, headers: bearer(t.anna)) { response in
                #expect(response.status == .ok && bodyText(response) == "[]")
            }
            try await client.execute(uri: "/api/v1/holds", method: .post, headers: headers(t.arkiv),
                                     body: body(#"{"target":"KS 2026","reason":"x"}"#)) { response in
                try expectProblem(response, .badRequest, code: "invalid-number", field: "target")
            }
            for (text, field) in [("{}", "documents"), (#"{"due":false}"#, "documents"), (#"{"due":null}"#, "due"),
                                  (#"{"documents":["\#(letter.number)"],"due":true}"#, "due"), (#"{"documents":[],"series":"KS"}"#, "series"),
                                  (#"{"due":true,"limit":0}"#, "limit"), (#"{"documents":["\#(letter.number)"],"limit":5}"#, "limit")] {
                try await client.execute(uri: "/api/v1/disposal", method: .post, headers: headers(t.arkiv), body: body(text)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: field)
                }
            }
            try await client.execute(uri: "/api/v1/disposal", method: .post, headers: headers(t.arkiv),
                                     body: body(#"{"documents":["\#(letter.number)","\#(other.number)"]}"#)) { response in
                try expectProblem(response, .conflict, code: "invalid-state", field: "documents")
                #expect(bodyText(response).contains("kept by legal hold \(holdID)"))
            }
            try await client.execute(uri: "/api/v1/disposal", method: .post, headers: headers(t.arkiv), body: body(#"{"due":true,"series":"KS"}"#)) { response in
                #expect(response.status == .ok)
                let report = try #require(try json(response) as? [String: Any])
                #expect(report["disposed"] as? [String] == [letter.number.description] && report["held"] as? [String] == [other.number.description])
                #expect(report["unpurged"] as? Int == 1, "counted as the run ends, before the server merges the index")
            }
            try await client.execute(uri: "/api/v1/disposal/record?series=KS", method: .get, headers: bearer(t.arkiv)) { response in
                let lines = try #require(try json(response) as? [[String: Any]])
                #expect(response.status == .ok && lines.count == 1, "\(lines)")
                #expect(lines.first?["documents"] as? Int == 1 && lines.first?["recordType"] as? String == "letter" && lines.first?["by"] as? String == "arkiv")
            }
            try await client.execute(uri: "/api/v1/disposal/record", method: .get, headers: bearer(t.anna)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            try await client.execute(uri: "/api/v1/disposal/record?from=2030-01-02&to=2030-01-01", method: .get, headers: bearer(t.arkiv)) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "to")
            }
            // The server merges the index after the answer, in the background: then the letter's words are gone.
            let service = try RecordsService.open(at: storePath)
            let deadline = ContinuousClock.now + .seconds(60)
            while try service.indexStatus(check: false).unpurged > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try service.indexStatus(check: false).unpurged == 0)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(bodyText(response).contains("\ndiarium_index_unpurged_disposals 0\n"), "\(bodyText(response))")
            }
            // A release says why, as the hold did; without a reason nothing is released.
            try await client.execute(uri: "/api/v1/holds/\(holdID)/release", method: .post, headers: headers(t.arkiv), body: body("{}")) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "reason")
            }
            try await client.execute(uri: "/api/v1/holds/\(holdID)", method: .get, headers: bearer(t.arkiv)) { response in
                let hold = try json(response) as? [String: Any]
                #expect(hold?["id"] != nil && hold?["releasedAt"] == nil)
            }
            try await client.execute(uri: "/api/v1/holds/\(holdID)/release", method: .post, headers: headers(t.arkiv),
                                     body: body(#"{"reason":"Begäran besvarad"}"#)) { response in
                let hold = try json(response) as? [String: Any]
                #expect(response.status == .ok && hold?["releasedBy"] as? String == "arkiv" && hold?["releaseReason"] as? String == "Begäran besvarad")
            }
            try await client.execute(uri: "/api/v1/holds/\(holdID)/release", method: .post, headers: headers(t.arkiv),
                                     body: body(#"{"reason":"Igen"}"#)) { response in
                try expectProblem(response, .conflict, code: "invalid-state")
            }
            try await client.execute(uri: "/api/v1/holds?all=true&on=\(caseNumber.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                                     method: .get, headers: bearer(t.arkiv)) { response in
                let holds = try json(response) as? [[String: Any]]
                #expect(holds?.count == 1)
            }
            // A page at a time, newest first: `after` the last hold's id come the older ones.
            try await client.execute(uri: "/api/v1/holds?all=true&after=\(holdID)", method: .get, headers: bearer(t.arkiv)) { response in
                let holds = try #require(try json(response) as? [[String: Any]])
                #expect(response.status == .ok && holds.allSatisfy { ($0["id"] as? Int ?? .max) < holdID })
            }
            try await client.execute(uri: "/api/v1/holds?all=true&after=\(holdID + 1)&limit=1", method: .get, headers: bearer(t.arkiv)) { response in
                let holds = try #require(try json(response) as? [[String: Any]])
                #expect(holds.map { $0["id"] as? Int } == [holdID])
            }
            for bad in ["after=0", "after=x", "after="] {
                try await client.execute(uri: "/api/v1/holds?\(bad)", method: .get, headers: bearer(t.arkiv)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "after")
                }
            }
            try await client.execute(uri: "/api/v1/holds/99", method: .get, headers: bearer(t.arkiv)) { response in
                try expectProblem(response, .notFound, code: "not-found")
            }
            try await client.execute(uri: "/api/v1/holds/x", method: .get, headers: bearer(t.arkiv)) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "id")
            }

            // What is left of the disposed letter: its registration and when it went.
            try await client.execute(uri: apiPath(letter.number), method: .get, headers: bearer(t.bo)) { response in
                #expect(response.status == .ok && response.headers[.eTag] == "\"v2-disposed\"")
                let view = try #require(try json(response) as? [String: Any])
                #expect((view["disposal"] as? [String: Any])?["mandate"] as? String == "KS 2024 § 45")
                #expect((view["content"] as? [String: Any])?["available"] as? Bool == false)
                #expect((view["content"] as? [String: Any])?["withheld"] as? String == "disposed")
                #expect(view["title"] as? String == "Brev om gatubelysning")
            }
            for path in [apiPath(letter.number, "/content"), apiPath(letter.number, "/versions/1/content")] {
                try await client.execute(uri: path, method: .get, headers: bearer(t.arkiv)) { response in
                    try expectProblem(response, .gone, code: "gone")
                }
            }
            try await client.execute(uri: documentPath(letter.number, "/content"), method: .get) { response in
                try expectProblem(response, .gone, code: "gone")
            }
            try await client.execute(uri: documentPath(letter.number), method: .get) { response in
                let entry = try #require(try json(response) as? [String: Any])
                #expect((entry["content"] as? [String: Any])?["withheld"] as? String == "disposed")
                #expect(entry["title"] as? String == "Brev om gatubelysning", "the public diarium still lists it")
            }
            // By its version's tag or the disposed one the GET gave: refused for the disposal, not the tag.
            for tag in ["\"v2\"", "\"v2-disposed\""] {
                try await client.execute(uri: apiPath(letter.number), method: .patch, headers: bearer(t.anna, [.ifMatch: tag, .contentType: "application/json"]),
                                         body: body(#"{"title":"Nytt"}"#)) { response in
                    try expectProblem(response, .conflict, code: "invalid-state")
                }
            }
            try await client.execute(uri: apiPath(letter.number), method: .patch, headers: bearer(t.anna, [.ifMatch: "\"v1-disposed\"", .contentType: "application/json"]),
                                     body: body(#"{"title":"Nytt"}"#)) { response in
                try expectProblem(response, .preconditionFailed, code: "version-conflict")
            }
        }
        #expect(try f.service.verify().ok)
    }

    /// Disposed of by another process (the CLI with --purge-later, say), the words wait in the index: a server started
    /// on the store merges it in the background, and `/metrics` shows the count fall to 0.
    /// The backups the log records, with what each still holds that was disposed of since: for those who read the log.
    @Test func archivistsSeeWhichBackupsHoldDisposedContent() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let (_, letters) = try closedCaseOfLetters(f, [("brev.txt", "Brev om gatubelysning")])
        let backup = f.dir.file("kopia")
        _ = try f.service.backup(to: backup, actor: "drift")
        _ = try f.service.dispose(.documents([letters[0].number]), actor: "arkiv")
        let tokens = f.tokens
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/backups", method: .get, headers: bearer(tokens.anna)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            for token in [tokens.arkiv, tokens.root] {
                try await client.execute(uri: "/api/v1/backups", method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok)
                    let list = try #require(try json(response) as? [[String: Any]])
                    #expect(list.count == 1)
                    #expect(list.first?["destination"] as? String == backup && list.first?["by"] as? String == "drift")
                    #expect(list.first?["present"] as? Bool == true && list.first?["disposedSince"] as? Int == 1)
                }
            }
            try await client.execute(uri: "/api/v1/backups?all=1", method: .get, headers: bearer(tokens.arkiv)) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "all")
            }
        }
    }

    @Test func aServerTakesUpAPurgeLeftWaiting() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let (_, letters) = try closedCaseOfLetters(f, [("brev.txt", "Brev")])
        #expect(try f.service.dispose(.documents([letters[0].number]), actor: "arkivarie").unpurged == 1)
        let storePath = f.dir.file("store")
        try await f.application().test(.router) { client in
            let service = try RecordsService.open(at: storePath)
            let deadline = ContinuousClock.now + .seconds(60)
            while try service.unpurgedDisposals() > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(bodyText(response).contains("\ndiarium_index_unpurged_disposals 0\n"), "\(bodyText(response))")
            }
        }
    }

    /// Gallring leaves no copy in the system: an export package the server made before a disposal of a document it
    /// covers is withdrawn, whether the disposal came over the API (at once) or from another process (found when
    /// the package is asked for: 410). Packages of other cases stay.
    @Test func exportPackagesHoldingDisposedContentAreWithdrawn() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let (gallras, letters) = try closedCaseOfLetters(f, [("brev1.txt", "Brev"), ("brev2.txt", "Brev")])
        let kept = f.docs.secret.number.caseNumber
        let t = f.tokens
        let storePath = f.dir.file("store")
        let json: HTTPFields = [.contentType: "application/json"]

        try await f.application().test(.router) { client in
            @Sendable func export(_ number: CaseNumber) async throws -> String {
                let location = try await client.execute(uri: "/api/v1/exports", method: .post, headers: bearer(t.arkiv, json),
                                                        body: ByteBuffer(string: #"{"case":"\#(number)"}"#)) { response in
                    try #require(response.headers[.location])
                }
                for _ in 0..<400 {
                    let job = try await client.execute(uri: location, method: .get, headers: bearer(t.arkiv)) { try jsonObject($0) }
                    if job["status"] as? String == "done" { return location }
                    #expect(job["status"] as? String != "failed", "\(job)")
                    try await Task.sleep(for: .milliseconds(25))
                }
                Issue.record("export of \(number) did not finish")
                return location
            }
            let first = try await export(gallras)
            let other = try await export(kept)
            try await client.execute(uri: "/api/v1/disposal", method: .post, headers: bearer(t.arkiv, json),
                                     body: ByteBuffer(string: #"{"documents":["\#(letters[0].number)"]}"#)) { response in
                #expect(response.status == .ok)
            }
            let withdrawn = try await client.execute(uri: first, method: .get, headers: bearer(t.arkiv)) { try jsonObject($0) }
            #expect(withdrawn["status"] as? String == "failed" && withdrawn["download"] == nil)
            #expect((withdrawn["error"] as? String)?.contains("disposed of after it was made") == true && withdrawn["withdrawn"] as? Bool == true,
                    "\(withdrawn)")
            // Gone, every time it is asked for (not a 409 a client would poll on).
            for _ in 0..<2 {
                try await client.execute(uri: first + "/package", method: .get, headers: bearer(t.arkiv)) { response in
                    try expectProblem(response, .gone, code: "gone", detail: "was withdrawn")
                }
            }
            try await client.execute(uri: other + "/package", method: .get, headers: bearer(t.arkiv)) { response in
                #expect(response.status == .ok, "another case's package stays")
            }

            // Made after that disposal, the case's package carries no content of it; a disposal by another process
            // (the CLI) is found when the package is asked for.
            let second = try await export(gallras)
            try await client.execute(uri: second + "/package", method: .get, headers: bearer(t.arkiv)) { response in
                #expect(response.status == .ok)
            }
            let cli = try RecordsService.open(at: storePath)
            _ = try cli.dispose(.documents([letters[1].number]), actor: "arkivarie")
            for _ in 0..<2 {
                try await client.execute(uri: second + "/package", method: .get, headers: bearer(t.arkiv)) { response in
                    try expectProblem(response, .gone, code: "gone", detail: "was withdrawn")
                }
            }
            let after = try await client.execute(uri: second, method: .get, headers: bearer(t.arkiv)) { try jsonObject($0) }
            #expect(after["status"] as? String == "failed" && after["withdrawn"] as? Bool == true)
            try await client.execute(uri: other + "/package", method: .get, headers: bearer(t.arkiv)) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
