import DiariumCore
import DiariumExchange
import DiariumExtraction
import DiariumPackage
import DiariumStorage
import DiariumXML
import Foundation

/// How an import numbers the cases and documents it brings in.
public enum ImportNumbering: Sendable, Equatable {
    /// Keep every case and document number. Refused (before anything is written) when a number exists here.
    case preserve
    /// Give each case a new number in this series (next free serial of the current year, as if opened now);
    /// documents keep their ordinals within their case. The original numbers are kept as the external
    /// reference of each case and document (shown by `show`, exported again as ERMS `extraId`), so the
    /// sender's references stay findable. Received interchanges use this.
    case renumber(into: SeriesCode)
}

/// How a received interchange's documents are registered as having come in (`ImportOptions.registersAsIncoming`).
public struct IncomingRegistration: Sendable {
    /// Who they came from: the sender of each that names none.
    public var sender: String
    /// The comment of the version that says so.
    public var comment: String

    public init(sender: String, comment: String) {
        self.sender = sender
        self.comment = comment
    }
}

public struct ImportOptions: Sendable {
    public var numbering: ImportNumbering
    /// With `.renumber`: the case here that already holds the earlier deliveries of a case of the package (by its
    /// number there), if any. Its documents then go into that case, after its last document, instead of a new one
    /// (when it is still open). Received document deliveries use this.
    public var continuing: (@Sendable (CaseNumber, CatalogAccess) throws -> CaseNumber?)?
    /// Check everything and report what would be imported, without writing.
    public var dryRun: Bool
    /// Bounds on archive entries and decompressed bytes (zip bombs).
    public var limits: ArchiveLimits
    /// For packages from other tools: the case their content is registered into (must exist and be open). Every file
    /// is registered unrestricted, so a package that restricts any record is refused.
    public var intoCase: CaseNumber?
    /// How messages name the package (the upload's file name when `path` is a temp file).
    public var displayName: String?
    /// Refuse documents disposed of where they came from: a received interchange is registered here, and its
    /// "accepted" tells the sender it may delete its copy, which a document without content must not.
    public var refusingDisposed = false
    /// Take over the classes of the package's classification structure that this store lacks (imports of archive
    /// packages, also renumbered); not for a received interchange, whose sender classified under its own structure.
    public var takesOverClasses = true
    /// Place again the legal holds the package carries (`dx:hold`; imports of archive packages); not for a received
    /// interchange, whose holds are its sender's matter.
    public var takesOverHolds = true
    /// Keep the organisation each case's records were made by (`dx:case/@archivalCreator`, else the package's
    /// ARCHIVIST) when it is not this store's: exported again, they still name it. Not for a received interchange,
    /// whose records are registered here as this store's own.
    public var takesOverArchivalCreator = true
    /// Register what the package holds as arriving now (a received interchange), as a receiving registry does: each case
    /// is opened now by the importer and open, whatever its state where it came from, and each document registered now by
    /// the importer (the register shows when a document came in, OSL 5 kap. 2 §). Who opened, closed and registered
    /// them there, and when, stays in the import's audit events (`registeredOnArrival` marks such a `case.import`) and
    /// so in a later export's provenance; versions keep their own times and authors. A case's earlier descriptions
    /// (corrections made there) are not taken.
    public var registersOnArrival = false
    /// Register each document as one that came in from `sender` (a received interchange), after `inTransaction`: one
    /// whose current version says otherwise gets a version by the importer with direction incoming and `sender` as its
    /// sender when it names none, commented `comment`, and a draft is then final, as any incoming document is (TF 2
    /// kap. 9 §). The versions made where it came from stay as they were. An archived document keeps the direction it
    /// came with (its metadata accepts only restriction corrections), and so does one with no version numbers left for
    /// the two versions. One that is incoming there too but a draft (an older build registered it so) is made final.
    /// Not for dry runs or foreign packages.
    public var registersAsIncoming: IncomingRegistration?
    /// Metadata documents larger than this are read from a temp file in the store's temp area, streamed, rather than
    /// held in memory (see `PackageReader.Options.spillAbove`); 0 puts every one there.
    public var metadataInMemoryBytes = 1 << 20
    /// Runs inside the import's write transaction once everything is written (before `registersAsIncoming`), with the
    /// report and every case and document number of the package linked to its number here; throwing rolls the whole
    /// import back. Receiving an interchange uses it to record the interchange and its receipt atomically with the
    /// registrations. Not for dry runs or foreign packages.
    public var inTransaction: (@Sendable (CatalogAccess, ImportReport, [NumberLink]) throws -> Void)?

    public init(numbering: ImportNumbering = .preserve, dryRun: Bool = false, limits: ArchiveLimits = ArchiveLimits(),
                intoCase: CaseNumber? = nil, displayName: String? = nil) {
        self.numbering = numbering
        self.dryRun = dryRun
        self.limits = limits
        self.intoCase = intoCase
        self.displayName = displayName
    }
}

public struct ImportReport: Codable, Sendable, Equatable {
    public struct CaseMapping: Codable, Sendable, Equatable {
        public var original: String
        public var assigned: String
    }

