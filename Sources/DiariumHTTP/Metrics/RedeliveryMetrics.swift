import Synchronization

/// What the server's own redelivery (`RedeliveryService`) did, for `/metrics`: its attempts by outcome, and the
/// parties it is delivering to now. An operator sees a partner that stays unreachable (failed rising) or a pass that
/// is stuck on silent inboxes (parties at the limit) without reading the log.
public final class RedeliveryMetrics: Sendable {
    /// What came of one interchange the server took up (the `outcome` label).
    enum Outcome: String, CaseIterable {
        /// Delivered, and the party accepted it or rejected it (its receipt says why).
        case accepted, rejected
        /// Not delivered: the party did not answer, or its answer could not be taken or recorded. Tried again later, or
        /// left to a person once its week is over or the failure is one time does not mend.
        case failed
        /// Not made: the party's inbox URL or token or the outbox files are missing, or the store failed before it.
        case notAttempted = "not-attempted"
    }

    private let counts = Mutex<[Outcome: Int]>([:])
    /// The parties being delivered to now (`RedeliveryService.parallelParties` at most).
    let parties = PartiesUnderWay()

    public init() {}

    func count(_ outcome: Outcome) {
        counts.withLock { $0[outcome, default: 0] += 1 }
    }

    func count(of outcome: Outcome) -> Int {
        counts.withLock { $0[outcome] ?? 0 }
    }

    func exposition() -> String {
        let snapshot = counts.withLock { $0 }
        var out = """
            # HELP diarium_exchange_redelivery_attempts_total Interchanges the server took up by itself to deliver again, by outcome: accepted or rejected (the party answered), failed (not delivered: tried again later, or left to a person), not-attempted (the party's URL, token or the outbox files missing, or the store failed before the attempt).
            # TYPE diarium_exchange_redelivery_attempts_total counter

            """
        for outcome in Outcome.allCases {
            out += "diarium_exchange_redelivery_attempts_total{outcome=\"\(outcome.rawValue)\"} \(snapshot[outcome] ?? 0)\n"
        }
        return out + """
            # HELP diarium_exchange_redelivery_parties Parties the server is delivering interchanges to now (at most \(RedeliveryService.parallelParties)).
            # TYPE diarium_exchange_redelivery_parties gauge
            diarium_exchange_redelivery_parties \(parties.count)

            """
    }
}
