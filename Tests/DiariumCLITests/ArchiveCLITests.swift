import DiariumTesting
import Foundation
import Testing

@Suite struct ArchiveCLITests {
    @Test func exportAndImportThroughTheBinary() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let caseNumber = try cli.ok(["case", "open", "--series", "KS", "--title", "Arkivering"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let file = try cli.scratch.write("Beslut å.txt", "Beslut om arkivering.\n")
        try cli.ok(["register", file, "--case", caseNumber, "--type", "decision", "--restrict", "secrecy", "--legal", "OSL 21 kap. 7 §"])

        // No organisation yet: the export says so, and how to name it.
        let unnamed = try cli.run(["export", "--series", "KS", "--format", "eark-tar", "--out", cli.scratch.file("unnamed.tar")])
        #expect(unnamed.status == 0 && unnamed.stderr.contains("names no archival creator"))
        #expect(unnamed.stdout.contains("content formats (PRONOM): 1 x-fmt/111 (Plain Text File)\n"), "\(unnamed.stdout)")
        #expect(try cli.ok(["organisation"]).contains("no organisation set"))
        let wrongDigit = try cli.run(["organisation", "set", "Exempelby kommun", "--code", "212000-1356"])
        #expect(wrongDigit.status == 2 && wrongDigit.stderr.contains("check digit"))
        #expect(try cli.ok(["organisation", "set", "Exempelby kommun", "--code", "212000-1355"]) == "Exempelby kommun\tORG:2120001355\n")
        #expect(try cli.ok(["organisation", "show"]) == "Exempelby kommun\tORG:2120001355\n")
        // A new name alone keeps the code; --no-code is how it goes.
        #expect(try cli.ok(["organisation", "set", "Exempelby"]) == "Exempelby\tORG:2120001355\n")
        #expect(try cli.ok(["organisation", "set", "Exempelby", "--no-code"]) == "Exempelby\t-\n")
        #expect(try cli.run(["organisation", "set", "X", "--code", "212000-1355", "--no-code"]).status == 64)
        #expect(try cli.ok(["organisation", "set", "Exempelby kommun", "--code", "212000-1355"]) == "Exempelby kommun\tORG:2120001355\n")
        let codeAlone = try cli.run(["export", "--series", "KS", "--format", "eark-tar", "--out", cli.scratch.file("x.tar"), "--archive-code", "ISIL:SE-EXA"])
        #expect(codeAlone.status == 2 && codeAlone.stderr.contains("--archive-code goes with --archive"))

        let out = cli.scratch.file("ks.zip")
        let exported = try #require(try cli.json(["export", "--series", "KS", "--format", "eark-zip", "--out", out, "--archive", "Stadsarkivet",
                                                  "--submission-agreement", "LÖ 2026:3"]) as? [String: Any])
        #expect(exported["documents"] as? Int == 1 && exported["restrictedDocuments"] as? Int == 1)
        #expect((exported["archivalCreator"] as? [String: Any])?["code"] as? String == "ORG:2120001355")
        let formats = try #require(exported["formats"] as? [[String: Any]])
        #expect(formats.count == 1 && (formats.first?["format"] as? [String: Any])?["puid"] as? String == "x-fmt/111"
                && formats.first?["files"] as? Int == 1 && exported["unidentifiedFiles"] as? Int == 0, "\(formats)")
        // A package of restricted records is not for every local account (the store's own files are 0640).
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int)
        #expect(mode & 0o007 == 0, "\(String(mode, radix: 8))")
        let mets = try runTool("/usr/bin/unzip", ["-p", out, "*/METS.xml", "-x", "*/representations/*"])
        #expect(mets.contains("<mets:name>Exempelby kommun</mets:name>") && mets.contains("<mets:name>Stadsarkivet</mets:name>"))

        // Usage errors name the option and exit 2; nothing is written.
        let bad = try cli.run(["export", "--series", "KS", "--case", caseNumber, "--format", "eark-tar", "--out", cli.scratch.file("x.tar")])
        #expect(bad.status == 2 && bad.stderr.contains("exactly one of --series, --case and --query"))
        let badFormat = try cli.run(["export", "--series", "KS", "--format", "rar", "--out", cli.scratch.file("x.rar")])
        #expect(badFormat.status == 2 && badFormat.stderr.contains("eark-tar, eark-zip, bagit"))
        for (format, name, phrase) in [("bagit", "x.zip", "bagit is written as a tar, not a zip"), ("eark-zip", "x.tar", "eark-zip is written as a zip, not a tar"),
                                       ("eark-tar", "x.tgz", "eark-tar is written as a tar, not a gzip")] {
            let misnamed = try cli.run(["export", "--series", "KS", "--format", format, "--out", cli.scratch.file(name)])
            #expect(misnamed.status == 2 && misnamed.stderr.contains(phrase), "\(misnamed.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cli.scratch.file(name)))
        }
        #expect(!FileManager.default.fileExists(atPath: cli.scratch.file("x.tar")))
        // Never into the store (a package named catalog.sqlite replaced the catalog; found by a black-box review): nor
        // a download, nor through a link to it.
        try FileManager.default.createSymbolicLink(atPath: cli.scratch.file("via-link"), withDestinationPath: cli.store)
        for arguments in [["export", "--series", "KS", "--format", "eark-tar", "--out", "\(cli.store)/catalog.sqlite"],
                          ["export", "--series", "KS", "--format", "eark-tar", "--out", "\(cli.store)/tmp/new/x.tar"],
                          ["export", "--series", "KS", "--format", "eark-tar", "--out", cli.scratch.file("via-link/objects/x.tar")],
                          ["get", "\(caseNumber)-1", "-o", "\(cli.store)/catalog.sqlite"]] {
            let inside = try cli.run(arguments)
            #expect(inside.status == 2 && inside.stderr.contains("is inside the store"), "\(arguments): \(inside.stderr)")
        }
        #expect(try cli.ok(["verify"]).contains("OK"))
        // A long name that is legal is written (its temp name was too long for the file system).
        let long = cli.scratch.file(String(repeating: "b", count: 240) + ".tar")
        try cli.ok(["export", "--series", "KS", "--format", "eark-tar", "--out", long])
        #expect(FileManager.default.fileExists(atPath: long))
        try FileManager.default.removeItem(atPath: long)

        // Same numbers again: refused with exit 4, and the store is unchanged.
        let clash = try cli.run(["import", out])
        #expect(clash.status == 4 && clash.stderr.contains("already in this store"))

        let other = try CLIRunner(store: cli.scratch.file("other"))
        try other.ok(["init"])
        #expect(try other.ok(["import", out, "--dry-run"]).contains("would import package"))
        let imported = try #require(try other.json(["import", out]) as? [String: Any])
        #expect(imported["documents"] as? Int == 1 && imported["versions"] as? Int == 1)
        #expect(try other.ok(["verify"]).contains("OK"))
        let shown = try #require(try other.json(["show", "\(caseNumber)-1"]) as? [String: Any])
        let current = try #require(shown["current"] as? [String: Any])
        let metadata = try #require(current["metadata"] as? [String: Any])
        #expect((metadata["restriction"] as? [String: Any])?["legalReference"] as? String == "OSL 21 kap. 7 §")

        // A file that is not a package: exit 2 with the reason.
        let junk = try cli.scratch.write("junk.tar", "not an archive at all")
        let refused = try other.run(["import", junk])
        #expect(refused.status == 6 || refused.status == 2)
        #expect(!refused.stderr.isEmpty)
    }

    /// A package whose METS libxml2 cannot convert from its declared encoding is refused, and libxml2's own report,
    /// which quotes bytes of the input, never reaches stderr: only the refusal does.
    @Test func undecodableMetadataIsRefusedWithoutLibxmlPrintingItsBytes() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        let package = cli.scratch.file("p")
        try FileManager.default.createDirectory(atPath: package, withIntermediateDirectories: true)
        let mets = Data("<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?>\n<mets:mets xmlns:mets=\"http://www.loc.gov/METS/\">\u{1B}$B".utf8)
            + Data([0xFF, 0xFE]) + Data("</mets:mets>\n".utf8)
        try mets.write(to: URL(fileURLWithPath: "\(package)/METS.xml"))
        let refused = try cli.run(["import", package, "--dry-run"])
        #expect(refused.status == 2 && refused.stderr.contains("METS.xml"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("encoding error") && !refused.stderr.contains("0xFF") && !refused.stderr.contains("encoder error"),
                "\(refused.stderr)")
    }

    @Test func retentionScheduleThroughTheBinary() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        #expect(try cli.ok(["retention", "set", "KS", "--dispose-after", "10", "--mandate", "KS 2024-03-12 § 45", "--schedule", "IHP KS 2024"])
                == "KS\t*\tgallras 10 år efter ärendets avslutande\tKS 2024-03-12 § 45\tIHP KS 2024\n")
        let letter = try #require(try cli.json(["retention", "set", "KS", "--type", "letter", "--keep", "--mandate", "RA-FS 1991:6"]) as? [String: Any])
        #expect(letter["action"] as? String == "keep" && letter["recordType"] as? String == "letter" && letter["years"] == nil)
        #expect(try cli.ok(["retention", "list", "--series", "KS"]).split(separator: "\n").map { $0.split(separator: "\t")[1] } == ["*", "letter"])

        // Mistakes name what is wrong, exit 2, and change nothing.
        for (arguments, phrase) in [
            (["retention", "set", "KS", "--keep", "--dispose-after", "3", "--mandate", "x"], "exactly one of --keep and --dispose-after"),
            (["retention", "set", "KS", "--mandate", "x"], "exactly one of --keep and --dispose-after"),
            (["retention", "set", "KS", "--type", "memo", "--keep", "--mandate", "x"], "unknown type 'memo'"),
            (["retention", "set", "KS", "--dispose-after", "5000", "--mandate", "x"], "between 0 and 1000"),
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 2 && result.stderr.contains(phrase), "\(arguments): \(result.stderr)")
        }
        let missing = try cli.run(["retention", "set", "BUN", "--keep", "--mandate", "x"])
        #expect(missing.status != 0 && missing.stderr.contains("series BUN does not exist"))

        try cli.ok(["retention", "remove", "KS", "--type", "letter"])
        let again = try cli.run(["retention", "remove", "KS", "--type", "letter"])
        #expect(again.status != 0 && again.stderr.contains("no retention rule for letter in series KS"))
        #expect(try cli.ok(["retention", "list"]).split(separator: "\n").count == 1)
        #expect(try cli.ok(["audit"]).contains("retention.set"))
    }

    @Test func classificationStructureThroughTheBinary() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        #expect(try cli.ok(["class", "set", "2", "--title", "Stödprocesser", "--keep", "--mandate", "RA-FS 1991:6"])
                == "2\tStödprocesser\tbevaras\tRA-FS 1991:6\t\n")
        try cli.ok(["class", "set", "2.4", "--title", "Bygglov", "--dispose-after", "10", "--mandate", "KS 2024 § 45", "--schedule", "IHP 2024"])
        let leaf = try #require(try cli.json(["class", "set", "2.4.1", "--title", "Strandskydd"]) as? [String: Any])
        #expect(leaf["code"] as? String == "2.4.1" && leaf["retention"] == nil)
        #expect(try cli.ok(["class", "list", "--under", "2.4"]).split(separator: "\n").map { $0.split(separator: "\t")[0] } == ["  2.4", "    2.4.1"])
        let absent = try cli.run(["class", "list", "--under", "7"])
        #expect(absent.status == 3 && absent.stderr.contains("no class 7"), "\(absent.stderr)")
        #expect(try cli.ok(["class", "show", "2.4.1"]).contains("rule: from class 2.4: gallras 10 år efter ärendets avslutande (KS 2024 § 45, IHP 2024)"))
        // Rules for record types: a line each in the listing, under their class.
        #expect(try cli.ok(["class", "set-rule", "2.4", "--type", "letter", "--dispose-after", "2", "--mandate", "KS 2024 § 47"])
                == "2.4\tBygglov\tgallras 10 år efter ärendets avslutande\tKS 2024 § 45\tIHP 2024\n"
                 + "2.4\t[letter]\tgallras 2 år efter ärendets avslutande\tKS 2024 § 47\t\n")
        #expect(try cli.ok(["class", "list"]).contains("  2.4\t[letter]\tgallras 2 år"))
        #expect(try cli.ok(["class", "show", "2.4"]).contains("rule for letter: gallras 2 år efter ärendets avslutande (KS 2024 § 47)"))
        #expect(try cli.ok(["class", "show", "2.4.1"]).contains("rule for letter: from class 2.4: gallras 2 år efter ärendets avslutande (KS 2024 § 47)"))
        let typed = try #require(try cli.json(["class", "show", "2.4"]) as? [String: Any])
        #expect(((typed["typeRetention"] as? [String: Any])?["letter"] as? [String: Any])?["years"] as? Int == 2)
        try cli.ok(["class", "remove-rule", "2.4", "--type", "letter"])
        #expect(try !cli.ok(["class", "list"]).contains("[letter]"))
        // A title corrected alone keeps the class's description and rule (it dropped the rule, and documents became due
        // under the series' rule); --no-rule removes it, --description "" clears the description.
        try cli.ok(["class", "set", "2.4", "--title", "Bygglov", "--description", "Lov enligt PBL", "--dispose-after", "10", "--mandate", "KS 2024 § 45"])
        let corrected = try #require(try cli.json(["class", "set", "2.4", "--title", "Bygglov (rättad)"]) as? [String: Any])
        #expect((corrected["retention"] as? [String: Any])?["years"] as? Int == 10 && corrected["description"] as? String == "Lov enligt PBL", "\(corrected)")
        let bare = try #require(try cli.json(["class", "set", "2.4", "--title", "Bygglov", "--no-rule", "--description", ""]) as? [String: Any])
        #expect(bare["retention"] == nil && bare["description"] == nil, "\(bare)")
        try cli.ok(["class", "set", "2.4", "--title", "Bygglov", "--dispose-after", "10", "--mandate", "KS 2024 § 45", "--schedule", "IHP 2024"])

        for (arguments, phrase) in [
            (["class", "set", "3.1", "--title", "X"], "add 3 first"),
            (["class", "set", "3", "--title", "X", "--mandate", "x"], "go with a rule"),
            (["class", "set", "3", "--title", "X", "--keep"], "needs its --mandate"),
            (["class", "set", "3", "--title", "X", "--keep", "--dispose-after", "2", "--mandate", "x"], "not both"),
            (["class", "set", "3..1", "--title", "X"], "invalid classification code"),
            (["class", "set", "2.4", "--title", "X", "--no-rule", "--keep", "--mandate", "x"], "--no-rule contradicts"),
            (["class", "set-rule", "2.4", "--type", "invoice", "--keep", "--mandate", "x"], "invoice"),
            (["class", "set-rule", "2.4", "--type", "letter", "--mandate", "x"], "exactly one of --keep and --dispose-after"),
            (["case", "open", "--series", "KS", "--title", "Bygglov", "--class", "9.9"], "class 9.9 is not in the classification structure"),
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 2 && result.stderr.contains(phrase), "\(arguments): \(result.stderr)")
        }
        for (arguments, phrase) in [
            (["class", "set-rule", "9", "--type", "letter", "--keep", "--mandate", "x"], "class 9 is not in the classification structure"),
            (["class", "remove-rule", "2.4", "--type", "letter"], "class 2.4 has no rule for letter"),
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 3 && result.stderr.contains(phrase), "\(arguments): \(result.stderr)")
        }
        try cli.ok(["case", "open", "--series", "KS", "--title", "Bygglov", "--class", "2.4.1"])
        let inUse = try cli.run(["class", "remove", "2.4.1"])
        #expect(inUse.status != 0 && inUse.stderr.contains("in use by 1 case(s)"))
        try cli.ok(["class", "set", "2.5", "--title", "Oanvänd"])
        try cli.ok(["class", "remove", "2.5"])
        #expect(try cli.ok(["class", "list"]).split(separator: "\n").count == 3)
        #expect(try cli.ok(["audit"]).contains("class.remove"))
        #expect(try cli.ok(["verify"]).contains("OK"))
    }

    /// Records no honest exporter writes (here one document twice in its case): `import` refuses with exit 2 naming the
    /// line, `exchange receive` answers with a rejection receipt (exit 9), never a storage failure (exit 7); neither
    /// registers anything.
    @Test func recordsTheCatalogWouldRefuseAreRefusedNotAStorageFailure() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let caseNumber = try cli.ok(["case", "open", "--series", "KS", "--title", "Arkivering"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try cli.ok(["register", try cli.scratch.write("beslut.txt", "Beslut.\n"), "--case", caseNumber, "--type", "decision"])
        let exported = cli.scratch.file("ks.tar")
        try cli.ok(["export", "--case", caseNumber, "--format", "eark-tar", "--out", exported])
        let root = try PackageEditing.extract(exported, into: cli.scratch)
        try PackageEditing.editERMS(inPackage: root) { erms in
            guard let record = erms.range(of: #"(?s)<record .*?</record>"#, options: .regularExpression) else { return erms }
            return erms.replacingCharacters(in: record, with: erms[record] + "\n" + erms[record])
        }
        let package = try PackageEditing.tar(root, as: "DUP1.tar")

        let other = try CLIRunner(store: cli.scratch.file("other"))
        try other.ok(["init"])
        try other.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let refused = try other.run(["import", package])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("erms.xml:") && refused.stderr.contains("\(caseNumber)-1 occurs twice"), "\(refused.stderr)")

        try other.ok(["exchange", "identity", "timra-bun"])
        try other.ok(["party", "add", "Sundsvalls kommun, KS", "--id", "sundsvall-ks", "--token", "cli-shared-token-0123456789abcdef",
                      "--series", "KS"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: package))
        try cli.scratch.write("DUP1.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <ex:interchange xmlns:ex="urn:x-diarium:exchange:1" version="1">
              <ex:sender>sundsvall-ks</ex:sender>
              <ex:recipient>timra-bun</ex:recipient>
              <ex:controlReference>DUP1</ex:controlReference>
              <ex:created>2026-12-03T09:00:00.000Z</ex:created>
              <ex:messageType>caseTransfer</ex:messageType>
              <ex:payload name="DUP1.tar" size="\(bytes.count)" sha256="\(try sha256Hex(ofFile: package))" format="eark-sip"/>
            </ex:interchange>
            """)
        try FileManager.default.moveItem(atPath: package, toPath: cli.scratch.file("DUP1.tar"))
        let rejected = try other.run(["exchange", "receive", cli.scratch.file("DUP1.xml"), "--from", "sundsvall-ks"])
        #expect(rejected.status == 9, "\(rejected.stdout) \(rejected.stderr)")
        #expect(rejected.stdout.contains("occurs twice"), "\(rejected.stdout)")
        let receipt = try String(contentsOfFile: cli.scratch.file("DUP1.receipt.xml"), encoding: .utf8)
        #expect(receipt.contains("status=\"rejected\""))
        #expect(try other.ok(["case", "list"]).isEmpty)
        #expect(try other.ok(["verify"]).contains("OK"))
    }
}
