import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Testing

@Suite struct RecordsServiceTests {
    @Test func documentLifecycleMakesAVersionForEveryChange() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let registered = try f.register("plan.txt", "utkast 1")
        #expect(registered.number.description == "KS 2026/1-1")
        #expect(registered.current.number == 1)
        #expect(registered.status == .draft)

        let v2 = try f.service.addVersion(registered.number, file: try f.dir.write("plan2.txt", "utkast 2"), comment: "efter remiss", actor: "bo")
        #expect(v2.current.number == 2)
        #expect(v2.current.change == .content)
        #expect(v2.current.author == "bo")
        #expect(v2.current.content?.originalName == "plan2.txt")

        var change = MetadataChange()
        change.title = "Handlingsplan klimat"
        change.sender = .some("Miljöförvaltningen")
        let v3 = try f.service.update(registered.number, change, comment: "rättad titel", actor: "bo")
        #expect(v3.current.change == .metadata)
        #expect(v3.current.content == v2.current.content, "metadata versions carry the content forward")

        let v4 = try f.service.finalise(registered.number, comment: nil, actor: "bo")
        #expect(v4.status == .final)
        do {
            _ = try f.service.addVersion(registered.number, file: try f.dir.write("plan3.txt", "x"), comment: nil, actor: "bo")
            Issue.record("content added to a final document")
        } catch let error as DiariumError {
            #expect(error.code == .invalidState)
        }
        change = MetadataChange()
        change.classification = .some("2.4")
        let v5 = try f.service.update(registered.number, change, comment: "korrigering", actor: "bo")
        #expect(v5.status == .final, "a final document's metadata can still be corrected")
        // No field at all is said so (not that the values equal the current ones); the same values are said so.
        expectFailure("nothing to change: give a field to correct") {
            try f.service.update(registered.number, MetadataChange(), comment: "bara en kommentar", actor: "bo")
        }
        expectFailure("the given values equal those of version 5") { try f.service.update(registered.number, change, comment: nil, actor: "bo") }
        let v6 = try f.service.archive(registered.number, comment: nil, actor: "arkivarie")
        #expect(v6.status == .archived)
        #expect(throws: DiariumError.self) { try f.service.update(registered.number, change, comment: nil, actor: "bo") }
        #expect(throws: DiariumError.self) { try f.service.finalise(registered.number, comment: nil, actor: "bo") }

        let history = try f.service.history(registered.number)
        #expect(history.map(\.number) == [1, 2, 3, 4, 5, 6])
        #expect(history.map(\.change) == [.registered, .content, .metadata, .status, .metadata, .status])
        #expect(try f.service.document(registered.number, version: 1).current.metadata.title == "Titel plan.txt")
        #expect(try f.service.document(registered.number, version: 3).current.metadata.sender == "Miljöförvaltningen")
        #expect(throws: DiariumError.self) { try f.service.document(registered.number, version: 7) }

        var first = Data()
        try f.service.readContent(history[0].content!) { first.append(contentsOf: $0) }
        #expect(String(decoding: first, as: UTF8.self) == "utkast 1", "every version's content stays readable")

