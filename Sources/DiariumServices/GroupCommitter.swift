import DiariumCore
import DiariumStorage
import Foundation
import Synchronization

/// Registers single documents from many concurrent callers (HTTP uploads) with group commit. Each caller stages
/// its own file (copy, hash, text extraction) on its own thread; then whoever finds no commit running becomes the
/// leader, makes the files of everything waiting durable together and writes their documents in one catalog
/// transaction (one WAL sync), while the others wait for their result. Under load a commit carries as many documents
/// as arrived during the previous one; alone, a caller commits just its own.
///
/// A batch's files are made durable with two syncs of the file system (`BlobPublisher.Durability.fileSystem`:
/// the bytes, then the names) instead of two fsyncs per file: one device flush for the batch. With 16 uploaders that
/// took a sixth off the server's kernel time, and, while a 1 GiB upload was arriving, the small uploads' p99 from
/// ~310 to ~41 ms (each fsync had queued behind the large file's write-back). A lone file keeps its own fsyncs.
/// (A file published for a registration that then fails is removed again unless a committed row names it: the
/// catalog never names content that is not durable, and a refused upload leaves nothing.)
///
/// Each caller sleeps on a semaphore of its own and is woken once: with its result, or to lead the next commit
/// (the first caller that arrived during a commit leads the next one). One condition for all woke every waiter at
/// every commit, also those whose document was not in it.
///
/// Callers block (the leader does the I/O on its own thread), so call from a thread pool with enough threads for
/// the expected concurrency, never from an event loop.
public final class GroupCommitter: Sendable {
    /// One caller's registration. `result` is written by the leader of its commit before `wake` is signalled, and
    /// read by the caller after it: the semaphore orders the two.
    private final class Ticket: @unchecked Sendable {
        let document: NewDocument
        let staged: StagedContent?
        let caseNumber: CaseNumber
        let actor: String
        let wake = DispatchSemaphore(value: 0)
        var result: Result<DocumentRecord, DiariumError>?

        init(document: NewDocument, staged: StagedContent?, caseNumber: CaseNumber, actor: String) {
            self.document = document
            self.staged = staged
            self.caseNumber = caseNumber
            self.actor = actor
        }
    }

    private struct State {
        /// Callers whose documents the next commit writes, in arrival order.
        var waiting: [Ticket] = []
        /// A leader is writing: whoever arrives waits, and the first of them leads next.
        var committing = false
        var commits = 0
        var documents = 0
    }

    private let state = Mutex(State())

    /// Commits so far, and the documents they wrote (for tests and metrics).
    public var commits: Int { state.withLock { $0.commits } }
    public var documents: Int { state.withLock { $0.documents } }
    /// Callers waiting for the next commit (for tests).
    var waiting: Int { state.withLock { $0.waiting.count } }

    public init() {}

    /// Registers one document in `caseNumber`; returns once it is durable and committed.
    public func register(_ document: NewDocument, in caseNumber: CaseNumber, actor: String, using service: RecordsService) throws(DiariumError) -> DocumentRecord {
        let actor = try service.checkedActor(actor)
        try service.checkStillHolds(document.metadata.restriction)
        let document = try RecordsService.prepared(document)
        try service.store.catalog.read { access in
            _ = try RecordsService.requireOpenCase(caseNumber, access)
            try access.requireClass(document.metadata.classification)
        }
        let staged = try service.stage([document])[0]
        let publisher = service.store.blobs.publisher
        let blobs = staged.map { [$0.blob] } ?? []
        let ticket = Ticket(document: document, staged: staged, caseNumber: caseNumber, actor: actor)

        let leads = state.withLock { state in
            state.waiting.append(ticket)
            if state.committing { return false }
            state.committing = true
            return true
        }
        if !leads {
            ticket.wake.wait()
        }
        if ticket.result == nil {
            // Leading: this ticket is the first of those waiting.
            let batch = state.withLock { state in
                defer { state.waiting = [] }
                return state.waiting
            }
            let results = Self.publishAndCommit(batch, service: service, publisher: publisher)
            for (item, result) in zip(batch, results) { item.result = result }
            // The refused registrations' files go in one write for the batch, before the next commit: one clean-up
            // per caller would queue each behind the others and behind the next batch (a minute each, were the
            // batch refused for want of the lock).
            // Not those of a commit whose outcome is unknown (a disk failure): it may come back when the catalog is
            // next opened, and must find its files.
            let refused = zip(batch, results).compactMap { item, result -> StagedBlob? in
                if case .failure(let error) = result, !error.outcomeUnknown { return item.staged?.blob }
                return nil
            }
            publisher.removeUnrecorded(refused, catalog: service.store.catalog)
            let next = state.withLock { state -> Ticket? in
                state.commits += 1
                state.documents += batch.count
                if let first = state.waiting.first { return first }
                state.committing = false
                return nil
            }
            next?.wake.signal()
            for item in batch where item !== ticket { item.wake.signal() }
        }
        publisher.release(blobs)
        return try ticket.result!.get()
    }

