import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

@Suite struct PublicRoutesTests {
    @Test func healthAnswersWhenTheStoreDoes() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = try jsonObject(response)
                #expect(body as? [String: String] == ["status": "ok"])
            }
        }
    }

    @Test func diariumListsEveryDocumentNewestFirstWithoutRestrictedParts() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/public/v1/diarium", method: .get) { response in
                #expect(response.status == .ok)
                expectNoSecrets(response)
                // A restriction added later must reach a cached copy: caches revalidate every time.
                #expect(response.headers[.cacheControl] == "no-cache")
                let page = try jsonObject(response)
                let entries = try #require(page["documents"] as? [[String: Any]])
                #expect(entries.compactMap { $0["number"] as? String } == [docs.late, docs.paper, docs.titleOnly, docs.draft, docs.secret, docs.decision]
                    .map(\.number.description))
                #expect(page["nextCursor"] == nil)

                let decision = entries[5]
                #expect(decision["title"] as? String == "Beslut om bygglov i Åre")
                #expect(decision["recordType"] as? String == "decision")
                #expect(decision["direction"] as? String == "outgoing")
                #expect(decision["status"] as? String == "final")
                #expect(decision["documentDate"] as? String == "2026-02-20")
                #expect(decision["registeredAt"] as? String == Timestamp.format(docs.decision.registeredAt))
                #expect(decision["recipient"] as? String == "Åre kommun")
                #expect(decision["restriction"] == nil)
                let content = try #require(decision["content"] as? [String: Any])
                #expect(content["available"] as? Bool == true)
                #expect(content["mediaType"] as? String == "application/pdf")
                #expect(content["size"] as? Int == 300_000)

                let secret = entries[4]
                #expect(secret["title"] as? String == "Utredning enligt LSS", "the public title stands in for the restricted one")
                #expect(secret["sender"] == nil && secret["recipient"] == nil)
                let restriction = try #require(secret["restriction"] as? [String: Any])
                #expect(restriction["kind"] as? String == "privacy")
                #expect(restriction["legalReference"] as? String == "OSL 26 kap. 1 §")
                #expect(restriction["hides"] as? [String] == ["content", "parties", "title"])
                let secretContent = try #require(secret["content"] as? [String: Any])
                #expect(secretContent["available"] as? Bool == false)
                #expect(secretContent["withheld"] as? String == "restricted")
                #expect(secretContent["size"] == nil && secretContent["mediaType"] == nil)

                let draft = entries[3]
                #expect(draft["status"] as? String == "draft")
                #expect((draft["content"] as? [String: Any])?["withheld"] as? String == "draft")

                let titleOnly = entries[2]
                #expect(titleOnly["title"] == nil, "a restricted title without a public title is left out")
                #expect((titleOnly["content"] as? [String: Any])?["available"] as? Bool == true)

                let paper = entries[1]
                #expect(paper["sender"] as? String == "Anna Andersson", "unrestricted parties are public")
                #expect(paper["content"] == nil)
            }
        }
    }

    @Test func diariumPagesWithACursorAndFiltersByRegistrationDateAndSeries() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        try await f.application().test(.router) { client in
            func numbers(_ uri: String) async throws -> ([String], String?) {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    let page = try jsonObject(response)
                    let entries = try #require(page["documents"] as? [[String: Any]])
                    return (entries.compactMap { $0["number"] as? String }, page["nextCursor"] as? String)
                }
            }
            var seen: [String] = []
            var (page, cursor) = try await numbers("/public/v1/diarium?limit=2")
            seen += page
            while let next = cursor {
                #expect(page.count == 2)
                (page, cursor) = try await numbers("/public/v1/diarium?limit=2&after=\(next)")
                seen += page
            }
            #expect(seen.count == 6 && Set(seen).count == 6)

            // 23:30 UTC on 4 March is 00:30 on 5 March in Sweden.
            #expect(try await numbers("/public/v1/diarium?from=2026-03-05").0 == [docs.late.number.description])
            #expect(try await numbers("/public/v1/diarium?to=2026-03-04").0.count == 5)
            #expect(try await numbers("/public/v1/diarium?from=2026-03-01&to=2026-03-01").0.count == 5)
            #expect(try await numbers("/public/v1/diarium?series=BUN").0 == [docs.late.number.description])

            // A cursor belongs to the listing it came from.
            let ksCursor = try #require(try await numbers("/public/v1/diarium?series=KS&limit=1").1)
            try await client.execute(uri: "/public/v1/diarium?series=BUN&limit=1&after=\(ksCursor)", method: .get) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "after")
            }
        }
    }

    @Test(arguments: [
        ("/public/v1/diarium?from=2026-13-01", "from"),
        ("/public/v1/diarium?to=yesterday", "to"),
        ("/public/v1/diarium?from=2026-03-02&to=2026-03-01", "to"),
        ("/public/v1/diarium?series=ks", "series"),
        ("/public/v1/diarium?series=XX", "series"),
        ("/public/v1/diarium?limit=0", "limit"),
        ("/public/v1/diarium?limit=101", "limit"),
        ("/public/v1/diarium?limit=ten", "limit"),
        ("/public/v1/diarium?after=not-a-cursor", "after"),
        ("/public/v1/diarium?serie=KS", "serie"),
        ("/public/v1/diarium?limit=5&limit=6", "limit"),
        ("/public/v1/diarium?from=%E0%A4%A", "from"),
        ("/public/v1/search", "q"),
        ("/public/v1/search?q=%22unclosed", "q"),
        ("/public/v1/search?q=bygglov&limit=1000", "limit"),
    ])
    func badParametersAreProblemsNamingTheParameter(uri: String, parameter: String) async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        try await f.application().test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: parameter)
            }
        }
    }

    @Test func oneDocumentAndUnknownOrMalformedNumbers() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        try await f.application().test(.router) { client in
            try await client.execute(uri: documentPath(docs.secret.number), method: .get) { response in
                #expect(response.status == .ok)
                expectNoSecrets(response)
                // A restriction added later must reach a cached copy: caches revalidate every time.
                #expect(response.headers[.cacheControl] == "no-cache")
                let entry = try jsonObject(response)
                #expect(entry["number"] as? String == docs.secret.number.description)
                #expect(entry["title"] as? String == "Utredning enligt LSS")
                #expect((entry["restriction"] as? [String: Any])?["legalReference"] as? String == "OSL 26 kap. 1 §")
            }
            try await client.execute(uri: documentPath(docs.titleOnly.number), method: .get) { response in
                #expect(response.status == .ok)
                expectNoSecrets(response)
            }
            try await client.execute(uri: "/public/v1/documents/KS%202026%2F1-99", method: .get) { response in
                try expectProblem(response, .notFound, code: "not-found")
                #expect(bodyText(response).contains("KS 2026/1-99"))
            }
            try await client.execute(uri: "/public/v1/documents/nonsense", method: .get) { response in
                try expectProblem(response, .badRequest, code: "invalid-number", field: "number")
            }
        }
    }

    /// `/public/v1/cases/{case}`: the case as the public may see it and its documents in filing order, paged.
    @Test func aCaseWithItsDocumentsInFilingOrder() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        let restricted = try f.restrictedCase(department: "IFO")
        @Sendable func casePath(_ number: CaseNumber, _ query: String = "") -> String {
            "/public/v1/cases/" + number.description.percentEncoded() + query
        }
        try await f.application().test(.router) { client in
            func page(_ uri: String) async throws -> (case: [String: Any], numbers: [String], next: String?) {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    #expect(response.headers[.cacheControl] == "no-cache")
                    expectNoSecrets(response)
                    let body = try jsonObject(response)
                    let entries = try #require(body["documents"] as? [[String: Any]])
                    return (try #require(body["case"] as? [String: Any]), entries.compactMap { $0["number"] as? String },
                            body["nextCursor"] as? String)
                }
            }
            let caseNumber = docs.decision.number.caseNumber
            let all = try await page(casePath(caseNumber))
            #expect(all.case["title"] as? String == "Beslut och skrivelser" && all.case["status"] as? String == "open")
            #expect(all.case["documentCount"] as? Int == 5 && all.case["redacted"] as? [String] == [])
            #expect(all.numbers == [docs.decision, docs.secret, docs.draft, docs.titleOnly, docs.paper].map(\.number.description))
            #expect(all.next == nil)

            var seen: [String] = []
            var (_, numbers, cursor) = try await page(casePath(caseNumber, "?limit=2"))
            seen += numbers
            while let next = cursor {
                #expect(numbers.count == 2)
                (_, numbers, cursor) = try await page(casePath(caseNumber, "?limit=2&after=\(next)"))
                seen += numbers
            }
            #expect(seen == all.numbers)
            #expect(try await page(casePath(caseNumber, "?limit=5")).next == nil, "exactly a page: no next one")

            // A cursor belongs to its case, and the diarium's is not a case's.
            let first = try #require(try await page(casePath(caseNumber, "?limit=1")).next)
            let diariumCursor = try await client.execute(uri: "/public/v1/diarium?limit=1", method: .get) { response in
                try #require(try jsonObject(response)["nextCursor"] as? String)
            }
            for uri in [casePath(docs.late.number.caseNumber, "?after=\(first)"), casePath(caseNumber, "?after=\(diariumCursor)"),
                        casePath(caseNumber, "?after=nonsense")] {
                try await client.execute(uri: uri, method: .get) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "after")
                }
            }

            let hidden = try await page(casePath(restricted))
            #expect(hidden.case["title"] as? String == "Orosanmälan" && hidden.case["redacted"] as? [String] == ["title"])
            #expect(hidden.case["officer"] as? String == "Anna Berg" && hidden.case["department"] as? String == "IFO")
            let ground = try #require(hidden.case["restriction"] as? [String: Any])
            #expect(ground["kind"] as? String == "privacy" && ground["legalReference"] as? String == "OSL 26 kap. 1 §")
            #expect(ground["hides"] as? [String] == ["title"])
            #expect(hidden.numbers == [] && hidden.case["documentCount"] as? Int == 0)

            try await client.execute(uri: "/public/v1/cases/KS%202026%2F99", method: .get) { response in
                try expectProblem(response, .notFound, code: "not-found")
            }
            try await client.execute(uri: "/public/v1/cases/nonsense", method: .get) { response in
                try expectProblem(response, .badRequest, code: "invalid-number", field: "case")
            }
            for query in ["?limit=0", "?limit=x", "?unknown=1"] {
                try await client.execute(uri: casePath(caseNumber, query), method: .get) { response in
                    #expect(response.status == .badRequest, "\(query)")
                }
            }
        }
    }

    /// `/public/v1/cases?title=`: cases newest first as the public may see them, found by their public titles' words;
    /// a restricted title is neither matched nor shown.
    @Test func casesAreListedAndFoundByTheirPublicTitles() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let restricted = try f.restrictedCase(department: "IFO")
        let open = f.docs.decision.number.caseNumber
        try await f.application().test(.router) { client in
            func list(_ query: String) async throws -> [[String: Any]] {
                try await client.execute(uri: "/public/v1/cases" + query, method: .get) { response in
                    #expect(response.status == .ok, "\(query)")
                    #expect(response.headers[.cacheControl] == "no-cache")
                    expectNoSecrets(response)
                    return try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                }
            }
            let all = try await list("")
            #expect(all.first?["number"] as? String == restricted.description, "newest first")
            #expect(all.contains { $0["number"] as? String == open.description })
            let hidden = try #require(all.first)
            #expect(hidden["title"] as? String == "Orosanmälan" && hidden["redacted"] as? [String] == ["title"])
            #expect(try await list("?title=hemligsson").isEmpty, "a restricted title is not matched")
            #expect(try await list("?title=gällande%20orosanm%C3%A4lan").isEmpty, "nor split across the public one")
            #expect(try await list("?title=orosanm%C3%A4l*").map { $0["number"] as? String } == [restricted.description])
            #expect(try await list("?title=BESLUT%20skriv*").map { $0["number"] as? String } == [open.description])
            // Paged after the last case of a page.
            let first = try await list("?limit=1")
            let second = try await list("?limit=1&after=" + restricted.description.percentEncoded())
            #expect(first.count == 1 && second.count == 1 && second[0]["number"] as? String != restricted.description)
            for (query, field) in [("?title=ab*", "title"), ("?title=", "title"), ("?title=-beslut", "title"), ("?series=XYZ", "series"),
                                   ("?limit=0", "limit"), ("?after=nonsense", "after")] {
                try await client.execute(uri: "/public/v1/cases" + query, method: .get) { response in
                    #expect(response.status == .badRequest && response.headers[.contentType] == "application/problem+json", "\(query)")
                    let problem = try jsonObject(response)
                    #expect(problem["field"] as? String == field, "\(query)")
                }
            }
            try await client.execute(uri: "/public/v1/cases?after=KS%202026%2F99", method: .get) { response in
                try expectProblem(response, .notFound, code: "not-found", field: "after")
            }
        }
    }

    @Test func contentOnlyForFinalDocumentsWhoseRestrictionDoesNotHideIt() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        // A letter that came in is public as it arrived (TF 2 kap. 9 §): final as registered, nothing to finalise.
        let received = try f.service.register([NewDocument(file: try f.dir.write("Synpunkt.txt", "Synpunkt på parken.\n"), metadata: DocumentMetadata(
            title: "Synpunkt på parken", recordType: .letter, direction: .incoming, sender: "Eva Ek"))],
                                              in: docs.decision.number.caseNumber, actor: "anna")[0]
        try await f.application().test(.router) { client in
            try await client.execute(uri: documentPath(received.number, "/content"), method: .get) { response in
                #expect(response.status == .ok && bodyText(response) == "Synpunkt på parken.\n")
            }
            try await client.execute(uri: documentPath(received.number), method: .get) { response in
                let entry = try jsonObject(response)
                #expect(entry["status"] as? String == "final")
            }
            try await client.execute(uri: documentPath(docs.decision.number, "/content"), method: .get) { response in
                #expect(response.status == .ok)
                #expect(Data(response.body.readableBytesView) == docs.decisionBytes)
                #expect(response.headers[.contentType] == "application/pdf")
                #expect(response.headers[.contentLength] == "300000")
                #expect(response.headers[.eTag] == "\"\(docs.decision.current.content!.sha256)\"")
                #expect(response.headers[.acceptRanges] == "bytes")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.contentDisposition]
                    == "attachment; filename=\"Beslut for Are.pdf\"; filename*=UTF-8''Beslut%20f%C3%B6r%20%C3%85re.pdf")
            }
            try await client.execute(uri: documentPath(docs.secret.number, "/content"), method: .get) { response in
                try expectProblem(response, .forbidden, code: "content-restricted")
                #expect(bodyText(response).contains("OSL 26 kap. 1 §"))
                expectNoSecrets(response)
            }
            try await client.execute(uri: documentPath(docs.draft.number, "/content"), method: .get) { response in
                try expectProblem(response, .forbidden, code: "content-not-final")
                #expect(!bodyText(response).contains("Utkast till budget"))
            }
            try await client.execute(uri: documentPath(docs.paper.number, "/content"), method: .get) { response in
                try expectProblem(response, .notFound, code: "no-content")
            }
            try await client.execute(uri: "/public/v1/documents/KS%202026%2F1-99/content", method: .get) { response in
                try expectProblem(response, .notFound, code: "not-found")
            }
            // The title is restricted and the file name repeats it: the download gets a name made from the number.
            try await client.execute(uri: documentPath(docs.titleOnly.number, "/content"), method: .get) { response in
                #expect(response.status == .ok)
                #expect(bodyText(response) == "Allmän text om ett bygglov.\n")
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"KS-2026-1-4.txt\"; filename*=UTF-8''KS-2026-1-4.txt")
                expectNoSecrets(response)
            }
            try await client.execute(uri: documentPath(docs.decision.number, "/content"), method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == "300000")
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    /// Streaming, ETag and ranges, through the router and through a real socket.
    @Test(arguments: [TestingSetup.router, .live])
    func conditionalAndRangeRequests(setup: TestingSetup) async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        let uri = documentPath(docs.decision.number, "/content")
        let etag = "\"\(docs.decision.current.content!.sha256)\""
        let bytes = docs.decisionBytes
        try await f.application().test(setup) { client in
            for condition in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: condition]) { response in
                    #expect(response.status == .notModified, "\(condition)")
                    #expect(response.headers[.eTag] == etag)
                    #expect(response.body.readableBytes == 0)
                }
            }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\""]) { response in
                #expect(response.status == .ok)
                #expect(Data(response.body.readableBytesView) == bytes)
            }
            // Within one chunk, across the 128 KiB chunk boundary, open-ended, and a suffix.
            let ranges: [(String, Range<Int>)] = [
                ("bytes=0-99", 0..<100), ("bytes=131000-140000", 131_000..<140_001), ("bytes=299990-", 299_990..<300_000),
                ("bytes=-10", 299_990..<300_000), ("bytes=100-999999", 100..<300_000),
            ]
            for (header, expected) in ranges {
                try await client.execute(uri: uri, method: .get, headers: [.range: header]) { response in
                    #expect(response.status == .partialContent, "\(header)")
                    #expect(response.headers[.contentRange] == "bytes \(expected.lowerBound)-\(expected.upperBound - 1)/300000")
                    #expect(response.headers[.contentLength] == String(expected.count))
                    #expect(Data(response.body.readableBytesView) == bytes[expected])
                }
            }
            for header in ["bytes=300000-", "bytes=400000-500000", "bytes=-0"] {
                try await client.execute(uri: uri, method: .get, headers: [.range: header]) { response in
                    try expectProblem(response, .rangeNotSatisfiable, code: "range-not-satisfiable")
                    #expect(response.headers[.contentRange] == "bytes */300000")
                }
            }
            // Several ranges, a malformed header, or an If-Range that no longer matches: the whole content.
            for headers: HTTPFields in [[.range: "bytes=0-1,5-6"], [.range: "items=0-1"], [.range: "bytes=9-1"],
                                        [.range: "bytes=0-1", .ifRange: "\"stale\""]] {
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.readableBytes == 300_000)
                }
            }
            try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-1", .ifRange: etag]) { response in
                #expect(response.status == .partialContent)
            }
        }
    }

    @Test func damagedOrMissingContentIsNeverServed() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        let blob = f.service.store.blobs.path(of: docs.decision.current.content!.sha256)
        // Same size, one byte changed: only hashing while streaming can tell.
        var damaged = docs.decisionBytes
        damaged[200_000] ^= 0xff
        try FileManager.default.removeItem(atPath: blob)
        try damaged.write(to: URL(fileURLWithPath: blob))
        let uri = documentPath(docs.decision.number, "/content")
        try await f.application().test(.router) { client in
            await #expect(throws: (any Error).self, "the transfer must break off, not complete with damaged bytes") {
                try await client.execute(uri: uri, method: .get)
            }
            // A range that is the whole content is checked like a full download; a piece cannot be, and is served.
            for whole in ["bytes=0-", "bytes=0-\(docs.decisionBytes.count - 1)", "bytes=-\(docs.decisionBytes.count)"] {
                await #expect(throws: (any Error).self, "\(whole) must break off") {
                    try await client.execute(uri: uri, method: .get, headers: [.range: whole])
                }
            }
            try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9"]) { response in
                #expect(response.status == .partialContent)
            }
        }
        try FileManager.default.removeItem(atPath: blob)
        try await f.application().test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                try expectProblem(response, .internalServerError, code: "internal-error")
                #expect(!bodyText(response).contains(blob), "the path stays in the log")
                #expect(!bodyText(response).contains("missing"))
            }
        }
    }

    @Test func searchRunsInThePublicView() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/public/v1/search?q=utredning", method: .get) { response in
                #expect(response.status == .ok)
                expectNoSecrets(response)
                // A restriction added later must reach a cached copy: caches revalidate every time.
                #expect(response.headers[.cacheControl] == "no-cache")
                let result = try jsonObject(response)
                let hits = try #require(result["hits"] as? [[String: Any]])
                #expect(hits.compactMap { $0["number"] as? String } == [docs.secret.number.description])
                #expect(hits.first?["title"] as? String == "Utredning enligt LSS")
                #expect(hits.first?["legalReference"] as? String == "OSL 26 kap. 1 §")
                #expect(result["facets"] is [String: Any])
            }
            for secret in ["konfidentiellt", "Hemligsson", "sender:%22Hemlig%20Avs%C3%A4ndare%22", "Smithsson"] {
                try await client.execute(uri: "/public/v1/search?q=\(secret)", method: .get) { response in
                    #expect(response.status == .ok)
                    let result = try jsonObject(response)
                    #expect((result["hits"] as? [Any])?.isEmpty == true, "\(secret)")
                    expectNoSecrets(response)
                }
            }
            // A restricted title without a public title is left out, as in the public diarium.
            try await client.execute(uri: "/public/v1/search?q=bygglov", method: .get) { response in
                let hits = try #require(try jsonObject(response)["hits"] as? [[String: Any]])
                let hit = try #require(hits.first { $0["number"] as? String == docs.titleOnly.number.description })
                #expect(hit["title"] == nil && hit["legalReference"] as? String == "OSL 21 kap. 1 §", "\(hit)")
                expectNoSecrets(response)
            }
            // A draft's text is not public: its words find nothing and none of it is sent.
            try await client.execute(uri: "/public/v1/search?q=budget", method: .get) { response in
                let hits = try #require(try jsonObject(response)["hits"] as? [[String: Any]])
                #expect(hits.isEmpty)
                #expect(!bodyText(response).contains("2027"))
            }
            try await client.execute(uri: "/public/v1/search?q=type:decision+status:final&limit=1", method: .get) { response in
                let result = try jsonObject(response)
                #expect((result["hits"] as? [Any])?.count == 1)
                let cursor = try #require(result["nextCursor"] as? String)
                try await client.execute(uri: "/public/v1/search?q=type:decision+status:final&limit=1&after=\(cursor)", method: .get) { next in
                    let page = try jsonObject(next)
                    #expect((page["hits"] as? [Any])?.count == 1)
                }
            }
        }
    }

    @Test func unknownPathsAndMethodsAreProblems() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/nothing-here", method: .get) { response in
                try expectProblem(response, .notFound, code: "not-found")
            }
            try await client.execute(uri: "/public/v1/diarium", method: .post) { response in
                try expectProblem(response, .methodNotAllowed, code: "method-not-allowed")
                #expect(response.headers[.allow] == "GET, HEAD")
            }
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        try await f.application().test(.router) { client in
            for _ in 0..<2 { try await client.execute(uri: "/health", method: .get) }
            try await client.execute(uri: "/no/such/page", method: .get)
            try await client.execute(uri: documentPath(docs.decision.number), method: .get)
            try await client.execute(uri: "/public/v1/diarium?limit=0", method: .get)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = bodyText(response)
                #expect(text.contains("# TYPE diarium_http_requests_total counter"))
                #expect(text.contains("diarium_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 2\n"))
                #expect(text.contains("diarium_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"))
                #expect(text.contains("diarium_http_requests_total{route=\"/public/v1/documents/{number}\",method=\"GET\",status=\"200\"} 1\n"))
                #expect(text.contains("diarium_http_requests_total{route=\"/public/v1/diarium\",method=\"GET\",status=\"400\"} 1\n"))
                #expect(text.contains("# TYPE diarium_http_request_duration_seconds histogram"))
                #expect(text.contains("diarium_http_request_duration_seconds_bucket{route=\"/health\",method=\"GET\",status=\"200\",le=\"+Inf\"} 2\n"))
                #expect(text.contains("diarium_http_request_duration_seconds_count{route=\"/health\",method=\"GET\",status=\"200\"} 2\n"))
                #expect(!text.contains("/no/such/page"))
            }
        }
    }
}

