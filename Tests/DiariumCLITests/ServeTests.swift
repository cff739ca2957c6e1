#if canImport(Glibc)
import Glibc
#endif
import DiariumTesting
import Foundation
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

        // The port is in the "listening on 127.0.0.1:PORT" line.
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
        let missing = try httpGet(port: serverPort, path: "/public/v1/documents/KS%202026%2F1-1?token=secret")
        #expect(missing.hasPrefix("HTTP/1.1 404"))
        #expect(missing.contains("application/problem+json"))

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        log += String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let access = log.split(separator: "\n").filter { $0.contains("http.route=") }
        #expect(access.count == 2, "one access line per request: \(log)")
        #expect(access.first?.contains("http.status=200") == true)
        #expect(access.last?.contains("http.route=/public/v1/documents/{number}") == true)
        #expect(!log.contains("token=secret"), "query strings are never logged")
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
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        try #require(write(fd, request, request.count) == request.count)
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
