internal import CCurl
import Foundation

/// One HTTP(S) POST through libcurl's easy interface, which blocks the calling thread until the exchange has ended
/// one way or another: answered, refused, cut off, silent for longer than `idleTimeout`, or past `deadline`.
///
/// Chosen over FoundationNetworking's `URLSession` (libcurl too, behind a multi handle driven by dispatch sources):
/// there an upload whose connection the server drops mid-body could be left waiting forever, no timeout firing,
/// with a source spinning on the dead socket. The easy interface has none of that machinery between the caller and
/// the transfer. Redirects are never followed (the bearer token would go along), only http and https are spoken, and
/// the answer is read up to `answerLimit` bytes.
public struct HTTPPost: Sendable {
    public struct Answer: Sendable {
        public let status: Int
        public let body: [UInt8]
        /// Where a redirect points (not followed).
        public let location: String?
    }

    public enum Failure: Error, Sendable, Equatable {
        /// No HTTP exchange took place, or it broke off: refused, reset, name not found, TLS, idle too long.
        case transport(String)
        /// The whole exchange took longer than the deadline.
        case deadlinePassed
        /// The answer was (or said it would be) larger than the limit.
        case answerTooLarge(status: Int?)
        /// The request itself cannot be made (a malformed URL, a scheme other than http or https).
        case unusable(String)
    }

    public var url: String
    /// `Name: value` lines.
    public var headers: [String]
    /// The longest the connection may stay silent (connecting included).
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

    /// Sends `body` and waits for the answer, blocking this thread.
    public func perform(body: UnsafeRawBufferPointer) -> Result<Answer, Failure> {
        guard curlReady == CURLE_OK, let handle = curl_easy_init() else {
            return .failure(.transport("libcurl could not be initialised"))
        }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        // No `Accept-Encoding` (the answer is read as sent) and an agent that says who calls.
        for line in headers + ["User-Agent: Diarium"] { list = curl_slist_append(list, line) }
        defer { curl_slist_free_all(list) }
        let answer = Collector(limit: answerLimit)
        var message = [CChar](repeating: 0, count: Int(DIARIUM_CURL_ERROR_SIZE) + 1)
        let started = ContinuousClock.now
        let code: CURLcode = message.withUnsafeMutableBufferPointer { messageBuffer in
            // libcurl copies strings given to setopt; the body, the header list, the error buffer and the collector
            // are only borrowed, and all live until `curl_easy_perform` returns.
            let milliseconds = { (seconds: TimeInterval) in max(1, Int(seconds * 1000)) }
            var set = CURLE_OK
            func check(_ result: CURLcode) { if set == CURLE_OK { set = result } }
            check(url.withCString { diarium_curl_set_pointer(handle, CURLOPT_URL, $0) })
            check(diarium_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))   // threads: no SIGALRM for name lookups
            check(diarium_curl_set_long(handle, CURLOPT_PROTOCOLS, DIARIUM_CURL_WEB_PROTOCOLS))
            check(diarium_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0))
            check(diarium_curl_set_long(handle, CURLOPT_POST, 1))
            check(diarium_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            check(diarium_curl_set_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafeRawPointer(messageBuffer.baseAddress!)))
            check(diarium_curl_set_pointer(handle, CURLOPT_HTTPHEADER, list))
            check(diarium_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(idleTimeout)))
            // Silent: under one byte a second, in either direction, for the idle timeout.
            check(diarium_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1))
            check(diarium_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(idleTimeout.rounded(.up)))))
            check(diarium_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(deadline)))
            check(diarium_curl_set_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(answerLimit)))
            check(diarium_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, collect))
            check(diarium_curl_set_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(answer).toOpaque()))
            check(diarium_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, messageBuffer.baseAddress))
            guard set == CURLE_OK else { return set }
            return withExtendedLifetime(answer) { curl_easy_perform(handle) }
        }
        var status = 0
        if diarium_curl_info_long(handle, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK { status = 0 }
        switch code {
        case CURLE_OK:
            var location: UnsafeMutablePointer<CChar>?
            _ = diarium_curl_info_string(handle, CURLINFO_REDIRECT_URL, &location)
            return .success(Answer(status: status, body: answer.body, location: location.map { String(cString: $0) }))
        case CURLE_WRITE_ERROR where answer.tooLarge, CURLE_FILESIZE_EXCEEDED:
            return .failure(.answerTooLarge(status: status == 0 ? nil : status))
        case CURLE_OPERATION_TIMEDOUT where ContinuousClock.now - started >= .milliseconds(Int(deadline * 1000) - 50):
            return .failure(.deadlinePassed)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .failure(.unusable(Self.describe(code, message)))
        default:
            return .failure(.transport(Self.describe(code, message)))
        }
    }

    /// libcurl's own words for what happened: the error buffer's detail when there is one. Never a header (the token).
    private static func describe(_ code: CURLcode, _ message: [CChar]) -> String {
        let detail = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }
}

/// Once per process, before the first handle (libcurl's global state, TLS included).
private let curlReady: CURLcode = diarium_curl_global_init()

/// The answer's body as it arrives, up to a limit.
private final class Collector {
    let limit: Int
    var body: [UInt8] = []
    var tooLarge = false

    init(limit: Int) { self.limit = limit }
}

/// The write callback: keeps what arrives; a byte over the limit ends the transfer (libcurl then fails with
/// CURLE_WRITE_ERROR).
private func collect(_ bytes: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard collector.body.count + length <= collector.limit else {
        collector.tooLarge = true
        return 0
    }
    if let bytes, length > 0 { collector.body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: length)) }
    return length
}
