import DiariumCore
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// What RFC 9110/9111/6750 ask of the answers, beyond what each route's own tests show: caching of answers meant for
/// one reader, preconditions and ranges on downloads, request codings, `100 Continue`, and reads HEAD did not make.
@Suite struct HTTPSemanticsTests {
    /// An answer meant for one token's holder is never kept by a cache: a shared one that ignores `Authorization`
    /// would hand one clerk's unredacted view to the next caller. The public routes may be kept and revalidated.
    @Test func apiAnswersAreForTheirReaderAlone() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens, docs = f.docs
        let secret = docs.secret.number
        try await f.application().test(.router) { client in
            for path in [apiPath(secret), apiPath(secret, "/versions"), apiPath(secret, "/content"), "/api/v1/search?q=type:letter",
                         "/api/v1/me"] {
                try await client.execute(uri: path, method: .get, headers: bearer(t.anna)) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.cacheControl] == "private, no-store", "\(path)")
                }
            }
            // A 304 of a download says the same.
            let etag = "\"\(try #require(docs.secret.current.content?.sha256))\""
            try await client.execute(uri: apiPath(secret, "/content"), method: .get, headers: bearer(t.anna, [.ifNoneMatch: etag])) { response in
                #expect(response.status == .notModified)
                #expect(response.headers[.cacheControl] == "private, no-store")
            }
            try await client.execute(uri: documentPath(docs.decision.number), method: .get) { response in
                #expect(response.headers[.cacheControl] == "no-cache")
            }
            // Errors too, raised in a route, by the router (an unknown path) or outside the API group (a method it
            // does not take): never kept, and under the API for its reader alone.
            for (path, method, status) in [(apiPath(secret) + "0", HTTPRequest.Method.get, HTTPResponse.Status.notFound),
                                           ("/api/v1/documents/garbage", .get, .badRequest), ("/api/v1/search?q=%22", .get, .badRequest),
                                           ("/api/v1/nope", .get, .notFound), ("/api/v1/me", .options, .methodNotAllowed)] {
                try await client.execute(uri: path, method: method, headers: bearer(t.anna)) { response in
                    #expect(response.status == status, "\(path)")
                    #expect(response.headers[.cacheControl] == "private, no-store", "\(path)")
                    // Titles in sentence case, the router's as the routes' ("Not found", "Method not allowed").
                    let title = try #require(try jsonObject(response)["title"] as? String)
                    #expect(title.dropFirst() == title.dropFirst().lowercased(), "\(path): \(title)")
                }
            }
            try await client.execute(uri: "/public/v1/documents/KS%202026%2F99-1", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test func plainStatusTitlesAreInSentenceCase() {
        #expect(Problem.sentenceCase("Method Not Allowed") == "Method not allowed")
        #expect(Problem.sentenceCase("URI Too Long") == "URI too long")
        #expect(Problem.sentenceCase("Not Found") == "Not found")
    }

    /// A key given twice is found however the JSON spells it, and nowhere else: not in strings holding braces, quotes
    /// or backslashes, not across objects of an array.
    @Test func duplicateKeysAreFoundWhereverTheyAre() {
        for valid in [#"{"a":"{\"a\":1}","b":[{"a":1},{"a":2}],"c":{"a":{"a":1}},"d":"\\","e":[],"f":{}}"#,
                      #"{"a\\":1,"a":2}"#, #"{"\ud83d\ude00":1,"😀x":2,"x":"}]"}"#, #"[{"a":1},{"a":1}]"#] {
            #expect(JSONDuplicateKeys.first(in: Data(valid.utf8)) == nil, "\(valid)")
        }
        for (twice, path) in [(#"{"a":1,"\u0061":2}"#, "a"), (#"{"x":{"y":1,"y":2}}"#, "x.y"),
                              (#"{"x":[{"y":1},{"z":{"q":1,"q":2}}]}"#, "x[].z.q"), (#"{"\ud83d\ude00":1,"😀":2}"#, "😀"),
                              (#"{"s":"}","s":"{"}"#, "s")] {
            #expect(JSONDuplicateKeys.first(in: Data(twice.utf8)) == path, "\(twice)")
        }
    }

    /// A JSON body is UTF-8: Foundation would read UTF-16 too, where a quote byte inside a character (U+2200 holds
    /// 0x22) threw the duplicate-key scan off its strings, and the server down with it.
    @Test func aJSONBodyIsUTF8() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let before = try f.snapshot()
        let text = #"{"code":"AC","name":"\#u{2200}}]]","name":"x"}"#
        let utf16 = Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let root = f.tokens.root
        try await f.application().test(.router) { client in
            for body in [utf16, [0xFF, 0xFE] + utf16] {
                try await client.execute(uri: "/api/v1/series", method: .post, headers: bearer(root, [.contentType: "application/json"]),
                                         body: ByteBuffer(bytes: body)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "body")
                }
            }
            try await client.execute(uri: "/health", method: .get) { response in #expect(response.status == .ok) }
        }
        #expect(try f.snapshot() == before)
    }

    /// NUL ends a text for SQLite: `anna%00junk` was answered as anna, past the checks that compare whole names.
    /// An address holding one is refused, in the path or the query.
    @Test func anAddressHoldingNULIsRefused() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        let before = try f.snapshot()
        try await f.application().test(.router) { client in
            for (path, method, field) in [("/api/v1/users/anna%00junk", HTTPRequest.Method.get, "path"), ("/api/v1/users/root%00", .patch, "path"),
                                          ("//api/v1/users/anna%00junk", .get, "path"),
                                          ("/api/v1/audit?object=KS%202026%2F1-1%00junk", .get, "object"),
                                          ("/api/v1/search?q=hej%00&limit=2", .get, "q"), ("/api/v1/search?a%00b=1", .get, "query")] {
                try await client.execute(uri: path, method: method, headers: bearer(t.root, [.contentType: "application/json"]),
                                         body: ByteBuffer(string: #"{"role":"archivist"}"#)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: field)
                }
            }
            // A number with its series in lower case names no object: refused, with the spelling to use.
            try await client.execute(uri: "/api/v1/audit?object=ks%202026%2F1-1", method: .get, headers: bearer(t.root)) { response in
                try expectProblem(response, .badRequest, code: "invalid-number", field: "object", detail: "series codes are upper case: KS 2026/1-1")
            }
            try await client.execute(uri: "/api/v1/documents/ks%202026%2F1-1", method: .get, headers: bearer(t.root)) { response in
                try expectProblem(response, .badRequest, code: "invalid-number", field: "number", detail: "series codes are upper case: KS 2026/1-1")
            }
            // The pages answer with a page of their own (what their schema promises).
            try await client.execute(uri: "/diarium/sok?q=hej%00", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            }
        }
        #expect(try f.snapshot() == before)
        #expect(try f.service.user("root").role == .admin)
    }

    /// If-Match on a download (RFC 9110 §13.1.1): pieces assembled under one ETag all come from that content.
    /// Range only on GET (§14.2): a HEAD tells the whole size.
    @Test func downloadsHonourIfMatchAndIgnoreRangeOnHead() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens, decision = f.docs.decision, bytes = f.docs.decisionBytes
        let etag = "\"\(try #require(decision.current.content?.sha256))\""
        let size = bytes.count
        try await f.application().test(.router) { client in
            for path in [documentPath(decision.number, "/content"), apiPath(decision.number, "/content")] {
                let auth = path.hasPrefix("/api/") ? bearer(t.anna) : [:]
                for condition in ["\"0000\"", "W/\(etag)"] {
                    var headers = auth
                    headers[.ifMatch] = condition
                    headers[.range] = "bytes=0-9"
                    try await client.execute(uri: path, method: .get, headers: headers) { response in
                        try expectProblem(response, .preconditionFailed, code: "precondition-failed", field: "If-Match")
                        #expect(response.headers[.eTag] == etag)
                    }
                }
                var matching = auth
                matching[.ifMatch] = "\"other\", \(etag)"
                matching[.range] = "bytes=0-9"
                try await client.execute(uri: path, method: .get, headers: matching) { response in
                    #expect(response.status == .partialContent)
                    #expect(Data(response.body.readableBytesView) == bytes.prefix(10))
                }
                var star = auth
                star[.ifMatch] = "*"
                try await client.execute(uri: path, method: .get, headers: star) { response in
                    #expect(response.status == .ok && response.body.readableBytes == size)
                }
                for range in ["bytes=0-1", "bytes=\(size + 10)-"] {
                    var headers = auth
                    headers[.range] = range
                    try await client.execute(uri: path, method: .head, headers: headers) { response in
                        #expect(response.status == .ok, "HEAD with \(range)")
                        #expect(response.headers[.contentLength] == String(size))
                        #expect(response.headers[.contentRange] == nil)
                    }
                }
            }
        }
    }

    /// A compressed upload is refused rather than stored as the record (RFC 9110 §8.4, §15.5.16).
    @Test func aContentCodingIsRefusedNotStored() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let before = try f.snapshot()
        let t = f.tokens, draft = f.docs.draft.number
        try await f.application().test(.router) { client in
            let headers = bearer(t.anna, [.ifMatch: "\"v1\"", .contentType: "text/plain", .contentEncoding: "gzip"])
            try await client.execute(uri: apiPath(draft, "/content?filename=a.txt"), method: .put, headers: headers,
                                     body: ByteBuffer(bytes: [0x1f, 0x8b, 8, 0, 0, 0, 0, 0])) { response in
                try expectProblem(response, .unsupportedMediaType, code: "unsupported-media-type", field: "Content-Encoding")
                #expect(response.headers[.acceptEncoding] == "identity")
            }
        }
        #expect(try f.snapshot() == before)
        try await f.application().test(.router) { client in
            // `identity` is no coding at all.
            let identity = bearer(t.anna, [.ifMatch: "\"v1\"", .contentType: "text/plain", .contentEncoding: "identity"])
            try await client.execute(uri: apiPath(draft, "/content?filename=a.txt"), method: .put, headers: identity,
                                     body: ByteBuffer(string: "ny text")) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// A browser sends a file input left empty as a part with `filename=""` and no bytes: refused, not registered as
    /// an empty file. An empty file that has a name is a file.
    @Test func anEmptyFileInputIsNotAnEmptyFile() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        let metadata = #"{"case":"\#(f.docs.draft.number.caseNumber)","title":"Utan fil","recordType":"letter"}"#
        let boundary = "b0und"
        let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n\(metadata)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n"
            + "--\(boundary)--\r\n"
        let before = try f.snapshot()
        try await f.application().test(.router) { client in
            let headers = bearer(t.anna, [.contentType: "multipart/form-data; boundary=\(boundary)"])
            try await client.execute(uri: "/api/v1/documents", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "file")
                #expect(bodyText(response).contains("no file was chosen"))
            }
        }
        #expect(try f.snapshot() == before)
        try await f.application().test(.router) { client in
            let named = multipart(metadata: metadata, file: (name: "tom.txt", type: "text/plain", bytes: Data()))
            try await client.execute(uri: "/api/v1/documents", method: .post, headers: bearer(t.anna, [.contentType: named.contentType]),
                                     body: named.body) { response in
                #expect(response.status == .created)
                let content = try jsonObject(response)["content"] as? [String: Any]
                #expect(content?["size"] as? Int == 0 && content?["originalName"] as? String == "tom.txt")
            }
        }
    }

    /// HEAD runs the GET route but delivers nothing: showing restricted parts is audited for GET only.
    @Test func headReadsAreNotAuditedAsReads() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens, secret = f.docs.secret.number
        func reads() throws -> Int { try f.service.audit(limit: 100_000).filter { $0.action == .documentRead }.count }
        let paths = [(apiPath(secret), t.anna), (apiPath(secret, "/versions"), t.anna), (apiPath(secret, "/versions/1"), t.anna),
                     (casePath(secret.caseNumber), t.anna), ("/api/v1/search?q=type:serviceRecord", t.arkiv)]
        let before = try reads()
        try await f.application().test(.router) { client in
            for (path, token) in paths {
                try await client.execute(uri: path, method: .head, headers: bearer(token)) { response in
                    #expect(response.status == .ok, "HEAD \(path)")
                }
            }
        }
        #expect(try reads() == before, "a HEAD was audited as a read")
        try await f.application().test(.router) { client in
            for (path, token) in paths {
                try await client.execute(uri: path, method: .get, headers: bearer(token)) { response in
                    #expect(response.status == .ok, "GET \(path)")
                }
            }
        }
        #expect(try reads() >= before + paths.count, "a GET was not audited")
    }

    /// RFC 6750 §3.1: a token that came and is not accepted is `invalid_token`; a request without one gets no code.
    @Test func aRefusedTokenIsNamedInvalid() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(t.revoked)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="diarium", error="invalid_token""#)
            }
            try await client.execute(uri: "/api/v1/me", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="diarium""#)
            }
        }
    }

    /// A store failure is a 500 with a generic text; one whose outcome is unknown (the disk failed during the commit)
    /// tells the client to look before trying again, since a blind retry could register the document twice.
    @Test func aStoreFailureOfUnknownOutcomeSaysToLookFirst() {
        let unknown = Problem(DiariumError(.storage, "catalog error: 10: disk I/O error /srv/store", outcomeUnknown: true))
        #expect(unknown.status == .internalServerError && unknown.detail.contains("Look before trying again"))
        #expect(!unknown.detail.contains("/srv/store"), "internals stay in the log")
        #expect(Problem(DiariumError(.storage, "catalog error: 5: database is locked")).detail == Problem.internalError.detail)
    }

    /// A health probe asks whether the store can work, not only whether its catalog answers: with its content folder
    /// gone (a volume unmounted under the running server) every upload and download would fail, so it is 503.
    @Test func healthSaysWhenTheContentFolderIsGone() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let objects = f.service.store.root + "/objects"
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in #expect(response.status == .ok) }
            try FileManager.default.moveItem(atPath: objects, toPath: objects + ".away")
            try await client.execute(uri: "/health", method: .get) { response in
                try expectProblem(response, .serviceUnavailable, code: "store-unavailable")
                #expect(!bodyText(response).contains("objects"), "the reason goes to the log, not to whoever asks")
            }
            try FileManager.default.moveItem(atPath: objects + ".away", toPath: objects)
            try await client.execute(uri: "/health", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    /// JSON past a reader's limits (nesting thousands deep, a number no double holds) is refused with the reader's
    /// reason, not as if it were broken text; the store is as before.
    @Test func jsonPastTheReadersLimitsSaysWhy() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let before = try f.snapshot()
        let root = f.tokens.root
        try await f.application().test(.router) { client in
            for body in [String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000), "{\"code\":\"X\",\"name\":1e999}"] {
                try await client.execute(uri: "/api/v1/series", method: .post, headers: bearer(root, [.contentType: "application/json"]),
                                         body: ByteBuffer(string: body)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "body", detail: "could not be read as JSON")
                }
            }
        }
        #expect(try f.snapshot() == before)
    }

    /// A typo in a query is never silently ignored, on the service routes either.
    @Test func serviceRoutesRefuseUnknownParameters() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        try await f.application().test(.router) { client in
            for path in ["/health", "/metrics", "/openapi.json"] {
                try await client.execute(uri: path + "?verbose=1", method: .get) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: "verbose",
                                      detail: "unknown parameter 'verbose' (this resource takes no query parameters)")
                }
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    /// RFC 9110 §10.1.1: `Expect: 100-continue` gets `100 Continue` once the route reads the body, and the upload
    /// goes on from there; an answer decided from the head (401, 413) comes instead, and no 100 before it.
    @Test func expectContinueIsAnswered() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let t = f.tokens, number = f.docs.draft.number
        @Sendable func head(_ token: String, length: Int) -> [UInt8] {
            Array(("PUT \(apiPath(number, "/content?filename=ny.txt")) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "If-Match: \"v1\"\r\nContent-Type: text/plain\r\nContent-Length: \(length)\r\nExpect: 100-continue\r\n\r\n").utf8)
        }
        let body = Array("Ny version av utkastet".utf8)
        try await f.application(maxUploadBytes: 1_000).test(.live) { client in
            let port = try #require(client.port)
            let (interim, answer) = try await onOwnThread {
                let connection = try LoopbackConnection(port: port, timeout: 60)
                connection.send(head(t.anna, length: body.count))
                // The client waits for the 100 (curl: one second, then sends anyway); this one waits for it alone.
                guard connection.answerArrives(within: 30) else { return ("", "") }
                let interim = String(decoding: connection.receiveAvailable(), as: UTF8.self)
                connection.send(body)
                connection.finishSending()
                return (interim, String(decoding: connection.receiveUntilClosed().bytes, as: UTF8.self))
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
            #expect((interim + answer).contains("HTTP/1.1 200 OK"), "\(answer.prefix(300))")

            for (token, length, status) in [(t.revoked, body.count, "401"), (t.anna, 5_000, "413")] {
                let refused = try await onOwnThread {
                    let connection = try LoopbackConnection(port: port, timeout: 60)
                    connection.send(head(token, length: length))
                    guard connection.answerArrives(within: 30) else { return "" }
                    return String(decoding: connection.receiveAvailable(), as: UTF8.self)
                }
                #expect(refused.hasPrefix("HTTP/1.1 \(status)"), "no 100 before a refusal: \(refused.prefix(200))")
            }
        }
        #expect(try f.service.document(number).current.content?.originalName == "ny.txt")
    }
}