    public var packageID: String
    public var dryRun: Bool
    /// "diarium" for Diarium's own packages (every version), "foreign" for other tools' packages.
    public var kind: String
    public var cases: [CaseMapping]
    public var documents: Int
    public var versions: Int
    public var files: Int
    /// Bytes of the distinct content the documents get (not metadata, documentation or schemas).
    public var contentBytes: Int64
    /// Warnings found while checking (errors make the import fail instead).
    public var diagnostics: [PackageDiagnostic]
    /// For foreign packages: what metadata was mapped to which field, and what was kept only as an attached original.
    public var mapped: [String]
    public var keptAsOriginal: [String]
    /// Retention rules the package carried that this store did not have, taken over (e.g. "KS beslut: bevaras").
    public var retention: [String] = []
    /// Classes of the package's classification structure that this store did not have, taken over (e.g. "2.4 Bygglov").
    public var classes: [String] = []
    /// Legal holds active where the package was made, placed again here on the same records (e.g. "KS 2014/3:
    /// Tvist om bygglov (placed 2026-03-01 10:00 by arkivarie)"), with the numbers they have here.
    public var holds: [String] = []
    /// The `package.import` audit event (nil for a dry run).
    public var auditSequence: Int64?
    /// Who the package says made and submitted it (METS `metsHdr` agents: archival creator, submitter, archive,
    /// software), as it names them.
    public var agents: [PackageAgent] = []
}

