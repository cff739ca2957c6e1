#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExchange
import DiariumExtraction
import DiariumPackage
import DiariumStorage
import Foundation

/// What to put in an information package.
public struct ExportRequest: Sendable {
    public enum Selection: Sendable, Equatable {
        /// Every case of a series, or of one year of it (year of registration).
        case series(SeriesCode, year: Int?)
        case `case`(CaseNumber)
        /// The documents a search (full view, restricted parts included) finds, with their cases.
        case query(String)
        /// These documents, with their cases (department exchange sends a chosen set).
        case documents([DocumentNumber])
    }

    public enum Versions: String, Sendable, CaseIterable, Codable {
        /// Each document's current version only (metadata and content).
        case final
        /// Every version with its content: what an import needs to lose nothing.
        case all
    }

    public var selection: Selection
    public var format: PackageFormat
    public var versions: Versions
    /// Where the package goes; written to a temp name beside it and renamed on success.
    public var output: String
    /// The archival creator (arkivbildare) the package names; nil: the store's organisation (`setOrganisation`).
    public var organisation: Organisation?
    /// The organisation submitting the package, when not the archival creator.
    public var submitter: Organisation?
    /// The archive that will preserve the package (METS `PRESERVATION` agent), when known.
    public var archive: Organisation?
    /// The submission agreement (leveransöverenskommelse) the package is delivered under.
    public var submissionAgreement: String?
    /// Where in the archive's reference code structure the package goes.
    public var referenceCode: String?
    /// The package id (METS OBJID and root folder); a fresh `uuid-…` when nil.
    public var objectID: String?
    /// Re-hash every content file while exporting and fail on damage. Off by default: METS carries the catalog's
    /// digests, so a damaged file cannot pass the receiver's check unnoticed, and `diarium verify` finds it here;
    /// on, an export costs a SHA-256 pass over all content.
    public var verifyContent: Bool
    /// Asked before each content file and before the export is logged: true stops it with nothing written or
    /// logged (the HTTP server's `DELETE` of a running export job).
    public var isCancelled: @Sendable () -> Bool = { false }
    /// Whether disposed documents go with their case (their registration and versions' metadata, no content; what
    /// the e-archive keeps of the diarium), or are left out (an interchange sends records another body registers).
    public var includingDisposed = true

    public init(selection: Selection, format: PackageFormat, versions: Versions = .all, output: String,
                organisation: Organisation? = nil, objectID: String? = nil, verifyContent: Bool = false) {
        self.selection = selection
        self.format = format
        self.versions = versions
        self.output = output
        self.organisation = organisation
        self.objectID = objectID
        self.verifyContent = verifyContent
    }
}

/// Progress of an export or import: a phase and a count within it (files, then bytes in `bytesDone`).
public struct ArchiveProgress: Sendable, Equatable, Codable {
    public var phase: String
    public var done: Int
    public var total: Int
    public var bytesDone: Int64
    public var bytesTotal: Int64

    public init(phase: String, done: Int, total: Int, bytesDone: Int64 = 0, bytesTotal: Int64 = 0) {
        self.phase = phase
        self.done = done
        self.total = total
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
    }
}

public struct ExportReport: Codable, Sendable, Equatable {
    public var packageID: String
    public var output: String
    public var format: PackageFormat
    public var versions: ExportRequest.Versions
    public var cases: Int
    public var documents: Int
    public var exportedVersions: Int
    public var restrictedDocuments: Int
    public var files: Int
    public var contentBytes: Int64
    public var archiveBytes: Int64
    /// The archival creator the package names (nil: none, the store has no organisation set).
    public var archivalCreator: Organisation?
    /// Content files by PRONOM format, most files first (as the package's PREMIS records them).
    public var formats: [FormatCount] = []
    /// Content files whose format was not told (no PRONOM identifier in the package).
    public var unidentifiedFiles = 0
    /// The first 100 of them, as the versions whose content they are ("KS 2026/1-3 v1"): what to look at, or
    /// convert, before the package goes to the archive.
    public var unidentified: [String] = []

    public struct FormatCount: Codable, Sendable, Equatable {
        public var format: FileFormat
        public var files: Int
    }
}

