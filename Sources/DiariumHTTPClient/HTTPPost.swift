internal import CCurl
import Foundation

/// One HTTP(S) POST through libcurl's easy interface, which blocks the calling thread until the exchange has ended
/// one way or another: answered, refused, cut off, silent for longer than `idleTimeout`, past `deadline`, or
/// cancelled.
///
/// Chosen over FoundationNetworking's `URLSession` (libcurl too, behind a multi handle driven by dispatch sources):
/// there an upload whose connection the server dropped mid-body could be left waiting forever, no timeout firing,
/// with a source spinning on the dead socket. The easy interface has none of that machinery between the caller and
/// the transfer. HTTP/1.1 only (so `Expect: 100-continue` lets an inbox refuse before the body is sent), http and
/// https only, redirects never followed (the bearer token would go along), the answer read up to `answerLimit`
/// bytes. Proxies named in the environment (`https_proxy`, `no_proxy`, …) are used, as by curl; loopback never goes
/// through one.
public struct HTTPPost: Sendable {
    public struct Answer: Sendable {
        public let status: Int
        public let body: [UInt8]
        /// Where a redirect points (not followed).
        public let location: String?
    }

    /// What is sent.
    public enum Body {
        /// Bytes in memory, borrowed for the call.
        case bytes(UnsafeRawBufferPointer)
        /// `size` bytes read from `descriptor` as they are sent, a buffer at a time: a package of gigabytes costs the
        /// process no more memory than a small one (the caller opens and closes the file).
        case file(descriptor: Int32, size: Int64)

        var size: Int64 {
            switch self {
            case .bytes(let bytes): Int64(bytes.count)
            case .file(_, let size): size
            }
        }
    }

    public enum Failure: Error, Sendable, Equatable {
        /// No HTTP exchange took place, or it broke off: refused, reset, name not found, a TLS handshake that failed.
        case transport(String)
        /// Nothing went either way for `idleTimeout` while the request was being sent or the answer read.
        case idle
        /// The whole exchange took longer than the deadline.
        case deadlinePassed
        case cancelled
        /// The answer was (or said it would be) larger than the limit.
        case answerTooLarge(status: Int?)
        /// The request itself cannot be made (a malformed URL, a scheme other than http or https).
        case unusable(String)
        /// The server's certificate was not accepted (not issued by a trusted CA, expired, or for another name):
        /// trying again will not change that.
        case untrusted(String)
    }

    public var url: String
    /// `Name: value` lines.
    public var headers: [String]
    /// The longest nothing may move while connecting, sending the body or reading the answer. Not applied between
    /// the last byte sent and the answer's status line: the receiver may take its time over what it got.
    public var idleTimeout: TimeInterval
    /// The longest the whole exchange may take.
    public var deadline: TimeInterval
    public var answerLimit: Int

    public init(url: String, headers: [String], idleTimeout: TimeInterval, deadline: TimeInterval, answerLimit: Int) {
        self.url = url
        self.headers = headers
        self.idleTimeout = idleTimeout
        self.deadline = deadline
        self.answerLimit = answerLimit
    }

    /// Sends `body` and waits for the answer, blocking this thread. `isCancelled` is asked about once a second.
    public func perform(body: Body, isCancelled: @escaping () -> Bool = { false }) -> Result<Answer, Failure> {
        guard curlReady == CURLE_OK else { return .failure(.transport("libcurl could not be initialised")) }
        // No `Accept-Encoding` (the answer is read as sent) and an agent that says who calls.
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }   // declared before the handle's cleanup, so it runs after it
        for line in headers + ["User-Agent: Diarium"] {
            guard let longer = curl_slist_append(list, line) else { return .failure(.transport("out of memory for the request's headers")) }
            list = longer
        }
        guard let handle = curl_easy_init() else { return .failure(.transport("libcurl could not make a handle")) }
        defer { curl_easy_cleanup(handle) }

