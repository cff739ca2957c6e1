import DiariumCore
import DiariumExchange
import DiariumPackage
import DiariumServices
import DiariumTesting
import DiariumXML
import Foundation
import GRDB
import Glibc
import Synchronization
import Testing

/// A store with what an archive must carry: several versions, a finalised document, a restricted one, a paper
/// original without content, non-ASCII names, and a second (closed) case.
func archiveFixture() throws -> Fixture {
    let f = try Fixture()
    let s = f.service
    let ks = SeriesCode(rawValue: "KS")!
    // The retention schedule: letters kept, everything else disposed of 10 years after the case is closed.
    _ = try s.setRetentionRule(try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 10,
                                                 mandate: "KS 2024-03-12 § 45", schedule: "IHP KS 2024"), actor: "admin")
    _ = try s.setRetentionRule(try RetentionRule(series: ks, recordType: .letter, action: .keep, years: nil,
                                                 mandate: "RA-FS 1991:6"), actor: "admin")
    let plan = try s.register([NewDocument(file: try f.dir.write("Handlingsplan å.txt", "Handlingsplan för klimatet, första utkast"),
                                           metadata: DocumentMetadata(title: "Handlingsplan för klimat", recordType: .actionPlan,
                                                                      documentDate: CalendarDate(year: 2026, month: 2, day: 27),
                                                                      sender: "Miljöförvaltningen", classification: "2.4"))],
                              in: f.caseNumber, actor: "anna")[0]
    _ = try s.addVersion(plan.number, file: try f.dir.write("plan2.txt", "Handlingsplan för klimatet, andra utkast"),
                         comment: "efter remiss", actor: "bo")
    var change = MetadataChange()
    change.title = "Handlingsplan för klimat 2026"
    _ = try s.update(plan.number, change, comment: "rättad titel", actor: "bo")
    _ = try s.finalise(plan.number, comment: nil, actor: "bo")
    let restriction = try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §",
                                            until: CalendarDate(year: 2096, month: 1, day: 1), hides: [.content, .parties])
    _ = try s.register([NewDocument(file: try f.dir.write("utredning.bin", Data(testBytes(count: 70_000, seed: 7))),
                                    metadata: DocumentMetadata(title: "Utredning om enskild", recordType: .serviceRecord,
                                                               direction: .incoming, sender: "Privatperson",
                                                               restriction: restriction),
                                    mediaType: "application/pdf", originalName: "Utredning.pdf")],
                       in: f.caseNumber, actor: "anna")
    _ = try s.register([NewDocument(file: nil, metadata: DocumentMetadata(title: "Brev på papper", recordType: .letter, direction: .incoming))],
                       in: f.caseNumber, actor: "anna")
    // Its title is withheld on a stated ground: the public sees the public title.
    let second = try s.openCase(NewCase(series: ks, title: "Budget", publicTitle: "Ekonomiärende",
                                        restriction: try AccessRestriction(kind: .security, legalReference: "OSL 15 kap. 2 §",
                                                                           until: CalendarDate(year: 2076, month: 12, day: 31), hides: [.title]),
                                        classification: "1.1", department: "Ekonomi", officer: "Cecilia"),
                                actor: "anna").number
    var handover = CaseChange()
    handover.officer = .some("David")
    _ = try s.updateCase(second, handover, actor: "anna")
    _ = try s.register([NewDocument(file: try f.dir.write("budget.csv", "post;belopp\nskola;100\n"),
                                    metadata: DocumentMetadata(title: "Budget", recordType: .decision))], in: second, actor: "anna")
    _ = try s.finalise(DocumentNumber(caseNumber: second, ordinal: 1), comment: nil, actor: "anna")
    _ = try s.closeCase(second, actor: "anna")
    return f
}

/// Expects `body` to throw an error whose message contains `phrase`.
func expectFailure(_ phrase: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any) {
    do {
        _ = try body()
        Issue.record("expected an error containing '\(phrase)'", sourceLocation: sourceLocation)
    } catch {
        #expect("\(error)".contains(phrase), "\(error)", sourceLocation: sourceLocation)
    }
}

/// Replaces a file of an extracted package and makes METS (the entry that lists it) and PREMIS (its fixity) agree, as
/// an editor would who changed the package on purpose: what they cannot tell, other checks must.
func rewriteListed(_ path: String, with bytes: Data, root: String) throws {
    try PackageEditing.rewrite(String(path.dropFirst(root.count + 1)), inPackage: root, with: bytes)
}

/// Extracts a tar or zip with the system tools (not our reader) into a fresh directory; returns the package root.
func extract(_ archive: String, into dir: TempDirectory) throws -> String {
    let target = dir.file("extracted-\(UUID().uuidString.prefix(6))")
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    if archive.hasSuffix(".zip") {
        try runTool("/usr/bin/unzip", ["-q", archive, "-d", target])
    } else {
        try runTool("/usr/bin/tar", ["-xf", archive, "-C", target])
    }
    let roots = try FileManager.default.contentsOfDirectory(atPath: target)
    #expect(roots.count == 1, "a package archive holds exactly one root folder")
    return "\(target)/\(roots[0])"
}

