import DiariumCore
import DiariumStorage
import Foundation

/// What a disposal run disposes of.
public enum DisposalSelection: Sendable, Equatable {
    /// Everything due now (in one series, or in all), except what a legal hold keeps; at most `limit` documents
    /// disposed of (an HTTP request should not run for minutes: the report says when more may be due).
    case due(series: SeriesCode?, limit: Int? = nil)
    /// Exactly these documents, as reviewed on the disposal list: all of them or, if one is not due or is held,
    /// none.
    case documents([DocumentNumber])
}

/// Disposal (gallring) under the retention schedule, and the legal holds that stop it. An archivist lists what is due
/// (`disposalDue`), reviews it, and disposes of it (`dispose`): the content goes, the registration and a record of
/// the disposal (when, by whom, under which rule) stay, each logged as `document.dispose`.
extension RecordsService {
    // MARK: Legal holds

    /// Places a legal hold on a case (all its documents, also those registered later) or on one document. The log
    /// records the hold's number, not its reason: that may name what the records are wanted for, and the log is read
    /// by admins without clearance. Its keyed seal (`DescriptionSeal`) covers the reason, so verify finds it rewritten.
    public func placeHold(on target: HoldTarget, reason: String, actor: String) throws(DiariumError) -> LegalHold {
        let actor = try checkedActor(actor)
        let reason = try TextRules.line(reason, field: "reason", maxLength: LegalHold.maxReasonLength)
        return try store.catalog.write { access in
            let now = clock.now()
            let hold = try access.placeHold(target, reason: reason, at: now, by: actor)
            try access.appendAudit(at: now, actor: actor, action: .holdPlace, object: hold.number, version: nil,
                                   details: Self.holdDetails(hold, released: false, sealedBy: access).json)
            return hold
        }
    }

    /// Releases an active legal hold, saying why: what it kept may then be disposed of when due, so the release is
    /// justified as the hold was (the reason is kept with the hold and sealed in the log, not written in it).
    public func releaseHold(id: Int64, reason: String, actor: String) throws(DiariumError) -> LegalHold {
        let actor = try checkedActor(actor)
        let reason = try TextRules.line(reason, field: "reason", maxLength: LegalHold.maxReasonLength)
        return try store.catalog.write { access in
            let now = clock.now()
            let hold = try access.releaseHold(id: id, reason: reason, at: now, by: actor)
            try access.appendAudit(at: now, actor: actor, action: .holdRelease, object: hold.number, version: nil,
                                   details: Self.holdDetails(hold, released: true, sealedBy: access).json)
            return hold
        }
    }

    /// Holds, newest first: the active ones (or all); on a case, those on it and its documents; on a document, those
    /// that keep it (its own and its case's). `after`: the last hold of the previous page (those older than it follow).
    public func legalHolds(includingReleased: Bool = false, on target: HoldTarget? = nil, after: Int64? = nil,
                           limit: Int = 1000) throws(DiariumError) -> [LegalHold] {
        try Self.checkPageSize(limit)
        return try store.catalog.read { try $0.legalHolds(activeOnly: !includingReleased, target: target, before: after, limit: limit) }
    }

    public func legalHold(id: Int64) throws(DiariumError) -> LegalHold {
        guard let hold = try store.catalog.read({ try $0.legalHold(id: id) }) else {
            throw DiariumError(.notFound, "legal hold \(id) does not exist", field: "id")
        }
        return hold
    }

    /// A hold event's details: the hold's number and the seal of what it stores as placed (or released).
    static func holdDetails(_ hold: LegalHold, released: Bool, sealedBy access: CatalogAccess) throws -> AuditDetails {
        var details = AuditDetails()
        details["hold"] = .int(hold.id)
        if let seal = try access.seal(ofHold: hold.id, released: released) { details["seal"] = .string(seal) }
        return details
    }

    // MARK: Disposal

    /// The disposal list (gallringslista): documents whose retention period has run out by the end of `day` (Swedish
    /// time; today when nil), in number order after `after`, at most `limit`. Held documents are listed with the
    /// holds that keep them. Reads in bounded memory; at a million documents, a list of the whole store takes seconds.
    public func disposalDue(asOf day: CalendarDate? = nil, series: SeriesCode? = nil, after: DocumentNumber? = nil,
                            limit: Int = 1000) throws(DiariumError) -> [DueDisposal] {
        let day = day ?? Timestamp.swedishDate(of: clock.now())
        return try store.catalog.read { access in
            try Self.requireSeries(series, access)
            var rules = RuleCache()
            var due: [DueDisposal] = []
            try access.forEachDisposalCandidate(series: series, after: after) { candidate in
                if let item = try rules.due(candidate, access: access), Timestamp.swedishDate(of: item.dueAt) <= day {
                    due.append(item)
                }
                return due.count < limit
            }
            return due
        }
    }

