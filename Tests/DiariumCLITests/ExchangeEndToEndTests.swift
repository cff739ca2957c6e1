#if canImport(Glibc)
import Glibc
#endif
import DiariumTesting
import Foundation
import GRDB
import Testing

/// Two `diarium serve` processes with separate stores exchange records over loopback, through a proxy the test
/// controls so it can cut a connection in the middle of an upload. Each injected fault is followed by store snapshots
/// and `diarium verify` on both sides: nothing lost, nothing registered twice, nothing half registered.
@Suite(.serialized) struct ExchangeEndToEndTests {
    static let token = "e2e-shared-token-0123456789abcdef"

    /// A side of the exchange: its store (through the CLI) and its server.
    final class Side {
        let cli: CLIRunner
        let party: String
        var server: Process?
        var port = 0
        let log: String

        init(party: String) throws {
            cli = try CLIRunner()
            self.party = party
            log = cli.scratch.file("server.log")
        }

        /// Starts `diarium serve` (on `port`, or a free one the first time) and waits for its listening line. It looks
        /// for interchanges due to be delivered again every second.
        func start() throws {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            let process = try cli.start(["serve", "--port", String(port), "--redelivery-interval", "1"], stdout: Pipe(), stderr: handle)
            try handle.close()
            server = process
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "listening on 127.0.0.1:"), let found = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                    port = found
                    return
                }
                usleep(50_000)
            }
            throw Failure(text: "no listening line: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }

        func stop() {
            guard let server, server.isRunning else { return }
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }

        func snapshot() throws -> Snapshot {
            let cases = try #require(try cli.json(["case", "list"]) as? [[String: Any]])
            var documents = 0, versions = 0
            for item in cases {
                let number = try #require(item["number"] as? String)
                let shown = try #require(try cli.json(["case", "show", number]) as? [String: Any])
                for document in try #require(shown["documents"] as? [[String: Any]]) {
                    documents += 1
                    versions += try #require((document["current"] as? [String: Any])?["number"] as? Int)
                }
            }
            let verify = try #require(try cli.json(["verify"]) as? [String: Any])
            #expect((verify["problems"] as? [Any])?.isEmpty == true, "verify: \(verify)")
            let interchanges = try #require(try cli.json(["exchange", "list"]) as? [Any])
            // Every verification is logged: the snapshot counts the other events.
            let events = try #require(try cli.json(["audit", "--limit", "100000"]) as? [[String: Any]])
            return Snapshot(cases: cases.count, documents: documents, versions: versions,
                            audit: events.filter { $0["action"] as? String != "store.verify" }.count, interchanges: interchanges.count)
        }
    }

    struct Snapshot: Equatable, CustomStringConvertible {
        var cases, documents, versions, audit, interchanges: Int
        var description: String { "\(cases) cases, \(documents) documents, \(versions) versions, \(audit) audit, \(interchanges) interchanges" }
    }

    struct Failure: Error, CustomStringConvertible {
        let text: String
        var description: String { text }
    }

    @Test func twoServersExchangeACaseThroughFaults() throws {
        signal(SIGPIPE, SIG_IGN)   // the proxy writes to sockets it may have cut
        let a = try Side(party: "sundsvall-ks")
        let b = try Side(party: "timra-bun")
        defer { a.stop(); b.stop(); a.cli.remove(); b.cli.remove() }

        // A: a case with three documents, one restricted, one large enough to be cut in the middle.
        try a.cli.ok(["init"])
        try a.cli.ok(["exchange", "identity", a.party])
        try a.cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let caseNumber = try a.cli.ok(["case", "open", "--series", "KS", "--title", "Skolskjuts Timrå"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let letter = try a.cli.scratch.write("brev.txt", "Begäran om skolskjuts för elev i Timrå.\n")
        let report = try a.cli.scratch.write("utredning.txt", String(repeating: "Utredning av skolskjutsen, rad för rad.\n", count: 4000))
        let secret = try a.cli.scratch.write("yttrande.txt", "Uppgifter om elevens hälsa.\n")
        try a.cli.ok(["register", letter, "--case", caseNumber, "--type", "letter", "--direction", "incoming", "--sender", "Anna Andersson"])
        try a.cli.ok(["register", report, "--case", caseNumber, "--type", "report", "--title", "Utredning skolskjuts"])
        try a.cli.ok(["register", secret, "--case", caseNumber, "--type", "letter", "--title", "Yttrande", "--restrict", "privacy",
                      "--legal", "OSL 26 kap. 1 §", "--hide", "content"])
        let numbers = (1...3).map { "\(caseNumber)-\($0)" }

        try b.cli.ok(["init"])
        try b.cli.ok(["exchange", "identity", b.party])
        try b.cli.ok(["series", "add", "BUN", "--name", "Barn- och utbildningsnämnden"])
        try a.start()
        try b.start()
        let proxy = try CuttingProxy(upstreamPort: b.port)
        defer { proxy.stop() }
        // Both ways: A delivers to B through the proxy; B knows A, registers A's documents in BUN.
        try a.cli.ok(["party", "add", "Timrå kommun, BUN", "--id", b.party, "--url", "http://127.0.0.1:\(proxy.port)",
                      "--token", Self.token, "--series", "KS"])
        try b.cli.ok(["party", "add", "Sundsvalls kommun, KS", "--id", a.party, "--url", "http://127.0.0.1:\(a.port)",
                      "--token", Self.token, "--series", "BUN"])

        // 1. The case is sent and accepted: B registers it under its own numbers, A keeps the receipt and the links.
        var before = try b.snapshot()
        let sent = try #require(try a.cli.json(["exchange", "send", "--case", caseNumber, "--to", b.party, "--retry-delay", "0.1"]) as? [String: Any])
        let record = try #require(sent["record"] as? [String: Any])
        #expect(record["status"] as? String == "accepted")
        let links = try #require(record["links"] as? [[String: String]])
        #expect(links.map { $0["senderNumber"] } == [caseNumber] + numbers)
        let received = try #require(links.first?["receiverNumber"])
        #expect(received.hasPrefix("BUN "))
        #expect(links.dropFirst().map { $0["receiverNumber"] } == (1...3).map { "\(received)-\($0)" })
        var after = try b.snapshot()
        // Each registered here as it came in: the letter came in to A too; the report and the statement, A's own drafts,
        // each get a version saying they came in from A, and one that makes them final (as an incoming document is).
        #expect(after.cases == before.cases + 1 && after.documents == before.documents + 3 && after.versions == before.versions + 1 + 3 + 3,
                "\(before) → \(after)")
        #expect(after.interchanges == before.interchanges + 1)
        let shown = try #require(try b.cli.json(["show", "\(received)-3"]) as? [String: Any])
        #expect((shown["current"] as? [String: Any]).flatMap { ($0["metadata"] as? [String: Any])?["restriction"] } != nil,
                "the restriction travels with the document: \(shown)")
        #expect(shown["originalNumber"] as? String == numbers[2] && shown["originalCaseNumber"] as? String == caseNumber,
                "and --json says where it came from: \(shown)")
        let shownText = try b.cli.ok(["show", "\(received)-3"])
        #expect(shownText.contains("Original number") && shownText.contains("\(numbers[2]) (case \(caseNumber))"),
                "the sender's numbers are shown: \(shownText)")
        #expect(!(try a.cli.ok(["show", numbers[2]])).contains("Original number"), "nothing for a document registered here")
        // Each side's `show` names the interchange and the number on the other side; the receiver's, the registration there.
        let reference = try #require((sent["record"] as? [String: Any])?["controlReference"] as? String)
        #expect(shownText.contains("received from \(a.party) in \(reference) ") && shownText.contains("(there \(numbers[2]))")
                && shownText.contains("; registered there "), "\(shownText)")
        let shownSent = try a.cli.ok(["show", numbers[2]])
        #expect(shownSent.contains("sent to \(b.party) in \(reference) ") && shownSent.contains("(accepted: \(received)-3)"), "\(shownSent)")
        // --json says the same, and `exchange list --document` lists them.
        let exchangedThere = try #require(shown["interchanges"] as? [[String: Any]])
        #expect(exchangedThere.count == 1 && exchangedThere[0]["direction"] as? String == "in" && exchangedThere[0]["sender"] as? String == a.party
                && exchangedThere[0]["otherNumber"] as? String == numbers[2] && exchangedThere[0]["registeredThereAt"] is String
                && exchangedThere[0]["registeredThereBy"] is String, "\(exchangedThere)")
        let shownSentJSON = try #require(try a.cli.json(["show", numbers[2]]) as? [String: Any])
        let exchangedHere = try #require(shownSentJSON["interchanges"] as? [[String: Any]])
        #expect(exchangedHere.count == 1 && exchangedHere[0]["direction"] as? String == "out" && exchangedHere[0]["status"] as? String == "accepted"
                && exchangedHere[0]["otherNumber"] as? String == "\(received)-3" && exchangedHere[0]["registeredThereAt"] == nil, "\(exchangedHere)")
        #expect((try a.cli.json(["show", numbers[0]]) as? [String: Any])?["interchanges"] != nil, "every document of the case went out")
        let listed = try #require(try b.cli.json(["exchange", "list", "--document", "\(received)-3"]) as? [[String: Any]])
        #expect(listed.map { $0["controlReference"] as? String } == [reference], "\(listed)")
        #expect(try b.cli.ok(["exchange", "list", "--document", "\(received)-3", "--outbox"]).isEmpty)
        let firstPage = try a.cli.run(["exchange", "list", "--limit", "1"])
        let more = "more: --after out:\(a.party)/\(reference)"
        #expect(firstPage.status == 0 && firstPage.stdout.contains(reference) && firstPage.stderr.contains(more), "\(firstPage)")
        #expect((try a.cli.json(["exchange", "list", "--after", "out:\(a.party)/\(reference)"]) as? [Any])?.isEmpty == true)
        #expect(try a.cli.run(["exchange", "list", "--after", "\(reference)"]).status == 2)
        let unknown = try b.cli.run(["exchange", "list", "--document", "\(received)-9"])
        #expect(unknown.status == 3 && unknown.stderr.contains("\(received)-9"), "\(unknown)")
        let receivedReport = try #require((try b.cli.json(["show", "\(received)-2"]) as? [String: Any])?["current"] as? [String: Any])
        let reportMetadata = try #require(receivedReport["metadata"] as? [String: Any])
        #expect(reportMetadata["direction"] as? String == "incoming" && reportMetadata["sender"] as? String == "Sundsvalls kommun, KS"
                && receivedReport["status"] as? String == "final", "\(receivedReport)")
        let inbox = try #require(try b.cli.json(["exchange", "list", "--inbox"]) as? [[String: Any]])
        #expect(inbox.first?["status"] as? String == "accepted")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(a.cli.store)/exchange/outbox").isEmpty, "answered: outbox files removed")
        // Packages hold restricted records too: nothing for other local accounts.
        for folder in ["exchange", "exchange/outbox"] {
            let mode = try FileManager.default.attributesOfItem(atPath: "\(a.cli.store)/\(folder)")[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o750, "\(folder): \(String(mode?.intValue ?? -1, radix: 8))")
        }
        let sentReference = try #require(record["controlReference"] as? String)
        let audit = try #require(try a.cli.json(["audit", "interchange:out:\(a.party)/\(sentReference)"]) as? [[String: Any]])
        #expect(audit.map { $0["action"] as? String } == ["interchange.record", "interchange.status", "interchange.status"])
        _ = try a.snapshot()

        // 2. The connection drops in the middle of the upload: A retries with the same control reference; B registers once.
        before = try b.snapshot()
        proxy.cutNext(afterBytes: 40_000)
        let retried = try #require(try a.cli.json(["exchange", "send", "--documents", numbers[1], "--to", b.party, "--retry-delay", "0.1"]) as? [String: Any])
        let retriedRecord = try #require(retried["record"] as? [String: Any])
        #expect(retriedRecord["status"] as? String == "accepted")
        #expect(retriedRecord["attempts"] as? Int == 2, "one cut attempt, one delivery: \(retriedRecord)")
        #expect(proxy.cuts == 1)
        // Delivered before with its case: registered again, in the case that transfer opened at B, and the receipt says so.
        #expect((retried["receipt"] as? [String: Any]).map { "\($0["diagnostics"] ?? "")" }?.contains("received-before") == true, "\(retried)")
        after = try b.snapshot()
        #expect(after.cases == before.cases && after.documents == before.documents + 1 && after.interchanges == before.interchanges + 1)
        #expect(!((try? String(contentsOfFile: b.log, encoding: .utf8)) ?? "").contains(Self.token), "tokens are never logged")

        // 3. The receiver is down: attempts fail, the interchange stays queued with the error; once B is back, a resend delivers once.
        b.stop()
        before = try b.snapshot()
        let down = try a.cli.run(["exchange", "send", "--documents", numbers[0], "--to", b.party, "--attempts", "3", "--retry-delay", "0.1", "--json"])
        #expect(down.status == 8, "not delivered: \(down.stderr)")
        let queued = try #require(try JSONSerialization.jsonObject(with: Data(down.stdout.utf8)) as? [String: Any])
        let queuedRecord = try #require(queued["record"] as? [String: Any])
        let queuedReference = try #require(queuedRecord["controlReference"] as? String)
        #expect(queuedRecord["status"] as? String == "queued")
        #expect(queuedRecord["attempts"] as? Int == 3)
        #expect((queuedRecord["lastError"] as? String)?.isEmpty == false)
        let outbox = try #require(try a.cli.json(["exchange", "list", "--outbox"]) as? [[String: Any]])
        #expect(outbox.first { $0["controlReference"] as? String == queuedReference }?["status"] as? String == "queued")
        #expect(try a.cli.ok(["exchange", "list", "--outbox"]).contains("last attempt:"))
        #expect(try b.snapshot() == before, "nothing reached B")
        // Another, given up: withdrawn, its files leave the outbox and it is not delivered again, B back or not.
        let givenUp = try a.cli.run(["exchange", "send", "--documents", numbers[1], "--to", b.party, "--attempts", "1", "--json"])
        #expect(givenUp.status == 8, "not delivered: \(givenUp.stderr)")
        let givenUpRecord = (try JSONSerialization.jsonObject(with: Data(givenUp.stdout.utf8)) as? [String: Any])?["record"] as? [String: Any]
        let givenUpReference = try #require(givenUpRecord?["controlReference"] as? String)
        #expect(try a.cli.ok(["exchange", "withdraw", givenUpReference]) == "\(givenUpReference)\twithdrawn\n")
        #expect(try a.cli.ok(["exchange", "list", "--outbox"]).contains("queued (withdrawn "))
        try b.start()
        let withdrawnResend = try a.cli.run(["exchange", "resend", givenUpReference])
        #expect(withdrawnResend.status == 4 && withdrawnResend.stderr.contains("was withdrawn"), "\(withdrawnResend.stderr)")
        let resent = try #require(try a.cli.json(["exchange", "resend", queuedReference, "--retry-delay", "0.1"]) as? [String: Any])
        #expect((resent["record"] as? [String: Any])?["status"] as? String == "accepted")
        after = try b.snapshot()
        #expect(after.cases == before.cases && after.documents == before.documents + 1 && after.interchanges == before.interchanges + 1)
        let again = try a.cli.run(["exchange", "resend", queuedReference])
        #expect(again.status == 4 && again.stderr.contains("already accepted"))
        _ = try a.snapshot()

        // 3b. Delivered again by itself. B is down: the send fails, and the interchange is due again in a minute. With
        // no server of A's running, `exchange resend --due` makes the attempts a server would (B still down: tried again
        // later); once B is back, A's server delivers it by itself. The minutes are moved back in A's catalog, as time
        // would pass.
        b.stop()
        before = try b.snapshot()
        let late = try a.cli.run(["exchange", "send", "--documents", numbers[2], "--to", b.party, "--attempts", "1", "--json"])
        #expect(late.status == 8, "not delivered: \(late.stderr)")
        let lateRecord = (try JSONSerialization.jsonObject(with: Data(late.stdout.utf8)) as? [String: Any])?["record"] as? [String: Any]
        let lateReference = try #require(lateRecord?["controlReference"] as? String)
        #expect(lateRecord?["nextAttemptAt"] is String, "\(lateRecord ?? [:])")
        #expect(try a.cli.ok(["exchange", "list", "--outbox"]).contains("next attempt "))
        #expect(try a.cli.run(["exchange", "resend", "--due"]).stderr.contains("nothing is due"))
        let catalog = try DatabaseQueue(path: a.cli.store + "/catalog.sqlite")
        func timePasses() throws {
            try catalog.write { db in
                try db.execute(sql: "UPDATE interchanges SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE control_ref = ?",
                               arguments: [lateReference])
            }
        }
        a.stop()
        try timePasses()
        let due = try a.cli.run(["exchange", "resend", "--due"])
        #expect(due.status == 8 && due.stdout.hasPrefix("\(lateReference)\tto \(b.party)\tqueued\tnot delivered: "), "\(due.stdout) \(due.stderr)")
        let tried = try #require(try a.cli.json(["exchange", "list", "--outbox"]) as? [[String: Any]]).first {
            $0["controlReference"] as? String == lateReference
        }
        #expect(tried?["attempts"] as? Int == 2 && tried?["nextAttemptAt"] is String, "\(tried ?? [:])")
        try b.start()
        try a.start()
        try timePasses()
        var delivered: [String: Any]?
        for _ in 0..<200 {
            delivered = try #require(try a.cli.json(["exchange", "list", "--outbox"]) as? [[String: Any]]).first {
                $0["controlReference"] as? String == lateReference
            }
            if delivered?["status"] as? String == "accepted" { break }
            usleep(100_000)
        }
        #expect(delivered?["status"] as? String == "accepted" && delivered?["attempts"] as? Int == 3, "\(delivered ?? [:])")
        #expect(delivered?["nextAttemptAt"] == nil)
        after = try b.snapshot()
        #expect(after.documents == before.documents + 1 && after.interchanges == before.interchanges + 1)
        let events = try #require(try a.cli.json(["audit", "interchange:out:\(a.party)/\(lateReference)"]) as? [[String: Any]])
        #expect(events.compactMap { $0["actor"] as? String }.suffix(2) == ["system:redelivery", "system:redelivery"], "\(events)")
        #expect(try a.cli.run(["exchange", "resend", "--due"]).stderr.contains("nothing is due"))
        _ = try a.snapshot()

        // 4. A duplicate delivery: the same interchange twice gets the same receipt and registers nothing new.
        let outDir = a.cli.scratch.file("utkorg")
        let written = try #require(try a.cli.json(["exchange", "send", "--documents", numbers[2], "--to", b.party, "--out", outDir]) as? [String: Any])
        let fileReference = try #require((written["record"] as? [String: Any])?["controlReference"] as? String)
        #expect((written["record"] as? [String: Any])?["status"] as? String == "sent")
        let envelope = try Data(contentsOf: URL(fileURLWithPath: "\(outDir)/\(fileReference).xml"))
        let package = try Data(contentsOf: URL(fileURLWithPath: "\(outDir)/\(fileReference).tar"))
        // Owner and group only, as the store's files, whatever the umask (the black-box review found them world-readable).
        for name in ["\(fileReference).xml", "\(fileReference).tar"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: "\(outDir)/\(name)")[.posixPermissions] as? Int)
            #expect(mode & 0o007 == 0, "\(name): \(String(mode, radix: 8))")
        }
        before = try b.snapshot()
        let first = try post(port: b.port, token: Self.token, envelope: envelope, body: package)
        #expect(first.status == 200, "\(first.text.prefix(500))")
        #expect(first.body.contains("status=\"accepted\""))
        let middle = try b.snapshot()
        #expect(middle.cases == before.cases && middle.documents == before.documents + 1)
        let second = try post(port: b.port, token: Self.token, envelope: envelope, body: package)
        #expect(second.status == 200)
        #expect(second.body == first.body, "a redelivery gets the stored receipt")
        #expect(try b.snapshot() == middle)
        // By file too: the same receipt, nothing registered.
        let byFile = try b.cli.run(["exchange", "receive", "\(outDir)/\(fileReference).xml", "--from", a.party])
        #expect(byFile.status == 0 && byFile.stdout.contains("received before"), "\(byFile.stdout) \(byFile.stderr)")
        #expect(try String(contentsOfFile: "\(outDir)/\(fileReference).receipt.xml", encoding: .utf8) == first.body)
        #expect(try b.snapshot() == middle)
        // A stores the receipt that came back by file.
        let stored = try a.cli.ok(["exchange", "receive", "\(outDir)/\(fileReference).receipt.xml"])
        #expect(stored.contains("accepted"))
        // Another payload under the used control reference: rejected, naming the control reference.
        var altered = package
        altered[altered.count / 2] ^= 0x01
        let alteredEnvelope = try envelopeDescribing(altered, from: envelope)
        let reused = try post(port: b.port, token: Self.token, envelope: alteredEnvelope, body: altered)
        #expect(reused.status == 200)
        #expect(reused.body.contains("status=\"rejected\"") && reused.body.contains("element=\"/interchange/controlReference\""))
        let afterReuse = try b.snapshot()
        #expect(afterReuse.cases == middle.cases && afterReuse.documents == middle.documents && afterReuse.interchanges == middle.interchanges)

        // 5. A package changed after the envelope was made (damaged on the way): 400 naming the digest, nothing recorded,
        // so the intact package under the same envelope is then accepted (a recorded rejection answered every resend).
        let tamperDir = a.cli.scratch.file("manipulerad")
        let tampered = try #require(try a.cli.json(["exchange", "send", "--documents", numbers[0], "--to", b.party, "--out", tamperDir]) as? [String: Any])
        let tamperedReference = try #require((tampered["record"] as? [String: Any])?["controlReference"] as? String)
        let tamperedEnvelope = try Data(contentsOf: URL(fileURLWithPath: "\(tamperDir)/\(tamperedReference).xml"))
        let intactPackage = try Data(contentsOf: URL(fileURLWithPath: "\(tamperDir)/\(tamperedReference).tar"))
        var tamperedPackage = intactPackage
        tamperedPackage[tamperedPackage.count / 3] ^= 0x20
        before = try b.snapshot()
        let refused = try post(port: b.port, token: Self.token, envelope: tamperedEnvelope, body: tamperedPackage)
        #expect(refused.status == 400 && refused.text.contains("application/problem+json"))
        #expect(refused.body.contains("\"code\":\"damaged-in-transit\""), "a Diarium sender tries again: \(refused.body)")
        #expect(refused.body.contains("\"field\":\"/interchange/payload/@sha256\""), "\(refused.body)")
        after = try b.snapshot()
        #expect(after == before, "nothing recorded")
        let intactResent = try post(port: b.port, token: Self.token, envelope: tamperedEnvelope, body: intactPackage)
        #expect(intactResent.status == 200 && intactResent.body.contains("status=\"accepted\""), "\(intactResent.body)")
        after = try b.snapshot()
        #expect(after.documents == before.documents + 1 && after.interchanges == before.interchanges + 1)
        let receiptFile = try a.cli.scratch.write("\(tamperedReference).receipt.xml", intactResent.body)
        let acceptedAtA = try a.cli.run(["exchange", "receive", receiptFile])
        #expect(acceptedAtA.status == 0 && acceptedAtA.stdout.contains("accepted"), "\(acceptedAtA.stderr)")

        // Protocol errors are problems, not receipts.
        let unknownToken = try post(port: b.port, token: "not-the-party-token-000000", envelope: envelope, body: package)
        #expect(unknownToken.status == 401 && unknownToken.text.contains("application/problem+json"))
        let misaddressed = try post(port: b.port, token: Self.token, envelope: Data(String(decoding: envelope, as: UTF8.self)
            .replacingOccurrences(of: "<ex:recipient>\(b.party)</ex:recipient>", with: "<ex:recipient>ange</ex:recipient>").utf8), body: package)
        #expect(misaddressed.status == 400 && misaddressed.text.contains("/interchange/recipient"))
        let wrongMethod = try raw(port: b.port, "GET /api/v1/exchange/inbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(wrongMethod.hasPrefix("HTTP/1.1 405") && wrongMethod.contains("POST"))

        // 6. EDIFACT: the DIAREC interchange passes the envelope judge, and B registers it with the package beside it.
        let ediDir = a.cli.scratch.file("edifact")
        let edi = try #require(try a.cli.json(["exchange", "send", "--case", caseNumber, "--to", b.party, "--out", ediDir, "--format", "edifact"]) as? [String: Any])
        let ediReference = try #require((edi["record"] as? [String: Any])?["controlReference"] as? String)
        let ediPath = "\(ediDir)/\(ediReference).edi"
        try judgeEDIFACT(ediPath)
        before = try b.snapshot()
        let ediReceived = try b.cli.run(["exchange", "receive", ediDir, "--from", a.party])   // the directory: its one interchange
        #expect(ediReceived.status == 0, "\(ediReceived.stdout) \(ediReceived.stderr)")
        after = try b.snapshot()
        #expect(after.cases == before.cases + 1 && after.documents == before.documents + 3 && after.interchanges == before.interchanges + 1)
        let ediReceipt = try a.cli.ok(["exchange", "receive", "\(ediDir)/\(ediReference).receipt.xml"])
        #expect(ediReceipt.contains("accepted") && ediReceipt.contains(numbers[2]))

        let outboxAtA = try #require(try a.cli.json(["exchange", "list", "--outbox"]) as? [[String: Any]])
        // Every one answered, but the one withdrawn.
        #expect(Set(outboxAtA.filter { $0["withdrawnAt"] == nil }.compactMap { $0["status"] as? String }) == ["accepted"], "\(outboxAtA)")
        #expect(outboxAtA.filter { $0["withdrawnAt"] != nil }.compactMap { $0["controlReference"] as? String } == [givenUpReference])
        _ = try a.snapshot()
        _ = try b.snapshot()
    }

    /// File transport without servers: an EDIFACT interchange whose description no longer matches its package, and a
    /// package that is not one, are rejected naming the segment or file; neither registers anything.
    @Test func filesThatDoNotMatchAreRejectedAndRegisterNothing() throws {
        let a = try Side(party: "sundsvall-ks")
        let b = try Side(party: "timra-bun")
        defer { a.cli.remove(); b.cli.remove() }
        try a.cli.ok(["init"])
        try a.cli.ok(["exchange", "identity", a.party])
        try a.cli.ok(["series", "add", "KS", "--name", "Kommunstyrelsen"])
        let caseNumber = try a.cli.ok(["case", "open", "--series", "KS", "--title", "Bygglov"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try a.cli.ok(["register", try a.cli.scratch.write("ansokan.txt", "Ansökan om bygglov.\n"), "--case", caseNumber, "--type", "letter",
                      "--title", "Ansökan"])
        try b.cli.ok(["init"])
        try b.cli.ok(["exchange", "identity", b.party])
        try b.cli.ok(["series", "add", "BUN", "--name", "Barn- och utbildningsnämnden"])
        try a.cli.ok(["party", "add", "Timrå kommun, BUN", "--id", b.party])
        let noParty = try b.cli.run(["exchange", "receive", "/nonexistent/x.xml"])
        #expect(noParty.status == 6)

        // Without a URL the interchange can only be written for other transport.
        let noURL = try a.cli.run(["exchange", "send", "--case", caseNumber, "--to", b.party])
        #expect(noURL.status == 2 && noURL.stderr.contains("--out"))
        let dir = a.cli.scratch.file("ut")
        let written = try #require(try a.cli.json(["exchange", "send", "--case", caseNumber, "--to", b.party, "--out", dir, "--format", "edifact"]) as? [String: Any])
        let reference = try #require((written["record"] as? [String: Any])?["controlReference"] as? String)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["\(reference).edi", "\(reference).tar"])

        // Read from a file, an interchange is taken from the party the one receiving it names, never on its word.
        let unnamed = try b.cli.run(["exchange", "receive", "\(dir)/\(reference).edi"])
        #expect(unnamed.status == 2 && unnamed.stderr.contains("name the party this interchange came from (--from): the file says \(a.party)"),
                "\(unnamed.stderr)")
        let impostor = try b.cli.run(["exchange", "receive", "\(dir)/\(reference).edi", "--from", "ange-ks"])
        #expect(impostor.status != 0 && impostor.stderr.contains("it comes from party ange-ks, but the envelope's sender is \(a.party)"),
                "\(impostor.stderr)")
        // B does not know A yet: refused before anything is recorded.
        let unknown = try b.cli.run(["exchange", "receive", "\(dir)/\(reference).edi", "--from", a.party])
        #expect(unknown.status == 3 && unknown.stderr.contains("sender \(a.party) is not a known party"))
        try b.cli.ok(["party", "add", "Sundsvalls kommun, KS", "--id", a.party, "--token", Self.token, "--series", "BUN"])

        // The EDIFACT describes another title than the package holds.
        let edi = "\(dir)/\(reference).edi"
        let original = try Data(contentsOf: URL(fileURLWithPath: edi))
        let text = String(decoding: original.map { UInt16($0) }, as: UTF16.self)
        try #require(text.contains("FTX+ZTI+++Ansökan'"))
        let changed = text.replacingOccurrences(of: "FTX+ZTI+++Ansökan'", with: "FTX+ZTI+++Ansökan (ändrad)'")
        try Data(changed.unicodeScalars.map { UInt8($0.value) }).write(to: URL(fileURLWithPath: edi))
        let before = try b.snapshot()
        // No digest ties the .edi to the package, so a difference is damage on the way: nothing is recorded, and the
        // intact copy of the same interchange is received after it (a review found a rejection recorded for a damaged
        // copy refusing the intact one for good).
        let mismatch = try b.cli.run(["exchange", "receive", edi, "--from", a.party])
        #expect(mismatch.status == 6, "\(mismatch.stdout) \(mismatch.stderr)")
        #expect(mismatch.stderr.contains("the metadata of \(caseNumber)-1 differs (title)") && mismatch.stderr.contains("Nothing was recorded"),
                "\(mismatch.stderr)")
        var after = try b.snapshot()
        #expect(after == before)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/\(reference).receipt.xml"))
        try original.write(to: URL(fileURLWithPath: edi))
        let intactCopy = try b.cli.run(["exchange", "receive", edi, "--from", a.party])
        #expect(intactCopy.status == 0, "\(intactCopy.stdout) \(intactCopy.stderr)")
        after = try b.snapshot()
        #expect(after.cases == before.cases + 1 && after.interchanges == before.interchanges + 1)

        // The EDIFACT describes the case with another title than the package holds (what the public may see of a case
        // must be what both say): rejected naming the case group.
        let caseDir = a.cli.scratch.file("ut-case")
        let caseSent = try #require(try a.cli.json(["exchange", "send", "--case", caseNumber, "--to", b.party, "--out", caseDir, "--format", "edifact"]) as? [String: Any])
        let caseReference = try #require((caseSent["record"] as? [String: Any])?["controlReference"] as? String)
        let caseEDI = "\(caseDir)/\(caseReference).edi"
        let caseText = String(decoding: try Data(contentsOf: URL(fileURLWithPath: caseEDI)).map { UInt16($0) }, as: UTF16.self)
        try #require(caseText.contains("IDE+ZCA+\(caseNumber)'\nFTX+ZTI+++Bygglov'") || caseText.contains("IDE+ZCA+\(caseNumber)'FTX+ZTI+++Bygglov'"))
        let renamed = caseText.replacingOccurrences(of: "FTX+ZTI+++Bygglov'", with: "FTX+ZTI+++Bygglov för Åsa Öberg'")
        try Data(renamed.unicodeScalars.map { UInt8($0.value) }).write(to: URL(fileURLWithPath: caseEDI))
        let beforeCase = try b.snapshot()
        let caseMismatch = try b.cli.run(["exchange", "receive", caseEDI, "--from", a.party])
        #expect(caseMismatch.status == 6, "\(caseMismatch.stdout) \(caseMismatch.stderr)")
        #expect(caseMismatch.stderr.contains("the title, public title or title restriction of case \(caseNumber) differs"), "\(caseMismatch.stderr)")
        #expect(try b.snapshot() == beforeCase)

        // A package that is not one, under an envelope that describes it faithfully: rejected naming the file.
        let second = a.cli.scratch.file("ut2")
        let sent = try #require(try a.cli.json(["exchange", "send", "--case", caseNumber, "--to", b.party, "--out", second]) as? [String: Any])
        let secondReference = try #require((sent["record"] as? [String: Any])?["controlReference"] as? String)
        let garbage = Data("this is not a tar archive, nor an E-ARK package\n".utf8)
        try garbage.write(to: URL(fileURLWithPath: "\(second)/\(secondReference).tar"))
        var envelope = try envelopeDescribing(garbage, from: try Data(contentsOf: URL(fileURLWithPath: "\(second)/\(secondReference).xml")))
        envelope = Data(String(decoding: envelope, as: UTF8.self).replacingOccurrences(
            of: #"size="[0-9]+""#, with: "size=\"\(garbage.count)\"", options: .regularExpression).utf8)
        try envelope.write(to: URL(fileURLWithPath: "\(second)/\(secondReference).xml"))
        let notAPackage = try b.cli.run(["exchange", "receive", "\(second)/\(secondReference).xml", "--json", "--from", a.party])
        #expect(notAPackage.status == 9)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(notAPackage.stdout.utf8)) as? [String: Any])
        let diagnostics = try #require((answer["receipt"] as? [String: Any])?["diagnostics"] as? [[String: Any]])
        #expect(!diagnostics.isEmpty && diagnostics.allSatisfy { $0["file"] as? String == "\(secondReference).tar" }, "\(diagnostics)")
        after = try b.snapshot()
        #expect(after.cases == beforeCase.cases && after.documents == beforeCase.documents && after.interchanges == beforeCase.interchanges + 1)
        // That receipt answers bytes A never sent (they were changed on the way): A refuses to take it as its answer.
        // The intact EDIFACT interchange's is its answer.
        let foreign = try a.cli.run(["exchange", "receive", "\(second)/\(secondReference).receipt.xml"])
        #expect(foreign.status == 2 && foreign.stderr.contains("answers a different payload"), "\(foreign.stderr)")
        #expect(try a.cli.ok(["exchange", "receive", "\(dir)/\(reference).receipt.xml"]).contains("accepted"))
        let outbox = try #require(try a.cli.json(["exchange", "list", "--outbox"]) as? [[String: Any]])
        #expect(outbox.compactMap { $0["status"] as? String }.sorted() == ["accepted", "sent", "sent"], "\(outbox)")

        // An EDIFACT interchange's package cut off on the way (no digest ties it to the .edi): nothing is recorded and
        // no receipt written, so the intact package, delivered again, is received.
        let third = a.cli.scratch.file("ut3")
        let cut = try #require(try a.cli.json(["exchange", "send", "--case", caseNumber, "--to", b.party, "--out", third, "--format", "edifact"])
            as? [String: Any])
        let cutReference = try #require((cut["record"] as? [String: Any])?["controlReference"] as? String)
        let tar = URL(fileURLWithPath: "\(third)/\(cutReference).tar")
        let intact = try Data(contentsOf: tar)
        try intact.prefix(intact.count / 2).write(to: tar)
        let beforeCut = try b.snapshot()
        let damaged = try b.cli.run(["exchange", "receive", "\(third)/\(cutReference).edi", "--from", a.party])
        #expect(damaged.status == 6, "\(damaged.stdout) \(damaged.stderr)")
        #expect(damaged.stderr.contains("Nothing was recorded"), "\(damaged.stderr)")
        // Named as the file that is damaged: the package, not the .edi beside it.
        #expect(damaged.stderr.contains("\(cutReference).tar") && !damaged.stderr.contains("archive \(cutReference).edi"), "\(damaged.stderr)")
        after = try b.snapshot()
        #expect(after.interchanges == beforeCut.interchanges && after.documents == beforeCut.documents)
        #expect(!FileManager.default.fileExists(atPath: "\(third)/\(cutReference).receipt.xml"))
        try intact.write(to: tar)
        let whole = try b.cli.run(["exchange", "receive", "\(third)/\(cutReference).edi", "--from", a.party])
        #expect(whole.status == 0, "\(whole.stdout) \(whole.stderr)")
        after = try b.snapshot()
        #expect(after.interchanges == beforeCut.interchanges + 1 && after.documents == beforeCut.documents + 1)
        _ = try a.snapshot()
    }

    // MARK: Helpers

    /// The envelope with the payload's size and SHA-256 replaced, as a sender reusing a control reference would make it.
    func envelopeDescribing(_ payload: Data, from envelope: Data) throws -> Data {
        let text = String(decoding: envelope, as: UTF8.self)
        let digest = try sha256(payload)
        let changed = text.replacingOccurrences(of: #"sha256="[0-9a-f]{64}""#, with: "sha256=\"\(digest)\"", options: .regularExpression)
        return Data(changed.utf8)
    }

    func sha256(_ data: Data) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("payload-\(UUID().uuidString)").path
        try data.write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        return try sha256Hex(ofFile: path)
    }

    /// `../shared/tools/edifact_envelope_check.py`, which reads UTF-8: handed the interchange transcoded from ISO 8859-1.
    func judgeEDIFACT(_ path: String) throws {
        let venv = try #require(SharedMaterial.validatorsVenv, "the validators venv is missing: run ../shared/tools/install-validators.sh")
        let latin1 = try Data(contentsOf: URL(fileURLWithPath: path))
        let utf8 = String(decoding: latin1.map { UInt16($0) }, as: UTF16.self)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("diarec-\(UUID().uuidString).edi").path
        try utf8.write(toFile: copy, atomically: true, encoding: .utf8)
        defer { unlink(copy) }
        let (status, text) = try runCapturing("\(venv)/bin/python", [SharedMaterial.path("tools/edifact_envelope_check.py"), copy])
        #expect(status == 0, "edifact_envelope_check: \(text)")
    }

    struct Answer {
        let status: Int
        let text: String
        var body: String { text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? "" }
    }

    /// POST to an inbox as another Diarium would: the party token, the envelope in `Diarium-Envelope`, the package as body.
    func post(port: Int, token: String, envelope: Data, body: Data) throws -> Answer {
        let encoded = envelope.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let head = "POST /api/v1/exchange/inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Diarium-Envelope: \(encoded)\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let text = try raw(port: port, head, body: [UInt8](body))
        let status = Int(text.dropFirst("HTTP/1.1 ".count).prefix(3)) ?? 0
        return Answer(status: status, text: text)
    }

    func raw(port: Int, _ head: String, body: [UInt8] = []) throws -> String {
        let fd = try CuttingProxy.connect(port: port)
        defer { close(fd) }
        for part in [Array(head.utf8), body] where !part.isEmpty {
            var offset = 0
            while offset < part.count {
                let n = part.withUnsafeBytes { write(fd, $0.baseAddress! + offset, part.count - offset) }
                if n <= 0 { break }
                offset += n
            }
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}

/// A TCP proxy on loopback in front of the receiver. It forwards both ways; told to, it cuts the next connection
/// after that many request bytes (the middle of an upload). When the receiver is down it closes each connection
/// at once, as a dead host's load balancer would.
final class CuttingProxy: @unchecked Sendable {
    let port: Int
    let upstreamPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var cutAfter: Int?
    private var cutCount = 0

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw ExchangeEndToEndTests.Failure(text: "proxy cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var cuts: Int { lock.withLock { cutCount } }

    func cutNext(afterBytes: Int) { lock.withLock { cutAfter = afterBytes } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ExchangeEndToEndTests.Failure(text: "cannot connect to 127.0.0.1:\(port)")
        }
        return fd
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            Thread { [self] in handle(client) }.start()
        }
    }

    private func handle(_ client: Int32) {
        guard let upstream = try? Self.connect(port: upstreamPort) else {
            close(client)
            return
        }
        let limit: Int? = lock.withLock {
            defer { cutAfter = nil }
            return cutAfter
        }
        let done = DispatchSemaphore(value: 0)
        Thread {
            Self.pump(from: upstream, to: client, limit: nil)
            done.signal()
        }.start()
        let cut = Self.pump(from: client, to: upstream, limit: limit)
        if cut {
            lock.withLock { cutCount += 1 }
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        } else {
            shutdown(upstream, Int32(SHUT_WR))
        }
        done.wait()
        close(client)
        close(upstream)
    }

    /// Copies until EOF; with a limit, stops after that many bytes and returns true (the connection is to be cut).
    @discardableResult
    private static func pump(from source: Int32, to sink: Int32, limit: Int?) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16384)
        var total = 0
        while true {
            let wanted = limit.map { min(buffer.count, $0 - total) } ?? buffer.count
            if wanted <= 0 { return true }
            let n = read(source, &buffer, wanted)
            if n <= 0 {
                shutdown(sink, Int32(SHUT_WR))
                return false
            }
            total += n
            var offset = 0
            while offset < n {
                let written = buffer.withUnsafeBytes { write(sink, $0.baseAddress! + offset, n - offset) }
                if written <= 0 { return false }
                offset += written
            }
        }
    }
}
