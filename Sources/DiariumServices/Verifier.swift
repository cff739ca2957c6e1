import DiariumCore
import DiariumStorage

/// What `verify` found. `problems` empty means the store is intact.
public struct VerifyReport: Codable, Sendable {
    public struct Problem: Codable, Sendable, Equatable {
        /// Stable: `sqlite-integrity`, `catalog-type`, `catalog-trigger-missing`, `document-head`, `blob-missing`,
        /// `blob-damaged`, `blob-size`, `blob-unreadable`, `version-without-blob`, `audit-gap`, `audit-chain-broken`,
        /// `audit-event-altered`, `audit-unrecorded`, `audit-dangling`, `audit-mismatch`, `search-index`.
        public let code: String
        public let object: String
        public let message: String
    }

    public var problems: [Problem] = []
    /// Files under `objects/` that no catalog row names: left by an interrupted registration or disposal. Harmless; removed by
    /// `removeOrphanBlobs`.
    public var orphanBlobs: [String] = []
    public var blobsChecked = 0
    public var bytesChecked: Int64 = 0
    public var auditEventsChecked = 0
    /// The last event's sequence number and hash: record them elsewhere to detect a rewritten log later.
    public var auditHead: String?
    /// Checks that did not run, each with the reason (e.g. the store was opened read-only).
    public var skipped: [String] = []

    public var ok: Bool { problems.isEmpty }

    mutating func add(_ code: String, _ object: String, _ message: String) {
        problems.append(Problem(code: code, object: object, message: message))
    }
}

extension RecordsService {
    /// Logs a verification (`store.verify`): when the store's fixity was last checked and what was found is part of
    /// its record (an archivist shows it to an auditor), also when the check found problems. The details hold
    /// counts and problem codes, not messages (which name documents).
    public func recordVerification(_ report: VerifyReport, actor: String) throws(DiariumError) {
        let actor = try checkedActor(actor)
        var details = AuditDetails()
        details["ok"] = .bool(report.ok)
        details["problems"] = .int(Int64(report.problems.count))
        if !report.ok { details["codes"] = .strings(Array(Set(report.problems.map(\.code))).sorted()) }
        details["files"] = .int(Int64(report.blobsChecked))
        details["bytes"] = .int(report.bytesChecked)
        details["auditEvents"] = .int(Int64(report.auditEventsChecked))
        if let head = report.auditHead { details["head"] = .string(head) }
        if !report.skipped.isEmpty { details["skipped"] = .int(Int64(report.skipped.count)) }
        try store.catalog.write { access in
            try access.appendAudit(at: clock.now(), actor: actor, action: .storeVerify, object: "store", version: nil, details: details.json)
        }
    }