    /// Disposes of what `selection` names, as of now. Each document's disposal is logged (`document.dispose`, with the
    /// rule's mandate and years and the day it fell due) in the transaction that records it; its content files are
    /// removed after the commit, unless another document still has the same bytes. A file left by a crash or a failure
    /// between the two is removed by the next run (or `verify --remove-orphans`); the report counts it (`filesLeft`).
    ///
    /// `.documents` is checked whole first: a document not due, held, or disposed of already refuses the run and
    /// nothing is disposed of. `.due` goes in batches of `batchSize` documents, each batch one transaction.
    public func dispose(_ selection: DisposalSelection, actor: String, batchSize: Int = 500) throws(DiariumError) -> DisposalReport {
        let actor = try checkedActor(actor)
        var report = DisposalReport()
        switch selection {
        case .documents(let numbers):
            guard !numbers.isEmpty else { throw DiariumError.invalid("documents", "name at least one document to dispose of") }
            var named = Set<DocumentNumber>()
            if let twice = numbers.first(where: { !named.insert($0).inserted }) {
                throw DiariumError.invalid("documents", "\(twice) is named twice")
            }
            let files = try store.catalog.write { access in
                try disposeBatch(numbers.sorted(), explicit: true, actor: actor, access: access, report: &report)
            }
            removeDisposedFiles(files, report: &report)
        case .due(let series, let limit):
            if let limit, limit < 1 { throw DiariumError.invalid("limit", "limit must be at least 1, not \(limit)") }
            var after: DocumentNumber?
            while true {
                let size = min(batchSize, (limit ?? .max) - report.disposed.count)
                guard size > 0 else {
                    report.more = true
                    break
                }
                // Found in a read transaction (a scan over the series), then each one checked again in the write.
                var batch: [DocumentNumber] = []
                var more = false
                try store.catalog.read { access in
                    try Self.requireSeries(series, access)
                    var rules = RuleCache()
                    let now = clock.now()
                    try access.forEachDisposalCandidate(series: series, after: after) { candidate in
                        after = candidate.number
                        // Held ones are passed over here, so that a batch (and the limit) counts only what can go; the
                        // write checks each again, for a hold placed meanwhile.
                        if let item = try rules.due(candidate, access: access), item.dueAt <= now {
                            if !item.holds.isEmpty {
                                report.held.append(candidate.number)
                            } else if !item.inTransit.isEmpty {
                                report.inTransit.append(candidate.number)
                            } else if item.typeChangedAfterClosing {
                                report.review.append(candidate.number)
                            } else {
                                batch.append(candidate.number)
                            }
                        }
                        more = batch.count >= size
                        return batch.count < size
                    }
                }
                if !batch.isEmpty {
                    let files = try store.catalog.write { access in
                        try disposeBatch(batch, explicit: false, actor: actor, access: access, report: &report)
                    }
                    removeDisposedFiles(files, report: &report)
                }
                guard more else { break }
            }
        }
        // Files of earlier disposals still here (a crash or a failure after their commit) go too. Best effort, as all
        // file removal here: the disposals are committed, and the caller must hear so.
        let blobs = store.blobs
        removeDisposedFiles((try? store.catalog.read { try $0.disposedContent(where: blobs.contains) }) ?? [], report: &report)
        // So do outbox packages no interchange waits with any longer (a crash after a receipt), which hold content.
        ExchangeService.sweepOutbox(ExchangeService.outboxDirectory(ofStoreAt: store.root), catalog: store.catalog)
        report.filesLeft = (try? store.catalog.read { try $0.disposedContent(where: blobs.contains) }.count) ?? 0
        report.unpurged = (try? store.catalog.read { try $0.unpurgedDisposals() }) ?? report.disposed.count
        report.backupsHoldingDisposedContent = report.disposed.isEmpty ? [] : backups(holding: report.disposed)
        return report
    }

