import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// Authentication, roles and the access restrictions, path by path and role by role.
@Suite struct APIAccessTests {
    @Test func tokensAuthenticateAndEveryBadTokenIs401() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let t = tokens
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/me", method: .get) { response in
                try expectProblem(response, .unauthorized, code: "unauthenticated", field: "Authorization")
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"diarium\"")
            }
            for header in ["Bearer \(t.revoked)", "Bearer \(t.disabled)", "Bearer dia_nonsense", "Basic YW5uYTpwdw==", "Bearer",
                           "Bearerx \(t.anna)", "Beare \(t.anna)", "Bëarer \(t.anna)", "Bearer: \(t.anna)"] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: header]) { response in
                    try expectProblem(response, .unauthorized, code: "unauthenticated", field: "Authorization")
                    // The token is never echoed.
                    #expect(!bodyText(response).contains(t.revoked) && !bodyText(response).contains(t.disabled))
                }
            }
            for (token, name, role) in [(t.anna, "anna", "clerk"), (t.arkiv, "arkiv", "archivist"), (t.root, "root", "admin")] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok)
                    let me = try jsonObject(response)
                    #expect(me["name"] as? String == name && me["role"] as? String == role)
                }
            }
            // The scheme is case-insensitive (RFC 9110 §11.1).
            for scheme in ["bearer", "BEARER", "bEaReR"] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "\(scheme) \(t.anna)"]) { response in
                    #expect(response.status == .ok, "\(scheme)")
                }
            }
            // A wrong method is 405 whoever asks, token or not.
            try await client.execute(uri: "/api/v1/me", method: .delete) { response in
                try expectProblem(response, .methodNotAllowed, code: "method-not-allowed")
                #expect(response.headers[.allow] == "GET, HEAD")
            }
        }
    }

    /// Users by name, a page at a time (admins only).
    @Test func usersAreListedAPageAtATime() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        try await f.application().test(.router) { client in
            func names(_ query: String) async throws -> [String] {
                try await client.execute(uri: "/api/v1/users\(query)", method: .get, headers: bearer(t.root)) { response in
                    #expect(response.status == .ok, "\(query)")
                    let users = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    return users.compactMap { $0["name"] as? String }
                }
            }
            #expect(try await names("") == ["anna", "arkiv", "bo", "gone", "root"])
            #expect(try await names("?limit=2") == ["anna", "arkiv"])
            #expect(try await names("?after=arkiv&limit=2") == ["bo", "gone"])
            #expect(try await names("?after=gone") == ["root"])
            #expect(try await names("?after=root").isEmpty)
            for (bad, field) in [("limit=0", "limit"), ("limit=1001", "limit"), ("after=", "after")] {
                try await client.execute(uri: "/api/v1/users?\(bad)", method: .get, headers: bearer(t.root)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: field)
                }
            }
            try await client.execute(uri: "/api/v1/users?limit=1", method: .get, headers: bearer(t.anna)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
        }
    }

    /// A name is found however its letters were composed (macOS sends "Björn" decomposed, in a path as in a body),
    /// and a name that differs from another only in case or width is refused: the audit log could not tell them apart.
    @Test func userNamesAreOneWayToWriteEachName() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        let json: HTTPFields = [.contentType: "application/json"]
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/users", method: .post, headers: bearer(t.root, json),
                                     body: ByteBuffer(string: #"{"name":"Bjo\u0308rn","role":"clerk","departments":["KS"]}"#)) { response in
                let name = try jsonObject(response)["name"] as? String
                #expect(response.status == .created && name == "Bj\u{F6}rn")
            }
            for path in ["Bj%C3%B6rn", "Bjo%CC%88rn"] {
                try await client.execute(uri: "/api/v1/users/\(path)", method: .get, headers: bearer(t.root)) { response in
                    #expect(response.status == .ok, "\(path)")
                }
                try await client.execute(uri: "/api/v1/audit?object=user:\(path)", method: .get, headers: bearer(t.arkiv)) { response in
                    let events = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]
                    let count = events?.count
                    #expect(count == 1, "\(path)")
                }
            }
            for twin in ["Anna", "ANNA", "\u{FF21}nna", "bj\u{F6}rn"] {
                try await client.execute(uri: "/api/v1/users", method: .post, headers: bearer(t.root, json),
                                         body: ByteBuffer(string: #"{"name":"\#(twin)","role":"admin"}"#)) { response in
                    try expectProblem(response, .conflict, code: "already-exists", field: "name")
                }
            }
        }
    }

    /// When a server last accepted a token: written after the answer, at most once a minute per token; a refused
    /// token is not noted; listed over HTTP (and by `token list`).
    @Test func aTokensLastUseIsWrittenOnceAMinute() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        let shared = f.service.store.shared
        let lastUsed: @Sendable (String) throws -> [Date?] = { user in
            try RecordsService(store: shared.makeStore()).listTokens(user: user).map(\.lastUsedAt)
        }
        #expect(try lastUsed("anna") == [nil, nil] && lastUsed("gone") == [nil])
        let before = Date()
        try await f.application().test(.router) { client in
            for token in [t.anna, t.revoked, t.disabled] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(token)) { _ in }
            }
            // Written off the request's path: wait for it.
            var first: Date?
            for _ in 0..<200 where first == nil {
                first = try lastUsed("anna")[1]
                if first == nil { try await Task.sleep(for: .milliseconds(25)) }
            }
            let used = try #require(first)
            #expect(used >= before.addingTimeInterval(-0.001) && used <= Date().addingTimeInterval(0.001))
            #expect(try lastUsed("anna")[0] == nil && lastUsed("gone") == [nil], "refused tokens are not noted")
            // Within the minute, more uses write nothing.
            for _ in 0..<3 {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(t.anna)) { response in #expect(response.status == .ok) }
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try lastUsed("anna")[1] == used)
            try await client.execute(uri: "/api/v1/users/anna/tokens", method: .get, headers: bearer(t.root)) { response in
                #expect(response.status == .ok)
                let listed = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                #expect(listed.map { $0["lastUsedAt"] as? String } == [nil, Timestamp.format(used)])
            }
        }
    }

    /// The restricted document (title, parties and content hidden) through every read path, for each role.
    /// A principal read from the catalog before a revocation cleared the cache is not cached after it: the revoked
    /// token would otherwise keep working for the cache's two seconds.
    @Test func aLookupInFlightDuringARevocationIsNotCached() {
        let cache = TokenCache()
        let anna = Principal(name: "anna", role: .clerk)
        let (missing, generation) = cache.principal(for: "digest")
        #expect(missing == nil)
        cache.removeAll()   // a revocation commits while the lookup reads the catalog
        cache.store(anna, for: "digest", readAt: generation)
        #expect(cache.principal(for: "digest").principal == nil)
        let (_, now) = cache.principal(for: "digest")
        cache.store(anna, for: "digest", readAt: now)
        #expect(cache.principal(for: "digest").principal == anna)
    }

    /// A content's format and text rendition (`…/content/info`) are as readable as the content: withheld from a
    /// reader without clearance as the bytes are, and a cleared read of restricted content's facts is audited.
    @Test func contentFactsAreAsReadableAsTheContent() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens, docs = f.docs, root = f.service.store.root
        let secret = docs.secret.number
        try await f.application().test(.router) { client in
            try await client.execute(uri: apiPath(docs.decision.number, "/content/info"), method: .get, headers: bearer(t.bo)) { response in
                #expect(response.status == .ok)
                let info = try jsonObject(response)
                #expect(info["number"] as? String == docs.decision.number.description && info["version"] as? Int == docs.decision.current.number
                        && info["sha256"] as? String == docs.decision.current.content?.sha256 && info["size"] as? Int == 300_000, "\(info)")
                // Random bytes named .pdf: no signature matches; their text is not extracted (unsupported or failed, with why).
                let format = try #require(info["format"] as? [String: Any])
                #expect(format["format"] is NSNull && format["current"] as? Bool == true, "\(format)")
                let text = try #require(info["text"] as? [String: Any])
                #expect(["unsupported", "failed"].contains(text["status"] as? String) && (text["message"] as? String)?.isEmpty == false, "\(text)")
            }
            let before = try RecordsService.open(at: root).audit().count
            try await client.execute(uri: apiPath(secret, "/content/info"), method: .get, headers: bearer(t.anna)) { response in
                let info = try jsonObject(response)
                let text = try #require(info["text"] as? [String: Any])
                #expect(text["status"] as? String == "extracted" && text["extractor"] is String && text["length"] as? Int == 53, "\(text)")
                #expect((info["format"] as? [String: Any]).flatMap { ($0["format"] as? [String: Any])?["puid"] as? String } == "x-fmt/111")
            }
            // A HEAD shows nothing, and is not logged as a read.
            try await client.execute(uri: apiPath(secret, "/content/info"), method: .head, headers: bearer(t.anna)) { #expect($0.status == .ok) }
            let read = try RecordsService.open(at: root).audit().dropFirst(before)
            #expect(read.map(\.action) == [.documentRead] && read.first?.details == #"{"parts":["content"],"read":"metadata"}"#,
                    "\(read.map(\.details))")
            // As withheld as the content: restricted, another department's draft, on paper, not there.
            for (token, path, status, code) in [
                (t.bo, apiPath(secret, "/content/info"), HTTPResponse.Status.forbidden, "forbidden"),
                (t.root, apiPath(secret, "/versions/1/content/info"), .forbidden, "forbidden"),
                (t.bo, apiPath(docs.draft.number, "/content/info"), .forbidden, "content-not-final"),
                (t.anna, apiPath(docs.paper.number, "/content/info"), .notFound, "no-content"),
                (t.anna, apiPath(docs.decision.number, "/versions/9/content/info"), .notFound, "not-found"),
            ] as [(String, String, HTTPResponse.Status, String)] {
                try await client.execute(uri: path, method: .get, headers: bearer(token)) { response in
                    try expectProblem(response, status, code: code)
                    expectNoSecrets(response)
                }
            }
            try await client.execute(uri: apiPath(docs.decision.number, "/content/info"), method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: apiPath(docs.decision.number, "/versions/1/content/info"), method: .get, headers: bearer(t.anna)) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func restrictedPartsReachOnlyReadersWithClearance() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens, docs = f.docs
        let secret = docs.secret.number
        let t = tokens
        let paths = [apiPath(secret), apiPath(secret, "/versions"), apiPath(secret, "/versions/1"), apiPath(secret, "/history"),
                     casePath(secret.caseNumber), "/api/v1/search?q=Hemligsson", "/api/v1/search?q=type:letter",
                     "/api/v1/cases?series=KS"]
        try await f.application().test(.router) { client in
            // Without clearance: bo (another department's clerk) and root (admin without department).
            for token in [t.bo, t.root] {
                for path in paths {
                    try await client.execute(uri: path, method: .get, headers: bearer(token)) { response in
                        #expect(response.status == .ok, "\(path)")
                        expectNoSecrets(response)
                    }
                }
                try await client.execute(uri: apiPath(secret), method: .get, headers: bearer(token)) { response in
                    let view = try jsonObject(response)
                    #expect(view["redacted"] as? [String] == ["content", "parties", "title"])
                    #expect(view["publicTitle"] as? String == "Utredning enligt LSS")
                    #expect((view["restriction"] as? [String: Any])?["legalReference"] as? String == "OSL 26 kap. 1 §")
                }
                try await client.execute(uri: apiPath(secret, "/content"), method: .get, headers: bearer(token)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                    expectNoSecrets(response)
                }
                try await client.execute(uri: "/api/v1/search?q=Hemligsson", method: .get, headers: bearer(token)) { response in
                    let json = try jsonObject(response)
                    #expect((json["hits"] as? [Any])?.isEmpty == true)
                }
            }
            // With clearance: anna (KS clerk) and arkiv (archivist).
            for token in [t.anna, t.arkiv] {
                try await client.execute(uri: apiPath(secret), method: .get, headers: bearer(token)) { response in
                    let view = try jsonObject(response)
                    #expect(view["title"] as? String == "Utredning om Hemligsson")
                    #expect(view["sender"] as? String == "Hemlig Avsändare")
                    #expect(view["redacted"] as? [String] == [])
                    #expect(response.headers[.eTag] == "\"v1\"", "incoming: final as registered, one version")
                }
                try await client.execute(uri: apiPath(secret, "/content"), method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok)
                    #expect(bodyText(response).contains("konfidentiellt"))
                    #expect(response.headers[.contentDisposition]?.contains("utredning.txt") == true)
                }
            }
            // Restricted parts are searched by the archivist and by KS's clerk, with the title they may read
            // (bo and root, above, found nothing).
            for token in [t.anna, t.arkiv] {
                try await client.execute(uri: "/api/v1/search?q=Hemligsson", method: .get, headers: bearer(token)) { response in
                    let hits = try #require(try jsonObject(response)["hits"] as? [[String: Any]])
                    #expect(hits.map { $0["number"] as? String } == [secret.description])
                    #expect(hits.first?["title"] as? String == "Utredning om Hemligsson")
                }
            }
        }
        // Every read of restricted parts by someone with clearance is in the audit chain, with who read what.
        let reads = try f.service.audit(object: secret.description).filter { $0.action == .documentRead }
        #expect(Set(reads.map(\.actor)) == ["anna", "arkiv"])
        #expect(reads.contains { $0.actor == "anna" && $0.details.contains("\"read\":\"content\"") })
        #expect(reads.contains { $0.actor == "anna" && $0.details.contains("\"read\":\"search\"") })
        #expect(reads.contains { $0.actor == "arkiv" && $0.details.contains("\"read\":\"search\"") })
        #expect(reads.allSatisfy { $0.version == 1 })
        #expect(try f.service.verify().ok)
    }

    /// Cases come newest first, a page at a time: the next page is the one after the last case of this one.
    @Test func casesAreListedNewestFirstAPageAtATime() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let opened = try (1...3).map { i in try f.service.openCase(NewCase(series: ks, title: "Ärende \(i)"), actor: "anna").number }
        let all = try f.service.listCases(series: ks).map(\.number.description)
        #expect(Array(all.prefix(3)) == opened.reversed().map(\.description))
        @Sendable func numbers(_ response: TestResponse) throws -> [String] {
            let list = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]] ?? []
            return list.compactMap { $0["number"] as? String }
        }
        let anna = f.tokens.anna, arkiv = f.tokens.arkiv
        try await f.application().test(.router) { client in
            var pages: [String] = []
            var after: String?
            repeat {
                let query = "series=KS&limit=2" + (after.map { "&after=" + $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! } ?? "")
                after = try await client.execute(uri: "/api/v1/cases?" + query, method: .get, headers: bearer(anna)) { response in
                    #expect(response.status == .ok)
                    let page = try numbers(response)
                    pages += page
                    return page.count == 2 ? page.last : nil
                }
            } while after != nil
            #expect(pages == all)
            try await client.execute(uri: "/api/v1/cases?year=2026&limit=1", method: .get, headers: bearer(arkiv)) { response in
                let page = try numbers(response)
                #expect(page == [opened[2].description])
            }
            for (query, status, code, field) in [("after=KS%202026%2F999", HTTPResponse.Status.notFound, "not-found", "after"),
                                                 ("after=KS", .badRequest, "invalid-number", "after"),
                                                 ("year=26", .badRequest, "invalid-field", "year"),
                                                 ("series=SBN", .notFound, "not-found", "series")] {
                try await client.execute(uri: "/api/v1/cases?" + query, method: .get, headers: bearer(anna)) { response in
                    try expectProblem(response, status, code: code, field: field)
                }
            }
        }
    }

    /// A case's documents come in filing order, a page at a time (`nextAfter` until the last page).
    @Test func aCasesDocumentsArePaged() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let caseNumber = f.docs.decision.number.caseNumber
        let all = try f.service.caseDetails(caseNumber).documents.map(\.number.description)
        #expect(all.count >= 3)
        let anna = f.tokens.anna
        try await f.application().test(.router) { client in
            var seen: [String] = []
            var after = 0
            var pages = 0
            while true {
                let next = try await client.execute(uri: casePath(caseNumber, "?limit=2&after=\(after)"), method: .get, headers: bearer(anna)) { response in
                    #expect(response.status == .ok)
                    let view = try jsonObject(response)
                    seen += (view["documents"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }
                    return view["nextAfter"] as? Int
                }
                pages += 1
                guard let next, pages < 10 else { break }
                after = next
            }
            #expect(seen == all && pages == (all.count + 1) / 2, "\(seen)")
            // Exactly a page left: no next.
            try await client.execute(uri: casePath(caseNumber, "?limit=\(all.count)"), method: .get, headers: bearer(anna)) { response in
                let view = try jsonObject(response)
                #expect((view["documents"] as? [Any])?.count == all.count && view["nextAfter"] == nil)
            }
            try await client.execute(uri: casePath(caseNumber, "?limit=0"), method: .get, headers: bearer(anna)) {
                try expectProblem($0, .badRequest, code: "invalid-field", field: "limit")
            }
        }
    }

    /// A case's title is withheld only on a stated ground (offentlighetsprincipen). Opened through the API with a
    /// public title and a restriction, it shows its title only to readers with clearance for its department (the
    /// clerks of that department and archivists); the others, admins included, get the public title, the ground and
    /// `redacted`. A public title without a ground, or a case restriction hiding more than the title, is refused
    /// naming the field, and no case is opened.
    @Test func aRestrictedCaseTitleReachesOnlyReadersWithClearance() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let secret = "Orosanmälan gällande Hemligsson"
        let json = bearer(tokens.anna, [.contentType: "application/json"])
        let refused = [
            (#"{"series":"KS","title":"\#(secret)","publicTitle":"Orosanmälan"}"#, "missing-legal-reference", "restriction"),
            (#"{"series":"KS","title":"\#(secret)","publicTitle":"Orosanmälan","restriction":null}"#, "missing-legal-reference", "restriction"),
            (#"{"series":"KS","title":"\#(secret)","restriction":{"kind":"secrecy","legalReference":"OSL 26 kap. 1 §","hides":["content"]}}"#,
             "invalid-field", "restriction.hides"),
            (#"{"series":"KS","title":"\#(secret)","restriction":{"kind":"secrecy","legalReference":" "}}"#, "missing-legal-reference", "restriction.legalReference"),
        ]
        let before = try f.service.listCases().count
        try await f.application().test(.router) { client in
            for (body, code, field) in refused {
                try await client.execute(uri: "/api/v1/cases", method: .post, headers: json, body: ByteBuffer(string: body)) { response in
                    try expectProblem(response, .badRequest, code: code, field: field)
                }
            }
            for title in ["ab*", "%2A%2A", "%20", "a%00b", "", "sto*rg"] {
                try await client.execute(uri: "/api/v1/cases?title=\(title)", method: .get, headers: json) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "title")
                }
            }
            let body = #"{"series":"KS","title":"\#(secret)","publicTitle":"Orosanmälan","restriction":{"kind":"secrecy","legalReference":"OSL 26 kap. 1 §","until":"2096-12-31"}}"#
            try await client.execute(uri: "/api/v1/cases", method: .post, headers: json, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created)
                #expect(response.headers[.location]?.hasPrefix("/api/v1/cases/KS%20") == true)
                let restriction = try #require(try jsonObject(response)["restriction"] as? [String: Any])
                #expect(restriction["hides"] as? [String] == ["title"])
                #expect(restriction["legalReference"] as? String == "OSL 26 kap. 1 §")
                #expect(restriction["until"] as? String == "2096-12-31")
            }
        }
        #expect(try f.service.listCases().count == before + 1)
        let opened = try #require(try f.service.listCases().first { $0.title == secret }).number
        let path = casePath(opened)
        let unrestricted = casePath(try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Öppet"), actor: "anna").number)
        // A letter of the case, whose own title says nothing: found by the case's title only by whom it is not hidden from.
        let filed = try f.service.register([NewDocument(file: nil, metadata: DocumentMetadata(title: "Anmälan", recordType: .letter,
                                                                                              direction: .incoming))],
                                           in: opened, actor: "anna")[0]

        try await f.application().test(.router) { client in
            try await client.execute(uri: "/public/v1/search?q=hemligsson", method: .get) { response in
                #expect(response.status == .ok)
                let hits = try #require(try jsonObject(response)["hits"] as? [Any])
                #expect(!hits.contains { ($0 as? [String: Any])?["number"] as? String == filed.number.description }, "public search")
            }
            for (token, sees) in [(tokens.anna, true), (tokens.arkiv, true), (tokens.bo, false), (tokens.root, false)] {
                try await client.execute(uri: "/api/v1/search?q=hemligsson", method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok)
                    let hits = try #require(try jsonObject(response)["hits"] as? [[String: Any]])
                    #expect(hits.contains { $0["number"] as? String == filed.number.description } == sees, "search")
                    // Found by the case's restricted title, shown without it: the case shows it, where its read is logged.
                    #expect(!hits.contains { ($0["snippet"] as? String)?.contains("Hemligsson") == true && $0["number"] as? String == filed.number.description })
                }
                // The case itself, found by its title's words as the reader may read them.
                try await client.execute(uri: "/api/v1/cases?title=hemligsson", method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok)
                    let cases = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    #expect(cases.map { $0["number"] as? String } == (sees ? [opened.description] : []), "cases by title")
                }
                try await client.execute(uri: "/api/v1/cases?title=orosanm%C3%A4l*", method: .get, headers: bearer(token)) { response in
                    let cases = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    #expect(cases.map { $0["number"] as? String } == [opened.description], "by the public title")
                }
                try await client.execute(uri: "/api/v1/search?q=oros*", method: .get, headers: bearer(token)) { response in
                    let hits = try #require(try jsonObject(response)["hits"] as? [[String: Any]])
                    let hit = try #require(hits.first { $0["number"] as? String == filed.number.description }, "the public title finds it")
                    #expect((hit["snippet"] as? String)?.contains("Hemligsson") != true)
                }
                try await client.execute(uri: path, method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok)
                    let view = try #require(try jsonObject(response)["case"] as? [String: Any])
                    #expect(view["publicTitle"] as? String == "Orosanmälan")
                    #expect((view["title"] as? String == secret) == sees)
                    #expect(view["redacted"] as? [String] == (sees ? [] : ["title"]))
                    #expect((view["restriction"] as? [String: Any])?["kind"] as? String == "secrecy")
                    #expect(bodyText(response).contains("Hemligsson") == sees)
                }
                try await client.execute(uri: "/api/v1/cases?series=KS", method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok)
                    #expect(bodyText(response).contains("Hemligsson") == sees, "list")
                }
            }
            // Correcting the case: clerks of its department only; a public title needs a ground; lifting the
            // restriction shows the title to everyone.
            let patch = ByteBuffer(string: #"{"restriction":null}"#)
            var first = json
            first[.ifMatch] = "\"d1\""
            try await client.execute(uri: path, method: .patch, headers: bearer(tokens.bo, [.contentType: "application/json", .ifMatch: "\"d1\""]),
                                     body: patch) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: unrestricted, method: .patch, headers: first, body: ByteBuffer(string: #"{"publicTitle":"Annat"}"#)) { response in
                try expectProblem(response, .badRequest, code: "missing-legal-reference", field: "restriction")
            }
            // A correction names the description it was based on: the GET's ETag.
            try await client.execute(uri: path, method: .get, headers: bearer(tokens.anna)) { response in
                #expect(response.headers[.eTag] == "\"d1\"")
            }
            try await client.execute(uri: path, method: .patch, headers: json, body: patch) { response in
                try expectProblem(response, .preconditionRequired, code: "precondition-required", field: "If-Match")
            }
            try await client.execute(uri: path, method: .patch, headers: first, body: patch) { response in
                #expect(response.status == .ok && response.headers[.eTag] == "\"d2\"")
                let view = try jsonObject(response)
                #expect(view["restriction"] == nil && view["publicTitle"] == nil && view["title"] as? String == secret)
            }
            // A second client that read description 1 loses, rather than overwriting the first correction unseen.
            try await client.execute(uri: path, method: .patch, headers: first, body: ByteBuffer(string: #"{"officer":"bo"}"#)) { response in
                try expectProblem(response, .preconditionFailed, code: "version-conflict", field: "If-Match")
                #expect(bodyText(response).contains("based on version 1, the current version is 2"))
            }
            try await client.execute(uri: path, method: .get, headers: bearer(tokens.bo)) { response in
                #expect(bodyText(response).contains("Hemligsson"))
            }
            // The title is public now; what it was while restricted is not, to readers without clearance.
            try await client.execute(uri: path + "/history", method: .get, headers: bearer(tokens.bo)) { response in
                #expect(response.status == .ok)
                let revisions = try #require(try jsonObject(response)["revisions"] as? [[String: Any]])
                #expect(revisions.count == 1 && revisions[0]["redacted"] as? [String] == ["title"] && revisions[0]["title"] == nil)
                #expect((revisions[0]["restriction"] as? [String: Any])?["kind"] as? String == "secrecy")
            }
            try await client.execute(uri: path + "/history", method: .get, headers: bearer(tokens.anna)) { response in
                let revisions = try #require(try jsonObject(response)["revisions"] as? [[String: Any]])
                #expect(revisions.first?["title"] as? String == secret && revisions.first?["replacedBy"] as? String == "anna")
            }
            try await client.execute(uri: "/api/v1/cases/KS%202026%2F999/history", method: .get, headers: bearer(tokens.anna)) { response in
                try expectProblem(response, .notFound, code: "not-found")
            }
            try await client.execute(uri: path + "/history", method: .post, headers: bearer(tokens.anna)) { response in
                #expect(response.status == .methodNotAllowed && response.headers[.allow] == "GET, HEAD")
            }
        }
        // Each showing of the restricted title (the case, the list, the two lists by title words, and the GET before the
        // correction) is logged, with who saw it; the title is not. Search hits never show it.
        let reads = try f.service.audit(object: opened.description).filter { $0.action == .caseRead }
        #expect(reads.count == 10 && Set(reads.map(\.actor)) == ["anna", "arkiv"], "\(reads)")
        #expect(reads.allSatisfy { $0.details == #"{"read":"title"}"# })
        #expect(try f.service.verify().ok)
    }

    /// Restrictions past their last day, for review: numbers and grounds (public anyway), never titles.
    @Test func endedRestrictionsListNumbersAndGroundsOnly() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let caseNumber = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Granskning"), actor: "anna").number
        let restriction = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", until: CalendarDate(year: 2026, month: 6, day: 30),
                                                hides: [.title, .content])
        let document = try f.service.register([NewDocument(file: f.dir.write("brev.txt", "Brev om Hemligsson."),
                                                           metadata: DocumentMetadata(title: "Brev om Hemligsson", recordType: .letter, restriction: restriction))],
                                              in: caseNumber, actor: "anna")[0]
        let bo = f.tokens.bo
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/restrictions/ended?asOf=2026-07-01&series=KS", method: .get, headers: bearer(bo)) { response in
                #expect(response.status == .ok)
                let items = try #require(try JSONSerialization.jsonObject(with: Data(bodyText(response).utf8)) as? [[String: Any]])
                let item = try #require(items.first { $0["number"] as? String == document.number.description })
                #expect(item["holder"] as? String == "document")
                #expect((item["restriction"] as? [String: Any])?["until"] as? String == "2026-06-30")
                #expect(!bodyText(response).contains("Hemligsson"))
            }
            try await client.execute(uri: "/api/v1/restrictions/ended?asOf=2026-06-30", method: .get, headers: bearer(bo)) { response in
                #expect(!bodyText(response).contains(document.number.description))
            }
            try await client.execute(uri: "/api/v1/restrictions/ended?asOf=2026-02-30", method: .get, headers: bearer(bo)) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "asOf")
            }
            try await client.execute(uri: "/api/v1/restrictions/ended", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    /// A restriction governs every version: one added later hides the older versions too, and one lifted later (a
    /// new version with the sensitive text removed) does not open the older version that still holds it.
    @Test func restrictionsGovernEveryVersionAndTheChainStaysWithArchivists() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        let ks = SeriesCode(rawValue: "KS")!
        let caseNumber = try f.service.openCase(NewCase(series: ks, title: "Versioner"), actor: "anna").number
        let later = try f.service.register([NewDocument(
            file: f.dir.write("brev.txt", "Brev om Kvistsson.\n"),
            metadata: DocumentMetadata(title: "Brev om Kvistsson", recordType: .letter, sender: "Kvistsson"))], in: caseNumber, actor: "anna")[0]
        var restrict = MetadataChange()
        restrict.restriction = .some(try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.content, .title, .parties]))
        restrict.publicTitle = .some("Brev enligt SoL")
        _ = try f.service.update(later.number, restrict, comment: nil, actor: "anna")

        let lifted = try f.service.register([NewDocument(
            file: f.dir.write("utredning.txt", "Utredning om Lindqvistsson.\n"),
            metadata: DocumentMetadata(title: "Utredning", recordType: .report,
                                       restriction: try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.content])))],
            in: caseNumber, actor: "anna")[0]
        let scrubbed = try f.service.addVersion(lifted.number, file: f.dir.write("utredning-avidentifierad.txt", "Utredning om NN.\n"),
                                                comment: "avidentifierad", actor: "anna")
        var lift = MetadataChange()
        lift.restriction = .some(nil)
        _ = try f.service.update(lifted.number, lift, comment: "sekretessen hävd", actor: "anna")
        _ = try f.service.finalise(lifted.number, comment: nil, actor: "anna")
        let sensitiveDigest = try #require(lifted.current.content?.sha256)
        #expect(scrubbed.current.content?.sha256 != sensitiveDigest)

        try await f.application().test(.router) { client in
            for token in [t.bo, t.root] {
                for path in [apiPath(later.number, "/versions/1"), apiPath(later.number, "/versions"), apiPath(later.number, "/history")] {
                    try await client.execute(uri: path, method: .get, headers: bearer(token)) { response in
                        #expect(response.status == .ok, "\(path)")
                        #expect(!bodyText(response).contains("Kvistsson"), "\(path)")
                        #expect(!bodyText(response).contains(later.current.content!.sha256), "\(path)")
                    }
                }
                try await client.execute(uri: apiPath(later.number, "/versions/1/content"), method: .get, headers: bearer(token)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                }
                try await client.execute(uri: apiPath(lifted.number, "/versions/1/content"), method: .get, headers: bearer(token)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                    #expect(!bodyText(response).contains("Lindqvistsson"))
                }
                try await client.execute(uri: apiPath(lifted.number, "/content"), method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok)
                    #expect(bodyText(response) == "Utredning om NN.\n")
                }
                try await client.execute(uri: apiPath(lifted.number, "/versions/1"), method: .get, headers: bearer(token)) { response in
                    let view = try jsonObject(response)
                    #expect(view["redacted"] as? [String] == ["content"])
                    #expect((view["content"] as? [String: Any])?["sha256"] == nil)
                }
                // The history keeps who did what; the digest of the sensitive version and every chain hash are left out.
                try await client.execute(uri: apiPath(lifted.number, "/history"), method: .get, headers: bearer(token)) { response in
                    let events = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    #expect(events.count == 4)
                    #expect(events.allSatisfy { $0["hash"] == nil && $0["previousHash"] == nil })
                    // Versions 1–3 were restricted or drafts; the final, open version 4 is shown as it is.
                    let redacted = events.filter { $0["redacted"] as? Bool == true }.compactMap { $0["version"] as? Int }
                    #expect(redacted.contains(1) && !redacted.contains(4))
                    #expect(!bodyText(response).contains(sensitiveDigest))
                }
            }
            // With clearance: every version in full, and the archivist also gets the chain.
            try await client.execute(uri: apiPath(later.number, "/versions/1"), method: .get, headers: bearer(t.anna)) { response in
                let view = try jsonObject(response)
                #expect(view["title"] as? String == "Brev om Kvistsson")
            }
            try await client.execute(uri: apiPath(lifted.number, "/history"), method: .get, headers: bearer(t.anna)) { response in
                #expect(bodyText(response).contains(sensitiveDigest))
                #expect(!bodyText(response).contains("\"hash\""))
            }
            try await client.execute(uri: apiPath(lifted.number, "/history"), method: .get, headers: bearer(t.arkiv)) { response in
                let events = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                #expect(events.allSatisfy { ($0["hash"] as? String)?.count == 64 && $0["previousHash"] is String && $0["redacted"] == nil })
            }
        }
        // Reading the older version with clearance is audited with what the later restriction hides.
        let reads = try f.service.audit(object: later.number.description).filter { $0.action == .documentRead }
        #expect(reads.contains { $0.actor == "anna" && $0.version == 1 })
    }

    /// A restriction narrowed later (the title corrected, then no longer hidden) still covers the versions before
    /// it: each version is shown without what its own restriction and every later one hid, not only the current one.
    @Test func aRestrictionNarrowedLaterStillCoversTheVersionsBeforeIt() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        let caseNumber = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Bistånd"), actor: "anna").number
        let document = try f.service.register([NewDocument(
            file: f.dir.write("ansokan.txt", "Ansökan.\n"),
            metadata: DocumentMetadata(title: "Ansökan från Kvistsson", recordType: .letter, sender: "Kvistsson"))],
            in: caseNumber, actor: "anna")[0]
        var restrict = MetadataChange()                      // version 2: title and parties hidden
        restrict.restriction = .some(try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.title, .parties]))
        restrict.publicTitle = .some("Ansökan")
        _ = try f.service.update(document.number, restrict, comment: nil, actor: "anna")
        var narrow = MetadataChange()                        // version 3: a title without the name; only parties hidden
        narrow.title = "Ansökan om bistånd"
        narrow.restriction = .some(try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.parties]))
        _ = try f.service.update(document.number, narrow, comment: nil, actor: "anna")
        var lift = MetadataChange()                          // version 4: no sender, no restriction
        lift.sender = .some(nil)
        lift.restriction = .some(nil)
        _ = try f.service.update(document.number, lift, comment: nil, actor: "anna")

        try await f.application().test(.router) { client in
            for token in [t.bo, t.root] {
                for path in [apiPath(document.number, "/versions/1"), apiPath(document.number, "/versions/2"),
                             apiPath(document.number, "/versions/3"), apiPath(document.number, "/versions")] {
                    try await client.execute(uri: path, method: .get, headers: bearer(token)) { response in
                        #expect(response.status == .ok, "\(path)")
                        #expect(!bodyText(response).contains("Kvistsson"), "\(path): \(bodyText(response))")
                    }
                }
                try await client.execute(uri: apiPath(document.number, "/versions/1"), method: .get, headers: bearer(token)) { response in
                    let view = try jsonObject(response)
                    #expect(view["redacted"] as? [String] == ["content", "parties", "title"])
                }
                try await client.execute(uri: apiPath(document.number, "/versions/3"), method: .get, headers: bearer(token)) { response in
                    let view = try jsonObject(response)
                    #expect(view["title"] as? String == "Ansökan om bistånd")
                    #expect(view["redacted"] as? [String] == ["content", "parties"])
                }
                try await client.execute(uri: apiPath(document.number), method: .get, headers: bearer(token)) { response in
                    let view = try jsonObject(response)
                    #expect(view["title"] as? String == "Ansökan om bistånd")
                }
            }
            try await client.execute(uri: apiPath(document.number, "/versions/1"), method: .get, headers: bearer(t.anna)) { response in
                let view = try jsonObject(response)
                #expect(view["title"] as? String == "Ansökan från Kvistsson")
            }
        }
        // Anna's read of version 1 is audited with what versions 2 and 3 hide.
        let reads = try f.service.audit(object: document.number.description).filter { $0.action == .documentRead }
        #expect(reads.contains { $0.actor == "anna" && $0.version == 1 })
    }

    /// A file whose name an earlier version hid (title or parties restricted) keeps it hidden once the restriction is
    /// lifted: a final document's file cannot be renamed, and its name may repeat what was restricted.
    @Test func aFileNameHiddenOnceStaysHiddenAfterALift() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        let caseNumber = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Ansökningar"), actor: "anna").number
        let document = try f.service.register([NewDocument(
            file: f.dir.write("Ansökan Kvistsson.txt", "Ansökan om bygglov.\n"),
            metadata: DocumentMetadata(title: "Ansökan från Kvistsson", recordType: .letter, sender: "Kvistsson",
                                       restriction: try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.title, .parties])))],
            in: caseNumber, actor: "anna")[0]
        _ = try f.service.finalise(document.number, comment: nil, actor: "anna")
        var lift = MetadataChange()
        lift.title = "Ansökan om bygglov"
        lift.sender = .some(nil)
        lift.restriction = .some(nil)
        _ = try f.service.update(document.number, lift, comment: "sekretessen hävd", actor: "anna")

        try await f.application().test(.router) { client in
            try await client.execute(uri: documentPath(document.number, "/content"), method: .get) { response in
                #expect(response.status == .ok)
                let disposition = response.headers[.contentDisposition] ?? ""
                #expect(disposition.contains("KS-") && !disposition.contains("Kvistsson"), "\(disposition)")
            }
            for token in [t.bo, t.root] {
                for path in [apiPath(document.number), apiPath(document.number, "/versions"), casePath(caseNumber)] {
                    try await client.execute(uri: path, method: .get, headers: bearer(token)) { response in
                        #expect(response.status == .ok, "\(path)")
                        #expect(!bodyText(response).contains("Kvistsson"), "\(path): \(bodyText(response))")
                    }
                }
                try await client.execute(uri: apiPath(document.number, "/content"), method: .get, headers: bearer(token)) { response in
                    #expect(!(response.headers[.contentDisposition] ?? "").contains("Kvistsson"))
                }
            }
            // With clearance, the name as it came.
            try await client.execute(uri: apiPath(document.number), method: .get, headers: bearer(t.anna)) { response in
                let content = try jsonObject(response)["content"] as? [String: Any]
                #expect(content?["originalName"] as? String == "Ansökan Kvistsson.txt")
            }
        }
    }

    /// Every route refuses a query parameter it does not take (a misspelt `limt` must not be silently ignored).
    @Test func unknownQueryParametersAreRefusedEverywhere() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens, docs = f.docs
        let before = try f.snapshot()
        let reads = ["/api/v1/me", "/api/v1/series", "/api/v1/cases", casePath(docs.decision.number.caseNumber), apiPath(docs.decision.number),
                     apiPath(docs.decision.number, "/content"), apiPath(docs.decision.number, "/versions"),
                     apiPath(docs.decision.number, "/history"), "/api/v1/series/KS/retention",
                     documentPath(docs.decision.number), documentPath(docs.decision.number, "/content"), "/public/v1/diarium"]
        let writes: [(HTTPRequest.Method, String, String)] = [
            (.post, "/api/v1/series", #"{"code":"SBN","name":"Samhällsbyggnadsnämnden"}"#),
            (.post, "/api/v1/cases", #"{"series":"KS","title":"Nytt ärende"}"#),
        ]
        try await f.application().test(.router) { client in
            for path in reads {
                try await client.execute(uri: path + "?limt=5", method: .get, headers: bearer(t.root)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "limt")
                }
            }
            for (method, path, body) in writes {
                try await client.execute(uri: path + "?dryRun=true", method: method, headers: bearer(t.root, [.contentType: "application/json"]),
                                         body: ByteBuffer(string: body)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "dryRun")
                }
            }
        }
        #expect(try f.snapshot() == before)
    }

    /// A read of restricted content is audited when bytes go out: not for HEAD, a 304 or a 416.
    @Test func onlyDeliveredRestrictedContentIsAuditedAsRead() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens, secret = f.docs.secret
        func contentReads() throws -> Int {
            try f.service.audit(object: secret.number.description).filter { $0.action == .documentRead && $0.details.contains("\"read\":\"content\"") }.count
        }
        let etag = "\"\(secret.current.content!.sha256)\""
        try await f.application().test(.router) { client in
            try await client.execute(uri: apiPath(secret.number, "/content"), method: .head, headers: bearer(t.anna)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: apiPath(secret.number, "/content"), method: .get, headers: bearer(t.anna, [.ifNoneMatch: etag])) { response in
                #expect(response.status == .notModified)
            }
            try await client.execute(uri: apiPath(secret.number, "/content"), method: .get, headers: bearer(t.anna, [.range: "bytes=99999-"])) { response in
                #expect(response.status == .rangeNotSatisfiable)
            }
        }
        #expect(try contentReads() == 0)
        try await f.application().test(.router) { client in
            try await client.execute(uri: apiPath(secret.number, "/content"), method: .get, headers: bearer(t.anna, [.range: "bytes=0-9"])) { response in
                #expect(response.status == .partialContent)
            }
        }
        #expect(try contentReads() == 1)
    }

    @Test func draftsOfOtherDepartmentsKeepTheirContent() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens, docs = f.docs
        let draft = docs.draft.number
        try await f.application().test(.router) { client in
            try await client.execute(uri: apiPath(draft, "/content"), method: .get, headers: bearer(tokens.bo)) { response in
                try expectProblem(response, .forbidden, code: "content-not-final")
            }
            try await client.execute(uri: apiPath(draft, "/content"), method: .get, headers: bearer(tokens.anna)) { response in
                #expect(response.status == .ok)
                #expect(bodyText(response) == "Utkast till budget 2027.\n")
            }
        }
    }

    @Test func auditHistoryAndAdministrationFollowTheRoles() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens, docs = f.docs
        let t = tokens
        let secret = docs.secret.number
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/audit", method: .get, headers: bearer(t.anna)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            try await client.execute(uri: "/api/v1/audit?object=\(apiPath(secret).split(separator: "/").last!)", method: .get,
                                     headers: bearer(t.root)) { response in
                #expect(response.status == .ok)
                let events = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                #expect(!events.isEmpty)
                // The admin has no clearance for KS: the content digest is left out.
                #expect(!bodyText(response).contains(docs.secret.current.content!.sha256))
                #expect(bodyText(response).contains("\\\"redacted\\\":true"))
            }
            try await client.execute(uri: apiPath(secret, "/history"), method: .get, headers: bearer(t.anna)) { response in
                #expect(bodyText(response).contains(docs.secret.current.content!.sha256))
            }
            try await client.execute(uri: "/api/v1/verify", method: .post, headers: bearer(t.anna)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            try await client.execute(uri: "/api/v1/verify", method: .post, headers: bearer(t.arkiv)) { response in
                #expect(response.status == .ok)
                let json = try jsonObject(response)
                #expect(json["problems"] as? [Any] != nil)
            }
            // It takes no input: `{}` is fine, a field or other text is a mistake worth naming.
            for (body, type, status, field) in [("{}", "application/json", HTTPResponse.Status.ok, String?.none),
                                                 (#"{"deep":true}"#, "application/json", .badRequest, "deep"),
                                                 ("{oops", "application/json", .badRequest, "body"),
                                                 ("deep", "text/plain", .unsupportedMediaType, "Content-Type")] {
                try await client.execute(uri: "/api/v1/verify", method: .post, headers: bearer(t.arkiv, [.contentType: type]),
                                         body: ByteBuffer(string: body)) { response in
                    if status == .ok { #expect(response.status == .ok) } else { try expectProblem(response, status, code: status == .badRequest ? "invalid-field" : "unsupported-media-type", field: field) }
                }
            }
            // Users and tokens: admins only; the secret is returned once and works at once.
            let body = ByteBuffer(string: #"{"name":"cecilia","role":"clerk","departments":["BUN"]}"#)
            try await client.execute(uri: "/api/v1/users", method: .post, headers: bearer(t.anna, [.contentType: "application/json"]), body: body) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            try await client.execute(uri: "/api/v1/users", method: .post, headers: bearer(t.root, [.contentType: "application/json"]), body: body) { response in
                #expect(response.status == .created)
                #expect(response.headers[.location] == "/api/v1/users/cecilia")
            }
            // A name beyond ASCII is percent-encoded in the Location header (which holds ASCII only), and found there.
            let location = try await client.execute(uri: "/api/v1/users", method: .post, headers: bearer(t.root, [.contentType: "application/json"]),
                                                    body: ByteBuffer(string: #"{"name":"åsa.öberg","role":"archivist"}"#)) { response in
                #expect(response.status == .created)
                return try #require(response.headers[.location])
            }
            #expect(location == "/api/v1/users/%C3%A5sa.%C3%B6berg")
            try await client.execute(uri: location, method: .get, headers: bearer(t.root)) { found in
                #expect(found.status == .ok)
                #expect((try? jsonObject(found))?["name"] as? String == "åsa.öberg")
            }
            // A token for another account comes from the operator (CLI), never to an admin over HTTP: holding it, the
            // admin could act as cecilia and read what BUN's clearance allows. Their own token they may create.
            try await client.execute(uri: "/api/v1/users/cecilia/tokens", method: .post, headers: bearer(t.root)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
                #expect(bodyText(response).contains("diarium token create cecilia"))
            }
            try await client.execute(uri: "/api/v1/users/nobody/tokens", method: .post, headers: bearer(t.root)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            try await client.execute(uri: "/api/v1/users/root/tokens", method: .post, headers: bearer(t.root)) { response in
                #expect(response.status == .created)
                #expect(response.headers[.cacheControl] == "private, no-store")
                let created = try jsonObject(response)
                let own = try #require(created["token"] as? String)
                #expect(own.hasPrefix("dia_"))
                #expect((created["info"] as? [String: Any])?["createdBy"] as? String == "root")
                #expect((created["info"] as? [String: Any])?["expiresAt"] == nil, "until revoked")
            }
            // One for a time: its end is in the answer; a time out of range is refused by name.
            let week = try await client.execute(uri: "/api/v1/users/root/tokens", method: .post,
                                                headers: bearer(t.root, [.contentType: "application/json"]),
                                                body: ByteBuffer(string: #"{"label":"en vecka","validDays":7}"#)) { response in
                #expect(response.status == .created)
                let created = try jsonObject(response)
                #expect((created["info"] as? [String: Any])?["expiresAt"] is String, "\(created)")
                return try #require(created["token"] as? String)
            }
            // A token with an end creates none that outlives it: a leaked one stays contained.
            for (body, status) in [("{}", HTTPResponse.Status.badRequest), (#"{"validDays":30}"#, .badRequest), (#"{"validDays":3}"#, .created)] {
                try await client.execute(uri: "/api/v1/users/root/tokens", method: .post, headers: bearer(week, [.contentType: "application/json"]),
                                         body: ByteBuffer(string: body)) { response in
                    #expect(response.status == status, "\(body): \(bodyText(response))")
                    if status == .badRequest { try expectProblem(response, .badRequest, code: "invalid-field", field: "validDays") }
                }
            }
            try await client.execute(uri: "/api/v1/users/root/tokens", method: .post, headers: bearer(t.root, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"validDays":0}"#)) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "validDays")
            }
        }
        #expect(try f.service.listTokens(user: "cecilia").isEmpty)
        let token = try f.service.createToken(user: "cecilia", label: nil, actor: "operator").token
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(token)) { response in
                let json = try jsonObject(response)
                #expect(json["departments"] as? [String] == ["BUN"])
            }
            try await client.execute(uri: "/api/v1/users/cecilia/tokens", method: .get, headers: bearer(token)) { response in
                let list = try #require(try JSONSerialization.jsonObject(with: Data(bodyText(response).utf8)) as? [[String: Any]])
                #expect(list.map { $0["createdBy"] as? String } == ["operator"], "who had the secret")
            }
            try await client.execute(uri: "/api/v1/series", method: .post, headers: bearer(t.anna, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"code":"SBN","name":"Samhällsbyggnadsnämnden"}"#)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            try await client.execute(uri: "/api/v1/series", method: .post, headers: bearer(t.root, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"code":"SBN","name":"Samhällsbyggnadsnämnden","department":"SBF"}"#)) { response in
                #expect(response.status == .created)
                let json = try jsonObject(response)
                #expect(json["department"] as? String == "SBF")
                // Where it is now, and the tag its first PATCH names (the one its GET gives).
                #expect(response.headers[.location] == "/api/v1/series/SBN")
                let tag = try #require(response.headers[.eTag])
                try await client.execute(uri: "/api/v1/series/SBN", method: .get, headers: bearer(t.root)) { got in
                    #expect(got.headers[.eTag] == tag)
                }
            }
        }
        // Revoking over HTTP: the token stops working.
        let ids = try f.service.listTokens(user: "cecilia").map(\.id)
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/tokens/\(ids[0])", method: .delete, headers: bearer(t.bo)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            try await client.execute(uri: "/api/v1/tokens/\(ids[0])", method: .delete, headers: bearer(t.root)) { response in
                #expect(response.status == .ok)
                let json = try jsonObject(response)
                #expect(json["revokedAt"] is String)
            }
        }
        // The last enabled admin cannot be disabled or demoted; an admin's departments give no clearance.
        try await f.application().test(.router) { client in
            let json: HTTPFields = [.contentType: "application/json"]
            let u1: HTTPFields = json.merging([.ifMatch: "\"u1\""])
            try await client.execute(uri: "/api/v1/users/root", method: .patch, headers: bearer(t.root, u1),
                                     body: ByteBuffer(string: #"{"enabled":false}"#)) { response in
                try expectProblem(response, .conflict, code: "invalid-state")
            }
            // An admin does not give themselves clearance (archivist, or a clerk's departments): another admin does.
            for body in [#"{"role":"clerk"}"#, #"{"role":"archivist"}"#] {
                try await client.execute(uri: "/api/v1/users/root", method: .patch, headers: bearer(t.root, u1), body: ByteBuffer(string: body)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                }
            }
        }
        #expect(try f.service.user("root").role == .admin)
        #expect(throws: DiariumError.self, "the last enabled admin is not demoted by the operator either") {
            try f.service.updateUser(name: "root", role: .clerk, departments: nil, enabled: nil, actor: "operator")
        }
        try await f.application().test(.router) { client in
            let json: HTTPFields = [.contentType: "application/json"]
            let u1: HTTPFields = json.merging([.ifMatch: "\"u1\""])
            // Changes name the version seen (the GET's ETag): none is 428, of two based on the same one the second 412
            // (two admins replacing bo's departments would otherwise undo each other unseen).
            try await client.execute(uri: "/api/v1/users/bo", method: .get, headers: bearer(t.root)) { response in
                #expect(response.headers[.eTag] == "\"u1\"")
            }
            try await client.execute(uri: "/api/v1/users/bo", method: .patch, headers: bearer(t.root, json),
                                     body: ByteBuffer(string: #"{"departments":["BUN","KS"]}"#)) { response in
                try expectProblem(response, .preconditionRequired, code: "precondition-required", field: "If-Match")
            }
            try await client.execute(uri: "/api/v1/users/bo", method: .patch, headers: bearer(t.root, u1),
                                     body: ByteBuffer(string: #"{"role":"admin","departments":["KS"]}"#)) { response in
                #expect(response.status == .ok && response.headers[.eTag] == "\"u2\"")
            }
            try await client.execute(uri: "/api/v1/users/bo", method: .patch, headers: bearer(t.root, u1),
                                     body: ByteBuffer(string: #"{"departments":["BUN","SBF"]}"#)) { response in
                try expectProblem(response, .preconditionFailed, code: "version-conflict", field: "If-Match")
                #expect(bodyText(response).contains("based on version 1, the current version is 2"))
            }
            try await client.execute(uri: apiPath(secret), method: .get, headers: bearer(t.bo)) { response in
                let view = try jsonObject(response)
                #expect(view["redacted"] as? [String] == ["content", "parties", "title"])
            }
            try await client.execute(uri: "/api/v1/users/root", method: .patch, headers: bearer(t.bo, u1),
                                     body: ByteBuffer(string: #"{"enabled":false}"#)) { response in
                #expect(response.status == .ok, "another admin remains")
            }
        }
    }
}
