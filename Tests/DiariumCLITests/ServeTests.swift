#if canImport(Glibc)
import Glibc
#endif
import DiariumTesting
import Foundation
import Synchronization
import Testing

/// `diarium serve` as a user runs it: a real socket, one log line per request, and a graceful stop on SIGTERM.
@Suite struct ServeTests {
    @Test func servesUntilSIGTERMThenExitsCleanly() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        let stdout = Pipe(), stderr = Pipe()
        let process = try cli.start(["serve", "--port", "0"], stdout: stdout, stderr: stderr.fileHandleForWriting)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Only the server holds the write end now, so reading ends when it exits.
        try stderr.fileHandleForWriting.close()

        // The port is in the "listening on 127.0.0.1:PORT" line; the build and the store come once it listens.
        var log = ""
        var port: Int?
        let deadline = Date().addingTimeInterval(30)
        while port == nil, Date() < deadline {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: "listening on 127.0.0.1:") {
                port = Int(log[range.upperBound...].prefix { $0.isNumber })
            }
        }
        let serverPort = try #require(port, "no listening line in: \(log)")

        let health = try httpGet(port: serverPort, path: "/health")
        #expect(health.hasPrefix("HTTP/1.1 200"))
        #expect(health.hasSuffix("{\"status\":\"ok\"}"))
        // A parameter the route does not take is refused (by name: its value is neither echoed nor logged).
        let refused = try httpGet(port: serverPort, path: "/public/v1/documents/KS%202026%2F1-1?token=secret")
        #expect(refused.hasPrefix("HTTP/1.1 400"))
        #expect(refused.contains("application/problem+json") && !refused.contains("secret"))
        // A token put where an id goes is cut to its prefix in the log, as `token list` shows it.
        let pasted = "dia_" + String(repeating: "Q", count: 43)
        _ = try httpGet(port: serverPort, path: "/api/v1/tokens/\(pasted)")

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        log += String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("serving") && log.contains("build=Diarium 0.1.0") && log.contains("store="), "\(log)")
        let access = log.split(separator: "\n").filter { $0.contains("http.route=") }
        #expect(access.count == 3, "one access line per request: \(log)")
        #expect(access.first?.contains("http.status=200") == true)
        #expect(access[1].contains("http.route=/public/v1/documents/{number}"))
        #expect(!log.contains("token=secret"), "query strings are never logged")
        #expect(!log.contains(pasted) && access[2].contains("/api/v1/tokens/dia_QQQQQQ…"), "\(access[2])")
    }

    /// The CLI and the server write to one store at once (no "database is locked"), and SIGTERM during an upload
    /// lets that upload finish and be registered before the server exits.
    @Test func cliAndServerShareTheStoreAndShutdownFinishesUploads() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let caseNumber = try cli.ok(["case", "open", "--series", "KS", "--title", "Samtidigt"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try cli.ok(["user", "add", "anna", "--role", "clerk", "--department", "KS"])
        let token = try cli.ok(["token", "create", "anna"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let (process, port, stderr) = try startServer(cli)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let metadata = "{\"case\":\"\(caseNumber)\",\"title\":\"Via HTTP\",\"recordType\":\"letter\"}"
        @Sendable func upload(_ i: Int) throws -> String {
            let body = "--b\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n\(metadata)\r\n--b\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"http-\(i).txt\"\r\nContent-Type: text/plain\r\n\r\nHTTP nummer \(i)\r\n--b--\r\n"
            let head = "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
                + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            return try exchange(port: port, [Array((head + body).utf8)])
        }
        let files = try (0..<10).map { try cli.scratch.write("cli-\($0).txt", "CLI nummer \($0)\n") }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            do {
                if i < 10 {
                    let answer = try upload(i)
                    if !answer.hasPrefix("HTTP/1.1 201") { failures.withLock { $0.append(String(answer.prefix(300))) } }
                } else {
                    let result = try cli.run(["register", files[i - 10], "--case", caseNumber, "--type", "letter"])
                    if result.status != 0 { failures.withLock { $0.append(result.stderr) } }
                }
            } catch { failures.withLock { $0.append("\(error)") } }
        }
        #expect(failures.withLock { $0 } == [])

        // SIGTERM while an upload is half sent: it completes, then the server exits 0.
        let body = "--b\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n\(metadata)\r\n--b\r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename=\"sist.txt\"\r\n\r\nSista filen\r\n--b--\r\n"
        let head = "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
            + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        let bytes = Array((head + body).utf8)
        let answer = try exchange(port: port, [Array(bytes[0..<(head.utf8.count + 40)]), Array(bytes[(head.utf8.count + 40)...])]) {
            usleep(300_000)   // the server has read the head: the request is in progress
            kill(process.processIdentifier, SIGTERM)
            usleep(300_000)
        }
        #expect(answer.hasPrefix("HTTP/1.1 201"), "\(answer.prefix(300))")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!log.contains("locked"))
        #expect(!log.contains(token))
        let shown = try #require(try cli.json(["case", "show", caseNumber, "--json"]) as? [String: Any])
        #expect((shown["documents"] as? [Any])?.count == 21)
        #expect(try cli.ok(["verify"]).contains("OK"))
    }

    /// SIGTERM while an export job writes its package: the server stops and removes its scratch area with the
    /// half-written package, instead of leaving it (gigabytes) in the store's tmp/ until the next open.
    @Test func shutdownDuringAnExportLeavesNoScratchFiles() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let caseNumber = try cli.ok(["case", "open", "--series", "KS", "--title", "Stort"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let big = cli.scratch.file("stor.bin")
        try writeRandomFile(big, count: 160 << 20)
        try cli.ok(["register", big, "--case", caseNumber, "--type", "report"])
        try cli.ok(["user", "add", "arkiv", "--role", "archivist"])
        let token = try cli.ok(["token", "create", "arkiv"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let (process, port, _) = try startServer(cli)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let body = "{\"case\":\"\(caseNumber)\",\"format\":\"eark-zip\"}"
        let head = "POST /api/v1/exports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        let answer = try exchange(port: port, [Array((head + body).utf8)])
        #expect(answer.hasPrefix("HTTP/1.1 202"), "\(answer.prefix(300))")
        // Wait until the package is being written (in the server's area under tmp/), then stop the server.
        let writing = waitForOpenFile(of: process.processIdentifier) { $0.hasPrefix(cli.store + "/tmp/") && !$0.hasSuffix("/.lock") }
        #expect(writing, "the export must still be writing for this test to mean anything")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let left = (FileManager.default.subpaths(atPath: cli.store + "/tmp") ?? []).sorted()
        #expect(left == [], "left in tmp/: \(left)")
    }

    func startServer(_ cli: CLIRunner, _ options: [String] = []) throws -> (Process, Int, Pipe) {
        let stdout = Pipe(), stderr = Pipe()
        let process = try cli.start(["serve", "--port", "0"] + options, stdout: stdout, stderr: stderr.fileHandleForWriting)
        try stderr.fileHandleForWriting.close()
        var log = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: "listening on 127.0.0.1:"), let port = Int(log[range.upperBound...].prefix { $0.isNumber }) {
                return (process, port, stderr)
            }
        }
        kill(process.processIdentifier, SIGKILL)
        throw CLIFailureText(text: "no listening line in: \(log)")
    }

    struct CLIFailureText: Error { let text: String }

    /// Sends `parts` over one connection (calling `between` after the first) and reads the answer to the end.
    func exchange(port: Int, _ parts: [[UInt8]], between: @escaping () -> Void = {}) throws -> String {
        try loopbackExchange(port: port, parts) { _ in between() }
    }

    /// A client that stalls part-way through an upload does not hold a stopping server for its idle timeout (60 s):
    /// past --stop-timeout its connection is closed and the server exits, having said in the log that it stops.
    @Test func aStalledClientDoesNotHoldTheStop() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        try cli.ok(["user", "add", "anna", "--role", "clerk", "--department", "KS"])
        let token = try cli.ok(["token", "create", "anna"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let (process, port, stderr) = try startServer(cli, ["--stop-timeout", "1"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let stalled = try LoopbackConnection(port: port)
        stalled.send(Array(("POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nabc").utf8))
        // Under way once its file is being written (in the store's tmp/), not merely sent.
        func uploading() -> Bool {
            let files = FileManager.default.enumerator(atPath: cli.store + "/tmp")?.allObjects as? [String] ?? []
            return files.contains { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: cli.store + "/tmp/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while !uploading() && Date() < deadline { usleep(10_000) }
        #expect(uploading(), "the upload must be under way for this test to mean anything")
        let stop = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let took = Date().timeIntervalSince(stop)
        #expect(process.terminationReason == .exit && took < 30, "stopped after \(took) s")
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("stopping: requests in progress may finish") && log.contains("within=1 s"), "\(log)")
        // Cut off, the request is never logged as the server's failure (when it is answered at all, as its stop).
        #expect(!log.contains("request failed") && !log.contains(token), "\(log)")
        if log.contains("http.route=/api/v1/documents") { #expect(log.contains("http.status=503"), "\(log)") }
        withExtendedLifetime(stalled) {}
    }

    /// A port already taken is a failure of the environment (exit 7) said in one line, not ArgumentParser's exit 1
    /// (an integrity problem) with NIO's error text.
    @Test func aPortInUseIsSaidPlainly() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        let (process, port, _) = try startServer(cli)
        defer { kill(process.processIdentifier, SIGKILL) }
        let second = try cli.run(["serve", "--port", String(port)])
        #expect(second.status == 7, "\(second.stderr)")
        #expect(second.stderr == "diarium: error: cannot listen on 127.0.0.1 port \(port): Address already in use\n", "\(second.stderr)")
    }

    @Test func refusesADirectoryThatIsNotAStore() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let result = try cli.run(["serve", "--port", "0"])
        #expect(result.status == 5)
        #expect(result.stderr.contains("no Diarium store"))
    }

    /// A minimal HTTP/1.1 GET over a plain socket; returns the whole response, head and body.
    func httpGet(port: Int, path: String) throws -> String {
        try loopbackExchange(port: port, [Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)])
    }
}