/// Every FLocat and mdRef in the root METS and the representation's (whose paths are relative to its folder) names a
/// file of the package with exactly that SIZE and SHA-256, every file of the package but the root METS is listed
/// once, the root's structMap points at the representation's METS, and no ID of either is used twice in the package
/// (CSIP65, 83, 85).
func checkFileLocations(_ root: String) throws {
    var listed: [String] = []
    var ids: [String] = []
    func collectIDs(_ element: MarkupElement) {
        if let id = element.attribute("ID") { ids.append(id) }
        element.children.forEach(collectIDs)
    }
    for (metsPath, folder) in [("METS.xml", ""), (PackageEditing.representationMETS, PackageEditing.representationFolder + "/")] {
        let mets = try MarkupDocument.parseXML(Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(metsPath)")))).elementTree()!
        let holders = mets.descendants("file", namespace: Namespace.mets).map { ($0, $0.child("FLocat", namespace: Namespace.mets)!) }
            + mets.descendants("mdRef", namespace: Namespace.mets).map { ($0, $0) }
        for (element, location) in holders {
            let href = folder + (try #require(location.attribute("href", namespace: Namespace.xlink)))
            let path = "\(root)/\(href)"
            #expect(FileManager.default.fileExists(atPath: path), "FLocat \(href) in \(metsPath) does not exist")
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            #expect(element.attribute("SIZE") == size.map(String.init), "SIZE of \(href)")
            #expect(element.attribute("CHECKSUMTYPE") == "SHA-256")
            #expect(element.attribute("CHECKSUM") == (try sha256Hex(ofFile: path)), "CHECKSUM of \(href)")
            listed.append(href)
        }
        collectIDs(mets)
        if folder.isEmpty {
            let pointers = mets.descendants("mptr", namespace: Namespace.mets).map { $0.attribute("href", namespace: Namespace.xlink) }
            #expect(pointers == [PackageEditing.representationMETS])
        }
    }
    #expect(listed.count == Set(listed).count, "a file is listed twice: \(listed)")
    #expect(ids.count == Set(ids).count, "an ID is used twice: \(ids)")
    let listedSet = Set(listed)
    let all = try FileManager.default.subpathsOfDirectory(atPath: root).filter { path in
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: "\(root)/\(path)", isDirectory: &isDirectory)
        return !isDirectory.boolValue
    }
    #expect(Set(all).subtracting(["METS.xml"]) == listedSet)
}

@Suite struct ArchiveExportTests {
    @Test(arguments: [PackageFormat.earkTar, .earkZip])
    func exportPassesEveryJudge(format: PackageFormat) throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("ks.\(format.fileExtension)")
        let report = try f.service.exportPackage(ExportRequest(selection: .series(SeriesCode(rawValue: "KS")!, year: nil),
                                                               format: format, output: out), actor: "arkivarie")
        #expect(report.cases == 2 && report.documents == 4 && report.restrictedDocuments == 1)
        #expect(report.exportedVersions == 8)

        #expect(try Validators.earkErrors(out) == [])
        let root = try extract(out, into: f.dir)
        #expect(try Validators.earkErrors(root) == [])
        // The representation has its METS and metadata folder (CSIPSTR12, 13). Left: CSIP105, which eark-validator
        // looks for inside the "Representations" division, where the profile's XPaths (mets/structMap/div/div/mptr)
        // and its example with representations put the representation's division beside it.
        #expect(try Validators.earkWarnings(root) == ["CSIP105"])
        for (schema, file) in [("mets/mets.xsd", "METS.xml"), ("erms/ERMS.xsd", METS.descriptivePath),
                               ("premis/premis-v3-0.xsd", METS.preservationPath), ("mets/mets.xsd", METS.representationPath),
                               ("premis/premis-v3-0.xsd", METS.representationPreservationPath)] {
            let result = try Validators.xmlschema(schema: schema, file: "\(root)/\(file)")
            #expect(result.ok, "\(file): \(result.output)")
        }
        try checkFileLocations(root)
        // The representation's PREMIS describes it and its content files; the package's, the package's own files
        // (the representation's METS and PREMIS among them) and every event.
        func text(_ path: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(path)")), as: UTF8.self) }
        let (packagePREMIS, representationPREMIS) = (try text(METS.preservationPath), try text(METS.representationPreservationPath))
        func object(_ path: String) -> String { "<premis:objectIdentifierValue>\(path)</premis:objectIdentifierValue>" }
        #expect(representationPREMIS.contains(#"<premis:object xsi:type="premis:representation">"#))
        let content = try FileManager.default.subpathsOfDirectory(atPath: "\(root)/\(PackageNaming.dataRoot)").filter { $0.contains(".") }
        #expect(content.count == 4)   // of the 8 versions, those with content of their own
        for path in content.map({ "\(PackageNaming.dataRoot)/\($0)" }) {
            #expect(representationPREMIS.contains(object(path)) && !packagePREMIS.contains(object(path)), "\(path)")
        }
        for path in [METS.descriptivePath, METS.representationPath, METS.representationPreservationPath] {
            #expect(packagePREMIS.contains(object(path)) && !representationPREMIS.contains(object(path)), "\(path)")
        }
        // Each content file's PRONOM format, where it can be told: the two texts and the CSV by their extension (PRONOM
        // has no signature for them); the "PDF" is random bytes, so it gets none rather than a wrong one.
        #expect(report.formats.map { "\($0.files) \($0.format.puid)" } == ["2 x-fmt/111", "1 x-fmt/18"])
        #expect(report.unidentifiedFiles == 1 && report.unidentified == ["KS 2026/1-2 v1"], "\(report.unidentified)")
        let objects = representationPREMIS.components(separatedBy: "<premis:object ").dropFirst(2)
        #expect(objects.count == 4)
        for object in objects {
            let registry = object.contains("<premis:formatRegistryName>PRONOM</premis:formatRegistryName>")
            #expect(registry == !object.contains(".pdf<"), "\(object)")
        }
        #expect(representationPREMIS.contains("<premis:formatRegistryKey>x-fmt/18</premis:formatRegistryKey>"))
        #expect(representationPREMIS.contains(
            "<premis:formatNote>Plain Text File, identified by its file name extension only (PRONOM has no signature for it)</premis:formatNote>"))
        // The restricted document is in the package, with its restriction and legal reference.
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(erms.contains("<regulation>OSL 26 kap. 1 §</regulation>"))
        // The restricted case title too: in the standard element other tools read, and in Diarium's own.
        #expect(erms.contains("<explanatoryText>säkerhetsskydd; döljer: titel</explanatoryText>"))
        #expect(erms.contains("<regulation>OSL 15 kap. 2 §</regulation>"))
        #expect(erms.contains(#"<dx:restriction kind="security" legalReference="OSL 15 kap. 2 §" until="2076-12-31" hides="title"/>"#))
        #expect(erms.contains("Utredning om enskild"))
        let index = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/documentation/index.html")), as: UTF8.self)
        #expect(index.contains("Informationspaket") && index.contains("KS 2026/1"))
        #expect(index.contains("gallras 10 år efter ärendets avslutande (KS 2024-03-12 § 45)"))
        #expect(index.contains("Titeln omfattas av säkerhetsskydd (OSL 15 kap. 2 §); offentlig titel: Ekonomiärende."))
        // A letter that came in is inkommen there, as in the public diarium; a plan drawn up here upprättad.
        #expect(index.contains("<td>inkommen</td>") && index.contains("<td>upprättad</td>"))
    }

    @Test func disposalFollowsTheRetentionSchedule() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("ks.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .series(SeriesCode(rawValue: "KS")!, year: nil), format: .earkTar,
                                                      output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let erms = try MarkupDocument.parseXML(Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")))).elementTree()!
        let ns = Namespace.erms
        func disposal(of element: MarkupElement) -> [String: String] {
            guard let d = element.child("disposal", namespace: ns) else { return [:] }
            var fields = ["disposable": d.attribute("disposable") ?? "?"]
            for name in ["disposalScheduleId", "disposalAction", "disposalPeriod", "disposalMandate"] {
                if let value = d.child(name, namespace: ns)?.text { fields[name] = value }
            }
            for date in d.child("dates", namespace: ns)?.children("disposalDate", namespace: ns) ?? [] {
                fields[date.attribute("otherDisposalDateType") ?? date.attribute("dateType")!] = date.text
            }
            return fields
        }
        let aggregations = erms.descendants("aggregation", namespace: ns)
        let open = try #require(aggregations.first { $0.attribute("systemIdentifier") == "KS 2026/1" })
        let closed = try #require(aggregations.first { $0.attribute("systemIdentifier") == "KS 2026/2" })
        // The case itself follows the series' default; while open, the period has not started.
        #expect(disposal(of: open)["disposalAction"] == "gallras")
        #expect(disposal(of: open)["disposalPeriod"] == "gallras 10 år efter ärendets avslutande")
        #expect(disposal(of: open)["caseOpened"] != nil && disposal(of: open)["action_due"] == nil)
        func record(_ number: String) throws -> MarkupElement {
            let found = erms.descendants("record", namespace: ns).first { $0.attribute("systemIdentifier") == number }
            return try #require(found)
        }
        // A letter has a rule of its own: kept, with its mandate.
        #expect(disposal(of: try record("KS 2026/1-3")) ==
                ["disposable": "false", "disposalAction": "bevaras", "disposalMandate": "RA-FS 1991:6",
                 "caseOpened": disposal(of: open)["caseOpened"]!])
        #expect(disposal(of: try record("KS 2026/1-1"))["disposalScheduleId"] == "IHP KS 2024")
        // In the closed case the period runs from its closing: due ten years later.
        let budget = disposal(of: try record("KS 2026/2-1"))
        #expect(budget["disposable"] == "true" && budget["disposalMandate"] == "KS 2024-03-12 § 45")
        let start = try #require(budget["retention_period_start"].flatMap(Timestamp.parse))
        let due = try #require(budget["action_due"].flatMap(Timestamp.parse))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm")!
        #expect(calendar.dateComponents([.year], from: start, to: due).year == 10)
        #expect(disposal(of: closed)["retention_period_start"] == budget["retention_period_start"])
    }

    /// METS `metsHdr`: each agent as (ROLE or OTHERROLE, TYPE, name, IDENTIFICATIONCODE note), then the alternative ids.
    func agents(_ root: String) throws -> (agents: [[String]], ids: [String]) {
        let mets = try MarkupDocument.parseXML(Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/METS.xml")))).elementTree()!
        let header = try #require(mets.child("metsHdr", namespace: Namespace.mets))
        let agents = header.children("agent", namespace: Namespace.mets).map { agent in
            let code = agent.children("note", namespace: Namespace.mets)
                .first { $0.attribute("NOTETYPE", namespace: Namespace.csip) == "IDENTIFICATIONCODE" }?.trimmedText
            let role = agent.attribute("ROLE") == "OTHER" ? agent.attribute("OTHERROLE") : agent.attribute("ROLE")
            return [role ?? "", agent.attribute("TYPE") ?? "", agent.child("name", namespace: Namespace.mets)?.trimmedText ?? "",
                    code ?? "-"]
        }
        let ids = header.children("altRecordID", namespace: Namespace.mets).map { "\($0.attribute("TYPE") ?? ""): \($0.trimmedText ?? "")" }
        return (agents, ids)
    }

    func checkWithTheJudges(_ out: String, into dir: TempDirectory) throws -> String {
        #expect(try Validators.earkErrors(out) == [])
        let root = try extract(out, into: dir)
        for (schema, file) in [("mets/mets.xsd", "METS.xml"), ("erms/ERMS.xsd", METS.descriptivePath)] {
            let result = try Validators.xmlschema(schema: schema, file: "\(root)/\(file)")
            #expect(result.ok, "\(file): \(result.output)")
        }
        return root
    }

    @Test func thePackageNamesItsArchivalCreatorSubmitterContactAndArchive() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let ks = ExportRequest.Selection.series(SeriesCode(rawValue: "KS")!, year: nil)
        // No organisation set: the person submits (SIP15 requires a submitting agent); no archival creator is made up.
        let bare = try f.service.exportPackage(ExportRequest(selection: ks, format: .earkTar, output: f.dir.file("bare.tar")), actor: "arkivarie")
        #expect(bare.archivalCreator == nil)
        let bareRoot = try checkWithTheJudges(bare.output, into: f.dir)
        #expect(try agents(bareRoot).agents == [["CREATOR", "OTHER", "Diarium", "-"], ["SUBMITTER", "INDIVIDUAL", "arkivarie", "-"]])

        let own = try Organisation(name: "Exempelby kommun", code: "212000-1355")
        let before = try f.service.audit(object: "store").count
        try f.service.setOrganisation(own, actor: "admin")
        try f.service.setOrganisation(own, actor: "admin")   // the same again: nothing changes, nothing logged
        let logged = try f.service.audit(object: "store").dropFirst(before)
        #expect(logged.map(\.action) == [.storeOrganisation])
        #expect(logged.first?.details == #"{"code":"ORG:2120001355","name":"Exempelby kommun"}"#)
        #expect(try f.service.organisation() == own)
        #expect(try f.service.verify().ok)
        try f.service.setOrganisation(try Organisation(name: "Exempelby"), actor: "admin")
        try f.service.setOrganisation(own, actor: "admin")
        #expect(try f.service.audit(object: "store").last?.details
                == #"{"code":"ORG:2120001355","name":"Exempelby kommun","previousName":"Exempelby"}"#)

        var request = ExportRequest(selection: ks, format: .earkTar, output: f.dir.file("named.tar"))
        request.submitter = try Organisation(name: "Kommunstyrelsen", code: "VAT:SE212000135501")
        request.archive = try Organisation(name: "Stadsarkivet", code: "ISIL:SE-EXA")
        request.submissionAgreement = "LÖ 2026:3"
        request.referenceCode = "SE/EXA/KS"
        let named = try f.service.exportPackage(request, actor: "arkivarie")
        #expect(named.archivalCreator == own)
        let root = try checkWithTheJudges(named.output, into: f.dir)
        let header = try agents(root)
        #expect(header.agents == [["CREATOR", "OTHER", "Diarium", "-"],
                                  ["ARCHIVIST", "ORGANIZATION", "Exempelby kommun", "ORG:2120001355"],
                                  ["SUBMITTER", "ORGANIZATION", "Kommunstyrelsen", "VAT:SE212000135501"],
                                  ["SUBMITTER", "INDIVIDUAL", "arkivarie", "-"],
                                  ["PRESERVATION", "ORGANIZATION", "Stadsarkivet", "ISIL:SE-EXA"]])
        #expect(header.ids == ["SUBMISSIONAGREEMENT: LÖ 2026:3", "REFERENCECODE: SE/EXA/KS"])
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(erms.contains(#"<agencyCode type="ORG">2120001355</agencyCode>"#) && erms.contains("<agencyName>Exempelby kommun</agencyName>"))
        let index = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/documentation/index.html")), as: UTF8.self)
        #expect(index.contains("Arkivbildare: Exempelby kommun (ORG:2120001355).") && index.contains("Mottagande arkiv: Stadsarkivet"))

        // The receiving store reads who the package came from, and logs whose records it took in.
        let archive = try RecordsService.createStore(at: f.dir.file("archive"), actor: "admin")
        let imported = try archive.importPackage(at: named.output, actor: "arkivarie")
        #expect(imported.agents.map { "\($0.role) \($0.type) \($0.description)" } == [
            "CREATOR SOFTWARE Diarium", "ARCHIVIST ORGANIZATION Exempelby kommun (ORG:2120001355)",
            "SUBMITTER ORGANIZATION Kommunstyrelsen (VAT:SE212000135501)", "SUBMITTER INDIVIDUAL arkivarie",
            "PRESERVATION ORGANIZATION Stadsarkivet (ISIL:SE-EXA)"])
        let event = try #require(try archive.audit(object: imported.packageID).last)
        #expect(event.action == .packageImport && event.details.contains(#""archivalCreator":"Exempelby kommun","archivalCreatorCode":"ORG:2120001355""#),
                "\(event.details)")

        // Named in the request instead of the store's: the archival creator submits too.
        request = ExportRequest(selection: ks, format: .earkTar, output: f.dir.file("other.tar"),
                                organisation: try Organisation(name: "Barn- och utbildningsnämnden"))
        let other = try f.service.exportPackage(request, actor: "arkivarie")
        let otherRoot = try checkWithTheJudges(other.output, into: f.dir)
        #expect(try agents(otherRoot).agents == [["CREATOR", "OTHER", "Diarium", "-"], ["ARCHIVIST", "ORGANIZATION", "Barn- och utbildningsnämnden", "-"],
                                                 ["SUBMITTER", "ORGANIZATION", "Barn- och utbildningsnämnden", "-"],
                                                 ["SUBMITTER", "INDIVIDUAL", "arkivarie", "-"]])
        // A value no package may carry is refused before anything is written.
        request.referenceCode = "SE\nEXA"
        #expect { try f.service.exportPackage(request, actor: "arkivarie") } throws: { ($0 as? DiariumError)?.field == "referenceCode" }
    }

    @Test func zipStoresWhatDoesNotCompress() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("ks.zip")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkZip, output: out), actor: "arkivarie")
        let listing = try runTool("/usr/bin/unzip", ["-v", out])
        let lines = listing.split(separator: "\n")
        #expect(lines.first { $0.hasSuffix(".pdf") }?.contains("Stored") == true)
        #expect(lines.first { $0.hasSuffix("-v1.txt") }?.contains("Defl") == true)
        #expect(lines.first { $0.hasSuffix("METS.xml") }?.contains("Defl") == true)
    }

    @Test func bagitValidates() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("ks-bag.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .bagit, output: out), actor: "arkivarie")
        let bag = try extract(out, into: f.dir)
        let result = try Validators.bagit(bag)
        #expect(result.ok, "\(result.output)")
        #expect(try Validators.earkErrors("\(bag)/data") == [])
        try checkFileLocations("\(bag)/data")
    }

    @Test func failedExportLeavesNothing() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        // Damage one stored file: the export reads it, notices at its end, and must give up.
        let plan = try f.service.document(DocumentNumber(caseNumber: f.caseNumber, ordinal: 2))
        let path = f.service.store.blobs.path(of: plan.current.content!.sha256)
        chmod(path, 0o644)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[100] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
        let outDir = f.dir.file("out")
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let auditBefore = try f.service.counts().auditEvents
        expectFailure("does not match its digest") {
            try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: "\(outDir)/p.tar",
                                                      verifyContent: true), actor: "arkivarie")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDir) == [])
        // Without re-hashing, a file that is gone (or shorter than the catalog says) still stops the export.
        unlink(path)
        expectFailure("is missing from the store") {
            try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkZip, output: "\(outDir)/p.zip"),
                                        actor: "arkivarie")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDir) == [])
        #expect(try f.service.counts().auditEvents == auditBefore)
    }

    /// A cancelled export stops where it is asked (before a content file, or after the last one, before it is
    /// logged) with nothing at `output` and no audit event; a later export of the same selection is whole.
    @Test func aCancelledExportLeavesNothingAndLogsNothing() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let outDir = f.dir.file("out")
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let auditBefore = try f.service.counts().auditEvents
        // Asked once per case, once per content file and once before the event: count them in a whole export, then
        // cancel at the first, second and third question and at the last.
        let questions = Mutex(0)
        var whole = ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: f.dir.file("whole.tar"))
        whole.isCancelled = { questions.withLock { $0 += 1 }; return false }
        _ = try f.service.exportPackage(whole, actor: "arkivarie")
        let total = questions.withLock { $0 }
        #expect(total > 4)
        for askedBeforeStopping in [0, 1, 2, total - 1] {
            let asked = Mutex(0)
            var request = ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: "\(outDir)/p.tar")
            request.isCancelled = { asked.withLock { count in count += 1; return count > askedBeforeStopping } }
            expectFailure("cancelled") { try f.service.exportPackage(request, actor: "arkivarie") }
            #expect(try FileManager.default.contentsOfDirectory(atPath: outDir) == [], "stopped at \(askedBeforeStopping)")
            #expect(try f.service.counts().auditEvents == auditBefore + 1, "only the whole export is logged")
        }
        #expect(try f.service.verify().ok)
    }

    /// The package is published only after its audit event is committed: when the event cannot be written, no
    /// package appears and an earlier file at the same path is left as it was (it used to be replaced, then deleted).
    @Test func anExportWhoseAuditEventFailsReplacesNothing() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let outDir = f.dir.file("out")
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let earlier = try f.dir.write("out/p.tar", "last year's package")
        try DatabaseQueue(path: f.dir.file("store/catalog.sqlite")).write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_exports BEFORE INSERT ON audit_events WHEN NEW.action = 'package.export'
                BEGIN SELECT RAISE(ABORT, 'the log is full'); END
                """)
        }
        expectFailure("the log is full") {
            try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: earlier), actor: "arkivarie")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDir) == ["p.tar"])
        #expect(try String(contentsOfFile: earlier, encoding: .utf8) == "last year's package")
    }

    /// The event is written before the package is renamed into place; should the rename then fail, the logged
    /// package is not lost: the error says where it is, whole.
    @Test func aLoggedExportWhoseRenameFailsStaysWhereTheErrorSays() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let outDir = f.dir.file("out")
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let output = "\(outDir)/p.tar"
        var message = ""
        do {
            _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: output),
                                            actor: "arkivarie") { progress in
                // Someone makes a folder of that name while the package is being finished.
                if progress.phase == "writing metadata" { mkdir(output, 0o755) }
            }
            Issue.record("the export renamed its package over a folder")
        } catch {
            message = error.message
        }
        #expect(try f.service.audit().last?.action == .packageExport, "the package was logged before the rename")
        let kept = try FileManager.default.contentsOfDirectory(atPath: outDir).filter { $0.hasSuffix(".part") }
        #expect(kept.count == 1 && message.contains("\(outDir)/\(kept.first ?? "?")") && message.contains("move it there by hand"),
                "\(message)")
        if let name = kept.first {
            let root = try extract("\(outDir)/\(name)", into: f.dir)
            try checkFileLocations(root)
        }
    }

    @Test func searchSelectionExportsOnlyTheHits() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("hits.tar")
        let report = try f.service.exportPackage(ExportRequest(selection: .query("budget"), format: .earkTar, output: out),
                                                 actor: "arkivarie")
        #expect(report.cases == 1 && report.documents == 1)
        #expect(try Validators.earkErrors(out) == [])
        // The log (which admins read without clearance) says a search was exported, not its words.
        let event = try #require(try f.service.audit().last)
        #expect(event.action == .packageExport && event.details.contains("\"selection\":\"Sökning\"") && !event.details.contains("budget"),
                "\(event.details)")
        // Where it went and its size: what an auditor asks first about records that left the system.
        #expect(event.details.contains("\"folder\":\"\(f.dir.path)\"") && event.details.contains("\"bytes\":\(report.archiveBytes)")
                && !event.details.contains("hits.tar"), "\(event.details)")
    }

    /// User text that looks like the writer's old splice markers (here the query, which the package label
    /// carries, and the exporting user's name) must not split the documents: they were cut at the first marker.
    @Test func markerLikeTextDoesNotSplitTheDocuments() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("marker.tar")
        let query = #"budget OR "@@DIARIUM-METS-REPRESENTATION-FILES@@" OR "@@DIARIUM-PREMIS-BODY@@" OR "@@DIARIUM-INDEX-CASES@@""#
        _ = try f.service.exportPackage(ExportRequest(selection: .query(query), format: .earkTar, output: out),
                                        actor: "@@DIARIUM-ERMS-AGGREGATIONS@@")
        #expect(try Validators.earkErrors(out) == [])
        let root = try extract(out, into: f.dir)
        for (schema, file) in [("mets/mets.xsd", "METS.xml"), ("erms/ERMS.xsd", METS.descriptivePath),
                               ("premis/premis-v3-0.xsd", METS.preservationPath)] {
            let result = try Validators.xmlschema(schema: schema, file: "\(root)/\(file)")
            #expect(result.ok, "\(file): \(result.output)")
        }
        let index = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/documentation/index.html")), as: UTF8.self)
        #expect(index.hasSuffix("</html>\n") && index.contains("KS 2026/"))
    }
}

@Suite struct ArchiveImportTests {
    /// Everything about a store's records that an import must carry over (not the row ids or the audit log).
    func records(_ service: RecordsService) throws -> [String] {
        var lines: [String] = []
        for c in try service.listCases() {
            let details = try service.caseDetails(c.number)
            lines.append("\(c.number) \(c.title) \(c.publicTitle ?? "-") \(c.restriction.map { "\($0)" } ?? "-") \(c.classification ?? "-") \(c.status) \(c.department ?? "-") "
                + "\(c.officer ?? "-") \(Timestamp.format(c.openedAt)) \(c.closedAt.map(Timestamp.format) ?? "-")")
            for r in try service.caseHistory(c.number).revisions {
                lines.append("  revision \(r.n) \(Timestamp.format(r.replacedAt)) \(r.replacedBy) \(r.title) \(r.publicTitle ?? "-") "
                    + "\(r.restriction.map { "\($0)" } ?? "-") \(r.classification ?? "-") \(r.department ?? "-") \(r.officer ?? "-")")
            }
            for d in details.documents {
                lines.append("  \(d.number) \(Timestamp.format(d.registeredAt)) \(d.registeredBy)")
                for v in try service.history(d.number) {
                    lines.append("    \(v.number) \(v.change) \(v.author) \(Timestamp.format(v.createdAt)) \(v.comment ?? "-") \(v.status) "
                        + "\(v.metadata) \(v.content.map { "\($0.sha256) \($0.size) \($0.mediaType) \($0.originalName)" } ?? "-")")
                }
            }
        }
        for rule in try service.retentionSchedule() { lines.append("retention \(rule)") }
        return lines
    }

    @Test func roundTripLosesNothing() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let first = f.dir.file("first.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .series(SeriesCode(rawValue: "KS")!, year: 2026), format: .earkTar,
                                                     output: first), actor: "arkivarie")
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin", clock: FixedClock("2027-01-10T10:00:00.000Z"))
        let dry = try other.importPackage(at: first, options: ImportOptions(dryRun: true), actor: "arkivarie")
        #expect(dry.dryRun && dry.documents == 4 && dry.versions == 8)
        #expect(try other.counts().documents == 0)

        let report = try other.importPackage(at: first, actor: "arkivarie")
        #expect(report.cases.map(\.assigned) == ["KS 2026/1", "KS 2026/2"])
        #expect(report.retention == ["KS: gallras 10 år efter ärendets avslutande (KS 2024-03-12 § 45)", "KS skrivelse: bevaras (RA-FS 1991:6)"])
        #expect(dry.retention == report.retention)
        #expect(try records(other) == (try records(f.service)))
        #expect(try other.verify().ok)
        let events = try other.audit().map(\.action)
        #expect(events.filter { $0 == .documentImport }.count == 8)
        #expect(events.last == .packageImport)
        // The restricted document is searchable only in the full view, as before.
        #expect(try other.search("enskild", view: .full).total == 1)
        // The content's text, extracted at import (and spooled until its transaction), is indexed: the current version's.
        #expect(try other.search("andra utkast", view: .full).total == 1 && other.search("skola", view: .full).total == 1)
        #expect(try other.search("första", view: .full).total == 0)

        // Export again: same records and the same content digests.
        let second = f.dir.file("second.zip")
        _ = try other.exportPackage(ExportRequest(selection: .series(SeriesCode(rawValue: "KS")!, year: nil), format: .earkZip,
                                                  output: second), actor: "arkivarie")
        // This time every metadata document (METS, ERMS, PREMIS) is read from a temp file, streamed, as a large
        // package's are; the temp files go with the import.
        let third = try RecordsService.createStore(at: f.dir.file("third"), actor: "admin")
        var spilling = ImportOptions()
        spilling.metadataInMemoryBytes = 0
        _ = try third.importPackage(at: second, options: spilling, actor: "arkivarie")
        #expect(try records(third) == (try records(f.service)))
        #expect(try third.search("andra utkast", view: .full).total == 1 && third.search("skola", view: .full).total == 1)
        let temp = try FileManager.default.contentsOfDirectory(atPath: f.dir.file("third/tmp"))
            .flatMap { try FileManager.default.contentsOfDirectory(atPath: f.dir.file("third/tmp/\($0)")) }
        #expect(temp.filter { $0 != ".lock" }.isEmpty, "\(temp)")
        // Who closed the case travels too, through both generations (the log's case.close, then the import's word).
        for store in [other, third] {
            let imported = try #require(try store.audit(object: "KS 2026/2").first { $0.action == .caseImport })
            #expect(imported.details.contains(#""closedBy":"anna""#), "\(imported.details)")
        }
        let a = try extract(first, into: f.dir), b = try extract(second, into: f.dir)
        let dataA = try FileManager.default.subpathsOfDirectory(atPath: "\(a)/representations").sorted()
        let dataB = try FileManager.default.subpathsOfDirectory(atPath: "\(b)/representations").sorted()
        #expect(dataA == dataB)
        // The content, byte for byte (the representation's METS and PREMIS name each package and its time).
        for path in dataA where path.hasPrefix("rep1/data/") && path.contains(".") {
            #expect(try sha256Hex(ofFile: "\(a)/representations/\(path)") == (try sha256Hex(ofFile: "\(b)/representations/\(path)")))
        }

        // The import logged the department keeping the series it made, so verify finds it moved behind Diarium's back.
        try DatabaseQueue(path: f.dir.file("other/catalog.sqlite")).write { db in
            try db.execute(sql: "UPDATE series SET department = 'BUN' WHERE code = 'KS'")
        }
        #expect(try other.verify().problems.map(\.message).contains("series KS is kept by BUN, but the log says KS"))
    }

    @Test func doctypeInERMSIsRefusedNamingTheFile() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        // A DOCTYPE with an external entity, and METS and PREMIS updated to match, so only the XML itself is wrong.
        try PackageEditing.editERMS(inPackage: root) { erms in
            erms.replacingOccurrences(of: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                                      with: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE erms [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n")
        }
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let before = try other.counts()
        // Held in memory, and streamed from a temp file as a large package's ERMS is.
        for inMemory in [1 << 20, 0] {
            var options = ImportOptions()
            options.metadataInMemoryBytes = inMemory
            expectFailure("\(METS.descriptivePath): XML refused at line 2") { try other.importPackage(at: root, options: options, actor: "arkivarie") }
        }
        #expect(try other.counts() == before)
    }

    /// What libxml2 leaves unbounded, in an ERMS held in memory and in one streamed from a temp file (a large
    /// package's): 50,000 levels of nesting (the streamed parse once crashed the process freeing them), a start tag of
    /// 100,000 attributes (minutes of CPU), and a document in UTF-16. Each is refused naming the file; nothing stored.
    @Test func hostileERMSIsRefusedWhereverItIsRead() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let before = try other.counts()
        let cases: [(String, (String) -> String, String)] = [
            ("deep", { $0.replacingOccurrences(of: "</control>", with: String(repeating: "<x>", count: 50_000) + String(repeating: "</x>", count: 50_000) + "</control>") },
             "elements nested more than 256 deep"),
            ("attributes", { $0.replacingOccurrences(of: "<control>", with: "<control " + (0..<100_000).map { "a\($0)=\"x\"" }.joined(separator: " ") + ">") },
             "an element with more than 256 attributes"),
            ("latin1", { $0.replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding=\"ISO-8859-1\"") },
             "its declaration says it is encoded in ISO-8859-1"),
        ]
        for (_, edit, expected) in cases {
            let root = try extract(out, into: f.dir)
            try PackageEditing.editERMS(inPackage: root, edit)
            for inMemory in [64 << 20, 0] {
                var options = ImportOptions()
                options.metadataInMemoryBytes = inMemory
                expectFailure("\(METS.descriptivePath): XML refused") { try other.importPackage(at: root, options: options, actor: "arkivarie") }
                expectFailure(expected) { try other.importPackage(at: root, options: options, actor: "arkivarie") }
            }
        }
        #expect(try other.counts() == before)
    }

    @Test func finalVersionsOnlyImportWithTheirNumbers() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("final.tar")
        let report = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, versions: .final,
                                                               output: out), actor: "arkivarie")
        #expect(report.documents == 3 && report.exportedVersions == 3)
        #expect(try Validators.earkErrors(out) == [])
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        _ = try other.importPackage(at: out, actor: "arkivarie")
        let plan = DocumentNumber(caseNumber: f.caseNumber, ordinal: 1)
        #expect(try other.history(plan).map(\.number) == [4])
        // The versions left out are not there: asked for, not found (not a damaged catalog).
        do {
            _ = try other.documentForAccess(plan, version: 2)
            Issue.record("version 2 of a history holding only version 4 was found")
        } catch {
            #expect(error.code == .notFound && error.field == "version" && error.message.contains("(it has 4)"), "\(error)")
        }
        #expect(try other.documentForAccess(plan, version: 4).later == [])
        #expect(try other.document(plan).current == (try f.service.document(plan).current))
        #expect(try other.verify().ok)
    }

    @Test func retentionRulesAreTakenOverOnlyWhereTheStoreHasNone() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let ks = SeriesCode(rawValue: "KS")!

        // A store with its own default for KS keeps it (warned), and takes over the letter rule it lacks.
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        _ = try other.addSeries(code: ks, name: "Kommunstyrelsen", actor: "admin")
        let own = try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 2, mandate: "KS 2020-01-01 § 1")
        _ = try other.setRetentionRule(own, actor: "admin")
        let report = try other.importPackage(at: out, actor: "arkivarie")
        #expect(report.retention == ["KS skrivelse: bevaras (RA-FS 1991:6)"])
        #expect(report.diagnostics.contains { $0.severity == .warning && $0.message.contains("this store's retention rule for KS (gallras 2 år") })
        #expect(try other.retentionSchedule(series: ks).map(\.mandate) == ["KS 2020-01-01 § 1", "RA-FS 1991:6"])
        let events = try other.audit().filter { $0.action == .retentionSet }
        #expect(events.count == 2 && events.last!.object == "KS/letter" && events.last!.details.contains("\"package\""))

        // Renumbered into another series, the cases fall under that series' schedule: nothing is taken over.
        let bun = SeriesCode(rawValue: "BUN")!
        _ = try f.service.addSeries(code: bun, name: "Barn- och utbildningsnämnden", actor: "admin")
        let renumbered = try f.service.importPackage(at: out, options: ImportOptions(numbering: .renumber(into: bun)), actor: "arkivarie")
        #expect(renumbered.retention.isEmpty)
        #expect(renumbered.diagnostics.contains { $0.message.contains("not taken over: its cases get numbers in BUN") })
        #expect(try f.service.retentionSchedule(series: bun).isEmpty)
    }

    @Test func clashingNumbersAreRefusedAndRenumberingKeepsTheOriginals() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let before = try f.snapshot()
        expectFailure("already in this store: KS 2026/1") { try f.service.importPackage(at: out, actor: "arkivarie") }
        #expect(try f.snapshot() == before)

        let report = try f.service.importPackage(at: out, options: ImportOptions(numbering: .renumber(into: SeriesCode(rawValue: "KS")!)),
                                                 actor: "arkivarie")
        #expect(report.cases.map(\.original) == ["KS 2026/1"])
        #expect(report.cases.map(\.assigned) == ["KS 2026/3"])
        #expect(try f.service.verify().ok)
        // Exported again, the copy names where it came from.
        let again = f.dir.file("again.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(try CaseNumber(parsing: "KS 2026/3")), format: .earkTar,
                                                      output: again), actor: "arkivarie")
        let root = try extract(again, into: f.dir)
        let erms = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(METS.descriptivePath)")), as: UTF8.self)
        #expect(erms.contains("<extraId extraIdType=\"externalReference\">KS 2026/1</extraId>"))
        #expect(erms.contains("<extraId extraIdType=\"externalReference\">KS 2026/1-2</extraId>"))
    }

    @Test func tamperedContentIsRefusedNamingTheFile() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let victim = try FileManager.default.subpathsOfDirectory(atPath: "\(root)/representations").first { $0.hasSuffix(".pdf") }!
        try Data("not the original".utf8).write(to: URL(fileURLWithPath: "\(root)/representations/\(victim)"))
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let before = try other.counts()
        expectFailure("METS.xml:") { try other.importPackage(at: root, actor: "arkivarie") }
        expectFailure("\(victim.split(separator: "/").last!) is 16 bytes, METS says SIZE") { try other.importPackage(at: root, actor: "arkivarie") }
        // Only damage: the package is damaged or incomplete (a copy cut off or changed on the way), not wrong as sent.
        do {
            _ = try other.importPackage(at: root, actor: "arkivarie")
            Issue.record("a changed file was imported")
        } catch {
            #expect(error.code == .unreadableFile && error.message.contains("is damaged or incomplete"), "\(error)")
        }
        #expect(try other.counts() == before)
        #expect(try other.store.blobs.allStoredDigests().isEmpty)
    }

    /// A representation METS cut off on the way is damage, as any other file's: the package is refused as damaged
    /// (deliver it again), naming it, not as invalid for what its broken XML says, and its files are not called unlisted.
    @Test func aRepresentationMETSCutOffIsDamageNotAnInvalidPackage() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let path = "\(root)/\(METS.representationPath)"
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let before = try other.counts()
        do {
            _ = try other.importPackage(at: root, options: ImportOptions(dryRun: true), actor: "arkivarie")
            Issue.record("a package with a damaged representation METS was read")
        } catch {
            #expect(error.code == .unreadableFile && error.message.contains("is damaged or incomplete"), "\(error)")
            #expect(error.message.contains("\(METS.representationPath) is \(whole.count / 2) bytes, METS says SIZE \(whole.count)"), "\(error)")
            #expect(!error.message.contains("malformed"), "\(error)")
        }
        #expect(try other.counts() == before)
        let sink: PackageReader.ContentSink = { _, produce throws(DiariumError) in
            var bytes: [UInt8] = []
            try produce { chunk throws(DiariumError) in bytes += chunk }
            return ReadPackage.FileDigest(sha256: SHA256Hex.of(bytes), size: Int64(bytes.count))
        }
        let read = try PackageReader.read(root, content: sink)
        #expect(read.errors.count == 1 && read.damagedFiles == [METS.representationPath], "\(read.diagnostics)")
        #expect(!read.diagnostics.contains { $0.message.contains("not listed") }, "\(read.diagnostics)")
    }

    /// A content file the representation's METS does not list has no checksum there: the reader warns that it ignores
    /// it, and the import refuses the document it would have been (a black-box review found it imported regardless).
    @Test func contentTheMETSDoesNotListIsNotImported() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let victim = try #require(try FileManager.default.subpathsOfDirectory(atPath: "\(root)/\(PackageEditing.representationFolder)")
            .first { $0.hasSuffix(".pdf") })
        let href = String(victim)
        try PackageEditing.editMetadata(PackageEditing.representationMETS, inPackage: root) { mets in
            // The mets:file whose FLocat names it, and the fptr that points at it.
            guard let locat = mets.range(of: "xlink:href=\"\(href)\""),
                  let start = mets[..<locat.lowerBound].range(of: "<mets:file ", options: .backwards),
                  let end = mets[locat.upperBound...].range(of: "</mets:file>") else { return mets }
            let element = String(mets[start.lowerBound..<end.upperBound])
            let id = try #require(element.firstMatch(of: /ID="([^"]+)"/)?.1)
            return mets.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "")
                .replacingOccurrences(of: #"<mets:fptr FILEID="\#(id)"/>"#, with: "")
        }
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let before = try other.counts()
        do {
            _ = try other.importPackage(at: root, actor: "arkivarie")
            Issue.record("content the METS does not list was imported")
        } catch {
            #expect(error.code == .invalidField && error.message.contains("\(PackageEditing.representationFolder)/\(href) is not listed in the package's METS"),
                    "\(error)")
        }
        #expect(try other.counts() == before)
        #expect(try other.store.blobs.allStoredDigests().isEmpty)
    }

    /// The third witness: METS made to agree with a changed file still leaves the ERMS's digest, and a package whose
    /// content is not what its ERMS says is damaged too, never imported.
    @Test func contentThatOnlyTheERMSContradictsIsDamaged() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try extract(out, into: f.dir)
        let victim = try #require(try FileManager.default.subpathsOfDirectory(atPath: "\(root)/representations").first { $0.hasSuffix(".pdf") })
        let path = "\(root)/representations/\(victim)"
        let changed = Data("not the original".utf8)
        try rewriteListed(path, with: changed, root: root)
        let now = try sha256Hex(ofFile: path)

        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        let before = try other.counts()
        do {
            _ = try other.importPackage(at: root, actor: "arkivarie")
            Issue.record("content the ERMS contradicts was imported")
        } catch {
            #expect(error.code == .unreadableFile && error.message.contains("is damaged or incomplete"), "\(error)")
            #expect(error.message.contains("is \(changed.count) bytes with SHA-256 \(now), ERMS says"), "\(error)")
        }
        #expect(try other.counts() == before)
        #expect(try other.store.blobs.allStoredDigests().isEmpty)
    }
}

/// Archives no honest tool writes, built with Python's tarfile/zipfile.
@Suite struct HostilePackageTests {
    func makeArchive(_ dir: TempDirectory, _ name: String, _ script: String) throws -> String {
        let path = dir.file(name)
        try runTool("/usr/bin/env", ["python3", "-c", """
            import io, sys, tarfile, zipfile
            path = sys.argv[1]
            def add(t, name, data=b"x", **kw):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                for k, v in kw.items(): setattr(info, k, v)
                t.addfile(info, io.BytesIO(data))
            \(script)
            """, path])
        return path
    }

    func refuses(_ script: String, name: String = "evil.tar", limits: ArchiveLimits = ArchiveLimits(), expecting phrase: String) throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let archive = try makeArchive(f.dir, name, script)
        let before = try f.snapshot()
        expectFailure(phrase) {
            try f.service.importPackage(at: archive, options: ImportOptions(limits: limits), actor: "arkivarie")
        }
        #expect(try f.snapshot() == before)
        // Nothing was written outside the store's temp area (e.g. beside the archive).
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.dir.path).sorted() == [name, "store"].sorted())
    }

    @Test func parentDirectoryPath() throws {
        try refuses("t = tarfile.open(path, 'w')\nadd(t, 'p/METS.xml')\nadd(t, 'p/../../escaped.txt')\nt.close()", expecting: "'..'")
    }

    @Test func absolutePath() throws {
        try refuses("t = tarfile.open(path, 'w')\nadd(t, '/tmp/diarium-escaped.txt')\nt.close()", expecting: "absolute")
    }

    @Test func symbolicLink() throws {
        try refuses("t = tarfile.open(path, 'w')\nadd(t, 'p/METS.xml', type=tarfile.SYMTYPE, linkname='/etc/passwd', size=0)\nt.close()",
                    expecting: "symbolic link")
    }

    @Test func hardLink() throws {
        try refuses("t = tarfile.open(path, 'w')\nadd(t, 'p/data', type=tarfile.LNKTYPE, linkname='/etc/passwd', size=0)\nt.close()",
                    expecting: "hard link")
    }

    @Test func deviceFile() throws {
        try refuses("t = tarfile.open(path, 'w')\nadd(t, 'p/dev', type=tarfile.CHRTYPE, devmajor=1, devminor=3, size=0)\nt.close()",
                    expecting: "special file")
    }

    @Test func zipBomb() throws {
        try refuses("""
            z = zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED)
            z.writestr('p/representations/rep1/data/bomb.bin', b'\\0' * (8 << 20))
            z.close()
            """, name: "evil.zip", limits: ArchiveLimits(maxEntries: 100, maxEntryBytes: 1 << 20, maxTotalBytes: 1 << 20),
            expecting: "larger than")
    }

    @Test func tooManyFiles() throws {
        try refuses("t = tarfile.open(path, 'w')\nfor i in range(50): add(t, 'p/f%d' % i)\nt.close()",
                    limits: ArchiveLimits(maxEntries: 20), expecting: "more than 20 entries")
    }

    @Test func doctypeWithExternalEntity() throws {
        try refuses("""
            t = tarfile.open(path, 'w')
            add(t, 'p/METS.xml', b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><mets xmlns="http://www.loc.gov/METS/">&x;</mets>')
            t.close()
            """, expecting: "DOCTYPE")
    }

    @Test func malformedMETS() throws {
        try refuses("""
            t = tarfile.open(path, 'w')
            add(t, 'p/METS.xml', b'<?xml version="1.0"?><mets xmlns="http://www.loc.gov/METS/" OBJID="x"><metsHdr/></mets>')
            t.close()
            """, expecting: "fileSec is missing")
        try refuses("""
            t = tarfile.open(path, 'w')
            add(t, 'p/METS.xml', b'<?xml version="1.0"?><mets xmlns="http://www.loc.gov/METS/"><fileSec>')
            t.close()
            """, expecting: "malformed XML")
    }

    @Test func symbolicLinkInADirectoryPackage() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let root = f.dir.file("pkg")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try f.dir.write("pkg/METS.xml", "<mets/>")
        symlink("/etc/passwd", "\(root)/passwd")
        let before = try f.snapshot()
        expectFailure("symbolic links are not allowed (target '/etc/passwd')") { try f.service.importPackage(at: root, actor: "arkivarie") }
        #expect(try f.snapshot() == before)
    }
}

@Suite struct ForeignPackageTests {
    /// A CSIP package as another tool writes it: Dublin Core descriptive metadata, one PDF and one text file.
    /// `descriptivePath`: where the descriptive metadata lies (CSIP says metadata/descriptive/, a METS may say
    /// otherwise); `representationXML`: an XML file added to the representation as `data/register.xml`.
    /// `representationMETS`: the representation's files listed in a METS of its own (`representations/rep1/METS.xml`,
    /// as CSIP allows), which the root METS lists instead.
    func foreignPackage(_ dir: TempDirectory, dublinCore: String? = nil, descriptivePath: String = "metadata/descriptive/dc.xml",
                        representationXML: String? = nil, representationXMLName: String = "register.xml",
                        representationMETS: Bool = false, alsoInRoot: Bool = false) throws -> String {
        let root = dir.file("foreign")
        var files = [
            (descriptivePath, dublinCore ?? """
                <?xml version="1.0" encoding="UTF-8"?>
                <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
                  <dc:title>Bygglov Storgatan 1</dc:title>
                  <dc:date>2024-05-17</dc:date>
                  <dc:creator>Byggnadsnämnden</dc:creator>
                  <dc:subject>bygglov</dc:subject>
                </oai_dc:dc>
                """),
            ("representations/rep1/data/ritning.pdf", "%PDF-1.4 not really"),
            ("representations/rep1/data/beslut.txt", "Bygglov beviljas."),
        ]
        if let representationXML { files.append(("representations/rep1/data/\(representationXMLName)", representationXML)) }
        for (path, text) in files {
            try FileManager.default.createDirectory(atPath: "\(root)/\((path as NSString).deletingLastPathComponent)",
                                                    withIntermediateDirectories: true)
            try dir.write("foreign/\(path)", text)
        }
        func attributes(_ path: String) throws -> String {
            let size = try FileManager.default.attributesOfItem(atPath: "\(root)/\(path)")[.size] as! Int
            return "SIZE=\"\(size)\" CHECKSUM=\"\(try sha256Hex(ofFile: "\(root)/\(path)"))\" CHECKSUMTYPE=\"SHA-256\""
        }
        func fileEntry(_ id: String, _ mediaType: String, _ path: String, href: String? = nil) throws -> String {
            """
                  <mets:file ID="\(id)" MIMETYPE="\(mediaType)" \(try attributes(path))>
                    <mets:FLocat LOCTYPE="URL" xlink:type="simple" xlink:href="\(href ?? path)"/>
                  </mets:file>
            """
        }
        let pdf = "representations/rep1/data/ritning.pdf", text = "representations/rep1/data/beslut.txt"
        if representationMETS {
            try dir.write("foreign/representations/rep1/METS.xml", """
                <?xml version="1.0" encoding="UTF-8"?>
                <mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" OBJID="other-tool-42-rep1">
                  <mets:fileSec>
                    <mets:fileGrp USE="Data">
                \(try fileEntry("r1", "application/pdf", pdf, href: "data/ritning.pdf"))
                \(try fileEntry("r2", "text/plain", text, href: "data/beslut.txt"))
                    </mets:fileGrp>
                  </mets:fileSec>
                  <mets:structMap TYPE="PHYSICAL"><mets:div LABEL="rep1"/></mets:structMap>
                </mets:mets>
                """)
        }
        let representationFiles = representationMETS
            ? try fileEntry("f0", "application/xml", "representations/rep1/METS.xml") + (alsoInRoot ? try fileEntry("f1", "application/pdf", pdf) : "")
            : try fileEntry("f1", "application/pdf", pdf) + "\n" + fileEntry("f2", "text/plain", text)
        try dir.write("foreign/METS.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink"
                       xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" OBJID="other-tool-42" TYPE="Mixed"
                       csip:CONTENTINFORMATIONTYPE="MIXED" PROFILE="https://earksip.dilcis.eu/profile/E-ARK-SIP.xml">
              <mets:metsHdr CREATEDATE="2024-05-20T12:00:00Z" csip:OAISPACKAGETYPE="SIP"/>
              <mets:dmdSec ID="dmd1" CREATED="2024-05-20T12:00:00Z">
                <mets:mdRef LOCTYPE="URL" xlink:type="simple" xlink:href="\(descriptivePath)" MDTYPE="DC"
                            MIMETYPE="application/xml" \(try attributes(descriptivePath))/>
              </mets:dmdSec>
              <mets:fileSec ID="fs">
                <mets:fileGrp ID="rep1" USE="Representations/rep1">
            \(representationFiles)
            \(representationXML == nil ? "" : try fileEntry("f3", representationXMLName.hasSuffix(".xml") ? "text/xml" : "application/octet-stream",
                                                           "representations/rep1/data/\(representationXMLName)"))
                </mets:fileGrp>
              </mets:fileSec>
              <mets:structMap TYPE="PHYSICAL" LABEL="CSIP"><mets:div LABEL="other-tool-42"/></mets:structMap>
            </mets:mets>
            """)
        return root
    }

    /// CSIP lets a representation list its files in a METS of its own: they are read and checked from there, and
    /// that METS is kept as an original like the root's.
    @Test func aRepresentationsOwnMETSListsItsFiles() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let root = try foreignPackage(f.dir, representationMETS: true)
        let report = try f.service.importPackage(at: root, options: ImportOptions(intoCase: f.caseNumber), actor: "arkivarie")
        #expect(Set(report.keptAsOriginal) == ["metadata/descriptive/dc.xml", "representations/rep1/METS.xml", "METS.xml"])
        #expect(!report.diagnostics.contains { $0.message.contains("not listed") }, "\(report.diagnostics)")
        let titles = try f.service.caseDetails(f.caseNumber).documents.map(\.current.metadata.title)
        #expect(titles.filter { $0.hasPrefix("Bygglov Storgatan 1 – ") }.sorted()
            == ["Bygglov Storgatan 1 – beslut.txt", "Bygglov Storgatan 1 – ritning.pdf"], "\(titles)")
        #expect(titles.count == 5)

        // A data file that is not what the representation's METS says: refused, naming that METS.
        let other = try Fixture()
        defer { other.dir.remove() }
        let before = try other.snapshot()
        let damaged = try foreignPackage(other.dir, representationMETS: true)
        try other.dir.write("foreign/representations/rep1/data/beslut.txt", "Bygglov avslås.")
        expectFailure("representations/rep1/METS.xml:") {
            try other.service.importPackage(at: damaged, options: ImportOptions(intoCase: other.caseNumber), actor: "arkivarie")
        }
        #expect(try other.snapshot() == before)

        // A file listed in the root METS as well as the representation's is one file, said so in a warning.
        let third = try Fixture()
        defer { third.dir.remove() }
        let twice = try foreignPackage(third.dir, representationMETS: true, alsoInRoot: true)
        let listedTwice = try third.service.importPackage(at: twice, options: ImportOptions(intoCase: third.caseNumber), actor: "arkivarie")
        #expect(listedTwice.diagnostics.contains { $0.severity == .warning && $0.message.contains("ritning.pdf is listed in METS.xml too") },
                "\(listedTwice.diagnostics)")
        #expect(try third.service.caseDetails(third.caseNumber).documents.count == 5)
    }

    /// An XML file another tool's package holds past what the restriction check reads into memory (64 MiB) cannot be
    /// checked for restricted records: refused, naming it, never attached unchecked; the store stays as it was.
    @Test(arguments: [false, true])
    func aForeignXMLFileTooLargeToCheckIsRefused(asMetadata: Bool) throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let limit = PackageReader.Options().maxDocumentBytes
        let records = String(repeating: "<record><title>Handling</title></record>\n", count: limit / 40 + 1)
        let large = "<?xml version=\"1.0\"?>\n<records>\n" + records + "</records>\n"
        let root = asMetadata ? try foreignPackage(f.dir, dublinCore: large, descriptivePath: "metadata/descriptive/register.xml")
                              : try foreignPackage(f.dir, representationXML: large)
        let tar = f.dir.file("foreign.tar")
        try runTool("/usr/bin/tar", ["-cf", tar, "-C", (root as NSString).deletingLastPathComponent, "foreign"])
        let before = try f.snapshot()
        let path = asMetadata ? "metadata/descriptive/register.xml" : "representations/rep1/data/register.xml"
        expectFailure("\(path) (\(large.utf8.count) bytes) is too large to be checked for restricted records") {
            try f.service.importPackage(at: tar, options: ImportOptions(intoCase: f.caseNumber), actor: "arkivarie")
        }
        #expect(try f.snapshot() == before)
    }

    @Test func foreignPackageGoesIntoTheNamedCaseWithAMappingReport() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let root = try foreignPackage(f.dir)
        expectFailure("--into-case") { try f.service.importPackage(at: root, actor: "arkivarie") }
        let tar = f.dir.file("foreign.tar")
        try runTool("/usr/bin/tar", ["-cf", tar, "-C", f.dir.path, "foreign"])
        let report = try f.service.importPackage(at: tar, options: ImportOptions(intoCase: f.caseNumber), actor: "arkivarie")
        #expect(report.kind == "foreign")
        #expect(report.mapped.count == 3)
        #expect(report.mapped.contains { $0.hasPrefix("metadata/descriptive/dc.xml:3 <title> → title") })
        #expect(Set(report.keptAsOriginal) == ["metadata/descriptive/dc.xml", "METS.xml"])
        let documents = try f.service.caseDetails(f.caseNumber).documents
        #expect(documents.count == 4)
        #expect(documents[0].current.metadata.title == "Bygglov Storgatan 1 – ritning.pdf")
        #expect(documents[0].current.metadata.documentDate == CalendarDate(year: 2024, month: 5, day: 17))
        #expect(documents[0].current.metadata.sender == "Byggnadsnämnden")
        #expect(documents[0].current.content?.mediaType == "application/pdf")
        #expect(documents.contains { $0.current.metadata.title == "Originalmetadata: METS.xml" })
        #expect(try f.service.verify().ok)
        #expect(try f.service.audit().last?.action == .packageImport)
    }

    /// Another tool's ERMS links each record to its files (appendix/@path): each file takes its own record's title,
    /// number, direction, parties and date, never the first ones anywhere in the document (the document's control
    /// date least of all), and the report lists what no field here holds.
    @Test func anotherToolsERMSMapsEachFileToItsOwnRecord() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let root = try foreignPackage(f.dir, dublinCore: """
            <?xml version="1.0" encoding="UTF-8"?>
            <erms xmlns="https://DILCIS.eu/XML/ERMS">
              <control><dates><date dateType="created">2019-01-01T00:00:00+01:00</date></dates></control>
              <aggregations>
                <aggregation systemIdentifier="BN 2019/15" aggregationType="caseFile">
                  <title>Bygglov för fritidshus</title>
                  <record systemIdentifier="BN 2019/15-1" recordType="ansökan">
                    <title>Ansökan om bygglov</title>
                    <keywords><keyword>bygglov</keyword></keywords>
                    <direction directionDefinition="incoming"/>
                    <agents><agent agentType="sender"><name>Åke Öst</name></agent></agents>
                    <dates><date dateType="received">2019-02-10T00:00:00+01:00</date></dates>
                    <additionalInformation><appendix name="Ritning.pdf" path="file:///representations/rep1/data/ritning.pdf"/></additionalInformation>
                  </record>
                  <record systemIdentifier="BN 2019/15-2"><title>Telefonanteckning</title></record>
                </aggregation>
                <aggregation systemIdentifier="BN 2019/16" aggregationType="caseFile">
                  <title>Sammanträde</title>
                  <record systemIdentifier="BN 2019/16-1" recordType="beslut">
                    <title>Beslut om bygglov</title>
                    <direction directionDefinition="outgoing"/>
                    <agents><agent agentType="receiver"><name>Åke Öst</name></agent></agents>
                    <dates><date dateType="decision">2019-06-19T00:00:00+02:00</date></dates>
                    <additionalInformation><appendix name="Beslut.txt" path="./representations/rep1/data/beslut%2Etxt"/></additionalInformation>
                  </record>
                </aggregation>
              </aggregations>
            </erms>
            """, descriptivePath: "metadata/descriptive/erms.xml")
        let report = try f.service.importPackage(at: root, options: ImportOptions(intoCase: f.caseNumber), actor: "arkivarie")
        let documents = try f.service.caseDetails(f.caseNumber).documents
        let drawing = try #require(documents.first { $0.current.content?.originalName == "ritning.pdf" }).current.metadata
        #expect(drawing.title == "Ansökan om bygglov (BN 2019/15-1)")
        #expect(drawing.direction == .incoming && drawing.sender == "Åke Öst" && drawing.recipient == nil)
        #expect(drawing.documentDate == CalendarDate(year: 2019, month: 2, day: 10))
        let decision = try #require(documents.first { $0.current.content?.originalName == "beslut.txt" }).current.metadata
        #expect(decision.title == "Beslut om bygglov (BN 2019/16-1)")
        #expect(decision.direction == .outgoing && decision.recipient == "Åke Öst" && decision.sender == nil)
        #expect(decision.documentDate == CalendarDate(year: 2019, month: 6, day: 19))
        // Its record type as Diarium's own spelling or the Swedish word ("beslut"); one Diarium has not is said.
        #expect(decision.recordType == .decision && drawing.recordType == .other)
        #expect(report.mapped.contains("metadata/descriptive/erms.xml:8 <title> → title (BN 2019/15-1)"), "\(report.mapped)")
        #expect(report.mapped.contains("metadata/descriptive/erms.xml:19 <record recordType> → recordType (BN 2019/16-1)"), "\(report.mapped)")
        #expect(!report.mapped.contains { $0.contains("BN 2019/15-2") }, "a record whose file is not here maps nothing")
        #expect(!report.mapped.contains { $0.contains("<date> → documentDate") && $0.contains(":3 ") }, "the control date was taken")
        let warnings = report.diagnostics.map(\.description)
        #expect(warnings.contains { $0.contains("record (BN 2019/15-1): <keywords> not taken over") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("record (BN 2019/15-2) names no file of the package") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("record (BN 2019/15-1): recordType 'ansökan' is not one of Diarium's") }, "\(warnings)")
        #expect(documents.contains { $0.current.metadata.title == "Originalmetadata: metadata/descriptive/erms.xml" })
    }

    /// Other tools wrap long values over lines and do not stop at Diarium's lengths: the values are folded to one
    /// line and cut, and the report says which were cut, instead of the whole import being refused.
    @Test func wrappedAndLongDublinCoreValuesAreFoldedAndCut() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let longCreator = (0..<120).map { "Nämnd\($0)" }.joined(separator: " ")
        let root = try foreignPackage(f.dir, dublinCore: """
            <?xml version="1.0" encoding="UTF-8"?>
            <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
              <dc:title>Bygglov
                \tStorgatan 1,
                andra våningen</dc:title>
              <dc:creator>\(longCreator)</dc:creator>
            </oai_dc:dc>
            """)
        let report = try f.service.importPackage(at: root, options: ImportOptions(intoCase: f.caseNumber), actor: "arkivarie")
        #expect(report.mapped.contains { $0.hasSuffix("<title> → title") })
        #expect(report.mapped.contains { $0.hasSuffix("<creator> → sender (shortened)") })
        let document = try f.service.caseDetails(f.caseNumber).documents[0].current.metadata
        #expect(document.title == "Bygglov Storgatan 1, andra våningen – ritning.pdf")
        let sender = try #require(document.sender)
        #expect(sender.unicodeScalars.count <= 500 && longCreator.hasPrefix(sender) && sender.count > 400)
        #expect(try f.service.verify().ok)
    }
}
