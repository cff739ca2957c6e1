import DiariumCore
import DiariumExchange
import DiariumStorage
import Foundation

/// A party to add. `outboundToken` is what we present to the party's inbox; `inboundToken` what it presents to ours
/// (nil: the same shared token both ways, the usual agreement between two departments).
public struct NewParty: Sendable {
    public var id: PartyID
    public var name: String
    public var url: String?
    public var outboundToken: String?
    public var inboundToken: String?
    public var receivingSeries: SeriesCode?

    public init(id: PartyID, name: String, url: String? = nil, outboundToken: String? = nil, inboundToken: String? = nil,
                receivingSeries: SeriesCode? = nil) {
        self.id = id
        self.name = name
        self.url = url
        self.outboundToken = outboundToken
        self.inboundToken = inboundToken
        self.receivingSeries = receivingSeries
    }
}

/// A correction of a party: absent fields stay, `.some(nil)` clears an optional one.
public struct PartyChange: Sendable {
    public var name: String?
    public var url: String??
    /// The token presented to the party's inbox. A shared token (the party presents the same one here) is replaced on
    /// both sides unless `inboundToken` is given too.
    public var outboundToken: String??
    /// The token the party presents to this store; cleared, the party can no longer deliver here.
    public var inboundToken: String??
    public var receivingSeries: SeriesCode??

    public init() {}

    var isEmpty: Bool { name == nil && url == nil && outboundToken == nil && inboundToken == nil && receivingSeries == nil }
}

/// What happened to a transport attempt of an outbound interchange.
public enum TransportOutcome: Sendable, Equatable {
    /// Handed over (written to a file, or sent with no answer yet).
    case sent
    /// The receiver's inbox took it (HTTP 2xx).
    case delivered
    /// The attempt failed; the message is kept for `exchange list` (no tokens, no content).
    case failed(String)
}

/// An inbound interchange as recorded: new, or the same one delivered again (same sender, control reference and
/// payload), which must be answered with the stored receipt and register nothing.
public enum InboundRecording: Sendable, Equatable {
    case new(InterchangeRecord)
    case duplicate(InterchangeRecord)

    public var record: InterchangeRecord {
        switch self {
        case .new(let record), .duplicate(let record): record
        }
    }
}

/// Parties and the tracking of interchanges (inbox and outbox). Every change is audited in its own transaction.
///
/// The `static … in access:` forms run inside a caller's write transaction, so the receiving use case can register
/// documents, store the receipt and audit both atomically: a rejected or failed interchange leaves nothing behind.
public final class ExchangeService {
    public let store: Store
    let clock: any Clock
    /// When an interchange that could not be delivered is tried again.
    public var redelivery = RedeliverySchedule.standard
    /// Runs each write that leases an interchange for an attempt (given it, and the write to run): a command line that
    /// may be stopped part-way learns what to release (`releaseAttempt`), as a stopping server does, rather than leave
    /// it held for the lease, and keeps its release from crossing the write. Nil: the write runs as it is.
    public var leasing: (@Sendable (ControlReference, () -> Void) -> Void)?
    /// Told of each file `queue` is about to write for an interchange not recorded yet, and run around the commit that
    /// records it (given the commit to run; after it the files are the interchange's): a command line stopped
    /// part-way removes the files of one it never recorded, rather than leave them in the outbox for no interchange.
    /// Nil: nobody is told.
    public var writingUnrecorded: (@Sendable (String) -> Void)?
    /// The commit it is given returns whether the files are now the interchange's (false: it failed, and they are
    /// removed by `queue` itself).
    public var recording: (@Sendable (() -> Bool) -> Void)?