extension RecordsService {
    /// Imports an information package (a directory, tar or zip) written by Diarium's export, or — with
    /// `options.intoCase` — by another E-ARK tool.
    ///
    /// All or nothing: the package is read into the store's private temp area (content hashed as it streams in),
    /// checked (structure, METS, every SIZE and SHA-256, ERMS), numbers are checked for clashes, then the content
    /// is made durable and everything — cases, documents, every version with its original time, author, comment
    /// and content, restrictions, the search index and the audit events (`case.import`, one `document.import` per
    /// version, and `package.import`) — is written in ONE catalog transaction. Any problem throws and leaves the
    /// catalog exactly as it was. Hostile packages (links, devices, `..` or absolute names, bombs past
    /// `options.limits`, DOCTYPEs) are refused before anything leaves the temp area.
    ///
    /// Synchronous and blocking: a server runs it on a thread pool with its own `Store` (`shared.makeStore()`).
    public func importPackage(at path: String, options: ImportOptions = ImportOptions(), actor: String,
                              progress: (ArchiveProgress) -> Void = { _ in }) throws(DiariumError) -> ImportReport {
        let actor = try checkedActor(actor)
        let incomingComment = try options.registersAsIncoming.map { incoming throws(DiariumError) in
            try TextRules.line(incoming.comment, field: "comment", maxLength: 1000)
        }
        let displayName = options.displayName ?? path
        var staged: [String: StagedBlob] = [:]
        var published = false
        defer { if !published { store.blobs.discard(Array(staged.values)) } }

        // Large metadata documents (the ERMS and PREMIS of a whole series) go here rather than into memory.
        let scratch = try store.blobs.makeScratchDirectory()
        defer { store.blobs.removeScratchDirectory(scratch) }
        progress(ArchiveProgress(phase: "reading", done: 0, total: 0))
        var count = 0
        let readOptions = PackageReader.Options(limits: options.limits, scratchDirectory: scratch, spillAbove: options.metadataInMemoryBytes)
        var package = try PackageReader.read(path, displayName: displayName, options: readOptions) { name, produce throws(DiariumError) in
            guard staged[name] == nil else { throw DiariumError.invalid("package", "\(name) occurs twice in \(displayName)") }
            let blob = try store.blobs.stage(pushing: produce).closingFile()
            staged[name] = blob
            count += 1
            progress(ArchiveProgress(phase: "reading", done: count, total: 0))
            return ReadPackage.FileDigest(sha256: blob.sha256, size: blob.size)
        }
        guard package.errors.isEmpty else { throw PackageInvalid.error(package, displayName: displayName) }
        func blob(_ relative: String) -> StagedBlob? {
            staged[package.root.isEmpty ? relative : "\(package.root)/\(relative)"]
        }

        // Diarium's own ERMS (with every version) or something else.
        let ermsEntry = package.manifest.metadata.first {
            $0.metadataType == "OTHER/ERMS" && $0.isListedByRoot && package.documents[$0.path] != nil
        }
        var transfer: RecordsTransfer?
        var ermsDiagnostics: [PackageDiagnostic] = []
        var isDiarium = false
        if let ermsEntry, let document = package.documents[ermsEntry.path] {
            // Streamed a record at a time: the records are what is held, not a tree of the document.
            let reading = try withExtendedLifetime(document) { () throws(DiariumError) in
                try ERMS.read(document.xml, file: ermsEntry.path, maxVersions: 4 * options.limits.maxEntries)
            }
            // Unreadable (malformed, DOCTYPE): say so, whoever wrote it.
            if reading.isUnreadable { throw PackageInvalid.error(reading.diagnostics, displayName: displayName) }
            if reading.isDiarium {
                isDiarium = true
                (transfer, ermsDiagnostics) = (reading.transfer, reading.diagnostics)
            }
        }
        if !isDiarium || options.intoCase != nil {
            guard let intoCase = options.intoCase else {
                throw DiariumError.invalid("package", "\(displayName) was not made by Diarium (no Diarium ERMS description): "
                                              + "name the case its content goes into (--into-case)")
            }
            // register() copies what it keeps from the staged files; the deferred discard removes them after.
            return try importForeign(package, into: intoCase, isDiarium: isDiarium, blob: blob, options: options, actor: actor,
                                     displayName: displayName, progress: progress)
        }
        guard var transfer else { throw PackageInvalid.error(ermsDiagnostics, displayName: displayName) }
        let asRead = transfer
        // Read: their temp files go now, before the content is synced (a sync of the file system would write them too).
        package.documents = [:]

        // Every version's content must be a file of the package with the digest and size ERMS gives; a disposed
        // document's disposal must fit its case: due after it was opened, disposed of when due and not later than now,
        // and, when made after the case's last closing, due from it. One made before that closing, or in a case open
        // now, was due from an earlier closing: the case was opened again since (a late appeal), which is no fault.
        var problems: [PackageDiagnostic] = []
        var invalid: [PackageDiagnostic] = []   // what the package says, not damage on the way
        var sizes: [String: Int64] = [:]
        let checkedAt = clock.now()
        // Content the manifest does not list has no checksum of its own there: the reader warned that it ignores
        // such files, so an import must not take one either.
        let listed = Set(package.manifest.all.map(\.path))
        for item in transfer.cases {
            for document in item.documents {
                if let disposal = document.disposal {
                    let opened = item.record.openedAt, closed = item.record.closedAt
                    let why: String? = if options.refusingDisposed {
                        "\(document.number) was disposed of: an interchange delivers documents with their content"
                    } else if disposal.dueAt < opened || disposal.at < disposal.dueAt || disposal.at > checkedAt
                                || closed.map({ disposal.at >= $0 && disposal.dueAt < $0 }) == true {
                        "\(document.number): a disposal at \(Timestamp.format(disposal.at)) due \(Timestamp.format(disposal.dueAt)) "
                            + "cannot be right for a case opened \(Timestamp.format(opened))"
                            + (closed.map { " and closed \(Timestamp.format($0))" } ?? "") + " (nor one after now)"
                    } else {
                        nil
                    }
                    if let why { invalid.append(PackageDiagnostic(file: ermsEntry!.path, element: "dx:disposal", message: why)) }
                }
                for content in document.versions.compactMap(\.version.content) {
                    if let size = sizes.updateValue(content.size, forKey: content.sha256), size != content.size {
                        invalid.append(PackageDiagnostic(file: ermsEntry!.path, element: "dx:content",
                            message: "content \(content.sha256) is given as \(size) and as \(content.size) bytes"))
                    }
                }
                for version in document.versions {
                    // A disposed document's content is described, not carried.
                    guard let content = version.version.content, document.disposal == nil else { continue }
                    guard let contentPath = version.contentPath, let file = package.files[contentPath], blob(contentPath) != nil else {
                        problems.append(PackageDiagnostic(file: ermsEntry!.path, element: "dx:content",
                            message: "\(document.number) version \(version.version.number): content \(version.contentPath ?? "?") is not in the package"))
                        continue
                    }
                    guard listed.contains(contentPath) else {
                        invalid.append(PackageDiagnostic(file: ermsEntry!.path, element: "dx:content",
                            message: "\(document.number) version \(version.version.number): \(contentPath) is not listed in the package's "
                                + "METS (every content file must be, with its checksum)"))
                        continue
                    }
                    if file.sha256 != content.sha256 || file.size != content.size {
                        problems.append(PackageDiagnostic(file: ermsEntry!.path, element: "dx:content",
                            message: "\(document.number) version \(version.version.number): \(contentPath) is \(file.size) bytes with SHA-256 "
                                + "\(file.sha256), ERMS says \(content.size) bytes, \(content.sha256)"))
                    }
                }
            }
        }
        guard invalid.isEmpty else { throw PackageInvalid.error(invalid, displayName: displayName) }
        // Content missing or not what the ERMS says: damaged on the way, as a METS mismatch is.
        guard problems.isEmpty else { throw PackageInvalid.error(problems, displayName: displayName, damaged: true) }

        let now = clock.now()
        let (plan, retention, classes, again, departments) = try store.catalog.read { access in
            let plan = try Self.planNumbers(&transfer, numbering: options.numbering, continuing: options.continuing, now: now, access: access)
            if options.registersOnArrival { Self.arrive(&transfer, at: now, by: actor) }
            // A series this import creates, of a package that does not say which department keeps it.
            let departments = try asRead.seriesWithoutDepartment.sorted().filter { code in
                try access.series(code) == nil && transfer.cases.contains { $0.record.number.series == code }
            }.map { code in
                PackageDiagnostic(.warning, file: ermsEntry!.path, element: "dx:case",
                                  message: "the package does not name the department that keeps series \(code) (seriesDepartment): "
                                      + "it is created kept by department \(code), whose clerks may read its restricted documents")
            }
            return (plan, try Self.planRetention(asRead, numbering: options.numbering, file: ermsEntry!.path, access: access),
                    try Self.planClasses(asRead, takingOver: options.takesOverClasses, file: ermsEntry!.path, access: access),
                    try Self.importedBefore(package.manifest.objectID, access: access), departments)
        }
        var report = ImportReport(
            packageID: package.manifest.objectID, dryRun: options.dryRun, kind: "diarium",
            cases: plan.map { ImportReport.CaseMapping(original: $0.original.description, assigned: $0.assigned.description) },
            documents: transfer.documentCount, versions: transfer.versionCount, files: package.files.count,
            contentBytes: Dictionary(transfer.cases.flatMap { $0.documents.filter { $0.disposal == nil }.flatMap { $0.versions.compactMap(\.version.content) } }
                .map { ($0.sha256, $0.size) }, uniquingKeysWith: { a, _ in a }).values.reduce(0, +),
            diagnostics: package.diagnostics + ermsDiagnostics + departments + retention.diagnostics + classes.diagnostics + again,
            mapped: [], keptAsOriginal: [], auditSequence: nil, agents: package.manifest.agents)
        report.retention = retention.adopt.map { "\($0.scope): \($0.period) (\($0.mandate))" }
        report.classes = classes.adopt.map { item in
            "\(item.code) \(item.title)" + (item.retention.map { ": \($0.period) (\($0.mandate))" } ?? "")
                + item.typeRules.map { "; \($0.type.swedishName): \($0.terms.period) (\($0.terms.mandate))" }.joined()
        }
        if options.takesOverHolds {
            report.holds = transfer.cases.flatMap { item in
                [(item.record.number.description, item.holds)] + item.documents.map { ($0.number.description, $0.holds) }
            }.flatMap { number, holds in
                holds.map { "\(number): \($0.reason) (placed \(Timestamp.swedishDisplay($0.placedAt)) by \($0.placedBy))" }
            }
        }
        if options.dryRun { return report }

        // Only content some version names is kept; other files (metadata, documentation) stay in the package.
        var needed: [String: (StagedBlob, ContentReference)] = [:]
        for item in transfer.cases {
            for document in item.documents {
                for version in document.versions {
                    if let content = version.version.content, let path = version.contentPath, let b = blob(path) {
                        needed[content.sha256] = needed[content.sha256] ?? (b, content)
                    }
                }
            }
        }
        // Text for the search index, once per distinct content this store has no rendition of yet: read now, while
        // the staged files are fresh in the page cache, and spooled to the scratch directory until the transaction
        // writes it (held in memory, the text of a whole series would take gigabytes).
        progress(ArchiveProgress(phase: "extracting text", done: 0, total: needed.count))
        let known = try store.catalog.read { access in Set(try needed.keys.filter { try access.hasRendition(sha256: $0) }) }
        let texts = try TextSpool(directory: scratch)
        for (sha256, (b, content)) in needed where !known.contains(sha256) {
            try texts.append(sha256: sha256, extractor.analyse(fileAt: b.stagedPath, mediaType: content.mediaType, originalName: content.originalName))
        }

        progress(ArchiveProgress(phase: "storing", done: 0, total: needed.count))
        let unique = needed.values.map(\.0)
        let kept = Set(unique.map(\.stagedPath))
        store.blobs.discard(staged.values.filter { !kept.contains($0.stagedPath) })
        staged = [:]
        do {
            // As a registration batch does: two syncs of the file system, not one per file. The files started their
            // write-back as they were staged; the package's metadata went before, so it is not written out too (the
            // text spool is: extracting after the sync spared that, but then read many files back from the disk).
            try store.blobs.publisher.publish(unique, durability: .batch(of: unique.count), cleaningUpIn: store.catalog)
        } catch {
            published = true   // nothing left to discard: its temp names are gone, and so is what it linked
            throw error
        }
        published = true
        let publisher = store.blobs.publisher
        defer { publisher.release(unique) }

        progress(ArchiveProgress(phase: "committing", done: 0, total: transfer.documentCount))
        let source = (displayName.split(separator: "/").last.map(String.init) ?? displayName)
        let planned = report
        // A refused import leaves the store as it was: its files go again if its rows do not commit.
        do throws(DiariumError) { report.auditSequence = try store.catalog.write { access in
            // Numbers are checked again under the write lock: another writer may have taken one meanwhile.
            var again = asRead
            _ = try Self.planNumbers(&again, numbering: options.numbering, continuing: options.continuing, now: now, access: access)
            if options.registersOnArrival { Self.arrive(&again, at: now, by: actor) }
            guard again == transfer else {
                throw DiariumError(.alreadyExists, "case numbers changed while importing \(displayName); run the import again")
            }
            for code in Set(transfer.cases.map(\.record.number.series)).sorted() where try access.series(code) == nil {
                let series = transfer.series.first { $0.code == code } ?? Series(code: code, name: code.rawValue, createdAt: now)
                try access.insertSeries(series)
                var details = AuditDetails()
                details["name"] = .string(series.name)
                details["department"] = .string(series.department.rawValue)
                details["package"] = .string(package.manifest.objectID)
                try access.appendAudit(at: now, actor: actor, action: .seriesAdd, object: code.rawValue, version: nil, details: details.json)
            }
            // Planned again under the write lock; a rule set here meanwhile is kept (and was warned about if it differs).
            for rule in try Self.planRetention(asRead, numbering: options.numbering, file: ermsEntry!.path, access: access).adopt {
                try access.putRetentionRule(rule)
                var details = Self.retentionAuditDetails(rule)
                details["package"] = .string(package.manifest.objectID)
                try access.appendAudit(at: now, actor: actor, action: .retentionSet, object: Self.retentionAuditObject(rule.series, rule.recordType),
                                       version: nil, details: details.json)
            }
            // Planned again under the write lock too: a class added here meanwhile is kept, one removed is added again.
            for item in try Self.planClasses(asRead, takingOver: options.takesOverClasses, file: ermsEntry!.path, access: access).adopt {
                try Self.putClass(item, actor: actor, at: now, access)
            }
            for b in unique { try access.insertBlob(b, at: now, publishedIn: publisher) }
            for entry in texts.entries {
                try access.insertRendition(sha256: entry.sha256, entry.rendition, text: try texts.text(of: entry), at: now)
                if let format = entry.format { try access.setFormat(sha256: entry.sha256, format) }
            }
            // Only where the creator is taken over; a stored organisation a later rule refuses does not stop an import.
            let ours = options.takesOverArchivalCreator ? (try? Self.organisation(access)) ?? nil : nil
            let packageCreator = Self.archivalCreator(package.manifest.agents)
            for (sent, item) in zip(asRead.cases, transfer.cases) {
                // A case here already (planned so only as a follow-up delivery's): its documents join it, the case stays
                // as it is, and each document's own events say where it came from.
                let continued = try access.caseStatus(item.record.number)?.id
                let caseID = try continued ?? access.insertImportedCase(item.record, openedBy: item.openedBy, externalReference: item.externalReference)
                if continued == nil {
                    var details = AuditDetails()
                    // Whose records these are, when another organisation's: kept with the case's import (`caseProvenance`).
                    if options.takesOverArchivalCreator, let creator = item.archivalCreator ?? packageCreator,
                       !(ours.map(creator.isSame) ?? false) {
                        details["archivalCreator"] = .string(creator.name)
                        details["archivalCreatorCode"] = creator.code.map { .string($0) }
                    }
                    details["package"] = .string(package.manifest.objectID)
                    // Opened and closed as the package says (where it came from), in the state it has here: the same for an
                    // archive package; a case registered on arrival is open here whatever it was there.
                    details["openedAt"] = .string(Timestamp.format(sent.record.openedAt))
                    details["openedBy"] = .string(sent.openedBy)
                    details["status"] = .string(item.record.status.rawValue)
                    if options.registersOnArrival { details["registeredOnArrival"] = .bool(true) }
                    if let closed = sent.record.closedAt { details["closedAt"] = .string(Timestamp.format(closed)) }
                    if let closedBy = sent.closedBy { details["closedBy"] = .string(closedBy) }
                    if let original = item.externalReference { details["original"] = .string(original) }
                    Self.noteTitleRestriction(item.record, in: &details)
                    for revision in item.revisions { try access.insertCaseRevision(caseID: caseID, revision) }
                    if !item.revisions.isEmpty {
                        details["revisions"] = .int(Int64(item.revisions.count))
                        // Each as it came (time, author, title restriction), so that verify holds it to this event as it
                        // holds a correction's kept description to the correction's.
                        details["kept"] = .objects(item.revisions.map(Self.keptDetails))
                    }
                    try Self.seal(&details, item.record, access)
                    try access.appendAudit(at: now, actor: actor, action: .caseImport, object: item.record.number.description,
                                           version: nil, details: details.json)
                }
                for (sentDocument, document) in zip(sent.documents, item.documents) {
                    _ = try access.insertImportedDocument(
                        caseID: caseID, ordinal: document.number.ordinal, registeredAt: document.registeredAt,
                        registeredBy: document.registeredBy, externalReference: document.externalReference,
                        versions: document.versions.map(\.version), disposal: document.disposal)
                    for version in document.versions {
                        var details = try Self.details(for: version.version, of: document.number, sealedBy: access)
                        details["package"] = .string(package.manifest.objectID)
                        details["change"] = .string(version.version.change.rawValue)
                        details["author"] = .string(version.version.author)
                        details["createdAt"] = .string(Timestamp.format(version.version.createdAt))
                        if let original = document.externalReference { details["original"] = .string(original) }
                        // Registered on arrival: when and by whom it was registered where it came from, with the first
                        // version the package carries (an interchange carries the current one only).
                        if options.registersOnArrival && version.version.number == document.versions[0].version.number {
                            details["registeredAt"] = .string(Timestamp.format(sentDocument.registeredAt))
                            details["registeredBy"] = .string(sentDocument.registeredBy)
                        }
                        try access.appendAudit(at: now, actor: actor, action: .documentImport, object: document.number.description,
                                               version: version.version.number, details: details.json)
                    }
                    if let disposal = document.disposal {
                        var details = Self.disposalDetails(disposal)
                        details["package"] = .string(package.manifest.objectID)
                        details["disposedAt"] = .string(Timestamp.format(disposal.at))
                        details["disposedBy"] = .string(disposal.by)
                        try access.appendAudit(at: now, actor: actor, action: .documentDispose, object: document.number.description,
                                               version: nil, details: details.json)
                    }
                }
                // The holds active where the package was made keep the same records here. Placed as they were placed,
                // logged now by the importer with the original time and archivist in the details (as disposals are).
                guard options.takesOverHolds else { continue }
                let carried = [(HoldTarget.case(item.record.number), item.holds)]
                    + item.documents.map { (HoldTarget.document($0.number), $0.holds) }
                for (target, holds) in carried {
                    for held in holds {
                        let hold = try access.placeHold(target, reason: held.reason, at: held.placedAt, by: held.placedBy)
                        var details = try Self.holdDetails(hold, released: false, sealedBy: access)
                        details["package"] = .string(package.manifest.objectID)
                        details["placedAt"] = .string(Timestamp.format(held.placedAt))
                        details["placedBy"] = .string(held.placedBy)
                        try access.appendAudit(at: now, actor: actor, action: .holdPlace, object: hold.number, version: nil, details: details.json)
                    }
                }
            }
            var details = AuditDetails()
            details["source"] = .string(source)
            details["cases"] = .int(Int64(transfer.cases.count))
            details["documents"] = .int(Int64(transfer.documentCount))
            details["versions"] = .int(Int64(transfer.versionCount))
            Self.noteArchivalCreator(package.manifest.agents, in: &details)
            let event = try access.appendAudit(at: now, actor: actor, action: .packageImport, object: package.manifest.objectID,
                                               version: nil, details: details.json)
            try access.insertPackageImport(packageID: package.manifest.objectID, source: source, at: now, actor: actor,
                                           cases: transfer.cases.count, documents: transfer.documentCount, auditSequence: event.sequence)
            if let hook = options.inTransaction {
                var links: [NumberLink] = []
                for (original, assigned) in zip(asRead.cases, transfer.cases) {
                    links.append(NumberLink(senderNumber: original.record.number.description, receiverNumber: assigned.record.number.description))
                    for (from, to) in zip(original.documents, assigned.documents) {
                        links.append(NumberLink(senderNumber: from.number.description, receiverNumber: to.number.description))
                    }
                }
                var done = planned
                done.auditSequence = event.sequence
                try hook(access, done, links)
            }
            if let incoming = options.registersAsIncoming, let incomingComment {
                for document in transfer.cases.flatMap(\.documents) {
                    let current = try requireDocument(document.number, access).record
                    guard current.status != .archived, current.current.number < DocumentVersion.maxNumber - 1 else { continue }
                    if current.current.metadata.direction != .incoming {
                        var change = MetadataChange()
                        change.direction = .incoming
                        if current.current.metadata.sender == nil { change.sender = .some(incoming.sender) }
                        _ = try update(document.number, change, comment: incomingComment, expectedVersion: nil, actor: actor, in: access)
                    } else if current.status == .draft {
                        // Incoming there too, but a draft (an older build registered it so): final as it came in here.
                        _ = try finaliseIncomingDraft(document.number, actor: actor, in: access)
                    }
                }
            }
            return event.sequence
        } } catch {
            // A commit whose outcome is unknown may come back when the catalog is next opened: its files stay.
            if !error.outcomeUnknown { publisher.removeUnrecorded(unique, catalog: store.catalog) }
            throw error
        }
        progress(ArchiveProgress(phase: "done", done: transfer.documentCount, total: transfer.documentCount))
        return report
    }

