import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Testing

/// Disposal (gallring) under the retention schedule, and the legal holds that stop it: what is due is listed, what is
/// disposed of loses its content and nothing else, holds keep what they cover, and every step is in the log and
/// checked by `verify`.
@Suite struct DisposalTests {
    let ks = SeriesCode(rawValue: "KS")!

    func storedFiles(_ f: Fixture) throws -> Set<String> {
        Set(try f.service.store.blobs.allStoredDigests())
    }

    /// Puts a file in the store with no registration, as a crash after a disposal's commit leaves it.
    func putBack(_ f: Fixture, _ text: String) throws {
        let staged = try f.service.store.blobs.stage(bytes: Data(text.utf8))
        try f.service.store.blobs.publish([staged])
        f.service.store.blobs.publisher.release([staged])
    }

    /// The schedule, two years on, with the plan disposed of.
    func disposedPlan(_ f: Fixture) throws -> (plan: DocumentRecord, decision: DocumentRecord, letter: DocumentRecord, copy: DocumentRecord) {
        let d = try schedule(f)
        f.clock.set("2028-03-02T08:00:00.000Z")
        _ = try f.service.dispose(.documents([d.plan.number]), actor: "arkivarie")
        return d
    }

    /// KS: disposed of two years after the case closes; decisions kept. The fixture's case (closed on 2026-03-01)
    /// holds a plan, a decision and a letter whose bytes another, open case also has.
    func schedule(_ f: Fixture) throws -> (plan: DocumentRecord, decision: DocumentRecord, letter: DocumentRecord, copy: DocumentRecord) {
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 2,
                                                             mandate: "KS 2024-03-12 § 45", schedule: "IHP KS 2024"), actor: "arkivarie")
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: .decision, action: .keep, years: nil, mandate: "RA-FS 1991:6"),
                                           actor: "arkivarie")
        let plan = try f.register("plan.txt", "Handlingsplan om vinterväghållning")
        let decision = try f.register("beslut.txt", "Beslut om snöröjning", type: .decision)
        let letter = try f.register("brev.txt", "Brev om halkbekämpning", type: .letter)
        let other = try f.service.openCase(NewCase(series: ks, title: "Annat ärende"), actor: "anna").number
        let copy = try f.service.register([try f.document("kopia.txt", "Brev om halkbekämpning", type: .letter)], in: other, actor: "anna")[0]
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        return (plan, decision, letter, copy)
    }

    /// A backup made before a disposal still holds the disposed content, which the disposal decision covers too: the
    /// run names the backups still present that do, and `backups` counts what each holds (documents registered after
    /// a backup are not in it).
    @Test func backupsMadeBeforeADisposalAreNamed() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        let first = f.dir.file("backup-1"), second = f.dir.file("backup-2")
        _ = try f.service.backup(to: first, actor: "drift")
        f.clock.set("2028-03-02T08:00:00.000Z")
        #expect(try f.service.dispose(.documents([d.plan.number]), actor: "arkivarie").backupsHoldingDisposedContent == [first])
        _ = try f.service.backup(to: second, actor: "drift")
        // Registered after the second backup, and disposed of: in neither copy.
        let later = try f.service.openCase(NewCase(series: ks, title: "Senare ärende"), actor: "anna").number
        let late = try f.service.register([try f.document("sen.txt", "Sent brev", type: .letter)], in: later, actor: "anna")[0]
        _ = try f.service.closeCase(later, actor: "anna")
        f.clock.set("2030-03-03T08:00:00.000Z")
        #expect(try f.service.dispose(.documents([d.letter.number, late.number]), actor: "arkivarie").backupsHoldingDisposedContent
                == [first, second])
        var backups = try f.service.backups()
        #expect(backups.map(\.destination) == [first, second] && backups.map(\.disposedSince) == [2, 1] && backups.allSatisfy(\.present))
        #expect(backups.map(\.by) == ["drift", "drift"] && backups[0].auditHead < backups[1].auditHead)

        // Removed, a backup is no longer named; the log still lists it. An empty folder in its place is not it.
        try FileManager.default.removeItem(atPath: first)
        try FileManager.default.createDirectory(atPath: first, withIntermediateDirectories: false)
        backups = try f.service.backups()
        #expect(backups.map(\.present) == [false, true])
        // Moved off site, a copy holds the disposed content just the same: still counted.
        #expect(backups.map(\.disposedSince) == [2, 1])
        let third = try f.service.backup(to: f.dir.file("backup-3"), actor: "drift")
        #expect(try f.service.backups().last?.disposedSince == 0 && third.auditHead > backups[1].auditHead)
    }

    /// A document disposed of keeps its registration as it was: an ended restriction on it is not listed for review
    /// (it takes no correction).
    @Test func aDisposedDocumentsEndedRestrictionIsNotListed() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let restriction = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", until: CalendarDate(year: 2026, month: 6, day: 30),
                                                hides: [.parties])
        let restricted = try f.service.register([f.document("r.txt", "Brev från en enskild", type: .letter, restriction: restriction)],
                                                in: f.caseNumber, actor: "anna")[0]
        _ = try schedule(f)
        f.clock.set("2028-03-02T08:00:00.000Z")
        #expect(try f.service.restrictionsEnded().map(\.number) == [restricted.number.description])
        _ = try f.service.dispose(.documents([restricted.number]), actor: "arkivarie")
        #expect(try f.service.restrictionsEnded().isEmpty)
        var lift = MetadataChange()
        lift.restriction = .some(nil)
        #expect { try f.service.update(restricted.number, lift, comment: nil, actor: "anna") } throws: { ($0 as? DiariumError)?.code == .invalidState }
    }

    /// A case opened again (a late appeal) is not due while open, takes the appeal, and its retention periods run
    /// from its next closing; the log says who opened it again and when it had been closed.
    @Test func aReopenedCaseIsDueFromItsNextClosing() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        f.clock.set("2027-06-01T08:00:00.000Z")
        let reopened = try f.service.reopenCase(f.caseNumber, actor: "anna")
        #expect(reopened.status == .open && reopened.closedAt == nil)
        let appeal = try f.register("overklagande.txt", "Överklagande av beslutet", type: .letter)
        #expect(try f.service.disposalDue(asOf: CalendarDate(parsing: "2028-03-02", field: "asOf")).isEmpty, "open again: nothing due")
        f.clock.set("2027-09-01T08:00:00.000Z")
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        #expect(try f.service.disposalDue(asOf: CalendarDate(parsing: "2029-09-01", field: "asOf")).isEmpty)
        let due = try f.service.disposalDue(asOf: CalendarDate(parsing: "2029-09-02", field: "asOf"))
        #expect(due.map(\.number) == [d.plan.number, d.letter.number, appeal.number])
        #expect(due.allSatisfy { Timestamp.format($0.caseClosedAt).hasPrefix("2027-09-01T08:00:00.") })

        let events = try f.service.audit(object: f.caseNumber.description).map { "\($0.action.rawValue) \($0.actor) \($0.details)" }
        #expect(events.contains { $0.hasPrefix(#"case.reopen anna {"closedAt":"2026-03-01T09:00:00."#) }, "\(events)")
        #expect(events.filter { $0.hasPrefix("case.close") }.count == 2)
        #expect { try f.service.reopenCase(d.copy.number.caseNumber, actor: "anna") } throws: { ($0 as? DiariumError)?.code == .invalidState }
        #expect(try f.service.verify().ok)
    }

    @Test func whatIsDueIsListedThenDisposedOfAndOnlyItsContentGoes() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        #expect(try f.service.disposalDue().isEmpty, "two years have not passed")
        // Two years from 2026-03-01: due from the start of 2028-03-02, Swedish time.
        #expect(try f.service.disposalDue(asOf: CalendarDate(parsing: "2028-03-01", field: "asOf")).isEmpty)
        let due = try f.service.disposalDue(asOf: CalendarDate(parsing: "2028-03-02", field: "asOf"))
        #expect(due.map(\.number) == [d.plan.number, d.letter.number], "the decision is kept; the open case's copy is not due")
        #expect(due[0].mandate == "KS 2024-03-12 § 45" && due[0].years == 2 && due[0].ruleRecordType == nil && due[0].holds.isEmpty)
        #expect(Timestamp.format(due[0].dueAt) == "2028-03-01T23:00:00.000Z")
        let planFile = d.plan.current.content!.sha256

        f.clock.set("2028-03-02T08:00:00.000Z")
        let hold = try f.service.placeHold(on: .document(d.letter.number), reason: "Begäran om utlämnande 2028-17", actor: "arkivarie")
        #expect(try f.service.disposalDue().first { $0.number == d.letter.number }?.holds == [hold.id])
        let report = try f.service.dispose(.due(series: nil), actor: "arkivarie")
        #expect(report.disposed == [d.plan.number] && report.held == [d.letter.number])
        #expect(report.files == 1 && report.bytes == Int64("Handlingsplan om vinterväghållning".utf8.count))

        let disposed = try f.service.document(d.plan.number)
        let tombstone = try #require(disposed.disposal)
        #expect(tombstone.by == "arkivarie" && tombstone.mandate == "KS 2024-03-12 § 45" && tombstone.schedule == "IHP KS 2024")
        #expect(disposed.current.metadata.title == "Titel plan.txt", "the registration stays")
        #expect(throws: DiariumError.self) { try RecordRules.checkContentKept(disposed) }
        #expect(!(try storedFiles(f)).contains(planFile), "its content file is removed")
        var retitle = MetadataChange()
        retitle.title = "Ny"
        expectFailure("was disposed of") { try f.service.update(d.plan.number, retitle, comment: nil, actor: "anna") }
        expectFailure("already disposed of") { try f.service.dispose(.documents([d.plan.number]), actor: "arkivarie") }
        expectFailure("retention rule keeps it") { try f.service.dispose(.documents([d.decision.number]), actor: "arkivarie") }
        expectFailure("kept by legal hold \(hold.id)") { try f.service.dispose(.documents([d.letter.number]), actor: "arkivarie") }
        expectFailure("nothing left to hold") { try f.service.placeHold(on: .document(d.plan.number), reason: "x", actor: "arkivarie") }

        // Its text is no longer searchable; its registration is.
        #expect(try f.service.search("vinterväghållning", view: .full).hits.isEmpty)
        #expect(try f.service.search("plan.txt", view: .full).hits.map(\.number) == [d.plan.number])
        let events = try f.service.audit(object: d.plan.number.description)
        #expect(events.last?.action == .documentDispose && events.last?.details.contains("KS 2024-03-12 § 45") == true)
        #expect(try f.service.verify().ok)

        // Released, the letter goes too; its bytes stay for the open case's copy.
        _ = try f.service.releaseHold(id: hold.id, reason: "Tvisten är avgjord", actor: "arkivarie")
        #expect(try f.service.dispose(.documents([d.letter.number]), actor: "arkivarie").files == 0)
        #expect(try f.service.document(d.letter.number).disposal != nil)
        #expect(try storedFiles(f).contains(d.copy.current.content!.sha256))
        #expect(try f.service.search("halkbekämpning", view: .full).hits.map(\.number) == [d.copy.number])
        let report2 = try f.service.verify()
        #expect(report2.ok, "\(report2.problems)")
        #expect(report2.orphanBlobs.isEmpty)
    }

    @Test func aRunNamingDocumentsIsAllOrNothing() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        f.clock.set("2028-03-02T08:00:00.000Z")
        _ = try f.service.placeHold(on: .case(f.caseNumber), reason: "Överklagande, förvaltningsrätten mål 1234-28", actor: "arkivarie")
        let before = try f.snapshot()
        expectFailure("kept by legal hold") { try f.service.dispose(.documents([d.plan.number, d.letter.number]), actor: "arkivarie") }
        expectFailure("is open") { try f.service.dispose(.documents([d.copy.number]), actor: "arkivarie") }
        expectFailure("does not exist") { try f.service.dispose(.documents([DocumentNumber(parsing: "KS 2026/1-9")]), actor: "arkivarie") }
        expectFailure("\(d.plan.number) is named twice") { try f.service.dispose(.documents([d.plan.number, d.plan.number]), actor: "arkivarie") }
        #expect(try f.snapshot() == before)
        // A hold on the case keeps all its documents from a run over everything due.
        let report = try f.service.dispose(.due(series: ks), actor: "arkivarie")
        #expect(report.disposed.isEmpty && report.held == [d.plan.number, d.letter.number])
        #expect(try f.snapshot() == before)
    }

    /// A document whose record type was changed after its case was closed (here from a kept type to one disposed of)
    /// is listed as such and left by a run over everything due; named by an archivist, it goes.
    @Test func aTypeChangedAfterClosingIsLeftForReview() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        var retype = MetadataChange()
        retype.recordType = .letter
        _ = try f.service.update(d.decision.number, retype, comment: "fel typ", actor: "anna")
        f.clock.set("2028-03-02T08:00:00.000Z")
        let listed = try #require(try f.service.disposalDue().first { $0.number == d.decision.number })
        let plan = try #require(try f.service.disposalDue().first { $0.number == d.plan.number })
        #expect(listed.typeChangedAfterClosing && !plan.typeChangedAfterClosing)
        let run = try f.service.dispose(.due(series: nil), actor: "arkivarie")
        #expect(run.disposed == [d.plan.number, d.letter.number] && run.review == [d.decision.number])
        #expect(try f.service.dispose(.documents([d.decision.number]), actor: "arkivarie").disposed == [d.decision.number])
        #expect(try f.service.verify().ok)
    }

    /// A run over everything due stops at its limit and says more may be due; the next run goes on.
    @Test func aRunStopsAtItsLimit() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        f.clock.set("2028-03-02T08:00:00.000Z")
        // A held document takes no place in the limit: the run goes past it.
        let hold = try f.service.placeHold(on: .document(d.plan.number), reason: "Tvist", actor: "arkivarie")
        let first = try f.service.dispose(.due(series: nil, limit: 1), actor: "arkivarie")
        #expect(first.disposed == [d.letter.number] && first.held == [d.plan.number] && first.more)
        let second = try f.service.dispose(.due(series: nil, limit: 1), actor: "arkivarie")
        #expect(second.disposed.isEmpty && second.held == [d.plan.number] && !second.more)
        _ = try f.service.releaseHold(id: hold.id, reason: "Tvisten är avgjord", actor: "arkivarie")
        let third = try f.service.dispose(.due(series: nil, limit: 1), actor: "arkivarie")
        #expect(third.disposed == [d.plan.number] && third.more)
        expectFailure("limit must be at least 1") { try f.service.dispose(.due(series: nil, limit: 0), actor: "arkivarie") }
    }

    @Test func disposedContentRegisteredAgainIsStoredAgain() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try disposedPlan(f)
        let sha256 = d.plan.current.content!.sha256
        #expect(!(try storedFiles(f)).contains(sha256))
        let open = try f.service.openCase(NewCase(series: ks, title: "Nytt ärende"), actor: "anna").number
        let again = try f.service.register([try f.document("igen.txt", "Handlingsplan om vinterväghållning")], in: open, actor: "anna")[0]
        #expect(again.current.content?.sha256 == sha256)
        #expect(try storedFiles(f).contains(sha256))
        var bytes = Data()
        try f.service.readContent(again.current.content!) { chunk throws(DiariumError) in bytes.append(contentsOf: chunk) }
        #expect(String(decoding: bytes, as: UTF8.self) == "Handlingsplan om vinterväghållning")
        #expect(try f.service.search("vinterväghållning", view: .full).hits.map(\.number) == [again.number])
        #expect(try f.service.verify().ok)
    }

    /// A crash between the disposal's commit and the removal of its files leaves a file no row needs: `verify` notes
    /// it, `verify --remove-orphans` removes it.
    @Test func aFileLeftByAnInterruptedDisposalIsAnOrphan() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try disposedPlan(f)
        let sha256 = d.plan.current.content!.sha256
        try putBack(f, "Handlingsplan om vinterväghållning")
        let report = try f.service.verify()
        #expect(report.ok && report.orphanBlobs == [sha256])
        #expect(try f.service.removeOrphanBlobs(found: report, actor: "drift").files == 1)
        #expect(!(try storedFiles(f)).contains(sha256))
        // The next disposal run removes such files by itself.
        try putBack(f, "Handlingsplan om vinterväghållning")
        let run = try f.service.dispose(.due(series: nil), actor: "arkivarie")
        #expect(run.disposed == [d.letter.number] && run.files == 1 && run.filesLeft == 0, "\(run)")
        #expect(!(try storedFiles(f)).contains(sha256))
    }

    /// Whether the catalog's files (the database and its WAL) hold `text` anywhere, in any page, live or free.
    func catalogHolds(_ f: Fixture, _ text: String) -> Bool {
        ["catalog.sqlite", "catalog.sqlite-wal"].contains { name in
            let data = (try? Data(contentsOf: URL(fileURLWithPath: f.dir.file("store/" + name)))) ?? Data()
            return data.range(of: Data(text.utf8)) != nil
        }
    }

    /// FTS5 forgets a removed document by writing delete markers; its words and their positions stay in the older
    /// index segments, enough to piece the text together. A disposal counts them; the merge after it (and a rebuild)
    /// zeroes those segments and empties the WAL, and then no trace of the text is left in the catalog's files.
    @Test func theWordsOfDisposedTextLeaveTheCatalogWithTheMergeAfterTheDisposal() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        f.clock.set("2028-03-02T08:00:00.000Z")
        let report = try f.service.dispose(.documents([d.plan.number]), actor: "arkivarie")
        #expect(report.unpurged == 1)
        #expect(try f.service.indexStatus(check: false).unpurged == 1)
        #expect(try f.service.search("vinterväghållning", view: .full).hits.isEmpty)
        #expect(catalogHolds(f, "hållning"), "FTS5 keeps the words until a merge (if not, this test proves nothing)")
        #expect(catalogHolds(f, "Handlingsplan om"), "the WAL's older page images still hold the rendition's text")

        let merged = try f.service.optimizeIndex()
        #expect(merged.complete && merged.purged == 1 && merged.unpurged == 0, "\(merged)")
        #expect(!catalogHolds(f, "hållning") && !catalogHolds(f, "Handlingsplan om"))
        #expect(try f.service.indexStatus(check: true).unpurged == 0)
        #expect(Set(try f.service.search("halkbekämpning", view: .full).hits.map(\.number)) == [d.letter.number, d.copy.number])
        #expect(try f.service.verify().ok)
    }

    /// The disposal record: a line per day, series, record type, archivist and rule, with the count and the years of
    /// the cases; filtered by period and series, in day order.
    @Test func theDisposalRecordCountsWhatWentPerDayTypeAndRule() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try disposedPlan(f)
        f.clock.set("2028-03-03T22:30:00.000Z")   // 23:30 on the 3rd in Sweden
        let second = try f.service.openCase(NewCase(series: ks, title: "Fler"), actor: "anna").number
        let letters = try f.service.register(["a.txt", "b.txt", "c.txt"].map { try f.document($0, "Brev \($0)", type: .letter) },
                                             in: second, actor: "anna")
        _ = try f.service.closeCase(second, actor: "anna")
        f.clock.set("2030-03-04T09:00:00.000Z")
        _ = try f.service.dispose(.documents([d.letter.number] + letters[0..<2].map(\.number)), actor: "gallrare")
        f.clock.set("2030-03-04T23:30:00.000Z")   // 00:30 on the 5th in Sweden
        _ = try f.service.dispose(.documents([letters[2].number]), actor: "gallrare")

        let record = try f.service.disposalRecord()
        #expect(record.count == 3, "\(record)")
        #expect(record[2].day.description == "2030-03-05" && record[2].documents == 1)
        #expect(record[0] == DisposalRecordLine(day: try CalendarDate(parsing: "2028-03-02", field: "d"), series: ks, recordType: .actionPlan, documents: 1,
                                                firstCaseYear: 2026, lastCaseYear: 2026, years: 2, mandate: "KS 2024-03-12 § 45",
                                                schedule: "IHP KS 2024", by: "arkivarie"))
        #expect(record[1].day.description == "2030-03-04" && record[1].recordType == .letter && record[1].documents == 3)
        #expect(record[1].firstCaseYear == 2026 && record[1].lastCaseYear == 2028 && record[1].by == "gallrare")
        #expect(try f.service.disposalRecord(from: try CalendarDate(parsing: "2028-03-03", field: "d")) == [record[1], record[2]])
        // A period is of Swedish days: the 4th ends at 23:00 UTC, and the 5th begins then.
        #expect(try f.service.disposalRecord(to: try CalendarDate(parsing: "2030-03-04", field: "d")) == [record[0], record[1]])
        #expect(try f.service.disposalRecord(from: try CalendarDate(parsing: "2030-03-05", field: "d")) == [record[2]])
        #expect(try f.service.disposalRecord(to: try CalendarDate(parsing: "2028-03-02", field: "d")) == [record[0]])
        #expect(try f.service.disposalRecord(from: try CalendarDate(parsing: "2031-01-01", field: "d")).isEmpty)
        expectFailure("is before from") {
            try f.service.disposalRecord(from: try CalendarDate(parsing: "2030-01-02", field: "d"), to: try CalendarDate(parsing: "2030-01-01", field: "d"))
        }
        expectFailure("series BUN does not exist") { try f.service.disposalRecord(series: SeriesCode(rawValue: "BUN")!) }
    }

    /// Content with no text (as a registration that found the text of the same bytes and committed just after a
    /// disposal removed it would leave) is counted by `index status` and extracted by `index rebuild --extract`.
    @Test func contentWithoutTextIsCountedUntilExtracted() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let plan = try f.register("plan.txt", "Handlingsplan om vinterväghållning")
        #expect(try f.service.indexStatus(check: false).missingRenditions == 0)
        try f.rawCatalog().write { db in
            try db.execute(sql: "DELETE FROM renditions WHERE sha256 = ?", arguments: [plan.current.content!.sha256])
        }
        _ = try f.service.rebuildIndex(reextract: nil)
        #expect(try f.service.search("vinterväghållning", view: .full).hits.isEmpty)
        #expect(try f.service.indexStatus(check: false).missingRenditions == 1)
        #expect(try f.service.rebuildIndex(reextract: .missing).extracted == 1)
        #expect(try f.service.indexStatus(check: false).missingRenditions == 0)
        #expect(try f.service.search("vinterväghållning", view: .full).hits.map(\.number) == [plan.number])
    }

    /// Whether a disposal since a mark touches an export's selection goes by document number: a case's own documents
    /// (not those of a case whose number starts alike), a series (and year), named documents; a query, any.
    @Test func whetherADisposalTouchesASelectionGoesByNumber() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        f.clock.set("2028-03-02T08:00:00.000Z")
        let mark = try f.service.disposalMark()
        _ = try f.service.dispose(.documents([d.plan.number]), actor: "arkivarie")
        func touched(_ selection: ExportRequest.Selection, since: Int64 = mark) throws -> Bool {
            try f.service.disposed(since: since, in: selection)
        }
        let caseNumber = f.caseNumber   // KS 2026/1
        #expect(try touched(.case(caseNumber)))
        #expect(try !touched(.case(CaseNumber(series: ks, year: 2026, serial: 10))), "KS 2026/10 is another case")
        #expect(try !touched(.case(d.copy.number.caseNumber)))
        #expect(try touched(.series(ks, year: nil)) && touched(.series(ks, year: 2026)))
        #expect(try !touched(.series(ks, year: 2027)) && !touched(.series(SeriesCode(rawValue: "KSX")!, year: nil)))
        #expect(try !touched(.series(SeriesCode(rawValue: "K")!, year: nil)), "series K is not KS")
        #expect(try touched(.documents([d.plan.number, d.letter.number])) && !touched(.documents([d.letter.number])))
        #expect(try touched(.query("vinter")))
        #expect(try !touched(.case(caseNumber), since: try f.service.disposalMark()), "nothing since the newest event")
    }

    /// The WAL cannot be emptied while a reader keeps an older snapshot: the purge then waits 5 s at most (it holds
    /// writers off meanwhile), leaves the disposal counted, and the next one finishes it.
    @Test func aPurgeAReaderHoldsUpLeavesTheCountForTheNext() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        _ = try disposedPlan(f)
        let reader = try f.rawCatalog()
        try reader.read { db in
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM documents")   // a snapshot from before the merge
            let held = try f.service.optimizeIndex()
            #expect(held.complete && held.purged == 0 && held.unpurged == 1, "\(held)")
        }
        let merged = try f.service.optimizeIndex()
        #expect(merged.purged == 1 && merged.unpurged == 0, "\(merged)")
        #expect(!catalogHolds(f, "hållning") && !catalogHolds(f, "Handlingsplan om"))
    }

    @Test func aRebuildPurgesTheWordsOfDisposedTextToo() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try disposedPlan(f)
        #expect(catalogHolds(f, "hållning"))
        let rebuilt = try f.service.rebuildIndex(reextract: nil)
        #expect(rebuilt.purged == 1 && rebuilt.documents == 4)
        #expect(!catalogHolds(f, "hållning") && !catalogHolds(f, "Handlingsplan om"))
        #expect(try f.service.indexStatus(check: true).unpurged == 0)
        #expect(try f.service.optimizeIndex().purged == 0, "nothing left to purge")
        #expect(try f.service.search("plan.txt", view: .full).hits.map(\.number) == [d.plan.number])
    }

    /// Text extracted before a disposal and written after it (`index rebuild --extract` reads files outside the
    /// transaction) is dropped: disposed content keeps no text, and its file is not kept for it.
    @Test func aReextractionFinishingAfterADisposalKeepsNoText() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try disposedPlan(f)
        try f.service.store.catalog.write { access in
            try access.replaceRendition(sha256: d.plan.current.content!.sha256,
                                        TextRendition(status: .extracted, extractor: "text", message: nil, length: 34),
                                        text: "Handlingsplan om vinterväghållning",
                                        format: IdentifiedFormat(nil, identifiedWith: "test"), at: Date())
        }
        #expect(try f.service.contentFormat(of: d.plan.current.content!) == nil)
        #expect(try f.service.search("vinterväghållning", view: .full).hits.isEmpty)
        #expect(try f.service.verify().ok)
        _ = try f.service.rebuildIndex(reextract: .all)
        #expect(try f.service.search("vinterväghållning", view: .full).hits.isEmpty)
        #expect(try f.service.verify().ok)
    }

    /// A disposal between a backup's snapshot and its copy of the files removes a file the snapshot names: the
    /// backup takes a new snapshot (with the disposal) instead of failing or publishing a copy without the file.
    @Test func aBackupOverlappingADisposalTakesANewSnapshot() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        f.clock.set("2028-03-02T08:00:00.000Z")
        var snapshots = 0
        let result = try f.service.store.backup(to: f.dir.file("kopia"), beforePublishing: { _ in }, afterSnapshot: {
            snapshots += 1
            if snapshots == 1 { #expect(throws: Never.self) { try f.service.dispose(.documents([d.plan.number]), actor: "arkivarie") } }
        })
        #expect(snapshots == 2)
        let copy = try RecordsService.open(at: f.dir.file("kopia"))
        #expect(try copy.document(d.plan.number).disposal != nil)
        #expect(result.contentFiles == Set([d.decision, d.letter, d.copy].map { $0.current.content!.sha256 }).count)
        #expect(try copy.verify().ok)
    }

    @Test func holdsArePlacedAndReleasedOnceAndLogged() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let doc = try f.register("plan.txt", "Plan")
        let onCase = try f.service.placeHold(on: .case(f.caseNumber), reason: "JO-anmälan 2026-3", actor: "arkivarie")
        let onDoc = try f.service.placeHold(on: .document(doc.number), reason: "Tvist", actor: "arkivarie")
        #expect(onCase.scope == .case && onCase.number == f.caseNumber.description && onCase.isActive)
        #expect(try f.service.legalHolds(on: .case(f.caseNumber)).map(\.id) == [onDoc.id, onCase.id], "a case's include its documents'")
        #expect(try f.service.legalHolds(on: .document(doc.number)).map(\.id) == [onDoc.id, onCase.id], "a document's include its case's")
        let released = try f.service.releaseHold(id: onCase.id, reason: "JO har avslutat ärendet", actor: "arkivarie2")
        #expect(released.releasedBy == "arkivarie2" && released.releaseReason == "JO har avslutat ärendet" && !released.isActive)
        // Released once, and kept as released.
        #expect(throws: (any Error).self) {
            try f.rawCatalog().write { db in try db.execute(sql: "UPDATE legal_holds SET release_reason = 'annat' WHERE id = ?", arguments: [onCase.id]) }
        }
        #expect(throws: (any Error).self) {
            try f.rawCatalog().write { db in try db.execute(sql: "UPDATE legal_holds SET release_reason = 'utan frisläppning' WHERE id = ?", arguments: [onDoc.id]) }
        }
        expectFailure("already released") { try f.service.releaseHold(id: onCase.id, reason: "igen", actor: "arkivarie") }
        expectFailure("does not exist") { try f.service.releaseHold(id: 99, reason: "x", actor: "arkivarie") }
        // A release lets what was held be destroyed: it says why, as the hold did.
        expectFailure("reason") { try f.service.releaseHold(id: onDoc.id, reason: " ", actor: "arkivarie") }
        #expect(try f.service.legalHold(id: onDoc.id).isActive)
        expectFailure("does not exist") { try f.service.placeHold(on: .case(CaseNumber(parsing: "KS 2026/99")), reason: "x", actor: "a") }
        expectFailure("reason") { try f.service.placeHold(on: .document(doc.number), reason: "  ", actor: "arkivarie") }
        #expect(try f.service.legalHolds().map(\.id) == [onDoc.id])
        #expect(try f.service.legalHolds(includingReleased: true).map(\.id) == [onDoc.id, onCase.id])
        // A page at a time, newest first: after the last of a page come the older ones.
        #expect(try f.service.legalHolds(includingReleased: true, limit: 1).map(\.id) == [onDoc.id])
        #expect(try f.service.legalHolds(includingReleased: true, after: onDoc.id, limit: 1).map(\.id) == [onCase.id])
        #expect(try f.service.legalHolds(includingReleased: true, after: onCase.id).isEmpty)
        #expect(try f.service.legalHolds(includingReleased: true, on: .document(doc.number), after: onDoc.id).map(\.id) == [onCase.id],
                "with the other conditions")
        expectFailure("limit") { try f.service.legalHolds(limit: 1001) }
        let events = try f.service.audit(object: f.caseNumber.description).filter { $0.action == .holdPlace || $0.action == .holdRelease }
        #expect(events.map(\.action) == [.holdPlace, .holdPlace, .holdRelease])
        #expect(!events.contains { $0.details.contains("JO-anmälan") || $0.details.contains("avslutat") },
                "the reasons are not in the log, only their keyed seals")
        #expect(events.allSatisfy { $0.details.contains("\"seal\"") })
        #expect(try f.service.verify().ok)
    }

    /// A hold's reason stays out of the log, so the event's seal is what holds it: a reason, archivist or release
    /// rewritten in the catalog (its trigger dropped) is found, and a hold placed the same way elsewhere seals alike.
    @Test func aHoldsReasonRewrittenInTheCatalogIsFound() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let doc = try f.register("plan.txt", "Plan")
        let kept = try f.service.placeHold(on: .document(doc.number), reason: "Tvist med leverantör", actor: "arkivarie")
        let released = try f.service.placeHold(on: .case(f.caseNumber), reason: "JO-anmälan 2026-3", actor: "arkivarie")
        _ = try f.service.releaseHold(id: released.id, reason: "JO har avslutat ärendet", actor: "arkivarie")
        #expect(try f.service.verify().ok)
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER legal_holds_release_only")
            try db.execute(sql: "UPDATE legal_holds SET reason = 'Rutinkontroll' WHERE id = ?", arguments: [kept.id])
            try db.execute(sql: "UPDATE legal_holds SET release_reason = 'Inte längre aktuellt' WHERE id = ?", arguments: [released.id])
        }
        let text = try f.service.verify().problems.map(\.message).joined(separator: "\n")
        #expect(text.contains("legal hold \(kept.id) on \(doc.number): its reason, time or archivist as placed is not what the event that placed it sealed"),
                "\(text)")
        #expect(text.contains("legal hold \(released.id) on \(f.caseNumber): its reason, time or archivist as released is not what the event that released it sealed"),
                "\(text)")
        #expect(!text.contains("legal hold \(released.id) on \(f.caseNumber): its reason, time or archivist as placed"), "\(text)")
    }

    /// Holds and disposals changed behind Diarium's back are found: a hold released without an event (it would let
    /// records be destroyed), a disposal the log never made, content marked disposed of under a kept document.
    @Test func verifyHoldsDisposalsAndHoldsToTheLog() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        let hold = try f.service.placeHold(on: .document(d.letter.number), reason: "Tvist", actor: "arkivarie")
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER legal_holds_release_only")
            try db.execute(sql: "UPDATE legal_holds SET released_at = '2026-03-02T00:00:00.000Z', released_by = 'x' WHERE id = ?", arguments: [hold.id])
            try db.execute(sql: """
                INSERT INTO disposals(document_id, disposed_at, disposed_by, due_at, rule_years, rule_mandate)
                SELECT d.id, '2026-03-02T00:00:00.000Z', 'x', '2026-03-02T00:00:00.000Z', 2, 'påhittat' FROM documents d WHERE d.ordinal = 1
                """)
            try db.execute(sql: "UPDATE blobs SET disposed_at = '2026-03-02T00:00:00.000Z' WHERE sha256 = ?", arguments: [d.decision.current.content!.sha256])
            // A hold on the case before that disposal, never released.
            try db.execute(sql: """
                INSERT INTO legal_holds(case_id, reason, placed_at, placed_by) SELECT case_id, 'Tvist', '2026-03-01T12:00:00.000Z', 'x'
                FROM documents WHERE ordinal = 1 ORDER BY id LIMIT 1
                """)
        }
        let problems = try f.service.verify().problems
        let text = problems.map(\.message).joined(separator: "\n")
        #expect(problems.contains { $0.code == "catalog-trigger-missing" && $0.object == "legal_holds_release_only" })
        #expect(text.contains("legal hold \(hold.id) on \(d.letter.number) is released, but the log never released it"), "\(text)")
        #expect(text.contains("\(d.plan.number) is disposed of (påhittat, 2 years), but the log has no document.dispose event"), "\(text)")
        #expect(text.contains("\(d.plan.number) was disposed of 2026-03-02T00:00:00.000Z while legal hold \(hold.id + 1) on \(f.caseNumber) kept it"),
                "\(text)")
        #expect(text.contains("content \(d.decision.current.content!.sha256) was disposed of, but its text is still kept"), "\(text)")
        #expect(text.contains("\(d.decision.number) version 1 names content \(d.decision.current.content!.sha256), which the catalog has as disposed of"),
                "\(text)")
    }

    /// METS (the root's and the representation's), ERMS and PREMIS (the package's and the representation's) of an
    /// extracted package against their official schemas, and every file where METS says, as it says.
    func checkWithTheSchemas(_ root: String) throws {
        for (schema, file) in [("mets/mets.xsd", "METS.xml"), ("erms/ERMS.xsd", METS.descriptivePath), ("premis/premis-v3-0.xsd", METS.preservationPath),
                               ("mets/mets.xsd", METS.representationPath), ("premis/premis-v3-0.xsd", METS.representationPreservationPath)] {
            let result = try Validators.xmlschema(schema: schema, file: "\(root)/\(file)")
            #expect(result.ok, "\(file): \(result.output)")
        }
        try checkFileLocations(root)
    }

    /// A case whose every document was disposed of is exported without any content: the representation's METS lists
    /// no file and its PREMIS describes the representation alone, and the package still passes the judges and imports.
    @Test func aPackageWithEveryDocumentDisposedOfHasNoContentAndStillPasses() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 2,
                                                             mandate: "KS 2024-03-12 § 45"), actor: "arkivarie")
        let plan = try f.register("plan.txt", "Handlingsplan om vinterväghållning")
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        f.clock.set("2028-03-02T08:00:00.000Z")
        _ = try f.service.dispose(.documents([plan.number]), actor: "arkivarie")
        let package = f.dir.file("empty.tar")
        let report = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: package), actor: "arkivarie")
        #expect(report.documents == 1 && report.contentBytes == 0, "\(report)")
        #expect(try Validators.earkErrors(package) == [])
        let root = try extract(package, into: f.dir)
        try checkWithTheSchemas(root)
        let representation = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.representationPath)")), as: UTF8.self)
        #expect(!representation.contains("<mets:file "))
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin", clock: f.clock)
        #expect(try other.importPackage(at: package, actor: "mottagare").documents == 1)
        #expect(try other.document(plan.number).disposal != nil)
    }

    /// Legal holds travel with an archive package: an import places the active ones again as they were placed (reason,
    /// time, archivist), so that what they keep is not disposed of in the receiving store either, and verify holds them
    /// to the import's events. A released hold stays history (PREMIS); an interchange carries none.
    @Test func legalHoldsTravelWithAnArchivePackage() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try schedule(f)
        let caseHold = try f.service.placeHold(on: .case(f.caseNumber), reason: "Överklagande, mål 1234-26", actor: "arkivarie")
        let letterHold = try f.service.placeHold(on: .document(d.letter.number), reason: "Begäran om utlämnande", actor: "jurist")
        let released = try f.service.placeHold(on: .document(d.plan.number), reason: "Granskning", actor: "arkivarie")
        _ = try f.service.releaseHold(id: released.id, reason: "Avgjort", actor: "arkivarie")
        let package = f.dir.file("held.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: package), actor: "arkivarie")
        #expect(try Validators.earkErrors(package) == [])
        try checkWithTheSchemas(try extract(package, into: f.dir))

        f.clock.set("2029-01-15T10:00:00.000Z")
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin", clock: f.clock)
        let imported = try other.importPackage(at: package, actor: "mottagare")
        #expect(imported.holds.count == 2 && imported.holds.contains { $0.hasPrefix("\(f.caseNumber): Överklagande, mål 1234-26 (placed ") }
                && imported.holds.contains { $0.hasPrefix("\(d.letter.number): Begäran om utlämnande (placed ") && $0.hasSuffix(" by jurist)") },
                "the report names the holds placed again: \(imported.holds)")
        let holds = try other.legalHolds()
        #expect(Set(holds.map { "\($0.scope.rawValue) \($0.number) \($0.reason) \($0.placedBy)" })
                == ["case \(f.caseNumber) Överklagande, mål 1234-26 arkivarie", "document \(d.letter.number) Begäran om utlämnande jurist"])
        #expect(holds.map(\.placedAt).sorted() == [caseHold.placedAt, letterHold.placedAt].sorted())
        // Due since 2028 (the decision is kept by its rule), but held: a run over everything due disposes of nothing.
        let run = try other.dispose(.due(series: nil), actor: "arkivarie")
        #expect(run.disposed.isEmpty && Set(run.held.map(\.description)) == [d.plan.number.description, d.letter.number.description],
                "\(run)")
        let verified = try other.verify()
        #expect(verified.ok, "\(verified.problems)")

        // What an interchange sends is registered by the receiver: the sender's holds stay the sender's.
        var send = ExportRequest(selection: .case(f.caseNumber), format: .earkTar, versions: .final, output: f.dir.file("send.tar"))
        send.includingDisposed = false
        _ = try f.service.exportPackage(send, actor: "arkivarie")
        let sent = try PackageEditing.extract(f.dir.file("send.tar"), into: f.dir)
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(sent)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(!erms.contains("<dx:hold"))
    }

    /// A case opened again after one of its documents was disposed of (a late appeal) holds a disposal made under its
    /// earlier closing: exported open, and closed again, it passes the judges and imports, the disposal as it was. The
    /// ERMS dates of the disposed record leave out a period start the package cannot know (the earlier closing).
    @Test func aCaseOpenedAgainAfterADisposalIsExportedAndImported() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try disposedPlan(f)
        f.clock.set("2028-04-01T08:00:00.000Z")
        _ = try f.service.reopenCase(f.caseNumber, actor: "anna")
        for (step, closing) in [("open", nil), ("closed-again", "2028-05-01T08:00:00.000Z")] {
            if let closing {
                f.clock.set(closing)
                _ = try f.service.closeCase(f.caseNumber, actor: "anna")
            }
            #expect(try f.service.verify().ok)
            let package = f.dir.file("\(step).tar")
            _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: package), actor: "arkivarie")
            #expect(try Validators.earkErrors(package) == [])
            let root = try extract(package, into: f.dir)
            try checkWithTheSchemas(root)
            let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
            #expect(erms.contains(#"<disposalDate dateType="disposal_date">2028-03-02T08:00:00"#))
            #expect(erms.components(separatedBy: #"dateType="retention_period_start">2028-05-01"#).count == (closing == nil ? 1 : 4),
                    "the case, the decision and the letter run from the new closing; the plan's period did not")
            let other = try RecordsService.createStore(at: f.dir.file("other-\(step)"), actor: "admin", clock: f.clock)
            #expect(try other.importPackage(at: package, actor: "mottagare").documents == 3)
            #expect(try other.document(d.plan.number).disposal == (try f.service.document(d.plan.number)).disposal)
            #expect(try other.caseDetails(f.caseNumber).record.status == (closing == nil ? .open : .closed))
            let verified = try other.verify()
            #expect(verified.ok, "\(verified.problems)")
        }
    }

    /// A package carries a disposed document's registration and versions without its content, with when and under
    /// which rule it was disposed of (dx:disposal, and ERMS disposal with its disposal_date), and passes the same
    /// judges; an import keeps it disposed of. An interchange leaves it out.
    @Test func aPackageCarriesTheRegistrationOfADisposedDocumentWithoutItsContent() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let d = try disposedPlan(f)
        let package = f.dir.file("ks.tar")
        let report = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: package), actor: "arkivarie")
        #expect(report.documents == 3, "\(report)")
        #expect(report.contentBytes == Int64("Beslut om snöröjning".utf8.count + "Brev om halkbekämpning".utf8.count), "the plan's content is gone")
        #expect(try Validators.earkErrors(package) == [])
        let root = try extract(package, into: f.dir)
        try checkWithTheSchemas(root)
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(erms.contains(#"<dx:disposal at="2028-03-02T08:00:00"#) && erms.contains(#"mandate="KS 2024-03-12 § 45" schedule="IHP KS 2024"/>"#))
        #expect(erms.contains(#"<disposalDate dateType="disposal_date">2028-03-02T08:00:00"#))
        #expect(erms.contains("<description>Gallrad 2028-03-02 enligt KS 2024-03-12 § 45"))
        func carried(_ document: DocumentRecord) -> Bool {
            FileManager.default.fileExists(atPath: "\(root)/" + PackageNaming.contentPath(
                document: document.number, version: 1, originalName: document.current.content!.originalName))
        }
        #expect(!carried(d.plan) && carried(d.decision) && carried(d.letter))
        expectFailure("was disposed of") {
            try f.service.exportPackage(ExportRequest(selection: .documents([d.plan.number]), format: .earkTar, output: f.dir.file("x.tar")),
                                        actor: "arkivarie")
        }

        f.clock.set("2029-01-15T10:00:00.000Z")
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin", clock: f.clock)
        let imported = try other.importPackage(at: package, actor: "mottagare")
        #expect(imported.documents == 3)
        let plan = try other.document(d.plan.number)
        #expect(plan.disposal == (try f.service.document(d.plan.number)).disposal)
        #expect(plan.current.content?.sha256 == d.plan.current.content?.sha256, "what the content was is kept; the content is not")
        #expect(throws: DiariumError.self) { try RecordRules.checkContentKept(plan) }
        #expect(try other.search("vinterväghållning", view: .full).hits.isEmpty)
        #expect(try other.search("snöröjning", view: .full).hits.map(\.number) == [d.decision.number])
        #expect(try other.audit(object: d.plan.number.description).contains { $0.action == .documentDispose })
        let verified = try other.verify()
        #expect(verified.ok && verified.orphanBlobs.isEmpty, "\(verified.problems)")
        // Exported again from there, it is the same registration.
        let again = f.dir.file("again.tar")
        _ = try other.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: again), actor: "arkivarie")
        #expect(try Validators.earkErrors(again) == [])
        // Its PREMIS deletion is dated when and by whom it was disposed of, not when it was imported here.
        let againRoot = try extract(again, into: f.dir)
        let premis = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(againRoot)/\(METS.preservationPath)")), as: UTF8.self)
        let deletion = try #require(premis.components(separatedBy: "<premis:event>").first { $0.contains(">deletion<") })
        #expect(deletion.contains("<premis:eventDateTime>2028-03-02T08:00:00") && deletion.contains(">arkivarie<"), "\(deletion)")
        #expect(deletion.contains("recorded here on import at 2029-01-15T10:00:00") && deletion.contains(" by mottagare)"), "\(deletion)")
        #expect(try Validators.xmlschema(schema: "premis/premis-v3-0.xsd", file: "\(againRoot)/\(METS.preservationPath)").ok)

        // A received interchange must deliver content: a disposed document refuses it, nothing written.
        let third = try RecordsService.createStore(at: f.dir.file("third"), actor: "admin", clock: f.clock)
        var receiving = ImportOptions(numbering: .renumber(into: ks))
        receiving.refusingDisposed = true
        expectFailure("an interchange delivers documents with their content") {
            try third.importPackage(at: package, options: receiving, actor: "anna")
        }
        #expect(try third.counts().documents == 0)
        // A disposal that cannot be right for its case, or content given two sizes, is refused naming it.
        for (pattern, template, phrase) in [
            (#"(<dx:disposal at=")2028"#, "$12020", "cannot be right for a case opened"),
            // A hold on the disposed document contradicts its disposal.
            (#"(<dx:disposal [^>]*/>)"#, #"$1<dx:hold reason="Tvist" placedAt="2027-01-01T00:00:00.000Z" placedBy="jurist"/>"#,
             "is disposed of, but a legal hold keeps it"),
            // Disposed of after the case's last closing, but due before it.
            (#"(<dx:case [^>]*closedAt=")[^"]+"#, "$12028-03-02T00:00:00.000Z", "and closed 2028-03-02T00:00:00.000Z"),
            (#"(<dx:disposal [^>]*dueAt=")2028"#, "$12099", "cannot be right"),
            (#"(<dx:content [^>]*size=")[0-9]+"#, "$199", "bytes here, the package says 99"),
        ] {
            let root = try PackageEditing.extract(package, into: f.dir)
            try PackageEditing.editERMS(inPackage: root) { try $0.replacingFirst(pattern, with: template) }
            let edited = try PackageEditing.tar(root, as: "edited.tar")
            let store = try RecordsService.createStore(at: f.dir.file("s-\(UUID().uuidString.prefix(6))"), actor: "admin", clock: f.clock)
            if phrase.hasPrefix("bytes here") {
                // Content this store holds at its true size: the package's other size is refused.
                _ = try store.addSeries(code: SeriesCode(rawValue: "BUN")!, name: "BUN", actor: "admin")
                let open = try store.openCase(NewCase(series: SeriesCode(rawValue: "BUN")!, title: "Samma"), actor: "anna").number
                _ = try store.register([try f.document("samma.txt", "Handlingsplan om vinterväghållning")], in: open, actor: "anna")
            }
            expectFailure(phrase) { try store.importPackage(at: edited, actor: "arkivarie") }
        }

        // An interchange sends what the receiver registers: not the disposed document.
        var send = ExportRequest(selection: .case(f.caseNumber), format: .earkTar, versions: .final, output: f.dir.file("send.tar"))
        send.includingDisposed = false
        #expect(try f.service.exportPackage(send, actor: "arkivarie").documents == 2)
    }
}
