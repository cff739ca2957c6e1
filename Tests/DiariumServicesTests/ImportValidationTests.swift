import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Testing

/// Packages and interchanges with content no honest exporter writes: refused (or rejected with a receipt) before
/// anything is published, leaving the store exactly as it was.
@Suite struct ImportValidationTests {
    /// The archive fixture's case KS 2026/1 exported and extracted, its ERMS changed by `edit`.
    func edited(_ f: Fixture, _ edit: (String) throws -> String) throws -> String {
        let out = f.dir.file("p-\(UUID().uuidString.prefix(6)).tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try PackageEditing.extract(out, into: f.dir)
        try PackageEditing.editERMS(inPackage: root, edit)
        return root
    }

    /// An empty store, and everything observable about it (rows, audit head, content files).
    func emptyStore(_ dir: TempDirectory, clock: FixedClock = FixedClock("2026-05-04T08:00:00.000Z"))
        throws -> (service: RecordsService, state: () throws -> String) {
        let path = dir.file("other-\(UUID().uuidString.prefix(6))")
        let service = try RecordsService.createStore(at: path, actor: "admin", clock: clock)
        return (service, {
            "\(try service.counts()) \(try FileManager.default.subpathsOfDirectory(atPath: "\(path)/objects").sorted()) "
                + (try service.audit(limit: 100_000).last?.hash ?? "")
        })
    }

    @Test func refusedPackagesLeaveTheStoreAsItWas() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let edits: [(String, (String) throws -> String)] = [
            ("attribute registeredAt", { try $0.replacingFirst(#"(<dx:document [^>]*registeredAt=")[^"]*""#, with: "$10000-01-01T00:00:00+01:00\"") }),
            ("attribute n", { try $0.replacingFirst(#"<dx:version n="1""#, with: "<dx:version n=\"9223372036854775807\"") }),
            ("KS 2026/1-1 occurs twice", { try $0.replacingFirst(#"<dx:document number="KS 2026/1-2""#, with: "<dx:document number=\"KS 2026/1-1\"") }),
            ("closedAt", { try $0.replacingFirst(#"(<dx:case [^>]*)status="open""#, with: "$1status=\"closed\"") }),
            ("attribute title", { try $0.replacingFirst(#"(<dx:case [^>]* title=")[^"]*""#, with: "$1 \"") }),
            ("attribute seriesName", { try $0.replacingFirst(#"(<dx:case [^>]* seriesName=")[^"]*""#, with: "$1 \"") }),
            ("aggregationType 'casefile'", { try $0.replacingFirst(#"aggregationType="caseFile""#, with: "aggregationType=\"casefile\"") }),
            ("'partiez'", { try $0.replacingFirst(#"hides="content parties""#, with: "hides=\"content partiez\"") }),
            ("OSL 26 kap. 1 §", { try $0.replacingFirst(#"<dx:restriction [^>]*/>"#, with: "") }),
            ("attribute mediaType", { try $0.replacingFirst(#"mediaType="[^"]*""#, with: "mediaType=\"text/html&#13;&#10;Set-Cookie: x=1\"") }),
            // The registration rule for file names: a bidirectional override would disguise the file's type.
            ("attribute originalName", { try $0.replacingFirst(#"originalName="[^"]*""#, with: "originalName=\"kvitto&#x202E;fdp.exe\"") }),
            ("attribute originalName", { try $0.replacingFirst(#"originalName="[^"]*""#, with: "originalName=\"../plan.txt\"") }),
            ("attribute originalName", { try $0.replacingFirst(#"originalName="[^"]*""#, with: "originalName=\"pub&#10;.txt\"") }),
        ]
        let (other, state) = try emptyStore(f.dir)
        let before = try state()
        for (phrase, edit) in edits {
            let package = try edited(f, edit)
            for dryRun in [true, false] {
                do {
                    _ = try other.importPackage(at: package, options: ImportOptions(dryRun: dryRun), actor: "arkivarie")
                    Issue.record("accepted: \(phrase)")
                } catch {
                    #expect(error.code == .invalidField, "\(error)")
                    #expect(error.message.contains(phrase) && error.message.contains("erms.xml:"), "\(error.message)")
                }
            }
            #expect(try state() == before, "\(phrase)")
        }
    }

    /// PREMIS's fixity of a file (its SHA-256 and size) must be the file's: a package whose preservation metadata
    /// contradicts its content is refused naming the PREMIS line, before anything is stored, as damaged (as content
    /// the ERMS contradicts is: its bytes are not those the exporter described). Both documents: the package's (its
    /// metadata files) and the representation's (its content files).
    @Test(arguments: [PackageEditing.premisPath, PackageEditing.representationPREMIS])
    func premisFixityThatContradictsTheFilesIsRefused(premis: String) throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let (other, state) = try emptyStore(f.dir)
        let before = try state()
        let edits: [(String, (String) throws -> String)] = [
            ("PREMIS says 00000", { try $0.replacingFirst(#"(<premis:messageDigest>)[0-9a-f]{5}"#, with: "$100000") }),
            ("bytes, PREMIS says 1", { try $0.replacingFirst(#"<premis:size>(\d+)</premis:size>"#, with: "<premis:size>1$1</premis:size>") }),
            // The algorithm as other tools name it is still SHA-256.
            ("PREMIS says x", { try $0.replacingFirst(#"(<premis:messageDigestAlgorithm>)SHA-256(</premis:messageDigestAlgorithm>\s*<premis:messageDigest>)[0-9a-f]"#,
                                                       with: "$1sha256$2x") }),
        ]
        for (phrase, edit) in edits {
            let out = f.dir.file("p-\(UUID().uuidString.prefix(6)).tar")
            _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
            let root = try PackageEditing.extract(out, into: f.dir)
            try PackageEditing.editMetadata(premis, inPackage: root, edit)
            // PREMIS held in memory, and streamed from a temp file as a large package's is.
            for inMemory in [1 << 20, 0] {
                var options = ImportOptions()
                options.metadataInMemoryBytes = inMemory
                do {
                    _ = try other.importPackage(at: root, options: options, actor: "arkivarie")
                    Issue.record("accepted: \(phrase)")
                } catch {
                    #expect(error.code == .unreadableFile && error.message.contains("damaged or incomplete"), "\(error)")
                    #expect(error.message.contains("\(premis):") && error.message.contains(phrase), "\(error.message)")
                }
            }
            #expect(try state() == before, "\(phrase)")
        }
        // An object that names no file of the package, and a digest by another algorithm, are left alone (each here
        // the first file object's, whose digest is made wrong too).
        let ignored: [(String) throws -> String] = [
            { try $0.replacingFirst(#"(<premis:object xsi:type="premis:file">\s*<premis:objectIdentifier>\s*<premis:objectIdentifierType>local</premis:objectIdentifierType>\s*<premis:objectIdentifierValue>)[^<]*"#,
                                    with: "$1urn:uuid:0b9e") },
            { try $0.replacingFirst(#"(<premis:messageDigestAlgorithm>)SHA-256"#, with: "$1MD5") },
        ]
        for edit in ignored {
            let out = f.dir.file("p-\(UUID().uuidString.prefix(6)).tar")
            _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
            let root = try PackageEditing.extract(out, into: f.dir)
            try PackageEditing.editMetadata(premis, inPackage: root) { text in
                try edit(text).replacingFirst(#"(<premis:messageDigest>)[0-9a-f]"#, with: "$1x")
            }
            #expect(try emptyStore(f.dir).service.importPackage(at: root, actor: "arkivarie").documents > 0)
        }
    }

    /// A package an older build wrote may hold a bidirectional control in a line (lines took them then): imported,
    /// the control dropped, so the text reads in its stored order. (A file's name never took them: refused, above.)
    @Test func bidirectionalControlsOfAnOlderPackageAreDropped() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let package = try edited(f) { try $0.replacingFirst(#"(<dx:case [^>]* title=")[^"]*""#, with: "$1Faktura &#x202E;fdp.exe\"") }
        let (other, _) = try emptyStore(f.dir)
        _ = try other.importPackage(at: package, actor: "arkivarie")
        #expect(try other.caseDetails(f.caseNumber).record.title == "Faktura fdp.exe")
    }

    @Test func numbersThatWouldRunPastNineDigitsAreRefused() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        // The largest case serial and document ordinal that can be written and read back: valid, and imported.
        let package = try edited(f) {
            $0.replacingOccurrences(of: "KS 2026/1-3", with: "KS 2026/1-999999999").replacingOccurrences(of: "KS 2026/1", with: "KS 2026/999999999")
        }
        let (other, state) = try emptyStore(f.dir)
        _ = try other.importPackage(at: package, actor: "arkivarie")
        let last = try CaseNumber(parsing: "KS 2026/999999999")
        #expect(try other.caseDetails(last).documents.map(\.number.ordinal) == [1, 2, 999_999_999])
        let before = try state()
        let ks = SeriesCode(rawValue: "KS")!
        // The next case or document would print a number nothing can read: refused, naming the last one.
        for attempt in [
            { _ = try other.openCase(NewCase(series: ks, title: "Nästa"), actor: "anna") },
            { _ = try other.register([NewDocument(file: nil, metadata: DocumentMetadata(title: "Nästa", recordType: .letter))], in: last, actor: "anna") },
            { _ = try other.importPackage(at: package, options: ImportOptions(numbering: .renumber(into: ks)), actor: "arkivarie") },
        ] as [() throws -> Void] {
            do {
                try attempt()
                Issue.record("a number past 999999999 was handed out")
            } catch {
                #expect((error as? DiariumError)?.code == .invalidState, "\(error)")
                #expect("\(error)".contains("999999999"), "\(error)")
            }
        }
        #expect(try state() == before)
    }

    @Test func versionNumbersRunOutWithAClearError() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        // KS 2026/1-3 (a paper letter, one version) arrives at the largest version number: imported, but no change after it.
        let package = try edited(f) {
            try $0.replacingFirst(#"(<dx:document number="KS 2026/1-3"[^>]*>\s*<dx:version )n="1""#, with: "$1n=\"999999999\"")
        }
        let (other, state) = try emptyStore(f.dir)
        _ = try other.importPackage(at: package, actor: "arkivarie")
        let letter = try DocumentNumber(parsing: "KS 2026/1-3")
        #expect(try other.document(letter).current.number == 999_999_999)
        let before = try state()
        var change = MetadataChange()
        change.title = "Brev på papper (rättad)"
        for attempt in [
            { _ = try other.update(letter, change, comment: nil, actor: "anna") },
            { _ = try other.archive(letter, comment: nil, actor: "anna") },   // final as registered (inkommen)
        ] as [() throws -> Void] {
            do {
                try attempt()
                Issue.record("a version past 999999999 was made")
            } catch {
                #expect((error as? DiariumError)?.code == .invalidState, "\(error)")
                #expect("\(error)".contains("KS 2026/1-3") && "\(error)".contains("999999999"), "\(error)")
            }
        }
        #expect(try state() == before)
    }

    @Test func intoCaseRefusesRestrictedRecords() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let target = try Fixture()
        defer { target.dir.remove() }
        let before = try target.snapshot()
        // KS 2026/1-2 is restricted: registered into a case it would lose its restriction, and erms.xml (its title and
        // parties) would be attached as a public original.
        let whole = try edited(f) { $0 }
        // Also when only the standard ERMS <restriction> says so.
        let standardOnly = try edited(f) { $0.replacingOccurrences(of: #"<dx:restriction [^>]*/>"#, with: "", options: .regularExpression) }
        for package in [whole, standardOnly] {
            do {
                _ = try target.service.importPackage(at: package, options: ImportOptions(intoCase: target.caseNumber), actor: "arkivarie")
                Issue.record("restricted records were registered unrestricted")
            } catch {
                #expect(error.code == .invalidField, "\(error)")
                #expect(error.message.contains("KS 2026/1-2") && error.message.contains("--into-series"), "\(error.message)")
            }
        }
        #expect(try target.snapshot() == before)
        // A metadata file that cannot be read cannot be checked: refused too, not attached unchecked (its bytes
        // could hold an ERMS restriction the parser never got to).
        let unreadable = try ForeignPackageTests().foreignPackage(f.dir, dublinCore: """
            <?xml version="1.0"?><!DOCTYPE dc [<!ENTITY x "y">]><dc><title>&x;</title></dc>
            """)
        expectFailure("metadata/descriptive/dc.xml cannot be checked for restricted records") {
            try target.service.importPackage(at: unreadable, options: ImportOptions(intoCase: target.caseNumber), actor: "arkivarie")
        }
        #expect(try target.snapshot() == before)
        // Restricted records in XML outside metadata/: descriptive metadata the METS points elsewhere, and a
        // representation file that is an ERMS itself.
        let restrictedERMS = """
            <?xml version="1.0"?><erms xmlns="https://DILCIS.eu/XML/ERMS"><aggregations><aggregation aggregationType="caseFile">
            <records><record systemIdentifier="SN 2024/3-1"><restriction><regulation>OSL 26 kap. 1 §</regulation></restriction>
            </record></records></aggregation></aggregations></erms>
            """
        let dirs = [try TempDirectory(), try TempDirectory(), try TempDirectory(), try TempDirectory()]
        defer { dirs.forEach { $0.remove() } }
        for package in [
            try ForeignPackageTests().foreignPackage(dirs[0], dublinCore: restrictedERMS, descriptivePath: "descriptive/erms.xml"),
            try ForeignPackageTests().foreignPackage(dirs[1], representationXML: restrictedERMS),
            // Named anything, typed as anything: it starts like XML.
            try ForeignPackageTests().foreignPackage(dirs[2], representationXML: "\u{FEFF}" + restrictedERMS, representationXMLName: "register.dat"),
        ] {
            expectFailure("holds restricted records: SN 2024/3-1") {
                try target.service.importPackage(at: package, options: ImportOptions(intoCase: target.caseNumber), actor: "arkivarie")
            }
            #expect(try target.snapshot() == before)
        }
        // A file that only starts like XML and is none (HTML) is content like any other.
        let html = try ForeignPackageTests().foreignPackage(dirs[3], representationXML: "<html><body><p>Hej<br></body></html>",
                                                            representationXMLName: "sida.html")
        let report = try target.service.importPackage(at: html, options: ImportOptions(intoCase: target.caseNumber), actor: "arkivarie")
        #expect(report.documents == 5, "three representation files, dc.xml and METS.xml: \(report)")
    }

    /// Text arrives in NFD from another tool (a decomposed "ö"): stored in NFC, as every text here is, so a later
    /// correction of another field changes only that field, and verify agrees with the log.
    @Test func importedTextIsStoredInNFC() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let decomposed = "Handlingsplan fo\u{308}r klimat"
        let package = try edited(f) {
            $0.replacingOccurrences(of: "Handlingsplan för klimat", with: decomposed)
                .replacingOccurrences(of: #"title="Klimatplan""#, with: "title=\"Klimatpla\u{308}n \"")
        }
        let (other, _) = try emptyStore(f.dir)
        _ = try other.importPackage(at: package, actor: "arkivarie")
        let number = DocumentNumber(caseNumber: f.caseNumber, ordinal: 1)
        let imported = try other.document(number)
        let scalars = imported.current.metadata.title.unicodeScalars
        #expect(scalars.contains("\u{F6}") && !scalars.contains("\u{308}"), "\(Array(scalars))")
        // The case's own text too, trimmed like a registration's.
        #expect(Array(try other.caseDetails(f.caseNumber).record.title.unicodeScalars) == Array("Klimatpl\u{E4}n".unicodeScalars))
        var change = MetadataChange()
        change.sender = .some("Kommunledningskontoret")
        _ = try other.update(number, change, comment: nil, actor: "admin")
        let problems = try other.verify().problems
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func importingAPackageAgainIsWarnedAbout() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let package = try edited(f) { $0 }
        let into = ImportOptions(numbering: .renumber(into: SeriesCode(rawValue: "KS")!))
        let first = try f.service.importPackage(at: package, options: into, actor: "arkivarie")
        #expect(!first.diagnostics.contains { $0.message.contains("already imported") })
        let again = try f.service.importPackage(at: package, options: into, actor: "arkivarie")
        let warning = try #require(again.diagnostics.first { $0.message.contains("already imported") })
        #expect(warning.severity == .warning && warning.message.contains(first.packageID) && warning.message.contains("2026-03-01"))
        #expect(again.cases.map(\.assigned) != first.cases.map(\.assigned))

        // Packages from other tools too.
        let foreign = try ForeignPackageTests().foreignPackage(f.dir)
        let open = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Bygglov"), actor: "anna").number
        let once = try f.service.importPackage(at: foreign, options: ImportOptions(intoCase: open), actor: "arkivarie")
        #expect(!once.diagnostics.contains { $0.message.contains("already imported") })
        let twice = try f.service.importPackage(at: foreign, options: ImportOptions(dryRun: true, intoCase: open), actor: "arkivarie")
        #expect(twice.diagnostics.contains { $0.severity == .warning && $0.message.contains("other-tool-42 was already imported") })
    }

    @Test func aForeignImportIsOneTransaction() throws {
        // The documents and the package.import event (with its package_imports row) commit together: when recording
        // the import fails, no document is left behind without it.
        let target = try Fixture()
        defer { target.dir.remove() }
        let package = try ForeignPackageTests().foreignPackage(target.dir)
        try target.rawCatalog().write { db in
            try db.execute(sql: "CREATE TRIGGER refuse_import BEFORE INSERT ON package_imports BEGIN SELECT RAISE(ABORT, 'refused'); END")
        }
        let before = try target.service.counts()
        #expect(throws: DiariumError.self) {
            try target.service.importPackage(at: package, options: ImportOptions(intoCase: target.caseNumber), actor: "arkivarie")
        }
        #expect(try target.service.counts() == before)
    }

    @Test func bagManifestsWithCRLFAndTabsAreRead() throws {
        // RFC 8493: lines may end in CRLF (or CR), and the checksum and path may be separated by spaces or tabs.
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("bag.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .bagit, output: out), actor: "arkivarie")
        let bag = try PackageEditing.extract(out, into: f.dir)
        let manifest = "\(bag)/manifest-sha256.txt"
        let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: manifest)), as: UTF8.self).split(separator: "\n")
        let rewritten = try lines.enumerated().map { i, line -> String in
            let space = try #require(line.firstIndex(of: " "))
            return String(line[..<space]) + (i % 2 == 0 ? "\t" : " \t ") + String(line[line.index(after: space)...])
        }.joined(separator: "\r\n") + "\r\n"
        try Data(rewritten.utf8).write(to: URL(fileURLWithPath: manifest))
        try restateTagManifest(bag)
        let (other, _) = try emptyStore(f.dir)
        let report = try other.importPackage(at: bag, options: ImportOptions(dryRun: true), actor: "arkivarie")
        #expect(report.documents == 3, "\(report.diagnostics)")
        // A line that is not "checksum path" still names its line.
        try Data((rewritten + "nonsense\r\n").utf8).write(to: URL(fileURLWithPath: manifest))
        try restateTagManifest(bag)
        expectFailure("manifest-sha256.txt:\(lines.count + 1): malformed manifest line") {
            try other.importPackage(at: bag, options: ImportOptions(dryRun: true), actor: "arkivarie")
        }
        // A payload file changed on the way: the bag's manifest and METS both say so, and the bag is damaged.
        try Data(rewritten.utf8).write(to: URL(fileURLWithPath: manifest))
        try restateTagManifest(bag)
        let victim = try #require(FileManager.default.subpathsOfDirectory(atPath: "\(bag)/data/representations").first { $0.hasSuffix(".pdf") })
        try Data("not the original".utf8).write(to: URL(fileURLWithPath: "\(bag)/data/representations/\(victim)"))
        do {
            _ = try other.importPackage(at: bag, options: ImportOptions(dryRun: true), actor: "arkivarie")
            Issue.record("a changed payload file was imported")
        } catch {
            #expect(error.code == .unreadableFile && error.message.contains("manifest-sha256.txt:"), "\(error)")
        }
    }
}

/// The checksums in a bag's tag manifest made to match its tag files again, as a tool that edits a bag on purpose would.
func restateTagManifest(_ bag: String) throws {
    let path = "\(bag)/tagmanifest-sha256.txt"
    let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self).split(separator: "\n")
    let restated = try lines.map { line -> String in
        let name = String(line.split(separator: " ", maxSplits: 1)[1].drop { $0 == " " })
        return "\(try sha256Hex(ofFile: "\(bag)/\(name)"))  \(name)"
    }
    try Data((restated.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
}

extension ImportValidationTests {
    /// What a bag says of itself beyond its payload manifest is held to what it holds (a black-box review found
    /// neither checked): the tag manifest's checksums of its tag files, and Payload-Oxum's size and count of its
    /// payload; both are damage on the way. A manifest line naming a path out of the payload is invalid, not missing.
    @Test func aBagsTagManifestAndPayloadOxumAreChecked() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let out = f.dir.file("bag.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .bagit, output: out), actor: "arkivarie")
        let bag = try PackageEditing.extract(out, into: f.dir)
        let (other, _) = try emptyStore(f.dir)
        func refused(_ code: DiariumError.Code, _ phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try other.importPackage(at: bag, options: ImportOptions(dryRun: true), actor: "arkivarie")
                Issue.record("imported: \(phrase)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.code == code && error.message.contains(phrase), "\(error)", sourceLocation: sourceLocation)
            }
        }
        let info = "\(bag)/bag-info.txt"
        // The export states its Payload-Oxum (and the import checks it, or the dry run at the end fails): left out here.
        let stated = String(decoding: try Data(contentsOf: URL(fileURLWithPath: info)), as: UTF8.self)
        #expect(stated.contains("Payload-Oxum: "))
        let original = Data(stated.split(separator: "\n").filter { !$0.hasPrefix("Payload-Oxum:") }.map { $0 + "\n" }.joined().utf8)
        try (original + Data("Contact-Name: Någon annan\n".utf8)).write(to: URL(fileURLWithPath: info))
        refused(.unreadableFile, "tagmanifest-sha256.txt:")
        refused(.unreadableFile, "bag-info.txt: SHA-256 is")

        let payload = try FileManager.default.subpathsOfDirectory(atPath: "\(bag)/data").filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(bag)/data/\($0)", isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let octets = try payload.reduce(0) { $0 + (try Data(contentsOf: URL(fileURLWithPath: "\(bag)/data/\($1)")).count) }
        try (original + Data("Payload-Oxum: \(octets + 1).\(payload.count)\n".utf8)).write(to: URL(fileURLWithPath: info))
        try restateTagManifest(bag)
        refused(.unreadableFile, "the payload is \(octets) bytes in \(payload.count) files, Payload-Oxum says \(octets + 1) in \(payload.count)")
        try (original + Data("Payload-Oxum: \(octets).\(payload.count)\n".utf8)).write(to: URL(fileURLWithPath: info))
        try restateTagManifest(bag)
        #expect(try other.importPackage(at: bag, options: ImportOptions(dryRun: true), actor: "arkivarie").documents == 3)

        let manifest = "\(bag)/manifest-sha256.txt"
        let listed = try Data(contentsOf: URL(fileURLWithPath: manifest))
        for path in ["../../etc/passwd", "/etc/passwd", "data/../bagit.txt", "bag-info.txt"] {
            try (listed + Data("\(String(repeating: "ab", count: 32)) \(path)\n".utf8)).write(to: URL(fileURLWithPath: manifest))
            try restateTagManifest(bag)
            refused(.invalidField, "'\(path)' is not the path of a payload file")
        }
    }
}

/// Interchanges whose package holds such content: a rejection receipt naming the problem, never a storage error, and
/// nothing registered or published.
@Suite struct ExchangeRejectionTests {
    /// `package` (a package directory) sent to `receiver` (party timra-bun, receiving sundsvall-ks into KS) as `reference`.
    func receive(_ package: String, at receiver: Fixture, reference: String) throws -> ReceiveResult {
        let exchange = ExchangeService(records: receiver.service)
        if try exchange.parties().isEmpty {
            try exchange.setIdentity(PartyID(rawValue: "timra-bun")!, actor: "admin")
            _ = try exchange.addParty(NewParty(id: PartyID(rawValue: "sundsvall-ks")!, name: "Sundsvall",
                                               receivingSeries: SeriesCode(rawValue: "KS")!), actor: "admin")
        }
        let tar = try PackageEditing.tar(package, as: "\(reference).tar")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: tar)))
        let envelope = try Envelope(
            sender: PartyID(rawValue: "sundsvall-ks")!, recipient: PartyID(rawValue: "timra-bun")!, controlReference: ControlReference(rawValue: reference)!,
            created: Timestamp.parse("2026-03-01T09:00:00.000Z")!, messageType: .caseTransfer,
            content: .payload(try PayloadDescriptor(name: "\(reference).tar", size: Int64(bytes.count), sha256: SHA256Hex.of(bytes), format: .earkSIP)))
        return try exchange.receive(envelope, payloadAt: tar, records: receiver.service, actor: "inbox")
    }

    /// A case transfer hands over one case: a package of two sent as one is rejected with a receipt saying so (a
    /// black-box review had it registered as two), and nothing registered.
    @Test func aCaseTransferOfTwoCasesIsRejected() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let receiver = try Fixture()
        defer { receiver.dir.remove() }
        let out = f.dir.file("series.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .series(SeriesCode(rawValue: "KS")!, year: nil), format: .earkTar, output: out),
                                        actor: "arkivarie")
        let before = try receiver.service.counts()
        let result = try receive(try PackageEditing.extract(out, into: f.dir), at: receiver, reference: "TWOCASES1")
        #expect(result.receipt.status == .rejected)
        #expect(result.receipt.diagnostics.contains { $0.message.contains("a caseTransfer carries one case, and the package holds 2") },
                "\(result.receipt.diagnostics)")
        #expect(try receiver.service.counts().documents == before.documents && (try receiver.service.counts()).cases == before.cases)
    }

    @Test func contentTheCatalogWouldRefuseIsRejectedWithAReceipt() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let receiver = try Fixture()
        defer { receiver.dir.remove() }
        let before = try receiver.service.counts()
        let objects = try FileManager.default.subpathsOfDirectory(atPath: receiver.dir.file("store/objects"))
        let cases: [(String, String, (String) throws -> String)] = [
            ("DUPDOC1", "KS 2026/1-1 occurs twice", { try $0.replacingFirst(#"<dx:document number="KS 2026/1-2""#, with: "<dx:document number=\"KS 2026/1-1\"") }),
            ("CLOSED1", "closedAt", { try $0.replacingFirst(#"(<dx:case [^>]*)status="open""#, with: "$1status=\"closed\"") }),
            ("NOTCASE1", "aggregationType", { try $0.replacingFirst(#"aggregationType="caseFile""#, with: "aggregationType=\"casefile\"") }),
            ("YEAR01", "registeredAt", { try $0.replacingFirst(#"(<dx:document [^>]*registeredAt=")[^"]*""#, with: "$10000-01-01T00:00:00+01:00\"") }),
        ]
        for (reference, phrase, edit) in cases {
            let package = try ImportValidationTests().edited(f, edit)
            let result = try receive(package, at: receiver, reference: reference)
            #expect(result.receipt.status == .rejected, "\(reference)")
            #expect(result.receipt.diagnostics.contains { $0.message.contains(phrase) && $0.code == "invalid-field" },
                    "\(result.receipt.diagnostics)")
            #expect(result.record.status == .rejected)
        }
        let after = try receiver.service.counts()
        #expect(after.cases == before.cases && after.documents == before.documents && after.blobs == before.blobs)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: receiver.dir.file("store/objects")) == objects)
        #expect(try receiver.service.verify().ok)
    }

    @Test func aTransferThatRegistersNothingIsRejected() throws {
        // A case without documents: "accepted" would tell the sender it may delete its copy of nothing.
        let sender = try Fixture()
        defer { sender.dir.remove() }
        let out = sender.dir.file("empty.tar")
        _ = try sender.service.exportPackage(ExportRequest(selection: .case(sender.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let receiver = try Fixture()
        defer { receiver.dir.remove() }
        let before = try receiver.service.counts()
        let result = try receive(try PackageEditing.extract(out, into: sender.dir), at: receiver, reference: "EMPTY1")
        #expect(result.receipt.status == .rejected)
        #expect(result.receipt.diagnostics.contains { $0.message.contains("no document") }, "\(result.receipt.diagnostics)")
        let after = try receiver.service.counts()
        #expect(after.cases == before.cases && after.documents == before.documents)
    }
}