    /// The organisation a package names as its archival creator (METS ARCHIVIST), when it names one that is an
    /// organisation; its code is dropped when it is not one Diarium takes (a foreign scheme without its prefix).
    static func archivalCreator(_ agents: [PackageAgent]) -> Organisation? {
        guard let agent = agents.first(where: { $0.role == "ARCHIVIST" && $0.type == "ORGANIZATION" }) else { return nil }
        return (try? Organisation(name: agent.name, code: agent.code)) ?? (try? Organisation(name: agent.name))
    }

    /// The package's archival creator in a `package.import` event: whose records came in. An organisation's name and
    /// code; of any other (a person, whose code would be a personnummer) only the type, as audit details name no parties.
    static func noteArchivalCreator(_ agents: [PackageAgent], in details: inout AuditDetails) {
        guard let creator = agents.first(where: { $0.role == "ARCHIVIST" }) else { return }
        guard creator.type == "ORGANIZATION" else {
            // METS's words only: an OTHERTYPE is the package's free text.
            details["archivalCreatorType"] = .string(creator.type == "INDIVIDUAL" ? "INDIVIDUAL" : "OTHER")
            return
        }
        details["archivalCreator"] = .string(creator.name)
        if let code = creator.code { details["archivalCreatorCode"] = .string(code) }
    }

