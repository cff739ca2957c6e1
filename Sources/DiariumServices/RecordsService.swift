#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExchange
import DiariumExtraction
import DiariumStorage
import Foundation

/// A document to register: its file (or bytes already in memory, or neither for a paper original) and its metadata.
public struct NewDocument: Sendable {
    public var file: String?
    /// Content given in memory instead of a file; needs `originalName`.
    public var data: Data?
    public var metadata: DocumentMetadata
    /// Detected from the file name when absent.
    public var mediaType: String?
    /// The name recorded for the content; the file's own name when absent.
    public var originalName: String?
    /// `file` is a temp file in the store's own temp area (an upload) that registration takes over instead of
    /// copying; see `BlobStore.stage(adopting:)`. Never set for a user's file.
    public var adoptsFile: Bool

    public init(file: String?, metadata: DocumentMetadata, mediaType: String? = nil, originalName: String? = nil,
                adoptsFile: Bool = false) {
        self.file = file
        self.data = nil
        self.metadata = metadata
        self.mediaType = mediaType
        self.originalName = originalName
        self.adoptsFile = adoptsFile
    }
}

extension NewDocument {
    public init(data: Data, originalName: String, metadata: DocumentMetadata, mediaType: String? = nil) {
        self.init(file: nil, metadata: metadata, mediaType: mediaType, originalName: originalName)
        self.data = data
    }
}

public struct NewCase: Sendable {
    public var series: SeriesCode
    public var title: String
    /// Shown to those without clearance instead of the title; needs `restriction`.
    public var publicTitle: String?
    /// The ground the title is withheld on; hides the title only.
    public var restriction: AccessRestriction?
    public var classification: String?
    public var department: String?
    public var officer: String?

    public init(series: SeriesCode, title: String, publicTitle: String? = nil, restriction: AccessRestriction? = nil,
                classification: String? = nil, department: String? = nil, officer: String? = nil) {
        self.series = series
        self.title = title
        self.publicTitle = publicTitle
        self.restriction = restriction
        self.classification = classification
        self.department = department
        self.officer = officer
    }
}

/// A correction of a case's description: each non-nil field replaces the current value; `.some(nil)` clears an
/// optional one. Clearing the restriction makes the title public, so it drops the public title too.
/// What a change of a setting (a class, a series, the organisation) is conditional on, given the setting as the
/// change's own transaction finds it (nil: there is none yet): the HTTP API's If-Match and If-None-Match over its
/// representation. Throws `.versionConflict` to refuse; run inside the transaction, so two writers racing on the
/// same version cannot both pass.
public typealias SettingCondition<Value> = @Sendable (Value?) throws(DiariumError) -> Void

public struct CaseChange: Sendable {
    public var title: String?
    public var publicTitle: String??
    public var restriction: AccessRestriction??
    /// The new `restriction` was given without an end date: on the same ground and provision as the case's current
    /// one, that one's end date stays (`AccessRestriction.restated`).
    public var restrictionKeepsUntil = false
    public var classification: String??
    public var department: String??
    public var officer: String??

    public init() {}

    public var isEmpty: Bool {
        title == nil && publicTitle == nil && restriction == nil && classification == nil && department == nil && officer == nil
    }
}

/// A metadata correction: each non-nil field replaces the current value; `.some(nil)` clears an optional one.
public struct MetadataChange: Sendable {
    public var title: String?
    public var publicTitle: String??
    public var recordType: RecordType?
    public var direction: Direction?
    public var documentDate: CalendarDate??
    public var sender: String??
    public var recipient: String??
    public var classification: String??
    public var restriction: AccessRestriction??
    /// The new `restriction` was given without saying what it hides: it hides what the document's current
    /// restriction hides, and `AccessRestriction.defaultHides` only when there is none. Correcting a restriction's
    /// end date or legal reference must not make its title or parties public unasked.
    public var restrictionKeepsHides = false
    /// The new `restriction` was given without an end date: on the same ground and provision as the current one,
    /// that one's end date stays. Restating a restriction to hide more must not make it last for ever unasked.
    public var restrictionKeepsUntil = false

    public init() {}

    /// No field is given at all (as opposed to fields equal to the current values).
    public var isEmpty: Bool {
        title == nil && publicTitle == nil && recordType == nil && direction == nil && documentDate == nil && sender == nil
            && recipient == nil && classification == nil && restriction == nil
    }
}

/// The use cases of the register. Every interface (CLI, HTTP) goes through here; nothing above it touches storage.
public final class RecordsService {
    public let store: Store
    let clock: any Clock
    let extractor: TextExtractor

    public init(store: Store, clock: any Clock = SystemClock(), extractor: TextExtractor = TextExtractor()) {
        self.store = store
        self.clock = clock
        self.extractor = extractor
    }

    public static func createStore(at path: String, actor: String, clock: any Clock = SystemClock()) throws(DiariumError) -> RecordsService {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        let now = clock.now()
        let store = try Store.create(at: path, now: now) { access in
            try access.appendAudit(at: now, actor: actor, action: .storeInit, object: "store", version: nil,
                                   details: AuditDetails().json)
        }
        return RecordsService(store: store, clock: clock)
    }

    public static func open(at path: String, readOnly: Bool = false, clock: any Clock = SystemClock()) throws(DiariumError) -> RecordsService {
        RecordsService(store: try Store.open(at: path, readOnly: readOnly), clock: clock)
    }

    // MARK: Series

    public func addSeries(code: SeriesCode, name: String, department: Department? = nil, actor: String) throws(DiariumError) -> Series {
        let actor = try checkedActor(actor)
        let series = Series(code: code, name: try TextRules.line(name, field: "name", maxLength: 200), department: department,
                            createdAt: clock.now())
        return try store.catalog.write { access in
            if try access.series(code) != nil {
                throw DiariumError(.alreadyExists, "series \(code) already exists", field: "code")
            }
            try access.insertSeries(series)
            var details = AuditDetails()
            details["name"] = .string(series.name)
            details["department"] = .string(series.department.rawValue)
            try access.appendAudit(at: series.createdAt, actor: actor, action: .seriesAdd, object: code.rawValue,
                                   version: nil, details: details.json)
            return series
        }
    }

    public func series(_ code: SeriesCode) throws(DiariumError) -> Series {
        try store.catalog.read { access in
            guard let series = try access.series(code) else { throw DiariumError(.notFound, "series \(code) does not exist", field: "series") }
            return series
        }
    }

