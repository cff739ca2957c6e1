import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Glibc
import Testing

/// A loopback inbox in Python (nothing of ours on the receiving side): answers each request by a script of
/// behaviours, and logs what it received (headers and the body's SHA-256) one JSON line per request.
private let inboxScript = #"""
import hashlib, http.server, json, socket, sys, time
script, log = sys.argv[1].split(","), sys.argv[2]
count = [0]
class Inbox(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        step = script[min(count[0], len(script) - 1)]; count[0] += 1
        length = int(self.headers.get("Content-Length", "0"))
        if step == "stall":                     # stops reading mid-upload and keeps the connection open
            self.rfile.read(1000)
            with open(log, "a") as f: f.write(json.dumps({"step": step}) + "\n")
            time.sleep(30); self.close_connection = True; return
        if step == "drop":                      # the connection dies mid-upload
            self.rfile.read(min(length, 1000))
            self.connection.shutdown(socket.SHUT_RDWR); self.connection.close(); self.close_connection = True
            with open(log, "a") as f: f.write(json.dumps({"step": step}) + "\n")
        else:
            body = self.rfile.read(length)
            entry = {"step": step, "envelope": self.headers.get("Diarium-Envelope"), "auth": self.headers.get("Authorization"),
                     "path": self.path, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
            # Logged before answering: the test reads the log as soon as it has the answer.
            with open(log, "a") as f: f.write(json.dumps(entry) + "\n")
            if step == "redirect":              # elsewhere, on another host name
                self.send_response(307); self.send_header("Location", "http://localhost:%d/elsewhere" % self.server.server_address[1])
                self.send_header("Content-Length", "0"); self.end_headers(); return
            if step in ("huge", "streamed"):      # far more than any receipt; "streamed" says no length, then closes
                self.send_response(200); self.send_header("Content-Type", "application/xml")
                if step == "huge": self.send_header("Content-Length", str(4 << 20))
                else: self.send_header("Connection", "close"); self.close_connection = True
                self.end_headers()
                try:
                    for _ in range(64): self.wfile.write(b"<" * (64 << 10))
                except OSError: pass
                return
            if step == "slow":                  # takes its time over what it got, then answers
                time.sleep(8)
                self.send_response(200); self.send_header("Content-Length", "10"); self.end_headers(); self.wfile.write(b"<receipt/>")
                return
            if step == "trickle":               # an answer that never ends, a byte at a time: never silent for long
                self.send_response(200); self.send_header("Content-Length", "100000"); self.end_headers()
                try:
                    for _ in range(300): self.wfile.write(b"<"); self.wfile.flush(); time.sleep(0.1)
                except OSError: pass
                return
            status, answer = (200, b"<receipt/>") if step == "ok" else (int(step), b"try later")
            self.send_response(status); self.send_header("Content-Length", str(len(answer)))
            self.send_header("Content-Type", "application/xml"); self.end_headers(); self.wfile.write(answer)
    def handle_expect_100(self):                # "early401": refuses on the headers, before a byte of the body
        if script[min(count[0], len(script) - 1)] != "early401": return super().handle_expect_100()
        count[0] += 1
        with open(log, "a") as f: f.write(json.dumps({"step": "early401", "auth": self.headers.get("Authorization")}) + "\n")
        self.send_response(401); self.send_header("WWW-Authenticate", "Bearer"); self.send_header("Content-Length", "0")
        self.send_header("Connection", "close"); self.end_headers(); self.close_connection = True
        return False
    def log_message(self, *args): pass
server = http.server.HTTPServer(("127.0.0.1", 0), Inbox)
if len(sys.argv) > 3:                           # "cert.pem,key.pem": over TLS
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); context.load_cert_chain(*sys.argv[3].split(","))
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

private final class Inbox {
    let process = Process()
    let port: Int
    let log: String

    /// `tls`: the PEM files of its certificate and key, to answer over TLS.
    init(_ steps: [String], dir: TempDirectory, tls: (certificate: String, key: String)? = nil) throws {
        log = dir.file("inbox.log")
        let script = try dir.write("inbox.py", inboxScript)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, steps.joined(separator: ","), log] + (tls.map { ["\($0.certificate),\($0.key)"] } ?? [])
        let process = self.process
        let out = try Spawning.serially {
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            return out
        }
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
    }

    var entries: [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// SIGKILL: the test runner's threads block SIGTERM, and a child inherits that mask, so `terminate()` would not
    /// end it and `waitUntilExit()` would wait forever.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

private final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [TimeInterval] = []
    func add(_ value: TimeInterval) { lock.lock(); values.append(value); lock.unlock() }
    var all: [TimeInterval] { lock.lock(); defer { lock.unlock() }; return values }
}

@Suite(.serialized) struct ExchangeTransportTests {
    let token = "transport-token-0123456789"

    func delivery(_ port: Int, _ dir: TempDirectory) throws -> OutboundDelivery {
        let package = try dir.write("package.zip", testBytes(count: 2_000_000, seed: 3))
        return try OutboundDelivery(partyURL: "http://127.0.0.1:\(port)", token: token, envelope: Array("<ex:interchange/>".utf8),
                                    packagePath: package)
    }

    /// Deliveries verify TLS: an inbox whose certificate no trusted CA issued (here self-signed, though valid for
    /// its address) is refused in the handshake, before the token or a byte of the package goes, and not retried.
    @Test func anInboxWithAnUntrustedCertificateIsRefusedOnceAndGetsNothing() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let certificate = dir.file("inbox.crt"), key = dir.file("inbox.key")
        _ = try runTool("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                                             "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        let inbox = try Inbox(["ok"], dir: dir, tls: (certificate, key))
        defer { inbox.stop() }
        let package = try dir.write("package.zip", testBytes(count: 100_000, seed: 5))
        let outbound = try OutboundDelivery(partyURL: "https://127.0.0.1:\(inbox.port)", token: token,
                                            envelope: Array("<ex:interchange/>".utf8), packagePath: package)
        let sender = InterchangeSender(policy: RetryPolicy(maxAttempts: 4, initialDelay: 0.1, multiplier: 1, maxDelay: 1), pause: { _ in })
        var attempts = 0
        let result = await sender.deliver(outbound) { attempt, _ in attempts = attempt }
        guard case .failure(let failure) = result else {
            Issue.record("delivered to an inbox with a self-signed certificate")
            return
        }
        #expect(!failure.retryable && attempts == 1, "\(failure.message)")
        #expect(failure.message.contains("is not trusted") && failure.message.contains("127.0.0.1"), "\(failure.message)")
        #expect(!failure.message.contains(token))
        #expect(inbox.entries.isEmpty, "the inbox received a request")
    }

    @Test func retriesADroppedConnectionAndAnOverloadedInboxWithTheSameBytes() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox(["drop", "503", "ok"], dir: dir)
        defer { inbox.stop() }
        let pauses = Recorder()
        let sender = InterchangeSender(policy: RetryPolicy(maxAttempts: 5, initialDelay: 0.5, multiplier: 2, maxDelay: 10),
                                       pause: { pauses.add($0) })
        let outbound = try delivery(inbox.port, dir)
        var outcomes: [String] = []
        let result = await sender.deliver(outbound) { attempt, result in
            switch result {
            case .success: outcomes.append("\(attempt) ok")
            case .failure(let failure): outcomes.append("\(attempt) \(failure.httpStatus.map(String.init) ?? "io") \(failure.retryable)")
            }
        }
        #expect(try result.get() == Array("<receipt/>".utf8))
        #expect(outcomes == ["1 io true", "2 503 true", "3 ok"])
        #expect(pauses.all == [0.5, 1.0])
        let entries = inbox.entries
        #expect(entries.map { $0["step"] as? String } == ["drop", "503", "ok"])
        let complete = entries.dropFirst()
        let header = OutboundDelivery.encodeEnvelope(outbound.envelope)
        #expect(complete.allSatisfy { $0["envelope"] as? String == header })
        #expect(complete.allSatisfy { $0["auth"] as? String == "Bearer \(token)" })
        #expect(complete.allSatisfy { $0["path"] as? String == "/api/v1/exchange/inbox" })
        #expect(complete.allSatisfy { $0["sha256"] as? String == (try? sha256Hex(ofFile: outbound.packagePath)) })
        #expect(OutboundDelivery.decodeEnvelope(header) == outbound.envelope)
    }

    /// A redirect is not followed: a client following it would send the bearer token to the other host (and, for a
    /// 302, drop the package on the way). The delivery fails, not to be retried, naming the redirect.
    @Test func aRedirectIsNotFollowedWithTheToken() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox(["redirect", "ok"], dir: dir)
        defer { inbox.stop() }
        let sender = InterchangeSender(policy: RetryPolicy(maxAttempts: 3, initialDelay: 0.01), pause: { _ in })
        let result = await sender.deliver(try delivery(inbox.port, dir))
        guard case .failure(let failure) = result else { Issue.record("delivered through a redirect"); return }
        #expect(failure.httpStatus == 307 && !failure.retryable)
        #expect(failure.message.contains("redirect to http://localhost:\(inbox.port)/elsewhere"), "\(failure.message)")
        #expect(!failure.message.contains(token))
        #expect(inbox.entries.map { $0["path"] as? String } == ["/api/v1/exchange/inbox"], "\(inbox.entries)")
    }

    /// An answer is read only up to the transport's limit, with or without a declared length: an inbox that answers
    /// without end cannot fill the sender's memory. Such an answer is no receipt, and resending will not change it.
    @Test(arguments: ["huge", "streamed"]) func anAnswerLargerThanTheLimitFailsTheDelivery(step: String) async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox([step, "ok"], dir: dir)
        defer { inbox.stop() }
        let sender = InterchangeSender(transport: HTTPTransport(timeout: 30, answerLimit: 100_000),
                                       policy: RetryPolicy(maxAttempts: 3, initialDelay: 0.01), pause: { _ in })
        let result = await sender.deliver(try delivery(inbox.port, dir))
        guard case .failure(let failure) = result else { Issue.record("an endless answer was taken as a receipt"); return }
        #expect(!failure.retryable)
        #expect(failure.message == "the inbox at 127.0.0.1 answered with more than 100000 bytes: not a receipt", "\(failure.message)")
        #expect(inbox.entries.count == 1)
        // Under the limit, the same transport takes a receipt.
        let next = await sender.deliver(try delivery(inbox.port, dir))
        #expect(try next.get() == Array("<receipt/>".utf8))
    }

    /// An inbox that keeps the connection busy without ever finishing its answer: the idle timeout never fires, the
    /// attempt's deadline does, and the delivery fails as one worth trying again.
    @Test func anAnswerThatNeverEndsFailsAtTheDeadline() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox(["trickle"], dir: dir)
        defer { inbox.stop() }
        let sender = InterchangeSender(transport: HTTPTransport(timeout: 10, deadline: 3), policy: RetryPolicy(maxAttempts: 1))
        let started = ContinuousClock.now
        let result = await sender.deliver(try delivery(inbox.port, dir))
        let took = ContinuousClock.now - started
        guard case .failure(let failure) = result else { Issue.record("a never-ending answer was taken as a receipt"); return }
        #expect(failure.retryable && failure.message.contains("within 3 s"), "\(failure.message)")
        #expect(took < .seconds(25), "the deadline ended the attempt, not the inbox (\(took))")
    }

    /// An inbox that stops reading part-way through the package and keeps the connection open: nothing moves, and the
    /// idle timeout ends the attempt long before the deadline, as one worth trying again. (The package is larger
    /// than what loopback's socket buffers hold, so the sender does stall.)
    @Test func anInboxThatStopsReadingFailsAtTheIdleTimeout() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox(["stall"], dir: dir)
        defer { inbox.stop() }
        let package = try dir.write("large.zip", testBytes(count: 48 << 20, seed: 5))
        let large = try OutboundDelivery(partyURL: "http://127.0.0.1:\(inbox.port)", token: token, envelope: Array("<ex:interchange/>".utf8),
                                         packagePath: package)
        let sender = InterchangeSender(transport: HTTPTransport(timeout: 2, deadline: 600), policy: RetryPolicy(maxAttempts: 1))
        let started = ContinuousClock.now
        let result = await sender.deliver(large)
        let took = ContinuousClock.now - started
        guard case .failure(let failure) = result else { Issue.record("a stalled upload was taken as delivered"); return }
        #expect(failure.retryable && failure.httpStatus == nil, "\(failure.message)")
        #expect(failure.message == "cannot reach 127.0.0.1: nothing moved on the connection for 2 s", "\(failure.message)")
        #expect(took < .seconds(25), "the idle timeout ended the attempt, not the inbox (\(took))")
        #expect(inbox.entries.map { $0["step"] as? String } == ["stall"])
    }

    /// Cancelling the task that delivers (a request given up, a shutdown) stops the transfer within a second or so,
    /// not at the deadline.
    @Test func aCancelledDeliveryStopsItsTransfer() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox(["trickle"], dir: dir)
        defer { inbox.stop() }
        let sender = InterchangeSender(transport: HTTPTransport(timeout: 30, deadline: 600), policy: RetryPolicy(maxAttempts: 1))
        let outbound = try delivery(inbox.port, dir)
        let task = Task { await sender.deliver(outbound) }
        try await Task.sleep(for: .seconds(1))
        let cancelled = ContinuousClock.now
        task.cancel()
        let result = await task.value
        let took = ContinuousClock.now - cancelled
        guard case .failure(let failure) = result else { Issue.record("a cancelled delivery was taken as delivered"); return }
        #expect(failure.message == "the delivery to 127.0.0.1 was cancelled", "\(failure.message)")
        #expect(took < .seconds(10), "stopped by the cancellation, not by the inbox (\(took))")
    }

    /// An inbox that takes longer than the idle timeout over a package it has read is at work, not gone: the attempt
    /// waits for its answer (only the deadline bounds that).
    @Test func anInboxAtWorkIsWaitedFor() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox(["slow"], dir: dir)
        defer { inbox.stop() }
        let sender = InterchangeSender(transport: HTTPTransport(timeout: 3, deadline: 60), policy: RetryPolicy(maxAttempts: 1))
        let result = await sender.deliver(try delivery(inbox.port, dir))
        #expect(try result.get() == Array("<receipt/>".utf8))
    }

    /// An inbox that refuses on the request's headers (`Expect: 100-continue`) is heard before the package is sent,
    /// and a refusal is not retried.
    @Test func aRefusalBeforeTheBodyIsHeard() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox(["early401", "ok"], dir: dir)
        defer { inbox.stop() }
        let sender = InterchangeSender(transport: HTTPTransport(timeout: 10, deadline: 60), policy: RetryPolicy(maxAttempts: 3, initialDelay: 0.01),
                                       pause: { _ in })
        let result = await sender.deliver(try delivery(inbox.port, dir))
        guard case .failure(let failure) = result else { Issue.record("delivered past a refusal"); return }
        #expect(failure.httpStatus == 401 && !failure.retryable, "\(failure.message)")
        #expect(inbox.entries.map { $0["step"] as? String } == ["early401"], "asked once, never retried: \(inbox.entries)")
        #expect(inbox.entries.first?["auth"] as? String == "Bearer \(token)")
    }

    @Test func aReceiverThatIsDownIsTriedUntilTheAttemptsRunOut() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let nobody = try ClosedPort()
        let port = nobody.port
        let pauses = Recorder()
        let sender = InterchangeSender(policy: RetryPolicy(maxAttempts: 4, initialDelay: 1, multiplier: 3, maxDelay: 5), pause: { pauses.add($0) })
        let result = await sender.deliver(try delivery(port, dir))
        guard case .failure(let failure) = result else { Issue.record("delivered to nobody"); return }
        #expect(failure.retryable && failure.httpStatus == nil)
        #expect(failure.message.contains("127.0.0.1"))
        #expect(!failure.message.contains(token))
        #expect(pauses.all == [1, 3, 5])
        withExtendedLifetime(nobody) {}
    }

    /// A 400 whose problem says the bytes were damaged on the way is worth another attempt; other 400s are not.
    @Test func damagedInTransitIsRetriedOtherRefusalsAreNot() {
        let damaged = Array(#"{"code":"damaged-in-transit","status":400,"field":"/interchange/payload/@sha256"}"#.utf8)
        #expect(TransportFailure.forStatus(400, body: damaged).retryable)
        #expect(!TransportFailure.forStatus(400, body: Array(#"{"code":"invalid-field","status":400}"#.utf8)).retryable)
        #expect(!TransportFailure.forStatus(400, body: Array("damaged-in-transit".utf8)).retryable, "only as the problem's code")
        #expect(!TransportFailure.forStatus(413, body: damaged).retryable)
        #expect(TransportFailure.forStatus(503, body: []).retryable)
    }

    /// What `exchange list` shows of a refusal: a problem's detail and field (not its JSON cut off mid-way), else the
    /// body's start on one line.
    @Test func aRefusalIsToldByItsProblemsDetail() {
        let problem = Array(#"{"type":"https://diarium.se/problems/invalid-state","code":"invalid-state","status":409,"title":"Not allowed","#.utf8)
            + Array(#""detail":"no receiving series is set up here for party sundsvall-ks,\nso nothing was registered","field":"/interchange/sender"}"#.utf8)
        #expect(TransportFailure.forStatus(409, body: problem).message
                == "the inbox answered HTTP 409: no receiving series is set up here for party sundsvall-ks, so nothing was registered (/interchange/sender)")
        #expect(TransportFailure.forStatus(502, body: Array("<html>\n<h1>Bad gateway</h1>".utf8)).message
                == "the inbox answered HTTP 502: <html> <h1>Bad gateway</h1>")
    }

    @Test func refusalsAreNotRetried() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inbox = try Inbox(["401"], dir: dir)
        defer { inbox.stop() }
        let pauses = Recorder()
        let result = await InterchangeSender(pause: { pauses.add($0) }).deliver(try delivery(inbox.port, dir))
        guard case .failure(let failure) = result else { Issue.record("a 401 was taken as a receipt"); return }
        #expect(failure.httpStatus == 401 && !failure.retryable)
        #expect(failure.message == "the inbox answered HTTP 401: try later")
        #expect(pauses.all.isEmpty)
        #expect(inbox.entries.count == 1)
    }

    @Test func backoffGrowsAndIsCapped() {
        let policy = RetryPolicy(maxAttempts: 10, initialDelay: 0.5, multiplier: 2, maxDelay: 4)
        #expect((1...6).map(policy.delay(after:)) == [0.5, 1, 2, 4, 4, 4])
    }
}
