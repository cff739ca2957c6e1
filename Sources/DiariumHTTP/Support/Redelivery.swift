import DiariumCore
import DiariumServices
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivery attempts of outbox interchanges made by this server: those a request asks for (`POST …/outbox`,
/// `…/resend`) and those `RedeliveryService` makes by itself. Counts the attempts under way per interchange, so the
/// service never starts one beside another of this server.
final class OutboxDeliveries: Sendable {
    private let records: Records
    private let transport: any InterchangeTransport
    private let underWay = Mutex<[ControlReference: Int]>([:])

    /// How long the party's inbox may stay silent during one attempt, and how long the attempt may take in all: a
    /// request waits for it.
    static let timeout: TimeInterval = 60
    static let deadline: TimeInterval = 15 * 60

    init(records: Records, transport: any InterchangeTransport = HTTPTransport(timeout: OutboxDeliveries.timeout,
                                                                                 deadline: OutboxDeliveries.deadline)) {
        self.records = records
        self.transport = transport
    }

    /// One attempt: the outbox entry checked and leased, the request to the party's inbox, the outcome recorded.
    func attempt(_ reference: ControlReference, actor: String) async throws -> SendResult {
        _ = claim(reference, exclusive: false)
        defer { unclaim(reference) }
        return try await send(try await prepare(reference), actor: actor)
    }

    /// Counts an attempt of this server as under way; `exclusive`: not beside another (false then, nothing counted).
    func claim(_ reference: ControlReference, exclusive: Bool) -> Bool {
        underWay.withLock { counts in
            guard !exclusive || counts[reference] == nil else { return false }
            counts[reference, default: 0] += 1
            return true
        }
    }

    func unclaim(_ reference: ControlReference) {
        underWay.withLock { counts in
            counts[reference]! -= 1
            if counts[reference] == 0 { counts[reference] = nil }
        }
    }

    /// The outbox entry checked and leased for the attempt (`ExchangeService.prepareDelivery`).
    func prepare(_ reference: ControlReference) async throws -> ExchangeService.PreparedDelivery {
        try await records.change { service in try ExchangeService(records: service).prepareDelivery(reference) }
    }

    /// The request to the party's inbox and its outcome recorded.
    func send(_ prepared: ExchangeService.PreparedDelivery, actor: String) async throws -> SendResult {
        let outcome = await transport.send(prepared.delivery)
        let records = records
        // What follows runs in a task of its own, which a cancellation (the server stopping) does not reach: the pool
        // refuses work for a cancelled task, and neither an answer nor a release may be lost.
        if Task.isCancelled, case .failure = outcome {
            // Cut off in the middle: not an attempt that failed, and due again at once.
            try await Task {
                try await records.change { service in try ExchangeService(records: service).releaseAttempt(prepared.reference) }
            }.value
            throw CancellationError()
        }
        return try await Task {
            try await records.change { service in
                let exchange = ExchangeService(records: service)
                try exchange.recordFailedAttempt(prepared, outcome, actor: actor)
                return try exchange.finishDelivery(prepared, outcome: outcome, actor: actor)
            }
        }.value
    }
}

/// Delivers again, by itself, what the outbox holds for a party that could not be reached: every `interval` it makes
/// one attempt of each interchange whose next attempt is due (`RedeliverySchedule`), one after the other, as
/// `system:redelivery` in the audit log. Scheduled in the store, so what a stopped server or the CLI left due is
/// taken up too. Stops with the server: an attempt under way is cancelled and its interchange due again at once.
struct RedeliveryService: Service {
    let deliveries: OutboxDeliveries
    let records: Records
    let interval: Duration
    let logger: Logger

    static let actor = "system:redelivery"

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                try await cancelWhenGracefulShutdown { try await deliverDue() }
            } catch is CancellationError {
                return
            } catch {
                logger.error("redelivery of interchanges failed", metadata: ["error.message": .string(String(describing: error))])
            }
        }
    }

    /// One pass over what is due now.
    func deliverDue() async throws {
        let due = try await records.run { service in try ExchangeService(records: service).dueForRedelivery(limit: 100) }
        for reference in due {
            try Task.checkCancellation()
            guard deliveries.claim(reference, exclusive: true) else { continue }
            defer { deliveries.unclaim(reference) }
            let prepared: ExchangeService.PreparedDelivery
            do {
                prepared = try await deliveries.prepare(reference)
            } catch let error as DiariumError {
                // It cannot be attempted at all (its party lost its URL or token, its files are gone): a person must
                // look, and the next pass must not find it again.
                try await records.change { service in try ExchangeService(records: service).stopRedelivery(reference, because: error) }
                logger.warning("interchange not delivered again", metadata: [
                    "exchange.reference": .string(reference.rawValue), "error.message": .string(error.message),
                ])
                continue
            }
            let result = try await deliveries.send(prepared, actor: Self.actor)
            var metadata: Logger.Metadata = [
                "exchange.reference": .string(reference.rawValue), "exchange.party": .string(result.record.recipient.rawValue),
                "exchange.status": .string(result.record.status.rawValue), "exchange.attempts": .stringConvertible(result.record.attempts),
            ]
            if let failure = result.failure {
                metadata["error.message"] = .string(failure)
                metadata["exchange.next_attempt"] = .string(result.record.nextAttemptAt.map(Timestamp.format) ?? "none")
                logger.warning("interchange still not delivered", metadata: metadata)
            } else {
                logger.info("interchange delivered again", metadata: metadata)
            }
        }
    }
}
