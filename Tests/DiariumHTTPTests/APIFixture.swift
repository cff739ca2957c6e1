import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import DiariumHTTP

/// The public fixture's store, plus one user of each kind and their tokens:
/// anna (clerk, KS), bo (clerk, BUN), arkiv (archivist), root (admin, no department).
struct APIFixture {
    struct Tokens: Sendable {
        let anna: String
        let bo: String
        let arkiv: String
        let root: String
        let revoked: String
        let disabled: String
    }

    let base: PublicFixture
    let tokens: Tokens
    var service: RecordsService { base.service }
    var docs: PublicFixture.Documents { base.docs }
    var dir: TempDirectory { base.dir }

    init() throws {
        base = try PublicFixture()
        let s = base.service
        func department(_ code: String) throws -> Department { try Department(parsing: code) }
        _ = try s.addUser(name: "anna", role: .clerk, departments: [try department("KS")], actor: "admin")
        _ = try s.addUser(name: "bo", role: .clerk, departments: [try department("BUN")], actor: "admin")
        _ = try s.addUser(name: "arkiv", role: .archivist, departments: [], actor: "admin")
        _ = try s.addUser(name: "root", role: .admin, departments: [], actor: "admin")
        _ = try s.addUser(name: "gone", role: .clerk, departments: [try department("KS")], actor: "admin")
        let revoked = try s.createToken(user: "anna", label: "old", actor: "admin")
        _ = try s.revokeToken(id: revoked.info.id, actor: "admin")
        let disabled = try s.createToken(user: "gone", label: nil, actor: "admin")
        _ = try s.updateUser(name: "gone", role: nil, departments: nil, enabled: false, actor: "admin")
        tokens = Tokens(anna: try s.createToken(user: "anna", label: nil, actor: "admin").token,
                        bo: try s.createToken(user: "bo", label: nil, actor: "admin").token,
                        arkiv: try s.createToken(user: "arkiv", label: nil, actor: "admin").token,
                        root: try s.createToken(user: "root", label: nil, actor: "admin").token,
                        revoked: revoked.token, disabled: disabled.token)
    }

    func application(maxUploadBytes: Int64 = 1 << 20, idleTimeout: Duration = .seconds(60), clock: any DiariumCore.Clock = SystemClock(),
                     redeliveryInterval: Duration? = .seconds(30), log: CapturedLog? = nil) throws -> some ApplicationProtocol {
        var logger = log.map { log in Logger(label: "diarium.http.test") { _ in CapturingLogHandler(log: log) } } ?? Logger(label: "diarium.http.test")
        logger.logLevel = log == nil ? .error : .info
        return try buildApplication(store: service.store.shared,
                                    settings: ServerSettings(host: "127.0.0.1", port: 0, api: APISettings(maxUploadBytes: maxUploadBytes),
                                                             idleTimeout: idleTimeout, redeliveryInterval: redeliveryInterval),
                                    clock: clock, logger: logger)
    }

    /// The number of document versions and audit events: a refused request must leave both unchanged.
    func snapshot() throws -> [Int] {
        let counts = try service.counts()
        return [counts.cases, counts.documents, counts.versions, counts.blobs, counts.auditEvents]
    }
}

/// `diarium_http_connections_ended_total` from `/metrics`, by reason, once it reads `expected` (or after 20 s), and
/// again a moment later, so that a close counted twice shows: the server counts a connection's ending when it
/// closes it, a moment after the client sees the close.
func connectionEndings(_ client: some TestClientProtocol, settlingAt expected: [String: Int]) async throws -> [String: Int] {
    let port = try #require(client.port)
    for _ in 0..<400 {
        guard try await connectionEndings(port: port) != expected else {
            try await Task.sleep(for: .milliseconds(300))
            return try await connectionEndings(port: port)
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await connectionEndings(port: port)
}

/// One reading, on a connection of its own: the test client's may have been closed for idleness meanwhile.
private func connectionEndings(port: Int) async throws -> [String: Int] {
    let request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    let text = try await rawExchange(port: port, [Data(request.utf8)], timeout: 60)
    var endings: [String: Int] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("diarium_http_connections_ended_total{reason=\"") {
        let reason = line.dropFirst("diarium_http_connections_ended_total{reason=\"".count).prefix { $0 != "\"" }
        endings[String(reason)] = line.split(separator: " ").last.flatMap { Int($0) }
    }
    return endings
}

func bearer(_ token: String, _ extra: HTTPFields = [:]) -> HTTPFields {
    var fields = extra
    fields[.authorization] = "Bearer \(token)"
    return fields
}

/// `/api/v1/documents/KS%202026%2F1-3` + suffix.
func apiPath(_ number: DocumentNumber, _ suffix: String = "") -> String {
    documentPath(number, suffix).replacingOccurrences(of: "/public/v1/", with: "/api/v1/")
}

func casePath(_ number: CaseNumber, _ suffix: String = "") -> String {
    let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
    return "/api/v1/cases/" + number.description.addingPercentEncoding(withAllowedCharacters: allowed)! + suffix
}

/// A multipart/form-data body with a metadata part (JSON text) and, optionally, a file part.
func multipart(metadata: String?, file: (name: String, type: String, bytes: Data)?, boundary: String = "XyZ-boundary-42") -> (body: ByteBuffer, contentType: String) {
    var data = Data()
    if let metadata {
        data += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"meta.json\"\r\nContent-Type: application/json\r\n\r\n".utf8)
        data += Data(metadata.utf8) + Data("\r\n".utf8)
    }
    if let file {
        data += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: \(file.type)\r\n\r\n".utf8)
        data += file.bytes + Data("\r\n".utf8)
    }
    data += Data("--\(boundary)--\r\n".utf8)
    return (ByteBuffer(bytes: data), "multipart/form-data; boundary=\(boundary)")
}

/// Sends raw bytes over a real socket (see `loopbackExchange`), off the test's task.
func rawExchange(port: Int, _ chunks: [Data], timeout: Int = 10, awaitingAnswerBefore awaited: Int? = nil) async throws -> String {
    let parts = chunks.map { [UInt8]($0) }
    return try await onOwnThread { try loopbackExchange(port: port, parts, timeout: timeout, awaitingAnswerBefore: awaited) }
}

/// A chunked-transfer encoding of `body` in pieces of `piece` bytes.
func chunked(_ body: Data, piece: Int) -> [Data] {
    var chunks: [Data] = []
    var offset = 0
    while offset < body.count {
        let part = body[offset..<min(body.count, offset + piece)]
        chunks.append(Data(String(part.count, radix: 16).utf8) + Data("\r\n".utf8) + part + Data("\r\n".utf8))
        offset += piece
    }
    chunks.append(Data("0\r\n\r\n".utf8))
    return chunks
}

/// What a server logged, as lines of the message and its metadata: for what an operator must be told.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        let all = self.metadata.merging(metadata ?? [:]) { $1 }
        log.append("\(level) \(message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}