@Suite struct HTTPMetricsTests {
    /// Each request lands in the first bucket whose bound it does not exceed; buckets are written cumulatively, and
    /// series of different statuses stay apart.
    @Test func latenciesFillCumulativeBuckets() {
        let metrics = HTTPMetrics()
        for seconds in [0.0005, 0.001, 0.003, 0.2, 20] {
            metrics.record(route: "/r", method: "GET", status: 200, seconds: seconds)
        }
        metrics.record(route: "/r", method: "GET", status: 404, seconds: 0.0001)
        let text = metrics.exposition()
        func bucket(_ bound: String, _ status: Int = 200) -> String {
            "diarium_http_request_duration_seconds_bucket{route=\"/r\",method=\"GET\",status=\"\(status)\",le=\"\(bound)\"} "
        }
        #expect(text.contains(bucket("0.001") + "2\n"), "0.0005 and the bound itself")
        #expect(text.contains(bucket("0.0025") + "2\n"))
        #expect(text.contains(bucket("0.005") + "3\n"))
        #expect(text.contains(bucket("0.25") + "4\n"))
        #expect(text.contains(bucket("10.0") + "4\n"), "20 s is above every bound")
        #expect(text.contains(bucket("+Inf") + "5\n"))
        #expect(text.contains(bucket("0.001", 404) + "1\n"))
        #expect(text.contains("diarium_http_request_duration_seconds_sum{route=\"/r\",method=\"GET\",status=\"200\"} 20.2045\n"))
        #expect(text.contains("diarium_http_requests_total{route=\"/r\",method=\"GET\",status=\"200\"} 5\n"))
        #expect(text.contains("diarium_http_connections_total 0\n"), "the connection counts follow the requests")
    }

