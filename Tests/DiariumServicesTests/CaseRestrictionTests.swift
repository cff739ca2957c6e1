import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumStorage
import DiariumTesting
import Foundation
import GRDB
import Testing

/// A case's title is withheld from the public only on a stated ground and its legal reference
/// (offentlighetsprincipen), like a document's parts.
@Suite struct CaseRestrictionTests {
    let ks = SeriesCode(rawValue: "KS")!
    let secret = "Orosanmälan gällande Hemligsson"

    func ground() throws -> AccessRestriction {
        try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.title])
    }

    @Test func aPublicTitleNeedsAGroundAndACaseRestrictionHidesTheTitleOnly() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let before = try f.snapshot()
        do {
            _ = try f.service.openCase(NewCase(series: ks, title: secret, publicTitle: "Orosanmälan"), actor: "anna")
            Issue.record("a public title without a ground was taken")
        } catch {
            #expect(error.code == .missingLegalReference && error.field == "restriction", "\(error)")
        }
        let wider = try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", hides: [.title, .content])
        do {
            _ = try f.service.openCase(NewCase(series: ks, title: secret, restriction: wider), actor: "anna")
            Issue.record("a case restriction hiding content was taken")
        } catch {
            #expect(error.code == .invalidField && error.field == "restriction.hides", "\(error)")
        }
        #expect(try f.snapshot() == before)

        let g = try ground()
        let opened = try f.service.openCase(NewCase(series: ks, title: secret, publicTitle: "Orosanmälan", restriction: g), actor: "anna")
        let stored = try f.service.caseDetails(opened.number).record
        #expect(stored.number == opened.number && stored.restriction == g && opened.restriction == g, "\(stored) \(opened)")
        let hidden = CaseRecordView(stored, clearance: false)
        #expect(hidden.title == nil && hidden.publicTitle == "Orosanmälan" && hidden.redacted == [.title])
        #expect(hidden.restriction == g)
        #expect(CaseRecordView(stored, clearance: true).title == secret)
        // The log records the ground (never the title), and verify holds the case to it.
        let event = try #require(try f.service.audit(object: opened.number.description).first { $0.action == .caseOpen })
        #expect(event.details.contains(#""restriction":"privacy""#) && event.details.contains("OSL 26 kap. 1"))
        #expect(!event.details.contains("Hemligsson"))
        // A restriction without a public title: the public sees no title at all.
        let bare = try f.service.openCase(NewCase(series: ks, title: "Ärende om Hemligsson", restriction: ground()), actor: "anna")
        #expect(CaseRecordView(bare, clearance: false).title == nil)
        #expect(try f.service.verify().ok)
    }

    /// A restriction removed from the catalog behind Diarium's back is what a case from before grounds were kept
    /// looks like: the title stays hidden (a public title stands in for it), and verify names the case, because the
    /// log opened it restricted.
    @Test func aCaseWithoutItsGroundKeepsItsTitleHiddenAndVerifySaysTheLogDiffers() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let opened = try f.service.openCase(NewCase(series: ks, title: secret, publicTitle: "Orosanmälan", restriction: ground()), actor: "anna")
        try f.rawCatalog().write { db in
            try db.execute(sql: "UPDATE cases SET restriction_kind = NULL, restriction_legal = NULL WHERE serial = ?",
                           arguments: [opened.number.serial])
        }
        let bare = try f.service.caseDetails(opened.number).record
        #expect(bare.restriction == nil && bare.publicTitle == "Orosanmälan")
        #expect(CaseRecordView(bare, clearance: false).title == nil)
        let report = try f.service.verify()
        #expect(!report.ok)
        // Exported as it is: hidden in the standard elements too (no ground to give), and imported hidden, with a warning.
        _ = try f.service.register([f.document("anmalan.txt", "Anmälan")], in: opened.number, actor: "anna")
        let out = f.dir.file("legacy.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(opened.number), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(erms.contains(#"<restriction restrictionType="other_type" otherRestrictionType="unstated">"#))
        let result = try Validators.xmlschema(schema: "erms/ERMS.xsd", file: "\(root)/\(METS.descriptivePath)")
        #expect(result.ok, "\(result.output)")
        let elsewhere = try RecordsService.createStore(at: f.dir.file("elsewhere"), actor: "admin")
        let imported = try elsewhere.importPackage(at: out, actor: "arkivarie")
        #expect(imported.diagnostics.contains { $0.severity == .warning && $0.message.contains("no ground recorded") })
        let kept = try elsewhere.caseDetails(try CaseNumber(parsing: try #require(imported.cases.first).assigned)).record
        #expect(kept.restriction == nil && kept.publicTitle == "Orosanmälan" && CaseRecordView(kept, clearance: false).title == nil)
        // The unstated restriction stands only for a hidden title: without the public title it would be imported as public.
        let ermsPath = "\(root)/\(METS.descriptivePath)"
        try rewriteListed(ermsPath, with: Data(erms.replacingOccurrences(of: #" publicTitle="Orosanmälan""#, with: "").utf8), root: root)
        let third = try RecordsService.createStore(at: f.dir.file("third"), actor: "admin")
        expectFailure("is restricted (ingen grund registrerad) but its dx:case has no dx:restriction") {
            try third.importPackage(at: root, actor: "arkivarie")
        }
        #expect(try third.counts().cases == 0)

        #expect(report.problems.contains { $0.code == "audit-mismatch" && $0.message.contains("\(opened.number): its title restriction (none, public title set) is not what the log opened it with (privacy under OSL 26 kap. 1 §, public title set)") },
                "\(report.problems)")

        // The ground's end moved, or the public title dropped (the title would show in full where it is cleared of
        // the restriction later), behind Diarium's back: both named too.
        let ended = try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", until: CalendarDate(year: 2030, month: 1, day: 1), hides: [.title])
        let later = try f.service.openCase(NewCase(series: ks, title: "Ärende om Hemligsson", publicTitle: "Ärende", restriction: ended), actor: "anna")
        let other = try f.service.openCase(NewCase(series: ks, title: "Ärende om Lindqvistsson", publicTitle: "Ärende", restriction: ended), actor: "anna")
        try f.rawCatalog().write { db in
            try db.execute(sql: "UPDATE cases SET restriction_until = '2099-01-01' WHERE serial = ?", arguments: [later.number.serial])
            try db.execute(sql: "UPDATE cases SET public_title = NULL WHERE serial = ?", arguments: [other.number.serial])
        }
        let again = try f.service.verify().problems.map(\.message)
        #expect(again.contains { $0.contains("\(later.number): its title restriction (secrecy under OSL 21 kap. 1 § until 2099-01-01, public title set)") })
        #expect(again.contains { $0.contains("\(other.number): its title restriction (secrecy under OSL 21 kap. 1 § until 2030-01-01, public title none) is not what the log opened it with (secrecy under OSL 21 kap. 1 § until 2030-01-01, public title set)") }, "\(again)")
    }

    /// A title restriction is set, corrected or lifted on an existing case, open or closed (a ground may end after
    /// closing). Lifting it makes the title public and drops the public title; a public title without a ground is
    /// refused; each change is logged by field name, and verify follows the log's latest word. A new classification
    /// files the documents without one of their own under it in search.
    @Test func aCaseRestrictionIsSetCorrectedAndLifted() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let number = f.caseNumber
        try f.register("plan.txt", "Plan för klimatet")
        let g = try ground()

        var alone = CaseChange()
        alone.publicTitle = .some("Ärende")
        let before = try f.snapshot()
        expectFailure("give the restriction's kind and the legal reference") { try f.service.updateCase(number, alone, actor: "anna") }
        expectFailure("nothing to change") { try f.service.updateCase(number, CaseChange(), actor: "anna") }
        #expect(try f.snapshot() == before)

        var restrict = alone
        restrict.restriction = .some(g)
        let restricted = try f.service.updateCase(number, restrict, actor: "anna")
        #expect(restricted.restriction == g && restricted.publicTitle == "Ärende")
        #expect(CaseRecordView(restricted, clearance: false).title == nil)

        var corrected = CaseChange()
        corrected.restriction = .some(try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", hides: [.title]))
        corrected.classification = .some("9.9")
        #expect(try f.service.updateCase(number, corrected, actor: "bo").restriction?.legalReference == "OSL 21 kap. 1 §")
        #expect(try f.service.search("class:9.9", view: .full).total == 1)
        // The same values again change nothing and log nothing.
        let events = try f.service.audit(object: number.description).count
        _ = try f.service.updateCase(number, corrected, actor: "bo")
        #expect(try f.service.audit(object: number.description).count == events)

        _ = try f.service.closeCase(number, actor: "anna")
        var lift = CaseChange()
        lift.restriction = .some(nil)
        let lifted = try f.service.updateCase(number, lift, actor: "anna")
        #expect(lifted.restriction == nil && lifted.publicTitle == nil && lifted.status == .closed)
        #expect(CaseRecordView(lifted, clearance: false).title == "Klimatplan")

        let updates = try f.service.audit(object: number.description).filter { $0.action == .caseUpdate }
        #expect(updates.count == 3)
        #expect(updates[0].details.contains(#""fields":["publicTitle","restriction"]"#), "\(updates[0].details)")
        #expect(updates[1].details.contains(#""restriction":"secrecy""#) && updates[1].details.contains("classification"))
        #expect(!updates[2].details.contains("legal"))
        #expect(try f.service.verify().ok)

        // Nothing was overwritten without a trace: each correction kept what it replaced.
        let history = try f.service.caseHistory(number)
        #expect(history.revisions.map(\.n) == [1, 2, 3])
        #expect(history.revisions.map(\.replacedBy) == ["anna", "bo", "anna"])
        #expect(history.revisions[0].restriction == nil && history.revisions[0].title == "Klimatplan")
        #expect(history.revisions[1].restriction == g && history.revisions[1].publicTitle == "Ärende")
        #expect(history.revisions[2].classification == "9.9" && history.revisions[2].restriction?.kind == .secrecy)
        // The title is public now, but every earlier description either withheld it or came before one that did:
        // a lift does not open what a restriction protected, and one added later covers what came before.
        let hidden = CaseRevisionView.views(history.revisions, current: history.record, clearance: false)
        #expect(hidden.allSatisfy { $0.title == nil && $0.redacted == [.title] })
        #expect(CaseRevisionView.views(history.revisions, current: history.record, clearance: true).map(\.title) == ["Klimatplan", "Klimatplan", "Klimatplan"])

        // Exports of all versions carry the revisions, read back in order; final versions only carry none.
        let all = f.dir.file("all.tar"), final = f.dir.file("final.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(number), format: .earkTar, output: all), actor: "arkivarie")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(number), format: .earkTar, versions: .final, output: final), actor: "arkivarie")
        let finalRoot = try extract(final, into: f.dir)
        #expect(!String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(finalRoot)/\(METS.descriptivePath)")), as: UTF8.self).contains("dx:revision"))
        let root = try extract(all, into: f.dir)
        let erms = "\(root)/\(METS.descriptivePath)"
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: erms)), as: UTF8.self)
        #expect(text.components(separatedBy: "<dx:revision ").count == 4)
        try rewriteListed(erms, with: Data(text.replacingOccurrences(of: #"<dx:revision n="2""#, with: #"<dx:revision n="5""#).utf8), root: root)
        let elsewhere = try RecordsService.createStore(at: f.dir.file("elsewhere"), actor: "admin")
        expectFailure("attribute n must be 2 (revisions are numbered 1, 2, … in order)") { try elsewhere.importPackage(at: root, actor: "arkivarie") }
        #expect(try elsewhere.counts().cases == 0)
        // A history out of order (a correction dated before the opening) was edited: refused too.
        let reordered = text.replacing(#/<dx:revision n="1" replacedAt="[^"]*"/#, with: #"<dx:revision n="1" replacedAt="1999-03-01T09:00:00.000Z""#)
        #expect(reordered != text)
        try rewriteListed(erms, with: Data(reordered.utf8), root: root)
        expectFailure("revision 1 was replaced at 1999-03-01T09:00:00.000Z, before the case was opened") {
            try elsewhere.importPackage(at: root, actor: "arkivarie")
        }
        #expect(try elsewhere.counts().cases == 0)

        // A revision slipped in behind Diarium's back has no correction in the log.
        try f.rawCatalog().write { db in
            try db.execute(sql: """
                INSERT INTO case_revisions(case_id, n, replaced_at, replaced_by, title) VALUES
                ((SELECT id FROM cases WHERE serial = ?), 4, '2026-03-01T09:00:00.000Z', 'mallory', 'Annan titel')
                """, arguments: [number.serial])
        }
        #expect(try f.service.verify().problems.contains { $0.message.contains("\(number) has 4 earlier descriptions, but the log corrected it 3 times") })
    }

    /// A case's restriction restated without an end date (`restrictionKeepsUntil`, what the CLI and a PATCH without
    /// `until` ask) keeps the one it had on the same ground and provision; on another, or asked for none, it has none.
    @Test func aCaseRestrictionRestatedKeepsItsEndDate() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let end = CalendarDate(year: 2040, month: 1, day: 1)
        func restate(_ legal: String, until: CalendarDate? = nil, keepsUntil: Bool) throws -> CalendarDate? {
            var change = CaseChange()
            change.restriction = .some(try AccessRestriction(kind: .secrecy, legalReference: legal, until: until, hides: [.title]))
            change.restrictionKeepsUntil = keepsUntil
            return try f.service.updateCase(f.caseNumber, change, actor: "anna").restriction?.until
        }
        #expect(try restate("OSL 21 kap. 1 §", until: end, keepsUntil: true) == end)
        #expect(try restate("OSL 21 kap. 1 §", keepsUntil: true) == end)
        #expect(try restate("OSL 21 kap. 1 §", keepsUntil: false) == nil)
        #expect(try restate("OSL 21 kap. 1 §", until: end, keepsUntil: true) == end)
        #expect(try restate("OSL 21 kap. 7 §", keepsUntil: true) == nil)
        // An end that has passed is not kept by a restatement that changes the restriction (a document's, hiding
        // more): a new last day, none, or a lift. (A case's restated the same changes nothing.)
        let summer = CalendarDate(year: 2026, month: 6, day: 30)
        let document = try f.service.register([f.document("a.txt", "a", restriction: try AccessRestriction(
            kind: .secrecy, legalReference: "OSL 21 kap. 1 §", until: summer))], in: f.caseNumber, actor: "anna")[0].number
        f.clock.set("2026-08-01T09:00:00.000Z")
        var more = MetadataChange()
        more.restriction = .some(try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", hides: [.content, .title]))
        more.restrictionKeepsUntil = true
        expectFailure("the restriction's last day 2026-06-30 has passed") { try f.service.update(document, more, comment: nil, actor: "anna") }
        more.restrictionKeepsUntil = false
        #expect(try f.service.update(document, more, comment: nil, actor: "anna").current.metadata.restriction?.until == nil)
        #expect(try restate("OSL 21 kap. 1 §", until: end, keepsUntil: true) == end, "the case's, restated the same: nothing to check")
    }

    /// Export and import keep the ground: the ERMS `restriction` other tools read and Diarium's own agree, and a
    /// package whose standard restriction Diarium's description lacks is refused rather than imported more open.
    @Test func theGroundTravelsThroughAnArchivalPackage() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let opened = try f.service.openCase(NewCase(series: ks, title: secret, publicTitle: "Orosanmälan", restriction: ground()), actor: "anna")
        _ = try f.service.register([f.document("anmalan.txt", "Anmälan")], in: opened.number, actor: "anna")
        let out = f.dir.file("case.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(opened.number), format: .earkTar, output: out), actor: "arkivarie")
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let report = try other.importPackage(at: out, actor: "arkivarie")
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        let imported = try other.caseDetails(try CaseNumber(parsing: try #require(report.cases.first).assigned)).record
        let g = try ground()
        #expect(imported.restriction == g && imported.publicTitle == "Orosanmälan" && imported.title == secret)
        #expect(try other.verify().ok)

        let root = try extract(out, into: f.dir)
        let erms = "\(root)/\(METS.descriptivePath)"
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: erms)), as: UTF8.self)
        let own = #"<dx:restriction kind="privacy" legalReference="OSL 26 kap. 1 §" hides="title"/>"#
        #expect(text.contains(own) && text.contains("<regulation>OSL 26 kap. 1 §</regulation>"))

        // Diarium's description without the ground, the standard restriction still there: refused, naming the case.
        try rewriteListed(erms, with: Data(text.replacingOccurrences(of: own, with: "").utf8), root: root)
        let third = try RecordsService.createStore(at: f.dir.file("third"), actor: "admin")
        expectFailure("is restricted (OSL 26 kap. 1 §) but its dx:case has no dx:restriction") {
            try third.importPackage(at: root, actor: "arkivarie")
        }
        #expect(try third.counts().documents == 0)

        // Neither (a package from before case grounds): imported with its title hidden, and a warning that says so.
        let withoutStandard = text.replacingOccurrences(of: own, with: "")
            .replacing(#/<restriction restrictionType="integrity">.*?</restriction>/#.dotMatchesNewlines(), with: "")
        try rewriteListed(erms, with: Data(withoutStandard.utf8), root: root)
        let fourth = try RecordsService.createStore(at: f.dir.file("fourth"), actor: "admin")
        let legacy = try fourth.importPackage(at: root, actor: "arkivarie")
        let warning = try #require(legacy.diagnostics.first { $0.message.contains("no dx:restriction") }, "\(legacy.diagnostics)")
        #expect(warning.severity == .warning && warning.message.contains("no ground recorded"))
        let kept = try fourth.caseDetails(try CaseNumber(parsing: try #require(legacy.cases.first).assigned)).record
        #expect(kept.restriction == nil && CaseRecordView(kept, clearance: false).title == nil)
        #expect(try fourth.verify().ok)
    }
}

/// A restriction lasts as long as its ground: those whose last day has passed are listed for review.
@Suite struct EndedRestrictionTests {
    @Test func restrictionsPastTheirLastDayAreListedOldestFirst() throws {
        let f = try Fixture()   // today is 2026-03-01 (Swedish time)
        defer { f.dir.remove() }
        func restriction(_ until: CalendarDate?, hides: [AccessRestriction.Part] = [.content]) throws -> AccessRestriction {
            try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", until: until, hides: hides)
        }
        // Set while they held (a restriction whose last day has passed is refused when set).
        f.clock.set("2024-12-01T09:00:00.000Z")
        let ended = try f.service.register([f.document("a.txt", "a", restriction: try restriction(CalendarDate(year: 2026, month: 2, day: 15)))],
                                           in: f.caseNumber, actor: "anna")[0]
        let lastDayToday = try f.service.register([f.document("b.txt", "b", restriction: try restriction(CalendarDate(year: 2026, month: 3, day: 1)))],
                                                  in: f.caseNumber, actor: "anna")[0]
        _ = try f.service.register([f.document("c.txt", "c", restriction: try restriction(nil))], in: f.caseNumber, actor: "anna")
        // Ended once, then lifted: the current version has no restriction, so nothing is due.
        let lifted = try f.service.register([f.document("d.txt", "d", restriction: try restriction(CalendarDate(year: 2025, month: 1, day: 1)))],
                                            in: f.caseNumber, actor: "anna")[0]
        var lift = MetadataChange()
        lift.restriction = .some(nil)
        _ = try f.service.update(lifted.number, lift, comment: "grunden upphörd", actor: "anna")
        let restrictedCase = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Ärende om Hemligsson", publicTitle: "Ärende",
                                                            restriction: try restriction(CalendarDate(year: 2026, month: 1, day: 31), hides: [.title])),
                                                    actor: "anna")
        f.clock.set("2026-03-01T09:00:00.000Z")

        let due = try f.service.restrictionsEnded()
        #expect(due.map(\.number) == [restrictedCase.number.description, ended.number.description])
        #expect(due.map(\.holder) == [.case, .document])
        #expect(due[0].restriction.hides == [.title] && due[1].restriction.legalReference == "OSL 21 kap. 1 §")
        // The last day is a day the restriction still applies: due from the day after.
        #expect(try f.service.restrictionsEnded(asOf: CalendarDate(year: 2026, month: 3, day: 2)).map(\.number).contains(lastDayToday.number.description))
        #expect(try f.service.restrictionsEnded(asOf: CalendarDate(year: 2026, month: 2, day: 15)).map(\.number) == [restrictedCase.number.description])
        #expect(try f.service.restrictionsEnded(series: SeriesCode(rawValue: "BUN")!).isEmpty)
        #expect(try f.service.restrictionsEnded(limit: 1).count == 1)
    }

    /// A restriction whose last day has already passed is refused when it is set (it would be due for review the
    /// moment it was made): registering, correcting a document, opening or correcting a case. Its last day is today:
    /// still in force.
    @Test func aRestrictionThatHasAlreadyEndedIsRefused() throws {
        let f = try Fixture()   // today is 2026-03-01 (Swedish time)
        defer { f.dir.remove() }
        let yesterday = try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", until: CalendarDate(year: 2026, month: 2, day: 28))
        let today = try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", until: CalendarDate(year: 2026, month: 3, day: 1))
        func expectRefused(_ what: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("\(what): accepted")
            } catch let error as DiariumError {
                #expect(error.field == "restriction.until" && error.message.contains("2026-02-28 has passed"), "\(what): \(error)")
            } catch {
                Issue.record("\(what): \(error)")
            }
        }
        let before = try f.snapshot()
        expectRefused("register") { _ = try f.service.register([f.document("a.txt", "a", restriction: yesterday)], in: f.caseNumber, actor: "anna") }
        let hidingTitle = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", until: yesterday.until, hides: [.title])
        expectRefused("open case") {
            _ = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Ärende", publicTitle: "Ä", restriction: hidingTitle),
                                       actor: "anna")
        }
        var caseChange = CaseChange()
        caseChange.restriction = .some(hidingTitle)
        caseChange.publicTitle = .some("Ärende")
        expectRefused("correct case") { _ = try f.service.updateCase(f.caseNumber, caseChange, actor: "anna") }
        #expect(try f.snapshot() == before)
        let document = try f.service.register([f.document("b.txt", "b", restriction: today)], in: f.caseNumber, actor: "anna")[0]
        var change = MetadataChange()
        change.restriction = .some(yesterday)
        expectRefused("correct document") { _ = try f.service.update(document.number, change, comment: nil, actor: "anna") }
        change.restriction = .some(nil)
        #expect(try f.service.update(document.number, change, comment: nil, actor: "anna").current.metadata.restriction == nil)
    }

    /// An archived document is read-only but for its access restriction: whose ground has ended is lifted (with the
    /// public title that stood in for its title) as a new version, logged; nothing else of it changes. A document
    /// disposed of keeps its registration as it was, and is not listed.
    @Test func anArchivedDocumentsEndedRestrictionIsLiftedAndADisposedOneIsNotListed() throws {
        let f = try Fixture()   // today is 2026-03-01 (Swedish time)
        defer { f.dir.remove() }
        let restriction = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", until: CalendarDate(year: 2026, month: 2, day: 1),
                                                hides: [.title, .parties])
        var document = try f.document("a.txt", "a", type: .letter, restriction: restriction)
        document.metadata.publicTitle = "Brev"
        f.clock.set("2026-01-15T09:00:00.000Z")
        let archived = try f.service.register([document], in: f.caseNumber, actor: "anna")[0]
        _ = try f.service.finalise(archived.number, comment: nil, actor: "anna")
        _ = try f.service.archive(archived.number, comment: nil, actor: "anna")
        f.clock.set("2026-03-01T09:00:00.000Z")
        #expect(try f.service.restrictionsEnded().map(\.number) == [archived.number.description])

        var retitle = MetadataChange()
        retitle.title = "Ny titel"
        retitle.restriction = .some(nil)
        let before = try f.snapshot()
        #expect { try f.service.update(archived.number, retitle, comment: nil, actor: "anna") } throws: {
            ($0 as? DiariumError)?.code == .invalidState && ($0 as? DiariumError)?.message.contains("only its access restriction") == true
        }
        #expect(try f.snapshot() == before)
        var lift = MetadataChange()
        lift.restriction = .some(nil)
        lift.publicTitle = .some(nil)
        let lifted = try f.service.update(archived.number, lift, comment: "grunden har upphört", expectedVersion: 3, actor: "anna")
        #expect(lifted.status == .archived && lifted.current.number == 4 && lifted.current.metadata.restriction == nil)
        #expect(lifted.current.metadata.title == archived.current.metadata.title && lifted.current.metadata.publicTitle == nil)
        #expect(try f.service.restrictionsEnded().isEmpty)
        let logged = try #require(try f.service.audit(object: archived.number.description).last)
        #expect(logged.action == .documentUpdate && logged.details.contains(#""fields":["publicTitle","restriction"]"#), "\(logged.details)")
        #expect(try f.service.verify().ok)
    }

    /// A document's public title stands in for a title its restriction hides, as a case's does: it needs such a
    /// restriction, goes when the title is no longer hidden, and a title hidden again shows only the public title
    /// given then. (Found by a black-box review: a lifted restriction left the public title behind, and restricting
    /// the title again months later showed the old one to the public.)
    @Test func aDocumentsPublicTitleLastsWhileItsTitleIsHidden() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let hidingTitle = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.title, .parties])
        let contentOnly = try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 7 §", hides: [.content])
        let before = try f.snapshot()
        var loose = try f.document("a.txt", "a")
        loose.metadata.publicTitle = "Skrivelse"
        expectFailure("a public title stands in for a restricted title") { try f.service.register([loose], in: f.caseNumber, actor: "anna") }
        loose.metadata.restriction = contentOnly
        expectFailure("the restriction hides content only") { try f.service.register([loose], in: f.caseNumber, actor: "anna") }
        #expect(try f.snapshot() == before)

        var letter = try f.document("b.txt", "b", restriction: hidingTitle)
        letter.metadata.publicTitle = "Skrivelse"
        let number = try f.service.register([letter], in: f.caseNumber, actor: "anna")[0].number
        func update(_ body: (inout MetadataChange) throws -> Void) throws -> DocumentMetadata {
            var change = MetadataChange()
            try body(&change)
            return try f.service.update(number, change, comment: nil, actor: "anna").current.metadata
        }
        // The ground restated (what it hides kept): the public title stays.
        var restated = try update {
            $0.restriction = .some(try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 5 §")); $0.restrictionKeepsHides = true
        }
        #expect(restated.publicTitle == "Skrivelse" && restated.restriction?.hides == [.parties, .title])
        // Narrowed to the content: the title shows, and the public title goes.
        restated = try update { $0.restriction = .some(contentOnly) }
        #expect(restated.publicTitle == nil)
        expectFailure("the restriction hides content only") { try update { $0.publicTitle = .some("Brev") } }
        // Hidden again with a public title, then lifted: both go; hidden again without one, the public sees no title.
        #expect(try update { $0.restriction = .some(hidingTitle); $0.publicTitle = .some("Brev") }.publicTitle == "Brev")
        #expect(try update { $0.restriction = .some(nil) }.publicTitle == nil)
        #expect(try update { $0.restriction = .some(hidingTitle) }.publicTitle == nil)
        expectFailure("a public title stands in for a restricted title") {
            try update { $0.restriction = .some(nil); $0.publicTitle = .some("Brev") }
        }

        // A public title left without a restriction by a build before this rule: kept while other fields change, gone
        // when the title is hidden again without one, and an archived document may have it cleared alone.
        _ = try update { $0.restriction = .some(nil) }
        let stale = try f.document("c.txt", "c")
        let archived = try f.service.register([stale], in: f.caseNumber, actor: "anna")[0].number
        _ = try f.service.finalise(archived, comment: nil, actor: "anna")
        _ = try f.service.archive(archived, comment: nil, actor: "anna")
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER versions_no_update")
            try db.execute(sql: "UPDATE versions SET public_title = 'Gammal' WHERE public_title IS NULL")
            try db.execute(sql: "INSERT INTO search_fts(search_fts) VALUES ('rebuild')")   // it indexes the public title
        }
        #expect(try update { $0.sender = .some("Kommunen") }.publicTitle == "Gammal")
        #expect(try update { $0.restriction = .some(hidingTitle) }.publicTitle == nil)
        var rewrite = MetadataChange()
        rewrite.publicTitle = .some("Nytt")
        expectFailure("its public title is set with its restriction, or cleared alone") {
            try f.service.update(archived, rewrite, comment: nil, actor: "anna")
        }
        var clear = MetadataChange()
        clear.publicTitle = .some(nil)
        let cleared = try f.service.update(archived, clear, comment: nil, actor: "anna")
        #expect(cleared.status == .archived && cleared.current.metadata.publicTitle == nil)
        var retitle = MetadataChange()
        retitle.publicTitle = .some(nil)
        retitle.title = "Ny"
        expectFailure("only its access restriction") { try f.service.update(archived, retitle, comment: nil, actor: "anna") }
    }
}