        let actions = try f.service.audit(object: registered.number.description).map(\.action)
        #expect(actions == [.documentRegister, .documentVersion, .documentUpdate, .documentFinalise, .documentUpdate, .documentArchive])
        #expect(try f.service.verify().ok)
    }

    /// A draft registered as outgoing or internal by mistake, corrected to incoming, came in: final at once (inkommen),
    /// in a version and an audit event of its own after the correction, so its content is public unless restricted.
    /// A final incoming document corrected to outgoing keeps its status: nothing is taken back from the public.
    @Test func aDraftCorrectedToIncomingIsFinalAsItCameIn() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let letter = try f.register("brev.txt", "Ansökan om bygglov för Storgatan 5.")
        #expect(letter.status == .draft && letter.current.metadata.direction == .internal)
        #expect(try f.service.search("storgatan", view: .public).hits.isEmpty, "a draft's text is not public")
        var change = MetadataChange()
        change.direction = .incoming
        let corrected = try f.service.update(letter.number, change, comment: "inkom per post", expectedVersion: 1, actor: "bo")
        #expect(corrected.status == .final && corrected.current.number == 3)
        let history = try f.service.history(letter.number)
        #expect(history.map(\.change) == [.registered, .metadata, .status])
        #expect(history.map(\.status) == [.draft, .draft, .final])
        #expect(history[1].comment == "inkom per post" && history[2].comment?.hasPrefix("inkommen") == true)
        #expect(history[2].metadata == history[1].metadata && history[2].content == history[1].content)
        let actions = try f.service.audit(object: letter.number.description).map(\.action)
        #expect(actions == [.documentRegister, .documentUpdate, .documentFinalise])
        #expect(numbers(try f.service.search("storgatan", view: .public)) == [letter.number.description], "its text is public now")
        // Back to outgoing: it stays final.
        change.direction = .outgoing
        let back = try f.service.update(letter.number, change, comment: nil, actor: "bo")
        #expect(back.status == .final && back.current.number == 4 && back.current.change == .metadata)
        // A correction that does not make a draft incoming leaves the status alone.
        let other = try f.register("notering.txt", "Tjänsteanteckning.")
        var title = MetadataChange()
        title.title = "Anteckning"
        #expect(try f.service.update(other.number, title, comment: nil, actor: "bo").status == .draft)
        #expect(try f.service.verify().ok)
    }

    func numbers(_ result: SearchResult) -> [String] { result.hits.map(\.number.description) }

    /// What an access decision reads: the document, an older version of it, the department of its series, and "not
    /// found" for a version it does not have.
    @Test func documentForAccessReadsAVersionAndTheDepartment() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let doc = try f.register("plan.txt", "första")
        _ = try f.service.addVersion(doc.number, file: try f.dir.write("plan2.txt", "andra"), comment: nil, actor: "bo")
        let current = try f.service.documentForAccess(doc.number)
        #expect(current.current.current.number == 2 && current.shown.current.number == 2)
        #expect(current.department == Department(series: doc.number.caseNumber.series))
        let first = try f.service.documentForAccess(doc.number, version: 1)
        #expect(first.current.current.number == 2 && first.shown.current.number == 1)
        #expect(first.shown.current.content?.sha256 == doc.current.content?.sha256)
        for missing in [3, 0] {
            do {
                _ = try f.service.documentForAccess(doc.number, version: missing)
                Issue.record("version \(missing) was found")
            } catch {
                #expect(error.code == .notFound && error.field == "version", "\(error.message)")
            }
        }
    }

    /// The public diarium lists by registration time, newest first, also when row ids are in another order (an
    /// imported document keeps the registration time it brought), and its pages follow that order.
    @Test func thePublicDiariumListsByRegistrationTime() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let march = try f.register("a.txt", "a")                      // 2026-03-01
        f.clock.set("2025-11-20T10:00:00.000Z")
        let november = try f.register("b.txt", "b")                   // a later row, registered earlier
        f.clock.set("2026-03-02T10:00:00.000Z")
        let later = try f.register("c.txt", "c")
        let expected = [later, march, november].map(\.number)
        #expect(try f.service.publicDiarium().documents.map(\.number) == expected)
        var paged: [DocumentNumber] = []
        var cursor: String?
        repeat {
            let page = try f.service.publicDiarium(limit: 1, after: cursor)
            paged += page.documents.map(\.number)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(paged == expected)
        #expect(try f.service.publicDiarium(to: CalendarDate(year: 2026, month: 1, day: 1)).documents.map(\.number) == [november.number])
    }

    @Test func caseNumbersAreGapFreePerSeriesAndYear() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let bun = try f.service.addSeries(code: SeriesCode(rawValue: "BUN")!, name: "Barn- och utbildningsnämnden", actor: "admin").code
        #expect(try f.service.openCase(NewCase(series: ks, title: "Två"), actor: "a").number.description == "KS 2026/2")
        #expect(try f.service.openCase(NewCase(series: bun, title: "Ett"), actor: "a").number.description == "BUN 2026/1")
        #expect(throws: DiariumError.self) { try f.service.openCase(NewCase(series: ks, title: " "), actor: "a") }
        #expect(throws: DiariumError.self) { try f.service.openCase(NewCase(series: SeriesCode(rawValue: "SBN")!, title: "x"), actor: "a") }
        #expect(try f.service.openCase(NewCase(series: ks, title: "Tre"), actor: "a").number.description == "KS 2026/3",
                "a refused request uses no number")
        f.clock.set("2026-12-31T23:30:00.000Z")   // already 2027 in Sweden
        #expect(try f.service.openCase(NewCase(series: ks, title: "Nytt år"), actor: "a").number.description == "KS 2027/1")
    }

    /// Cases are listed newest first, by opening (two opened in the same millisecond: the later one first), a page
    /// at a time after the last case shown, in a series, of a year.
    @Test func casesAreListedNewestFirstAPageAtATime() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let bun = try f.service.addSeries(code: SeriesCode(rawValue: "BUN")!, name: "Barn- och utbildningsnämnden", actor: "admin").code
        f.clock.set("2026-05-01T09:00:00.000Z")
        let two = try f.service.openCase(NewCase(series: ks, title: "Två"), actor: "a").number
        let bunOne = try f.service.openCase(NewCase(series: bun, title: "Ett"), actor: "a").number
        f.clock.set("2026-12-31T23:30:00.000Z")
        let next = try f.service.openCase(NewCase(series: ks, title: "Nytt år"), actor: "a").number
        let all = try f.service.listCases().map(\.number)
        #expect(all == [next, bunOne, two, f.caseNumber])
        #expect(try f.service.listCases(limit: 2).map(\.number) == [next, bunOne])
        #expect(try f.service.listCases(after: bunOne, limit: 2).map(\.number) == [two, f.caseNumber])
        #expect(try f.service.listCases(after: f.caseNumber).isEmpty)
        #expect(try f.service.listCases(series: ks, after: next).map(\.number) == [two, f.caseNumber])
        #expect(try f.service.listCases(series: ks, year: 2026).map(\.number) == [two, f.caseNumber])
        #expect(try f.service.listCases(year: 2027).map(\.number) == [next])
        _ = try f.service.closeCase(two, actor: "a")
        #expect(try f.service.listCases(status: .open).map(\.number) == [next, bunOne, f.caseNumber])
        let missing = try CaseNumber(parsing: "KS 2026/99")
        #expect { try f.service.listCases(after: missing) } throws: { ($0 as? DiariumError)?.code == .notFound && ($0 as? DiariumError)?.field == "after" }
        #expect { try f.service.listCases(series: SeriesCode(rawValue: "SBN")!) } throws: { ($0 as? DiariumError)?.field == "series" }
        #expect { try f.service.listCases(limit: 0) } throws: { ($0 as? DiariumError)?.field == "limit" }
    }

    @Test func documentOrdinalsFollowRegistrationOrder() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        var batches: [[String]] = []
        let docs = try (1...7).map { try f.document("d\($0).txt", "innehåll \($0)") }
        let records = try f.service.register(docs, in: f.caseNumber, actor: "anna", batchSize: 3) { batch in
            batches.append(batch.map(\.number.description))
        }
        #expect(records.map(\.number.ordinal) == Array(1...7))
        #expect(batches.map(\.count) == [3, 3, 1], "committed in batches")
        #expect(try f.service.caseDetails(f.caseNumber).record.documentCount == 7)
    }

    @Test func identicalContentIsStoredOnce() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let a = try f.register("a.txt", "samma innehåll")
        let b = try f.register("b.txt", "samma innehåll")
        #expect(a.current.content?.sha256 == b.current.content?.sha256)
        #expect(try f.service.counts().blobs == 1)
        #expect(try f.service.counts().documents == 2)
    }

    /// Plain text is stored (and so served) with the charset its bytes are in, whether it comes as a file, as bytes
    /// or as a new version; a charset the sender declared is kept as declared.
    @Test func plainTextIsTypedWithTheCharsetItIsIn() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let latin: [UInt8] = Array("Beslutet f".utf8) + [0xE5] + Array("r ".utf8) + [0xF6] + Array("verklagas".utf8)
        let metadata = DocumentMetadata(title: "Skrivelse", recordType: .letter)
        let documents = [
            NewDocument(file: try f.dir.write("gammal.txt", Data(latin)), metadata: metadata),
            NewDocument(file: try f.dir.write("ny.txt", "Beslutet får överklagas"), metadata: metadata),
            NewDocument(data: Data(latin), originalName: "lista.csv", metadata: metadata),
            NewDocument(file: try f.dir.write("angiven.txt", Data(latin)), metadata: metadata, mediaType: "text/plain; charset=iso-8859-1"),
            NewDocument(file: try f.dir.write("sida.html", Data(latin)), metadata: metadata),
            NewDocument(file: try f.dir.write("tabell.csv", Data(latin)), metadata: metadata, mediaType: "Text/CSV; header=present"),
        ]
        let records = try f.service.register(documents, in: f.caseNumber, actor: "anna")
        #expect(records.map { $0.current.content?.mediaType } == [
            "text/plain; charset=windows-1252", "text/plain; charset=utf-8", "text/csv; charset=windows-1252",
            "text/plain; charset=iso-8859-1", "text/html", "text/csv; charset=windows-1252",
        ])
        // What the extractor read is the same text.
        #expect(try f.service.search("överklagas", view: .full).total == 6)
        let version = try f.service.addVersion(records[1].number, file: try f.dir.write("ny-v2.txt", Data(latin)), comment: nil, actor: "anna")
        #expect(version.current.content?.mediaType == "text/plain; charset=windows-1252")
    }

    @Test func restrictionsAreKeptWithTheirLegalGround() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let restriction = try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §",
                                                until: CalendarDate(year: 2096, month: 1, day: 1), hides: [.content, .parties])
        let record = try f.service.register([f.document("s.txt", "känsligt", type: .serviceRecord, restriction: restriction)],
                                            in: f.caseNumber, actor: "anna")[0]
        let shown = try f.service.document(record.number)
        #expect(shown.current.metadata.restriction == restriction)
        var change = MetadataChange()
        change.restriction = .some(nil)
        let lifted = try f.service.update(record.number, change, comment: "sekretessen har upphört", actor: "anna")
        #expect(lifted.current.metadata.restriction == nil)
        #expect(try f.service.document(record.number, version: 1).current.metadata.restriction == restriction)
        let details = try f.service.audit(object: record.number.description).map(\.details)
        #expect(details.allSatisfy { !$0.contains("känsligt") }, "content never reaches the audit log")
    }

    @Test func closedCasesTakeNoDocuments() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try f.register("a.txt", "före")
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        let doc = try f.document("b.txt", "efter")
        let before = try f.snapshot()
        do {
            _ = try f.service.register([doc], in: f.caseNumber, actor: "anna")
            Issue.record("registered into a closed case")
        } catch {
            #expect(error.code == .invalidState)
            #expect(error.message.contains("closed"))
        }
        #expect(try f.snapshot() == before)
        #expect(throws: DiariumError.self) { try f.service.closeCase(f.caseNumber, actor: "anna") }
    }

    /// Closing and opening again name the version they were based on, as a correction does, and each raises it: a
    /// case corrected, closed or reopened meanwhile is refused (and left as it was). A black-box review closed a case
    /// again on a view from before another clerk's reopening, undoing it, because closing left the version as it was.
    @Test func closingAndReopeningCheckTheVersionSeen() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        var change = CaseChange()
        change.title = "Klimatplan 2030"
        _ = try f.service.updateCase(f.caseNumber, change, expectedVersion: 1, actor: "anna")
        let before = try f.snapshot()
        #expect { try f.service.closeCase(f.caseNumber, expectedVersion: 1, actor: "anna") } throws: {
            ($0 as? DiariumError)?.code == .versionConflict
        }
        #expect(try f.snapshot() == before)
        #expect(try f.service.closeCase(f.caseNumber, expectedVersion: 2, actor: "anna").status == .closed)
        #expect(try f.service.caseVersion(f.caseNumber) == 3)
        expectFailure("based on version 2, the current version is 3 (corrected, closed or reopened since)") {
            try f.service.reopenCase(f.caseNumber, expectedVersion: 2, actor: "bo")
        }
        #expect(try f.service.reopenCase(f.caseNumber, expectedVersion: 3, actor: "bo").status == .open)
        // Anna, who saw it closed (version 3), cannot close it again over Bo's reopening.
        let reopened = try f.snapshot()
        #expect { try f.service.closeCase(f.caseNumber, expectedVersion: 3, actor: "anna") } throws: {
            ($0 as? DiariumError)?.code == .versionConflict
        }
        var stale = CaseChange()
        stale.officer = .some("anna")
        #expect { try f.service.updateCase(f.caseNumber, stale, expectedVersion: 3, actor: "anna") } throws: {
            ($0 as? DiariumError)?.code == .versionConflict
        }
        #expect(try f.snapshot() == reopened)
        #expect(try f.service.caseDescription(f.caseNumber) == 2, "closing and opening again leave the description as it was")
        #expect(try f.service.updateCaseVersioned(f.caseNumber, stale, expectedVersion: 4, actor: "anna").version == 5)
        try f.register("efter.txt", "efter")
        #expect(try f.service.caseVersion(f.caseNumber) == 5, "registering a document does not change the case")
        #expect(try f.service.verify().ok)
    }

    @Test func badInputLeavesTheStoreUnchanged() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try f.register("a.txt", "första")
        let before = try f.snapshot()
        let good = try f.document("ok.txt", "ny")
        let cases: [(String, () throws -> Void)] = [
            ("missing file among good ones", {
                _ = try f.service.register([good, NewDocument(file: f.dir.file("saknas.pdf"), metadata: good.metadata)], in: f.caseNumber, actor: "anna")
            }),
            ("blank title in the second document", {
                var bad = good
                bad.metadata.title = "  "
                _ = try f.service.register([good, bad], in: f.caseNumber, actor: "anna")
            }),
            ("unknown case", {
                _ = try f.service.register([good], in: CaseNumber(parsing: "KS 2026/99"), actor: "anna")
            }),
            ("a directory as file", {
                _ = try f.service.register([NewDocument(file: f.dir.path, metadata: good.metadata)], in: f.caseNumber, actor: "anna")
            }),
            ("unknown document", {
                _ = try f.service.addVersion(DocumentNumber(parsing: "KS 2026/1-9"), file: good.file!, comment: nil, actor: "anna")
            }),
            ("bad media type", {
                _ = try f.service.addVersion(DocumentNumber(parsing: "KS 2026/1-1"), file: good.file!, mediaType: "pdf", comment: nil, actor: "anna")
            }),
            ("an update that changes nothing", {
                var change = MetadataChange()
                change.title = "Titel a.txt"
                _ = try f.service.update(DocumentNumber(parsing: "KS 2026/1-1"), change, comment: nil, actor: "anna")
            }),
            ("empty actor", {
                _ = try f.service.register([good], in: f.caseNumber, actor: " ")
            }),
            ("duplicate series", {
                _ = try f.service.addSeries(code: SeriesCode(rawValue: "KS")!, name: "igen", actor: "admin")
            }),
        ]
        for (label, call) in cases {
            #expect(throws: DiariumError.self, "\(label)") { try call() }
            #expect(try f.snapshot() == before, "\(label) changed the store")
        }
        #expect(try f.service.verify().ok)
    }
}