    public func listSeries() throws(DiariumError) -> [Series] {
        try store.catalog.read { try $0.allSeries() }
    }

    // MARK: Cases

    public func openCase(_ request: NewCase, actor: String) throws(DiariumError) -> CaseRecord {
        let actor = try checkedActor(actor)
        let title = try TextRules.line(request.title, field: "title")
        let publicTitle = try TextRules.optionalLine(request.publicTitle, field: "publicTitle")
        try RecordRules.checkCaseTitleRestriction(publicTitle: publicTitle, restriction: request.restriction)
        try checkStillHolds(request.restriction)
        let classification = try RecordRules.classification(request.classification, field: "classification")
        let department = try TextRules.optionalLine(request.department, field: "department", maxLength: 200)
        let officer = try TextRules.optionalLine(request.officer, field: "officer", maxLength: 200)
        return try store.catalog.write { access in
            guard try access.series(request.series) != nil else {
                throw DiariumError(.notFound, "series \(request.series) does not exist (add it with `diarium series add`)", field: "series")
            }
            try access.requireClass(classification)
            let now = clock.now()
            let year = Timestamp.swedishYear(of: now)
            let number = try CaseNumber.next(series: request.series, year: year,
                                             serial: try access.nextCaseSerial(series: request.series, year: year))
            let record = CaseRecord(number: number, title: title, publicTitle: publicTitle, restriction: request.restriction,
                                    classification: classification, status: .open,
                                    department: department, officer: officer, openedAt: now, closedAt: nil, documentCount: 0)
            try access.insertCase(record, openedBy: actor)
            var details = AuditDetails()
            if let classification { details["class"] = .string(classification) }
            Self.noteTitleRestriction(record, in: &details)
            try Self.seal(&details, record, access)
            try access.appendAudit(at: now, actor: actor, action: .caseOpen, object: record.number.description,
                                   version: nil, details: details.json)
            return record
        }
    }

    /// What the log keeps of a case's title restriction, for verify to hold the case to: the ground and its end,
    /// and whether a public title stands in (never the titles themselves, which admins reading the log may not see).
    static func noteTitleRestriction(_ record: CaseRecord, in details: inout AuditDetails) {
        noteTitleRestriction(record.restriction, publicTitle: record.publicTitle, in: &details)
    }

    /// A case description's title restriction, as verify reads it back: kind, legal reference, end date, and whether
    /// there is a public title (never the title).
    static func noteTitleRestriction(_ restriction: AccessRestriction?, publicTitle: String?, in details: inout AuditDetails) {
        if let restriction {
            details["restriction"] = .string(restriction.kind.rawValue)
            details["legal"] = .string(restriction.legalReference)
            if let until = restriction.until { details["until"] = .string(until.description) }
        }
        details["publicTitle"] = .bool(publicTitle != nil)
    }

    /// An earlier case description as an import logs it: its number, when and by whom it was replaced, and its title
    /// restriction as `noteTitleRestriction` writes one (never the title).
    static func keptDetails(_ revision: CaseRevision) -> AuditDetails {
        var details = AuditDetails()
        details["n"] = .int(Int64(revision.n))
        details["replacedAt"] = .string(Timestamp.format(revision.replacedAt))
        details["replacedBy"] = .string(revision.replacedBy)
        noteTitleRestriction(revision.restriction, publicTitle: revision.publicTitle, in: &details)
        return details
    }

    public func caseDetails(_ number: CaseNumber) throws(DiariumError) -> (record: CaseRecord, documents: [DocumentRecord]) {
        try store.catalog.read { access in
            let stored = try Self.requireCase(number, access)
            return (stored.record, try access.documents(caseID: stored.id))
        }
    }

    /// Whether a case is open or closed, without its documents.
    public func caseStatus(_ number: CaseNumber) throws(DiariumError) -> CaseStatus {
        try store.catalog.read { access in try Self.requireCase(number, access).record.status }
    }

    /// A case and its earlier descriptions (what each correction replaced), oldest first.
    public func caseHistory(_ number: CaseNumber) throws(DiariumError) -> (record: CaseRecord, revisions: [CaseRevision]) {
        try store.catalog.read { access in
            let stored = try Self.requireCase(number, access)
            return (stored.record, try access.caseRevisions(caseID: stored.id))
        }
    }

    /// Cases newest first (by opening), `limit` at a time: the next page is the one after the last case of this one.
    /// `title`: only those whose title holds the words, as `principal` may read it (nil: the operator, who reads
    /// everything): a restricted title is matched only for a reader cleared for its series, as search does.
    public func listCases(series: SeriesCode? = nil, status: CaseStatus? = nil, year: Int? = nil, after: CaseNumber? = nil,
                          limit: Int = 1000, title: TitleWords? = nil, as principal: Principal? = nil) throws(DiariumError) -> [CaseRecord] {
        try Self.checkPageSize(limit)
        if let year, !(1000...9999).contains(year) { throw DiariumError.invalid("year", "a case's year has four digits, not \(year)") }
        return try store.catalog.read { access in
            try Self.requireSeries(series, access)
            let view = try principal.map { Self.searchView(for: $0, series: try access.allSeries()) } ?? .full
            return try access.cases(series: series, status: status, year: year, after: after, limit: limit, title: title, view: view)
        }
    }

    /// The number of the case's current description: 1 as opened, one more with each correction.
    public func caseDescription(_ number: CaseNumber) throws(DiariumError) -> Int {
        try store.catalog.read { access in
            guard let (id, _) = try access.caseStatus(number) else { throw DiariumError.notFound("case", number.description) }
            return try access.caseDescription(caseID: id)
        }
    }

    /// The case's version (`CatalogAccess.caseVersion`): 1 as opened, one more with each correction, closing and
    /// reopening. What `expectedVersion` names (an API client's `If-Match`, the CLI's `--if-version`).
    public func caseVersion(_ number: CaseNumber) throws(DiariumError) -> Int {
        try store.catalog.read { access in
            guard let (id, _) = try access.caseStatus(number) else { throw DiariumError.notFound("case", number.description) }
            return try access.caseVersion(caseID: id, number: number)
        }
    }