/// Corrections logged by builds that kept no revisions are not counted; each kept one must match its event.
@Suite struct CaseRevisionLogTests {
    /// Of two corrections based on the same description, the second is refused (the API's If-Match), and one that
    /// changes nothing keeps the description's number.
    @Test func aCorrectionBasedOnAnEarlierDescriptionIsRefused() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        #expect(try f.service.caseDescription(f.caseNumber) == 1)
        var a = CaseChange()
        a.officer = .some("anna")
        var b = CaseChange()
        b.department = .some("Kansli")
        #expect(try f.service.updateCaseVersioned(f.caseNumber, a, expectedVersion: 1, actor: "anna").version == 2)
        expectFailure("based on version 1, the current version is 2") {
            try f.service.updateCase(f.caseNumber, b, expectedVersion: 1, actor: "bo")
        }
        #expect(try f.service.caseDetails(f.caseNumber).record.department == nil)
        #expect(try f.service.updateCaseVersioned(f.caseNumber, a, expectedVersion: 2, actor: "anna").version == 2)
        #expect(try f.service.updateCaseVersioned(f.caseNumber, b, expectedVersion: nil, actor: "bo").version == 3)
        #expect(try f.service.verify().ok)
    }

    /// A package brings at most `ERMS.maxRevisionsPerCase` earlier descriptions per case, so the store keeps no more:
    /// what it exports it can import.
    @Test func aCaseIsCorrectedAtMostAsOftenAsAPackageCarries() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let stored = try f.service.caseDetails(f.caseNumber)
        try f.service.store.catalog.write { access in
            let id = try #require(try access.caseRecord(f.caseNumber)).id
            for n in 1..<ERMS.maxRevisionsPerCase {
                try access.insertCaseRevision(caseID: id, CaseRevision(
                    n: n, replacedAt: Date(), replacedBy: "anna", title: stored.record.title, publicTitle: nil, restriction: nil,
                    classification: stored.record.classification, department: "KS \(n)", officer: nil))
            }
        }
        var change = CaseChange()
        change.officer = .some("Bo")
        #expect(try f.service.updateCaseVersioned(f.caseNumber, change, expectedVersion: nil, actor: "anna").version
                == ERMS.maxRevisionsPerCase + 1)
        change.officer = .some("Cilla")
        expectFailure("has been corrected 10000 times, the most a case may be") {
            try f.service.updateCase(f.caseNumber, change, actor: "anna")
        }
        #expect(try f.service.caseDetails(f.caseNumber).record.officer == "Bo", "nothing changed")
    }

    @Test func revisionsAreHeldToTheirCorrections() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        // A correction from a build that kept no revisions: its event names no revision.
        try f.service.store.catalog.write { access in
            try access.appendAudit(at: Date(), actor: "anna", action: .caseUpdate, object: f.caseNumber.description, version: nil,
                                   details: #"{"fields":["officer"],"publicTitle":false}"#)
        }
        #expect(try f.service.verify().ok)
        var change = CaseChange()
        change.officer = .some("Bo")
        _ = try f.service.updateCase(f.caseNumber, change, actor: "anna")
        #expect(try f.service.caseHistory(f.caseNumber).revisions.map(\.n) == [1])
        #expect(try f.service.verify().ok)

        // Who replaced it, changed behind Diarium's back (the trigger dropped and put back).
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER case_revisions_no_update")
            try db.execute(sql: "UPDATE case_revisions SET replaced_by = 'mallory'")
            try db.execute(sql: """
                CREATE TRIGGER case_revisions_no_update BEFORE UPDATE ON case_revisions
                BEGIN SELECT RAISE(ABORT, 'case revisions are kept as they were'); END
                """)
        }
        let problems = try f.service.verify().problems.map(\.message)
        #expect(problems.contains { $0.contains("case \(f.caseNumber): correction 1 (event") && $0.contains("no earlier description kept with its time and author") },
                "\(problems)")
    }

    /// A case opened with its title restricted, the restriction lifted (by anna), then its officer changed: two kept
    /// descriptions, the first restricted.
    func correctedTwice(_ f: Fixture, officerChangedBy: String) throws -> CaseNumber {
        let restricted = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Skyddat boende", publicTitle: "Ärende",
                                                        restriction: try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §",
                                                                                           until: CalendarDate(year: 2096, month: 1, day: 1),
                                                                                           hides: [.title])),
                                                actor: "anna").number
        var lift = CaseChange()
        lift.restriction = .some(nil)
        _ = try f.service.updateCase(restricted, lift, actor: "anna")
        var officer = CaseChange()
        officer.officer = .some("Bo")
        _ = try f.service.updateCase(restricted, officer, actor: officerChangedBy)
        return restricted
    }

    /// A kept description's title restriction is held to the event that made that description: lifted behind
    /// Diarium's back, the case's history would show the title it withheld.
    @Test func aKeptDescriptionsRestrictionIsHeldToTheLog() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let restricted = try correctedTwice(f, officerChangedBy: "anna")
        #expect(try f.service.caseHistory(restricted).revisions.map(\.n) == [1, 2])
        #expect(try f.service.verify().ok)

        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER case_revisions_no_update")
            try db.execute(sql: "UPDATE case_revisions SET restriction_kind = NULL, restriction_legal = NULL, restriction_until = NULL, public_title = NULL WHERE n = 1")
            try db.execute(sql: "UPDATE case_revisions SET restriction_kind = 'secrecy', restriction_legal = 'OSL 21 kap. 1 §' WHERE n = 2")
            try db.execute(sql: """
                CREATE TRIGGER case_revisions_no_update BEFORE UPDATE ON case_revisions
                BEGIN SELECT RAISE(ABORT, 'case revisions are kept as they were'); END
                """)
        }
        let problems = try f.service.verify().problems.map(\.message).filter { $0.contains("the description correction") }
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("case \(restricted): the description correction 1 replaced has title restriction (none, public title none), "
                                                 + "but the log made it with (privacy under OSL 26 kap. 1 § until 2096-01-01, public title set) (event ") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("case \(restricted): the description correction 2 replaced has title restriction "
                                                 + "(secrecy under OSL 21 kap. 1 §, public title none), but the log made it with (none, public title none)") },
                "\(problems)")
    }

    @Test func theDescriptionsAnImportBringsAreHeldToItsEvent() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let restricted = try correctedTwice(f, officerChangedBy: "bo")
        _ = try f.service.register([try f.document("beslut.txt", "Beslut")], in: restricted, actor: "anna")
        let package = f.dir.file("case.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(restricted), format: .earkTar, output: package), actor: "arkivarie")

        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        _ = try other.importPackage(at: package, actor: "arkivarie")
        #expect(try other.caseHistory(restricted).revisions.map(\.n) == [1, 2])
        let logged = try other.audit(object: restricted.description).first { $0.action == .caseImport }
        #expect(logged?.details.contains(#""kept":[{"legal":"OSL 26 kap. 1 §","n":1,"publicTitle":true,"replacedAt":"#) == true,
                "\(logged?.details ?? "")")
        #expect(try other.verify().ok)

        // Someone edits the descriptions the import brought: verify names each.
        let catalog = try DatabaseQueue(path: f.dir.file("other/catalog.sqlite"))
        try catalog.write { db in
            try db.execute(sql: "DROP TRIGGER case_revisions_no_update")
            try db.execute(sql: """
                UPDATE case_revisions SET restriction_kind = NULL, restriction_legal = NULL, restriction_until = NULL, public_title = NULL,
                                          replaced_by = 'mallory' WHERE n = 1
                """)
            try db.execute(sql: "UPDATE case_revisions SET n = 9 WHERE n = 2")   // renumbered: the count stays
            try db.execute(sql: """
                CREATE TRIGGER case_revisions_no_update BEFORE UPDATE ON case_revisions
                BEGIN SELECT RAISE(ABORT, 'case revisions are kept as they were'); END
                """)
        }
        let problems = try other.verify().problems.map(\.message).filter { $0.contains("its import brought in") }
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("case \(restricted): the earlier description 1 its import brought in (event ")
                                    && $0.contains(" by mallory, title restriction none, public title none) is not the one the log lists (")
                                    && $0.hasSuffix(" by anna, title restriction privacy under OSL 26 kap. 1 § until 2096-01-01, public title set)") },
                "\(problems)")
        #expect(problems.contains { $0.hasPrefix("case \(restricted): the earlier description 2 its import brought in (event ")
                                    && $0.contains(") is not in the catalog (") && $0.hasSuffix(" by bo, title restriction none, public title none)") },
                "\(problems)")
    }
}