    /// Re-hashes every blob (but content disposed of), checks every version's content exists, walks the audit chain, cross-checks the log
    /// against the rows it records (versions, document heads, cases, accounts, tokens, retention rules), and runs
    /// SQLite's own integrity checks. A damaged catalog is reported, not thrown: the checks that would decode a
    /// damaged value are skipped, and the report says why.
    ///
    /// `checkingSearchIndex` adds FTS5's check of the full-text index against the documents. It re-reads and
    /// re-tokenises everything under the write lock (about a minute per million documents, during which every
    /// registration waits and another process's gives up after 60 s), so the CLI and the API leave it out unless
    /// asked; the index is derived and `diarium index rebuild` remakes it. `reHashingContent` false leaves out the
    /// re-hash of every content file, for a copy whose every file was just hashed as it was made (a restore).
    public func verify(checkingSearchIndex: Bool = true, reHashingContent: Bool = true,
                       progress: (_ phase: String, _ done: Int, _ total: Int) -> Void = { _, _, _ in }) throws(DiariumError) -> VerifyReport {
        var report = VerifyReport()
        do {
            for line in try store.catalog.integrityProblems() {
                report.add("sqlite-integrity", "catalog", line)
            }
        } catch {
            // SQLite stops at a malformed page with an error instead of a row.
            report.add("sqlite-integrity", "catalog", error.message)
            return report
        }
        let damaged = try store.catalog.read { access in
            (types: try access.catalogTypeProblems(), triggers: try access.missingImmutabilityTriggers())
        }
        for name in damaged.triggers {
            report.add("catalog-trigger-missing", name, "trigger \(name) is gone: versions, audit events or case revisions could have been rewritten in place")
        }
        for line in damaged.types {
            report.add("catalog-type", "catalog", line)
        }
        guard damaged.types.isEmpty else {
            report.add("catalog-type", "catalog", "the other checks were skipped: they read these values")
            return report
        }
        if !checkingSearchIndex {
            report.skipped.append("search-index: not asked for (`diarium verify --check-index` or `diarium index status --check`; it holds the write lock for the whole check)")
        } else if store.catalog.isReadOnly {
            // FTS5's integrity check is an INSERT, which a read-only connection refuses.
            report.skipped.append("search-index: the full-text index's integrity check needs write access")
        } else {
            for line in try store.catalog.write({ access in try access.searchIndexProblems() }) {
                report.add("search-index", "search index", line + " (repair with `diarium index rebuild`)")
            }
        }

        let counts = try counts()
        // Files not found or not readable, decided after the read: one disposed of meanwhile is not a problem.
        var vanished: [VerifyReport.Problem] = []
        try store.catalog.read { access in
            if !reHashingContent { report.skipped.append("content: every file was hashed as it was copied") }
            try access.forEachBlob { sha256, size in
                guard reHashingContent else { return }
                let rehashed: (sha256: String, size: Int64)?
                do throws(DiariumError) {
                    rehashed = try store.blobs.rehash(sha256)
                } catch {
                    // A directory, a dangling link or an unreadable file where the content should be.
                    vanished.append(.init(code: "blob-unreadable", object: sha256, message: "content \(sha256) cannot be read: \(error.message)"))
                    report.blobsChecked += 1
                    return
                }
                if let actual = rehashed {
                    if actual.sha256 != sha256 {
                        report.add("blob-damaged", sha256, "content \(sha256) does not match its digest (now \(actual.sha256))")
                    } else if actual.size != size {
                        report.add("blob-size", sha256, "content \(sha256) is \(actual.size) bytes, the catalog says \(size)")
                    }
                    report.bytesChecked += actual.size
                } else {
                    vanished.append(.init(code: "blob-missing", object: sha256, message: "content \(sha256) is missing from \(store.blobs.path(of: sha256))"))
                }
                report.blobsChecked += 1
                progress("content", report.blobsChecked, counts.blobs)
            }
            for missing in try access.versionsWithMissingBlobRow() {
                report.add("version-without-blob", missing.document,
                           "\(missing.document) version \(missing.version) names content \(missing.sha256) that the catalog does not hold")
            }
            var stored: [String] = []
            do throws(DiariumError) {
                stored = try store.blobs.allStoredDigests()
            } catch {
                // A shard folder that cannot be listed (its permissions changed): named, and the rest still checked.
                report.add("blob-folder-unreadable", "content", "\(error.message): files no row names are not looked for")
            }
            for sha256 in stored where try !access.isBlobReferenced(sha256) {
                report.orphanBlobs.append(sha256)
            }

            var expected: Int64 = 1
            var previous = AuditChain.genesisHash
            try access.forEachAuditRow { row in
                if row.sequence != expected {
                    report.add("audit-gap", "audit", "audit events \(expected)–\(row.sequence - 1) are missing")
                }
                if row.previousHash != previous {
                    report.add("audit-chain-broken", "audit event \(row.sequence)",
                               "audit event \(row.sequence) does not follow the event before it (previous hash differs)")
                }
                let hash = AuditChain.hash(sequence: row.sequence, at: row.at, actor: row.actor, action: row.action,
                                           object: row.object, version: row.version, details: row.details,
                                           previousHash: row.previousHash)
                if hash != row.hash {
                    report.add("audit-event-altered", "audit event \(row.sequence)",
                               "audit event \(row.sequence) (\(row.action) \(row.object)) was altered after it was written")
                }
                previous = row.hash
                expected = row.sequence + 1
                report.auditEventsChecked += 1
                report.auditHead = "\(row.sequence):\(row.hash)"
                progress("audit", report.auditEventsChecked, counts.auditEvents)
            }
            let cross = try access.auditCrossCheck()
            for item in try cross.unrecorded + access.exchangeAuditUnrecorded() {
                report.add("audit-unrecorded", item, "\(item) has no audit event: the log was cut or edited")
            }
            for item in cross.dangling {
                report.add("audit-dangling", item, "the audit log records \(item), which is not in the catalog")
            }
            for line in try access.documentHeadProblems() {
                report.add("document-head", "document", line)
            }
            let malformed = try access.malformedAuditDetails()
            for event in malformed {
                report.add("audit-details-malformed", "audit event \(event.sequence)",
                           "audit event \(event.sequence) (\(event.action) \(event.object)): its details are not JSON, which no build writes")
            }
            if malformed.isEmpty {
                for line in try access.versionAuditMismatches() + access.caseAuditMismatches() + access.accessAuditMismatches()
                    + access.tokenDigestMismatches() + access.disposalAuditMismatches() + access.exchangeAuditMismatches()
                    + access.sealMismatches() {
                    report.add("audit-mismatch", "catalog", line)
                }
            } else {
                report.skipped.append("audit-mismatch: the catalog is not compared with the log while events' details are not JSON")
            }
        }
        if !vanished.isEmpty {
            // Disposed of meanwhile, or disposed of and stored again: neither is damage.
            let settled = try store.catalog.read { access in
                Set(try vanished.filter { try access.isBlobDisposed($0.object) || ($0.code == "blob-missing" && store.blobs.contains($0.object)) }
                    .map(\.object))
            }
            report.problems += vanished.filter { !settled.contains($0.object) }
        }
        // A file is found by its digest; an archivist looks for the record: name the versions whose content it is.
        let fileCodes: Set<String> = ["blob-damaged", "blob-size", "blob-missing", "blob-unreadable"]
        if report.problems.contains(where: { fileCodes.contains($0.code) }) {
            let problems = report.problems
            report.problems = try store.catalog.read { access in
                try problems.enumerated().map { index, problem in
                    guard index < 1000, fileCodes.contains(problem.code) else { return problem }
                    let holders = try access.versions(holding: problem.object, limit: 6)
                    guard !holders.isEmpty else { return problem }
                    let named = holders.prefix(5).joined(separator: ", ") + (holders.count > 5 ? ", …" : "")
                    return VerifyReport.Problem(code: problem.code, object: problem.object, message: problem.message + ": the content of \(named)")
                }
            }
        }
        return report
    }
}