    /// A warning when a package with this OBJID was imported here before: importing it again registers its records a
    /// second time (as new cases or documents), which is seldom meant.
    static func importedBefore(_ packageID: String, access: CatalogAccess) throws -> [PackageDiagnostic] {
        let earlier = try access.packageImports(packageID: packageID)
        guard !earlier.isEmpty else { return [] }
        return [PackageDiagnostic(.warning, file: "METS.xml", element: "mets:mets",
            message: "package \(packageID) was already imported here (\(earlier.map(Timestamp.format).joined(separator: ", "))): "
                + "its records are registered again, as new cases and documents")]
    }

    /// Which of the package's retention rules this store takes over: those of series that keep their numbers and
    /// have no rule of their own for that record type. A differing rule here is kept, and so are the schedules of
    /// series the cases are renumbered into (a receiving board's own plan applies); both are reported as warnings.
    static func planRetention(_ transfer: RecordsTransfer, numbering: ImportNumbering, file: String,
                              access: CatalogAccess) throws -> (adopt: [RetentionRule], diagnostics: [PackageDiagnostic]) {
        var carried: [String: RetentionRule] = [:]
        var diagnostics: [PackageDiagnostic] = []
        for item in transfer.cases {
            for rule in item.retention {
                let key = "\(rule.series)/\(rule.recordType?.rawValue ?? "")"
                if let earlier = carried[key], earlier != rule {
                    diagnostics.append(PackageDiagnostic(.warning, file: file, element: "dx:retention",
                        message: "case \(item.record.number) gives another retention rule for \(rule.scope) than an earlier case; the first is used"))
                } else {
                    carried[key] = carried[key] ?? rule
                }
            }
        }
        let rules = carried.keys.sorted().map { carried[$0]! }
        if case .renumber(let series) = numbering {
            if !rules.isEmpty {
                diagnostics.append(PackageDiagnostic(.warning, file: file, element: "dx:retention",
                    message: "the package's retention rules (\(Set(rules.map(\.series.rawValue)).sorted().joined(separator: ", "))) are not taken over: "
                        + "its cases get numbers in \(series), whose own retention schedule applies"))
            }
            return ([], diagnostics)
        }
        var adopt: [RetentionRule] = []
        var existing: [SeriesCode: [RetentionRule]] = [:]
        for rule in rules {
            if existing[rule.series] == nil { existing[rule.series] = try access.retentionRules(series: rule.series) }
            guard let here = existing[rule.series]!.first(where: { $0.recordType == rule.recordType }) else {
                adopt.append(rule)
                continue
            }
            if here != rule {
                diagnostics.append(PackageDiagnostic(.warning, file: file, element: "dx:retention",
                    message: "this store's retention rule for \(rule.scope) (\(here.period), \(here.mandate)) is kept; "
                        + "the package's says \(rule.period) (\(rule.mandate))"))
            }
        }
        return (adopt, diagnostics)
    }