    /// Corrects a case's description, open or closed (a restriction's ground may end after closing). A title
    /// restriction is set, corrected or lifted here; lifting it makes the title public and drops the public title.
    /// `expectedVersion` (optimistic concurrency): refused unless the case's current version is that one
    /// (`caseVersion`), checked in the write transaction. The result is the case and its version.
    public func updateCase(_ number: CaseNumber, _ change: CaseChange, expectedVersion: Int? = nil,
                           actor: String) throws(DiariumError) -> CaseRecord {
        try updateCaseVersioned(number, change, expectedVersion: expectedVersion, actor: actor).record
    }

    public func updateCaseVersioned(_ number: CaseNumber, _ change: CaseChange, expectedVersion: Int?,
                                    actor: String) throws(DiariumError) -> (record: CaseRecord, version: Int) {
        let actor = try checkedActor(actor)
        guard !change.isEmpty else { throw .invalid("change", "nothing to change: give a field to correct") }
        var title: String?
        if let given = change.title { title = try TextRules.line(given, field: "title") }
        let publicTitle = try change.publicTitle.map { value throws(DiariumError) in try TextRules.optionalLine(value, field: "publicTitle") }
        let classification = try change.classification.map { value throws(DiariumError) in
            try RecordRules.classification(value, field: "classification")
        }
        let department = try change.department.map { value throws(DiariumError) in
            try TextRules.optionalLine(value, field: "department", maxLength: 200)
        }
        let officer = try change.officer.map { value throws(DiariumError) in try TextRules.optionalLine(value, field: "officer", maxLength: 200) }
        return try store.catalog.write { access in
            let stored = try Self.requireCase(number, access)
            let version = try Self.checkVersion(expectedVersion, of: stored, number, access)
            let old = stored.record
            var new = old
            if let title { new.title = title }
            if let restriction = change.restriction {
                new.restriction = restriction?.restated(over: old.restriction, keepingHides: false, keepingUntil: change.restrictionKeepsUntil)
                if restriction == nil { new.publicTitle = nil }
            }
            if let publicTitle { new.publicTitle = publicTitle }
            if let classification { new.classification = classification }
            if let department { new.department = department }
            if let officer { new.officer = officer }
            // A case from before grounds were kept may keep its ground-less public title while other fields change;
            // what is set now needs the ground.
            if change.publicTitle != nil || change.restriction != nil {
                try RecordRules.checkCaseTitleRestriction(publicTitle: new.publicTitle, restriction: new.restriction)
            }
            // Any change of the restriction (one restated keeps its end date): it must still hold.
            if new.restriction != old.restriction { try checkStillHolds(new.restriction) }
            if new.classification != old.classification { try access.requireClass(new.classification) }
            var fields: [String] = []
            if new.title != old.title { fields.append("title") }
            if new.publicTitle != old.publicTitle { fields.append("publicTitle") }
            if new.restriction != old.restriction { fields.append("restriction") }
            if new.classification != old.classification { fields.append("classification") }
            if new.department != old.department { fields.append("department") }
            if new.officer != old.officer { fields.append("officer") }
            guard !fields.isEmpty else { return (old, version) }
            // Every earlier description travels with the case in a package, and an import takes at most this many:
            // a case corrected more often could be exported but not brought back.
            let description = try access.caseDescription(caseID: stored.id)
            guard description - 1 < ERMS.maxRevisionsPerCase else {
                throw DiariumError(.invalidState, "case \(number) has been corrected \(description - 1) times, the most a case may be "
                                   + "(its earlier descriptions go with it into the e-archive): open a new case for what follows")
            }
            let now = clock.now()
            let revision = try access.insertCaseRevision(caseID: stored.id, replacing: old, at: now, by: actor)
            try access.updateCase(id: stored.id, new)
            var details = AuditDetails()
            details["fields"] = .strings(fields)
            details["revision"] = .int(Int64(revision))
            Self.noteTitleRestriction(new, in: &details)
            try Self.seal(&details, new, access)
            try access.appendAudit(at: now, actor: actor, action: .caseUpdate, object: number.description, version: nil, details: details.json)
            return (try Self.requireCase(number, access).record, version + 1)
        }
    }

    /// The case's current version (`caseVersion`), refused (412) when the caller expected another.
    private static func checkVersion(_ expected: Int?, of stored: StoredCase, _ number: CaseNumber,
                                     _ access: CatalogAccess) throws -> Int {
        let version = try access.caseVersion(caseID: stored.id, number: number)
        if let expected, expected != version {
            throw DiariumError(.versionConflict, "case \(number) has changed: the change was based on version \(expected), "
                               + "the current version is \(version) (corrected, closed or reopened since)")
        }
        return version
    }

    /// A restriction set now must still hold: one whose last day (Swedish time) has passed would be due for review the
    /// moment it is made (imports and interchanges bring restrictions as they were, and are not held to this).
    func checkStillHolds(_ restriction: AccessRestriction?) throws(DiariumError) {
        guard let until = restriction?.until else { return }
        let today = Timestamp.swedishDate(of: clock.now())
        if until < today {
            throw .invalid("restriction.until", "the restriction's last day \(until) has passed (today is \(today)); "
                           + "a restriction lasts only while its ground holds: give it a new last day, or none, or lift it")
        }
    }

    /// Closes a case: it takes no new documents, and retention periods run from now. `expectedVersion` as for
    /// `updateCase`: a clerk closes the case as they saw it.
    public func closeCase(_ number: CaseNumber, expectedVersion: Int? = nil, actor: String) throws(DiariumError) -> CaseRecord {
        try changeCaseStatus(number, to: .closed, expectedVersion: expectedVersion, actor: actor)
    }

    /// Opens a closed case again (a late appeal, a matter taken up again), so that what follows is filed in it. It
    /// is then not due for disposal: retention periods run from its next closing. The audit event says when it had
    /// been closed (no free text: the log is read by clerks without clearance for the case's restricted title).
    public func reopenCase(_ number: CaseNumber, expectedVersion: Int? = nil, actor: String) throws(DiariumError) -> CaseRecord {
        try changeCaseStatus(number, to: .open, expectedVersion: expectedVersion, actor: actor)
    }