        let transfer = Transfer(limit: answerLimit, bodySize: body.size, idle: .milliseconds(Self.milliseconds(idleTimeout)),
                                deadline: .now + .milliseconds(Self.milliseconds(deadline)), isCancelled: isCancelled)
        let noProxy = Self.noProxy(ProcessInfo.processInfo.environment)
        var message = [CChar](repeating: 0, count: Int(DIARIUM_CURL_ERROR_SIZE) + 1)
        return message.withUnsafeMutableBufferPointer { messageBuffer in
            // libcurl copies the strings given to setopt; the body, the header list, the error buffer and `transfer`
            // are borrowed, and all outlive `curl_easy_perform` and the reads after it.
            var set = CURLE_OK
            func check(_ result: CURLcode) { if set == CURLE_OK { set = result } }
            let context = Unmanaged.passUnretained(transfer).toOpaque()
            check(diarium_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, messageBuffer.baseAddress))
            check(url.withCString { diarium_curl_set_pointer(handle, CURLOPT_URL, $0) })
            check(diarium_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))   // threads: no SIGALRM for name lookups
            check(diarium_curl_set_long(handle, CURLOPT_PROTOCOLS, DIARIUM_CURL_WEB_PROTOCOLS))
            check(diarium_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0))
            check(diarium_curl_set_long(handle, CURLOPT_HTTP_VERSION, DIARIUM_CURL_HTTP_1_1))
            check(noProxy.withCString { diarium_curl_set_pointer(handle, CURLOPT_NOPROXY, $0) })
            check(diarium_curl_set_long(handle, CURLOPT_POST, 1))
            check(diarium_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size)))
            switch body {
            case .bytes(let bytes):
                check(diarium_curl_set_pointer(handle, CURLOPT_POSTFIELDS, bytes.baseAddress ?? UnsafeRawPointer(messageBuffer.baseAddress!)))
            case .file(let descriptor, _):
                // A POST without POSTFIELDS reads its body through the read callback.
                transfer.descriptor = descriptor
                check(diarium_curl_set_callback(handle, CURLOPT_READFUNCTION, readBody))
                check(diarium_curl_set_pointer(handle, CURLOPT_READDATA, context))
            }
            check(diarium_curl_set_pointer(handle, CURLOPT_HTTPHEADER, list))
            check(diarium_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(idleTimeout)))
            // The deadline is kept by the progress callback, which knows it was the deadline; this only backs it up.
            check(diarium_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(deadline) + 5000))
            check(diarium_curl_set_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(answerLimit)))
            check(diarium_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, collect))
            check(diarium_curl_set_pointer(handle, CURLOPT_WRITEDATA, context))
            check(diarium_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, noteHeader))
            check(diarium_curl_set_pointer(handle, CURLOPT_HEADERDATA, context))
            check(diarium_curl_set_progress(handle, watch, context))
            // The buffer is this closure's: the handle lets go of it before the closure ends.
            defer { _ = diarium_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, nil) }
            guard set == CURLE_OK else { return .failure(.unusable(Self.describe(set, messageBuffer))) }

            let code = withExtendedLifetime(transfer) { curl_easy_perform(handle) }
            var status = 0
            if diarium_curl_info_long(handle, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK { status = 0 }
            switch code {
            case CURLE_OK:
                var location: UnsafeMutablePointer<CChar>?
                _ = diarium_curl_info_string(handle, CURLINFO_REDIRECT_URL, &location)
                return .success(Answer(status: status, body: transfer.body, location: location.map { String(cString: $0) }))
            case CURLE_WRITE_ERROR where transfer.tooLarge, CURLE_FILESIZE_EXCEEDED:
                return .failure(.answerTooLarge(status: status == 0 ? nil : status))
            case CURLE_ABORTED_BY_CALLBACK where transfer.readFailure != nil:
                return .failure(.transport("the body could not be read: \(String(cString: strerror(transfer.readFailure!)))"))
            case CURLE_ABORTED_BY_CALLBACK where transfer.stopped != nil:
                switch transfer.stopped! {
                case .idle: return .failure(.idle)
                case .deadline: return .failure(.deadlinePassed)
                case .cancelled: return .failure(.cancelled)
                }
            case CURLE_OPERATION_TIMEDOUT where transfer.pastDeadline:
                return .failure(.deadlinePassed)
            case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
                return .failure(.unusable(Self.describe(code, messageBuffer)))
            case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
                 CURLE_SSL_INVALIDCERTSTATUS:
                return .failure(.untrusted(Self.describe(code, messageBuffer)))
            default:
                return .failure(.transport(Self.describe(code, messageBuffer)))
            }
        }
    }

    /// Seconds as libcurl's milliseconds: at least one, and a bound for "forever" (infinity, NaN, absurd values).
    static func milliseconds(_ seconds: TimeInterval) -> Int {
        guard seconds.isFinite else { return 1_000_000_000_000 }
        return Int(min(max(seconds, 0.001), 1e9) * 1000)
    }

    /// The environment's `no_proxy` with loopback added: a local inbox is never reached through a proxy.
    static func noProxy(_ environment: [String: String]) -> String {
        let listed = [environment["no_proxy"], environment["NO_PROXY"]].compactMap { $0 }
            .flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if listed.contains("*") { return "*" }
        return (listed + ["localhost", "127.0.0.1", "::1"]).joined(separator: ",")
    }

    /// libcurl's own words for what happened: the error buffer's detail when there is one. Never a header (the token).
    private static func describe(_ code: CURLcode, _ message: UnsafeMutableBufferPointer<CChar>) -> String {
        let detail = String(cString: message.baseAddress!)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }
}