    /// Makes the batch's files durable and visible, then writes its documents. Files that cannot be published fail
    /// the whole batch (a disk error); those already linked go with the batch's other refused files (`register`).
    private static func publishAndCommit(_ batch: [Ticket], service: RecordsService,
                                         publisher: BlobPublisher) -> [Result<DocumentRecord, DiariumError>] {
        let blobs = batch.compactMap { $0.staged?.blob }
        do {
            try publisher.publish(blobs, durability: .batch(of: blobs.count))
        } catch {
            return batch.map { _ in .failure(error) }
        }
        return commit(batch, service: service, publisher: publisher)
    }

    /// Writes the batch in one transaction, all documents together. Should the catalog refuse one of them, that is
    /// rolled back and the batch written again with each document in its own savepoint, so that one document whose
    /// case closed meanwhile fails alone. Not savepoints from the start: FTS5 writes the terms it holds out as a new
    /// index segment at every savepoint, which made a segment per upload.
    private static func commit(_ batch: [Ticket], service: RecordsService, publisher: BlobPublisher) -> [Result<DocumentRecord, DiariumError>] {
        var refusedDocument = false
        do {
            return try write(batch, service, publisher, savepoints: false, refused: &refusedDocument)
        } catch {
            // The transaction or the database failed (the lock, the disk), or a lone document was refused: no second try.
            guard refusedDocument, batch.count > 1 else { return batch.map { _ in .failure(error) } }
        }
        do {
            return try write(batch, service, publisher, savepoints: true, refused: &refusedDocument)
        } catch {
            return batch.map { _ in .failure(error) }
        }
    }

    /// One transaction for the batch. With `savepoints` a refused document fails alone; without, it sets `refused`
    /// and fails the transaction.
    private static func write(_ batch: [Ticket], _ service: RecordsService, _ publisher: BlobPublisher, savepoints: Bool,
                              refused: inout Bool) throws(DiariumError) -> [Result<DocumentRecord, DiariumError>] {
        try service.store.catalog.write { access in
            // Read once the write lock is held (it can take seconds to get): audit times then follow the
            // sequence numbers, and registration times the document ids.
            let now = service.clock.now()
            return try batch.map { ticket in
                do {
                    let one = { try insert(ticket, at: now, access, publisher) }
                    return .success(try savepoints ? access.savepoint(one) : access.mappingRefusedRows(one))
                } catch let error as DiariumError where savepoints {
                    return .failure(error)
                } catch let error as DiariumError {
                    refused = true
                    throw error
                }
            }
        }
    }

    private static func insert(_ ticket: Ticket, at now: Date, _ access: CatalogAccess, _ publisher: BlobPublisher) throws -> DocumentRecord {
        let caseID = try RecordsService.requireOpenCase(ticket.caseNumber, access)
        try access.requireClass(ticket.document.metadata.classification)
        let ordinal = try access.nextOrdinal(caseID: caseID)
        let number = try DocumentNumber.next(in: ticket.caseNumber, ordinal: ordinal)
        var content: ContentReference?
        if let item = ticket.staged {
            try access.insertBlob(item.blob, at: now, publishedIn: publisher)
            if let extracted = item.extracted {
                try access.insertRendition(sha256: item.blob.sha256, extracted.rendition, text: extracted.text, at: now)
            }
            if let format = item.format { try access.setFormat(sha256: item.blob.sha256, format) }
            content = ContentReference(sha256: item.blob.sha256, size: item.blob.size, mediaType: ticket.document.mediaType!,
                                       originalName: ticket.document.originalName!)
        }
        let version = DocumentVersion(number: 1, change: .registered, author: ticket.actor, createdAt: now, comment: nil,
                                      status: RecordRules.registeredStatus(ticket.document.metadata.direction), metadata: ticket.document.metadata,
                                      content: content)
        _ = try access.insertDocument(caseID: caseID, ordinal: ordinal, version: version)
        try access.appendAudit(at: now, actor: ticket.actor, action: .documentRegister, object: number.description,
                               version: 1, details: RecordsService.details(for: version, of: number, sealedBy: access).json)
        return DocumentRecord(number: number, registeredAt: now, registeredBy: ticket.actor, current: version)
    }
}
