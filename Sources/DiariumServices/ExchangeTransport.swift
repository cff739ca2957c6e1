import DiariumCore
import DiariumExchange
import DiariumHTTPClient
import Foundation
import Synchronization

/// One delivery of an interchange to a party's inbox: the envelope and the package file beside it.
///
/// Wire format (what the inbox at `POST {party url}/api/v1/exchange/inbox` reads): the package is the request body
/// (`application/octet-stream`, read from the file as it is sent); the envelope travels in the
/// `Diarium-Envelope` header as base64url of its XML. The inbox can so authenticate, validate the envelope and spot a reused control reference
/// before it reads a byte of a package that may be gigabytes. The answer is the receipt envelope (`application/xml`)
/// with 200, for accepted and rejected interchanges alike: a rejection is an answer, not a transport failure.
public struct OutboundDelivery: Sendable {
    public let inbox: URL
    public let token: String
    public let envelope: [UInt8]
    public let packagePath: String

    public init(partyURL: String, token: String, envelope: [UInt8], packagePath: String) throws(DiariumError) {
        guard let inbox = URL(string: partyURL + "/api/v1/exchange/inbox") else {
            throw .invalid("url", "cannot make an inbox URL from '\(partyURL)'")
        }
        self.inbox = inbox
        self.token = token
        self.envelope = envelope
        self.packagePath = packagePath
    }

    public static let envelopeHeader = "Diarium-Envelope"

    /// base64url without padding (RFC 4648 §5): header-safe, and what the inbox decodes.
    public static func encodeEnvelope(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decodeEnvelope(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}

/// Why an attempt failed, and whether trying again can help.
public struct TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// Connection refused or dropped, timeouts, 408, 429, 5xx and a 400 `damaged-in-transit`: the receiver may take it
    /// next time. Other answers (401, 403, 400, 413, …) will not change by resending the same bytes.
    public let retryable: Bool
    public let httpStatus: Int?

    public init(message: String, retryable: Bool, httpStatus: Int? = nil) {
        self.message = message
        self.retryable = retryable
        self.httpStatus = httpStatus
    }

    public var description: String { message }

    /// The problem code an inbox answers when the bytes that arrived are not the envelope's payload (cut short or
    /// changed on the way): resending the same interchange is the remedy, so it counts as retryable.
    public static let damagedInTransit = "damaged-in-transit"

    /// Answers that may change by themselves: a timeout, too many requests, the server's own trouble.
    public static func retryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    public static func forStatus(_ status: Int, body: [UInt8]) -> TransportFailure {
        // Keep a short, single-line excerpt: enough to diagnose, never a whole page in `exchange list`.
        let problem = (try? JSONSerialization.jsonObject(with: Data(body.prefix(64 << 10)))) as? [String: Any]
        let retryable = retryable(status: status) || (status == 400 && problem?["code"] as? String == damagedInTransit)
        // An RFC 9457 problem (another Diarium's inbox) is read for what a person acts on: its detail, and the field.
        var said = String(decoding: body.prefix(300), as: UTF8.self)
        if let detail = problem?["detail"] as? String {
            said = String(detail.prefix(1000)) + ((problem?["field"] as? String).map { " (\($0))" } ?? "")
        }
        return TransportFailure(message: "the inbox answered HTTP \(status): \(ExchangeDiagnostic.oneLine(said))", retryable: retryable,
                                httpStatus: status)
    }
}

/// Sends one attempt. A protocol so tests (and other transports) can stand in for HTTP.
public protocol InterchangeTransport: Sendable {
    /// The receipt envelope's bytes, or a failure.
    func send(_ delivery: OutboundDelivery) async -> Result<[UInt8], TransportFailure>
}

/// HTTP(S) through libcurl (`HTTPPost`, on a thread of its own: the easy interface blocks until the exchange ends).
///
/// The package is sent from a memory mapping of its file, so a large one stays out of the heap; libcurl reads it
/// from there. TLS with the system's CA store. Redirects are not followed: the party's token would go along.
public struct HTTPTransport: InterchangeTransport {
    /// The longest the connection may stay silent.
    public let timeout: TimeInterval
    /// The longest a whole attempt may take, however steadily bytes flow: an inbox that keeps answering without
    /// ever finishing fails the attempt (retryable) instead of holding its caller, and an HTTP request waiting for
    /// it, for good.
    public let deadline: TimeInterval
    /// The most of an answer read: a receipt envelope is a few KiB, and a problem or an error page is cut for its
    /// excerpt anyway. An inbox answering more (misconfigured, or not an inbox at all) fails the attempt instead of
    /// filling the sender's memory.
    public let answerLimit: Int

