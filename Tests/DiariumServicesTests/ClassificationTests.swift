import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Testing

/// The classification structure (klassificeringsstruktur): a tree of classes whose rules govern disposal before the
/// series' rules, whose codes are the only ones cases and documents may be given once it exists, which keeps the
/// classes records use, and which travels with exports into other stores.
@Suite struct ClassificationTests {
    let ks = SeriesCode(rawValue: "KS")!

    func terms(_ action: RetentionRule.Action, _ years: Int? = nil, _ mandate: String) throws -> RetentionTerms {
        try RetentionTerms(action: action, years: years, mandate: mandate, schedule: "IHP 2024")
    }

    /// 2 Stödprocesser (kept), 2.4 Bygglov (disposed of after 5 years), 2.4.1 Strandskydd (no rule of its own),
    /// 2.4.2 Rivningslov (kept), 2.10 Övrigt (no rule).
    func structure(_ f: Fixture) throws {
        let classes = [
            try ClassificationClass(code: "2", title: "Stödprocesser", retention: try terms(.keep, nil, "RA-FS 1991:6")),
            try ClassificationClass(code: "2.4", title: "Bygglov", description: "Lov enligt PBL", retention: try terms(.dispose, 5, "KS 2024 § 45")),
            try ClassificationClass(code: "2.10", title: "Övrigt"),
            try ClassificationClass(code: "2.4.1", title: "Strandskydd"),
            try ClassificationClass(code: "2.4.2", title: "Rivningslov", retention: try terms(.keep, nil, "KS 2024 § 46")),
        ]
        for item in classes { _ = try f.service.setClass(item, actor: "admin") }
    }

    @Test func theTreeIsBuiltTopDownAndListedInItsOrder() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        expectFailure("which does not exist: add 2 first") {
            try f.service.setClass(try ClassificationClass(code: "2.4", title: "Bygglov"), actor: "admin")
        }
        try structure(f)
        #expect(try f.service.classification().map(\.code) == ["2", "2.4", "2.4.1", "2.4.2", "2.10"])
        #expect(try f.service.classificationClass("2.4").description == "Lov enligt PBL")
        expectFailure("invalid classification code") { try ClassificationClass(code: "2..4", title: "X") }
        expectFailure("title") { try ClassificationClass(code: "3", title: "  ") }
        expectFailure("not in the classification structure") { try f.service.classificationClass("9") }

