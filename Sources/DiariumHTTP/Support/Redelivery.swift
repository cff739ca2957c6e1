import DiariumCore
import DiariumServices
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivery attempts of outbox interchanges made by this server: those a request asks for (`POST …/outbox`,
/// `…/resend`) and those `RedeliveryService` makes by itself. Every attempt leases its interchange in the store
/// (`ExchangeService.prepareDelivery`), so no automatic one starts beside another, of this process or any other.
final class OutboxDeliveries: Sendable {
    private let records: Records
    /// For an attempt a request waits for: the party's inbox may stay silent for a minute, the attempt last 15 minutes.
    private let requested: any InterchangeTransport
    /// For the server's own attempts, which nobody waits for: as the command line's (5 minutes, 4 hours), so that a
    /// large package to a slow inbox can arrive.
    private let automatic: any InterchangeTransport

    init(records: Records, requested: any InterchangeTransport = HTTPTransport(timeout: 60, deadline: 15 * 60),
         automatic: any InterchangeTransport = HTTPTransport()) {
        self.records = records
        self.requested = requested
        self.automatic = automatic
    }

    /// One attempt a request asks for: the outbox entry checked and leased, the request to the party's inbox, the
    /// outcome recorded.
    func attempt(_ reference: ControlReference, actor: String) async throws -> SendResult {
        let prepared = try await records.change { service in try ExchangeService(records: service).prepareDelivery(reference) }
        return try await send(prepared, actor: actor, automatic: false)
    }

    /// The outbox entry checked and leased for an automatic attempt, while it is still due (nil when not:
    /// `ExchangeService.prepareDueDelivery`).
    func prepareDue(_ reference: ControlReference) async throws -> ExchangeService.PreparedDelivery? {
        try await records.change { service in try ExchangeService(records: service).prepareDueDelivery(reference) }
    }

    /// The request to the party's inbox and its outcome recorded.
    func send(_ prepared: ExchangeService.PreparedDelivery, actor: String, automatic: Bool) async throws -> SendResult {
        let outcome = await (automatic ? self.automatic : requested).send(prepared.delivery)
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

/// Delivers again, by itself, what the outbox holds for a party that could not be reached: every `interval` it looks
/// for interchanges whose next attempt is due (`RedeliverySchedule`) and makes one attempt of each, as
/// `system:redelivery` in the audit log. Scheduled in the store, so what a stopped server or the CLI left due is
/// taken up too.
///
/// Each party's interchanges are tried one after the other, and up to `parallelParties` parties at once, each in a
/// task of its own that the next look does not wait for: an inbox that takes the package and never answers holds
/// its attempt up to the transport's deadline (4 hours), and must not hold up the other parties meanwhile. A party
/// that does not answer is tried once: its other interchanges wait as long as the one tried. Stops with the server:
/// attempts under way are cancelled and their interchanges due again at once.
struct RedeliveryService: Service {
    let deliveries: OutboxDeliveries
    let records: Records
    let interval: Duration
    let metrics: RedeliveryMetrics
    let logger: Logger

    static let actor = "system:redelivery"
    static let parallelParties = 8

    func run() async throws {
        let busy = metrics.parties
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                } catch {
                    break
                }
                let due: [(reference: ControlReference, party: PartyID)]
                do {
                    due = try await records.run { service in try ExchangeService(records: service).dueForRedelivery(limit: 1000) }
                } catch {
                    logger.error("looking for interchanges to deliver again failed", metadata: ["error.message": .string(String(describing: error))])
                    continue
                }
                var parties: [PartyID] = []
                var byParty: [PartyID: [ControlReference]] = [:]
                for (reference, party) in due {
                    if byParty[party] == nil { parties.append(party) }
                    byParty[party, default: []].append(reference)
                }
                for party in parties {
                    guard let references = byParty[party], busy.start(party, limit: Self.parallelParties) else { continue }
                    group.addTask {
                        defer { busy.end(party) }
                        do {
                            try await cancelWhenGracefulShutdown { try await deliver(references, to: party) }
                        } catch is CancellationError {
                        } catch {
                            logger.error("redelivery of interchanges failed", metadata: [
                                "exchange.party": .string(party.rawValue), "error.message": .string(String(describing: error)),
                            ])
                        }
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// One attempt of each of a party's due interchanges, the longest waiting first, until the party does not answer.
    func deliver(_ references: [ControlReference], to party: PartyID) async throws {
        var silentUntil: Date?
        for reference in references {
            try Task.checkCancellation()
            if let later = silentUntil {
                try await settle(reference, "postponing") { exchange in try exchange.postponeRedelivery(reference, until: later) }
                continue
            }
            let prepared: ExchangeService.PreparedDelivery
            do {
                guard let leased = try await deliveries.prepareDue(reference) else { continue }   // taken meanwhile
                prepared = leased
            } catch let error as DiariumError {
                metrics.count(.notAttempted)
                logger.warning("interchange not attempted", metadata: [
                    "exchange.reference": .string(reference.rawValue), "error.message": .string(error.message),
                ])
                try await settle(reference, "leaving unattempted") { exchange in try exchange.leaveUnattempted(reference, because: error) }
                continue
            }
            let result: SendResult
            do {
                result = try await deliveries.send(prepared, actor: Self.actor, automatic: true)
            } catch {
                // Made, but its outcome could not be recorded (the lease keeps it from being tried again at once).
                if !(error is CancellationError) { metrics.count(.failed) }
                throw error
            }
            var metadata: Logger.Metadata = [
                "exchange.reference": .string(reference.rawValue), "exchange.party": .string(party.rawValue),
                "exchange.status": .string(result.record.status.rawValue), "exchange.attempts": .stringConvertible(result.record.attempts),
            ]
            metrics.count(result.failure != nil ? .failed : result.record.status == .rejected ? .rejected : .accepted)
            if let failure = result.failure {
                silentUntil = result.record.nextAttemptAt
                metadata["error.message"] = .string(failure)
                metadata["exchange.next_attempt"] = .string(result.record.nextAttemptAt.map(Timestamp.format) ?? "none")
                logger.warning("interchange still not delivered", metadata: metadata)
            } else {
                logger.info("interchange delivered again", metadata: metadata)
            }
        }
    }

    /// A change of an interchange's schedule; one that fails is logged, and the pass goes on (the lease taken, if
    /// any, keeps it from being tried again at once).
    private func settle(_ reference: ControlReference, _ what: String,
                        _ change: @escaping @Sendable (ExchangeService) throws -> Void) async throws {
        do {
            try await records.change { service in try change(ExchangeService(records: service)) }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.error("\(what) an interchange's redelivery failed", metadata: [
                "exchange.reference": .string(reference.rawValue), "error.message": .string(String(describing: error)),
            ])
        }
    }
}

/// The parties `RedeliveryService` is delivering to now.
final class PartiesUnderWay: Sendable {
    private let parties = Mutex<Set<PartyID>>([])

    /// Counts `party` as under way, unless it is already or `limit` parties are.
    func start(_ party: PartyID, limit: Int) -> Bool {
        parties.withLock { parties in parties.count < limit && parties.insert(party).inserted }
    }

    func end(_ party: PartyID) {
        _ = parties.withLock { $0.remove(party) }
    }

    var count: Int { parties.withLock { $0.count } }
}