    private func changeCaseStatus(_ number: CaseNumber, to status: CaseStatus, expectedVersion: Int?,
                                  actor: String) throws(DiariumError) -> CaseRecord {
        let actor = try checkedActor(actor)
        return try store.catalog.write { access in
            let stored = try Self.requireCase(number, access)
            _ = try Self.checkVersion(expectedVersion, of: stored, number, access)
            let now = clock.now()
            var details = AuditDetails()
            switch status {
            case .closed:
                try RecordRules.checkCanClose(stored.record)
                try access.closeCase(id: stored.id, at: now)
            case .open:
                try RecordRules.checkCanReopen(stored.record)
                try access.reopenCase(id: stored.id)
                if let closedAt = stored.record.closedAt { details["closedAt"] = .string(Timestamp.format(closedAt)) }
            }
            try access.appendAudit(at: now, actor: actor, action: status == .closed ? .caseClose : .caseReopen, object: number.description,
                                   version: nil, details: details.json)
            return try Self.requireCase(number, access).record
        }
    }

    // MARK: Registration

    /// Registers documents into a case, committing them in batches. Each batch's blobs are made durable first
    /// (one round of syncs for the batch), then its rows are written in one transaction; `committed` is called
    /// after each commit with the new documents, so a caller can print numbers only once they are safe.
    ///
    /// Everything that can be checked before writing is checked first, so bad input changes nothing.
    ///
    /// Text is extracted from each file for the search index; a file whose text cannot be extracted is still
    /// registered, and `textIssue` is told why (the reason is also stored and shown by `show`).
    @discardableResult
    public func register(_ documents: [NewDocument], in caseNumber: CaseNumber, actor: String, batchSize: Int = 500,
                         committed: ([DocumentRecord]) -> Void = { _ in },
                         textIssue: (DocumentNumber, TextRendition) -> Void = { _, _ in }) throws(DiariumError) -> [DocumentRecord] {
        for document in documents { try checkStillHolds(document.metadata.restriction) }
        return try register(documents, in: caseNumber, actor: actor, batchSize: batchSize, committed: committed, textIssue: textIssue,
                            inLastTransaction: nil)
    }

    /// `register`, with `inLastTransaction` run inside the last batch's transaction with that batch's documents:
    /// what must commit together with them (a package import's own audit event), or roll them back by throwing.
    func register(_ documents: [NewDocument], in caseNumber: CaseNumber, actor: String, batchSize: Int,
                  committed: ([DocumentRecord]) -> Void, textIssue: (DocumentNumber, TextRendition) -> Void,
                  inLastTransaction: (@Sendable (CatalogAccess, [DocumentRecord]) throws -> Void)?) throws(DiariumError) -> [DocumentRecord] {
        let actor = try checkedActor(actor)
        guard !documents.isEmpty else { throw .invalid("file", "nothing to register: give at least one file") }
        var prepared: [NewDocument] = []
        prepared.reserveCapacity(documents.count)
        for document in documents {
            prepared.append(try Self.prepared(document))
        }
        try store.catalog.read { access in
            _ = try Self.requireOpenCase(caseNumber, access)
            // Checked again as each batch commits; here too, so that a wrong class costs no copying and extracting.
            for code in Set(prepared.compactMap(\.metadata.classification)) { try access.requireClass(code) }
        }

        // A pipeline of three: this thread reads, hashes and extracts batch k+2 while batch k+1 is synced to
        // disk (two syncs of the file system for the batch, not two per file: 5–6 % faster CLI ingest of 10,000
        // small files) and batch k is committed, so CPU work (hashing, indexing) overlaps with waiting for the disk.
        // Commits run strictly in order (each waits for the one before, and none runs after a failure), so
        // ordinals follow the order of the files and every committed batch is reported.
        let publisher = store.blobs.publisher
        let committer = BatchCommitter(catalog: store.catalog, publisher: publisher, clock: clock, actor: actor, caseNumber: caseNumber)
        let size = max(1, batchSize)
        var all: [DocumentRecord] = []
        all.reserveCapacity(prepared.count)
        var inFlight: [BackgroundJob<[(DocumentRecord, TextRendition?)]>] = []   // oldest first
        func finishOldest() throws(DiariumError) {
            let results = try inFlight.removeFirst().join()
            let records = results.map(\.0)
            committed(records)
            for (record, rendition) in results where rendition.map(Self.isTextIssue) == true {
                textIssue(record.number, rendition!)
            }
            all += records
        }
        func finishAll() throws(DiariumError) {
            var failure: DiariumError?
            while !inFlight.isEmpty {
                do { try finishOldest() } catch { failure = failure ?? error }
            }
            if let failure { throw failure }
        }
        var start = 0
        while start < prepared.count {
            let batch = Array(prepared[start..<min(start + size, prepared.count)])
            start += size
            let finishing = start >= prepared.count ? inLastTransaction : nil
            let staged: [StagedContent?]
            do {
                staged = try stage(batch)
            } catch {
                try finishAll()
                throw error
            }
            if inFlight.count >= 2 {
                do {
                    try finishOldest()
                } catch {
                    store.blobs.discard(staged.compactMap { $0?.blob })
                    try? finishAll()
                    throw error
                }
            }
            let blobs = staged.compactMap { $0?.blob }
            let catalog = store.catalog
            let published = BackgroundJob { () throws(DiariumError) in
                try publisher.publish(blobs, durability: .batch(of: blobs.count), cleaningUpIn: catalog)
            }
            let previous = inFlight.last
            inFlight.append(BackgroundJob { () throws(DiariumError) in
                try published.join()                    // a row may only name durable content
                defer { publisher.release(blobs) }
                do throws(DiariumError) {
                    _ = try previous?.join()            // in order, and never after a failed batch
                    return try committer.commit(batch, staged, finishing: finishing)
                } catch {
                    if !error.outcomeUnknown { publisher.removeUnrecorded(blobs, catalog: catalog) }
                    throw error
                }
            })
        }
        try finishAll()
        return all
    }

    /// A registration's input checked and completed: valid metadata, a readable file, its name and media type.
    static func prepared(_ document: NewDocument) throws(DiariumError) -> NewDocument {
        var item = document
        item.metadata = try RecordRules.validated(document.metadata)
        try RecordRules.checkDocumentPublicTitle(item.metadata)
        if let file = document.file {
            try checkReadableFile(file)
        }
        if document.file != nil || document.data != nil {
            guard let name = document.originalName ?? document.file.map(fileName) else {
                throw .invalid("originalName", "content given without a file needs its original name")
            }
            let checked = try TextRules.fileName(name)
            item.originalName = checked
            let type = try MediaTypes.check(document.mediaType.map(MediaTypes.declared) ?? MediaTypes.guess(forFileName: checked))
            item.mediaType = TextCharset.completing(type) {
                if let data = document.data { return TextCharset.of(data, complete: true) }
                return document.file.flatMap { TextCharset.ofFile(at: $0) }
            }
        }
        return item
    }