        // Replacing a class keeps its place and changes its rule; both are in the log, with the rule.
        _ = try f.service.setClass(try ClassificationClass(code: "2.4", title: "Bygglov och förhandsbesked",
                                                           retention: try terms(.dispose, 10, "KS 2025 § 3")), actor: "admin")
        #expect(try f.service.classificationClass("2.4").retention?.years == 10)
        let events = try f.service.audit(object: "2.4")
        #expect(events.map(\.action) == [.classSet, .classSet] && events.last?.details.contains("KS 2025 § 3") == true)
        #expect(try f.service.verify().ok)
    }

    @Test func onceAStructureExistsOnlyItsCodesAreTaken() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        // Before: any well-formed code, as stores without a structure always took.
        let legacy = try f.service.openCase(NewCase(series: ks, title: "Äldre ärende", classification: "7.1"), actor: "anna")
        try structure(f)
        let before = try f.snapshot()
        expectFailure("class 9.9 is not in the classification structure") {
            try f.service.openCase(NewCase(series: ks, title: "Nytt", classification: "9.9"), actor: "anna")
        }
        var wrong = try f.document("a.txt", "innehåll")
        wrong.metadata.classification = "9.9"
        expectFailure("class 9.9 is not in the classification structure") { try f.service.register([wrong], in: f.caseNumber, actor: "anna") }
        #expect(try f.snapshot() == before, "nothing registered, no file left")

        let plan = try f.register("plan.txt", "Handlingsplan")
        var reclassify = MetadataChange()
        reclassify.classification = .some("9.9")
        expectFailure("class 9.9 is not in the classification structure") { try f.service.update(plan.number, reclassify, comment: nil, actor: "anna") }
        reclassify.classification = .some("2.4.1")
        #expect(try f.service.update(plan.number, reclassify, comment: nil, actor: "anna").current.metadata.classification == "2.4.1")
        var caseChange = CaseChange()
        caseChange.classification = .some("9.9")
        expectFailure("not in the classification structure") { try f.service.updateCase(f.caseNumber, caseChange, actor: "anna") }
        // A case keeps the code it was given before: correcting something else does not trip over it.
        var retitle = CaseChange()
        retitle.title = "Äldre ärende, rättad titel"
        #expect(try f.service.updateCase(legacy.number, retitle, actor: "anna").classification == "7.1")
        // Through the group committer (the HTTP path) as well.
        expectFailure("class 9.9 is not in the classification structure") {
            try GroupCommitter().register(wrong, in: f.caseNumber, actor: "anna", using: f.service)
        }
    }

    @Test func aClassInUseStays() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try structure(f)
        _ = try f.service.openCase(NewCase(series: ks, title: "Bygglov", classification: "2.4.2"), actor: "anna")
        var document = try f.document("a.txt", "innehåll")
        document.metadata.classification = "2.10"
        let registered = try f.service.register([document], in: f.caseNumber, actor: "anna")[0]
        expectFailure("class 2.4 is in use by 2 class(es) under it") { try f.service.removeClass("2.4", actor: "admin") }
        expectFailure("class 2.4.2 is in use by 1 case(s)") { try f.service.removeClass("2.4.2", actor: "admin") }
        // An earlier version's class counts: records keep the class they were given.
        var change = MetadataChange()
        change.classification = .some(nil)
        _ = try f.service.update(registered.number, change, comment: nil, actor: "anna")
        expectFailure("class 2.10 is in use by 1 document(s)") { try f.service.removeClass("2.10", actor: "admin") }
        try f.service.removeClass("2.4.1", actor: "admin")
        #expect(try f.service.classification().map(\.code) == ["2", "2.4", "2.4.2", "2.10"])
        expectFailure("not in the classification structure") { try f.service.removeClass("2.4.1", actor: "admin") }
        #expect(try f.service.audit(object: "2.4.1").last?.action == .classRemove)
        #expect(try f.service.verify().ok)
    }

    /// A class's rule (its own, else the nearest above it) governs before the series' rules; a document's own class
    /// before its case's; the disposal records which class's rule it was.
    @Test func aClassRuleGovernsDisposalBeforeTheSeriesRules() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try structure(f)
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 1, mandate: "KS 2020 § 1"),
                                           actor: "admin")
        let building = try f.service.openCase(NewCase(series: ks, title: "Bygglov Storgatan 1", classification: "2.4.1"), actor: "anna").number
        func add(_ name: String, class code: String?) throws -> DocumentRecord {
            var document = try f.document(name, "Text om \(name)")
            document.metadata.classification = code
            return try f.service.register([document], in: building, actor: "anna")[0]
        }
        let inherited = try add("ansokan.txt", class: nil)          // the case's 2.4.1, no rule: 2.4's, 5 years
        let kept = try add("rivning.txt", class: "2.4.2")             // its own class keeps it
        let unruled = try add("ovrigt.txt", class: "2.10")            // 2.10 has none, 2 keeps
        let plain = try f.register("plan.txt", "Klimatplan")         // unclassified: the series' rule, 1 year
        _ = try f.service.closeCase(building, actor: "anna")
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")

        f.clock.set("2031-03-02T08:00:00.000Z")
        let due = try f.service.disposalDue()
        #expect(due.map(\.number) == [plain.number, inherited.number])
        let line = try #require(due.last)
        #expect(line.ruleClass == "2.4" && line.years == 5 && line.mandate == "KS 2024 § 45" && line.schedule == "IHP 2024")
        #expect(due.first?.ruleClass == nil && due.first?.years == 1)
        expectFailure("its retention rule keeps it (KS 2024 § 46)") { try f.service.dispose(.documents([kept.number]), actor: "arkivarie") }
        expectFailure("its retention rule keeps it (RA-FS 1991:6)") { try f.service.dispose(.documents([unruled.number]), actor: "arkivarie") }

        let report = try f.service.dispose(.due(series: nil), actor: "arkivarie")
        #expect(report.disposed == [plain.number, inherited.number])
        let tombstone = try #require(try f.service.document(inherited.number).disposal)
        #expect(tombstone.ruleClass == "2.4" && tombstone.years == 5 && tombstone.ruleRecordType == nil)
        #expect(try f.service.audit(object: inherited.number.description).last?.details.contains(#""ruleClass":"2.4""#) == true)
        let record = try f.service.disposalRecord()
        #expect(record.map(\.ruleClass) == [nil, "2.4"], "\(record)")
        #expect(try f.service.verify().ok)

        // A rule changed behind Diarium's back is found, as a series' is.
        try f.rawCatalog().write { db in try db.execute(sql: "UPDATE classes SET retention_years = 0 WHERE code = '2.4'") }
        try f.rawCatalog().write { db in try db.execute(sql: "DELETE FROM classes WHERE code = '2.10'") }
        let problems = try f.service.verify().problems.map(\.message)
        #expect(problems.contains { $0.contains("class 2.4: dispose 0 years, but the log says dispose 5 years") }, "\(problems)")
        #expect(problems.contains { $0.contains("class 2.10 is in the log but not in the catalog") }, "\(problems)")
    }

    /// A class's rule for a record type (handlingstyp) comes before the class's own rule; walking up, the nearer class
    /// decides (2.4's own rule before 2's rule for decisions); the disposal records both the class and the type.
    @Test func aClassRuleForARecordTypeComesBeforeTheClassOwn() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try structure(f)
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: .letter, action: .dispose, years: 1, mandate: "KS 2020 § 1"),
                                           actor: "admin")
        let set = try f.service.setClassRule(code: "2.4", type: .letter, try terms(.dispose, 2, "KS 2024 § 47"), actor: "admin")
        #expect(set.created && set.saved.typeRetention[.letter]?.years == 2 && set.saved.retention?.years == 5)
        #expect(try f.service.setClassRule(code: "2.4", type: .letter, try terms(.dispose, 2, "KS 2024 § 48"), actor: "admin").created == false)
        _ = try f.service.setClassRule(code: "2", type: .decision, try terms(.dispose, 3, "KS 2024 § 49"), actor: "admin")
        expectFailure("class 9 is not in the classification structure") {
            try f.service.setClassRule(code: "9", type: .letter, try terms(.keep, nil, "RA-FS 1991:6"), actor: "admin")
        }
        // Replacing the class's title and own rule keeps its rules for record types.
        let retitled = try f.service.setClass(try ClassificationClass(code: "2.4", title: "Bygglov", description: "Lov enligt PBL",
                                                                      retention: try terms(.dispose, 5, "KS 2024 § 45")), actor: "admin")
        #expect(retitled.saved.typeRetention.keys.sorted { $0.rawValue < $1.rawValue } == [.letter])

        let building = try f.service.openCase(NewCase(series: ks, title: "Bygglov Storgatan 1", classification: "2.4.1"), actor: "anna").number
        func add(_ name: String, _ type: RecordType, class code: String? = nil) throws -> DocumentRecord {
            var document = try f.document(name, "Text om \(name)", type: type)
            document.metadata.classification = code
            return try f.service.register([document], in: building, actor: "anna")[0]
        }
        let letter = try add("brev.txt", .letter)                        // 2.4.1 → 2.4's rule for letters: 2 years
        let decision = try add("beslut.txt", .decision)                  // 2.4.1 → 2.4's own rule (nearer than 2's): 5 years
        let otherDecision = try add("beslut2.txt", .decision, class: "2.10")  // 2.10 → 2's rule for decisions: 3 years
        let otherLetter = try add("brev2.txt", .letter, class: "2.10")   // 2.10 → 2's own rule: kept
        _ = try f.service.closeCase(building, actor: "anna")

        f.clock.set("2029-03-02T08:00:00.000Z")
        let due = try f.service.disposalDue()
        #expect(due.map(\.number) == [letter.number, otherDecision.number], "\(due)")
        #expect(due.map(\.ruleClass) == ["2.4", "2"] && due.map(\.ruleRecordType) == [.letter, .decision])
        #expect(due.map(\.mandate) == ["KS 2024 § 48", "KS 2024 § 49"])
        expectFailure("its retention rule keeps it (RA-FS 1991:6)") { try f.service.dispose(.documents([otherLetter.number]), actor: "arkivarie") }
        let report = try f.service.dispose(.due(series: nil), actor: "arkivarie")
        #expect(report.disposed == [letter.number, otherDecision.number])
        let tombstone = try #require(try f.service.document(letter.number).disposal)
        #expect(tombstone.ruleClass == "2.4" && tombstone.ruleRecordType == .letter && tombstone.years == 2)
        let details = try f.service.audit(object: letter.number.description).last?.details ?? ""
        #expect(details.contains(#""ruleClass":"2.4""#) && details.contains(#""ruleType":"letter""#), "\(details)")
        let record = try f.service.disposalRecord()
        #expect(record.map(\.ruleClass) == ["2", "2.4"] && record.map(\.ruleRecordType) == [.decision, .letter], "\(record)")
        f.clock.set("2032-03-02T08:00:00.000Z")
        #expect(try f.service.disposalDue().map(\.number) == [decision.number])
        #expect(try f.service.verify().ok)

        // Removed, the class's own rule governs letters again; the log says what is in force.
        try f.service.removeClassRule(code: "2.4", type: .letter, actor: "admin")
        expectFailure("class 2.4 has no rule for letter") { try f.service.removeClassRule(code: "2.4", type: .letter, actor: "admin") }
        #expect(try f.service.audit(object: "2.4/letter").map(\.action) == [.classRuleSet, .classRuleSet, .classRuleRemove])
        #expect(try f.service.classificationClass("2.4").typeRetention.isEmpty)
        #expect(try f.service.verify().ok)

        // A class removed takes its rules with it, each logged as going.
        _ = try f.service.setClass(try ClassificationClass(code: "3", title: "Kärnverksamhet"), actor: "admin")
        _ = try f.service.setClassRule(code: "3", type: .minutes, try terms(.keep, nil, "RA-FS 1991:6"), actor: "admin")
        try f.service.removeClass("3", actor: "admin")
        #expect(try f.service.audit(object: "3/minutes").last?.action == .classRuleRemove)
        #expect(try f.service.verify().ok)

        // A rule changed or removed behind Diarium's back is found.
        try f.rawCatalog().write { db in try db.execute(sql: "UPDATE class_rules SET years = 9 WHERE class_code = '2'") }
        try f.rawCatalog().write { db in
            try db.execute(sql: "INSERT INTO class_rules(class_code, record_type, action, mandate) VALUES ('2.10', 'report', 'keep', 'x')")
        }
        var problems = try f.service.verify().problems.map(\.message)
        #expect(problems.contains { $0.contains("class rule 2/decision: dispose 9 years, but the log says dispose 3 years") }, "\(problems)")
        #expect(problems.contains { $0.contains("class rule 2.10/report: keep, but the log says nothing") }, "\(problems)")
        try f.rawCatalog().write { db in try db.execute(sql: "DELETE FROM class_rules") }
        problems = try f.service.verify().problems.map(\.message)
        #expect(problems.contains { $0.contains("class rule 2/decision is in the log but not in the catalog") }, "\(problems)")
    }

    /// A code given before the structure existed (or by another organisation) that no class has is not governed by
    /// the class above it here: 7.1 is not "under" a 7 added later, which may mean something else.
    @Test func aCodeOutsideTheStructureFallsUnderTheSeriesRules() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let legacy = try f.service.openCase(NewCase(series: ks, title: "Äldre ärende", classification: "7.1"), actor: "anna").number
        let old = try f.service.register([try f.document("gammal.txt", "gammal")], in: legacy, actor: "anna")[0]
        _ = try f.service.closeCase(legacy, actor: "anna")
        _ = try f.service.setClass(try ClassificationClass(code: "7", title: "Nytt område", retention: try terms(.dispose, 0, "KS 2025 § 9")),
                                   actor: "admin")
        f.clock.set("2031-03-02T08:00:00.000Z")
        #expect(try f.service.disposalDue().isEmpty)
        expectFailure("series KS has no retention rule for it, nor has its class 7.1 or a class above it") {
            try f.service.dispose(.documents([old.number]), actor: "arkivarie")
        }
        // Its class added, the rule above reaches it.
        _ = try f.service.setClass(try ClassificationClass(code: "7.1", title: "Äldre"), actor: "admin")
        #expect(try f.service.disposalDue().map(\.ruleClass) == ["7"])
    }

    /// A document reclassified after its case closed (here into a class disposed of sooner) is left for review by a
    /// run over everything due, as a changed record type is; so is one whose case was reclassified.
    @Test func aClassChangedAfterClosingIsLeftForReview() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try structure(f)
        let first = try f.service.openCase(NewCase(series: ks, title: "Bygglov 1", classification: "2.4.2"), actor: "anna").number
        let second = try f.service.openCase(NewCase(series: ks, title: "Bygglov 2", classification: "2.4.2"), actor: "anna").number
        let third = try f.service.openCase(NewCase(series: ks, title: "Bygglov 3", classification: "2.4"), actor: "anna").number
        let a = try f.service.register([try f.document("a.txt", "a")], in: first, actor: "anna")[0]
        let b = try f.service.register([try f.document("b.txt", "b")], in: second, actor: "anna")[0]
        let c = try f.service.register([try f.document("c.txt", "c")], in: third, actor: "anna")[0]
        for number in [first, second, third] { _ = try f.service.closeCase(number, actor: "anna") }
        var reclassify = MetadataChange()
        reclassify.classification = .some("2.4")
        _ = try f.service.update(a.number, reclassify, comment: "fel klass", actor: "anna")
        var caseChange = CaseChange()
        caseChange.classification = .some("2.4.1")
        _ = try f.service.updateCase(second, caseChange, actor: "anna")

        f.clock.set("2031-03-02T08:00:00.000Z")
        let due = try f.service.disposalDue()
        #expect(due.map(\.number) == [a.number, b.number, c.number])
        #expect(due.map(\.typeChangedAfterClosing) == [true, true, false])
        let run = try f.service.dispose(.due(series: nil), actor: "arkivarie")
        #expect(run.disposed == [c.number] && run.review == [a.number, b.number])
        #expect(try f.service.dispose(.documents([a.number, b.number]), actor: "arkivarie").disposed == [a.number, b.number])
        #expect(try f.service.verify().ok)
    }

    /// An export describes the structure (ERMS classificationSchema, valid against ERMS.xsd); an import takes over
    /// the classes a store lacks and refuses records classified under a class neither has, leaving the store as it was.
    @Test func theStructureTravelsWithExports() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try structure(f)
        _ = try f.service.setClassRule(code: "2.4", type: .letter, try terms(.dispose, 2, "KS 2024 § 47"), actor: "admin")
        let building = try f.service.openCase(NewCase(series: ks, title: "Bygglov Storgatan 1", classification: "2.4.1"), actor: "anna").number
        let letter = try f.service.register([try f.document("a.txt", "Ansökan")], in: building, actor: "anna")[0]
        _ = try f.service.closeCase(building, actor: "anna")
        let out = f.dir.file("bygglov.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(building), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        // Diarium's own extension too, which ERMS.xsd takes laxly: validated against the schema the package carries.
        let result = try Validators.xmlschema(schema: "erms/ERMS.xsd", file: "\(root)/\(METS.descriptivePath)",
                                              extensions: [(ERMS.extensionNamespace, "\(root)/schemas/\(ERMS.extensionSchemaName)")])
        #expect(result.ok, "\(result.output)")
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(erms.contains("<p>2.4 Bygglov – gallras 5 år efter ärendets avslutande (KS 2024 § 45, IHP 2024); "
                              + "skrivelse: gallras 2 år efter ärendets avslutande (KS 2024 § 47, IHP 2024)</p>"))
        let rule = #"<dx:rule recordType="letter" action="dispose" years="2" mandate="KS 2024 § 47" schedule="IHP 2024"/>"#
        #expect(erms.contains(rule))
        // The extension schema itself holds one rule per record type, and only Diarium's record types.
        for (name, edited) in [("twice", erms.replacingOccurrences(of: rule, with: rule + rule)),
                               ("unknown type", erms.replacingOccurrences(of: rule, with: rule.replacingOccurrences(of: "letter", with: "invoice")))] {
            let path = f.dir.file("erms-\(name.replacingOccurrences(of: " ", with: "-")).xml")
            try Data(edited.utf8).write(to: URL(fileURLWithPath: path))
            let refused = try Validators.xmlschema(schema: "erms/ERMS.xsd", file: path,
                                                   extensions: [(ERMS.extensionNamespace, "\(root)/schemas/\(ERMS.extensionSchemaName)")])
            #expect(!refused.ok, "a rule \(name) passed the extension schema")
        }
        #expect(erms.contains(#"<classification classificationCode="2.4.1">Strandskydd</classification>"#))
        #expect(erms.contains("<disposalDescription>Regel för klass 2.4</disposalDescription>"))
        let index = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/documentation/index.html")), as: UTF8.self)
        #expect(index.contains("Klassificering: 2.4.1 Strandskydd.") && index.contains("gallras 5 år efter ärendets avslutande (klass 2.4)"))
        // The case's paragraph states the rules that govern it (its class's before the series'), as disposal applies them.
        #expect(index.contains("Bevarande och gallring: skrivelse: gallras 2 år efter ärendets avslutande (KS 2024 § 47, klass 2.4 skrivelse); "
                               + "övriga handlingar: gallras 5 år efter ärendets avslutande (KS 2024 § 45, klass 2.4)."), "\(index)")
        #expect(index.contains("<h2>Klassificeringsstruktur</h2>")
                && index.replacingOccurrences(of: #">\s+<"#, with: "><", options: .regularExpression)
                    .contains("<td>2.4</td><td>Bygglov</td><td>gallras 5 år efter ärendets avslutande</td><td>KS 2024 § 45 (IHP 2024)</td></tr>"
                              + "<tr><td>2.4</td><td>Bygglov: skrivelse</td><td>gallras 2 år efter ärendets avslutande</td><td>KS 2024 § 47 (IHP 2024)</td>"))

        // Into a store without a structure: it is taken over, and the rule applies there.
        let other = try Fixture()
        defer { other.dir.remove() }
        let report = try other.service.importPackage(at: out, actor: "arkivarie")
        #expect(report.classes == ["2 Stödprocesser: bevaras (RA-FS 1991:6)",
                                   "2.4 Bygglov: gallras 5 år efter ärendets avslutande (KS 2024 § 45); skrivelse: gallras 2 år efter ärendets avslutande (KS 2024 § 47)",
                                   "2.4.1 Strandskydd", "2.4.2 Rivningslov: bevaras (KS 2024 § 46)", "2.10 Övrigt"])
        #expect(try other.service.classification() == (try f.service.classification()))
        other.clock.set("2031-03-02T08:00:00.000Z")
        #expect(try other.service.disposalDue().map(\.number) == [letter.number])
        #expect(try other.service.verify().ok)

        // Into a store whose structure lacks the 2.4 classes and has 2 otherwise (disposing of at once): its 2 is kept,
        // 2.10 taken over; the case keeps 2.4.1, which no class here has, so 2's rule does not reach it.
        let third = try Fixture()
        defer { third.dir.remove() }
        _ = try third.service.setClass(try ClassificationClass(code: "2", title: "Verksamhetsstöd",
                                                               retention: try terms(.dispose, 0, "KS 2025 § 1")), actor: "admin")
        let bare = try PackageEditing.extract(out, into: f.dir)
        try PackageEditing.editERMS(inPackage: bare) { text in
            let pattern = try NSRegularExpression(pattern: #"\s*<dx:class code="2\.4[^"]*"[^>]*?(/>|>.*?</dx:class>)"#,
                                                  options: [.dotMatchesLineSeparators])
            return pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
        }
        let taken = try third.service.importPackage(at: bare, actor: "arkivarie")
        #expect(taken.classes == ["2.10 Övrigt"])
        #expect(taken.diagnostics.contains { $0.message.contains("this store's class 2 (Verksamhetsstöd, gallras när ärendet avslutas) is kept") })
        #expect(taken.diagnostics.contains { $0.message.contains("case \(building) is classified 2.4.1, which is not in this store's "
                                                                + "classification structure nor in the package's: it keeps the code") })
        #expect(try third.service.caseDetails(building).record.classification == "2.4.1")
        #expect(try third.service.classificationClass("2").title == "Verksamhetsstöd")
        third.clock.set("2031-03-02T08:00:00.000Z")
        #expect(try third.service.disposalDue().isEmpty, "no class here governs 2.4.1, and KS has no rule")
        #expect(try third.service.verify().ok)

        // Renumbered into another series, an archive package's classes are taken over too; a received interchange's
        // (takesOverClasses false) are not.
        let fourth = try Fixture()
        defer { fourth.dir.remove() }
        _ = try fourth.service.addSeries(code: SeriesCode(rawValue: "BN")!, name: "Byggnadsnämnden", actor: "admin")
        var renumbered = ImportOptions(numbering: .renumber(into: SeriesCode(rawValue: "BN")!))
        #expect(try fourth.service.importPackage(at: out, options: renumbered, actor: "arkivarie").classes.count == 5)
        let fifth = try Fixture()
        defer { fifth.dir.remove() }
        _ = try fifth.service.addSeries(code: SeriesCode(rawValue: "BN")!, name: "Byggnadsnämnden", actor: "admin")
        renumbered.takesOverClasses = false
        let received = try fifth.service.importPackage(at: out, options: renumbered, actor: "arkivarie")
        #expect(received.classes.isEmpty)
        #expect(try fifth.service.classification().isEmpty)
        #expect(received.diagnostics.contains { $0.message.contains("the sender's classification structure (5 classes) is not taken over") })
    }

    /// What the catalog holds was checked when it was written; reading it back runs no rule again, so a rule made
    /// stricter later (here: a line must show something) leaves older restrictions, classes and rules readable.
    @Test func valuesStoredBeforeAStricterRuleStillRead() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let restricted = try f.service.register([f.document("a.txt", "text", restriction: try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §"))],
                                                in: f.caseNumber, actor: "anna")[0]
        _ = try f.service.setClass(try ClassificationClass(code: "2", title: "Styrning", retention: try terms(.dispose, 2, "KS 2024 § 47")), actor: "admin")
        _ = try f.service.setClassRule(code: "2", type: .letter, try terms(.dispose, 3, "KS 2024 § 48"), actor: "admin")
        _ = try f.service.setRetentionRule(try RetentionRule(series: SeriesCode(rawValue: "KS")!, recordType: nil, action: .keep, years: nil, mandate: "RA-FS 1991:6"),
                                           actor: "admin")
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER versions_no_update")  // as a store written before the rule holds it
            try db.execute(sql: "UPDATE versions SET restriction_legal = '\u{200E}'")
            try db.execute(sql: "UPDATE classes SET title = '\u{2060}', retention_mandate = '\u{FEFF}'")
            try db.execute(sql: "UPDATE class_rules SET mandate = '\u{200E}'")
            try db.execute(sql: "UPDATE retention_rules SET mandate = '\u{200E}'")
        }
        #expect(try f.service.document(restricted.number).current.metadata.restriction?.legalReference == "\u{200E}")
        let stored = try f.service.classificationClass("2")
        #expect(stored.title == "\u{2060}" && stored.retention?.mandate == "\u{FEFF}" && stored.typeRetention[.letter]?.mandate == "\u{200E}")
        #expect(try f.service.retentionSchedule().map(\.mandate) == ["\u{200E}"])
        #expect(throws: DiariumError.self) { try ClassificationClass(code: "3", title: "\u{2060}") }
        // And a document whose title a later rule refuses can still be corrected: the values a correction keeps are
        // not checked again (an archived one takes only its restriction, which must not be stopped by its title).
        try f.rawCatalog().write { db in try db.execute(sql: "UPDATE versions SET title = '\u{200E}', sender = '\u{2060}'") }
        var change = MetadataChange()
        change.restriction = .some(try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §", hides: [.content, .parties]))
        let corrected = try f.service.update(restricted.number, change, comment: nil, actor: "anna").current.metadata
        #expect(corrected.title == "\u{200E}" && corrected.sender == "\u{2060}" && corrected.restriction?.hides == [.content, .parties])
    }
}
