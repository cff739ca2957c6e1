#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumTesting
import Foundation
import Testing

@Suite struct ExchangeCLITests {
    let token = "cli-shared-token-0123456789"

    @Test func partiesAreAddedAndListedWithoutTokens() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "BUN", "--name", "Barn- och utbildningsnämnden"])
        #expect(try cli.ok(["party", "add", "Timrå kommun, BUN", "--id", "timra-bun", "--url", "https://diarium.timra.se",
                            "--token", token, "--series", "BUN"]) == "timra-bun\n")
        try cli.ok(["party", "add", "Ånge (papperspost)", "--id", "ange"])

        let listed = try #require(try cli.json(["party", "list"]) as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == ["ange", "timra-bun"])
        #expect(listed[1]["receivingSeries"] as? String == "BUN")
        #expect(listed[1]["hasOutboundToken"] as? Bool == true)
        #expect(listed[0]["hasInboundToken"] as? Bool == false)
        let text = try cli.ok(["party", "list"])
        #expect(text.contains("timra-bun\tTimrå kommun, BUN\thttps://diarium.timra.se\tBUN\ttoken, inbound token"))
        for output in [text, try cli.ok(["party", "list", "--json"]), try cli.ok(["audit", "--json"])] {
            #expect(!output.contains(token))
        }

        let duplicate = try cli.run(["party", "add", "Igen", "--id", "timra-bun"])
        #expect(duplicate.status == 4)
        #expect(duplicate.stderr.contains("party timra-bun already exists"))
        let badID = try cli.run(["party", "add", "X", "--id", "bad id"])
        #expect(badID.status == 2 && badID.stderr.contains("invalid party id"))
        let noSeries = try cli.run(["party", "add", "X", "--id", "x", "--series", "SBN"])
        #expect(noSeries.status == 3 && noSeries.stderr.contains("series SBN does not exist"))
        let shortToken = try cli.run(["party", "add", "X", "--id", "x", "--url", "https://x.se", "--token", "kort"])
        #expect(shortToken.status == 2 && !shortToken.stderr.contains("kort\n"))
        // Corrected: a series for the paper-post partner, a new token and address for Timrå, never echoed.
        #expect(try cli.ok(["party", "update", "ange", "--series", "BUN"]) == "ange\n")
        let newToken = "cli-rotated-token-98765432"
        let rotated = try #require(try cli.json(["party", "update", "timra-bun", "--token", newToken, "--url", "https://ny.timra.se"])
                                   as? [String: Any])
        #expect(rotated["url"] as? String == "https://ny.timra.se" && rotated["hasInboundToken"] as? Bool == true)
        let contradiction = try cli.run(["party", "update", "ange", "--series", "BUN", "--clear", "series"])
        #expect(contradiction.status == 2 && contradiction.stderr.contains("'--clear series' contradicts --series"))
        let unknownField = try cli.run(["party", "update", "ange", "--clear", "name"])
        #expect(unknownField.status == 2 && unknownField.stderr.contains("use url, series, token or inbound-token"))
        let unreachable = try cli.run(["party", "update", "timra-bun", "--clear", "token"])
        #expect(unreachable.status == 2 && unreachable.stderr.contains("needs the token we present"))
        #expect(try cli.run(["party", "update", "nobody", "--series", "BUN"]).status == 3)
        // Tokens from a file or standard input, as a password manager hands them out: in no process list or history.
        let file = try cli.scratch.write("token.txt", "kort\n")
        let fromFile = try cli.run(["party", "add", "X", "--id", "x", "--url", "https://x.se", "--token-file", file])
        #expect(fromFile.status == 2 && fromFile.stderr.contains("token"), "the file's first line was read: \(fromFile.stderr)")
        let both = try cli.run(["party", "add", "X", "--id", "x", "--token", token, "--token-file", file])
        #expect(both.status == 2 && both.stderr.contains("not both"))
        let twoFromInput = try cli.run(["party", "add", "X", "--id", "x", "--token-file", "-", "--inbound-token-file", "-"])
        #expect(twoFromInput.status == 64 && twoFromInput.stderr.contains("only one token can be read from standard input"))
        // A file written on Windows: its line ends in CR LF, which is not part of the token.
        let crlf = try cli.scratch.write("crlf.txt", "cli-crlf-token-0123456789\r\nsecond line\r\n")
        #expect(try cli.run(["party", "update", "ange", "--token-file", crlf]).status == 0)
        let piped = try cli.run(["party", "update", "ange", "--url", "https://ange.se", "--token-file", "-"], input: "cli-piped-token-0123456789\n")
        #expect(piped.status == 0, "\(piped.stderr)")
        let ange = try #require(try cli.json(["party", "list"]) as? [[String: Any]]).first { $0["id"] as? String == "ange" }
        #expect(ange?["hasOutboundToken"] as? Bool == true && ange?["hasInboundToken"] as? Bool == true)
        #expect(!(try cli.ok(["audit", "--json"])).contains("cli-piped-token"))
        #expect(!(try cli.ok(["audit", "--json"])).contains(newToken))

        let events = try #require(try cli.json(["audit", "party:timra-bun"]) as? [[String: Any]])
        #expect(events.map { $0["action"] as? String } == ["party.add", "party.update"])
        #expect(try cli.ok(["verify"]).contains("OK"))
    }

    /// Ctrl-C, a TERM or a HUP in the middle of an attempt on an inbox that never answers: the interchange is due again
    /// at once, as a stopping server leaves it, rather than held for the attempt's 5-hour lease.
    @Test func anInterruptedAttemptLeavesItsInterchangeDueAgain() throws {
        let refused = try ClosedPort()
        let silent = try ClosedPort(silent: true)
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["exchange", "identity", "sundsvall-ks"])
        try cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let caseNumber = try cli.ok(["case", "open", "--series", "KS", "--title", "Skolskjuts"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try cli.ok(["register", try cli.scratch.write("brev.txt", "Begäran om skolskjuts.\n"), "--case", caseNumber, "--type", "letter"])
        try cli.ok(["party", "add", "Timrå", "--id", "timra-bun", "--url", "http://127.0.0.1:\(refused.port)", "--token", token])
        let down = try cli.run(["exchange", "send", "--case", caseNumber, "--to", "timra-bun", "--attempts", "1", "--json"])
        #expect(down.status == 8, "\(down.stderr)")
        let sent = try #require((try JSONSerialization.jsonObject(with: Data(down.stdout.utf8)) as? [String: Any])?["record"] as? [String: Any])
        let reference = try #require(sent["controlReference"] as? String)
        // An address that takes the connection and never answers; correcting it makes the interchange due at once.
        try cli.ok(["party", "update", "timra-bun", "--url", "http://127.0.0.1:\(silent.port)"])
        func nextAttempt() throws -> Date? {
            let outbox = try #require(try cli.json(["exchange", "list", "--outbox"]) as? [[String: Any]])
            return (outbox.first { $0["controlReference"] as? String == reference }?["nextAttemptAt"] as? String).flatMap(Timestamp.parse)
        }
        // Each signal alone, and two at once (the second waits for the first's release rather than exit under it).
        let runs: [([String], [Int32])] = [(["exchange", "resend", "--due"], [SIGINT]), (["exchange", "resend", reference], [SIGTERM]),
                                           (["exchange", "resend", reference], [SIGHUP]), (["exchange", "resend", "--due"], [SIGINT, SIGTERM])]
        for (run, (arguments, numbers)) in runs.enumerated() {
            let log = cli.scratch.file("resend-\(run).log")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            let process = try cli.start(arguments, stdout: Pipe(), stderr: handle)
            try handle.close()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            // Under way once the attempt holds its lease: hours ahead.
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, (try nextAttempt()).map({ $0 > Date().addingTimeInterval(3600) }) != true { usleep(50_000) }
            #expect((try nextAttempt()).map { $0 > Date().addingTimeInterval(3600) } == true, "\(arguments): no lease taken")
            #expect(try cli.ok(["exchange", "list", "--outbox"]).contains("\tan attempt is under way (or was cut off: tried again by itself from "))
            let listed = try #require(try cli.json(["exchange", "list", "--outbox"]) as? [[String: Any]])
            #expect(listed.first { $0["controlReference"] as? String == reference }?["attemptUnderWay"] as? Bool == true, "\(listed)")
            for number in numbers { kill(process.processIdentifier, number) }
            process.waitUntilExit()
            #expect(numbers.map { 128 + $0 }.contains(process.terminationStatus), "\(arguments) \(numbers): \(process.terminationStatus)")
            let due = try #require(try nextAttempt())
            #expect(due <= Date().addingTimeInterval(1), "\(arguments): due again at once, not \(Timestamp.format(due))")
            let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(said.contains("interrupted: \(reference) is due to be delivered again at once"), "\(said)")
            #expect(try cli.ok(["exchange", "list", "--outbox"]).contains("\tnext attempt "))
            #expect((try cli.json(["exchange", "list", "--outbox"]) as? [[String: Any]])?.first?["attemptUnderWay"] as? Bool == false)
        }
        #expect(try cli.ok(["verify"]).contains("OK"))
    }

    @Test func exchangeListStartsEmptyAndRefusesBothBoxes() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        #expect(try cli.ok(["exchange", "list"]).isEmpty)
        #expect((try cli.json(["exchange", "list", "--inbox"]) as? [Any])?.isEmpty == true)
        #expect((try cli.json(["exchange", "list", "--outbox"]) as? [Any])?.isEmpty == true)
        let both = try cli.run(["exchange", "list", "--inbox", "--outbox"])
        #expect(both.status == 64)
        let badParty = try cli.run(["exchange", "list", "--party", "no such"])
        #expect(badParty.status == 2)
    }
}