    /// Copies a batch's files into the temp area, identifying each one's format as its bytes go by, and extracts
    /// their text (once per distinct content that has no rendition yet); all or none.
    func stage(_ batch: [NewDocument]) throws(DiariumError) -> [StagedContent?] {
        var blobs: [StagedBlob?] = []
        // Each file's format; nil when it could not be read again for it (the format is then left pending).
        var formats: [IdentifiedFormat?] = []
        blobs.reserveCapacity(batch.count)
        formats.reserveCapacity(batch.count)
        do throws(DiariumError) {
            for document in batch {
                var sniffer = FormatSniffer()
                let blob: StagedBlob
                if let file = document.file {
                    blob = try document.adoptsFile ? store.blobs.stage(adopting: file, observing: { sniffer.consume($0) })
                        : store.blobs.stage(copying: file, observing: { sniffer.consume($0) })
                } else if let data = document.data {
                    blob = try store.blobs.stage(bytes: data, observing: { sniffer.consume($0) })
                } else {
                    blobs.append(nil)
                    formats.append(nil)
                    continue
                }
                blobs.append(blob)
                // Told now, while this file's first and last bytes are all the sniffer holds (not a batch's worth).
                formats.append(sniffer.identified(path: blob.stagedPath, originalName: document.originalName!, mediaType: document.mediaType!))
            }
        } catch {
            store.blobs.discard(blobs.compactMap { $0 })
            throw error
        }
        // Only content already in the store can already have a rendition; new content skips the catalog lookup.
        let digests = Set(blobs.compactMap { $0?.sha256 }.filter { store.blobs.contains($0) })
        var known: Set<String> = []
        if !digests.isEmpty { do {
            known = try store.catalog.read { access in Set(try digests.filter { try access.hasRendition(sha256: $0) }) }
        } catch {
            store.blobs.discard(blobs.compactMap { $0 })
            throw error
        } }
        var extracted: [String: TextExtraction] = [:]
        return batch.indices.map { i in
            guard let blob = blobs[i] else { return nil }
            var extraction: TextExtraction?
            if !known.contains(blob.sha256) {
                if extracted[blob.sha256] == nil {
                    extracted[blob.sha256] = extractor.extract(fileAt: blob.stagedPath, mediaType: batch[i].mediaType!,
                                                               originalName: batch[i].originalName!)
                }
                extraction = extracted[blob.sha256]
            }
            // Known content's format too: it may have been stored before formats were identified (kept per content,
            // the row stays when the same signatures wrote it).
            return StagedContent(blob: blob, extraction: extraction, format: formats[i])
        }
    }

    static func isTextIssue(_ rendition: TextRendition) -> Bool {
        rendition.status == .failed || rendition.status == .unsupported || rendition.status == .truncated
    }

    // MARK: Changes to a document

    /// Adds a content version. Refused for final and archived documents.
    /// `adoptingFile`: as `NewDocument.adoptsFile`.
    public func addVersion(_ number: DocumentNumber, file: String, mediaType: String? = nil, originalName: String? = nil,
                           comment: String?, expectedVersion: Int? = nil, adoptingFile: Bool = false,
                           actor: String) throws(DiariumError) -> DocumentRecord {
        let actor = try checkedActor(actor)
        let comment = try TextRules.optionalLine(comment, field: "comment")
        try Self.checkReadableFile(file)
        let name = try TextRules.fileName(originalName ?? Self.fileName(file))
        let declared = try MediaTypes.check(mediaType.map(MediaTypes.declared) ?? MediaTypes.guess(forFileName: name))
        try store.catalog.read { access in
            let current = try requireDocument(number, access).record
            try Self.checkExpected(expectedVersion, current)
            try RecordRules.checkAcceptsContent(current)
            try RecordRules.checkCaseAcceptsContent(number.caseNumber, status: try Self.requireCase(number.caseNumber, access).record.status)
        }

        var sniffer = FormatSniffer()
        let blob = try adoptingFile ? store.blobs.stage(adopting: file, observing: { sniffer.consume($0) })
            : store.blobs.stage(copying: file, observing: { sniffer.consume($0) })
        let type = TextCharset.completing(declared) { TextCharset.ofFile(at: blob.stagedPath) }   // the bytes stored
        let extraction = extractor.extract(fileAt: blob.stagedPath, mediaType: type, originalName: name)
            .identified(by: &sniffer, path: blob.stagedPath, originalName: name, mediaType: type)
        let publisher = store.blobs.publisher
        try publisher.publish([blob], cleaningUpIn: store.catalog)
        defer { publisher.release([blob]) }
        do throws(DiariumError) {
            return try changeDocument(number, actor: actor, action: .documentVersion, expectedVersion: expectedVersion) { current, now, access in
                try RecordRules.checkAcceptsContent(current)
                try RecordRules.checkCaseAcceptsContent(number.caseNumber, status: try Self.requireCase(number.caseNumber, access).record.status)
                try access.insertBlob(blob, at: now, publishedIn: publisher)
                try access.insertRendition(sha256: blob.sha256, extraction.rendition, text: extraction.text, at: now)
                if let format = extraction.format { try access.setFormat(sha256: blob.sha256, format) }
                return DocumentVersion(number: try current.nextVersionNumber(), change: .content, author: actor, createdAt: now,
                                       comment: comment, status: current.status, metadata: current.current.metadata,
                                       content: ContentReference(sha256: blob.sha256, size: blob.size, mediaType: type, originalName: name))
            }
        } catch {
            // A lost race (412) or a document finalised meanwhile: the new file must not stay behind unreferenced.
            // (Unless the commit's outcome is unknown: then it may come back, and must find its file.)
            if !error.outcomeUnknown { publisher.removeUnrecorded([blob], catalog: store.catalog) }
            throw error
        }
    }

    /// Corrects metadata: a new version with the changed fields. Allowed on drafts and final documents; on archived
    /// ones only the access restriction (`RecordRules.checkAcceptsMetadata`).
    public func update(_ number: DocumentNumber, _ change: MetadataChange, comment: String?, expectedVersion: Int? = nil,
                       actor: String) throws(DiariumError) -> DocumentRecord {
        let actor = try checkedActor(actor)
        let comment = try TextRules.optionalLine(comment, field: "comment")
        guard !change.isEmpty else { throw .invalid("change", "nothing to change: give a field to correct (a comment alone makes no version)") }
        return try store.catalog.write { access in
            try update(number, change, comment: comment, expectedVersion: expectedVersion, actor: actor, in: access)
        }
    }