    @Test func connectionsOpenAcceptedAndEnded() {
        let metrics = ConnectionMetrics()
        for _ in 0..<3 { metrics.opened() }
        metrics.closed()
        metrics.ended(.stalled)
        metrics.ended(.refusedBody)
        metrics.ended(.refusedBody)
        let text = metrics.exposition()
        #expect(text.contains("# TYPE diarium_http_connections_open gauge\ndiarium_http_connections_open 2\n"))
        #expect(text.contains("# TYPE diarium_http_connections_total counter\ndiarium_http_connections_total 3\n"))
        #expect(text.contains("# TYPE diarium_http_connections_ended_total counter\n"))
        #expect(text.contains("diarium_http_connections_ended_total{reason=\"idle\"} 0\n"))
        #expect(text.contains("diarium_http_connections_ended_total{reason=\"stalled\"} 1\n"))
        #expect(text.contains("diarium_http_connections_ended_total{reason=\"refused-body\"} 2\n"))
    }
}

@Suite struct ContentHeaderTests {
    @Test func byteRanges() {
        #expect(ByteRange.parse(nil, size: 10) == .full)
        #expect(ByteRange.parse("bytes=0-0", size: 10) == .partial(0...0))
        #expect(ByteRange.parse("bytes=2-", size: 10) == .partial(2...9))
        #expect(ByteRange.parse("bytes=-3", size: 10) == .partial(7...9))
        #expect(ByteRange.parse("bytes=-30", size: 10) == .partial(0...9))
        #expect(ByteRange.parse("bytes=5-50", size: 10) == .partial(5...9))
        #expect(ByteRange.parse("bytes=10-", size: 10) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=99999999999999999999-", size: 10) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 10) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1,3-4", size: 10) == .full)
        #expect(ByteRange.parse("bytes=a-b", size: 10) == .full)
        // Empty content: no first byte exists, so only a suffix range is satisfiable (RFC 9110 §14.1.1).
        #expect(ByteRange.parse("bytes=0-1", size: 0) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-0", size: 0) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-5", size: 0) == .full)
    }

