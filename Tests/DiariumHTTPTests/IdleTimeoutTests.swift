import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// Connections that send nothing for the idle timeout are closed (`ServerSettings.idleTimeout`), whether idle between
/// requests or stalled part-way through one; a response is never cut off by it.
@Suite struct IdleTimeoutTests {
    static let idle = Duration.seconds(1)
    /// Long enough for a loaded machine; the server closes after about a second.
    static let timeout = 60

    /// Connects, sends `bytes`, waits `pause` seconds, and reads until the server closes: what came, whether it was
    /// the close, and how long the reading took.
    static func exchange(port: Int, _ bytes: String, pause: Double = 0, halfClose: Bool = false) async throws -> (answer: [UInt8], closed: Bool, seconds: Double) {
        try await onOwnThread {
            let connection = try LoopbackConnection(port: port, timeout: timeout)
            if !bytes.isEmpty { connection.send(Array(bytes.utf8)) }
            if halfClose { connection.finishSending() }
            Thread.sleep(forTimeInterval: pause)
            let start = Date()
            let (received, closed) = connection.receiveUntilClosed()
            return (received, closed, Date().timeIntervalSince(start))
        }
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes.prefix(300), as: UTF8.self) }

    /// `/metrics` counts each such ending by its reason: idle between requests, stalled part-way through one.
    @Test(arguments: [
        ("a connection that never sends", "", "idle"),
        ("a head that stops part-way", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n", "stalled"),
        ("a body that stops part-way", "PUT /api/v1/documents/x/content HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nabc", "stalled"),
    ])
    func aConnectionThatSendsNothingIsClosed(_ what: String, _ bytes: String, _ reason: String) async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        try await f.application(idleTimeout: Self.idle).test(.live) { client in
            let (answer, closed, seconds) = try await Self.exchange(port: try #require(client.port), bytes)
            #expect(closed, "\(what): still open after \(seconds) s")
            #expect(seconds < 30, "\(what)")
            #expect(!Self.text(answer).contains("HTTP/1.1 2"), "\(what): \(Self.text(answer))")
            // The test client's own connection, made at the start and not used, is closed for idleness too.
            var expected = ["idle": 1, "stalled": 0, "refused-body": 0]
            expected[reason, default: 0] += 1
            let endings = try await connectionEndings(client, settlingAt: expected)
            #expect(endings == expected, "\(what): \(endings)")
        }
    }

    @Test func aKeptConnectionIsClosedOnceIdle() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        try await f.application(idleTimeout: Self.idle).test(.live) { client in
            let (answer, closed, _) = try await Self.exchange(port: try #require(client.port), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(Self.text(answer).hasPrefix("HTTP/1.1 200"), "\(Self.text(answer))")
            #expect(closed)
            // This one and the test client's own, not used.
            let expected = ["idle": 2, "stalled": 0, "refused-body": 0]
            let endings = try await connectionEndings(client, settlingAt: expected)
            #expect(endings == expected, "\(endings)")
        }
    }

    /// An HTTP/1.0 request is answered as 1.0 and its connection ended at once, not at the idle timeout (RFC 9112
    /// §9.3), keep-alive asked for or not; no 100 Continue reaches a 1.0 client.
    @Test(arguments: ["GET /health HTTP/1.0\r\n\r\n", "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                      "POST /health HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"])
    func anHTTP10ConnectionEndsWithItsAnswer(_ request: String) async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        try await f.application(idleTimeout: .seconds(120)).test(.live) { client in
            let (answer, closed, seconds) = try await Self.exchange(port: try #require(client.port), request)
            let text = Self.text(answer)
            #expect(text.hasPrefix("HTTP/1.0 200") || (request.hasPrefix("POST") && text.hasPrefix("HTTP/1.0 405")), "\(text)")
            #expect(!text.contains("100 Continue") && !text.lowercased().contains("transfer-encoding"), "\(text)")
            #expect(closed && seconds < 60, "closed \(closed) after \(seconds) s")
        }
        // HTTP/1.1 is kept open as before (aKeptConnectionIsClosedOnceIdle): closed by the idle timeout only.
    }

    /// A download the client does not read for longer than the idle timeout still arrives whole, also to a client
    /// that has closed its sending side (the server then closes as soon as the answer is out).
    @Test(arguments: [false, true])
    func aResponseIsNotCutOffWhileTheClientIsSlowToRead(halfClosed: Bool) async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let content = testBytes(count: 16 << 20, seed: 21)
        let record = try f.service.register([NewDocument(data: content, originalName: "stor.bin",
                                                         metadata: DocumentMetadata(title: "Stor bilaga", recordType: .report))],
                                            in: f.docs.draft.number.caseNumber, actor: "anna")[0]
        let request = "GET \(apiPath(record.number, "/content")) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(f.tokens.anna)\r\n"
            + "Connection: close\r\n\r\n"
        try await f.application(idleTimeout: Self.idle).test(.live) { client in
            let (answer, closed, _) = try await Self.exchange(port: try #require(client.port), request, pause: 3, halfClose: halfClosed)
            #expect(Self.text(answer).hasPrefix("HTTP/1.1 200"), "\(Self.text(answer))")
            #expect(closed)
            let headEnd = try #require(answer.firstRange(of: Array("\r\n\r\n".utf8))).upperBound
            #expect(answer.count - headEnd == content.count, "\(answer.count - headEnd) of \(content.count) bytes")
            #expect(Data(answer[headEnd...]) == content)
            // Closed because the request said so, not for idleness (only the test client's own connection was).
            let expected = ["idle": 1, "stalled": 0, "refused-body": 0]
            let endings = try await connectionEndings(client, settlingAt: expected)
            #expect(endings == expected, "\(endings)")
        }
    }
}