@Suite struct RetentionScheduleTests {
    @Test func rulesAreSetReplacedRemovedAndAudited() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let s = f.service
        _ = try s.setRetentionRule(try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 10, mandate: "KS 2024-03-12 § 45"),
                                   actor: "admin")
        _ = try s.setRetentionRule(try RetentionRule(series: ks, recordType: .decision, action: .dispose, years: 2, mandate: "KS 2020-01-01 § 1"),
                                   actor: "admin")
        // Setting the same scope again replaces the rule.
        _ = try s.setRetentionRule(try RetentionRule(series: ks, recordType: .decision, action: .keep, years: nil, mandate: "RA-FS 1991:6",
                                                     schedule: "IHP KS 2024"), actor: "admin")
        let rules = try s.retentionSchedule(series: ks)
        #expect(rules.map(\.recordType) == [nil, .decision])
        #expect(rules[1].action == .keep && rules[1].schedule == "IHP KS 2024")
        #expect(try s.retentionSchedule() == rules)

        try s.removeRetentionRule(series: ks, recordType: .decision, actor: "admin")
        #expect(try s.retentionSchedule(series: ks).map(\.recordType) == [nil])
        let before = try f.snapshot()
        expectFailure("no retention rule for decision in series KS") {
            try s.removeRetentionRule(series: ks, recordType: .decision, actor: "admin")
        }
        expectFailure("series BUN does not exist") {
            try s.setRetentionRule(try RetentionRule(series: SeriesCode(rawValue: "BUN")!, recordType: nil, action: .keep, years: nil,
                                                     mandate: "RA-FS 1991:6"), actor: "admin")
        }
        expectFailure("series BUN does not exist") { try s.retentionSchedule(series: SeriesCode(rawValue: "BUN")!) }
        expectFailure("series BUN does not exist") { try s.removeRetentionRule(series: SeriesCode(rawValue: "BUN")!, recordType: nil, actor: "admin") }
        #expect(try f.snapshot() == before)

        let events = try s.audit().filter { [.retentionSet, .retentionRemove].contains($0.action) }
        #expect(events.map(\.action) == [.retentionSet, .retentionSet, .retentionSet, .retentionRemove])
        #expect(events.map(\.object) == ["KS", "KS/decision", "KS/decision", "KS/decision"])
        #expect(events[2].details == #"{"action":"keep","mandate":"RA-FS 1991:6","schedule":"IHP KS 2024"}"#)
        #expect(try s.verify().ok)
    }
}