    /// The comment of the version that makes an incoming draft final.
    static let finalAsItCameIn = "inkommen: final as it came in (TF 2 kap. 9 §)"

    /// An incoming draft (one an older build registered so) made final, as it became official when it came in, in a
    /// transaction the caller holds.
    func finaliseIncomingDraft(_ number: DocumentNumber, actor: String, in access: CatalogAccess) throws -> DocumentRecord {
        try changeStatus(number, to: .final, action: .documentFinalise, comment: Self.finalAsItCameIn, expectedVersion: nil, actor: actor,
                         in: access)
    }

    /// `update` in a transaction the caller holds; the caller has checked `actor` and `comment`.
    func update(_ number: DocumentNumber, _ change: MetadataChange, comment: String?, expectedVersion: Int?, actor: String,
                in access: CatalogAccess) throws -> DocumentRecord {
        try changeDocument(number, in: access, actor: actor, action: .documentUpdate, expectedVersion: expectedVersion) { current, now, access in
            try RecordRules.checkNotDisposed(current)
            let old = current.current.metadata
            var new = old
            if let value = change.title { new.title = value }
            if let value = change.publicTitle { new.publicTitle = value }
            if let value = change.recordType { new.recordType = value }
            if let value = change.direction { new.direction = value }
            if let value = change.documentDate { new.documentDate = value }
            if let value = change.sender { new.sender = value }
            if let value = change.recipient { new.recipient = value }
            if let value = change.classification { new.classification = value }
            if let value = change.restriction {
                new.restriction = value?.restated(over: old.restriction, keepingHides: change.restrictionKeepsHides,
                                                  keepingUntil: change.restrictionKeepsUntil)
                // A public title lasts while the title stays hidden: a lifted restriction, or one that no longer
                // hides the title, takes it along, and a title hidden again gets only the one this change gives (a
                // public title kept from before this rule would otherwise come back unseen).
                let hidden = (old.restriction?.hides(.title) ?? false) && (new.restriction?.hides(.title) ?? false)
                if change.publicTitle == nil && !hidden { new.publicTitle = nil }
            }
            // The state first: an archived document refuses other changes as such, whatever their values.
            let changed = Self.changedFields(old, new)
            try RecordRules.checkAcceptsMetadata(current, changing: changed)
            if current.status == .archived && changed == ["publicTitle"] && new.publicTitle != nil {
                // Alone, only a stale one is cleared; a new public title comes with the restriction it stands in for.
                throw DiariumError(.invalidState, "document \(number) is archived: its public title is set with its restriction, "
                                   + "or cleared alone")
            }
            new = try RecordRules.validated(new, keeping: old)
            // A document from before public titles needed a restriction keeps its own while other fields change.
            if change.publicTitle != nil || change.restriction != nil { try RecordRules.checkDocumentPublicTitle(new) }
            // Any change of the restriction (one restated keeps its end date): it must still hold.
            if new.restriction != old.restriction { try checkStillHolds(new.restriction) }
            if new.classification != old.classification { try access.requireClass(new.classification) }
            guard new != old else {
                throw DiariumError(.invalidField, "nothing to change: the given values equal those of version \(current.current.number)")
            }
            return DocumentVersion(number: try current.nextVersionNumber(), change: .metadata, author: actor, createdAt: now,
                                   comment: comment, status: current.status, metadata: new, content: current.current.content)
        } details: { version, previous in
            var details = AuditDetails()
            details["fields"] = .strings(Self.changedFields(previous.metadata, version.metadata))
            Self.noteRestriction(version.metadata.restriction, in: &details)
            return details
        } then: { version, now in
            // A draft that is incoming after the correction came in: it became an official document as it arrived
            // (TF 2 kap. 9 §), so it is final, as one registered incoming is (RecordRules.registeredStatus), in a
            // version of its own. Its direction corrected to incoming, or an incoming draft an older build registered.
            guard version.status == .draft, RecordRules.registeredStatus(version.metadata.direction) == .final,
                  version.number < DocumentVersion.maxNumber else { return nil }
            return (DocumentVersion(number: version.number + 1, change: .status, author: actor, createdAt: now,
                                    comment: Self.finalAsItCameIn,
                                    status: .final, metadata: version.metadata, content: version.content), .documentFinalise)
        }
    }

    public func finalise(_ number: DocumentNumber, comment: String?, expectedVersion: Int? = nil, actor: String) throws(DiariumError) -> DocumentRecord {
        try changeStatus(number, to: .final, action: .documentFinalise, comment: comment, expectedVersion: expectedVersion, actor: actor)
    }

    public func archive(_ number: DocumentNumber, comment: String?, expectedVersion: Int? = nil, actor: String) throws(DiariumError) -> DocumentRecord {
        try changeStatus(number, to: .archived, action: .documentArchive, comment: comment, expectedVersion: expectedVersion, actor: actor)
    }

    private func changeStatus(_ number: DocumentNumber, to status: DocumentStatus, action: AuditAction, comment: String?,
                              expectedVersion: Int?, actor: String) throws(DiariumError) -> DocumentRecord {
        let actor = try checkedActor(actor)
        let comment = try TextRules.optionalLine(comment, field: "comment")
        return try store.catalog.write { access in
            try changeStatus(number, to: status, action: action, comment: comment, expectedVersion: expectedVersion, actor: actor, in: access)
        }
    }

    /// `changeStatus` in a transaction the caller holds; the caller has checked `actor` and `comment`.
    private func changeStatus(_ number: DocumentNumber, to status: DocumentStatus, action: AuditAction, comment: String?,
                              expectedVersion: Int?, actor: String, in access: CatalogAccess) throws -> DocumentRecord {
        try changeDocument(number, in: access, actor: actor, action: action, expectedVersion: expectedVersion) { current, now, _ in
            try RecordRules.checkTransition(current, to: status)
            return DocumentVersion(number: try current.nextVersionNumber(), change: .status, author: actor, createdAt: now,
                                   comment: comment, status: status, metadata: current.current.metadata,
                                   content: current.current.content)
        }
    }