    public init(timeout: TimeInterval = 300, deadline: TimeInterval = 4 * 3600, answerLimit: Int = 1 << 20) {
        self.timeout = timeout
        self.deadline = deadline
        self.answerLimit = answerLimit
    }

    public func send(_ delivery: OutboundDelivery) async -> Result<[UInt8], TransportFailure> {
        let cancelled = CancellationFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Not on the concurrency pool: its few threads are for work that does not wait on the network.
                Thread { continuation.resume(returning: sendWaiting(delivery, cancelled: cancelled)) }.start()
            }
        } onCancel: {
            cancelled.set()
        }
    }

    private func sendWaiting(_ delivery: OutboundDelivery, cancelled: CancellationFlag) -> Result<[UInt8], TransportFailure> {
        // Sent from the file as it is read: a package of gigabytes costs a buffer, not its size in memory.
        let descriptor = open(delivery.packagePath, O_RDONLY | O_CLOEXEC)
        var status = stat()
        guard descriptor >= 0, fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            return .failure(TransportFailure(message: "cannot read the package \(delivery.packagePath): \(reason)", retryable: false))
        }
        defer { close(descriptor) }
        let host = delivery.inbox.host ?? "the inbox"
        let post = HTTPPost(url: delivery.inbox.absoluteString, headers: [
            "Authorization: Bearer \(delivery.token)",
            "\(OutboundDelivery.envelopeHeader): \(OutboundDelivery.encodeEnvelope(delivery.envelope))",
            "Content-Type: application/octet-stream",
            "Accept: application/xml",
        ], idleTimeout: timeout, deadline: deadline, answerLimit: answerLimit)
        let result = post.perform(body: .file(descriptor: descriptor, size: Int64(status.st_size)), isCancelled: { cancelled.isSet })
        switch result {
        case .failure(.answerTooLarge(let status)):
            // An overloaded inbox's long error page is still a reason to try again.
            return .failure(TransportFailure(message: "the inbox at \(host) answered with more than \(answerLimit) bytes: not a receipt",
                                             retryable: status.map(TransportFailure.retryable(status:)) ?? false, httpStatus: status))
        case .failure(.deadlinePassed):
            return .failure(TransportFailure(message: "no complete answer from \(host) within \(Int(deadline)) s", retryable: true))
        case .failure(.idle):
            return .failure(TransportFailure(message: "cannot reach \(host): nothing moved on the connection for \(Int(timeout)) s",
                                             retryable: true))
        case .failure(.cancelled):
            return .failure(TransportFailure(message: "the delivery to \(host) was cancelled", retryable: true))
        case .failure(.unusable(let message)):
            return .failure(TransportFailure(message: "cannot send to \(delivery.inbox.absoluteString): \(message)", retryable: false))
        case .failure(.untrusted(let message)):
            // Not retried: the same certificate would be refused again, and each attempt is a request to a server
            // that may not be the party's (the token is not sent before the handshake succeeds).
            return .failure(TransportFailure(message: "the inbox at \(host) is not trusted: \(message) (its certificate must be "
                                             + "valid for \(host) and issued by a CA in this system's store)", retryable: false))
        case .failure(.transport(let message)):
            // libcurl's message names the host at most, never a header (the token).
            return .failure(TransportFailure(message: "cannot reach \(host): \(message)", retryable: true))
        case .success(let answer) where (300...399).contains(answer.status):
            let target = answer.location.map { " to \(ExchangeDiagnostic.oneLine(String($0.prefix(200))))" } ?? ""
            return .failure(TransportFailure(message: "the inbox answered HTTP \(answer.status), a redirect\(target): not followed, "
                                             + "as the party's token would go along; set the party's inbox URL to where the inbox is",
                                             retryable: false, httpStatus: answer.status))
        case .success(let answer) where answer.status != 200:
            return .failure(.forStatus(answer.status, body: answer.body))
        case .success(let answer):
            return .success(answer.body)
        }
    }
}

