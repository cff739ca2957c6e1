#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Raw HTTP over a loopback socket, for what HTTP clients will not send: chunked or cut-off bodies, a request
/// split around a signal. Sends `parts` in order (calling `between(i)` before part i > 0), stops sending if the
/// server has closed, then reads the answer until the server closes or `timeout` passes.
///
/// `awaitingAnswerBefore: k` waits (up to `timeout`) for an answer before sending part k, and sends nothing more once
/// one has come: for a server that answers early, mid-body. Sending on would make the closed connection reset, and a
/// reset throws away the answer not yet read.
public func loopbackExchange(port: Int, _ parts: [[UInt8]], timeout: Int = 10, awaitingAnswerBefore awaited: Int? = nil,
                             between: (Int) -> Void = { _ in }) throws -> String {
    let connection = try LoopbackConnection(port: port, timeout: timeout)
    for (i, part) in parts.enumerated() {
        if i > 0 { between(i) }
        if i == awaited, connection.answerArrives(within: timeout) { break }
        // The server may answer (413) and close before everything is sent: stop writing then.
        guard connection.send(part) else { break }
    }
    connection.finishSending()
    return String(decoding: connection.receiveUntilClosed().bytes, as: UTF8.self)
}

/// One client connection over loopback, driven step by step: for what a server must do while a client is still
/// sending, or after it has stopped without closing.
public final class LoopbackConnection {
    private let fd: Int32

    /// Connects; each receive waits at most `timeout` seconds, each send `sendTimeout` (default: `timeout`).
    public init(port: Int, timeout: Int = 10, sendTimeout: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackError(message: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw LoopbackError(message: "connect to port \(port): \(String(cString: strerror(errno)))")
        }
        var receiving = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receiving, socklen_t(MemoryLayout<timeval>.size))
        var sending = timeval(tv_sec: sendTimeout ?? timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sending, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends all of `bytes`; false once the server has closed (or stopped reading for longer than the timeout).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// Whether anything from the server arrives within `seconds`.
    public func answerArrives(within seconds: Int) -> Bool {
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&ready, 1, Int32(seconds * 1000)) > 0
    }

    /// What has arrived by now (one read; waits up to the timeout if nothing has): an interim answer such as
    /// `100 Continue`, before the client goes on.
    public func receiveAvailable() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Ends this side's output (the server reads end of input); the server's output stays readable.
    public func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads until the server closes its output or the timeout passes: what came, and whether it was the close.
    public func receiveUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return (response, true) }
            if n < 0 { return (response, false) }
            response += buffer[0..<n]
        }
    }
}

public struct LoopbackError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Runs blocking work (socket calls) on a thread of its own: on the cooperative pool it would hold one of its few
/// threads, which the server under test needs.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// A loopback port where nothing answers, for as long as this lives: bound and never listening, so a connection is
/// refused at once, and no other program can take the port meanwhile. (A fixed port such as 9 may be served on some
/// machine, and a port freed a moment ago may be reused by another test.)
public final class ClosedPort: @unchecked Sendable {
    private let fd: Int32
    public let port: Int

    /// `silent`: listening, so that connections are made (the kernel queues them), but nothing is ever read or
    /// answered: an inbox that hangs.
    public init(silent: Bool = false) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackError(message: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw LoopbackError(message: "bind: \(String(cString: strerror(errno)))")
        }
        if silent && listen(fd, 16) != 0 {
            close(fd)
            throw LoopbackError(message: "listen: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
