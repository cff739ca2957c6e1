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

        let out = cli.scratch.file("ks.zip")
        let exported = try #require(try cli.json(["export", "--series", "KS", "--format", "eark-zip", "--out", out]) as? [String: Any])
        #expect(exported["documents"] as? Int == 1 && exported["restrictedDocuments"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: out))

        // Usage errors name the option and exit 2; nothing is written.
        let bad = try cli.run(["export", "--series", "KS", "--case", caseNumber, "--format", "eark-tar", "--out", cli.scratch.file("x.tar")])
        #expect(bad.status == 2 && bad.stderr.contains("exactly one of --series, --case and --query"))
        let badFormat = try cli.run(["export", "--series", "KS", "--format", "rar", "--out", cli.scratch.file("x.rar")])
        #expect(badFormat.status == 2 && badFormat.stderr.contains("eark-tar, eark-zip, bagit"))
        #expect(!FileManager.default.fileExists(atPath: cli.scratch.file("x.tar")))

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
}