    /// The shared shape of every change: in one transaction, read the current version, let `make` build the next
    /// (checking the rules against what is committed now, not what was read earlier), append it and audit it.
    ///
    /// `expectedVersion` (optimistic concurrency): the change is refused unless the current version is that one. It is
    /// checked here, inside the write transaction, so of two clients that read the same version only one succeeds.
    /// `then`: a version that follows from the change, made in the same transaction with its own audit event (a
    /// document corrected to incoming is final: `update`).
    private func changeDocument(
        _ number: DocumentNumber, actor: String, action: AuditAction, expectedVersion: Int?,
        make: (DocumentRecord, Date, CatalogAccess) throws -> DocumentVersion,
        details: ((DocumentVersion, DocumentVersion) -> AuditDetails)? = nil,
        then follows: ((DocumentVersion, Date) -> (DocumentVersion, AuditAction)?)? = nil
    ) throws(DiariumError) -> DocumentRecord {
        try store.catalog.write { access in
            try changeDocument(number, in: access, actor: actor, action: action, expectedVersion: expectedVersion, make: make,
                               details: details, then: follows)
        }
    }

    /// `changeDocument` in a transaction the caller holds.
    private func changeDocument(
        _ number: DocumentNumber, in access: CatalogAccess, actor: String, action: AuditAction, expectedVersion: Int?,
        make: (DocumentRecord, Date, CatalogAccess) throws -> DocumentVersion,
        details: ((DocumentVersion, DocumentVersion) -> AuditDetails)? = nil,
        then follows: ((DocumentVersion, Date) -> (DocumentVersion, AuditAction)?)? = nil
    ) throws -> DocumentRecord {
        let stored = try requireDocument(number, access)
        try Self.checkExpected(expectedVersion, stored.record)
        let now = clock.now()
        var version = try make(stored.record, now, access)
        try access.appendVersion(documentID: stored.id, version)
        var auditDetails = details?(version, stored.record.current) ?? Self.details(for: version)
        try Self.seal(&auditDetails, version, of: number, access)
        try access.appendAudit(at: now, actor: actor, action: action, object: number.description,
                               version: version.number, details: auditDetails.json)
        if let (next, nextAction) = follows?(version, now) {
            try access.appendVersion(documentID: stored.id, next)
            try access.appendAudit(at: now, actor: actor, action: nextAction, object: number.description,
                                   version: next.number, details: Self.details(for: next, of: number, sealedBy: access).json)
            version = next
        }
        return stored.record.showing(version)
    }

    /// For interfaces that check early (before reading an upload); the change itself checks again in its transaction.
    public static func checkExpectedVersion(_ expected: Int?, _ current: DocumentRecord) throws(DiariumError) {
        try checkExpected(expected, current)
    }

    static func checkExpected(_ expected: Int?, _ current: DocumentRecord) throws(DiariumError) {
        guard let expected, expected != current.current.number else { return }
        throw DiariumError(.versionConflict,
                           "\(current.number) has changed: the change was based on version \(expected), the current version is \(current.current.number)")
    }

    // MARK: Reading

    /// A document, at its current version or at version `version`.
    public func document(_ number: DocumentNumber, version: Int? = nil) throws(DiariumError) -> DocumentRecord {
        try store.catalog.read { access in
            let stored = try requireDocument(number, access)
            guard let version, version != stored.record.current.number else { return stored.record }
            guard let old = try access.version(documentID: stored.id, number: version) else {
                throw Self.noSuchVersion(number, version, history: try access.versions(documentID: stored.id).map(\.number))
            }
            return stored.record.showing(old)
        }
    }

    /// A history may have gaps: a package exported with its final versions only is imported with their numbers.
    static func noSuchVersion(_ number: DocumentNumber, _ version: Int, history: [Int]) -> DiariumError {
        let kept = history.last.map { history.count == $0 ? "1–\($0)" : history.map(String.init).joined(separator: ", ") } ?? "none"
        return DiariumError(.notFound, "document \(number) has no version \(version) (it has \(kept))", field: "version")
    }

    public func history(_ number: DocumentNumber) throws(DiariumError) -> [DocumentVersion] {
        try store.catalog.read { access in try access.versions(documentID: try requireDocument(number, access).id) }
    }

    /// Streams the content of a version to `sink`; throws `.integrity` at the end if the stored bytes are damaged.
    public func readContent(_ content: ContentReference, into sink: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) {
        try store.blobs.read(content.sha256, into: sink)
    }

    public func audit(object: String? = nil, after: Int64 = 0, limit: Int = 1000) throws(DiariumError) -> [AuditEvent] {
        var includeChildren = false
        if let object {
            // A case number also lists its documents' events.
            includeChildren = (try? CaseNumber(parsing: object)) != nil
        }
        return try store.catalog.read { try $0.auditEvents(object: object, includeChildren: includeChildren, afterSequence: after, limit: limit) }
    }

    public func counts() throws(DiariumError) -> StoreCounts {
        try store.catalog.read { try $0.counts() }
    }

    // MARK: Helpers

    static func requireCase(_ number: CaseNumber, _ access: CatalogAccess) throws -> StoredCase {
        guard let stored = try access.caseRecord(number) else { throw DiariumError.notFound("case", number.description) }
        return stored
    }

    /// The row id of a case that takes new documents: it exists and is open. Every registration asks, so this reads
    /// the case's row alone; `requireCase` also counts the case's documents, a scan that grows with the case.
    static func requireOpenCase(_ number: CaseNumber, _ access: CatalogAccess) throws -> Int64 {
        guard let (id, status) = try access.caseStatus(number) else { throw DiariumError.notFound("case", number.description, field: "case") }
        try RecordRules.checkCaseAcceptsDocuments(number, status: status)
        return id
    }

    func requireDocument(_ number: DocumentNumber, _ access: CatalogAccess) throws -> StoredDocument {
        guard let stored = try access.document(number) else { throw DiariumError.notFound("document", number.description) }
        return stored
    }

    func checkedActor(_ actor: String) throws(DiariumError) -> String {
        try TextRules.line(actor, field: "actor", maxLength: 200)
    }