    /// The package's classes this store lacks, to add (parents first); a class both have with other terms keeps this
    /// store's, with a warning. Records keep the classes they were given, as in the store they come from (which may
    /// have given some before it had a structure): a current description classified under a class neither structure
    /// has is warned of, as no class's rule governs it here. `takingOver` false (a received interchange): no class is
    /// taken over, as the sender classified under its own structure.
    static func planClasses(_ transfer: RecordsTransfer, takingOver: Bool, file: String, access: CatalogAccess) throws
        -> (adopt: [ClassificationClass], diagnostics: [PackageDiagnostic]) {
        var adopt: [ClassificationClass] = []
        var diagnostics: [PackageDiagnostic] = []
        var known = ClassificationScheme(try access.classes()).classes
        if !takingOver {
            if !transfer.classification.isEmpty {
                diagnostics.append(PackageDiagnostic(.warning, file: file, element: "dx:classification",
                    message: "the sender's classification structure (\(transfer.classification.count) classes) is not taken over: "
                        + "its records keep the classes the sender gave them"))
            }
        } else {
            for item in ClassificationScheme(transfer.classification).ordered {
                guard let here = known[item.code] else {
                    adopt.append(item)
                    known[item.code] = item
                    continue
                }
                if here != item {
                    diagnostics.append(PackageDiagnostic(.warning, file: file, element: "dx:class",
                        message: "this store's class \(here.code) (\(here.title)" + (here.rulesSummary.map { ", \($0)" } ?? "")
                            + ") is kept; the package's says \(item.title)" + (item.rulesSummary.map { ", \($0)" } ?? ", no rule")))
                }
            }
        }
        guard !known.isEmpty else { return (adopt, diagnostics) }
        var reported: Set<String> = []
        func check(_ code: String?, _ what: @autoclosure () -> String) {
            guard let code, known[code] == nil, reported.insert(code).inserted else { return }
            diagnostics.append(PackageDiagnostic(.warning, file: file, element: "classification",
                message: "\(what()) is classified \(code), which is not in this store's classification structure"
                    + (takingOver ? " nor in the package's" : "") + ": it keeps the code, and no class's rule governs it here "
                    + "(its series' rules do)"))
        }
        for item in transfer.cases {
            check(item.record.classification, "case \(item.record.number)")
            for document in item.documents { check(document.current.version.metadata.classification, "\(document.number)") }
        }
        return (adopt, diagnostics)
    }

