import DiariumCore
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// A request refused while its body is still arriving ends its connection (`RefusedBodyHandler`): the answer is
/// read in full, and the server neither reads the rest of the body nor holds the connection for ever.
@Suite struct RefusedBodyTests {
    static let limit: Int64 = 100_000
    /// Seconds any one send or receive may wait: the whole suite starts at once on two cores, and a server that
    /// cannot run for a while is not what these tests are about.
    static let timeout = 60

    /// The head of a PUT of new content for `number`, with `framing` (a Content-Length or chunked).
    static func contentHead(_ number: DocumentNumber, token: String, framing: String) -> [UInt8] {
        Array(("PUT \(apiPath(number, "/content")) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "If-Match: \"v1\"\r\nContent-Type: application/octet-stream\r\n\(framing)\r\n\r\n").utf8)
    }

    @Test func aBodyDeclaredOverTheLimitGetsItsAnswerAndTheConnectionEnds() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let before = try f.snapshot()
        let head = Self.contentHead(f.docs.draft.number, token: f.tokens.anna, framing: "Content-Length: 10000000000")
        try await f.application(maxUploadBytes: Self.limit).test(.live) { client in
            let port = try #require(client.port)
            let (answer, closed, sentAfter) = try await onOwnThread {
                let connection = try LoopbackConnection(port: port, timeout: Self.timeout)
                connection.send(head + [UInt8](repeating: 7, count: 65_536))
                let (bytes, closed) = connection.receiveUntilClosed()
                // The client goes on sending: the server reads a bounded amount more, then closes.
                let piece = [UInt8](repeating: 7, count: 1 << 20)
                var sent = 0
                while sent < 256 << 20, connection.send(piece) { sent += piece.count }
                return (String(decoding: bytes, as: UTF8.self), closed, sent)
            }
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            #expect(answer.lowercased().contains("connection: close"))
            #expect(answer.contains("content-too-large"))
            #expect(closed, "the answer came, but the connection stayed open for the 10 GB declared")
            // 8 MiB read and dropped after the answer, plus what the two sockets' buffers hold.
            #expect(sentAfter < 64 << 20, "the server read \(sentAfter >> 20) MiB more of a refused body")
            let expected = ["idle": 0, "stalled": 0, "refused-body": 1]
            let endings = try await connectionEndings(client, settlingAt: expected)
            #expect(endings == expected, "\(endings)")
        }
        #expect(try f.snapshot() == before)
    }

    @Test func aChunkedBodyPastTheLimitGetsItsAnswerAndTheConnectionEnds() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let before = try f.snapshot()
        let head = Self.contentHead(f.docs.draft.number, token: f.tokens.anna, framing: "Transfer-Encoding: chunked")
        try await f.application(maxUploadBytes: Self.limit).test(.live) { client in
            let port = try #require(client.port)
            let (answer, closed) = try await onOwnThread {
                let connection = try LoopbackConnection(port: port, timeout: Self.timeout)
                connection.send(head)
                let chunk = Array(chunked(Data(repeating: 7, count: 16_384), piece: 16_384)[0])
                // Chunks until the answer comes (it must: the limit is passed after 7 of them).
                for _ in 0..<1_000 where !connection.answerArrives(within: 0) {
                    guard connection.send(chunk) else { break }
                }
                let (bytes, closed) = connection.receiveUntilClosed()
                return (String(decoding: bytes, as: UTF8.self), closed)
            }
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            #expect(answer.lowercased().contains("connection: close"))
            #expect(closed)
        }
        #expect(try f.snapshot() == before)
    }

    /// A client that neither sends nor closes after its answer is closed on after `RefusedBodyHandler.defaultLingerTime`.
    @Test func aClientThatStopsSendingIsLetGoAfterTheLingerTime() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let head = Self.contentHead(f.docs.draft.number, token: f.tokens.anna, framing: "Content-Length: 10000000000")
        let linger = Double(RefusedBodyHandler.defaultLingerTime.nanoseconds) / 1e9
        try await f.application(maxUploadBytes: Self.limit).test(.live) { client in
            let port = try #require(client.port)
            let (answer, closed, goneLater) = try await onOwnThread {
                let connection = try LoopbackConnection(port: port, timeout: Self.timeout)
                connection.send(head + [UInt8](repeating: 7, count: 1_000))
                let (bytes, closed) = connection.receiveUntilClosed()
                Thread.sleep(forTimeInterval: linger + 1.5)
                // After it, the server has closed: the first byte is answered with a reset, the next fails.
                var goneLater = false
                for _ in 0..<3 where !goneLater {
                    goneLater = !connection.send([7])
                    Thread.sleep(forTimeInterval: 0.1)
                }
                return (String(decoding: bytes, as: UTF8.self), closed, goneLater)
            }
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            #expect(closed)
            #expect(goneLater, "the connection was still open \(linger + 1.5) s after its answer")
            let expected = ["idle": 0, "stalled": 0, "refused-body": 1]
            let endings = try await connectionEndings(client, settlingAt: expected)
            #expect(endings == expected, "\(endings)")
        }
    }

    /// A refused body with little left (`RefusedBodyHandler.drainBytes`) is read to its end and the connection kept.
    @Test func aSmallRefusedBodyKeepsTheConnection() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let head = Self.contentHead(f.docs.draft.number, token: f.tokens.anna, framing: "Content-Length: 50000")
        let health = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        try await f.application(maxUploadBytes: 10_000).test(.live) { client in
            let port = try #require(client.port)
            let (answer, answeredEarly) = try await onOwnThread {
                let connection = try LoopbackConnection(port: port, timeout: Self.timeout)
                connection.send(head + [UInt8](repeating: 7, count: 1_000))
                let answeredEarly = connection.answerArrives(within: Self.timeout)
                connection.send([UInt8](repeating: 7, count: 49_000) + health)
                connection.finishSending()
                return (String(decoding: connection.receiveUntilClosed().bytes, as: UTF8.self), answeredEarly)
            }
            #expect(answeredEarly)
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            #expect(!answer.lowercased().contains("connection: close"))
            #expect(answer.contains("HTTP/1.1 200"), "no answer to the next request: \(answer.suffix(300))")
            let expected = ["idle": 0, "stalled": 0, "refused-body": 0]
            let endings = try await connectionEndings(client, settlingAt: expected)
            #expect(endings == expected, "\(endings)")
        }
    }

    /// A refusal after the whole request has arrived keeps the connection for the next request.
    @Test func anErrorAfterTheWholeBodyKeepsTheConnection() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let bad = "POST /api/v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(f.tokens.anna)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 1\r\n\r\n{"
        let health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        try await f.application(maxUploadBytes: Self.limit).test(.live) { client in
            let port = try #require(client.port)
            let answer = try await rawExchange(port: port, [Data(bad.utf8), Data(health.utf8)], timeout: Self.timeout)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(300))")
            #expect(!answer.lowercased().contains("connection: close"))
            #expect(answer.contains("HTTP/1.1 200"), "no answer to the second request: \(answer.suffix(300))")
        }
    }
}
