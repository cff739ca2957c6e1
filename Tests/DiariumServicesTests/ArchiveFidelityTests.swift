import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumTesting
import DiariumXML
import Foundation
import Testing

/// What an archivist would check after a round trip: who may read what, and what the standard elements tell a
/// reader that is not Diarium.
@Suite struct ArchiveFidelityTests {
    let bun = SeriesCode(rawValue: "BUN")!

    /// A store with series BUN kept by department UTB, and one case in it with a restricted letter.
    func departmentFixture() throws -> (Fixture, CaseNumber) {
        let f = try Fixture()
        _ = try f.service.addSeries(code: bun, name: "Barn- och utbildningsnämnden", department: try Department(parsing: "UTB"), actor: "admin")
        let number = try f.service.openCase(NewCase(series: bun, title: "Skolplacering"), actor: "anna").number
        let restriction = try AccessRestriction(kind: .secrecy, legalReference: "OSL 23 kap. 2 §", until: nil, hides: [.content])
        _ = try f.service.register([f.document("elev.txt", "Uppgifter om en elev", type: .letter, restriction: restriction)],
                                   in: number, actor: "anna")
        return (f, number)
    }

    /// The department decides whose clerks read the series' restricted documents: an import that creates the series
    /// gives it the department it had, not one named like its code.
    @Test func aSeriesKeepsItsDepartmentThroughExportAndImport() throws {
        let (f, number) = try departmentFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("bun.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(number), format: .earkTar, output: out), actor: "arkivarie")
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let report = try other.importPackage(at: out, actor: "arkivarie")
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        #expect(report.contentBytes == Int64("Uppgifter om en elev".utf8.count), "only the documents' content counts")
        #expect(try other.listSeries().first { $0.code == bun }?.department.rawValue == "UTB")
    }

    /// A package from before packages named it: the series is created under its own code, and the report says so.
    @Test func aPackageWithoutTheDepartmentIsImportedWithAWarning() throws {
        let (f, number) = try departmentFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("bun.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(number), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let erms = "\(root)/\(METS.descriptivePath)"
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: erms)), as: UTF8.self)
        #expect(text.contains(#"seriesDepartment="UTB""#))
        try rewriteListed(erms, with: Data(text.replacingOccurrences(of: #" seriesDepartment="UTB""#, with: "").utf8), root: root)

        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let report = try other.importPackage(at: root, actor: "arkivarie")
        let warning = try #require(report.diagnostics.first { $0.message.contains("seriesDepartment") })
        #expect(warning.severity == .warning)
        #expect(warning.description.contains("the package does not name the department that keeps series BUN"), "\(warning)")
        #expect(try other.listSeries().first { $0.code == bun }?.department.rawValue == "BUN")
        // Into a store that has the series already, its own department stands and nothing needs saying.
        let third = try RecordsService.createStore(at: f.dir.file("third"), actor: "admin")
        _ = try third.addSeries(code: bun, name: "BUN", department: try Department(parsing: "UTB"), actor: "admin")
        #expect(try third.importPackage(at: root, actor: "arkivarie").diagnostics.isEmpty)
    }

    /// A document whose title (and so perhaps its file name) was restricted, then lifted.
    func liftedFixture() throws -> (Fixture, DocumentNumber) {
        let f = try Fixture()
        let restriction = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", until: nil, hides: [.title])
        let document = try f.service.register([NewDocument(
            file: try f.dir.write("Åsa Öberg LVU-utredning.txt", "Utredning enligt LVU"),
            metadata: DocumentMetadata(title: "Utredning om Åsa Öberg", publicTitle: "Utredning", recordType: .report,
                                       restriction: restriction))], in: f.caseNumber, actor: "anna")[0].number
        var change = MetadataChange()
        change.title = "Utredning enligt LVU"
        change.restriction = .some(nil)
        _ = try f.service.update(document, change, comment: "titeln rensad", actor: "anna")
        _ = try f.service.finalise(document, comment: nil, actor: "anna")
        return (f, document)
    }

    /// Without the versions that hid it, nothing would tell the receiving store to keep the file's name from readers
    /// without clearance: a package of final versions carries the name made from the number instead.
    @Test func aNameHiddenEarlierIsNotSentWithoutTheHistoryThatHidIt() throws {
        let (f, document) = try liftedFixture()
        defer { f.dir.remove() }
        #expect(try f.service.documentForAccess(document).nameHiddenEarlier)
        let out = f.dir.file("final.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, versions: .final, output: out),
                                        actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(!erms.contains("Öberg"), "the hidden name is in the package")
        let premis = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/metadata/preservation/premis.xml")), as: UTF8.self)
        #expect(!premis.contains("Öberg"))

        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        _ = try other.importPackage(at: out, actor: "arkivarie")
        #expect(try other.document(document).current.content?.originalName == "KS-2026-1-1.txt")
        #expect(try other.document(document).current.content?.sha256 == f.service.document(document).current.content?.sha256)
    }

    /// With the whole history, Diarium's own description keeps the original name (the import hides it again from the
    /// history), while the standard `appendix`, what another reader shows, gives the numbered name.
    @Test func theStandardAppendixNeverNamesAHiddenFile() throws {
        let (f, document) = try liftedFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("all.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)"))
        let erms = try MarkupElement.parse(Array(bytes))
        let appendices = erms.descendants("appendix", namespace: Namespace.erms)
        #expect(appendices.count == 3 && appendices.allSatisfy { $0.attribute("name") == "KS-2026-1-1.txt" },
                "\(appendices.map { $0.attribute("name") ?? "" })")
        let contents = erms.descendants("content", namespace: ERMS.extensionNamespace)
        #expect(!contents.isEmpty && contents.allSatisfy { $0.attribute("originalName") == "Åsa Öberg LVU-utredning.txt" })
        // Provenance in the Library of Congress vocabulary: finalising assigns a policy; the e-archive accessions.
        let premis = try MarkupElement.parse(Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/metadata/preservation/premis.xml"))))
        let types = premis.descendants("eventType").map { ($0.text, $0.attribute("authority")) }
        #expect(types.contains { $0 == ("policy assignment", "eventType") }, "\(types)")
        #expect(types.allSatisfy { !["finalisation", "accession", "access"].contains($0.0) && $0.1 == "eventType" }, "\(types)")
        #expect(premis.descendants("linkingAgentRole").allSatisfy { $0.text == "implementer" })

        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        _ = try other.importPackage(at: out, actor: "arkivarie")
        let imported = try other.documentForAccess(document)
        #expect(imported.current.current.content?.originalName == "Åsa Öberg LVU-utredning.txt")
        #expect(imported.nameHiddenEarlier)
    }

    /// Exported again after an import, records keep the history they came with: the case's opening and closing and
    /// each version's making, at their own times and by their own agents, before the ingestion; not all "ingestion"
    /// on the day they came in.
    @Test func anImportedRecordsHistoryTravelsOnInPREMIS() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let document = try f.register("plan.txt", "Plan")
        f.clock.set("2026-04-01T09:00:00.000Z")
        _ = try f.service.finalise(document.number, comment: nil, actor: "bo")
        f.clock.set("2026-05-01T09:00:00.000Z")
        _ = try f.service.closeCase(f.caseNumber, actor: "cecilia")
        let first = f.dir.file("first.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: first), actor: "arkivarie")

        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin", clock: FixedClock("2027-01-10T08:00:00.000Z"))
        _ = try other.importPackage(at: first, actor: "arkivarie")
        let again = f.dir.file("again.tar")
        _ = try other.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: again), actor: "arkivarie")
        let root = try extract(again, into: f.dir)
        let premis = try MarkupElement.parse(Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/metadata/preservation/premis.xml"))))
        let events = premis.descendants("event").map { event in
            [event.descendants("eventType").first?.text ?? "", event.descendants("eventDateTime").first?.text ?? "",
             event.descendants("linkingAgentIdentifierValue").first?.text ?? ""].joined(separator: " ")
        }
        // The fixed clock moves a millisecond a reading: compared to the second.
        func at(_ text: String) -> [String] { events.filter { $0.replacing(#/\.\d{3}Z/#, with: "").replacing(#/ \[[^\]]*\]$/#, with: "") == text } }
        // The agents as the source named them, marked as its own (its "anna" is not this store's).
        #expect(events.contains { $0.contains(" anna [") } && !events.contains { $0.hasSuffix(" anna") }, "\(events)")
        #expect(at("creation 2026-03-01T09:00:00 anna").count == 2, "the case opened, the document registered: \(events)")
        #expect(at("policy assignment 2026-04-01T09:00:00 bo").count == 1, "finalised: \(events)")
        #expect(at("policy assignment 2026-05-01T09:00:00 cecilia").count == 1, "closed: \(events)")
        #expect(events.filter { $0.hasPrefix("ingestion") }.count == 3, "the case and its two versions, as before")
    }

    /// Records imported from another organisation's archive keep their archival creator: exported again from a store
    /// of another organisation (or of none), each case names it (Diarium's description and a standard ERMS agent, and
    /// the package's documentation), and it survives a second import. Records of the store's own organisation name none.
    @Test func importedRecordsKeepTheirArchivalCreator() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let alvsby = try Organisation(name: "Älvsby kommun", code: "212000-1355")
        try f.service.setOrganisation(alvsby, actor: "admin")
        try f.register("plan.txt", "Plan")
        let first = f.dir.file("first.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: first), actor: "arkivarie")

        let lulea = try RecordsService.createStore(at: f.dir.file("lulea"), actor: "admin")
        try lulea.setOrganisation(try Organisation(name: "Luleå kommun", code: "212000-2411"), actor: "admin")
        _ = try lulea.importPackage(at: first, actor: "arkivarie")
        let again = f.dir.file("again.tar")
        _ = try lulea.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: again), actor: "arkivarie")
        let root = try extract(again, into: f.dir)
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(erms.contains(#"archivalCreator="Älvsby kommun" archivalCreatorCode="ORG:2120001355""#), "\(erms)")
        #expect(erms.contains(#"<agent agentType="other" otherAgentType="archival_creator"><name>Älvsby kommun</name><idNumber idNumberType="ORG">2120001355</idNumber></agent>"#)
                || erms.replacingOccurrences(of: #">\s+<"#, with: "><", options: .regularExpression)
                    .contains(#"<agent agentType="other" otherAgentType="archival_creator"><name>Älvsby kommun</name><idNumber idNumberType="ORG">2120001355</idNumber></agent>"#))
        let result = try Validators.xmlschema(schema: "erms/ERMS.xsd", file: "\(root)/\(METS.descriptivePath)",
                                              extensions: [(ERMS.extensionNamespace, "\(root)/schemas/\(ERMS.extensionSchemaName)")])
        #expect(result.ok, "\(result.output)")
        let index = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/documentation/index.html")), as: UTF8.self)
        #expect(index.contains("Arkivbildare: Älvsby kommun (ORG:2120001355)."))

        // Into a store of no organisation: kept from the case's own description, and named again.
        let third = try RecordsService.createStore(at: f.dir.file("third"), actor: "admin")
        _ = try third.importPackage(at: again, actor: "arkivarie")
        let last = f.dir.file("last.tar")
        _ = try third.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: last), actor: "arkivarie")
        let lastRoot = try extract(last, into: f.dir)
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(lastRoot)/\(METS.descriptivePath)")), as: UTF8.self)
            .contains(#"archivalCreator="Älvsby kommun""#))
        // Back home: the organisation's own records, named by the package as a whole and not case by case.
        let home = try RecordsService.createStore(at: f.dir.file("home"), actor: "admin")
        try home.setOrganisation(alvsby, actor: "admin")
        _ = try home.importPackage(at: last, actor: "arkivarie")
        let back = f.dir.file("back.tar")
        _ = try home.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: back), actor: "arkivarie")
        let backRoot = try extract(back, into: f.dir)
        #expect(!String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(backRoot)/\(METS.descriptivePath)")), as: UTF8.self)
            .contains("archivalCreator="))
    }

    /// An e-archive (or a records review by hand) may add standard elements to a Diarium package or change them: the
    /// import reads Diarium's own description, and says what it leaves.
    @Test func standardElementsEditedAfterExportAreNamedNotDroppedSilently() throws {
        let (f, number) = try departmentFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("bun.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(number), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let path = "\(root)/\(METS.descriptivePath)"
        var text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        let document = DocumentNumber(caseNumber: number, ordinal: 1).description
        text = text.replacingOccurrences(of: "<objectId>\(document)</objectId>",
                                         with: "<objectId>\(document)</objectId><keywords><keyword>elevärende</keyword></keywords>")
        text = text.replacingOccurrences(of: "<title>Titel elev.txt</title>", with: "<title>Rättad i e-arkivet</title>")
        try rewriteListed(path, with: Data(text.utf8), root: root)

        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let report = try other.importPackage(at: root, actor: "arkivarie")
        let warnings = report.diagnostics.filter { $0.severity == .warning }.map(\.message)
        #expect(warnings.contains("record \(document): <keywords> not taken over (not written by Diarium; the import reads its own description, dx:)"),
                "\(warnings)")
        #expect(warnings.contains("record \(document): <title> 'Rättad i e-arkivet' differs from Diarium's description, whose title is kept"),
                "\(warnings)")
        #expect(try other.document(try DocumentNumber(parsing: document)).current.metadata.title == "Titel elev.txt")
    }

    /// Dates that mean a day in Sweden are written with Stockholm's offset: the last day of a restriction ends at
    /// midnight there, not an hour or two into the next day.
    @Test func swedishDaysAreWrittenInSwedishTime() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let restriction = try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §",
                                                until: CalendarDate(year: 2040, month: 6, day: 30), hides: [.content])
        _ = try f.service.register([NewDocument(
            file: try f.dir.write("beslut.txt", "Beslut"),
            metadata: DocumentMetadata(title: "Beslut", recordType: .decision, direction: .internal,
                                       documentDate: CalendarDate(year: 2026, month: 1, day: 15), restriction: restriction))],
            in: f.caseNumber, actor: "anna")
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let erms = try MarkupElement.parse(Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)"))))
        let record = try #require(erms.descendants("record", namespace: Namespace.erms).first)
        var dates: [String: String] = [:]
        for date in record.descendants("date", namespace: Namespace.erms) { dates[date.attribute("dateType") ?? ""] = date.text }
        #expect(dates["end"] == "2040-06-30T23:59:59+02:00")        // summer time
        #expect(dates["originated"] == "2026-01-15T00:00:00+01:00")
        #expect(dates["captured"]?.hasPrefix("2026-03-01T09:00:00") == true)
        #expect(dates["received"] == nil, "an internal document is not received")
        let direction = try #require(record.child("direction", namespace: Namespace.erms))
        #expect(direction.attribute("directionDefinition") == "other" && direction.attribute("otherDirectionDefinition") == "internal")
        let text = try #require(record.descendants("explanatoryText", namespace: Namespace.erms).first)
        #expect(text.text == "sekretess; döljer: innehåll")
    }
}
