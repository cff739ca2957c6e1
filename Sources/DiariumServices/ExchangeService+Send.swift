#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExchange
import DiariumStorage
import Foundation

/// What to send to whom, and how.
public struct SendRequest: Sendable {
    public enum Selection: Sendable, Equatable {
        /// A case with all its documents (`caseTransfer`).
        case caseFile(CaseNumber)
        /// Chosen documents (`documentDelivery`).
        case documents([DocumentNumber])
    }

    public var selection: Selection
    public var recipient: PartyID
    /// `eark-sip`: envelope + package; `edifact`: a DIAREC interchange + the package beside it (files only).
    public var format: PayloadFormat
    /// A directory to write the interchange into for other transport; nil delivers to the party's inbox over HTTP.
    public var output: String?

    public init(selection: Selection, recipient: PartyID, format: PayloadFormat = .earkSIP, output: String? = nil) {
        self.selection = selection
        self.recipient = recipient
        self.format = format
        self.output = output
    }
}

/// Where a send or resend ended: the outbox entry, the receipt when the receiver answered, the files written for
/// other transport, and the last transport failure when delivery gave up (the interchange stays in the outbox).
public struct SendResult: Sendable {
    public let record: InterchangeRecord
    public let receipt: Receipt?
    public let files: [String]
    public let failure: String?
}

extension ExchangeService {
    /// `store_info` key of the party id this store goes by in exchanges (the envelope's sender when it sends).
    static let identityKey = "exchange_party_id"

    /// The outbox's files: `REF.xml` (envelope) and `REF.tar` (package) of each interchange not yet answered, kept so
    /// every resend carries the same bytes under the same control reference. Removed once the receipt is stored.
    public var outboxDirectory: String { Self.outboxDirectory(ofStoreAt: store.root) }

    static func outboxDirectory(ofStoreAt root: String) -> String { root + "/exchange/outbox" }

    // MARK: Identity

    public func identity() throws(DiariumError) -> PartyID? {
        try store.catalog.read { access in try access.info(Self.identityKey).flatMap { PartyID(rawValue: $0) } }
    }

    /// Sets the party id partners know this store by. Set once: partners register documents under it, so it cannot
    /// silently change. Audited as `party.add` of `party:ID` with `"self": true`.
    public func setIdentity(_ id: PartyID, actor: String) throws(DiariumError) {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        let now = clock.now()
        try store.catalog.write { access in
            if let current = try access.info(Self.identityKey) {
                if current == id.rawValue { return }
                throw DiariumError(.invalidState, "this store is already party \(current) in exchanges (partners know it by that id)",
                                   field: "id")
            }
            if try access.party(id) != nil {
                throw DiariumError(.invalidField, "\(id) is the id of a partner (see `diarium party list`), not of this store", field: "id")
            }
            try access.setInfo(Self.identityKey, id.rawValue)
            var details = AuditDetails()
            details["self"] = .bool(true)
            try access.appendAudit(at: now, actor: actor, action: .partyAdd, object: Self.auditObject(party: id), version: nil,
                                   details: details.json)
        }
    }

    static func requireIdentity(_ access: CatalogAccess) throws -> PartyID {
        guard let text = try access.info(identityKey), let id = PartyID(rawValue: text) else {
            throw DiariumError(.invalidState, "this store has no party id for exchanges yet (set it with `diarium exchange identity ID`)",
                               field: "identity")
        }
        return id
    }

    // MARK: Sending

    /// Sends a case or documents: exports them (current versions with content) as an E-ARK package, writes the
    /// envelope under a new control reference, queues it in the outbox (`interchange.record`), then either writes
    /// the interchange into `request.output` (`sent`) or delivers it to the party's inbox with retries (`deliver`).
    public func send(_ request: SendRequest, records: RecordsService, transport: InterchangeSender = InterchangeSender(),
                     actor: String) async throws(DiariumError) -> SendResult {
        switch try queue(request, records: records, actor: actor) {
        case .written(let result): return result
        case .queued(let reference): return try await deliver(reference, transport: transport, actor: actor)
        }
    }

    /// Where `queue` left a send: written for other transport (done), or in the outbox to be delivered.
    public enum QueuedSend: Sendable {
        case written(SendResult)
        case queued(ControlReference)
    }