    /// The disposal record (gallringsprotokoll) for days `from` through `to` (Swedish time; open-ended when nil):
    /// per day, series, record type, archivist and rule, how many documents went and the years of their cases.
    /// In day order, then series, type and mandate.
    public func disposalRecord(series: SeriesCode? = nil, from: CalendarDate? = nil,
                               to: CalendarDate? = nil) throws(DiariumError) -> [DisposalRecordLine] {
        if let from, let to, to < from { throw DiariumError.invalid("to", "to (\(to)) is before from (\(from))") }
        struct Key: Hashable {
            let day: CalendarDate, series: SeriesCode, type: RecordType, ruleType: RecordType?, ruleClass: String?, years: Int, mandate: String
            let schedule: String?, by: String
        }
        var lines: [Key: (count: Int, first: Int, last: Int)] = [:]
        try store.catalog.read { access in
            try Self.requireSeries(series, access)
            let start = from.map(Self.startOfSwedishDay)
            let end = to.map { Self.nextSwedishDay(Self.startOfSwedishDay($0)) }
            try access.forEachDisposal(series: series, from: start, before: end) { fact in
                let day = Timestamp.swedishDate(of: fact.at)
                let key = Key(day: day, series: fact.series, type: fact.recordType, ruleType: fact.ruleRecordType, ruleClass: fact.ruleClass,
                              years: fact.years, mandate: fact.mandate, schedule: fact.schedule, by: fact.by)
                let line = lines[key] ?? (0, fact.caseYear, fact.caseYear)
                lines[key] = (line.count + 1, min(line.first, fact.caseYear), max(line.last, fact.caseYear))
            }
        }
        return lines.map { key, line in
            DisposalRecordLine(day: key.day, series: key.series, recordType: key.type, documents: line.count, firstCaseYear: line.first,
                               lastCaseYear: line.last, ruleRecordType: key.ruleType, ruleClass: key.ruleClass, years: key.years,
                               mandate: key.mandate, schedule: key.schedule, by: key.by)
        }.sorted { a, b in
            let keys = [a, b].map { [$0.day.description, $0.series.rawValue, $0.recordType.rawValue, $0.ruleClass ?? "",
                                     $0.ruleRecordType?.rawValue ?? "", $0.mandate,
                                     String(format: "%04d", $0.years), $0.schedule ?? "", $0.by] }
            return keys[0].lexicographicallyPrecedes(keys[1])
        }
    }

    /// The audit log's newest event: an export notes it as it starts, to tell later whether a disposal since may have
    /// taken content its package holds (`disposed(since:in:)`).
    public func disposalMark() throws(DiariumError) -> Int64 {
        try store.catalog.read { try $0.disposalMark() }
    }

    /// Whether a document `selection` covers was disposed of after the log's event `mark`: then a package made from
    /// it since may hold content that is to be gone. A query is taken to cover every document (what it matched
    /// then is not known now).
    public func disposed(since mark: Int64, in selection: ExportRequest.Selection) throws(DiariumError) -> Bool {
        try store.catalog.read { access in
            switch selection {
            case .series(let series, let year):
                try access.disposed(after: mark, prefixes: [year.map { "\(series) \($0)/" } ?? "\(series) "])
            case .case(let number):
                try access.disposed(after: mark, prefixes: ["\(number)-"])
            case .documents(let numbers):
                try access.disposed(after: mark, numbers: numbers.map(\.description), prefixes: [])
            case .query:
                try access.disposed(after: mark)
            }
        }
    }

    /// A series asked for by code must exist (nil: all series).
    static func requireSeries(_ series: SeriesCode?, _ access: CatalogAccess) throws {
        if let series, try access.series(series) == nil { throw DiariumError(.notFound, "series \(series) does not exist", field: "series") }
    }

