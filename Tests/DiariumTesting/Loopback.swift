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
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LoopbackError(message: "socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw LoopbackError(message: "connect to port \(port): \(String(cString: strerror(errno)))") }
    var tv = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    for (i, part) in parts.enumerated() {
        if i > 0 { between(i) }
        if i == awaited {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, Int32(timeout * 1000)) > 0 { break }
        }
        // The server may answer (413) and close before everything is sent: stop writing then.
        if part.withUnsafeBytes({ send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }) < 0 { break }
    }
    shutdown(fd, Int32(SHUT_WR))
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        response += buffer[0..<n]
    }
    return String(decoding: response, as: UTF8.self)
}

public struct LoopbackError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