    /// `send`'s part that blocks (the export, the files, the outbox entry), for a caller that runs it on a thread
    /// pool of its own and delivers after (`prepareDelivery`, the transport, `finishDelivery`).
    public func queue(_ request: SendRequest, records: RecordsService, actor: String) throws(DiariumError) -> QueuedSend {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        let (own, party, credentials) = try store.catalog.read { access in
            (try Self.requireIdentity(access), try Self.requireParty(request.recipient, field: "to", access),
             try access.partyCredentials(request.recipient))
        }
        if request.output == nil {
            guard request.format == .earkSIP else {
                throw .invalid("format", "an EDIFACT interchange is written to files for other transport: give --out DIR")
            }
            guard party.url != nil, credentials?.outboundToken != nil else {
                throw .invalid("to", "party \(party.id) has no inbox URL and token: give --out DIR to write the interchange for other transport")
            }
        }
        let messageType: InterchangeMessageType
        switch request.selection {
        case .caseFile:
            messageType = .caseTransfer
        case .documents(let numbers):
            guard !numbers.isEmpty else { throw .invalid("documents", "name at least one document to send") }
            messageType = .documentDelivery
        }
        // Describing first checks the selection (it exists, it holds documents) before anything is written.
        let description = try Self.describe(request.selection, messageType: messageType, records: records)
        // The package holds what was described, and the outbox records that: a document registered into the case
        // while the package is made waits for the next interchange (recorded as sent but missing from the package, the
        // receiver's acceptance could never name it).
        let sent = description.documents.map(\.number)
        let selection = ExportRequest.Selection.documents(sent)

        let now = clock.now()
        let reference = ControlReference.generate(at: now)
        let directory = request.output ?? outboxDirectory
        try ExchangeFiles.makeDirectory(directory)
        let packagePath = "\(directory)/\(reference).tar"
        var written: [String] = []
        do throws(DiariumError) {
            written.append(packagePath)
            writingUnrecorded?(packagePath)
            // The organisation the store keeps records for, else the party id partners know it by.
            var organisation = try records.organisation()
            if organisation == nil { organisation = try Organisation(name: own.rawValue) }
            var export = ExportRequest(selection: selection, format: .earkTar, versions: .final, output: packagePath,
                                       organisation: organisation)
            // The receiver registers what it is sent: a disposed document's registration is this store's record.
            export.includingDisposed = false
            _ = try records.exportPackage(export, actor: actor)
            let payload: PayloadDescriptor
            if request.format == .edifact {
                let edi = try EDIFACTTransfer(sender: own, recipient: party.id, controlReference: reference, created: now,
                                              transfer: description).edifact()
                let ediPath = "\(directory)/\(reference).edi"
                written.append(ediPath)
                writingUnrecorded?(ediPath)
                try ExchangeFiles.writeAtomically(edi, to: ediPath)
                payload = try PayloadDescriptor(name: "\(reference).edi", size: Int64(edi.count), sha256: SHA256Hex.of(edi), format: .edifact)
            } else {
                let (sha256, size) = try ExchangeFiles.digest(packagePath)
                payload = try PayloadDescriptor(name: "\(reference).tar", size: size, sha256: sha256, format: .earkSIP)
            }
            let envelope = try Envelope(sender: own, recipient: party.id, controlReference: reference, created: now,
                                        messageType: messageType, content: .payload(payload))
            if request.format == .earkSIP {
                let envelopePath = "\(directory)/\(reference).xml"
                written.append(envelopePath)
                writingUnrecorded?(envelopePath)
                try ExchangeFiles.writeAtomically(envelope.xml(), to: envelopePath)
            }
            let commit = { () throws(DiariumError) in _ = try self.queueOutbound(envelope, documents: sent, actor: actor) }
            if let recording {
                var failure: DiariumError?
                recording {
                    do throws(DiariumError) { try commit() } catch { failure = error }
                    // A commit whose outcome is unknown may have recorded the interchange: its files stay.
                    return failure == nil || failure!.outcomeUnknown
                }
                if let failure { throw failure }
            } else {
                try commit()
            }
        } catch {
            // Unless the interchange may have been recorded after all (then it needs them, and a sweep takes them
            // once the catalog says it does not).
            if !error.outcomeUnknown { for path in written { unlink(path) } }
            throw error
        }
        guard request.output != nil else { return .queued(reference) }
        let record = try recordAttempt(sender: own, controlReference: reference, outcome: .sent, actor: actor)
        return .written(SendResult(record: record, receipt: nil, files: written.sorted(), failure: nil))
    }