/// Set once, from the task's cancellation handler; read by the transfer's progress callback on its own thread.
private final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// When to try again: exponential backoff, `initialDelay × multiplier^(n-1)` after the n-th failure, capped.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var initialDelay: TimeInterval
    public var multiplier: Double
    public var maxDelay: TimeInterval

    public init(maxAttempts: Int = 6, initialDelay: TimeInterval = 1, multiplier: Double = 2, maxDelay: TimeInterval = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
    }

    /// The wait after failed attempt `attempt` (1-based).
    public func delay(after attempt: Int) -> TimeInterval {
        min(maxDelay, initialDelay * pow(multiplier, Double(max(0, attempt - 1))))
    }
}

/// When an outbound interchange that could not be delivered is tried again, by a server (`diarium serve`) or by
/// `diarium exchange resend --due`: the wait grows with the attempts made so far (a minute after the first, two after
/// the second, doubling up to an hour), for a week after it was queued (a partner's system down over a long weekend is still reached). A failure that
/// time does not mend (a refused token, a package too large for the partner: `TransportFailure.retryable`) is not
/// tried again; nor is one after the week. Either waits for a person: `exchange resend` or `exchange withdraw`.
public struct RedeliverySchedule: Sendable, Equatable {
    public var backoff: RetryPolicy
    /// How long after it was queued an interchange is still tried by itself.
    public var giveUpAfter: TimeInterval
    /// How long an attempt under way holds its interchange: no automatic attempt starts meanwhile (a person's resend
    /// still may). Longer than an attempt may last (`HTTPTransport.deadline`, 4 hours); a process that dies in the
    /// middle of one leaves the interchange due again after this.
    public var lease: TimeInterval

    public init(backoff: RetryPolicy = RetryPolicy(maxAttempts: .max, initialDelay: 60, multiplier: 2, maxDelay: 3600),
                giveUpAfter: TimeInterval = 7 * 86_400, lease: TimeInterval = 5 * 3600) {
        self.backoff = backoff
        self.giveUpAfter = giveUpAfter
        self.lease = lease
    }

    public static let standard = RedeliverySchedule()

    /// When an interchange just queued is due, should the process that queued it stop before its first attempt (which
    /// leases it at once).
    public func first(queuedAt: Date) -> Date { queuedAt.addingTimeInterval(backoff.initialDelay) }

    /// The next attempt after `attempts` attempts, the last of which failed at `now` in a way time may mend; nil when
    /// the interchange has been tried long enough.
    public func next(afterAttempts attempts: Int, queuedAt: Date, now: Date) -> Date? {
        let next = now.addingTimeInterval(backoff.delay(after: attempts))
        return next.timeIntervalSince(queuedAt) <= giveUpAfter ? next : nil
    }

    /// Whether a next attempt at `next` is an attempt's lease rather than a time the schedule set: the schedule never
    /// waits longer than its longest pause, and an attempt holds its interchange for longer than that while under way.
    public func isLease(_ next: Date, now: Date) -> Bool {
        next.timeIntervalSince(now) > backoff.maxDelay
    }

    /// What a clerk reads when no more automatic attempts follow.
    var givenUp: String {
        "no more automatic attempts (tried for \(Int(giveUpAfter / 86_400)) days): resend or withdraw it"
    }
}

/// Delivers one interchange with retries. Every attempt sends the same bytes under the same control reference, so
/// the receiver recognises a resend of something it already registered and answers with the same receipt.
public struct InterchangeSender: Sendable {
    public let transport: any InterchangeTransport
    public let policy: RetryPolicy
    /// Waits between attempts; tests pass one that records instead of sleeping.
    public let pause: @Sendable (TimeInterval) async -> Void

    public init(transport: any InterchangeTransport = HTTPTransport(), policy: RetryPolicy = RetryPolicy(),
                pause: @escaping @Sendable (TimeInterval) async -> Void = { seconds in
                    try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
                }) {
        self.transport = transport
        self.policy = policy
        self.pause = pause
    }

    /// Tries until the inbox answers with a receipt, a failure is not retryable, attempts run out or the task is
    /// cancelled. `attempted` is told of each attempt (number, outcome) so it can be recorded before the next one.
    public func deliver(_ delivery: OutboundDelivery,
                        attempted: (Int, Result<[UInt8], TransportFailure>) async -> Void = { _, _ in }) async -> Result<[UInt8], TransportFailure> {
        var attempt = 0
        while true {
            attempt += 1
            let result = await transport.send(delivery)
            await attempted(attempt, result)
            switch result {
            case .success:
                return result
            case .failure(let failure):
                guard failure.retryable, attempt < policy.maxAttempts, !Task.isCancelled else { return result }
                await pause(policy.delay(after: attempt))
                if Task.isCancelled { return result }
            }
        }
    }
}