    @Test func contentDispositionKeepsTheNameAndOffersAnASCIIFallback() {
        #expect(ContentResponse.contentDisposition(fileName: "plan.pdf") == "attachment; filename=\"plan.pdf\"; filename*=UTF-8''plan.pdf")
        #expect(ContentResponse.contentDisposition(fileName: "Beslut för Åre.pdf")
            == "attachment; filename=\"Beslut for Are.pdf\"; filename*=UTF-8''Beslut%20f%C3%B6r%20%C3%85re.pdf")
        #expect(ContentResponse.contentDisposition(fileName: "a\"b\\c;d.txt")
            == "attachment; filename=\"a_b_c;d.txt\"; filename*=UTF-8''a%22b_c%3Bd.txt", "a backslash is a path on Windows: never sent")
        #expect(ContentResponse.contentDisposition(fileName: "100% klart.txt")
            == "attachment; filename=\"100_ klart.txt\"; filename*=UTF-8''100%25%20klart.txt", "a % some clients would decode")
        #expect(ContentResponse.contentDisposition(fileName: "日本.txt") == "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt")
    }

    @Test func entityTagConditions() {
        #expect(ContentResponse.matches("\"abc\"", etag: "\"abc\""))
        #expect(ContentResponse.matches("W/\"abc\"", etag: "\"abc\""))
        #expect(ContentResponse.matches("\"x\", \"abc\"", etag: "\"abc\""))
        #expect(ContentResponse.matches("*", etag: "\"abc\""))
        #expect(!ContentResponse.matches("\"abcd\"", etag: "\"abc\""))
    }
}