extension RecordsService {
    /// Removes the unreferenced files a verification found (`report.orphanBlobs`) that no row names now, and logs a
    /// `store.prune` event with their number and bytes (one per thousand files). Safe while the server runs (see
    /// `BlobPublisher.removeUnreferenced`). Refused when the verification found problems: a file no row names may
    /// then be the content of a damaged row.
    public func removeOrphanBlobs(found report: VerifyReport, actor: String) throws(DiariumError) -> OrphanRemoval {
        let actor = try checkedActor(actor)
        guard report.ok else {
            throw DiariumError(.invalidState, "verify found \(report.problems.count) problem(s): unreferenced files are kept until they "
                               + "are resolved, since a file no row names may be the content of a damaged row")
        }
        let removed = try store.blobs.publisher.removeUnreferenced(report.orphanBlobs, catalog: store.catalog) { access, removed in
            var details = AuditDetails()
            details["files"] = .int(Int64(removed.files))
            details["bytes"] = .int(removed.bytes)
            try access.appendAudit(at: clock.now(), actor: actor, action: .storePrune, object: "store", version: nil, details: details.json)
        }
        return OrphanRemoval(files: removed.files, bytes: removed.bytes)
    }
}

/// What `removeOrphanBlobs` did.
public struct OrphanRemoval: Codable, Sendable, Equatable {
    /// Unreferenced files removed, and their bytes.
    public let files: Int
    public let bytes: Int64

    public init(files: Int, bytes: Int64) {
        self.files = files
        self.bytes = bytes
    }
}