    /// Disposes of `numbers` in the caller's write transaction; returns the content files that may go. Explicit:
    /// every one must be due and free of holds, else the whole transaction is refused.
    private func disposeBatch(_ numbers: [DocumentNumber], explicit: Bool, actor: String, access: CatalogAccess,
                              report: inout DisposalReport) throws -> [String] {
        let now = clock.now()
        var rules = RuleCache()
        var files: [String] = []
        for number in numbers {
            guard let candidate = try access.disposalCandidate(number) else {
                guard explicit else { continue }
                guard let stored = try access.document(number) else { throw DiariumError.notFound("document", number.description) }
                if let disposal = stored.record.disposal {
                    throw DiariumError(.invalidState, "\(number) was already disposed of (\(disposal.summary))", field: "documents")
                }
                throw DiariumError(.invalidState, "\(number) is in case \(number.caseNumber), which is open: its retention period has not begun",
                                   field: "documents")
            }
            guard let item = try rules.due(candidate, access: access), item.dueAt <= now else {
                guard explicit else { continue }
                let why: String
                if let rule = try rules.rule(for: candidate, access: access) {
                    why = switch rule.disposalDue(caseClosedAt: candidate.caseClosedAt) {
                    case let due?: "it is due on \(Timestamp.swedishDate(of: due)) (\(rule.period))"
                    case nil: "its retention rule keeps it (\(rule.mandate))"
                    }
                } else {
                    why = "series \(number.caseNumber.series) has no retention rule for it"
                        + (candidate.classCode.map { ", nor has its class \($0) or a class above it" } ?? "")
                }
                throw DiariumError(.invalidState, "\(number) is not due for disposal: \(why)", field: "documents")
            }
            guard item.holds.isEmpty else {
                if explicit {
                    throw DiariumError(.invalidState, "\(number) is kept by legal hold\(item.holds.count == 1 ? "" : "s") "
                                       + "\(item.holds.map(String.init).joined(separator: ", ")); release \(item.holds.count == 1 ? "it" : "them") first",
                                       field: "documents")
                }
                report.held.append(number)
                continue
            }
            guard item.inTransit.isEmpty else {
                if explicit {
                    throw DiariumError(.invalidState, "\(number) is in interchange \(item.inTransit.joined(separator: ", ")), waiting in the "
                                       + "outbox for its receipt: its package holds the content. Deliver it again, or withdraw it "
                                       + "(`diarium exchange withdraw`), first", field: "documents")
                }
                report.inTransit.append(number)
                continue
            }
            // Named by an archivist, a document whose type changed after closing goes; a run over everything due leaves it.
            if item.typeChangedAfterClosing && !explicit {
                report.review.append(number)
                continue
            }
            let disposal = DocumentDisposal(at: now, by: actor, dueAt: item.dueAt, ruleRecordType: item.ruleRecordType, ruleClass: item.ruleClass,
                                            years: item.years, mandate: item.mandate, schedule: item.schedule)
            files += try access.recordDisposal(documentID: candidate.documentID, disposal)
            try access.appendAudit(at: now, actor: actor, action: .documentDispose, object: number.description, version: nil,
                                   details: Self.disposalDetails(disposal).json)
            report.disposed.append(number)
        }
        return files
    }

    /// Removes what the disposals committed no longer need. A failure here (the lock not had in time, an I/O
    /// error) undoes nothing: the disposals stand, and the files are left for the next run or `verify --remove-orphans`
    /// (the report counts them).
    /// A `document.dispose` event's details: the rule (mandate, years, schedule, record type) and the day it fell due.
    static func disposalDetails(_ disposal: DocumentDisposal) -> AuditDetails {
        var details = AuditDetails()
        details["mandate"] = .string(disposal.mandate)
        details["years"] = .int(Int64(disposal.years))
        details["due"] = .string(Timestamp.format(disposal.dueAt))
        if let schedule = disposal.schedule { details["schedule"] = .string(schedule) }
        if let type = disposal.ruleRecordType { details["ruleType"] = .string(type.rawValue) }
        if let code = disposal.ruleClass { details["ruleClass"] = .string(code) }
        return details
    }

    private func removeDisposedFiles(_ digests: [String], report: inout DisposalReport) {
        // A chunk at a time, so that one that fails (counted in `filesLeft` afterwards) neither loses the counts of
        // those before it nor stops those after it.
        for start in stride(from: 0, to: digests.count, by: 1000) {
            let chunk = Array(digests[start..<min(start + 1000, digests.count)])
            guard let removed = try? store.blobs.publisher.removeUnreferenced(chunk, catalog: store.catalog, record: { _, _ in }) else { continue }
            report.files += removed.files
            report.bytes += removed.bytes
        }
    }
}

/// The retention rules of the series met so far, each read once per run, and the classification structure, read once.
private struct RuleCache {
    private var bySeries: [SeriesCode: [RetentionRule]] = [:]
    private var scheme: ClassificationScheme?

    mutating func rule(for candidate: DisposalCandidate, access: CatalogAccess) throws -> RetentionRule? {
        let series = candidate.number.caseNumber.series
        if bySeries[series] == nil { bySeries[series] = try access.retentionRules(series: series) }
        if scheme == nil { scheme = try access.classificationScheme() }
        return scheme!.rule(series: series, code: candidate.classCode, type: candidate.recordType, seriesRules: bySeries[series]!)
    }

    /// The candidate as a line of the disposal list, when its rule disposes of it (whenever that is due).
    mutating func due(_ candidate: DisposalCandidate, access: CatalogAccess) throws -> DueDisposal? {
        guard let rule = try rule(for: candidate, access: access), let dueAt = rule.disposalDue(caseClosedAt: candidate.caseClosedAt) else {
            return nil
        }
        return DueDisposal(number: candidate.number, recordType: candidate.recordType, caseClosedAt: candidate.caseClosedAt,
                           dueAt: dueAt, rule: rule, holds: candidate.holds, inTransit: candidate.inTransit,
                           typeChangedAfterClosing: candidate.typeChangedAfterClosing)
    }
}