extension RecordsService {
    /// Writes an information package (E-ARK SIP 2.1 with ERMS and PREMIS) of the selection to `request.output`.
    ///
    /// Synchronous and blocking (reads every blob, writes and fsyncs the archive): a server runs it on a thread
    /// pool, e.g. `NIOThreadPool.runIfActive`, with a `Store` of its own (`shared.makeStore()`), and reports
    /// `progress` (called on that thread, after each file) through its job record. Restricted documents are
    /// included with their restriction: the caller must check that `actor` is an archivist.
    /// Nothing is left at `output` unless the whole package was written; a `package.export` audit event
    /// records who exported what.
    public func exportPackage(_ request: ExportRequest, actor: String,
                              progress: (ArchiveProgress) -> Void = { _ in }) throws(DiariumError) -> ExportReport {
        let actor = try checkedActor(actor)
        let output = try TextRules.line(request.output, field: "out", maxLength: 4096)
        var st = stat()
        if stat(output, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            throw DiariumError.invalid("out", "\(output) is a directory: give the package's file name")
        }
        let now = clock.now()
        var objectID = "uuid-\(UUID().uuidString.lowercased())"
        if let given = request.objectID { objectID = try TextRules.line(given, field: "objectID", maxLength: 200) }
        guard objectID.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "\\") }) else {
            throw DiariumError.invalid("objectID", "a package id must be printable ASCII without spaces or slashes")
        }
        progress(ArchiveProgress(phase: "selecting", done: 0, total: 0))
        var archivalCreator = request.organisation
        if archivalCreator == nil { archivalCreator = try organisation() }
        let creator = PackageCreator(
            archivalCreator: archivalCreator, submitter: request.submitter, preservation: request.archive,
            person: actor, submissionAgreement: try TextRules.optionalLine(request.submissionAgreement, field: "submissionAgreement", maxLength: 200),
            referenceCode: try TextRules.optionalLine(request.referenceCode, field: "referenceCode", maxLength: 200))
        let header = METS.Header(objectID: objectID, label: Self.label(request.selection), createdAt: now, creator: creator)
        let scratch = try store.blobs.makeScratchDirectory()
        defer { rmdir(scratch) }
        // One read transaction for the whole export: the package is a consistent snapshot, while other writers go on.
        // A disposal committed meanwhile may remove a file the snapshot names: `unread` says which, to tell apart.
        var unread: String?
        let package: (WrittenPackage, ArchiveWriter)
        do {
            package = try store.catalog.read { access -> (WrittenPackage, ArchiveWriter) in
                let chosen = try Self.selectCases(request.selection, access: access)
                guard !chosen.isEmpty else {
                    throw DiariumError(.notFound, "nothing to export: the selection holds no case", field: "selection")
                }
                let total = chosen.reduce(0) { $0 + ($1.1?.count ?? $1.0.record.documentCount) }
                let series = try Set(chosen.map { $0.0.record.number.series }).sorted().compactMap { try access.series($0) }
                let archive = try ArchiveWriter(destination: output, format: request.format == .earkZip ? .zip : .tar)
                let stream = try InformationPackageStream(header: header, format: request.format, archive: archive, scratchDirectory: scratch,
                                                          classification: try access.classes())
                for (stored, only) in chosen {
                    try Self.checkCancelled(request)
                    let (item, events) = try Self.transferCase(stored, only: only, versions: request.versions,
                                                               includingDisposed: request.includingDisposed, access: access)
                    try stream.add(item, series: series, events: events,
                                   content: { reference, write throws(DiariumError) in
                                       try Self.checkCancelled(request)
                                       unread = reference.sha256
                                       // Its PRONOM format is told from the bytes on their way into the package.
                                       var sniffer = FormatSniffer()
                                       let copy = { (chunk: UnsafeRawBufferPointer) throws(DiariumError) in
                                           sniffer.consume(chunk)
                                           try write(chunk)
                                       }
                                       if request.verifyContent {
                                           try store.blobs.read(reference.sha256, into: copy)
                                       } else {
                                           try store.blobs.readUnverified(reference.sha256, into: copy)
                                       }
                                       unread = nil
                                       return sniffer.finish(path: store.blobs.path(of: reference.sha256),
                                                             originalName: reference.originalName, mediaType: reference.mediaType)
                                   },
                                   progress: { state in
                                       progress(ArchiveProgress(phase: "writing", done: state.documentsDone, total: state.documentsTotal,
                                                                bytesDone: state.bytesDone))
                                   }, documentsTotal: total)
                }
                progress(ArchiveProgress(phase: "writing metadata", done: total, total: total))
                return (try stream.finish(), archive)
            }
        } catch {
            if let unread, (try? store.catalog.read({ try $0.isBlobDisposed(unread) })) == true {
                throw DiariumError(.invalidState, "content \(unread) was disposed of while the package was written: export again "
                                   + "(the package then carries its document's registration without it)")
            }
            // A damaged or missing file: named by the records whose content it is, as `verify` names them.
            if let unread, error.code == .integrity,
               let holders = try? store.catalog.read({ try $0.versions(holding: unread, limit: 4) }), !holders.isEmpty {
                throw DiariumError(.integrity, error.message + " (the content of \(holders.prefix(3).joined(separator: ", "))"
                                   + "\(holders.count > 3 ? ", …" : ""))", field: error.field)
            }
            throw error
        }
        let (written, archive) = package
        // Durable but not yet at `output`: published only once its audit event is committed. Named beside it first,
        // so that a rename failing after the event leaves the logged package where the error says.
        progress(ArchiveProgress(phase: "sealing", done: written.documents, total: written.documents, bytesDone: written.contentBytes,
                                 bytesTotal: written.contentBytes))
        let archiveBytes = try archive.seal()
        // Said before the last look at cancellation: whoever saw an earlier phase and cancelled is heard.
        progress(ArchiveProgress(phase: "logging", done: written.documents, total: written.documents, bytesDone: written.contentBytes,
                                 bytesTotal: written.contentBytes))
        try Self.checkCancelled(request)
        try archive.nameBesideDestination()
        let restricted = written.restrictedDocuments
        let report = ExportReport(
            packageID: objectID, output: output, format: request.format, versions: request.versions, cases: written.cases,
            documents: written.documents, exportedVersions: written.versions, restrictedDocuments: restricted,
            files: written.contentFiles + written.metadataFiles.count + 1, contentBytes: written.contentBytes, archiveBytes: archiveBytes,
            archivalCreator: creator.archivalCreator,
            formats: written.formats.map { ExportReport.FormatCount(format: $0.key, files: $0.value) }
                .sorted { ($0.files, $1.format.puid) > ($1.files, $0.format.puid) },
            unidentifiedFiles: written.unidentifiedFiles, unidentified: written.unidentified)
        // An export nobody can account for must not exist: if the event cannot be written, the sealed archive is
        // dropped (removed) and whatever was at `output` stays.
        try store.catalog.write { access in
            var details = AuditDetails()
            details["format"] = .string(request.format.rawValue)
            // A query's words may be what a restriction hides (a name in a secret title), and admins read the log
            // without clearance: the event says a search was exported, the package's own label says which.
            if case .query = request.selection {
                details["selection"] = .string("Sökning")
            } else {
                details["selection"] = .string(header.label)
            }
            details["versions"] = .string(request.versions.rawValue)
            details["cases"] = .int(Int64(report.cases))
            details["documents"] = .int(Int64(report.documents))
            details["restricted"] = .int(Int64(restricted))
            // Where it went and how large it is: what an auditor asks first about records that left the system. The
            // folder only: a package's file name may name whom it is about, and admins read the log without clearance.
            details["folder"] = .string(Paths.parent(of: Paths.absolute(output)))
            details["bytes"] = .int(archiveBytes)
            try access.appendAudit(at: now, actor: actor, action: .packageExport, object: objectID, version: nil,
                                   details: details.json)
        }
        try archive.publish(keepingOnFailure: true)
        progress(ArchiveProgress(phase: "done", done: report.documents, total: report.documents, bytesDone: written.contentBytes,
                                 bytesTotal: written.contentBytes))
        return report
    }

    static func checkCancelled(_ request: ExportRequest) throws(DiariumError) {
        if request.isCancelled() { throw DiariumError(.invalidState, "the export was cancelled; nothing was written") }
    }

    static func label(_ selection: ExportRequest.Selection) -> String {
        switch selection {
        case .series(let code, let year): year.map { "Serie \(code) år \($0)" } ?? "Serie \(code)"
        case .case(let number): "Ärende \(number)"
        case .query(let text): "Sökning: \(text)"
        case .documents(let numbers): "Handlingar " + numbers.map(\.description).joined(separator: ", ")
        }
    }

    /// What an export of `selection` would refuse at once: a series or case that does not exist, a query the parser
    /// refuses. Checked before a job is queued (the documents' own state is the job's to find).
    public func checkExportSelection(_ selection: ExportRequest.Selection) throws(DiariumError) {
        switch selection {
        case .series(let code, _):
            try store.catalog.read { access in
                guard try access.series(code) != nil else { throw DiariumError.notFound("series", code.rawValue, field: "series") }
            }
        case .case(let number):
            try store.catalog.read { access in
                guard try access.caseRecord(number) != nil else { throw DiariumError.notFound("case", number.description, field: "case") }
            }
        case .query(let text):
            _ = try SearchQueryParser.parse(text)
        case .documents:
            break
        }
    }

    static func selectCases(_ selection: ExportRequest.Selection, access: CatalogAccess) throws -> [(StoredCase, Set<Int>?)] {
        switch selection {
        case .series(let code, let year):
            guard try access.series(code) != nil else { throw DiariumError.notFound("series", code.rawValue) }
            return try access.storedCases(series: code, year: year).map { ($0, nil) }
        case .case(let number):
            return [(try requireCase(number, access), nil)]
        case .query(let text):
            let query = try SearchQueryParser.parse(text)
            var byCase: [CaseNumber: Set<Int>] = [:]
            var cursor: String?
            repeat {
                let page = try access.search(query, view: .full, options: SearchOptions(
                    limit: SearchLimits.maximumPageSize, cursor: cursor, facets: false, snippets: false))
                for hit in page.hits { byCase[hit.number.caseNumber, default: []].insert(hit.number.ordinal) }
                cursor = page.nextCursor
            } while cursor != nil
            return try byCase.keys.sorted().map { (try requireCase($0, access), byCase[$0]) }
        case .documents(let numbers):
            var byCase: [CaseNumber: Set<Int>] = [:]
            for number in numbers {
                guard let stored = try access.document(number) else { throw DiariumError.notFound("document", number.description) }
                try RecordRules.checkContentKept(stored.record)
                byCase[number.caseNumber, default: []].insert(number.ordinal)
            }
            return try byCase.keys.sorted().map { (try requireCase($0, access), byCase[$0]) }
        }
    }

    /// The current version alone, for a package without the history. A file whose name an earlier version's
    /// restriction hid (title or parties) goes under the name made from the number: the versions that would tell the
    /// receiver to keep it hidden are not in the package, and the receiver would otherwise show it to anyone.
    static func finalVersion(_ record: DocumentRecord, nameHiddenEarlier: Bool) -> DocumentVersion {
        let current = record.current
        guard nameHiddenEarlier, let content = current.content,
              // Its own restriction travels with it, and hides the name in the receiving store too.
              !PublicEntry.namesMayReveal(current.metadata.restriction?.hides ?? [])
        else { return current }
        let renamed = ContentReference(sha256: content.sha256, size: content.size, mediaType: content.mediaType,
                                       originalName: PublicEntry.numberedName(record.number, extensionOf: content.originalName))
        return DocumentVersion(number: current.number, change: current.change, author: current.author, createdAt: current.createdAt,
                               comment: current.comment, status: current.status, metadata: current.metadata, content: renamed)
    }

    /// One case with its documents (all versions or the current one) and the audit events about what is exported.
    /// Event `files` name versions as "NUMBER vN"; the package stream turns them into file paths.
    static func transferCase(_ stored: StoredCase, only: Set<Int>?, versions: ExportRequest.Versions, includingDisposed: Bool = true,
                             access: CatalogAccess) throws -> (TransferCase, [ProvenanceEvent]) {
        let provenance = try access.caseProvenance(id: stored.id)
        var documents: [TransferDocument] = []
        // One query for the case: which documents' files an earlier version hid the names of.
        let namesHidden = versions == .final ? try access.namesHiddenEarlier(caseID: stored.id) : []
        // The holds active on the case and its documents travel with an archive package, so that an import keeps what
        // they keep; an interchange (which leaves disposed documents out) carries none: they are this store's matter.
        let holds = includingDisposed ? try access.legalHolds(activeOnly: true, target: .case(stored.record.number), limit: Int(Int32.max)) : []
        func carried(_ scope: LegalHold.Scope, _ number: String) -> [CarriedHold] {
            holds.filter { $0.scope == scope && $0.number == number }.sorted { $0.id < $1.id }
                .map { CarriedHold(reason: $0.reason, placedAt: $0.placedAt, placedBy: $0.placedBy) }
        }
        for document in try access.storedDocuments(caseID: stored.id) {
            if let only, !only.contains(document.record.number.ordinal) { continue }
            // Its content is gone: its registration travels (dx:disposal), or it is left out.
            if document.record.disposal != nil && !includingDisposed { continue }
            let kept = versions == .all ? try access.versions(documentID: document.id)
                : [Self.finalVersion(document.record, nameHiddenEarlier: namesHidden.contains(document.record.number.ordinal))]
            var transferred = TransferDocument(
                number: document.record.number, registeredAt: document.record.registeredAt,
                registeredBy: document.record.registeredBy, externalReference: document.record.originalNumber,
                versions: kept.map { TransferVersion(version: $0, contentPath: nil) }, disposal: document.record.disposal)
            transferred.holds = carried(.document, document.record.number.description)
            documents.append(transferred)
        }
        var record = stored.record
        record.documentCount = documents.count
        var item = TransferCase(record: record, openedBy: provenance.openedBy, externalReference: provenance.externalReference,
                                documents: documents, retention: try access.retentionRules(series: record.number.series),
                                revisions: versions == .all ? try access.caseRevisions(caseID: stored.id) : [])
        if record.status == .closed { item.closedBy = provenance.closedBy }
        item.holds = carried(.case, stored.record.number.description)
        // Records another organisation made, imported here, name it (not this store's organisation, set since).
        if let creator = provenance.archivalCreator {
            let named = (try? Organisation(name: creator.name, code: creator.code)) ?? (try? Organisation(name: creator.name))
            if let named, !(try organisation(access).map(named.isSame) ?? false) { item.archivalCreator = named }
        }
        let caseNumber = stored.record.number.description
        let included = Set(documents.map(\.number.description))
        let exportedVersions = Set(documents.flatMap { d in d.versions.map { "\(d.number) v\($0.version.number)" } })
        let disposals = Dictionary(documents.compactMap { d in d.disposal.map { (d.number.description, $0) } }, uniquingKeysWith: { a, _ in a })
        var events: [ProvenanceEvent] = []
        var after: Int64 = 0
        while true {
            let page = try access.auditEvents(object: caseNumber, includeChildren: true, afterSequence: after, limit: 1000)
            for event in page where event.object == caseNumber || included.contains(event.object) {
                let key = event.version.map { "\(event.object) v\($0)" }
                var premis = ProvenanceEvent(
                    identifier: "audit-\(event.sequence)", type: premisEventType(event.action), at: event.at, agent: event.actor,
                    detail: "\(event.action.rawValue) \(event.object)" + (event.version.map { " version \($0)" } ?? "") + " \(event.details)",
                    files: key.flatMap { exportedVersions.contains($0) ? [$0] : nil } ?? [])
                // A disposal an import took over is logged here when it was imported; the deletion itself happened
                // where the document came from, at the time and by the archivist its disposal record names.
                if event.action == .documentDispose, let disposal = disposals[event.object], disposal.at != event.at {
                    premis.at = disposal.at
                    premis.agent = disposal.by
                    premis.detail += " (recorded here on import at \(Timestamp.format(event.at)) by \(event.actor))"
                }
                events += Self.eventsBeforeImport(event, files: premis.files)
                events.append(premis)
            }
            guard let last = page.last, page.count == 1000 else { break }
            after = last.sequence
        }
        return (item, events)
    }

    /// What an imported case or version went through where it came from, as the import recorded it (the opening and
    /// closing of a case, the making of a version: time, agent, kind), as PREMIS events at their own times before the
    /// ingestion: exported again, the records keep their history instead of all seeming made the day they came in.
    static func eventsBeforeImport(_ event: AuditEvent, files: [String]) -> [ProvenanceEvent] {
        guard event.action == .caseImport || event.action == .documentImport,
              let details = (try? JSONSerialization.jsonObject(with: Data(event.details.utf8))) as? [String: Any] else { return [] }
        let source = (details["package"] as? String).map { " (before import, from package \($0))" } ?? " (before import)"
        // The agent as the source named them, marked as theirs: "anna" there is not this store's "anna".
        let origin = (details["package"] as? String) ?? "before import"
        func made(_ suffix: String, _ type: String, at key: String, by agentKey: String, _ action: String) -> ProvenanceEvent? {
            guard let text = details[key] as? String, let at = Timestamp.parse(text), let agent = details[agentKey] as? String else { return nil }
            return ProvenanceEvent(identifier: "audit-\(event.sequence)-\(suffix)", type: type, at: at, agent: "\(agent) [\(origin)]",
                                   detail: action + source, files: files)
        }
        if event.action == .caseImport {
            return [made("opened", "creation", at: "openedAt", by: "openedBy", "case.open \(event.object)"),
                    made("closed", "policy assignment", at: "closedAt", by: "closedBy", "case.close \(event.object)")].compactMap { $0 }
        }
        guard let change = (details["change"] as? String).flatMap(ChangeKind.init(rawValue:)) else { return [] }
        let (type, action): (String, AuditAction) = switch change {
        case .registered: ("creation", .documentRegister)
        case .content: ("modification", .documentVersion)
        case .metadata: ("metadata modification", .documentUpdate)
        case .status: ("policy assignment", details["status"] as? String == DocumentStatus.archived.rawValue ? .documentArchive : .documentFinalise)
        }
        let version = event.version.map { " version \($0)" } ?? ""
        // A document registered here on arrival: its registration where it came from, when the package did not carry
        // the version that registration made.
        let registered = change == .registered ? nil
            : made("registered", "creation", at: "registeredAt", by: "registeredBy", "\(AuditAction.documentRegister.rawValue) \(event.object)")
        return [registered, made("made", type, at: "createdAt", by: "author", "\(action.rawValue) \(event.object)\(version)")].compactMap { $0 }
    }

    /// The audit action as a term of the Library of Congress PREMIS eventType vocabulary; the action itself is in the
    /// event's detail. Finalising, archiving and closing change what may be done with the record (content fixed,
    /// read-only, the retention period starts): "policy assignment", not "accession", which is the e-archive's own
    /// taking of custody.
    static func premisEventType(_ action: AuditAction) -> String {
        switch action {
        case .caseOpen, .documentRegister: "creation"
        case .documentVersion: "modification"
        case .documentUpdate, .caseUpdate, .storeOrganisation: "metadata modification"
        case .documentFinalise, .documentArchive, .caseClose, .caseReopen: "policy assignment"
        case .caseImport, .documentImport, .packageImport: "ingestion"
        case .packageExport: "information package creation"
        case .storeBackup: "replication"
        case .storeRestore: "recovery"
        case .storeInit, .seriesAdd: "creation"
        case .documentRead, .caseRead: "dissemination"
        case .storePrune, .documentDispose: "deletion"
        case .storeVerify: "fixity check"
        case .holdPlace, .holdRelease: "policy assignment"
        case .seriesUpdate, .storeUpgrade, .retentionSet, .retentionRemove, .classSet, .classRemove, .classRuleSet, .classRuleRemove, .userAdd, .userUpdate,
             .tokenCreate, .tokenRevoke, .partyAdd, .partyUpdate, .interchangeRecord, .interchangeStatus:
            "modification"
        }
    }
}