    /// When and by whom a document registered here on arrival was registered where it came from, as its import kept
    /// it (`ImportOptions.registersOnArrival`); nil for any other document.
    public func registrationWhereItCameFrom(_ number: DocumentNumber) throws(DiariumError) -> (at: Date, by: String)? {
        guard let event = try audit(object: number.description, limit: 100).first(where: { $0.action == .documentImport }),
              let details = (try? JSONSerialization.jsonObject(with: Data(event.details.utf8))) as? [String: Any],
              let at = (details["registeredAt"] as? String).flatMap(Timestamp.parse), let by = details["registeredBy"] as? String
        else { return nil }
        return (at, by)
    }

    /// Makes the transfer's cases and documents registered here at `now` by `actor` (`ImportOptions.registersOnArrival`):
    /// each case opened then and open, each document registered then. The descriptions a case had before its last
    /// correction where it came from stay there: kept here, they would be older than its opening.
    static func arrive(_ transfer: inout RecordsTransfer, at now: Date, by actor: String) {
        for c in transfer.cases.indices {
            transfer.cases[c].revisions = []
            transfer.cases[c].record.openedAt = now
            transfer.cases[c].record.status = .open
            transfer.cases[c].record.closedAt = nil
            transfer.cases[c].openedBy = actor
            transfer.cases[c].closedBy = nil
            for d in transfer.cases[c].documents.indices {
                transfer.cases[c].documents[d].registeredAt = now
                transfer.cases[c].documents[d].registeredBy = actor
            }
        }
    }