    static func checkReadableFile(_ path: String) throws(DiariumError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw DiariumError(.unreadableFile, "cannot read \(path): \(String(cString: strerror(errno)))", field: "file")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw DiariumError(.unreadableFile, "\(path) is not a regular file", field: "file")
        }
        guard access(path, R_OK) == 0 else {
            throw DiariumError(.unreadableFile, "cannot read \(path): permission denied", field: "file")
        }
    }

    static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// `details(for:)` with the version's seal (`DescriptionSeal`): what every event that makes a version carries.
    static func details(for version: DocumentVersion, of number: DocumentNumber, sealedBy access: CatalogAccess) throws -> AuditDetails {
        var details = details(for: version)
        try seal(&details, version, of: number, access)
        return details
    }

    /// Adds the seal of a version's stored values, which covers what the log does not say in the clear (titles,
    /// parties, classification): `verify` compares it with the row.
    static func seal(_ details: inout AuditDetails, _ version: DocumentVersion, of number: DocumentNumber, _ access: CatalogAccess) throws {
        if let seal = try access.seal(of: version, of: number) { details["seal"] = .string(seal) }
    }

    /// Adds the seal of a case's description as stored (title, public title, class, department, officer, restriction).
    static func seal(_ details: inout AuditDetails, _ record: CaseRecord, _ access: CatalogAccess) throws {
        if let seal = try access.seal(of: record) { details["seal"] = .string(seal) }
    }

    static func details(for version: DocumentVersion) -> AuditDetails {
        var details = AuditDetails()
        details["type"] = .string(version.metadata.recordType.rawValue)
        details["status"] = .string(version.status.rawValue)
        if let content = version.content {
            details["sha256"] = .string(content.sha256)
            details["size"] = .int(content.size)
        }
        noteRestriction(version.metadata.restriction, in: &details)
        return details
    }

    /// A document version's restriction as verify reads it back: kind, legal reference and end date (which parts it
    /// hides is in the version; never what they hide).
    static func noteRestriction(_ restriction: AccessRestriction?, in details: inout AuditDetails) {
        guard let restriction else { return }
        details["restriction"] = .string(restriction.kind.rawValue)
        details["legal"] = .string(restriction.legalReference)
        // Always said ("" for none), so that verify also finds an end added behind the log's back.
        details["until"] = .string(restriction.until?.description ?? "")
    }

    /// The fields whose stored values differ. Text is compared as stored (code point by code point), not by
    /// Swift's canonical equivalence: a title kept in NFD from before text was normalised is rewritten in NFC by any
    /// correction, and the log (which `verify` compares with the rows) must say so.
    static func changedFields(_ a: DocumentMetadata, _ b: DocumentMetadata) -> [String] {
        func differs(_ x: String?, _ y: String?) -> Bool {
            x.map { Array($0.unicodeScalars) } != y.map { Array($0.unicodeScalars) }
        }
        var fields: [String] = []
        if differs(a.title, b.title) { fields.append("title") }
        if differs(a.publicTitle, b.publicTitle) { fields.append("publicTitle") }
        if a.recordType != b.recordType { fields.append("recordType") }
        if a.direction != b.direction { fields.append("direction") }
        if a.documentDate != b.documentDate { fields.append("documentDate") }
        if differs(a.sender, b.sender) { fields.append("sender") }
        if differs(a.recipient, b.recipient) { fields.append("recipient") }
        if differs(a.classification, b.classification) { fields.append("classification") }
        if a.restriction != b.restriction || differs(a.restriction?.legalReference, b.restriction?.legalReference) {
            fields.append("restriction")
        }
        return fields
    }
}

/// Commits a batch's rows in one transaction. Sendable, so it can run on a background thread of the
/// registration pipeline.
struct BatchCommitter: Sendable {
    let catalog: Catalog
    let publisher: BlobPublisher
    let clock: any Clock
    let actor: String
    let caseNumber: CaseNumber

    /// Writes a batch whose content is already published, in one transaction.
    /// `finishing` runs last in the transaction, with the batch's documents.
    func commit(_ batch: [NewDocument], _ staged: [StagedContent?],
                finishing: (@Sendable (CatalogAccess, [DocumentRecord]) throws -> Void)? = nil) throws(DiariumError) -> [(DocumentRecord, TextRendition?)] {
        try catalog.write { access in
            let caseID = try RecordsService.requireOpenCase(caseNumber, access)
            var ordinal = try access.nextOrdinal(caseID: caseID)
            let now = clock.now()
            var records: [(DocumentRecord, TextRendition?)] = []
            records.reserveCapacity(batch.count)
            for (document, item) in zip(batch, staged) {
                let number = try DocumentNumber.next(in: caseNumber, ordinal: ordinal)
                try access.requireClass(document.metadata.classification)
                var content: ContentReference?
                var rendition: TextRendition?
                if let item {
                    let blob = item.blob
                    try access.insertBlob(blob, at: now, publishedIn: publisher)
                    if let extracted = item.extracted {
                        rendition = extracted.rendition
                        try access.insertRendition(sha256: blob.sha256, extracted.rendition, text: extracted.text, at: now)
                    }
                    if let format = item.format { try access.setFormat(sha256: blob.sha256, format) }
                    content = ContentReference(sha256: blob.sha256, size: blob.size, mediaType: document.mediaType!,
                                               originalName: document.originalName!)
                }
                let version = DocumentVersion(number: 1, change: .registered, author: actor, createdAt: now, comment: nil,
                                              status: RecordRules.registeredStatus(document.metadata.direction), metadata: document.metadata,
                                              content: content)
                _ = try access.insertDocument(caseID: caseID, ordinal: ordinal, version: version)
                try access.appendAudit(at: now, actor: actor, action: .documentRegister, object: number.description,
                                       version: 1, details: RecordsService.details(for: version, of: number, sealedBy: access).json)
                records.append((DocumentRecord(number: number, registeredAt: now, registeredBy: actor, current: version), rendition))
                ordinal += 1
            }
            try finishing?(access, records.map(\.0))
            return records
        }
    }
}

/// A staged file, the text extracted from it (nil when the same content already has a rendition) and its format
/// (nil when the file could not be read again for it: left pending).
struct StagedContent: Sendable {
    let blob: StagedBlob
    /// The text and its rendition record, made where the content is staged: counting the text's characters stays
    /// off the commit's critical path.
    let extracted: (rendition: TextRendition, text: String)?
    let format: IdentifiedFormat?

    init(blob: StagedBlob, extraction: TextExtraction?, format: IdentifiedFormat?) {
        self.blob = blob
        extracted = extraction.map { ($0.rendition, $0.text) }
        self.format = format
    }
}

extension TextExtraction {
    var rendition: TextRendition {
        TextRendition(status: TextRendition.Status(rawValue: status.rawValue) ?? .failed, extractor: extractor,
                      message: message, length: text.count)
    }
}
