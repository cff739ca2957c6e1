import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// Registering, correcting and versioning over HTTP: department scope, If-Match, uploads and their limits.
@Suite struct APIChangeTests {
    static let metadata = #"{"case":"KS 2026/1","title":"Handlingsplan för klimat","recordType":"actionPlan","direction":"internal"}"#

    /// Both ways a file part takes: kept in memory up to `UploadWriter.batchSize`, streamed to the upload area beyond.
    @Test(arguments: [UploadWriter.batchSize - 300_000, UploadWriter.batchSize + 500_000])
    func registerWithMultipartStreamsTheFileAndAnswersWithTheDocument(size: Int) async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let bytes = testBytes(count: size, seed: 3)
        let expectedDigest = try sha256Hex(ofFile: f.dir.write("expected.bin", bytes))
        try await f.application(maxUploadBytes: 4 << 20).test(.live) { client in
            let form = multipart(metadata: Self.metadata, file: ("Klimatplan 2026.pdf", "application/pdf", bytes))
            let location = try await client.execute(uri: "/api/v1/documents", method: .post,
                                                    headers: bearer(tokens.anna, [.contentType: form.contentType]), body: form.body) { response in
                #expect(response.status == .created)
                #expect(response.headers[.eTag] == "\"v1\"")
                let view = try jsonObject(response)
                #expect(view["number"] as? String == "KS 2026/1-6")
                let content = try #require(view["content"] as? [String: Any])
                #expect(content["sha256"] as? String == expectedDigest)
                #expect(content["mediaType"] as? String == "application/pdf")
                #expect(content["originalName"] as? String == "Klimatplan 2026.pdf")
                return try #require(response.headers[.location])
            }
            #expect(location == "/api/v1/documents/KS%202026%2F1-6")
            try await client.execute(uri: location + "/content", method: .get, headers: bearer(tokens.anna)) { response in
                #expect(Data(response.body.readableBytesView) == bytes)
                #expect(response.headers[.contentDisposition]?.contains("filename*=UTF-8''Klimatplan%202026.pdf") == true)
            }
            // Text keeps the charset its sender declared (nothing else of the parameters), or gets the one its bytes
            // are in, and is served with it.
            let latin = Data(Array("Beslutet f".utf8) + [0xE5] + Array("r ".utf8) + [0xF6] + Array("verklagas".utf8))
            for (type, served) in [("text/plain; charset=ISO-8859-1; format=flowed", "text/plain; charset=iso-8859-1"),
                                   ("application/octet-stream", "text/plain; charset=windows-1252")] {
                let text = multipart(metadata: Self.metadata, file: ("skrivelse.txt", type, latin))
                let at = try await client.execute(uri: "/api/v1/documents", method: .post,
                                                  headers: bearer(tokens.anna, [.contentType: text.contentType]), body: text.body) { response in
                    #expect(response.status == .created)
                    #expect((try jsonObject(response)["content"] as? [String: Any])?["mediaType"] as? String == served)
                    return try #require(response.headers[.location])
                }
                try await client.execute(uri: at + "/content", method: .get, headers: bearer(tokens.anna)) { response in
                    #expect(response.headers[.contentType] == served && Data(response.body.readableBytesView) == latin)
                }
            }
            // JSON only: a document kept on paper.
            try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(tokens.anna, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: Self.metadata)) { response in
                #expect(response.status == .created)
                let json = try jsonObject(response)
                #expect(json["content"] == nil)
            }
            // A JSON request has no metadata part: its mistakes are the body's.
            try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(tokens.anna, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: "{")) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "body")
                #expect(!bodyText(response).contains("metadata part"), "\(bodyText(response))")
            }
        }
        // The upload area holds nothing once the requests are done.
        let tmp = try FileManager.default.contentsOfDirectory(atPath: f.dir.file("store/tmp"))
        for area in tmp where !area.hasPrefix(".") {
            let files = try FileManager.default.contentsOfDirectory(atPath: f.dir.file("store/tmp/\(area)")).filter { $0 != ".lock" }
            #expect(files.isEmpty, "\(area): \(files)")
        }
        #expect(try f.service.verify().ok)
    }

    /// A browser writes a file name's quote as %22 and leaves a backslash as it is; curl escapes a quote as \".
    /// Both are read: a name ending in a backslash is not an unclosed quote, and an escaped quote is a quote.
    @Test func fileNamesAsBrowsersAndCurlWriteThem() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let anna = f.tokens.anna
        try await f.application().test(.router) { client in
            for (sent, stored) in [("skiss\\", "skiss"), ("rapport \\\"utkast\\\".txt", "rapport \"utkast\".txt"), ("mapp\\plan.txt", "plan.txt")] {
                let form = multipart(metadata: Self.metadata, file: (sent, "text/plain", Data("text".utf8)))
                try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(anna, [.contentType: form.contentType]),
                                         body: form.body) { response in
                    let content = try jsonObject(response)["content"] as? [String: Any]
                    #expect(response.status == .created && content?["originalName"] as? String == stored, "\(sent): \(bodyText(response))")
                }
            }
        }
    }

    @Test func refusedRegistrationsNameTheProblemAndChangeNothing() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let before = try f.snapshot()
        let file = ("a.txt", "text/plain", Data("text".utf8))
        let cases: [(token: String, form: (body: ByteBuffer, contentType: String), status: HTTPResponse.Status, code: String, field: String?)] = [
            (tokens.bo, multipart(metadata: Self.metadata, file: file), .forbidden, "forbidden", nil),
            (tokens.arkiv, multipart(metadata: Self.metadata, file: file), .forbidden, "forbidden", nil),
            (tokens.anna, multipart(metadata: nil, file: file), .badRequest, "invalid-field", "metadata"),
            (tokens.anna, multipart(metadata: "{not json", file: file), .badRequest, "invalid-field", "metadata"),
            (tokens.anna, multipart(metadata: "[1]", file: file), .badRequest, "invalid-field", "metadata"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"memo"}"#, file: file), .badRequest, "invalid-field", "recordType"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","recordType":"letter"}"#, file: file), .badRequest, "invalid-field", "title"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"letter","colour":"red"}"#, file: file), .badRequest, "invalid-field", "colour"),
            // A key "" is named by where it is (the fuzz target found it named "").
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"letter","":"red"}"#, file: file), .badRequest, "invalid-field", "metadata"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/99","title":"x","recordType":"letter"}"#, file: file), .notFound, "not-found", "case"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"letter","restriction":{"kind":"secrecy","legalReference":" "}}"#, file: file),
             .badRequest, "invalid-field", "restriction.legalReference"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"letter","restriction":{"kind":"secrecy","legalReference":"OSL 21 kap. 1 §","hides":[]}}"#, file: file),
             .badRequest, "invalid-field", "restriction.hides"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"letter","restriction":{"kind":"secrecy","legalReference":"OSL 21 kap. 1 §","hide":["title"]}}"#, file: file),
             .badRequest, "invalid-field", "restriction.hide"),
            // Ended before it was set (the fixture's today is in 2026).
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"letter","restriction":{"kind":"secrecy","legalReference":"OSL 21 kap. 1 §","until":"2001-01-01"}}"#, file: file),
             .badRequest, "invalid-field", "restriction.until"),
            // A field given twice: the unknown-field check read the last copy, the decoder used the first (a misspelt
            // "hidez" in one restriction went unseen while the other was used). Escapes are read as the decoders read them.
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"first","title":"second","recordType":"letter"}"#, file: file), .badRequest, "invalid-field", "title"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"a","\u0074itle":"b","recordType":"letter"}"#, file: file), .badRequest, "invalid-field", "title"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"letter","restriction":{"kind":"privacy","legalReference":"OSL 26 kap. 1 §","hidez":["title"]},"restriction":{"kind":"privacy","legalReference":"OSL 26 kap. 1 §"}}"#, file: file),
             .badRequest, "invalid-field", "restriction"),
            (tokens.anna, multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"letter","restriction":{"kind":"privacy","kind":"secrecy","legalReference":"OSL 26 kap. 1 §"}}"#, file: file),
             .badRequest, "invalid-field", "restriction.kind"),
            // A file name whose quote is not closed (it was kept with the quote).
            (tokens.anna, multipart(metadata: Self.metadata, file: ("a\"", "text/plain", Data("text".utf8))), .badRequest, "invalid-field", "body"),
            // A part type without a type: refused by name (it crashed the server before).
            (tokens.anna, multipart(metadata: Self.metadata, file: ("a.txt", ";", Data("text".utf8))), .badRequest, "invalid-field", "file"),
            (tokens.anna, multipart(metadata: Self.metadata, file: ("a.txt", "; charset=utf-8", Data("text".utf8))), .badRequest, "invalid-field", "file"),
            // A file name that may not be one (a right-to-left override): named as the part it came in.
            (tokens.anna, multipart(metadata: Self.metadata, file: ("a\u{202E}txt.exe", "text/plain", Data("text".utf8))), .badRequest, "invalid-field", "file"),
        ]
        try await f.application().test(.router) { client in
            for item in cases {
                try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(item.token, [.contentType: item.form.contentType]),
                                         body: item.form.body) { response in
                    try expectProblem(response, item.status, code: item.code, field: item.field)
                }
            }
            // The file before the metadata: a reader who may register nowhere is refused before the file streams in
            // (a file over the upload limit shows it: refused as 403, not read until it is 413).
            let boundary = "file-first"
            var fileFirst = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n".utf8)
            fileFirst += Data(repeating: UInt8(ascii: "a"), count: 3 << 19) + Data("\r\n".utf8)   // over --max-upload (1 MiB here), within the body limit
            fileFirst += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n\(Self.metadata)\r\n--\(boundary)--\r\n".utf8)
            for (token, status) in [(tokens.arkiv, HTTPResponse.Status.forbidden), (tokens.root, .forbidden)] {
                try await client.execute(uri: "/api/v1/documents", method: .post,
                                         headers: bearer(token, [.contentType: "multipart/form-data; boundary=\(boundary)"]),
                                         body: ByteBuffer(data: fileFirst)) { response in
                    #expect(response.status == status, "\(bodyText(response))")
                }
            }
            // An unknown value names the allowed ones, in the API's words rather than Swift's.
            let memo = multipart(metadata: #"{"case":"KS 2026/1","title":"x","recordType":"memo"}"#, file: file)
            try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(tokens.anna, [.contentType: memo.contentType]),
                                     body: memo.body) { response in
                #expect(bodyText(response).contains("'memo' is not one of actionPlan, decision"), "\(bodyText(response))")
                #expect(!bodyText(response).contains("Cannot initialize"))
            }
            // A body cut off before the closing boundary.
            var cut = multipart(metadata: Self.metadata, file: file).body
            cut.moveWriterIndex(to: cut.writerIndex - 20)
            try await client.execute(uri: "/api/v1/documents", method: .post,
                                     headers: bearer(tokens.anna, [.contentType: "multipart/form-data; boundary=XyZ-boundary-42"]), body: cut) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "body")
            }
            try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(tokens.anna, [.contentType: "text/plain"]),
                                     body: ByteBuffer(string: "hello")) { response in
                try expectProblem(response, .unsupportedMediaType, code: "unsupported-media-type", field: "Content-Type")
            }
        }
        #expect(try f.snapshot() == before)
    }

    /// An archived document takes one correction, of its restriction: from a clerk of its department or an
    /// archivist; anything else stays read-only (409), and an archivist still corrects nothing else (403).
    @Test func anArchivedDocumentsRestrictionIsReviewedOverTheAPI() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let secret = f.docs.secret.number, decision = f.docs.decision.number
        let archived = try f.service.archive(secret, comment: nil, actor: "anna").current.number
        let json: HTTPFields = [.contentType: "application/json", .ifMatch: "\"v\(archived)\""]
        try await f.application().test(.router) { client in
            try await client.execute(uri: apiPath(secret), method: .patch, headers: bearer(tokens.arkiv, json),
                                     body: ByteBuffer(string: #"{"title":"Annan titel"}"#)) { response in
                try expectProblem(response, .conflict, code: "invalid-state")
            }
            try await client.execute(uri: apiPath(secret), method: .patch, headers: bearer(tokens.bo, json),
                                     body: ByteBuffer(string: #"{"restriction":null}"#)) { try expectProblem($0, .forbidden, code: "forbidden") }
            try await client.execute(uri: apiPath(decision), method: .patch, headers: bearer(tokens.arkiv, json),
                                     body: ByteBuffer(string: #"{"title":"Annan titel"}"#)) { try expectProblem($0, .forbidden, code: "forbidden") }
            try await client.execute(uri: apiPath(secret), method: .patch, headers: bearer(tokens.arkiv, json),
                                     body: ByteBuffer(string: #"{"restriction":null,"comment":"grunden har upphört"}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"v\(archived + 1)\"")
            }
        }
        let lifted = try f.service.document(secret)
        #expect(lifted.status == .archived && lifted.current.metadata.restriction == nil && lifted.current.author == "arkiv")
        #expect(try f.service.verify().ok)
    }

    /// A registration is made as the store has its user when it commits, not when its body began: a token revoked, a
    /// user disabled or moved to another department from the command line meanwhile (which reaches a running server's
    /// token cache only after `TokenCache.ttl`) registers nothing. A black-box review registered three documents this
    /// way during slow uploads.
    @Test func aRegistrationIsMadeAsTheStoreHasItsUserWhenItCommits() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let json: HTTPFields = [.contentType: "application/json"]
        let issued = try f.service.createToken(user: "anna", label: "skript", actor: "admin")
        _ = try f.service.addUser(name: "cilla", role: .clerk, departments: [try Department(parsing: "KS")], actor: "admin")
        _ = try f.service.addUser(name: "dan", role: .clerk, departments: [try Department(parsing: "KS")], actor: "admin")
        let cilla = try f.service.createToken(user: "cilla", label: nil, actor: "admin").token
        let dan = try f.service.createToken(user: "dan", label: nil, actor: "admin").token
        let storePath = f.service.store.root
        try await f.application().test(.router) { client in
            // Changed as the command line changes it: from another opening of the store.
            let service = try RecordsService.open(at: storePath)
            func snapshot() throws -> [Int] { let c = try service.counts(); return [c.cases, c.documents, c.versions, c.auditEvents] }
            // Each seen once, so the server keeps its principal for a moment.
            for token in [issued.token, cilla, dan] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(token)) { #expect($0.status == .ok) }
            }
            _ = try service.revokeToken(id: issued.info.id, actor: "admin")
            _ = try service.updateUser(name: "cilla", role: nil, departments: nil, enabled: false, actor: "admin")
            _ = try service.updateUser(name: "dan", role: nil, departments: [try Department(parsing: "BUN")], enabled: nil, actor: "admin")
            let before = try snapshot()
            for (token, status) in [(issued.token, HTTPResponse.Status.unauthorized), (cilla, .unauthorized), (dan, .forbidden)] {
                try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(token, json),
                                         body: ByteBuffer(string: Self.metadata)) { #expect($0.status == status, "\(bodyText($0))") }
            }
            #expect(try snapshot() == before)
        }
    }

    /// Closing a case and opening it again need the case's ETag (its version), as a correction does: without it 428,
    /// with a superseded one 412, from another department 403; each answers the case with its new ETag. A close based
    /// on the case as it was before another's reopening is refused (a black-box review found it undid the reopening:
    /// the tag counted corrections only).
    @Test func closingAndReopeningACaseNeedItsETag() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let number = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Bygglov"), actor: "anna").number
        var correction = CaseChange()
        correction.officer = .some("Anna Andersson")
        _ = try f.service.updateCase(number, correction, actor: "anna")   // version 2
        let path = casePath(number)
        try await f.application().test(.router) { client in
            for (action, seen) in [("close", 2), ("reopen", 3)] {
                try await client.execute(uri: path + "/" + action, method: .post, headers: bearer(tokens.anna)) { response in
                    try expectProblem(response, .preconditionRequired, code: "precondition-required", field: "If-Match")
                }
                try await client.execute(uri: path + "/" + action, method: .post, headers: bearer(tokens.anna, [.ifMatch: "\"d1\""])) { response in
                    try expectProblem(response, .preconditionFailed, code: "version-conflict")
                }
                try await client.execute(uri: path + "/" + action, method: .post, headers: bearer(tokens.bo, [.ifMatch: "\"d\(seen)\""])) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                }
                try await client.execute(uri: path + "/" + action, method: .post, headers: bearer(tokens.anna, [.ifMatch: "\"d\(seen)\""])) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.eTag] == "\"d\(seen + 1)\"")
                    let status = try jsonObject(response)["status"] as? String
                    #expect(status == (action == "close" ? "closed" : "open"))
                }
                // Already so: a state conflict.
                try await client.execute(uri: path + "/" + action, method: .post, headers: bearer(tokens.anna, [.ifMatch: "*"])) { response in
                    try expectProblem(response, .conflict, code: "invalid-state")
                }
            }
            // A clerk who saw it closed (d3) closes it again over the reopening: refused, it stays open.
            try await client.execute(uri: path + "/close", method: .post, headers: bearer(tokens.anna, [.ifMatch: "\"d3\""])) { response in
                try expectProblem(response, .preconditionFailed, code: "version-conflict")
            }
            try await client.execute(uri: path, method: .get, headers: bearer(tokens.anna)) { response in
                let shown = try jsonObject(response)["case"] as? [String: Any]
                #expect(response.headers[.eTag] == "\"d4\"" && shown?["status"] as? String == "open")
            }
        }
        let actions = try f.service.audit(object: number.description).map(\.action)
        #expect(actions == [.caseOpen, .caseUpdate, .caseClose, .caseReopen])
        #expect(try f.service.verify().ok)

        // A draft in a closed case takes no new content, refused before its body is read; finalising it still works.
        let draft = try f.service.register([NewDocument(data: Data("Utkast".utf8), originalName: "utkast.txt",
                                                        metadata: DocumentMetadata(title: "Utkast", recordType: .report))],
                                           in: number, actor: "anna")[0]
        _ = try f.service.closeCase(number, actor: "anna")
        try await f.application().test(.router) { client in
            try await client.execute(uri: apiPath(draft.number, "/content"), method: .put,
                                     headers: bearer(tokens.anna, [.ifMatch: "\"v1\"", .contentType: "text/plain"]), body: ByteBuffer(string: "Nytt")) { response in
                try expectProblem(response, .conflict, code: "invalid-state")
                #expect(bodyText(response).contains("closed"))
            }
            try await client.execute(uri: apiPath(draft.number, "/finalise"), method: .post, headers: bearer(tokens.anna, [.ifMatch: "\"v1\""])) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func changesNeedTheCurrentETag() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens, docs = f.docs
        let draft = docs.draft.number   // version 1, draft, KS
        let json: HTTPFields = [.contentType: "application/json"]
        try await f.application().test(.router) { client in
            let patch = ByteBuffer(string: #"{"title":"Budgetutkast 2027","sender":null,"comment":"rättad titel"}"#)
            try await client.execute(uri: apiPath(draft), method: .patch, headers: bearer(tokens.anna, json), body: patch) { response in
                try expectProblem(response, .preconditionRequired, code: "precondition-required", field: "If-Match")
            }
            try await client.execute(uri: apiPath(draft), method: .patch, headers: bearer(tokens.anna, json.merging([.ifMatch: "\"v7\""])), body: patch) { response in
                try expectProblem(response, .preconditionFailed, code: "version-conflict", field: "If-Match")
            }
            try await client.execute(uri: apiPath(draft), method: .patch, headers: bearer(tokens.bo, json.merging([.ifMatch: "\"v1\""])), body: patch) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            // A field that cannot be cleared refuses null instead of ignoring it.
            for field in ["title", "recordType", "direction"] {
                try await client.execute(uri: apiPath(draft), method: .patch, headers: bearer(tokens.anna, json.merging([.ifMatch: "\"v1\""])),
                                         body: ByteBuffer(string: #"{"\#(field)":null}"#)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: field)
                }
            }
            // Strong comparison: neither a weak tag nor another spelling of the number matches.
            for tag in ["W/\"v1\"", "\"v01\"", "\"v1", "v1"] {
                try await client.execute(uri: apiPath(draft), method: .patch, headers: bearer(tokens.anna, json.merging([.ifMatch: tag])), body: patch) { response in
                    try expectProblem(response, .preconditionFailed, code: "version-conflict", field: "If-Match")
                }
            }
            // A list matches when any of its tags is the current one.
            try await client.execute(uri: apiPath(draft), method: .patch, headers: bearer(tokens.anna, json.merging([.ifMatch: "\"v7\", \"v1\""])), body: patch) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"v2\"")
                let json = try jsonObject(response)
                #expect(json["title"] as? String == "Budgetutkast 2027")
            }
            // A new content version as a raw body, then finalise; each with the ETag of the step before.
            try await client.execute(uri: apiPath(draft, "/content?filename=Budget%202027.txt"), method: .put,
                                     headers: bearer(tokens.anna, [.ifMatch: "\"v2\"", .contentType: "text/plain"]),
                                     body: ByteBuffer(string: "Budget 2027, version två.\n")) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"v3\"")
                let json = try jsonObject(response)
                #expect((json["content"] as? [String: Any])?["originalName"] as? String == "Budget 2027.txt")
            }
            // A Content-Type without a type, or a file name that may not be one, is refused naming what the request
            // gave, and the version stays v3.
            try await client.execute(uri: apiPath(draft, "/content"), method: .put,
                                     headers: bearer(tokens.anna, [.ifMatch: "\"v3\"", .contentType: ";"]),
                                     body: ByteBuffer(string: "x")) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "Content-Type")
            }
            for name in ["a%2Fb.txt", "..", "..%5C..%5Cx.bat"] {
                try await client.execute(uri: apiPath(draft, "/content?filename=\(name)"), method: .put,
                                         headers: bearer(tokens.anna, [.ifMatch: "\"v3\"", .contentType: "text/plain"]),
                                         body: ByteBuffer(string: "x")) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "filename")
                }
            }
            // "*" matches whatever version is current (RFC 9110 §13.1.1).
            try await client.execute(uri: apiPath(draft, "/finalise"), method: .post, headers: bearer(tokens.anna, [.ifMatch: "*"])) { response in
                #expect(response.status == .ok)
                let json = try jsonObject(response)
                #expect(json["status"] as? String == "final")
            }
            // Final documents take no new content: 409, before any byte is stored.
            try await client.execute(uri: apiPath(draft, "/content"), method: .put,
                                     headers: bearer(tokens.anna, [.ifMatch: "\"v4\"", .contentType: "text/plain"]),
                                     body: ByteBuffer(string: "late")) { response in
                try expectProblem(response, .conflict, code: "invalid-state")
            }
            // Archiving: the archivist may, anywhere.
            try await client.execute(uri: apiPath(draft, "/archive"), method: .post, headers: bearer(tokens.arkiv, [.ifMatch: "\"v4\""])) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: apiPath(draft, "/versions"), method: .get, headers: bearer(tokens.anna)) { response in
                let versions = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                #expect(versions.compactMap { $0["change"] as? String } == ["registered", "metadata", "content", "status", "status"])
                #expect(versions[1]["comment"] as? String == "rättad titel")
            }
        }
    }

    /// Eight clients PATCH the draft's title at once, each with this `If-Match`; the statuses they got.
    func racingPatches(ifMatch: String) async throws -> (statuses: [HTTPResponse.Status], versions: Int) {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let draft = f.docs.draft.number
        let statuses = try await f.application().test(.live) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        try await client.execute(uri: apiPath(draft), method: .patch,
                                                 headers: bearer(tokens.anna, [.contentType: "application/json", .ifMatch: ifMatch]),
                                                 body: ByteBuffer(string: #"{"title":"Titel \#(i)"}"#)) { $0.status }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        return (statuses, try f.service.history(draft).count)
    }

    /// A restriction corrected without `hides` keeps hiding what it hid; with `hides` it hides exactly that; a new
    /// restriction without `hides` hides the content. Without `until` it keeps its end date on the same ground and
    /// provision (a restatement); a new ground ends when it says, and null means no end.
    @Test func aRestrictionCorrectedWithoutHidesKeepsWhatItHides() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let draft = f.docs.draft.number   // version 1, draft, KS, no restriction
        let anna = f.tokens.anna
        let json: HTTPFields = [.contentType: "application/json"]
        let ground = #""kind":"privacy","legalReference":"OSL 26 kap. 1 §""#
        let other = #""kind":"secrecy","legalReference":"OSL 19 kap. 1 §""#
        let steps: [(body: String, hides: [String], until: String?)] = [
            (#"{"restriction":{\#(ground)}}"#, ["content"], nil),
            (#"{"restriction":{\#(ground),"hides":["content","title","parties"]},"publicTitle":"Budget"}"#, ["content", "parties", "title"], nil),
            (#"{"restriction":{\#(ground),"until":"2040-01-01"}}"#, ["content", "parties", "title"], "2040-01-01"),
            (#"{"restriction":{\#(ground),"hides":["content","title"]}}"#, ["content", "title"], "2040-01-01"),
            (#"{"restriction":{\#(other),"hides":null}}"#, ["content", "title"], nil),
            (#"{"restriction":{\#(other),"until":"2041-06-30"}}"#, ["content", "title"], "2041-06-30"),
            (#"{"restriction":{"kind":"secrecy","legalReference":"OSL 19 kap. 3 §"}}"#, ["content", "title"], nil),
            (#"{"restriction":{\#(ground),"until":"2042-01-01","hides":["parties"]}}"#, ["parties"], "2042-01-01"),
            (#"{"restriction":{\#(ground),"until":null}}"#, ["parties"], nil),
        ]
        try await f.application().test(.router) { client in
            for (index, step) in steps.enumerated() {
                try await client.execute(uri: apiPath(draft), method: .patch, headers: bearer(anna, json.merging([.ifMatch: "\"v\(index + 1)\""])),
                                         body: ByteBuffer(string: step.body)) { response in
                    #expect(response.status == .ok, "\(step.body): \(bodyText(response))")
                    let restriction = try jsonObject(response)["restriction"] as? [String: Any]
                    #expect(restriction?["hides"] as? [String] == step.hides, "\(step.body)")
                    #expect(restriction?["until"] as? String == step.until, "\(step.body)")
                }
            }
        }
    }

    /// RFC 9110 §13.2.2: If-None-Match on a change, after If-Match: `*` (the resource exists) or a tag naming the
    /// current version (weakly) refuses it with 412, and nothing changes; a tag of another version lets it through.
    @Test func ifNoneMatchOnAChangeIsHonoured() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let draft = f.docs.draft.number   // version 1
        let anna = f.tokens.anna
        let json: HTTPFields = [.contentType: "application/json"]
        try await f.application().test(.router) { client in
            for noneMatch in ["*", "\"v1\"", "W/\"v1\"", "\"v7\", \"v1\""] {
                try await client.execute(uri: apiPath(draft), method: .patch,
                                         headers: bearer(anna, json.merging([.ifMatch: "\"v1\"", .ifNoneMatch: noneMatch])),
                                         body: ByteBuffer(string: #"{"title":"Ny titel"}"#)) { response in
                    try expectProblem(response, .preconditionFailed, code: "version-conflict", field: "If-None-Match")
                }
            }
            try await client.execute(uri: "/api/v1/cases/KS%202026%2F1", method: .patch,
                                     headers: bearer(anna, json.merging([.ifMatch: "*", .ifNoneMatch: "*"])),
                                     body: ByteBuffer(string: #"{"title":"Ny titel"}"#)) { response in
                try expectProblem(response, .preconditionFailed, code: "version-conflict", field: "If-None-Match")
            }
            try await client.execute(uri: apiPath(draft), method: .patch,
                                     headers: bearer(anna, json.merging([.ifMatch: "\"v1\"", .ifNoneMatch: "\"v7\""])),
                                     body: ByteBuffer(string: #"{"title":"Ny titel"}"#)) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(try f.service.history(draft).count == 2)
    }

    /// Two clients change the same version at once: exactly one wins, the other gets 412, nothing is lost.
    @Test func racingChangesNeverLoseAnUpdate() async throws {
        let (statuses, versions) = try await racingPatches(ifMatch: "\"v1\"")
        #expect(statuses.filter { $0 == .ok }.count == 1)
        #expect(statuses.filter { $0 == .preconditionFailed }.count == 7)
        #expect(versions == 2)
    }

    /// `If-Match: *` matches whatever version the change's own transaction finds: racing `*` writers all succeed,
    /// one after the other (it was resolved to a version before the transaction, so most got 412).
    @Test func racingChangesWithIfMatchAnyAllSucceed() async throws {
        let (statuses, versions) = try await racingPatches(ifMatch: "*")
        #expect(statuses == Array(repeating: .ok, count: 8))
        #expect(versions == 9)
    }

    @Test func uploadsOverTheLimitAre413AndLeaveNothing() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens, docs = f.docs
        let before = try f.snapshot()
        let big = testBytes(count: 300_000, seed: 9)
        let draft = docs.draft.number
        try await f.application(maxUploadBytes: 100_000).test(.live) { client in
            // Declared length: refused before the body is read.
            try await client.execute(uri: apiPath(draft, "/content"), method: .put,
                                     headers: bearer(tokens.anna, [.ifMatch: "\"v1\"", .contentType: "application/octet-stream"]),
                                     body: ByteBuffer(bytes: big)) { response in
                try expectProblem(response, .contentTooLarge, code: "content-too-large")
            }
            let form = multipart(metadata: Self.metadata, file: ("big.bin", "application/octet-stream", big))
            try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(tokens.anna, [.contentType: form.contentType]),
                                     body: form.body) { response in
                try expectProblem(response, .contentTooLarge, code: "content-too-large")
                #expect(bodyText(response).contains("limit of 100000 bytes"), "\(bodyText(response))")
            }
            // A reader who may not register in the series is refused once the metadata part is read: a 403, before
            // the file (over the limit here) would have streamed into a 413.
            let otherSeries = multipart(metadata: Self.metadata, file: ("big.bin", "application/octet-stream", big))
            try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(tokens.bo, [.contentType: otherSeries.contentType]),
                                     body: otherSeries.body) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            let port = try #require(client.port)
            // A multipart body declared longer than the file's limit and the room for metadata and framing: the
            // file's limit is the one named (the client's to keep within), the whole body's after it.
            let declared = "POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tokens.anna)\r\n"
                + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 50000000\r\nConnection: close\r\n\r\n"
            let declaredAnswer = try await rawExchange(port: port, [Data(declared.utf8)])
            #expect(declaredAnswer.hasPrefix("HTTP/1.1 413") && declaredAnswer.contains("a file of at most 100000 bytes"), "\(declaredAnswer.prefix(600))")
            // Chunked (no length given): counted while streaming.
            let head = "PUT \(apiPath(draft, "/content")) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tokens.anna)\r\n"
                + "If-Match: \"v1\"\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            let answer = try await rawExchange(port: port, [Data(head.utf8)] + chunked(big, piece: 16_384))
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(200))")
            #expect(answer.contains("content-too-large"))
            // The whole multipart body counts: an epilogue cannot stream on past the limit after a small file.
            let post = "POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tokens.anna)\r\n"
                + "Content-Type: multipart/form-data; boundary=XyZ-boundary-42\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            let tail = multipart(metadata: Self.metadata, file: ("a.txt", "text/plain", Data("text".utf8))).body
            let epilogue = Data(tail.readableBytesView) + Data(repeating: UInt8(ascii: "x"), count: (1 << 20) + 400_000)
            let flooded = try await rawExchange(port: port, [Data(post.utf8)] + chunked(epilogue, piece: 65_536))
            #expect(flooded.hasPrefix("HTTP/1.1 413"), "\(flooded.prefix(200))")
            // Transport padding after a boundary is bounded (a stream of spaces is not rescanned forever).
            let padded = Data("--XyZ-boundary-42".utf8) + Data(repeating: 32, count: 10_000) + Data("\r\n".utf8)
            let refused = try await rawExchange(port: port, [Data(post.utf8)] + chunked(padded, piece: 1_000))
            #expect(refused.hasPrefix("HTTP/1.1 400") && refused.contains("padding"), "\(refused.prefix(300))")
            // Within the limit, chunked works.
            let small = Data("Liten fil.\n".utf8)
            let ok = try await rawExchange(port: port, [Data(head.utf8)] + chunked(small, piece: 4))
            #expect(ok.hasPrefix("HTTP/1.1 200"), "\(ok.prefix(300))")
        }
        var after = before
        after[2] += 1   // the accepted version
        after[3] += 1   // its blob
        after[4] += 1   // its audit event
        #expect(try f.snapshot() == after)
        #expect(try f.service.history(draft).last?.content?.size == 11)
    }

    /// Metadata sent before the file: a reader who may not register in its series is refused once the file would
    /// go to disk (past `UploadWriter.batchSize`), before the rest of the body has arrived. The body here never ends:
    /// only the early refusal answers it with a 403.
    @Test func aForbiddenUploadIsRefusedBeforeItsFileGoesToDisk() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let before = try f.snapshot()
        let form = multipart(metadata: Self.metadata, file: ("stor.bin", "application/octet-stream", testBytes(count: UploadWriter.batchSize + 500_000, seed: 5)))
        let cut = Data(form.body.readableBytesView).dropLast(200_000)   // no closing boundary, and more to come
        try await f.application(maxUploadBytes: 4 << 20).test(.live) { client in
            let port = try #require(client.port)
            let head = "POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tokens.bo)\r\n"
                + "Content-Type: \(form.contentType)\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            // After 18 pieces of 64 KiB the file is past `batchSize`: the answer is awaited there, so the server has read
            // all that was sent and its close cannot reset the connection (which would lose the answer).
            let pieces = chunked(Data(cut), piece: 65_536).dropLast()
            try #require(pieces.count > 19 && 18 * 65_536 > UploadWriter.batchSize + 2_000)
            let answer = try await rawExchange(port: port, [Data(head.utf8)] + pieces, awaitingAnswerBefore: 19)
            #expect(answer.hasPrefix("HTTP/1.1 403"), "\(answer.prefix(200))")
        }
        #expect(try f.snapshot() == before)
    }

    /// A client that stops mid-upload leaves no version and no temp file.
    @Test func cutOffUploadsRegisterNothing() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens, docs = f.docs
        let before = try f.snapshot()
        let draft = docs.draft.number
        try await f.application().test(.live) { client in
            let port = try #require(client.port)
            let head = "PUT \(apiPath(draft, "/content")) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tokens.anna)\r\n"
                + "If-Match: \"v1\"\r\nContent-Length: 500000\r\n\r\n"
            _ = try await rawExchange(port: port, [Data(head.utf8), testBytes(count: 100_000, seed: 1)], timeout: 2)
            // The server notices the closed connection; give it a moment, then check through a normal request.
            try await Task.sleep(for: .milliseconds(300))
            try await client.execute(uri: apiPath(draft), method: .get, headers: bearer(tokens.anna)) { response in
                #expect(response.headers[.eTag] == "\"v1\"")
            }
        }
        #expect(try f.snapshot() == before)
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var result = self
        for field in other { result[field.name] = field.value }
        return result
    }
}

/// PUTs each (path, JSON body) with `token` and expects the problem given with it: its status, code and field.
func expectRefusedPuts(_ client: some TestClientProtocol, token: String,
                       _ refused: [(String, String, HTTPResponse.Status, String, String?)]) async throws {
    for (uri, body, status, code, field) in refused {
        try await client.execute(uri: uri, method: .put, headers: bearer(token, [.contentType: "application/json"]),
                                 body: ByteBuffer(string: body)) { response in
            try expectProblem(response, status, code: code, field: field)
        }
    }
}

@Suite struct APIRetentionTests {
    /// An admin hands a series to another department: its clerks, not the old department's, register in it then.
    @Test func adminsSetTheDepartmentThatKeepsASeries() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let json: HTTPFields = [.contentType: "application/json"]
        let newCase = ByteBuffer(string: #"{"series":"BUN","title":"Skolskjuts"}"#)
        try await f.application().test(.router) { client in
            let body = ByteBuffer(string: #"{"department":"KS"}"#)
            for token in [tokens.bo, tokens.arkiv] {
                try await client.execute(uri: "/api/v1/series/BUN", method: .patch, headers: bearer(token, json), body: body) {
                    try expectProblem($0, .forbidden, code: "forbidden")
                }
            }
            try await client.execute(uri: "/api/v1/series/SBN", method: .patch, headers: bearer(tokens.root, json), body: body) {
                try expectProblem($0, .notFound, code: "not-found", field: "series")
            }
            try await client.execute(uri: "/api/v1/series/BUN", method: .patch, headers: bearer(tokens.root, json),
                                     body: ByteBuffer(string: #"{"department":"K S"}"#)) {
                try expectProblem($0, .badRequest, code: "invalid-field", field: "department")
            }
            try await client.execute(uri: "/api/v1/series/BUN", method: .patch, headers: bearer(tokens.root, json), body: body) { response in
                #expect(response.status == .ok)
                let department = try jsonObject(response)["department"] as? String
                #expect(department == "KS")
            }
            try await client.execute(uri: "/api/v1/series/BUN", method: .patch, headers: bearer(tokens.root, json), body: body) {
                try expectProblem($0, .badRequest, code: "invalid-field", field: "department")
            }
            try await client.execute(uri: "/api/v1/cases", method: .post, headers: bearer(tokens.bo, json), body: newCase) {
                try expectProblem($0, .forbidden, code: "forbidden")
            }
            try await client.execute(uri: "/api/v1/cases", method: .post, headers: bearer(tokens.anna, json), body: newCase) { response in
                #expect(response.status == .created)
                #expect(response.headers[.eTag] == "\"d1\"", "what its correction or closing needs, as a GET gives it")
            }
        }
        #expect(try f.service.audit(object: "BUN").last?.action == .seriesUpdate)
    }

    @Test func adminsKeepTheRetentionScheduleEveryoneReadsIt() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let json: HTTPFields = [.contentType: "application/json"]
        let ten = #"{"action":"dispose","years":10,"mandate":"KS 2024-03-12 § 45","schedule":"IHP KS 2024"}"#
        let before = try f.snapshot()
        try await f.application().test(.router) { client in
            // Clerks and archivists may not change it; nothing changes.
            for token in [tokens.anna, tokens.arkiv] {
                try await client.execute(uri: "/api/v1/series/KS/retention/default", method: .put, headers: bearer(token, json),
                                         body: ByteBuffer(string: ten)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden", field: nil)
                }
            }
            let refused: [(String, String, HTTPResponse.Status, String, String?)] = [
                ("/api/v1/series/KS/retention/memo", ten, .badRequest, "invalid-field", "type"),
                ("/api/v1/series/KS/retention/default", #"{"action":"keep","years":3,"mandate":"RA-FS 1991:6"}"#, .badRequest, "invalid-field", "years"),
                ("/api/v1/series/KS/retention/default", #"{"action":"dispose","mandate":"x"}"#, .badRequest, "invalid-field", "years"),
                ("/api/v1/series/KS/retention/default", #"{"action":"burn","years":1,"mandate":"x"}"#, .badRequest, "invalid-field", "action"),
                // Numbers no integer holds: Foundation calls them "not valid JSON" without a path; the field is named.
                ("/api/v1/series/KS/retention/default", #"{"action":"dispose","years":1.5,"mandate":"x"}"#, .badRequest, "invalid-field", "years"),
                ("/api/v1/series/KS/retention/default", #"{"action":"dispose","years":99999999999999999999,"mandate":"x"}"#, .badRequest, "invalid-field", "years"),
                ("/api/v1/series/KS/retention/default", #"{"action":"keep","mandate":" "}"#, .badRequest, "invalid-field", "mandate"),
                ("/api/v1/series/KS/retention/default", #"{"action":"keep","mandate":"x","colour":"red"}"#, .badRequest, "invalid-field", "colour"),
                ("/api/v1/series/NOPE/retention/default", ten, .notFound, "not-found", "series"),
                ("/api/v1/series/k%20s/retention/default", ten, .badRequest, "invalid-field", "series"),
            ]
            try await expectRefusedPuts(client, token: tokens.root, refused)
        }
        #expect(try f.snapshot() == before)
        try await f.application().test(.router) { client in
            // Made: 201; made again (replaced): 200.
            for status in [HTTPResponse.Status.created, .ok] {
                try await client.execute(uri: "/api/v1/series/KS/retention/default", method: .put, headers: bearer(tokens.root, json),
                                         body: ByteBuffer(string: ten)) { response in
                    #expect(response.status == status)
                    let rule = try jsonObject(response)
                    #expect(rule["action"] as? String == "dispose" && rule["years"] as? Int == 10 && rule["recordType"] == nil)
                }
            }
            try await client.execute(uri: "/api/v1/series/KS/retention/letter", method: .put, headers: bearer(tokens.root, json),
                                     body: ByteBuffer(string: #"{"action":"keep","years":null,"mandate":"RA-FS 1991:6"}"#)) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/series/KS/retention", method: .get, headers: bearer(tokens.bo)) { response in
                #expect(response.status == .ok)
                let rules = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                #expect(rules.map { $0["recordType"] as? String ?? "default" } == ["default", "letter"])
            }
            try await client.execute(uri: "/api/v1/series/KS/retention/letter", method: .delete, headers: bearer(tokens.anna)) { response in
                try expectProblem(response, .forbidden, code: "forbidden", field: nil)
            }
            try await client.execute(uri: "/api/v1/series/KS/retention/letter", method: .delete, headers: bearer(tokens.root)) { response in
                #expect(response.status == .noContent && response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/api/v1/series/KS/retention/letter", method: .delete, headers: bearer(tokens.root)) { response in
                try expectProblem(response, .notFound, code: "not-found", field: "type")
            }
        }
        #expect(try f.service.retentionSchedule().map(\.scope) == ["KS"])
    }
}

@Suite struct APIClassificationTests {
    /// A class, a series and the organisation carry an ETag (a digest of what a GET shows); a change honours If-Match
    /// and If-None-Match when given: two admins who read a class and replace it cannot both win, a stale rule change
    /// is refused and changes nothing, and If-None-Match: * makes a PUT add only.
    @Test func settingsHonourIfMatchAndIfNoneMatch() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let root = f.tokens.root
        let json: HTTPFields = [.contentType: "application/json"]
        @Sendable func put(_ client: some TestClientProtocol, _ uri: String, _ body: String, _ conditions: HTTPFields = [:],
                 method: HTTPRequest.Method = .put) async throws -> (HTTPResponse.Status, String?) {
            try await client.execute(uri: uri, method: method, headers: bearer(root, json.merging(conditions)), body: ByteBuffer(string: body)) {
                ($0.status, $0.headers[.eTag])
            }
        }
        @Sendable func etag(_ client: some TestClientProtocol, _ uri: String) async throws -> String {
            try await client.execute(uri: uri, method: .get, headers: bearer(root)) { response in
                #expect(response.status == .ok)
                return try #require(response.headers[.eTag])
            }
        }
        try await f.application().test(.router) { client in
            let added = try await put(client, "/api/v1/classification/2", #"{"title":"Stödprocesser"}"#, [.ifNoneMatch: "*"])
            #expect(added.0 == .created)
            #expect(try await put(client, "/api/v1/classification/2", #"{"title":"Annat"}"#, [.ifNoneMatch: "*"]).0 == .preconditionFailed)
            #expect(try await put(client, "/api/v1/classification/3", #"{"title":"Kärnverksamhet"}"#, [.ifMatch: "*"]).0 == .preconditionFailed)
            let read = try await etag(client, "/api/v1/classification/2")
            #expect(read == added.1 && read.hasPrefix("\"s"))
            // Two admins replace the class they both read: the first wins, the second is refused, its rule not set.
            let first = try await put(client, "/api/v1/classification/2", #"{"title":"Stödprocesser","description":"Ekonomi och personal"}"#,
                                      [.ifMatch: read])
            #expect(first.0 == .ok && first.1 != read)
            let second = try await put(client, "/api/v1/classification/2",
                                       #"{"title":"Stödprocesser","retention":{"action":"dispose","years":2,"mandate":"KS 2024 § 45"}}"#,
                                       [.ifMatch: read])
            #expect(second.0 == .preconditionFailed)
            let current = try await etag(client, "/api/v1/classification/2")
            #expect(current == first.1)
            // A rule for a record type changes the class (its ETag), and is refused on a stale one too.
            #expect(try await put(client, "/api/v1/classification/2/retention/letter", #"{"action":"keep","mandate":"RA-FS 1991:6"}"#,
                                  [.ifMatch: read]).0 == .preconditionFailed)
            let ruled = try await put(client, "/api/v1/classification/2/retention/letter", #"{"action":"keep","mandate":"RA-FS 1991:6"}"#,
                                      [.ifMatch: "\"x\", \(current)"])
            #expect(ruled.0 == .created && ruled.1 != current)
            #expect(try await put(client, "/api/v1/classification/2/retention/letter", "", [.ifMatch: current], method: .delete).0 == .preconditionFailed)
            #expect(try await put(client, "/api/v1/classification/2", "", [.ifMatch: "W/\(ruled.1!)"], method: .delete).0 == .preconditionFailed)
            #expect(try await put(client, "/api/v1/classification/2", "", [.ifNoneMatch: "W/\(ruled.1!)"], method: .delete).0 == .preconditionFailed)
            #expect(try await put(client, "/api/v1/classification/2", "", [.ifMatch: ruled.1!], method: .delete).0 == .noContent)

            let series = try await etag(client, "/api/v1/series/KS")
            #expect(try await put(client, "/api/v1/series/KS", #"{"department":"KANSLI"}"#, [.ifMatch: "\"s000000000000000000000000\""],
                                  method: .patch).0 == .preconditionFailed)
            let moved = try await put(client, "/api/v1/series/KS", #"{"department":"KANSLI"}"#, [.ifMatch: series], method: .patch)
            let movedETag = try await etag(client, "/api/v1/series/KS")
            #expect(moved.0 == .ok && moved.1 == movedETag)

            #expect(try await put(client, "/api/v1/organisation", #"{"name":"Sundsvalls kommun"}"#, [.ifMatch: "*"]).0 == .preconditionFailed)
            let organisation = try await put(client, "/api/v1/organisation", #"{"name":"Sundsvalls kommun"}"#, [.ifNoneMatch: "*"])
            let organisationETag = try await etag(client, "/api/v1/organisation")
            #expect(organisation.0 == .ok && organisation.1 == organisationETag)
            #expect(try await put(client, "/api/v1/organisation", #"{"name":"Timrå kommun"}"#, [.ifNoneMatch: "*"]).0 == .preconditionFailed)
        }
        let item = try f.service.classification()
        #expect(item.isEmpty)
        #expect(try f.service.organisation()?.name == "Sundsvalls kommun")
        #expect(try f.service.series(SeriesCode(rawValue: "KS")!).department.rawValue == "KANSLI")
    }

    /// Admins keep the classification structure and every reader sees it; a class in use stays (409), and once a
    /// structure exists a case given a code outside it is refused naming the field.
    @Test func adminsKeepTheClassificationEveryoneReadsIt() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let json: HTTPFields = [.contentType: "application/json"]
        let bygglov = #"{"title":"Bygglov","description":"Lov enligt PBL","retention":{"action":"dispose","years":10,"mandate":"KS 2024 § 45"}}"#
        let before = try f.snapshot()
        try await f.application().test(.router) { client in
            for token in [tokens.anna, tokens.arkiv] {
                try await client.execute(uri: "/api/v1/classification/2", method: .put, headers: bearer(token, json),
                                         body: ByteBuffer(string: #"{"title":"Stödprocesser"}"#)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden", field: nil)
                }
            }
            let refused: [(String, String, HTTPResponse.Status, String, String?)] = [
                ("/api/v1/classification/2.4", bygglov, .badRequest, "invalid-field", "code"),          // 2 is not there yet
                ("/api/v1/classification/2..4", #"{"title":"X"}"#, .badRequest, "invalid-field", "code"),
                ("/api/v1/classification/2", #"{"title":" "}"#, .badRequest, "invalid-field", "title"),
                ("/api/v1/classification/2", #"{}"#, .badRequest, "invalid-field", "title"),
                ("/api/v1/classification/2", #"{"title":"X","retention":{"action":"keep","years":3,"mandate":"x"}}"#, .badRequest, "invalid-field", "retention.years"),
                ("/api/v1/classification/2", #"{"title":"X","retention":{"action":"keep"}}"#, .badRequest, "invalid-field", "retention.mandate"),
                ("/api/v1/classification/2", #"{"title":"X","colour":"red"}"#, .badRequest, "invalid-field", "colour"),
                ("/api/v1/classification/2", #"{"title":"X","retention":{"action":"keep","mandate":"x","when":1}}"#, .badRequest, "invalid-field", "retention.when"),
            ]
            try await expectRefusedPuts(client, token: tokens.root, refused)
        }
        #expect(try f.snapshot() == before)
        try await f.application().test(.router) { client in
            for status in [HTTPResponse.Status.created, .ok] {
                try await client.execute(uri: "/api/v1/classification/2", method: .put, headers: bearer(tokens.root, json),
                                         body: ByteBuffer(string: #"{"title":"Stödprocesser","retention":null}"#)) { response in
                    #expect(response.status == status)
                }
            }
            try await client.execute(uri: "/api/v1/classification/2.4", method: .put, headers: bearer(tokens.root, json),
                                     body: ByteBuffer(string: bygglov)) { response in
                #expect(response.status == .created)
                let item = try jsonObject(response)
                #expect(item["code"] as? String == "2.4" && (item["retention"] as? [String: Any])?["years"] as? Int == 10)
            }
            try await client.execute(uri: "/api/v1/classification", method: .get, headers: bearer(tokens.bo)) { response in
                #expect(response.status == .ok)
                let classes = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                #expect(classes.map { $0["code"] as? String } == ["2", "2.4"])
            }
            try await client.execute(uri: "/api/v1/classification/2.4", method: .get, headers: bearer(tokens.anna)) { response in
                let item = try jsonObject(response)
                #expect(item["title"] as? String == "Bygglov")
            }
            try await client.execute(uri: "/api/v1/classification/9", method: .get, headers: bearer(tokens.anna)) { response in
                try expectProblem(response, .notFound, code: "not-found", field: "code")
            }
            // A case with a code outside the structure is refused; one inside it is opened, and keeps its class.
            let newCase = #"{"series":"KS","title":"Bygglov Storgatan 1","classification":"%@"}"#
            try await client.execute(uri: "/api/v1/cases", method: .post, headers: bearer(tokens.anna, json),
                                     body: ByteBuffer(string: newCase.replacingOccurrences(of: "%@", with: "9.9"))) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "classification")
            }
            try await client.execute(uri: "/api/v1/cases", method: .post, headers: bearer(tokens.anna, json),
                                     body: ByteBuffer(string: newCase.replacingOccurrences(of: "%@", with: "2.4"))) { response in
                #expect(response.status == .created)
            }
            for (uri, status) in [("/api/v1/classification/2.4", HTTPResponse.Status.conflict), ("/api/v1/classification/2", .conflict)] {
                try await client.execute(uri: uri, method: .delete, headers: bearer(tokens.root)) { response in
                    try expectProblem(response, status, code: "invalid-state", field: "code")
                }
            }
            try await client.execute(uri: "/api/v1/classification/2.7", method: .delete, headers: bearer(tokens.root)) { response in
                try expectProblem(response, .notFound, code: "not-found", field: "code")
            }
        }
        _ = try f.service.setClass(try ClassificationClass(code: "2.7", title: "Oanvänd"), actor: "admin")
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/classification/2.7", method: .delete, headers: bearer(tokens.anna)) { response in
                try expectProblem(response, .forbidden, code: "forbidden", field: nil)
            }
            try await client.execute(uri: "/api/v1/classification/2.7", method: .delete, headers: bearer(tokens.root)) { response in
                #expect(response.status == .noContent && response.body.readableBytes == 0)
            }
        }
        #expect(try f.service.classification().map(\.code) == ["2", "2.4"])
        #expect(try f.service.verify().ok)
    }

    /// A class's rules for record types: set (201, then 200) and removed (204) by admins at
    /// `classification/{code}/retention/{type}`, shown in the class as `typeRetention`; mistakes named.
    @Test func adminsSetAClassRuleForARecordType() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let json: HTTPFields = [.contentType: "application/json"]
        _ = try f.service.setClass(try ClassificationClass(code: "2", title: "Stödprocesser"), actor: "admin")
        let rule = #"{"action":"dispose","years":2,"mandate":"KS 2024 § 47","schedule":"IHP 2024"}"#
        let before = try f.snapshot()
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/classification/2/retention/letter", method: .put, headers: bearer(tokens.anna, json),
                                     body: ByteBuffer(string: rule)) { response in
                try expectProblem(response, .forbidden, code: "forbidden", field: nil)
            }
            let refused: [(String, String, HTTPResponse.Status, String, String?)] = [
                ("/api/v1/classification/2/retention/invoice", rule, .badRequest, "invalid-field", "type"),
                ("/api/v1/classification/2/retention/default", rule, .badRequest, "invalid-field", "type"),
                ("/api/v1/classification/9/retention/letter", rule, .notFound, "not-found", "code"),
                ("/api/v1/classification/2/retention/letter", #"{"action":"dispose","mandate":"x"}"#, .badRequest, "invalid-field", "years"),
                ("/api/v1/classification/2/retention/letter", #"{"action":"keep","mandate":"x","colour":1}"#, .badRequest, "invalid-field", "colour"),
            ]
            try await expectRefusedPuts(client, token: tokens.root, refused)
        }
        #expect(try f.snapshot() == before)
        try await f.application().test(.router) { client in
            for status in [HTTPResponse.Status.created, .ok] {
                try await client.execute(uri: "/api/v1/classification/2/retention/letter", method: .put, headers: bearer(tokens.root, json),
                                         body: ByteBuffer(string: rule)) { response in
                    #expect(response.status == status)
                    let item = try jsonObject(response)
                    let letter = (item["typeRetention"] as? [String: Any])?["letter"] as? [String: Any]
                    #expect(item["code"] as? String == "2" && letter?["years"] as? Int == 2 && letter?["mandate"] as? String == "KS 2024 § 47")
                }
            }
            try await client.execute(uri: "/api/v1/classification/2", method: .get, headers: bearer(tokens.anna)) { response in
                let item = try jsonObject(response)
                #expect((item["typeRetention"] as? [String: Any])?.keys.sorted() == ["letter"] && item["retention"] == nil)
            }
            try await client.execute(uri: "/api/v1/classification/2/retention/letter", method: .delete, headers: bearer(tokens.root)) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/classification/2/retention/letter", method: .delete, headers: bearer(tokens.root)) { response in
                try expectProblem(response, .notFound, code: "not-found", field: "type")
            }
            try await client.execute(uri: "/api/v1/classification/2", method: .get, headers: bearer(tokens.anna)) { response in
                let item = try jsonObject(response)
                #expect(item["typeRetention"] == nil, "left out when there is none")
            }
        }
        #expect(try f.service.audit(object: "2/letter").map(\.action) == [.classRuleSet, .classRuleSet, .classRuleRemove])
        #expect(try f.service.verify().ok)
    }
}
