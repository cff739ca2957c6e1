import DiariumTesting
import Foundation
import Testing

@Suite(.serialized) struct RobustnessTests {
    func prepared() throws -> (CLIRunner, String) {
        let cli = try CLIRunner()
        try cli.ok(["init"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let number = try cli.ok(["case", "open", "--series", "KS", "--title", "Massregistrering"]).trimmingCharacters(in: .newlines)
        return (cli, number)
    }

    func makeFiles(_ cli: CLIRunner, count: Int, prefix: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: cli.scratch.file(prefix), withIntermediateDirectories: true)
        return try (0..<count).map { i in
            try cli.scratch.write("\(prefix)/doc-\(i).txt", testBytes(count: 4096, seed: UInt64(i) + (prefix == "a" ? 0 : 1_000_000)))
        }
    }

    /// Runs `arguments` (a copy into `destination`), sends SIGINT once its `.partial-…` copy is there, and answers the
    /// exit status, what it said, and the partial copies left.
    func interruptCopy(_ cli: CLIRunner, _ arguments: [String], into destination: String, user: String = "anna") throws
        -> (status: Int32?, stderr: String, partials: [String]) {
        let errPath = cli.scratch.file("interrupted-stderr")
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = try cli.start(arguments, user: user, stdout: Pipe(), stderr: err)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let prefix = (destination as NSString).lastPathComponent + ".partial-"
        func partials() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: (destination as NSString).deletingLastPathComponent)) ?? []).filter { $0.hasPrefix(prefix) }
        }
        let deadline = Date().addingTimeInterval(30)
        while partials().isEmpty && process.isRunning && Date() < deadline { usleep(1000) }
        #expect(!partials().isEmpty, "the copy must be under way for this test to mean anything")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        try err.close()
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (process.terminationReason == .exit ? process.terminationStatus : nil, stderr, partials())
    }

    /// Large enough that a copy of the store is still being written when the signal comes.
    func registerLargeFiles(_ cli: CLIRunner, _ caseNumber: String) throws {
        let files = try (0..<4).map { i in try cli.scratch.write("big-\(i).bin", testBytes(count: 24 << 20, seed: UInt64(i))) }
        try cli.ok(["register"] + files + ["--case", caseNumber, "--type", "other"])
    }

    /// Ctrl-C in the middle of a backup: the unfinished copy (restricted content among it) goes with the process,
    /// nothing is made at the destination, and the command says so and exits 130.
    @Test func anInterruptedBackupLeavesNoCopy() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        try registerLargeFiles(cli, caseNumber)
        let destination = cli.scratch.file("backup")
        let (status, stderr, partials) = try interruptCopy(cli, ["backup", destination], into: destination)
        #expect(status == 130, "\(stderr)")
        #expect(stderr.contains("interrupted: no backup was made, and the unfinished copy was removed"), "\(stderr)")
        #expect(partials.isEmpty && !FileManager.default.fileExists(atPath: destination))
        #expect(try cli.run(["verify"]).status == 0)
    }

    /// Ctrl-C in the middle of a restore: the unfinished store goes, nothing is left where the store was to be, the
    /// backup is untouched, and the command says so and exits 130.
    @Test func anInterruptedRestoreLeavesNoStore() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        try registerLargeFiles(cli, caseNumber)
        let backup = cli.scratch.file("backup")
        try cli.ok(["backup", backup], user: "drift")
        let target = cli.scratch.file("restored")
        let (status, stderr, partials) = try interruptCopy(cli, ["restore", backup, "--store", target], into: target, user: "drift")
        #expect(status == 130, "\(stderr)")
        #expect(stderr.contains("interrupted: nothing was restored, and the unfinished copy was removed"), "\(stderr)")
        #expect(partials.isEmpty && !FileManager.default.fileExists(atPath: target))
        // The backup is whole: a second restore makes a store that verifies.
        try cli.ok(["restore", backup, "--store", target], user: "drift")
        #expect(try cli.run(["verify", "--store", target]).status == 0)
    }

    /// SIGKILL in the middle of a bulk registration: every number printed before the kill is complete and
    /// readable, nothing is half-registered, verify is clean, and the dead process's temp files are removed.
    @Test func killedBulkRegisterLosesNothingPrinted() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let files = try makeFiles(cli, count: 3000, prefix: "a")
        let pipe = Pipe()
        let process = try cli.start(["register"] + files + ["--case", caseNumber, "--type", "other", "--batch-size", "20"], stdout: pipe)
        var output = Data()
        while output.split(separator: UInt8(ascii: "\n")).count < 200 {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            output.append(chunk)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        output.append(pipe.fileHandleForReading.readDataToEndOfFile())
        #expect(process.terminationReason == .uncaughtSignal, "the run must be killed mid-way for this test to mean anything")

        // Only complete lines count as printed.
        let text = String(decoding: output, as: UTF8.self)
        var printed = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        printed.removeLast()   // the part after the last newline (empty, or a line cut by the kill)
        #expect(printed.count >= 200 && printed.count < 3000)
        #expect(printed == (1...printed.count).map { "\(caseNumber)-\($0)" })

        let tmpEntries = try FileManager.default.contentsOfDirectory(atPath: cli.store + "/tmp")
        #expect(!tmpEntries.isEmpty, "the killed process left its temp area behind")

        let shown = try #require(try cli.json(["case", "show", caseNumber]) as? [String: Any])
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.store + "/tmp").isEmpty, "stale temp files removed on the next open")
        let documents = try #require(shown["documents"] as? [[String: Any]])
        #expect(documents.count >= printed.count, "every printed number exists")
        #expect(documents.count % 20 == 0, "only whole batches were committed")

        // Each registered document holds exactly the bytes of its file (ordinal n = file n-1).
        let hashes = try fileHashes(Array(files.prefix(documents.count)))
        for document in documents {
            let number = try #require(document["number"] as? String)
            let ordinal = Int(number.split(separator: "-").last!)!
            let content = try #require((document["current"] as? [String: Any])?["content"] as? [String: Any])
            #expect(content["sha256"] as? String == hashes[ordinal - 1], "\(number)")
        }
        for number in [printed.first!, printed.last!] {
            let out = cli.scratch.file("check.txt")
            try cli.ok(["get", number, "-o", out])
            let ordinal = Int(number.split(separator: "-").last!)!
            #expect(FileManager.default.contents(atPath: out) == FileManager.default.contents(atPath: files[ordinal - 1]))
        }
        let verify = try cli.run(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    /// Two processes registering into one series at once: no duplicate or skipped number, no "database is locked".
    /// SIGKILL in the middle of an export (no handler runs): the package was being written to a file without a
    /// name, so nothing is left beside `--out` (before, a hidden `.x.zip.<n>.part` of any size stayed for good).
    @Test func killedExportLeavesNothingBesideItsOutput() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let big = cli.scratch.file("stor.bin")
        try writeRandomFile(big, count: 160 << 20)
        try cli.ok(["register", big, "--case", caseNumber, "--type", "report"])
        let outDirectory = cli.scratch.file("out")
        try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true)
        let process = try cli.start(["export", "--case", caseNumber, "--format", "eark-zip", "--out", outDirectory + "/ks.zip"], stdout: Pipe())
        // Wait until it writes into the output directory, then kill it.
        let writing = waitForOpenFile(of: process.processIdentifier) { $0.hasPrefix(outDirectory + "/") }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(writing && process.terminationReason == .uncaughtSignal, "the export must be killed while writing for this test to mean anything")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDirectory) == [])
        // And an export left to finish puts exactly its package there.
        try cli.ok(["export", "--case", caseNumber, "--format", "eark-zip", "--out", outDirectory + "/ks.zip"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDirectory) == ["ks.zip"])
    }

    @Test func concurrentProcessesShareNumbering() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let a = try makeFiles(cli, count: 150, prefix: "a")
        let b = try makeFiles(cli, count: 150, prefix: "b")
        let errA = cli.scratch.file("err-a"), errB = cli.scratch.file("err-b")
        _ = FileManager.default.createFile(atPath: errA, contents: nil)
        _ = FileManager.default.createFile(atPath: errB, contents: nil)
        let pipeA = Pipe(), pipeB = Pipe()
        let procA = try cli.start(["register"] + a + ["--case", caseNumber, "--type", "letter", "--batch-size", "3"],
                                  stdout: pipeA, stderr: try FileHandle(forWritingTo: URL(fileURLWithPath: errA)))
        let procB = try cli.start(["register"] + b + ["--case", caseNumber, "--type", "letter", "--batch-size", "3"],
                                  stdout: pipeB, stderr: try FileHandle(forWritingTo: URL(fileURLWithPath: errB)))
        // Meanwhile this process opens cases in the same series.
        var opened: [String] = []
        for i in 0..<10 {
            opened.append(try cli.ok(["case", "open", "--series", "KS", "--title", "Parallellt \(i)"]).trimmingCharacters(in: .newlines))
        }
        let outA = pipeA.fileHandleForReading.readDataToEndOfFile()
        let outB = pipeB.fileHandleForReading.readDataToEndOfFile()
        procA.waitUntilExit()
        procB.waitUntilExit()
        #expect(procA.terminationStatus == 0, "\((try? String(contentsOfFile: errA, encoding: .utf8)) ?? "")")
        #expect(procB.terminationStatus == 0, "\((try? String(contentsOfFile: errB, encoding: .utf8)) ?? "")")

        let numbers = (String(decoding: outA, as: UTF8.self) + String(decoding: outB, as: UTF8.self)).split(separator: "\n").map(String.init)
        let ordinals = numbers.map { Int($0.split(separator: "-").last!)! }.sorted()
        #expect(ordinals == Array(1...300), "no duplicate or skipped document number")
        let serials = opened.map { Int($0.split(separator: "/").last!)! }
        #expect(serials == Array(2...11))
        #expect(try cli.run(["verify"]).status == 0)
    }

    /// Fails the first sync of the catalog's WAL after a content file is linked into place (the commit of the
    /// registration), then kills the process at whichever comes first: its next sync of anything, removing a content
    /// file, or removing the WAL (SQLite's clean close). A disk that fails during the commit, then a crash before
    /// anything else is written: SQLite may already have the commit in the WAL, and replays it on the next open.
    static let failingCommitShim = #"""
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <errno.h>
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        static int armed, fired;
        static int is_wal(int fd) {
            char p[64], t[4096];
            snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
            ssize_t n = readlink(p, t, sizeof t - 1);
            if (n < 4) return 0;
            t[n] = 0;
            return strcmp(t + n - 4, "-wal") == 0;
        }
        int link(const char *from, const char *to) {
            static int (*real)(const char *, const char *);
            if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
            int r = real(from, to);
            if (r == 0 && strstr(to, "/objects/sha256/")) armed = 1;
            return r;
        }
        int unlink(const char *path) {
            static int (*real)(const char *);
            if (!real) real = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
            size_t n = strlen(path);
            if (fired && n > 4 && strcmp(path + n - 4, "-wal") == 0) raise(SIGKILL);   /* the WAL stays, for a replay */
            int r = real(path);
            if (fired && strstr(path, "/objects/sha256/")) raise(SIGKILL);            /* the content file is gone */
            return r;
        }
        static int sync_or_fail(int fd, int (*real)(int)) {
            if (fired) raise(SIGKILL);
            if (armed && is_wal(fd)) { fired = 1; errno = EIO; return -1; }
            return real(fd);
        }
        int fsync(int fd) {
            static int (*real)(int);
            if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
            return sync_or_fail(fd, real);
        }
        int fdatasync(int fd) {
            static int (*real)(int);
            if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
            return sync_or_fail(fd, real);
        }
        """#

    /// A registration whose commit fails on the disk does not know whether it was saved: it keeps its file. Taking
    /// it away (as for a refused registration) left a document without content once the crash that followed
    /// replayed the commit from the WAL.
    @Test func aCommitFailingOnTheDiskKeepsItsFileForAReplay() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let source = try cli.scratch.write("shim.c", Self.failingCommitShim)
        let shim = cli.scratch.file("shim.so")
        _ = try runTool("/usr/bin/cc", ["-shared", "-fPIC", "-o", shim, source, "-ldl"])
        let file = try cli.scratch.write("brev.txt", "Ett brev som registreras när disken sviktar")
        let failed = try cli.run(["register", file, "--case", caseNumber, "--type", "letter"],
                                 launcher: ["/usr/bin/env", "LD_PRELOAD=\(shim)"])
        // Killed after the failure (or, should SQLite neither sync nor remove its WAL, ended with the storage failure).
        #expect(failed.status == SIGKILL || failed.status == 7, "exit \(failed.status): \(failed.stderr)")
        let verify = try cli.run(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(!verify.stdout.contains("blob-missing"))
        // Replayed or not, what the catalog holds can be read back whole.
        let shown = try #require(try cli.json(["case", "show", caseNumber]) as? [String: Any])
        for document in shown["documents"] as? [[String: Any]] ?? [] {
            let number = try #require(document["number"] as? String)
            let out = cli.scratch.file("back-\(number.split(separator: "-").last!)")
            try cli.ok(["get", number, "-o", out])
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: file)))
        }
    }

    func fileHashes(_ files: [String]) throws -> [String] {
        try runTool("/usr/bin/sha256sum", files).split(separator: "\n").map { String($0.prefix(64)) }
    }

    /// Mistakes in arguments are refused by name, with the documented exit code, and change nothing: limits out of
    /// range (never quietly changed), text that is not UTF-8 or holds U+FFFF, an output path that is a pipe or a
    /// link, an empty backup destination. A query word starting with "-" is a negation, not options.
    @Test func mistakesInArgumentsAreRefusedByName() throws {
        let (cli, caseNumber) = try prepared()
        defer { cli.remove() }
        let plain = try cli.scratch.write("a.txt", "Ansökan om bygglov\n")
        let number = try cli.ok(["register", plain, "--case", caseNumber, "--type", "letter", "--title", "Ansökan hej"])
            .trimmingCharacters(in: .newlines)
        _ = try cli.ok(["register", try cli.scratch.write("b.txt", "Remissvar\n"), "--case", caseNumber, "--type", "letter",
                        "--title", "Remiss hej"])
        // What --if-version takes is in the JSON too; a series that does not exist is said so, not an empty list.
        let shownCase = try cli.json(["case", "show", caseNumber]) as? [String: Any]
        #expect(shownCase?["version"] as? Int == 1 && shownCase?["description"] as? Int == 1)
        #expect(try cli.run(["restrictions", "--series", "NOPE"]).status == 3)
        var events = try cli.ok(["audit"]).split(separator: "\n").count

        for arguments in [["search", "hej", "--limit", "0"], ["search", "hej", "--limit", "101"], ["audit", "--limit=-1"],
                          ["restrictions", "--limit", "0"], ["dispose", "--limit", "0"], ["exchange", "list", "--limit=-1"]] {
            let result = try cli.run(arguments)
            #expect(result.status == 2 && result.stderr.contains("--limit must be"), "\(arguments): \(result.status) \(result.stderr)")
        }
        #expect(try cli.run(["dispose", "--execute", "--limit", "5"]).status == 64)

        for query in [["-remiss hej"], ["hej", "-remiss"]] {
            let result = try cli.run(["search"] + query + ["--json"])
            #expect(result.status == 0 && !result.stdout.contains("USAGE"), "\(query): \(result.stderr)")
            let hits = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["hits"] as? [[String: Any]]
            #expect(hits?.compactMap { $0["number"] as? String } == [number], "\(query): \(result.stdout)")
        }
        #expect(try cli.run(["search", "-type:letter"]).status == 2, "a negated filter is the query parser's mistake to name")

        // Bytes that are not UTF-8 (a Latin-1 "ä") would have become U+FFFD: refused before anything runs.
        let latin1 = try cli.run(["register", plain, "--case", caseNumber, "--type", "letter", "--title"],
                                 launcher: ["/bin/sh", "-c", #"exec "$0" "$@" "$(printf 'r\344kning')""#])
        #expect(latin1.status == 2 && latin1.stderr.contains("is not UTF-8"), "\(latin1.stderr)")
        let noncharacter = try cli.run(["register", plain, "--case", caseNumber, "--type", "letter", "--title", "Brev \u{FFFF}"])
        #expect(noncharacter.status == 2 && noncharacter.stderr.contains("U+FFFF"), "\(noncharacter.stderr)")

        // get -o onto a pipe or a link would have replaced it with a file.
        let fifo = cli.scratch.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let link = cli.scratch.file("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: plain)
        for target in [fifo, link] {
            let result = try cli.run(["get", number, "-o", target])
            #expect(result.status == 2 && result.stderr.contains("is not a regular file"), "\(result.stderr)")
            #expect(try FileManager.default.attributesOfItem(atPath: target)[.type] as? FileAttributeType != .typeRegular)
        }
        #expect(try cli.ok(["audit"]).split(separator: "\n").count == events, "nothing refused was logged")
        // A restricted version's copy is its owner's alone; a public one's as the umask allows.
        let restricted = try cli.ok(["register", try cli.scratch.write("c.txt", "Personuppgifter\n"), "--case", caseNumber, "--type", "letter",
                                     "--restrict", "privacy", "--legal", "OSL 26 kap. 1 §"]).trimmingCharacters(in: .newlines)
        for (document, owner) in [(restricted, true), (number, false)] {
            let copy = cli.scratch.file("copy-\(owner)")
            try cli.ok(["get", document, "-o", copy])
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? Int)
            #expect(owner ? mode == 0o600 : mode & 0o044 != 0, "\(document): \(String(mode, radix: 8))")
        }
        events = try cli.ok(["audit"]).split(separator: "\n").count
        let export = try cli.run(["export", "--case", caseNumber, "--format", "eark-tar", "--out", fifo])
        #expect(export.status == 2 && export.stderr.contains("is not a regular file"), "\(export.stderr)")

        #expect(try cli.run(["import", plain, "--into-series", "KS", "--into-case", caseNumber]).status == 64)
        #expect(try cli.run(["import", plain, "--max-files", "0"]).status == 64)
        for departments in [[""], [","], ["KS,"]] {
            let clerk = try cli.run(["user", "add", "eva", "--role", "clerk"] + departments.flatMap { ["--department", $0] })
            #expect(clerk.status == 2 && clerk.stderr.contains("a department code is"), "\(departments): \(clerk.stderr)")
        }
        let long = try cli.run(["register", plain, "--case", caseNumber, "--type", String(repeating: "x", count: 100_000)])
        #expect(long.status == 2 && long.stderr.count < 400, "an error repeats a mistake, not all of it: \(long.stderr.count) characters")
        #expect(try cli.run(["backup", ""]).status == 2)
        #expect(try cli.run(["init", "--store", ""]).status == 64)
        #expect(try cli.ok(["audit"]).split(separator: "\n").count == events, "nothing refused was logged")

        // A backup named from another folder is logged from the root: found from anywhere later.
        let elsewhere = cli.scratch.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let made = try cli.run(["backup", "kopia"], launcher: ["/bin/sh", "-c", "cd '\(elsewhere)' && exec \"$0\" \"$@\""])
        #expect(made.status == 0, "\(made.stderr)")
        let backups = try #require(try cli.json(["backups"]) as? [[String: Any]])
        #expect(backups.map { $0["destination"] as? String } == [elsewhere + "/kopia"] && backups.first?["present"] as? Bool == true,
                "\(backups)")
    }
}