/// Once per process, before the first handle (libcurl's global state, TLS included).
private let curlReady: CURLcode = diarium_curl_global_init()

/// One transfer's state, seen by libcurl's callbacks on the thread that performs it.
private final class Transfer {
    enum Stop { case idle, deadline, cancelled }

    let limit: Int
    let bodySize: Int64
    let idle: Duration
    let deadline: ContinuousClock.Instant
    let isCancelled: () -> Bool
    var body: [UInt8] = []
    /// Where a body sent from a file is read from, and the error that stopped reading it.
    var descriptor: Int32?
    var readFailure: Int32?
    var tooLarge = false
    var stopped: Stop?
    /// A final status line has come (not a `100 Continue`): from here on the answer is being read.
    private(set) var answering = false
    private var lastMoved = ContinuousClock.now
    private var sent: Int64 = 0
    private var received: Int64 = 0

    init(limit: Int, bodySize: Int64, idle: Duration, deadline: ContinuousClock.Instant, isCancelled: @escaping () -> Bool) {
        self.limit = limit
        self.bodySize = bodySize
        self.idle = idle
        self.deadline = deadline
        self.isCancelled = isCancelled
    }

    var pastDeadline: Bool { ContinuousClock.now >= deadline }

    /// The answer begins: the idle clock starts again from here, not from the last byte sent (the receiver's work
    /// on the package in between was no silence).
    func answerBegins() {
        guard !answering else { return }
        answering = true
        lastMoved = ContinuousClock.now
    }

    /// Whether to go on, given the bytes moved so far.
    func goOn(sent: Int64, received: Int64) -> Bool {
        let now = ContinuousClock.now
        if sent != self.sent || received != self.received {
            self.sent = sent
            self.received = received
            lastMoved = now
        }
        // The body is sent and no answer has begun: the receiver is at work, and only the deadline applies.
        let awaitingAnswer = sent >= bodySize && !answering
        if isCancelled() {
            stopped = .cancelled
        } else if now >= deadline {
            stopped = .deadline
        } else if !awaitingAnswer && now - lastMoved >= idle {
            stopped = .idle
        }
        return stopped == nil
    }
}

/// The write callback: keeps what arrives; a byte over the limit ends the transfer (libcurl then fails with
/// CURLE_WRITE_ERROR).
private func collect(_ bytes: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard transfer.body.count + length <= transfer.limit else {
        transfer.tooLarge = true
        return 0
    }
    if let bytes, length > 0 { transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: length)) }
    return length
}

/// The read callback of a body sent from a file: the next bytes, 0 at its end; a read error ends the transfer.
private func readBody(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    guard let buffer, let descriptor = transfer.descriptor else { return Int(CURL_READFUNC_ABORT) }
    while true {
        let n = read(descriptor, buffer, size * count)
        if n >= 0 { return n }
        if errno == EINTR { continue }
        transfer.readFailure = errno
        return Int(CURL_READFUNC_ABORT)
    }
}

/// The header callback, a line at a time: a status line other than 1xx starts the answer.
private func noteHeader(_ bytes: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    if let bytes, length >= 10 {
        let line = UnsafeRawBufferPointer(start: bytes, count: length)
        // "HTTP/1.1 200 …": the status's first digit follows the first space.
        if line.starts(with: "HTTP/".utf8), let space = line.firstIndex(of: UInt8(ascii: " ")), space + 1 < length,
           line[space + 1] != UInt8(ascii: "1") {
            transfer.answerBegins()
        }
    }
    return length
}

/// The progress callback: non-zero stops the transfer (CURLE_ABORTED_BY_CALLBACK), `Transfer.stopped` says why.
private func watch(_ context: UnsafeMutableRawPointer?, _ downTotal: curl_off_t, _ downNow: curl_off_t,
                   _ upTotal: curl_off_t, _ upNow: curl_off_t) -> Int32 {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    return transfer.goOn(sent: Int64(upNow), received: Int64(downNow)) ? 0 : 1
}
