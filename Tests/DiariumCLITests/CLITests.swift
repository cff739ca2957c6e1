import DiariumStorage
import DiariumTesting
import Foundation
import GRDB
import Testing

@Suite struct CLITests {
    /// A store with series KS and one case; returns the case number the CLI printed.
    func prepared() throws -> (CLIRunner, String) {
        let cli = try CLIRunner()
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"], user: "admin")
        let number = try cli.ok(["case", "open", "--series", "KS", "--title", "Klimatanpassning", "--class", "2.4"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return (cli, number)
    }

    /// `--version` is the program's at the top, and a document's version in `show` and `get`, whose help lists only that.
    @Test func versionMeansTheProgramsOnlyAtTheTop() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try cli.ok(["--version"]) == "0.1.0\n")
        let help = try cli.ok(["show", "--help"])
        #expect(help.contains("--version <version>") && !help.contains("Show the version"), "\(help)")
    }

    /// A list with nothing in it says so on stderr, and what would fill it; stdout stays empty for scripts.
    @Test func anEmptyListSaysSo() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        let expected: [([String], String)] = [
            (["series", "list"], "no series yet"), (["case", "list"], "no cases yet"), (["case", "list", "--status", "closed"], "no case matches"),
            (["class", "list"], "the classification structure is empty"), (["retention", "list"], "nothing is due for disposal until one is set"),
            (["hold", "list"], "no legal hold is in force"), (["hold", "list", "--all"], "no legal hold has been placed"),
            (["party", "list"], "no parties yet"), (["exchange", "list"], "no interchanges yet"), (["public", "list"], "no documents registered yet"),
            (["user", "list"], "no users yet"), (["token", "list"], "no tokens"),
        ]
        for (arguments, note) in expected {
            let result = try cli.run(arguments, user: "admin")
            #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.contains(note), "\(arguments): \(result.stderr)")
            let json = try cli.run(arguments + ["--json"], user: "admin")
            #expect(json.status == 0 && json.stderr.isEmpty, "\(arguments) --json: \(json.stderr)")
        }
        // A store in a folder that does not exist: a mistyped path, not found (3), as backup and restore say it.
        let nowhere = try cli.run(["init", "--store", cli.scratch.file("saknas") + "/store"])
        #expect(nowhere.status == 3 && nowhere.stderr.contains("saknas does not exist"), "\(nowhere.stderr)")
        // Nor among someone's documents (a README and dotfiles are fine: the repository's Storage/ has them).
        let documents = cli.scratch.file("dokument")
        try FileManager.default.createDirectory(atPath: documents, withIntermediateDirectories: false)
        _ = try cli.scratch.write("dokument/protokoll.docx", "x")
        let crowded = try cli.run(["init", "--store", documents])
        #expect(crowded.status == 4 && crowded.stderr.contains("already holds other files (protokoll.docx)"), "\(crowded.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: documents) == ["protokoll.docx"], "nothing made there")
        let readme = cli.scratch.file("med-readme")
        try FileManager.default.createDirectory(atPath: readme, withIntermediateDirectories: false)
        _ = try cli.scratch.write("med-readme/README.md", "# Store")
        _ = try cli.scratch.write("med-readme/.gitignore", "*")
        #expect(try cli.run(["init", "--store", readme]).status == 0)
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"], user: "admin")
        let number = try cli.ok(["case", "open", "--series", "KS", "--title", "Ett ärende"]).trimmingCharacters(in: .newlines)
        #expect(try cli.ok(["case", "list"]) == "\(number)\topen\t0 documents\tEtt ärende\n")
        // Found by the words of its title, before it holds a document; words that match nothing say so.
        #expect(try cli.ok(["case", "list", "--title", "ÄRENDE ett"]) == "\(number)\topen\t0 documents\tEtt ärende\n")
        #expect(try cli.ok(["case", "list", "--title", "ären*"]).hasPrefix(number))
        let none = try cli.run(["case", "list", "--title", "bygglov"])
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr.contains("no case matches"), "\(none.stderr)")
        let short = try cli.run(["case", "list", "--title", "är*"])
        #expect(short.status == 2 && short.stderr.contains("title: the prefix 'är*' is too short"), "\(short.stderr)")
        // A word to leave out is refused by the filter, with where to go instead (not taken for a missing value).
        let excluding = try cli.run(["case", "list", "--title", "-ärende"])
        #expect(excluding.status == 2 && excluding.stderr.contains("title: '-ärende': every word given must be in the title"), "\(excluding.stderr)")
        // An option after --title means its words were forgotten.
        let forgotten = try cli.run(["case", "list", "--title", "--json"])
        #expect(forgotten.status == 2 && forgotten.stderr.contains("--title needs the words to look for: it got the option '--json'"), "\(forgotten.stderr)")
    }

    /// What a registrar types: a letter kept on paper registered with its title alone; a type in any case or in
    /// Swedish, a series in lower case; and in a batch, the file whose name cannot be a title is named.
    @Test func aRegistrarsWays() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let paper = try cli.ok(["register", "--case", caseNumber, "--type", "Letter", "--direction", "incoming",
                                "--title", "Brev från Anna Andersson"]).trimmingCharacters(in: .newlines)
        let shown = try #require(try cli.json(["show", paper]) as? [String: Any])
        let current = try #require(shown["current"] as? [String: Any])
        #expect(current["content"] == nil && (current["metadata"] as? [String: Any])?["recordType"] as? String == "letter")
        #expect(try cli.ok(["show", paper]).contains("Direction        incoming (inkommande)\n"))
        // Final as registered (inkommen); its scan, made later, is taken once, and then its content is fixed.
        #expect(try cli.ok(["show", paper]).contains("Status           final\n"))
        try cli.ok(["version", "add", paper, try cli.scratch.write("skanning.txt", "Brev från Anna Andersson")])
        let rescan = try cli.run(["version", "add", paper, try cli.scratch.write("skanning2.txt", "Brev, igen")])
        #expect(rescan.status == 4 && rescan.stderr.contains("is final and takes no new content"), "\(rescan.stderr)")
        // A title made of a file's name is public while the parties are hidden: the registrar is told.
        let named = try cli.run(["register", try cli.scratch.write("Ansökan Eva Ek.txt", "Ansökan"), "--case", caseNumber, "--type", "brev",
                                 "--direction", "incoming", "--restrict", "integritet", "--legal", "OSL 26 kap. 1 §", "--hide", "parter,innehåll"])
        #expect(named.status == 0 && named.stderr.contains("the title is the file's name and public, though the restriction hides the parties"),
                "\(named.stderr)")
        // An internal draft that in fact came in: corrected to incoming, it is final from a version of its own.
        let reply = try cli.ok(["register", "--case", caseNumber, "--type", "letter", "--title", "Remissvar"]).trimmingCharacters(in: .newlines)
        let corrected = try cli.run(["update", reply, "--direction", "inkommande"])
        #expect(corrected.status == 0 && corrected.stdout == "\(reply) version 3\n" && corrected.stderr.contains("it is final (inkommen)"),
                "\(corrected.stdout) \(corrected.stderr)")
        #expect(try cli.ok(["show", reply]).contains("Status           final\n"))
        // A restriction's ground and a case's status in Swedish too.
        let secret = try cli.ok(["register", "--case", caseNumber, "--type", "letter", "--title", "Anmälan",
                                 "--restrict", "Sekretess", "--legal", "OSL 26 kap. 1 §"]).trimmingCharacters(in: .newlines)
        #expect(try cli.ok(["show", secret]).contains("Restriction      secrecy, OSL 26 kap. 1 §"))
        #expect(try cli.ok(["case", "list", "--status", "pågående"]).contains(caseNumber))
        // Numbers as typed: the series in any case, as --series takes it.
        #expect(try cli.ok(["show", paper.lowercased()]).hasPrefix("Document         \(paper)\n"))
        #expect(try cli.ok(["case", "show", caseNumber.lowercased()]).contains(caseNumber))
        #expect(try cli.ok(["hold", "list", "--on", caseNumber.lowercased()]).isEmpty)
        let untitled = try cli.run(["register", "--case", caseNumber, "--type", "letter"])
        #expect(untitled.status == 2 && untitled.stderr.contains("--title for a document kept on paper"))
        try cli.ok(["register", "--case", caseNumber, "--type", "beslut", "--title", "Beslut"])
        #expect(try cli.ok(["case", "list", "--series", "ks"]).contains(caseNumber))

        let good = try cli.scratch.write("hamn.txt", "Fiskehamnen")
        let bad = try cli.scratch.write("bad\tname.txt", "Tabb i namnet")
        let batch = try cli.run(["register", good, bad, "--case", caseNumber, "--type", "other"])
        #expect(batch.status == 2 && batch.stderr.contains("\(bad): the title made from the file name is refused"), "\(batch.stderr)")
        // With a title the file's name is still kept, and refused naming the file.
        let titled = try cli.run(["register", good, bad, "--case", caseNumber, "--type", "other", "--title", "Med titel"])
        #expect(titled.status == 2 && titled.stderr.contains("\(bad): the file's name cannot be kept"), "\(titled.stderr)")
        // An escape sequence in a name goes to the terminal as text, not as a command to it.
        let escaping = try cli.scratch.write("esc\u{1B}]0;PWNED\u{07}.txt", "Escape")
        let escaped = try cli.run(["register", escaping, "--case", caseNumber, "--type", "other"])
        #expect(escaped.status == 2 && !escaped.stderr.contains("\u{1B}") && escaped.stderr.contains("esc\\u{1B}]0;PWNED\\u{7}.txt"), "\(escaped.stderr)")
        #expect(try cli.ok(["case", "show", caseNumber]).components(separatedBy: "\n").filter { $0.contains("hamn") }.isEmpty, "nothing registered")
        // The same bytes twice in one batch (a glob and a name, two copies of a scan): both registered, and said.
        let copy = try cli.scratch.write("hamn-kopia.txt", "Fiskehamnen")
        let twice = try cli.run(["register", good, copy, good, "--case", caseNumber, "--type", "other"])
        let numbers = twice.stdout.split(separator: "\n").map(String.init)
        #expect(twice.status == 0 && numbers.count == 3, "\(twice.stderr)")
        #expect(twice.stderr.contains("note: \(numbers[1]) (hamn-kopia.txt) has the same content as \(numbers[0]) (hamn.txt)"), "\(twice.stderr)")
        #expect(twice.stderr.contains("note: \(numbers[2]) (hamn.txt) has the same content as \(numbers[0]) (hamn.txt)"), "\(twice.stderr)")

        // A script that opens or closes a case gets the version its next --if-version takes.
        let opened = try #require(try cli.json(["case", "open", "--series", "ks", "--title", "Ny"]) as? [String: Any])
        let number = try #require(opened["number"] as? String)
        #expect(opened["version"] as? Int == 1)
        let closed = try #require(try cli.json(["case", "close", number, "--if-version", "1"]) as? [String: Any])
        #expect(closed["version"] as? Int == 2 && closed["status"] as? String == "closed")
        // --store and --as before the command, as git takes them; a command without such an option says so.
        let other = cli.scratch.file("other-store")
        #expect(try cli.run(["--store", other, "init"]).status == 0)
        try cli.ok(["--store=\(other)", "--as", "bo", "series", "add", "BN", "--name", "Byggnadsnämnden"])
        #expect(try cli.ok(["--store", other, "series", "list"]).contains("BN") && !(try cli.ok(["series", "list"])).contains("BN"))
        let added = try #require(try cli.json(["--store", other, "audit", "BN", "--json"]) as? [[String: Any]])
        #expect(added.first?["actor"] as? String == "bo")
        let misplaced = try cli.run(["--as", "bo", "search", "plan"])
        #expect(misplaced.status == 64 && misplaced.stderr.contains("--as"), "\(misplaced.stderr)")

        // Closing a case that still holds drafts is allowed, and says which.
        let drafts = try #require(try cli.json(["case", "open", "--series", "ks", "--title", "Med utkast"]) as? [String: Any])
        let withDrafts = try #require(drafts["number"] as? String)
        let draft = try cli.ok(["register", "--case", withDrafts, "--type", "letter", "--title", "Utkast"]).trimmingCharacters(in: .newlines)
        let closing = try cli.run(["case", "close", withDrafts])
        #expect(closing.status == 0 && closing.stderr.contains("still has 1 draft document(s): \(draft)"), "\(closing.stderr)")
        // Its draft takes no new content now (what the retention period runs over is what it held), but is finalised.
        let late = try cli.run(["version", "add", draft, try cli.scratch.write("v2.txt", "Ny version")])
        #expect(late.status == 4 && late.stderr.contains("is closed: its documents take no new content"), "\(late.stderr)")
        try cli.ok(["finalise", draft])
    }

    @Test func clerkWorkflow() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        #expect(caseNumber.hasPrefix("KS ") && caseNumber.hasSuffix("/1"))
        #expect(caseNumber.contains("\(year)") || caseNumber.contains("\(year + 1)"))

        let plan = try cli.scratch.write("Handlingsplan 2026.pdf", testBytes(count: 300_000, seed: 7))
        let decision = try cli.scratch.write("beslut.txt", "Kommunstyrelsen beslutar att anta planen.\n")
        let numbers = try cli.ok(["register", plan, decision, "--case", caseNumber, "--type", "actionPlan",
                                  "--date", "2026-03-01", "--sender", "Miljöförvaltningen"]).split(separator: "\n").map(String.init)
        #expect(numbers == ["\(caseNumber)-1", "\(caseNumber)-2"])

        let shown = try #require(try cli.json(["show", numbers[0]]) as? [String: Any])
        #expect(shown["number"] as? String == numbers[0])
        let current = try #require(shown["current"] as? [String: Any])
        let metadata = try #require(current["metadata"] as? [String: Any])
        #expect(metadata["title"] as? String == "Handlingsplan 2026")
        #expect(metadata["recordType"] as? String == "actionPlan")
        #expect(metadata["documentDate"] as? String == "2026-03-01")
        let content = try #require(current["content"] as? [String: Any])
        #expect(content["sha256"] as? String == (try sha256Hex(ofFile: plan)))
        #expect(content["mediaType"] as? String == "application/pdf")
        #expect(content["originalName"] as? String == "Handlingsplan 2026.pdf")

        let revised = try cli.scratch.write("plan-v2.pdf", testBytes(count: 1000, seed: 8))
        #expect(try cli.ok(["version", "add", numbers[0], revised, "--comment", "efter remiss"]).contains("version 2"))
        try cli.ok(["update", numbers[0], "--title", "Handlingsplan för klimatanpassning", "--comment", "titel"])
        try cli.ok(["finalise", numbers[0]])

        // Bytes come back identical, for every version, to a file or to stdout.
        let out1 = cli.scratch.file("v1.pdf"), out2 = cli.scratch.file("v2.pdf")
        try cli.ok(["get", numbers[0], "--version", "1", "-o", out1])
        try cli.ok(["get", numbers[0], "-o", out2])
        #expect(FileManager.default.contents(atPath: out1) == FileManager.default.contents(atPath: plan))
        #expect(FileManager.default.contents(atPath: out2) == FileManager.default.contents(atPath: revised))
        #expect(try cli.ok(["get", numbers[1]]) == "Kommunstyrelsen beslutar att anta planen.\n")

        let history = try #require(try cli.json(["history", numbers[0]]) as? [[String: Any]])
        #expect(history.map { $0["change"] as? String } == ["registered", "content", "metadata", "status"])
        #expect(history.map { $0["author"] as? String }.allSatisfy { $0 == "anna" })
        #expect(try cli.ok(["history", numbers[0]]).split(separator: "\n").count == 4)

        let caseShown = try #require(try cli.json(["case", "show", caseNumber]) as? [String: Any])
        #expect((caseShown["documents"] as? [Any])?.count == 2)
        #expect(try cli.ok(["case", "list"]).contains(caseNumber))
        #expect(try cli.ok(["series", "list"]).contains("Kommunstyrelsen"))

        let events = try #require(try cli.json(["audit", caseNumber]) as? [[String: Any]])
        #expect(events.map { $0["action"] as? String } == ["case.open", "document.register", "document.register",
                                                             "document.version", "document.update", "document.finalise"])
        #expect((try cli.json(["audit", caseNumber.lowercased()]) as? [[String: Any]])?.count == events.count, "typed in lower case")
        // A series code in lower case is the series (it exists); a case that does not exist is not found, not an empty log.
        #expect(try cli.ok(["audit", "ks"]).contains("\tKS\t"))
        let unknown = try cli.run(["audit", "KS 2026/99"])
        #expect(unknown.status == 3 && unknown.stderr.contains("KS 2026/99"), "\(unknown.stderr)")
        #expect(try cli.run(["audit", "store"]).status == 0, "lower-case objects stay as typed")
        #expect(try cli.ok(["verify"]).contains("OK"))
        let report = try #require(try cli.json(["verify"]) as? [String: Any])
        #expect((report["problems"] as? [Any])?.isEmpty == true)
        #expect(report["blobsChecked"] as? Int == 3)
    }

    @Test func backupMakesAStoreThatVerifiesOnItsOwn() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        try cli.ok(["register", try cli.scratch.write("brev.txt", "Hej"), "--case", caseNumber, "--type", "letter"])
        let target = cli.scratch.file("kopia")
        let printed = try cli.ok(["backup", target])
        #expect(printed.contains("Backed up to \(target): 1 content files (3 bytes)"), "\(printed)")
        #expect(try cli.run(["verify", "--store", target]).status == 0)
        let again = try cli.run(["backup", target])
        #expect(again.status == 4 && again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(try cli.ok(["audit"]).contains("store.backup"))
        #expect(try cli.ok(["backups"]).contains("\t\(target)\tpresent\tholds nothing disposed of since"))

        // Restored into a new store, which verifies and logs who restored it from where.
        let restored = cli.scratch.file("återställd")
        let said = try cli.run(["restore", target, "--store", restored], user: "drift")
        #expect(said.status == 0 && said.stdout.contains("Restored \(target) to \(restored): 1 content files (3 bytes)"), "\(said.stdout)\(said.stderr)")
        #expect(said.stderr.contains("what was registered or changed after the backup was made is not in the restored store"))
        #expect(try cli.run(["verify", "--store", restored]).status == 0)
        #expect(try cli.ok(["audit", "--store", restored]).contains("store.restore"))
        let over = try cli.run(["restore", target, "--store", restored])
        #expect(over.status == 4 && over.stderr.contains("already exists"), "\(over.stderr)")
    }

    /// A case title is withheld only on a stated ground: `--public-title` needs `--restrict` and `--legal`.
    @Test func aCaseTitleIsRestrictedOnlyWithALegalGround() throws {
        let (cli, _) = try prepared()
        defer { cli.remove() }
        let open = ["case", "open", "--series", "KS", "--title", "Ansökan om bistånd, Åsa Öberg", "--public-title", "Ansökan om bistånd"]
        let refused = try cli.run(open)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("legal reference"), "\(refused.stderr)")
        #expect(try cli.run(open + ["--restrict", "privacy"]).status == 2)
        let number = try cli.ok(open + ["--restrict", "privacy", "--legal", "OSL 26 kap. 1 §", "--restrict-until", "2096-01-01"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(number.hasSuffix("/2"))
        #expect(try cli.ok(["case", "show", number]).contains("privacy, OSL 26 kap. 1 § (hides the title) until 2096-01-01"))
        let shown = try #require(try cli.json(["case", "show", number]) as? [String: Any])
        let restriction = try #require((shown["case"] as? [String: Any])?["restriction"] as? [String: Any])
        #expect(restriction["hides"] as? [String] == ["title"] && restriction["legalReference"] as? String == "OSL 26 kap. 1 §")
        // Due for review the day after its last day.
        #expect(try cli.ok(["restrictions", "--as-of", "2096-01-01"]).isEmpty)
        let due = try cli.ok(["restrictions", "--as-of", "2096-01-02"])
        #expect(due.contains("\(number)\tcase\tlast day 2096-01-01\tprivacy, OSL 26 kap. 1 § (hides title)"), "\(due)")
        // Lifted when the ground no longer holds: the title is public, the public title gone.
        #expect(try cli.run(["case", "update", number, "--clear", "restriction", "--restrict", "privacy"]).status == 2)
        #expect(try cli.ok(["case", "update", number, "--clear", "restriction"]).contains("Updated \(number)"))
        // Again: nothing to correct, nothing logged, and it says so.
        #expect(try cli.ok(["case", "update", number, "--clear", "restriction"]) == "Unchanged: \(number) already has these values\n")
        let lifted = try cli.ok(["case", "show", number])
        #expect(!lifted.contains("Restriction") && !lifted.contains("Public title"), "\(lifted)")
        let history = try cli.ok(["case", "history", number])
        #expect(history.contains("1\treplaced ") && history.contains("Ansökan om bistånd, Åsa Öberg (public: Ansökan om bistånd); restricted: privacy"), "\(history)")
        #expect(try cli.run(["verify"]).status == 0)
    }

    /// Disposal from the command line: the list, a hold that keeps a document, the run, and what is left.
    @Test func dueDocumentsAreListedHeldAndDisposedOf() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        try cli.ok(["register", try cli.scratch.write("brev.txt", "Brev om vägbelysning"), "--case", caseNumber, "--type", "letter"])
        try cli.ok(["register", try cli.scratch.write("plan.txt", "Plan för vägbelysning"), "--case", caseNumber, "--type", "actionPlan"])
        try cli.ok(["retention", "set", "KS", "--type", "letter", "--dispose-after", "0", "--mandate", "KS 2024-03-12 § 45"], user: "arkivarie")
        #expect(try cli.ok(["dispose"]).isEmpty, "the case is open")
        try cli.ok(["case", "close", caseNumber])
        let letter = "\(caseNumber)-1"
        #expect(try cli.ok(["dispose"]).hasPrefix("\(letter)\tletter\tdue "), "only the letter has a disposal rule")
        let hold = try cli.ok(["hold", "place", caseNumber, "--reason", "Överklagande"], user: "arkivarie")
        #expect(hold.hasPrefix("#1\t\(caseNumber)\tplaced "), "\(hold)")
        #expect(try cli.ok(["dispose"]).contains("held by #1"))
        let refused = try cli.run(["dispose", "--execute", letter], user: "arkivarie")
        #expect(refused.status == 4 && refused.stderr.contains("kept by legal hold 1"), "\(refused.stderr)")
        #expect(try cli.ok(["dispose", "--execute"], user: "arkivarie").contains("held\t\(letter)"))
        let unexplained = try cli.run(["hold", "release", "1"], user: "arkivarie")
        #expect(unexplained.status == 64 && unexplained.stderr.contains("--reason"), "\(unexplained.stderr)")
        try cli.ok(["hold", "release", "1", "--reason", "Domen har vunnit laga kraft"], user: "arkivarie")
        #expect(try cli.ok(["hold", "list"]).isEmpty)
        #expect(try cli.ok(["hold", "list", "--all", "--on", letter]).contains("by arkivarie: Domen har vunnit laga kraft\tÖverklagande"))
        // A page at a time: after the last hold shown come the older ones; a full page says so.
        let page = try cli.run(["hold", "list", "--all", "--limit", "1"])
        #expect(page.stdout.hasPrefix("#1\t") && page.stderr.contains("--after 1"), "\(page.stderr)")
        #expect(try cli.ok(["hold", "list", "--all", "--after", "1"]).isEmpty)
        #expect(try cli.ok(["hold", "list", "--all", "--after", "2"]).hasPrefix("#1\t"))
        for bad in [["--after", "0"], ["--limit", "1001"]] {
            let refused = try cli.run(["hold", "list"] + bad)
            #expect(refused.status == 2, "\(bad): \(refused.stderr)")
        }
        let shown = try cli.ok(["hold", "show", "1"])
        #expect(shown.contains("Överklagande") && shown.contains("Why released") && shown.contains("Domen har vunnit laga kraft"), "\(shown)")
        #expect(try cli.run(["hold", "show", "7"]).status == 3)
        let report = try #require(try cli.json(["dispose", "--execute", "--series", "KS", "--as", "arkivarie"]) as? [String: Any])
        #expect(report["disposed"] as? [String] == [letter] && report["files"] as? Int == 1, "\(report)")
        #expect(report["unpurged"] as? Int == 0, "the run merged the index: the letter's words are gone")
        #expect(try cli.ok(["index", "status"]).contains("none left in the index"))
        #expect(try cli.ok(["show", letter]).contains("Disposed of"))
        #expect(try cli.ok(["case", "show", caseNumber]).contains("  \(letter)\tletter\tdisposed\tv1\t"))
        let get = try cli.run(["get", letter])
        #expect(get.status == 3 && get.stderr.contains("was disposed of"), "\(get.stderr)")
        #expect(try cli.run(["dispose", "--as-of", "2030-01-01", "--execute"]).status == 64)
        #expect(try cli.ok(["audit", letter]).contains("document.dispose"))
        // Left for later, the words wait for `index optimize`.
        try cli.ok(["retention", "set", "KS", "--type", "actionPlan", "--dispose-after", "0", "--mandate", "KS 2024-03-12 § 45"], user: "arkivarie")
        let later = try cli.run(["dispose", "--execute", "--purge-later"], user: "arkivarie")
        #expect(later.status == 0 && later.stderr.contains("still holds the words of 1 disposed document(s)"), "\(later.stderr)")
        #expect(try cli.ok(["index", "status"]).contains("the words of 1 disposed document(s) are still in the index"))
        #expect(try cli.ok(["index", "optimize"]).contains("purged the words of 1 disposed document(s)"))
        #expect(try cli.run(["dispose", "--purge-later"]).status == 64)
        let record = try cli.ok(["disposals", "--series", "KS"])
        #expect(record.contains("\tKS\tletter\t1 document(s), cases of ") && record.contains("\tKS\tactionPlan\t1 document(s)"), "\(record)")
        #expect(record.contains("0 year(s) after closing, KS 2024-03-12 § 45\tby arkivarie"), "\(record)")
        #expect(try cli.ok(["disposals", "--from", "2999-01-01"]).isEmpty)
        #expect(try cli.run(["disposals", "--from", "2026-13-01"]).status == 2)
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test func restrictionsNeedALegalGround() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let file = try cli.scratch.write("brev.txt", "Personuppgifter")
        let refused = try cli.run(["register", file, "--case", caseNumber, "--type", "letter", "--restrict", "privacy"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("legal reference"))
        let number = try cli.ok(["register", file, "--case", caseNumber, "--type", "letter", "--direction", "incoming",
                                 "--restrict", "privacy", "--legal", "OSL 26 kap. 1 §", "--hide", "content,parties",
                                 "--restrict-until", "2096-01-01"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try cli.ok(["show", number])
        #expect(shown.contains("privacy, OSL 26 kap. 1 §, hides content+parties until 2096-01-01"))
        // A new end date without --hide keeps what the restriction hides.
        try cli.ok(["update", number, "--restrict", "privacy", "--legal", "OSL 26 kap. 1 §", "--restrict-until", "2097-01-01"])
        #expect(try cli.ok(["show", number]).contains("privacy, OSL 26 kap. 1 §, hides content+parties until 2097-01-01"))
        // What it hides changed without --restrict-until: the end date stays on the same ground, goes on another,
        // and `none` removes it.
        try cli.ok(["update", number, "--restrict", "privacy", "--legal", "OSL 26 kap. 1 §", "--hide", "parties"])
        #expect(try cli.ok(["show", number]).contains("privacy, OSL 26 kap. 1 §, hides parties until 2097-01-01"))
        try cli.ok(["update", number, "--restrict", "privacy", "--legal", "OSL 26 kap. 1 §", "--restrict-until", "none"])
        #expect(try cli.ok(["show", number]).contains("privacy, OSL 26 kap. 1 §, hides parties\n"))
        try cli.ok(["update", number, "--restrict", "privacy", "--legal", "OSL 26 kap. 1 §", "--restrict-until", "2098-01-01"])
        try cli.ok(["update", number, "--restrict", "secrecy", "--legal", "OSL 21 kap. 1 §"])
        #expect(try cli.ok(["show", number]).contains("secrecy, OSL 21 kap. 1 §, hides parties\n"))
        try cli.ok(["update", number, "--clear", "restriction", "--comment", "sekretessen upphörde"])
        #expect(try cli.ok(["show", number, "--version", "1"]).contains("OSL 26 kap. 1 §"))
        #expect(!(try cli.ok(["show", number])).contains("OSL"))
    }

    /// Every kind of bad input: one clear line on stderr, a specific exit code, and the store exactly as before.
    @Test func badInputIsRefusedAndChangesNothing() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let file = try cli.scratch.write("a.txt", "innehåll")
        let final = try cli.ok(["register", file, "--case", caseNumber, "--type", "decision"]).trimmingCharacters(in: .newlines)
        try cli.ok(["finalise", final])
        let closed = try cli.ok(["case", "open", "--series", "KS", "--title", "Avslutat"]).trimmingCharacters(in: .newlines)
        try cli.ok(["case", "close", closed])
        try FileManager.default.createDirectory(atPath: cli.scratch.file("not-a-store"), withIntermediateDirectories: true)
        let notAStore = try cli.scratch.write("not-a-store/readme.txt", "")

        func snapshot() throws -> String {
            let audit = try cli.ok(["audit", "--json"])
            let objects = try FileManager.default.subpathsOfDirectory(atPath: cli.store + "/objects").sorted()
            return audit + objects.joined(separator: ",")
        }
        let before = try snapshot()
        let cases: [(args: [String], status: Int32, message: String)] = [
            (["register", cli.scratch.file("saknas.pdf"), "--case", caseNumber, "--type", "letter"], 6, "saknas.pdf"),
            (["register", file, cli.scratch.file("saknas.pdf"), "--case", caseNumber, "--type", "letter"], 6, "saknas.pdf"),
            (["register", file, "--case", "KS 2026/999", "--type", "letter"], 3, "KS 2026/999 does not exist"),
            (["register", file, "--case", "KS2026/1", "--type", "letter"], 2, "invalid case number"),
            (["register", file, "--case", caseNumber, "--type", "memo"], 2, "unknown type 'memo'"),
            (["register", file, "--case", caseNumber, "--type", "letter", "--direction", "sideways"], 2, "direction"),
            (["register", file, "--case", caseNumber, "--type", "letter", "--date", "2026-02-30"], 2, "invalid date"),
            (["register", file, "--case", caseNumber, "--type", "letter", "--restrict", "secrecy"], 2, "legal reference"),
            (["register", file, "--case", caseNumber, "--type", "letter", "--restrict", "secrecy", "--legal", "  "], 2, "legal reference"),
            (["register", file, "--case", caseNumber, "--type", "letter", "--restrict", "secret", "--legal", "OSL"], 2, "unknown restriction ground"),
            (["register", file, "--case", caseNumber, "--type", "letter", "--legal", "OSL 26 kap. 1 §"], 2, "--restrict"),
            (["register", file, "--case", caseNumber, "--type", "letter", "--title", "rad1\nrad2"], 2, "control characters"),
            (["register", file, "--case", closed, "--type", "letter"], 4, "closed"),
            (["version", "add", final, file], 4, "final"),
            (["version", "add", "\(caseNumber)-77", file], 3, "does not exist"),
            (["show", "KS 2026/1-x"], 2, "invalid document number"),
            (["show", final, "--version", "9"], 3, "no version 9"),
            (["get", "\(caseNumber)-77"], 3, "does not exist"),
            (["finalise", final], 4, "final"),
            (["archive", "\(caseNumber)-1", "--as", ""], 2, "actor"),
            (["case", "close", closed], 4, "already closed"),
            (["case", "reopen", caseNumber], 4, "is open"),
            // As If-Match over HTTP: a change based on what the clerk saw, refused when it moved on.
            (["update", final, "--title", "Ny titel", "--if-version", "1"], 4, "based on version 1, the current version is 2"),
            (["archive", final, "--if-version", "0"], 2, "1 or more"),
            (["case", "close", caseNumber, "--if-version", "2"], 4, "based on version 2, the current version is 1"),
            (["case", "update", caseNumber, "--officer", "Anna", "--if-version", "0"], 2, "1 or more"),
            (["case", "close", caseNumber, "--if-description", "1"], 2, "--if-description is gone: use --if-version"),
            (["case", "open", "--series", "XX", "--title", "x"], 3, "series XX does not exist"),
            (["case", "open", "--series", "1ks", "--title", "x"], 2, "invalid series code '1KS'"),
            (["series", "add", "KS", "--name", "igen"], 4, "already exists"),
            (["update", final, "--clear", "everything"], 2, "cannot clear"),
            (["register", file, "--case", caseNumber, "--type", "letter", "--media-type", ";"], 2, "invalid media type ';'"),
            // Set and cleared at once: refused, not "the last one wins" (which lifted the restriction).
            (["update", final, "--restrict", "privacy", "--legal", "OSL 26 kap. 1 §", "--clear", "restriction"], 2, "contradicts --restrict"),
            (["update", final, "--sender", "Anna", "--clear", "sender"], 2, "contradicts --sender"),
            // 40 graphemes, 80 code points: counted as the catalog counts them, so a clear error instead of a CHECK.
            (["user", "add", String(repeating: "\u{915}\u{93F}", count: 40), "--role", "clerk"], 2, "longer than 64"),
            (["case", "list", "--store", notAStore.replacingOccurrences(of: "/readme.txt", with: "")], 5, "no Diarium store"),
            (["init"], 4, "already exists"),
        ]
        for (args, status, message) in cases {
            let result = try cli.run(args)
            #expect(result.status == status, "\(args): exit \(result.status), stderr \(result.stderr)")
            #expect(result.stderr.hasPrefix("diarium: error: ") && result.stderr.contains(message), "\(args): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(args): one line on stderr, got \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(args): nothing on stdout")
        }
        #expect(try snapshot() == before, "a refused command changed the store")
        #expect(try cli.run(["verify"]).status == 0)
        // The same changes, based on what is current, go through; a closed case opened again takes documents.
        try cli.ok(["update", final, "--title", "Ny titel", "--if-version", "2"])
        let shown = try cli.ok(["case", "show", closed]).split(separator: "\n")
        // Opened (1) and closed (2): a reopening based on the case as it was before the closing is refused.
        #expect(shown.contains { $0.hasPrefix("Version ") && $0.hasSuffix(" 2") }, "\(shown)")
        #expect(try cli.run(["case", "reopen", closed, "--if-version", "1"]).status == 4)
        #expect(try cli.ok(["case", "reopen", closed, "--if-version", "2"]).contains("Opened again: \(closed)"))
        try cli.ok(["register", file, "--case", closed, "--type", "letter"])

        // Usage errors come from the argument parser with its own code.
        let usage = try cli.run(["register", "--case", caseNumber])
        #expect(usage.status == 64)
    }

    @Test(arguments: [["init"], ["series", "add"], ["series", "list"], ["case", "open"], ["case", "show"], ["case", "list"],
                      ["case", "close"], ["register"], ["version", "add"], ["update"], ["finalise"], ["archive"], ["show"],
                      ["history"], ["get"], ["verify"], ["audit"], ["search"], ["index", "rebuild"], ["index", "status"],
                      ["index", "optimize"], ["serve"]])
    func everyCommandHasHelpWithAnExample(command: [String]) throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let result = try cli.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example"), "\(command) --help has no example")
        #expect(result.stdout.contains("--store"))
        let reads: Set<[String]> = [["series", "list"], ["case", "show"], ["case", "list"], ["show"], ["history"], ["verify"], ["audit"],
                                    ["search"], ["index", "status"]]
        if reads.contains(command) { #expect(result.stdout.contains("--json"), "\(command) lacks --json") }
    }

    /// Help is read at 80 columns (a terminal's least, and argument-parser's width off one): an example is continued
    /// the shell's way, never broken inside its quotes, so what is pasted runs.
    @Test(arguments: [[], ["register"], ["export"], ["class", "set"], ["retention", "set"], ["exchange", "send"], ["dispose"],
                      ["import"], ["hold", "place"], ["serve"], ["search"], ["update"], ["organisation", "set"], ["case", "list"], ["user", "update"]])
    func examplesSurviveEightyColumns(command: [String]) throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let help = try cli.ok(command + ["--help"]).split(separator: "\n").map(String.init)
        let examples = help.filter { $0.drop { $0 == " " }.hasPrefix("diarium ") }
        #expect(!examples.isEmpty, "\(command)")
        var open = false
        for line in help where !line.hasPrefix("USAGE:") {
            #expect(line.count <= 80, "\(command): \(line)")
            // Inside an example (it and its continuation lines): each line's quotes close on it.
            if (line.hasPrefix(" ") && line.drop(while: { $0 == " " }).hasPrefix("diarium ")) || open {
                #expect(line.filter { $0 == "\"" }.count % 2 == 0, "\(command): \(line)")
                // A shell does not continue a line from inside a comment.
                #expect(!(line.contains(" # ") && line.hasSuffix(" \\")), "\(command): \(line)")
                // Every example at one indent, a continuation deeper.
                #expect(line.hasPrefix(open ? "      " : "  diarium "), "\(command): \(line)")
                open = line.hasSuffix(" \\")
            }
        }
    }

    @Test func verifyExitsNonZeroNamingTheProblem() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let file = try cli.scratch.write("a.txt", "innehåll som ska skadas")
        let number = try cli.ok(["register", file, "--case", caseNumber, "--type", "report"]).trimmingCharacters(in: .newlines)
        let sha = try #require(((try cli.json(["show", number]) as? [String: Any])?["current"] as? [String: Any])?["content"] as? [String: Any])["sha256"] as! String
        let path = "\(cli.store)/objects/sha256/\(sha.prefix(2))/\(sha)"
        chmod(path, 0o644)
        try Data("innehåll som ska skadaS".utf8).write(to: URL(fileURLWithPath: path))
        let result = try cli.run(["verify"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("PROBLEM blob-damaged") && result.stdout.contains(sha))
        // A damaged file is never handed out as if it were the record.
        let out = cli.scratch.file("out.txt")
        let get = try cli.run(["get", number, "-o", out])
        #expect(get.status == 1)
        #expect(!FileManager.default.fileExists(atPath: out), "no partial or wrong file at -o")
        // Nor whole on standard output: its last part is held back until the digest matches (it did not).
        let piped = try cli.run(["get", number])
        #expect(piped.status == 1 && piped.stdout.isEmpty && piped.stderr.contains("does not match its digest"))
    }

    /// `--read-only` for an auditor's account or a copy on read-only media: the same verdict, the skipped check named,
    /// and not a byte of the store changed (SQLite may leave an empty `-wal` where it can create one; `-shm` is its lock
    /// table, written by readers too).
    @Test func verifyReadOnlyChangesNothing() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let file = try cli.scratch.write("a.txt", "granskas utan skrivrätt")
        let number = try cli.ok(["register", file, "--case", caseNumber, "--type", "report"]).trimmingCharacters(in: .newlines)
        func files() throws -> [String: String] {
            var digests: [String: String] = [:]
            for path in try FileManager.default.subpathsOfDirectory(atPath: cli.store) where !path.hasSuffix("-shm") {
                let full = cli.store + "/" + path
                if path.hasSuffix("-wal"), (try FileManager.default.attributesOfItem(atPath: full)[.size] as? Int) == 0 { continue }
                digests[path] = try isDirectory(full) ? "dir" : try sha256Hex(ofFile: full)
            }
            return digests
        }
        let before = try files()
        let text = try cli.ok(["verify", "--read-only"])
        #expect(text.contains("OK") && text.contains("skipped search-index"))
        let report = try #require(try cli.json(["verify", "--read-only"]) as? [String: Any])
        #expect((report["problems"] as? [Any])?.isEmpty == true && report["blobsChecked"] as? Int == 1)
        #expect((report["skipped"] as? [String])?.count == 1)
        #expect(try files() == before, "catalog, WAL (when not empty), objects and tmp are as they were")
        #expect((try cli.json(["verify", "--check-index"]) as? [String: Any])?["skipped"] as? [String] == [])

        // Damage is found read-only too; removing orphans is a write, so it is refused with --read-only.
        let sha = try #require(((try cli.json(["show", number]) as? [String: Any])?["current"] as? [String: Any])?["content"] as? [String: Any])["sha256"] as! String
        let path = "\(cli.store)/objects/sha256/\(sha.prefix(2))/\(sha)"
        chmod(path, 0o644)
        try Data("skadad".utf8).write(to: URL(fileURLWithPath: path))
        let damaged = try cli.run(["verify", "--read-only"])
        #expect(damaged.status == 1 && damaged.stdout.contains("PROBLEM blob-damaged"))
        for flag in ["--remove-orphans", "--check-index"] {
            let refused = try cli.run(["verify", "--read-only", flag])
            #expect(refused.status == 64 && refused.stderr.contains("--read-only"), "\(flag)")
        }
    }

    /// The full-text index is checked only when asked: the check holds the write lock throughout. Asked, it finds an
    /// index that no longer matches the documents.
    @Test func verifyChecksTheSearchIndexWhenAsked() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        try cli.ok(["register", try cli.scratch.write("a.txt", "om snöröjning"), "--case", caseNumber, "--type", "report"])
        let plain = try cli.ok(["verify"])
        #expect(plain.contains("OK") && plain.contains("skipped search-index: not asked for"))
        #expect(try cli.ok(["verify", "--check-index"]).contains("OK"))
        // A document the index holds but the catalog does not: what a lost unindexing would leave.
        var configuration = Configuration()
        configuration.prepareDatabase { db in try Catalog.registerSearch(db) }   // the index's tokenizer
        try DatabaseQueue(path: cli.store + "/catalog.sqlite", configuration: configuration).write { db in
            try db.execute(sql: "INSERT INTO search_fts(rowid, title) VALUES (424242, 'spöke')")
        }
        #expect(try cli.run(["verify"]).status == 0)
        let checked = try cli.run(["verify", "--check-index"])
        #expect(checked.status == 1 && checked.stdout.contains("PROBLEM search-index"), "\(checked.stdout)")
    }

    /// A store this account may not write to opens read-only by itself, and verify then skips the full-text check
    /// instead of reporting the refused write as a damaged index. Both ways it is found: a copy closed cleanly (no
    /// `-wal`, no `-shm`, so SQLite reads it as immutable) and a store that a writer has open. Root writes anyway, so
    /// as root the binary runs as `nobody` through setpriv.
    @Test(.enabled(if: Self.unprivileged != nil, "needs setpriv, and a binary that nobody may run"))
    func verifyOfAStoreThisAccountCannotWrite() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        try cli.ok(["register", try cli.scratch.write("a.txt", "läses av en revisor"), "--case", caseNumber, "--type", "report"])
        let catalog = cli.store + "/catalog.sqlite"
        try DatabaseQueue(path: catalog).close()   // the last connection: SQLite checkpoints and removes -wal and -shm
        #expect(!FileManager.default.fileExists(atPath: catalog + "-wal") && !FileManager.default.fileExists(atPath: catalog + "-shm"))
        let store = try FileManager.default.subpathsOfDirectory(atPath: cli.store).map { cli.store + "/" + $0 } + [cli.store]
        for path in store { chmod(path, try isDirectory(path) ? 0o555 : 0o444) }
        defer { for path in store + [catalog + "-wal", catalog + "-shm"] { chmod(path, 0o755) } }
        let launcher = try #require(Self.unprivileged)

        func verifies(_ situation: String) throws {
            let result = try cli.run(["verify", "--json"], launcher: launcher)
            #expect(result.status == 0, "\(situation): \(result.stdout) \(result.stderr)")
            guard result.status == 0 else { return }
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect((report["problems"] as? [Any])?.isEmpty == true && report["blobsChecked"] as? Int == 1, "\(situation)")
            #expect((report["skipped"] as? [String])?.first?.hasPrefix("search-index") == true, "\(situation)")
        }
        try verifies("closed cleanly")
        if geteuid() == 0 {
            // The server's account has it open: its -wal and -shm are there, and readable.
            let writer = try DatabasePool(path: catalog)
            try verifies("beside a writer")
            try writer.close()
        }
        // A change is refused saying why, not as a storage failure of unknown cause.
        let refused = try cli.run(["case", "open", "--series", "KS", "--title", "Skrivskyddad"], launcher: launcher)
        #expect(refused.status != 0 && refused.stderr.contains("read-only"), "\(refused.stderr)")
        // A server is refused at start, not at the first clerk's registration.
        let serve = try cli.run(["serve", "--port", "0"], launcher: launcher)
        #expect(serve.status != 0 && serve.stderr.contains("may not write"), "\(serve.stderr)")
    }

    /// How to run the binary as an account that file modes bind: as is, unless this is root, then as `nobody`
    /// through setpriv, if that works here (the checkout must be reachable by others). `nil` when neither is possible.
    static let unprivileged: [String]? = {
        guard geteuid() == 0 else { return [] }
        let launcher = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        guard FileManager.default.isExecutableFile(atPath: launcher[0]), let cli = try? CLIRunner() else { return nil }
        defer { cli.remove() }
        return (try? cli.run(["--version"], launcher: launcher))?.status == 0 ? launcher : nil
    }()

    private func isDirectory(_ path: String) throws -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// A file a crash left under objects/ is a note; `--remove-orphans` takes it, says so, and logs it; a registered
    /// file is never touched.
    @Test func verifyRemovesOrphansWhenAsked() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let file = try cli.scratch.write("a.txt", "registrerad")
        try cli.ok(["register", file, "--case", caseNumber, "--type", "report"])
        // What a registration killed between storing its file and committing its rows leaves behind.
        let left = try cli.scratch.write("left.txt", "kvarlämnad av en avbruten registrering")
        let sha = try sha256Hex(ofFile: left)
        let path = "\(cli.store)/objects/sha256/\(sha.prefix(2))/\(sha)"
        try FileManager.default.copyItem(atPath: left, toPath: path)
        #expect(try cli.ok(["verify"]).contains("note: 1 stored file(s) not referenced"))

        let report = try #require(try cli.json(["verify", "--remove-orphans", "--as", "drift"]) as? [String: Any])
        let removed = try #require(report["removedOrphans"] as? [String: Any])
        #expect(removed["files"] as? Int == 1 && removed["bytes"] as? Int == "kvarlämnad av en avbruten registrering".utf8.count)
        #expect((report["orphanBlobs"] as? [String]) == [sha], "the report still says what it found")
        #expect(!FileManager.default.fileExists(atPath: path))
        let events = try #require(try cli.json(["audit", "store"]) as? [[String: Any]])
        #expect(events.last?["action"] as? String == "store.prune" && events.last?["actor"] as? String == "drift")
        let after = try cli.ok(["verify", "--remove-orphans"])
        #expect(after.contains("OK") && !after.contains("note:") && after.contains("removed 0 unreferenced file(s), 0 bytes"))
    }

    @Test func searchFromTheCommandLine() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let open = try cli.scratch.write("open.txt", "Beslut om förskola i Norrby.")
        let secret = try cli.scratch.write("secret.txt", "Elevens namn är Zelda och hon har särskilda behov.")
        try cli.ok(["register", open, "--case", caseNumber, "--type", "decision"])
        try cli.ok(["register", secret, "--case", caseNumber, "--type", "serviceRecord", "--title", "Elevärende Zelda",
                    "--public-title", "Elevärende", "--restrict", "secrecy", "--legal", "OSL 23 kap. 2 §", "--hide", "content,title"])
        let found = try cli.ok(["search", "förskola", "type:decision"])
        #expect(found.contains("\(caseNumber)-1") && found.contains("[förskola]"))
        #expect(try cli.ok(["search", "zelda"]).contains("\(caseNumber)-2"))
        // Nothing found: stdout stays empty, as for every empty listing; the note goes to stderr.
        let publicView = try cli.run(["search", "zelda", "--public"])
        #expect(publicView.status == 0 && publicView.stdout.isEmpty && publicView.stderr.contains("no document matches")
                && !publicView.stderr.contains("Zelda"), "\(publicView.stderr)")
        let listed = try cli.ok(["search", "type:serviceRecord", "--public"])
        #expect(listed.contains("Elevärende") && listed.contains("OSL 23 kap. 2 §") && !listed.contains("Zelda"))
        let json = try #require(try cli.json(["search", "förskola OR zelda"]) as? [String: Any])
        #expect(json["total"] as? Int == 2)
        #expect((json["facets"] as? [String: Any])?["type"] != nil)
        let bad = try cli.run(["search", "\"förskola"])
        #expect(bad.status == 2 && bad.stderr.contains("column 1"))
        #expect(try cli.ok(["index", "status", "--check"]).contains("OK"))
        // Two registrations, two segments; then one, and a second run has nothing to do.
        #expect(try cli.ok(["index", "optimize"]).contains("merged 2 segment(s) into 1 in"))
        #expect(try cli.ok(["index", "optimize"]).contains("already optimized (1 segment(s))"))
        #expect(try cli.ok(["index", "status"]).contains("1 in the full-text index"))
        let report = try #require(try cli.json(["index", "optimize"]) as? [String: Any])
        #expect(report["steps"] as? Int == 0 && report["segmentsAfter"] as? Int == 1)
        #expect(try cli.ok(["search", "förskola"]).contains("\(caseNumber)-1"))
        #expect(try cli.ok(["index", "rebuild"]).contains("indexed 2 document(s)"))
        // As a user finds it: a clerk their own department's secret, an archivist every one, an admin what the public sees.
        try cli.ok(["series", "add", "SN", "--name", "Socialnämnden"], user: "admin")
        let snCase = try cli.ok(["case", "open", "--series", "SN", "--title", "Elevhälsa"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let theirs = try cli.scratch.write("theirs.txt", "Zelda har fått stöd av elevhälsan.")
        try cli.ok(["register", theirs, "--case", snCase, "--type", "serviceRecord", "--title", "Elevhälsa Zelda",
                    "--public-title", "Elevhälsoärende", "--restrict", "secrecy", "--legal", "OSL 25 kap. 1 §", "--hide", "content,title"])
        try cli.ok(["user", "add", "anna", "--role", "clerk", "--department", "KS"], user: "admin")
        try cli.ok(["user", "add", "bo", "--role", "clerk", "--department", "SN"], user: "admin")
        // A department no series is kept by gives nothing: said, with the ones that keep one.
        let typo = try cli.run(["user", "add", "cia", "--role", "clerk", "--department", "NOPE"], user: "admin")
        #expect(typo.status == 0 && typo.stderr.contains("no series is kept by NOPE (departments that keep one: KS, SN)"), "\(typo.stderr)")
        try cli.ok(["user", "add", "arkiv", "--role", "archivist"], user: "admin")
        try cli.ok(["user", "add", "root", "--role", "admin", "--department", "KS"], user: "admin")
        for (user, shown, hidden) in [("anna", "\(caseNumber)-2", "\(snCase)-1"), ("bo", "\(snCase)-1", "\(caseNumber)-2")] {
            let found = try cli.ok(["search", "zelda", "--user", user])
            #expect(found.hasPrefix("1 document(s)") && found.contains(shown) && !found.contains(hidden), "\(user): \(found)")
            let listed = try cli.ok(["search", "type:serviceRecord", "--user", user])
            #expect(listed.contains("Elevärende Zelda") == (user == "anna") && listed.contains("Elevhälsa Zelda") == (user == "bo"), "\(user)")
        }
        #expect(try cli.ok(["search", "zelda", "--user", "arkiv"]).hasPrefix("2 document(s)"))
        #expect(try cli.ok(["search", "zelda", "--user", "root"]).isEmpty)
        let asAdmin = try cli.ok(["search", "type:serviceRecord", "--user", "root"])
        #expect(asAdmin.contains("Elevärende") && asAdmin.contains("Elevhälsoärende") && !asAdmin.contains("Zelda"))
        let unknown = try cli.run(["search", "zelda", "--user", "nobody"])
        #expect(unknown.status != 0 && unknown.stderr.contains("nobody"))
        #expect(try cli.run(["search", "zelda", "--user", "anna", "--public"]).stderr.contains("--public or --user"))
        // A disabled account finds nothing over the API (its tokens are refused): said, not shown as a search.
        try cli.ok(["user", "update", "bo", "--disable"], user: "admin")
        let disabled = try cli.run(["search", "zelda", "--user", "bo"])
        #expect(disabled.status == 4 && disabled.stdout.isEmpty && disabled.stderr.contains("user bo is disabled"), "\(disabled.stderr)")
    }

    /// `diarium public …` shows what the public diarium shows: restricted parts left out, their ground in their place.
    @Test func thePublicViewFromTheCommandLine() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let open = try cli.scratch.write("open.txt", "Beslut om förskola i Norrby.")
        let secret = try cli.scratch.write("secret.txt", "Elevens namn är Zelda.")
        try cli.ok(["register", open, "--case", caseNumber, "--type", "decision", "--title", "Beslut om förskola"])
        try cli.ok(["register", secret, "--case", caseNumber, "--type", "serviceRecord", "--title", "Elevärende Zelda",
                    "--sender", "Zeldas vårdnadshavare", "--restrict", "secrecy", "--legal", "OSL 23 kap. 2 §",
                    "--hide", "content,title,parties"])
        let hidden = try cli.ok(["case", "open", "--series", "KS", "--title", "Elevhälsa för Zelda", "--public-title", "Elevhälsa",
                                 "--restrict", "secrecy", "--legal", "OSL 23 kap. 2 §", "--officer", "Anna Berg"])
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let listed = try cli.ok(["public", "list", "--series", "KS"])
        #expect(listed.contains("\(caseNumber)-1\t") && listed.contains("Beslut om förskola"))
        #expect(listed.contains("\(caseNumber)-2\t") && listed.contains("(title hidden)\t(parties hidden)\t[secrecy, OSL 23 kap. 2 §]"))
        #expect(!listed.contains("Zelda"))
        let paged = try cli.run(["public", "list", "--limit", "1"])
        #expect(paged.status == 0 && paged.stdout.contains("\(caseNumber)-2") && paged.stderr.contains("more: --after "))

        let entry = try cli.ok(["public", "show", "\(caseNumber)-2"])
        #expect(entry.contains("Sender") && entry.contains("(hidden)") && entry.contains("not public (restricted)"))
        #expect(!entry.contains("Zelda"))
        let json = try #require(try cli.json(["public", "show", "\(caseNumber)-1"]) as? [String: Any])
        #expect(json["title"] as? String == "Beslut om förskola" && (json["content"] as? [String: Any])?["available"] as? Bool == false,
                "a draft's content is not public")

        let shownCase = try cli.ok(["public", "case", caseNumber])
        #expect(shownCase.contains("Klimatanpassning") && !shownCase.contains("Zelda"))
        #expect(shownCase.split(separator: "\n").contains { $0.hasPrefix("Documents ") && $0.hasSuffix(" 2") }, "\(shownCase)")
        let hiddenCase = try cli.ok(["public", "case", hidden])
        #expect(hiddenCase.contains("Elevhälsa") && hiddenCase.contains("secrecy, OSL 23 kap. 2 §, hides title"))
        #expect(hiddenCase.contains("Anna Berg") && !hiddenCase.contains("Zelda"))
        let page = try #require(try cli.json(["public", "case", caseNumber, "--limit", "1"]) as? [String: Any])
        let cursor = try #require(page["nextCursor"] as? String)
        let rest = try #require(try cli.json(["public", "case", caseNumber, "--after", cursor]) as? [String: Any])
        #expect((rest["documents"] as? [[String: Any]])?.compactMap { $0["number"] as? String } == ["\(caseNumber)-2"])

        let unknown = try cli.run(["public", "case", "KS 2026/99"])
        #expect(unknown.status == 3)
        let bad = try cli.run(["public", "list", "--from", "2026-02-30"])
        #expect(bad.status == 2 && bad.stderr.contains("from"))
    }

    /// `diarium formats` counts content by PRONOM format; `show` names each content's; `formats identify` reads what
    /// was stored before formats were identified.
    @Test func formatsFromTheCommandLine() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let pdf = try cli.scratch.write("beslut.pdf", Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8))
        let text = try cli.scratch.write("anteckning.txt", "Anteckning.\n")
        try cli.ok(["register", pdf, text, "--case", caseNumber, "--type", "letter"])
        let report = try cli.ok(["formats"])
        #expect(report == "KS\tfmt/18\tAcrobat PDF 1.4 - Portable Document Format\t1 document(s)\t45 bytes\n"
                + "KS\tx-fmt/111\tPlain Text File\t1 document(s)\t12 bytes\n", "\(report)")
        #expect(try cli.ok(["show", "\(caseNumber)-1"]).contains("fmt/18 Acrobat PDF 1.4 - Portable Document Format (signature)"))
        // --json carries the format and the text rendition beside the record.
        let shownPDF = try #require(try cli.json(["show", "\(caseNumber)-1"]) as? [String: Any])
        let format = try #require(shownPDF["format"] as? [String: Any])
        #expect((format["format"] as? [String: Any])?["puid"] as? String == "fmt/18" && format["current"] as? Bool == true, "\(format)")
        #expect(shownPDF["interchanges"] == nil && shownPDF["number"] as? String == "\(caseNumber)-1")
        let shownText = try #require(try cli.json(["show", "\(caseNumber)-2"]) as? [String: Any])
        let rendition = try #require(shownText["text"] as? [String: Any])
        #expect(rendition["status"] as? String == "extracted" && rendition["length"] as? Int == 11, "\(rendition)")
        let json = try #require(try cli.json(["formats", "--series", "KS", "--json"]) as? [[String: Any]])
        #expect(json.count == 2 && json.allSatisfy { $0["state"] as? String == "identified" })

        try DatabaseQueue(path: "\(cli.store)/catalog.sqlite").write { db in
            try db.execute(sql: "DELETE FROM content_formats")
        }
        let pending = try cli.run(["formats"])
        #expect(pending.stdout.contains("KS\tpending\tapplication/pdf\t1 document(s)\t45 bytes"))
        #expect(pending.stderr.contains("2 document(s) whose format is not known yet: run `diarium formats identify`"))
        #expect(try cli.ok(["show", "\(caseNumber)-1"]).contains("not identified yet (run `diarium formats identify`)"))
        #expect((try cli.json(["show", "\(caseNumber)-1"]) as? [String: Any])?["format"] == nil)
        let listed = try cli.run(["formats", "documents", "--state", "pending", "--limit", "1"])
        #expect(listed.stdout == "\(caseNumber)-1\tapplication/pdf\t45 bytes\tbeslut.pdf\n")
        #expect(listed.stderr.contains("more: --after \"\(caseNumber)-1\""))
        #expect(try cli.ok(["formats", "documents", "--state", "pending", "--after", "\(caseNumber)-1"]).hasPrefix("\(caseNumber)-2\t"))
        #expect(try cli.run(["formats", "documents", "--state", "identified"]).status == 2)
        #expect(try cli.ok(["formats", "identify"]) == "identified 2, unidentified 0\n")
        #expect(try cli.ok(["formats"]) == report)
        let unknown = try cli.run(["formats", "--series", "SBN"])
        #expect(unknown.status == 3)
    }
}