    public init(store: Store, clock: any Clock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    public convenience init(records: RecordsService) {
        self.init(store: records.store, clock: records.clock)
    }

    /// The interchanges a document went out in or came in by, oldest first, with its number on the other side when a
    /// receipt gave one.
    public func interchanges(of number: DocumentNumber) throws(DiariumError) -> [(record: InterchangeRecord, otherNumber: String?)] {
        try store.catalog.read { access in
            guard let stored = try access.document(number) else { throw DiariumError.notFound("document", number.description, field: "document") }
            return try access.interchanges(documentID: stored.id, number: number.description)
        }
    }

    /// The interchanges a document went out in or came in by, newest first as `interchanges(direction:peer:…)` lists
    /// them, with the same filters.
    public func interchanges(carrying number: DocumentNumber, direction: InterchangeDirection? = nil, peer: PartyID? = nil,
                             after: InterchangeKey? = nil, limit: Int = 1000) throws(DiariumError) -> [InterchangeRecord] {
        var found = Array(try interchanges(of: number).map(\.record).reversed())
        if let after {
            guard let last = found.firstIndex(where: { $0.key == after }) else {
                throw DiariumError.notFound("interchange of \(number)", after.description, field: "after")
            }
            found.removeSubrange(...last)
        }
        return found.filter { (direction == nil || $0.direction == direction) && (peer == nil || $0.peer == peer) }
            .prefix(max(1, limit)).map { $0 }
    }

    // MARK: Parties

    public func addParty(_ request: NewParty, actor: String) throws(DiariumError) -> Party {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        let name = try TextRules.line(request.name, field: "name", maxLength: 200)
        let url = try request.url.map { text throws(DiariumError) in try Self.checkedURL(text) }
        let outbound = try request.outboundToken.map { token throws(DiariumError) in try Self.checkedToken(token, field: "token") }
        let inbound = try request.inboundToken.map { token throws(DiariumError) in try Self.checkedToken(token, field: "inbound-token") }
        if url != nil && outbound == nil {
            throw .invalid("token", "a party reached over HTTP needs the token we present to its inbox (--token)")
        }
        let now = clock.now()
        let party = Party(id: request.id, name: name, url: url, receivingSeries: request.receivingSeries,
                          hasOutboundToken: outbound != nil, hasInboundToken: (inbound ?? outbound) != nil,
                          createdAt: now, updatedAt: now)
        return try store.catalog.write { access in
            if try access.party(request.id) != nil {
                throw DiariumError(.alreadyExists, "party \(request.id) already exists", field: "id")
            }
            if let series = request.receivingSeries, try access.series(series) == nil {
                throw DiariumError(.notFound, "series \(series) does not exist (add it with `diarium series add`)", field: "series")
            }
            try access.insertParty(party, outboundToken: outbound, inboundTokenSHA256: (inbound ?? outbound).map(TokenDigest.sha256Hex))
            var details = AuditDetails()
            details["name"] = .string(name)
            if let url { details["url"] = .string(url) }
            if let series = request.receivingSeries { details["series"] = .string(series.rawValue) }
            details["inboundToken"] = .bool(party.hasInboundToken)
            details["outboundToken"] = .bool(party.hasOutboundToken)
            try access.appendAudit(at: now, actor: actor, action: .partyAdd, object: Self.auditObject(party: request.id),
                                   version: nil, details: details.json)
            return party
        }
    }

    /// Corrects a party: a new inbox URL or token, a name, the series its documents are registered in. Audited as
    /// `party.update` with the fields changed (and the new name, URL and series; never a token).
    public func updateParty(_ id: PartyID, _ change: PartyChange, actor: String) throws(DiariumError) -> Party {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        guard !change.isEmpty else { throw .invalid("change", "nothing to change: give a field to correct") }
        let name = try change.name.map { text throws(DiariumError) in try TextRules.line(text, field: "name", maxLength: 200) }
        let url = try change.url.map { text throws(DiariumError) in try text.map { text throws(DiariumError) in try Self.checkedURL(text) } }
        let outbound = try change.outboundToken.map { token throws(DiariumError) in
            try token.map { token throws(DiariumError) in try Self.checkedToken(token, field: "token") }
        }
        let inbound = try change.inboundToken.map { token throws(DiariumError) in
            try token.map { token throws(DiariumError) in try Self.checkedToken(token, field: "inbound-token") }
        }
        return try store.catalog.write { access in
            let old = try Self.requireParty(id, access)
            let credentials = try access.partyCredentials(id)!
            var new = old
            if let name { new.name = name }
            if let url { new.url = url }
            if let series = change.receivingSeries {
                if let series, try access.series(series) == nil {
                    throw DiariumError(.notFound, "series \(series) does not exist (add it with `diarium series add`)", field: "series")
                }
                new.receivingSeries = series
            }
            var outboundToken = credentials.outboundToken
            var inboundDigest = credentials.inboundTokenSHA256
            if let outbound {
                // One shared secret per pair (`addParty`): replaced, it is replaced both ways.
                let shared = credentials.outboundToken.map(TokenDigest.sha256Hex) == credentials.inboundTokenSHA256
                outboundToken = outbound
                // (Cleared, it stops only what we present: the party still delivers here with the one it has.)
                if shared && inbound == nil, let outbound { inboundDigest = TokenDigest.sha256Hex(outbound) }
            }
            if let inbound { inboundDigest = inbound.map(TokenDigest.sha256Hex) }
            if new.url != nil && outboundToken == nil {
                throw DiariumError.invalid("token", "a party reached over HTTP needs the token we present to its inbox (--token)")
            }
            new.hasOutboundToken = outboundToken != nil
            new.hasInboundToken = inboundDigest != nil
            var fields: [String] = []
            if new.name != old.name { fields.append("name") }
            if new.url != old.url { fields.append("url") }
            if new.receivingSeries != old.receivingSeries { fields.append("series") }
            if outboundToken != credentials.outboundToken { fields.append("outboundToken") }
            if inboundDigest != credentials.inboundTokenSHA256 { fields.append("inboundToken") }
            guard !fields.isEmpty else {
                throw DiariumError(.invalidField, "nothing to change: party \(id) already has these values", field: "change")
            }
            let now = clock.now()
            new.updatedAt = now
            try access.updateParty(new, outboundToken: outboundToken, inboundTokenSHA256: inboundDigest)
            // A new address or token may be what the interchanges still to be delivered lacked: they are tried now.
            // Without an address, none can be.
            if new.url != nil && (fields.contains("url") || fields.contains("outboundToken")) {
                _ = try access.resumeRedelivery(party: id, at: now)
            } else if new.url == nil && old.url != nil {
                _ = try access.stopRedelivery(party: id, reason: "not tried again by itself: party \(id) has no inbox URL any more")
            }
            var details = AuditDetails()
            details["fields"] = .strings(fields)
            if fields.contains("name") { details["name"] = .string(new.name) }
            // "" for one cleared.
            if fields.contains("url") { details["url"] = .string(new.url ?? "") }
            if fields.contains("series") { details["series"] = .string(new.receivingSeries?.rawValue ?? "") }
            try access.appendAudit(at: now, actor: actor, action: .partyUpdate, object: Self.auditObject(party: id),
                                   version: nil, details: details.json)
            return new
        }
    }

    public func parties() throws(DiariumError) -> [Party] {
        try store.catalog.read { try $0.parties() }
    }

    public func party(_ id: PartyID) throws(DiariumError) -> Party {
        try store.catalog.read { access in try Self.requireParty(id, access) }
    }

    /// The party's tokens, for the transport and the inbox's check. Never print them.
    public func credentials(_ id: PartyID) throws(DiariumError) -> PartyCredentials {
        try store.catalog.read { access in
            _ = try Self.requireParty(id, access)
            return try access.partyCredentials(id)!
        }
    }

    // MARK: Outbox

    /// Puts an interchange we are about to send into the outbox (`queued`). Its control reference must be new.
    /// `documents`: those its package carries (exactly: an acceptance is held to them), recorded so that disposal
    /// leaves them while the package waits for its receipt. Refused when one of them was disposed of meanwhile: the
    /// package, exported earlier, may hold its content.
    public func queueOutbound(_ envelope: Envelope, documents: [DocumentNumber],
                              actor: String) throws(DiariumError) -> InterchangeRecord {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        guard let payload = envelope.payload else {
            throw .invalid("messageType", "receipts are answers, not outbox entries: queue a caseTransfer or documentDelivery")
        }
        let now = clock.now()
        let record = InterchangeRecord(
            direction: .outbound, sender: envelope.sender, recipient: envelope.recipient, controlReference: envelope.controlReference,
            messageType: envelope.messageType, status: .queued, references: envelope.references, payloadSHA256: payload.sha256,
            payloadSize: payload.size, receipt: nil, links: [], attempts: 0, lastError: nil, createdAt: now, updatedAt: now,
            nextAttemptAt: redelivery.first(queuedAt: now))
        return try store.catalog.write { access in
            _ = try Self.requireParty(envelope.recipient, access)
            if try access.interchange(direction: .outbound, sender: envelope.sender, controlReference: envelope.controlReference) != nil {
                throw DiariumError(.alreadyExists, "control reference \(envelope.controlReference) is already in the outbox", field: "controlReference")
            }
            let carried = Array(Set(documents)).sorted()
            for number in documents {
                if let disposal = try access.document(number)?.record.disposal {
                    throw DiariumError(.invalidState, "\(number) was disposed of (\(disposal.summary)) while the interchange was made: "
                                       + "send again", field: "documents")
                }
            }
            try access.insertInterchange(record)
            try access.recordInterchangeDocuments(direction: .outbound, sender: envelope.sender, controlReference: envelope.controlReference,
                                                  documents: carried)
            var details = AuditDetails()
            // Numbers only, as the public diarium shows them: what the outbox's package holds, for verify to hold the
            // catalog's list to.
            if !carried.isEmpty { details["documents"] = .strings(carried.map(\.description)) }
            try Self.audit(record, action: .interchangeRecord, actor: actor, at: now, access, extra: details)
            return try Self.stored(record, access)
        }
    }

    /// The series whose documents an outbound interchange carries: whose clerks may deliver it again or withdraw it.
    public func outboundSeries(_ reference: ControlReference) throws(DiariumError) -> Set<SeriesCode> {
        try store.catalog.read { access in
            _ = try Self.requireInterchange(.outbound, try Self.requireIdentity(access), reference, access)
            return try access.outboundInterchangeSeries(controlReference: reference)
        }
    }

    /// The series an interchange concerns here: for one sent, those of the documents it carries; for one received,
    /// the series its party's documents are registered in. Whose clerks may follow it.
    public func series(of record: InterchangeRecord) throws(DiariumError) -> Set<SeriesCode> {
        try store.catalog.read { access in
            switch record.direction {
            case .outbound: return try access.outboundInterchangeSeries(controlReference: record.controlReference)
            case .inbound:
                // Where its documents were registered; one that registered nothing (rejected), its party's series.
                guard record.links.isEmpty else {
                    // As the listing's SQL reads them (`CatalogAccess.seriesOfNumber`): numbers of this store.
                    return Set(record.links.compactMap { link in
                        (try? DocumentNumber(parsing: link.receiverNumber))?.caseNumber.series ?? (try? CaseNumber(parsing: link.receiverNumber))?.series
                    })
                }
                return Set([try access.party(record.sender)?.receivingSeries].compactMap { $0 })
            }
        }
    }

    /// Withdraws an outbound interchange still waiting for its receipt (queued, delivered without a valid answer, or
    /// written for other transport): it is not delivered again, and its files leave the outbox, so that nothing there holds its
    /// documents' content any longer (a document in a waiting interchange is not disposed of). A receipt that comes
    /// after is still recorded: the receiver may have registered the interchange already. Audited as
    /// `interchange.status`. A delivery already under way when it is withdrawn may still complete.
    @discardableResult
    public func withdraw(_ reference: ControlReference, actor: String) throws(DiariumError) -> InterchangeRecord {
        try withdrawal(reference, actor: actor).record
    }

    /// `withdraw`, saying whether an attempt held the interchange when it was withdrawn (`attemptUnderWay`): one
    /// under way in another process may still deliver it (nothing can stop it from here), and its receipt is then
    /// recorded; one cut off holds it until its lease ends. Either way whoever withdraws it should be told.
    public func withdrawal(_ reference: ControlReference, actor: String) throws(DiariumError) -> (record: InterchangeRecord, attemptUnderWay: Bool) {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        let outbox = outboxDirectory
        return try store.catalog.write { access in
            let own = try Self.requireIdentity(access)
            var record = try Self.requireInterchange(.outbound, own, reference, access)
            if let withdrawn = record.withdrawnAt {
                throw DiariumError(.invalidState, "interchange \(reference) was withdrawn already (\(Timestamp.format(withdrawn)))",
                                   field: "controlReference")
            }
            // One written for other transport may be lost on the way: withdrawn, it no longer waits for a receipt (its files
            // are where it was written, not in the outbox).
            guard !record.status.isFinal else {
                throw DiariumError(.invalidState, "interchange \(reference) is \(record.status.rawValue): it has its receipt; nothing to withdraw",
                                   field: "controlReference")
            }
            let underWay = attemptUnderWay(record)
            let now = clock.now()
            record.withdrawnAt = now
            record.updatedAt = now
            try access.updateInterchange(record)
            var details = AuditDetails()
            details["withdrawn"] = .bool(true)
            try Self.audit(record, action: .interchangeStatus, actor: actor, at: now, access, extra: details)
            // Before the commit, which lets disposal take what the files hold: a failed removal withdraws nothing.
            try Self.removeOutboxFiles(reference, in: outbox)
            return (try Self.stored(record, access), underWay)
        }
    }

    /// Removes an interchange's files from the outbox (none there is fine).
    static func removeOutboxFiles(_ reference: ControlReference, in outbox: String) throws(DiariumError) {
        for path in ["\(outbox)/\(reference).xml", "\(outbox)/\(reference).tar"] where unlink(path) != 0 && errno != ENOENT {
            throw DiariumError(.storage, "cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the outbox files of interchanges that need them no more: answered, withdrawn, or unknown to the catalog
    /// (left by a crash between a receipt's commit and the removal, or by a send stopped before queueing), and temp
    /// files (`.NAME.RANDOM.part`) a stopped writer left. Their packages hold document content, which disposal must
    /// not leave behind. A file of no interchange, or a temp file, changed in the last hour is kept: a send may be
    /// writing it, or about to queue it. Best effort; returns how many files went.
    @discardableResult
    public static func sweepOutbox(_ outbox: String, catalog: Catalog, now: Date = Date()) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: outbox) else { return 0 }
        var removed = 0
        for name in names {
            let path = "\(outbox)/\(name)"
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let settled = now.timeIntervalSince1970 - Double(st.st_mtim.tv_sec) > Self.outboxSettling
            if name.hasPrefix("."), name.hasSuffix(".part") {
                if settled, unlink(path) == 0 { removed += 1 }
                continue
            }
            guard name.hasSuffix(".xml") || name.hasSuffix(".tar"),
                  let reference = ControlReference(rawValue: String(name.dropLast(4))) else { continue }
            let waits: Bool?
            do throws(DiariumError) {
                waits = try catalog.read { access in try access.outboundInterchangeWaits(controlReference: reference) }
            } catch {
                continue   // the catalog could not be asked: kept
            }
            // Kept while it waits for its receipt, and while one not recorded (nil) may be about to be.
            if waits == true || (waits == nil && !settled) { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }

    /// How long an outbox file is left alone after it last changed (`sweepOutbox`).
    static let outboxSettling: TimeInterval = 3600

    /// Records a transport attempt: `sent` and `delivered` move the interchange on, `failed` counts the attempt and
    /// keeps the reason while the status stays where it was (a retry uses the same control reference).
    /// `sameAttempt`: the outcome of the attempt last recorded (an answer found wanting after the bytes were
    /// delivered), not another one: one request is one attempt in the record and the log.
    ///
    /// A failure that time may mend (`retryable`) schedules the next attempt (`redelivery`); any other outcome leaves
    /// none: answered, handed over, or a failure a person must look at.
    @discardableResult
    public func recordAttempt(sender: PartyID, controlReference: ControlReference, outcome: TransportOutcome,
                              sameAttempt: Bool = false, retryable: Bool = false, actor: String) throws(DiariumError) -> InterchangeRecord {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        return try store.catalog.write { access in
            var record = try Self.requireInterchange(.outbound, sender, controlReference, access)
            let now = clock.now()
            if !sameAttempt || record.attempts == 0 { record.attempts += 1 }
            record.updatedAt = now
            switch outcome {
            case .sent, .delivered:
                let target: InterchangeStatus = outcome == .sent ? .sent : .delivered
                // A receipt can beat the transport's own acknowledgement; then there is nothing left to move.
                if record.status.canMove(to: target) { record.status = target }
                record.lastError = nil
                record.nextAttemptAt = nil
            case .failed(let reason):
                guard !record.status.isFinal else { return record }
                record.lastError = ExchangeDiagnostic.oneLine(reason)
                record.nextAttemptAt = retryable ? redelivery.next(afterAttempts: record.attempts, queuedAt: record.createdAt, now: now) : nil
                if retryable && record.nextAttemptAt == nil && record.awaitsDelivery {
                    record.lastError = (record.lastError ?? "") + "; " + redelivery.givenUp
                }
            }
            try access.updateInterchange(record)
            var details = AuditDetails()
            details["attempt"] = .int(Int64(record.attempts))
            if case .failed = outcome { details["failed"] = .bool(true) }
            try Self.audit(record, action: .interchangeStatus, actor: actor, at: now, access, extra: details)
            return try Self.stored(record, access)
        }
    }

    /// Stores a receipt that answers one of our interchanges, and the receiver's numbers with it. The same receipt
    /// arriving again changes nothing; a different one for an interchange already answered is refused.
    @discardableResult
    public func recordReceipt(_ envelope: Envelope, xml: [UInt8], actor: String) throws(DiariumError) -> InterchangeRecord {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        guard let receipt = envelope.receipt, let answered = envelope.references.first else {
            throw .invalid("messageType", "not a receipt: expected messageType receipt referring to the interchange it answers")
        }
        let text = String(decoding: xml, as: UTF8.self)
        let stored = try store.catalog.write { access in
            // We sent it, so we are its sender and the receipt's recipient.
            let own = try Self.requireIdentity(access)
            guard envelope.recipient == own else {
                throw DiariumError(.invalidField, "the receipt is addressed to \(envelope.recipient), not to this store (\(own))",
                                   field: "/interchange/recipient")
            }
            var record = try Self.requireInterchange(.outbound, own, answered, access)
            guard record.recipient == envelope.sender else {
                throw DiariumError(.invalidField, "receipt for \(answered) comes from \(envelope.sender), but it was sent to \(record.recipient)",
                                   field: "sender")
            }
            if let digest = receipt.payloadSHA256, digest != record.payloadSHA256 {
                throw DiariumError(.invalidField, "receipt for \(answered) answers a different payload (SHA-256 \(digest))",
                                   field: "receipt")
            }
            if record.status.isFinal {
                guard record.receipt == text else {
                    throw DiariumError(.invalidState, "interchange \(answered) already has a different receipt (\(record.status.rawValue))",
                                       field: "receipt")
                }
                return record
            }
            if receipt.status == .accepted {
                try Self.checkAssigned(receipt.assigned, answering: answered,
                                       sent: try access.outboundInterchangeDocuments(sender: envelope.recipient, controlReference: answered))
            }
            let now = clock.now()
            record.status = receipt.status == .accepted ? .accepted : .rejected
            record.receipt = text
            record.links = receipt.assigned
            record.lastError = nil
            record.updatedAt = now
            try access.updateInterchange(record)
            var details = AuditDetails()
            details["receipt"] = .string(envelope.controlReference.rawValue)
            details["links"] = .int(Int64(receipt.assigned.count))
            try Self.audit(record, action: .interchangeStatus, actor: actor, at: now, access, extra: details)
            return try Self.stored(record, access)
        }
        // Answered, however the receipt came: the files kept for a resend go (a crash before this leaves them to
        // `sweepOutbox`, which disposal runs).
        try? Self.removeOutboxFiles(answered, in: outboxDirectory)
        return stored
    }

    /// An acceptance says where each record sent went: every document the package carried once, and cases only of
    /// those documents. Anything else would record links to records never sent, or none for one that was, and the
    /// outbox would let go of its copy on the strength of it. (Interchanges queued before their documents were
    /// recorded cannot be held to this.)
    static func checkAssigned(_ assigned: [NumberLink], answering reference: ControlReference, sent: [DocumentNumber]) throws(DiariumError) {
        guard !sent.isEmpty else { return }
        let documents = Set(sent.map(\.description))
        let cases = Set(sent.map(\.caseNumber.description))
        func fail(_ message: String) -> DiariumError {
            DiariumError(.invalidField, "the receipt for \(reference) does not answer what was sent: \(message)", field: "receipt.assigned")
        }
        var linked = Set<String>()
        for link in assigned {
            if (try? DocumentNumber(parsing: link.senderNumber)) != nil {
                guard documents.contains(link.senderNumber) else { throw fail("it assigns a number to \(link.senderNumber), which it was not sent") }
                linked.insert(link.senderNumber)
            } else if !cases.contains(link.senderNumber) {
                throw fail("it assigns a number to case \(link.senderNumber), none of whose documents it was sent")
            }
        }
        let missing = sent.map(\.description).filter { !linked.contains($0) }.sorted()
        guard missing.isEmpty else {
            throw fail("it assigns no number to \(missing.prefix(5).joined(separator: ", "))" + (missing.count > 5 ? " and \(missing.count - 5) more" : ""))
        }
    }

    // MARK: Inbox

    /// Records an interchange that arrived (`delivered`), or recognises a redelivery. A known control reference
    /// with a different payload is refused: the sender reused a reference, and the first interchange stands.
    public func recordInbound(_ envelope: Envelope, actor: String) throws(DiariumError) -> InboundRecording {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        return try store.catalog.write { access in
            try Self.recordInbound(envelope, actor: actor, at: clock.now(), in: access)
        }
    }

    /// `recordInbound` inside a caller's transaction.
    public static func recordInbound(_ envelope: Envelope, actor: String, at now: Date, in access: CatalogAccess) throws -> InboundRecording {
        guard let payload = envelope.payload else {
            throw DiariumError(.invalidField, "a receipt is not delivered to the inbox: it answers an interchange in the outbox",
                               field: "messageType")
        }
        _ = try requireParty(envelope.sender, access)
        if let existing = try access.interchange(direction: .inbound, sender: envelope.sender, controlReference: envelope.controlReference) {
            guard existing.payloadSHA256 == payload.sha256, existing.messageType == envelope.messageType else {
                throw DiariumError(.alreadyExists, "control reference \(envelope.controlReference) from \(envelope.sender) was already used "
                                   + "for a different interchange; send this one under a new control reference", field: "controlReference")
            }
            return .duplicate(existing)
        }
        let record = InterchangeRecord(
            direction: .inbound, sender: envelope.sender, recipient: envelope.recipient, controlReference: envelope.controlReference,
            messageType: envelope.messageType, status: .delivered, references: envelope.references, payloadSHA256: payload.sha256,
            payloadSize: payload.size, receipt: nil, links: [], attempts: 1, lastError: nil, createdAt: now, updatedAt: now)
        try access.insertInterchange(record)
        try audit(record, action: .interchangeRecord, actor: actor, at: now, access)
        return .new(try stored(record, access))
    }

    /// Stores the receipt we answer an inbound interchange with, inside the caller's transaction (the one that
    /// registered its documents, for an accepted interchange).
    @discardableResult
    public static func answerInbound(sender: PartyID, controlReference: ControlReference, receipt: Envelope, xml: [UInt8],
                                     actor: String, at now: Date, in access: CatalogAccess) throws -> InterchangeRecord {
        guard let content = receipt.receipt else {
            throw DiariumError(.invalidField, "an answer must be a receipt", field: "messageType")
        }
        var record = try requireInterchange(.inbound, sender, controlReference, access)
        guard !record.status.isFinal else {
            throw DiariumError(.invalidState, "interchange \(controlReference) from \(sender) is already answered (\(record.status.rawValue))")
        }
        record.status = content.status == .accepted ? .accepted : .rejected
        record.receipt = String(decoding: xml, as: UTF8.self)
        record.links = content.assigned
        record.updatedAt = now
        try access.updateInterchange(record)
        var details = AuditDetails()
        details["receipt"] = .string(receipt.controlReference.rawValue)
        details["links"] = .int(Int64(content.assigned.count))
        if content.status == .rejected { details["diagnostics"] = .int(Int64(content.diagnostics.count)) }
        try audit(record, action: .interchangeStatus, actor: actor, at: now, access, extra: details)
        return try stored(record, access)
    }

    /// `answerInbound` in a transaction of its own.
    @discardableResult
    public func answerInbound(sender: PartyID, controlReference: ControlReference, receipt: Envelope, xml: [UInt8],
                              actor: String) throws(DiariumError) -> InterchangeRecord {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        return try store.catalog.write { access in
            try Self.answerInbound(sender: sender, controlReference: controlReference, receipt: receipt, xml: xml, actor: actor,
                                   at: clock.now(), in: access)
        }
    }

    // MARK: Listing

    /// Newest first; `concerning` some series only (see `series(of:)`), or all of them; `after`: the page after the
    /// one that ended with this interchange.
    public func interchanges(direction: InterchangeDirection? = nil, peer: PartyID? = nil, concerning series: Set<SeriesCode>? = nil,
                             after: InterchangeKey? = nil, limit: Int = 1000) throws(DiariumError) -> [InterchangeRecord] {
        try store.catalog.read { try $0.interchanges(direction: direction, peer: peer, concerning: series, after: after, limit: max(1, limit)) }
    }

    public func interchange(direction: InterchangeDirection, sender: PartyID, controlReference: ControlReference) throws(DiariumError) -> InterchangeRecord {
        try store.catalog.read { access in try Self.requireInterchange(direction, sender, controlReference, access) }
    }

    // MARK: Helpers

    /// Audit objects: `party:ID` and `interchange:in:SENDER/REF` / `interchange:out:SENDER/REF`.
    public static func auditObject(party: PartyID) -> String { "party:\(party)" }

    public static func auditObject(_ record: InterchangeRecord) -> String { "interchange:\(record.key)" }

    static func audit(_ record: InterchangeRecord, action: AuditAction, actor: String, at now: Date, _ access: CatalogAccess,
                      extra: AuditDetails = AuditDetails()) throws {
        var details = extra
        details["type"] = .string(record.messageType.rawValue)
        details["status"] = .string(record.status.rawValue)
        details["peer"] = .string(record.peer.rawValue)
        if let digest = record.payloadSHA256 { details["sha256"] = .string(digest) }
        try access.appendAudit(at: now, actor: actor, action: action, object: auditObject(record), version: nil, details: details.json)
    }

    /// The record as the catalog now holds it (times at stored precision), so what a call returns equals what a
    /// later read finds.
    static func stored(_ record: InterchangeRecord, _ access: CatalogAccess) throws -> InterchangeRecord {
        try requireInterchange(record.direction, record.sender, record.controlReference, access)
    }

    /// `field`: what the request named it by (a send's `to`).
    static func requireParty(_ id: PartyID, field: String = "party", _ access: CatalogAccess) throws -> Party {
        guard let party = try access.party(id) else {
            throw DiariumError(.notFound, "party \(id) does not exist (add it with `diarium party add`)", field: field)
        }
        return party
    }

    static func requireInterchange(_ direction: InterchangeDirection, _ sender: PartyID, _ reference: ControlReference,
                                   _ access: CatalogAccess) throws -> InterchangeRecord {
        guard let record = try access.interchange(direction: direction, sender: sender, controlReference: reference) else {
            let box = direction == .inbound ? "inbox" : "outbox"
            throw DiariumError(.notFound, "no interchange \(reference) from \(sender) in the \(box)", field: "controlReference")
        }
        return record
    }

    /// An absolute http or https URL with a host, no credentials, query or fragment: the inbox path is appended to it.
    static func checkedURL(_ text: String) throws(DiariumError) -> String {
        let trimmed = try TextRules.line(text, field: "url", maxLength: 2000)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil, components.query == nil, components.fragment == nil
        else {
            throw .invalid("url", "invalid party URL '\(trimmed)': use http(s)://host[:port][/path], without credentials, query or fragment")
        }
        return trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed
    }

    /// Tokens go into an Authorization header: printable ASCII without spaces, long enough not to be guessed.
    static func checkedToken(_ token: String, field: String) throws(DiariumError) -> String {
        guard (16...512).contains(token.utf8.count), token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .invalid(field, "a party token must be 16–512 printable ASCII characters without spaces")
        }
        return token
    }
}