    /// Gives the transfer's cases the numbers they get here (rewriting case and document numbers in place, and
    /// setting external references when renumbering). Throws on a clash. Pure apart from reading the catalog.
    static func planNumbers(_ transfer: inout RecordsTransfer, numbering: ImportNumbering,
                            continuing: (@Sendable (CaseNumber, CatalogAccess) throws -> CaseNumber?)? = nil, now: Date,
                            access: CatalogAccess) throws -> [(original: CaseNumber, assigned: CaseNumber)] {
        var plan: [(CaseNumber, CaseNumber)] = []
        switch numbering {
        case .preserve:
            var clashes: [String] = []
            var seen: Set<CaseNumber> = []
            for item in transfer.cases {
                if !seen.insert(item.record.number).inserted { clashes.append("\(item.record.number) (twice in the package)") }
                if try access.caseRecord(item.record.number) != nil { clashes.append(item.record.number.description) }
                plan.append((item.record.number, item.record.number))
            }
            guard clashes.isEmpty else {
                throw DiariumError(.alreadyExists, "case number\(clashes.count == 1 ? "" : "s") already in this store: "
                    + clashes.prefix(20).joined(separator: ", ") + (clashes.count > 20 ? ", …" : "")
                    + " (import into a series, --into-series or intoSeries, to give the cases new numbers)", field: "package")
            }
        case .renumber(let series):
            guard try access.series(series) != nil else {
                throw DiariumError(.notFound, "series \(series) does not exist (add it with `diarium series add`)", field: "into-series")
            }
            let year = Timestamp.swedishYear(of: now)
            var serial = try access.nextCaseSerial(series: series, year: year)
            for c in transfer.cases.indices {
                let original = transfer.cases[c].record.number
                // A follow-up: into the open case that holds the earlier deliveries, after its last document.
                var assigned: CaseNumber
                var firstOrdinal: Int?
                if let earlier = try continuing?(original, access), let stored = try access.caseStatus(earlier), stored.status == .open {
                    assigned = earlier
                    firstOrdinal = try access.nextOrdinal(caseID: stored.id)
                } else {
                    assigned = try CaseNumber.next(series: series, year: year, serial: serial)
                    serial += 1
                }
                plan.append((original, assigned))
                transfer.cases[c].externalReference = transfer.cases[c].externalReference ?? original.description
                let r = transfer.cases[c].record
                transfer.cases[c].record = CaseRecord(
                    number: assigned, title: r.title, publicTitle: r.publicTitle, restriction: r.restriction,
                    classification: r.classification, status: r.status,
                    department: r.department, officer: r.officer, openedAt: r.openedAt, closedAt: r.closedAt, documentCount: r.documentCount)
                for d in transfer.cases[c].documents.indices {
                    let old = transfer.cases[c].documents[d].number
                    transfer.cases[c].documents[d].externalReference = transfer.cases[c].documents[d].externalReference ?? old.description
                    transfer.cases[c].documents[d].number = DocumentNumber(caseNumber: assigned, ordinal: firstOrdinal.map { $0 + d } ?? old.ordinal)
                }
            }
        }
        return plan
    }
}