    /// An outbox interchange ready to go: the request to its party's inbox, and what the answer is checked against.
    public struct PreparedDelivery: Sendable {
        public let delivery: OutboundDelivery
        let own: PartyID
        let party: PartyID
        public let reference: ControlReference
        let envelopePath: String
        let packagePath: String
    }

    /// Delivers (again) an outbox interchange to its party's inbox with the bytes kept in the outbox: same control
    /// reference, same payload, so a receiver that already registered it answers with the same receipt. Each
    /// attempt is recorded (`interchange.status`); the receipt is stored with the receiver's numbers.
    public func deliver(_ reference: ControlReference, transport: InterchangeSender = InterchangeSender(),
                        actor: String) async throws(DiariumError) -> SendResult {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        let prepared = try prepareDelivery(reference)
        var recordingError: DiariumError?
        let outcome = await transport.deliver(prepared.delivery) { attempt, result in
            do throws(DiariumError) {
                try self.recordFailedAttempt(prepared, result, actor: actor)
                // Another attempt follows in this process, which keeps the interchange leased meanwhile (recording the
                // failure scheduled the next automatic one).
                if case .failure(let failure) = result, failure.retryable, attempt < transport.policy.maxAttempts {
                    try self.lease(reference) { () throws(DiariumError) in
                        try self.reschedule(prepared.own, reference, at: self.clock.now().addingTimeInterval(self.redelivery.lease))
                    }
                }
            } catch {
                recordingError = recordingError ?? error
            }
        }
        if let recordingError { throw recordingError }
        return try finishDelivery(prepared, outcome: outcome, actor: actor)
    }

    /// `deliver`'s first part: the outbox entry checked (not answered, not withdrawn) and its request made from the
    /// bytes kept in the outbox. The interchange is leased for the attempt (`RedeliverySchedule.lease`): no server
    /// starts another by itself meanwhile.
    public func prepareDelivery(_ reference: ControlReference) throws(DiariumError) -> PreparedDelivery {
        try prepare(reference, leasing: true)
    }

    /// `prepareDelivery` for an automatic attempt: the interchange is leased only while it is still due (the due list
    /// may be stale: another process took it, a person's resend moved it on); nil when it is not.
    public func prepareDueDelivery(_ reference: ControlReference) throws(DiariumError) -> PreparedDelivery? {
        let now = clock.now()
        var leased = false
        try lease(reference) { () throws(DiariumError) in
            leased = try store.catalog.write { access in
                try access.leaseInterchange(controlReference: reference, ifDueAt: now, until: now.addingTimeInterval(redelivery.lease))
            }
        }
        return leased ? try prepare(reference, leasing: false) : nil
    }

    /// A write that leases `reference`, through `leasing` when it is set.
    func lease(_ reference: ControlReference, _ write: () throws(DiariumError) -> Void) throws(DiariumError) {
        guard let leasing else { return try write() }
        var failure: DiariumError?
        leasing(reference) {
            do throws(DiariumError) { try write() } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func prepare(_ reference: ControlReference, leasing: Bool) throws(DiariumError) -> PreparedDelivery {
        let (own, record, party, credentials) = try store.catalog.read { access in
            let own = try Self.requireIdentity(access)
            let record = try Self.requireInterchange(.outbound, own, reference, access)
            return (own, record, try Self.requireParty(record.recipient, access), try access.partyCredentials(record.recipient))
        }
        guard !record.status.isFinal else {
            throw DiariumError(.invalidState, "interchange \(reference) is already \(record.status.rawValue): nothing to resend",
                               field: "controlReference")
        }
        if let withdrawn = record.withdrawnAt {
            throw DiariumError(.invalidState, "interchange \(reference) was withdrawn (\(Timestamp.format(withdrawn))): nothing to resend",
                               field: "controlReference")
        }
        if record.status == .sent {
            throw DiariumError(.invalidState, "interchange \(reference) was written for other transport: its files are where it was "
                               + "written, not in the outbox", field: "controlReference")
        }
        // The party's state, not a mistake in the request: what a resend names is right, the party must be set up first.
        guard let url = party.url else {
            throw DiariumError(.invalidState, "party \(party.id) has no inbox URL to deliver to: give it one (`diarium party update "
                               + "\(party.id) --url URL`), or withdraw the interchange")
        }
        guard let token = credentials?.outboundToken else {
            throw DiariumError(.invalidState, "party \(party.id) has no token to present to its inbox: give it one (`diarium party "
                               + "update \(party.id) --token-file FILE`), or withdraw the interchange")
        }
        let envelopePath = "\(outboxDirectory)/\(reference).xml"
        let packagePath = "\(outboxDirectory)/\(reference).tar"
        guard ExchangeFiles.exists(envelopePath), ExchangeFiles.exists(packagePath) else {
            throw DiariumError(.notFound, "interchange \(reference) has no files in the outbox (\(outboxDirectory)): it was written "
                                           + "for other transport, or its files were removed", field: "controlReference")
        }
        let envelope = try ExchangeFiles.readSmall(envelopePath, limit: Envelope.maxBytes, field: "envelope")
        let delivery = try OutboundDelivery(partyURL: url, token: token, envelope: envelope, packagePath: packagePath)
        if leasing {
            try lease(reference) { () throws(DiariumError) in
                try reschedule(own, reference, at: clock.now().addingTimeInterval(redelivery.lease))
            }
        }
        return PreparedDelivery(delivery: delivery, own: own, party: party.id, reference: reference, envelopePath: envelopePath,
                                packagePath: packagePath)
    }

    /// Records an attempt that failed (`interchange.status`), before the next one; nothing for one that was answered.
    public func recordFailedAttempt(_ prepared: PreparedDelivery, _ result: Result<[UInt8], TransportFailure>,
                                    actor: String) throws(DiariumError) {
        guard case .failure(let failure) = result else { return }
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        _ = try recordAttempt(sender: prepared.own, controlReference: prepared.reference, outcome: .failed(failure.message),
                              retryable: failure.retryable, actor: actor)
    }

    // MARK: Redelivery

    /// Outbound interchanges whose next attempt is due now, the longest waiting first, with their parties.
    public func dueForRedelivery(limit: Int = 100) throws(DiariumError) -> [(reference: ControlReference, party: PartyID)] {
        let now = clock.now()
        return try store.catalog.read { access in try access.interchangesDue(at: now, limit: max(1, limit)) }
    }

    /// A due interchange not attempted now, because its party did not answer another one a moment ago: it waits as
    /// long as that one (`until`). Only while it is still due: another process may have leased it since the due list
    /// was read, or a person's resend left it to a person.
    public func postponeRedelivery(_ reference: ControlReference, until: Date) throws(DiariumError) {
        let now = clock.now()
        _ = try store.catalog.write { access in try access.leaseInterchange(controlReference: reference, ifDueAt: now, until: until) }
    }

    /// A due interchange that could not be prepared for a reason that may pass (the store busy or failing, a file
    /// that could not be read): tried again after the wait its attempts so far give, within its week, else left to a
    /// person. The reason is where a clerk looks (`lastError`).
    public func postponeRedelivery(_ reference: ControlReference, because error: DiariumError) throws(DiariumError) {
        guard let own = try identity() else { return }
        let now = clock.now()
        try store.catalog.write { access in
            var record = try Self.requireInterchange(.outbound, own, reference, access)
            guard record.awaitsDelivery else { return }
            record.nextAttemptAt = redelivery.next(afterAttempts: max(1, record.attempts), queuedAt: record.createdAt, now: now)
            record.lastError = ExchangeDiagnostic.oneLine("not attempted: \(error.message)"
                                                          + (record.nextAttemptAt == nil ? "; " + redelivery.givenUp : ""))
            try access.updateInterchange(record)
        }
    }

    /// A due interchange whose attempt could not even be prepared: one that cannot be attempted at all (its party has
    /// no URL or token, its files are gone, it was answered or withdrawn meanwhile) is left to a person
    /// (`stopRedelivery`); one that failed for a reason that may pass (the store busy or failing) is tried again later
    /// (`postponeRedelivery`). True when it was left to a person. The one rule for a server and `resend --due`.
    @discardableResult
    public func leaveUnattempted(_ reference: ControlReference, because error: DiariumError) throws(DiariumError) -> Bool {
        let stops = [.invalidField, .notFound, .invalidState].contains(error.code)
        if stops {
            try stopRedelivery(reference, because: error)
        } else {
            try postponeRedelivery(reference, because: error)
        }
        return stops
    }

    /// Outbound interchanges still to be delivered: `scheduled` to be tried again by a server, `stalled` waiting for a
    /// person (`exchange resend` or `withdraw`).
    public func outboxWaiting() throws(DiariumError) -> (scheduled: Int, stalled: Int) {
        try store.catalog.read { access in try access.outboxWaiting() }
    }

    /// Moves the next attempt of an interchange still to be delivered: `at` nil leaves it to a person. Not audited:
    /// when a machine will try is not a fact of the record; the attempts are (`interchange.status`).
    /// `onlyIfLeased`: only while an attempt holds it (an attempt's outcome recorded meanwhile, a next time or none, stands).
    func reschedule(_ own: PartyID, _ reference: ControlReference, at next: Date?, lastError: String? = nil,
                    onlyIfLeased: Bool = false) throws(DiariumError) {
        let now = clock.now()
        try store.catalog.write { access in
            var record = try Self.requireInterchange(.outbound, own, reference, access)
            guard record.awaitsDelivery else { return }
            if onlyIfLeased {
                guard let held = record.nextAttemptAt, redelivery.isLease(held, now: now) else { return }
            }
            record.nextAttemptAt = next
            if let lastError { record.lastError = ExchangeDiagnostic.oneLine(lastError) }
            try access.updateInterchange(record)
        }
    }

    /// Whether an attempt holds the interchange now: its next attempt is a lease, not a time the schedule set.
    public func attemptUnderWay(_ record: InterchangeRecord) -> Bool {
        guard record.awaitsDelivery, let next = record.nextAttemptAt else { return false }
        return redelivery.isLease(next, now: clock.now())
    }

    /// An attempt that was not made after all (its process stopping): the interchange is due again at once, not
    /// after the lease. Only while the attempt still holds it: an outcome recorded meanwhile stands.
    public func releaseAttempt(_ reference: ControlReference) throws(DiariumError) {
        guard let own = try identity() else { return }
        try reschedule(own, reference, at: clock.now(), onlyIfLeased: true)
    }

    /// A due interchange that cannot be attempted (its party lost its URL or token, its files are gone): no more
    /// automatic attempts, and the reason where a clerk looks (`lastError`).
    public func stopRedelivery(_ reference: ControlReference, because error: DiariumError) throws(DiariumError) {
        guard let own = try identity() else { return }
        try reschedule(own, reference, at: nil, lastError: "not tried again by itself: \(error.message)")
    }

    /// `deliver`'s last part: the answer checked and its receipt stored with the receiver's numbers (the outbox files
    /// then go), or the interchange left in the outbox with the last failure.
    public func finishDelivery(_ prepared: PreparedDelivery, outcome: Result<[UInt8], TransportFailure>,
                               actor: String) throws(DiariumError) -> SendResult {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        let (own, reference, envelopePath, packagePath) = (prepared.own, prepared.reference, prepared.envelopePath, prepared.packagePath)
        let partyID = prepared.party
        switch outcome {
        case .failure(let failure):
            let current = try interchange(direction: .outbound, sender: own, controlReference: reference)
            return SendResult(record: current, receipt: nil, files: [], failure: failure.message)
        case .success(let bytes):
            try recordAttempt(sender: own, controlReference: reference, outcome: .delivered, actor: actor)
            let answer: Envelope
            do throws(DiariumError) {
                answer = try Envelope.read(bytes, source: "receipt from \(partyID)")
            } catch {
                let current = try recordAttempt(sender: own, controlReference: reference,
                                                outcome: .failed("the inbox answered with an invalid receipt: \(error.message)"),
                                                sameAttempt: true, actor: actor)
                return SendResult(record: current, receipt: nil, files: [], failure: error.message)
            }
            // Only a receipt from this party answering this interchange: one that answers another would be stored on
            // that one, and this one's files removed with no answer recorded.
            guard answer.receipt != nil, answer.sender == partyID, answer.references == [reference] else {
                // What is wrong with it, in those terms: who sent it, or what it answers.
                let answers = answer.references.map(\.rawValue).joined(separator: ", ")
                let message = answer.receipt == nil ? "the inbox answered \(reference) with an envelope that is not a receipt"
                    : answer.sender != partyID ? "the inbox answered with a receipt from \(answer.sender), not from \(partyID)"
                    : "the inbox answered with a receipt for \(answers.isEmpty ? "no interchange" : answers), not for \(reference)"
                let current = try recordAttempt(sender: own, controlReference: reference, outcome: .failed(message), sameAttempt: true,
                                                actor: actor)
                return SendResult(record: current, receipt: nil, files: [], failure: message)
            }
            let stored: InterchangeRecord
            do throws(DiariumError) {
                stored = try recordReceipt(answer, xml: bytes, actor: actor)
            } catch where error.code == .invalidField {
                // The inbox answered, but not with an answer to this interchange as sent (another payload, numbers
                // for records it was not sent): the attempt failed, and the copy stays in the outbox.
                let message = "the inbox answered with a receipt that cannot be taken: \(error.message)"
                let current = try recordAttempt(sender: own, controlReference: reference, outcome: .failed(message), sameAttempt: true,
                                                actor: actor)
                return SendResult(record: current, receipt: nil, files: [], failure: message)
            }
            // The receipt is stored; the bytes are no longer needed for a resend.
            unlink(envelopePath)
            unlink(packagePath)
            return SendResult(record: stored, receipt: answer.receipt, files: [], failure: nil)
        }
    }

    /// What is sent, as the EDIFACT interchange describes it: current versions, content paths as the package names
    /// them (`PackageNaming.contentPath` of the current version).
    static func describe(_ selection: SendRequest.Selection, messageType: InterchangeMessageType,
                         records: RecordsService) throws(DiariumError) -> TransferredRecords {
        var caseFile: TransferredCase?
        var documents: [DocumentRecord] = []
        switch selection {
        case .caseFile(let number):
            let details = try records.caseDetails(number)
            caseFile = TransferredCase(number: number, title: details.record.title, publicTitle: details.record.publicTitle,
                                       restriction: details.record.restriction, classification: details.record.classification)
            // Disposed documents are left out of the package too (`exportPackage`).
            documents = details.documents.filter { $0.disposal == nil }
            guard !documents.isEmpty else {
                throw DiariumError(.invalidState, "case \(number) holds no document to send"
                                   + (details.documents.isEmpty ? "" : " (its documents were disposed of)")
                                   + ": a receiver registers what it is sent", field: "case")
            }
        case .documents(let numbers):
            for number in numbers {
                let document = try records.document(number)
                if let disposal = document.disposal {
                    // A state of the document (as for disposal and holds), not a request for content that is gone.
                    throw DiariumError(.invalidState, "\(number) was disposed of (\(disposal.summary)): a receiver registers what it is "
                                       + "sent, and its content is gone", field: "documents")
                }
                documents.append(document)
            }
        }
        var transferred: [TransferredDocument] = []
        for document in documents {
            // The version the package carries: a file whose name an earlier restriction hid goes under its number there,
            // and so here (the EDIFACT named it as stored, which the receiver was not to see).
            let current = RecordsService.finalVersion(document, nameHiddenEarlier: try records.documentForAccess(document.number).nameHiddenEarlier)
            transferred.append(TransferredDocument(
                number: document.number, metadata: current.metadata, status: document.status, registeredAt: document.registeredAt,
                file: current.content.map { content in
                    TransferredFile(path: PackageNaming.contentPath(document: document.number, version: current.number,
                                                                    originalName: content.originalName),
                                    originalName: content.originalName, mediaType: content.mediaType, size: content.size, sha256: content.sha256)
                }))
        }
        return try TransferredRecords(messageType: messageType, caseFile: caseFile, documents: transferred)
    }
}
