import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import DiariumHTTP

/// An export job polled until it is done or failed (a few hundred milliseconds here).
func finishedJob(_ client: some TestClientProtocol, _ location: String, token: String) async throws -> [String: Any] {
    var job: [String: Any] = [:]
    // Up to two minutes: in a full run on two cores an export shares them with dozens of other tests, and the 10 s
    // this allowed before is the likeliest cause of the occasional failure of the organisation test.
    let deadline = ContinuousClock.now + .seconds(120)
    while ContinuousClock.now < deadline {
        job = try await client.execute(uri: location, method: .get, headers: bearer(token)) { try jsonObject($0) }
        if job["status"] as? String == "done" || job["status"] as? String == "failed" { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    return job
}

/// Exports as jobs and imports over HTTP: archivists only, packages streamed both ways, imports all or nothing.
@Suite struct APIArchiveTests {
    @Test func archivistExportsACaseDownloadsItAndImportsItRenumbered() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens, docs = f.docs
        let storeDirectory = f.dir.path
        let json: HTTPFields = [.contentType: "application/json"]
        let caseNumber = docs.secret.number.caseNumber
        let shared = f.service.store.shared
        let snapshot: @Sendable () throws -> [Int] = {
            let counts = try RecordsService(store: shared.makeStore()).counts()
            return [counts.cases, counts.documents, counts.versions, counts.blobs, counts.auditEvents]
        }
        // 96 MiB of zeros, gzipped to about 100 KB.
        try FileManager.default.createDirectory(atPath: f.dir.file("bomb"), withIntermediateDirectories: true)
        let bomb = try f.dir.write("bomb/zero.bin", "")
        try FileHandle(forWritingTo: URL(fileURLWithPath: bomb)).truncate(atOffset: 96 << 20)
        try runTool("/usr/bin/tar", ["-czf", f.dir.file("bomb.tar.gz"), "-C", f.dir.file("bomb"), "zero.bin"])
        let compressed = try Data(contentsOf: URL(fileURLWithPath: f.dir.file("bomb.tar.gz")))
        #expect(compressed.count < 1 << 20)
        let body = ByteBuffer(string: #"{"case":"\#(caseNumber)","format":"eark-tar"}"#)
        try await f.application(maxUploadBytes: 64 << 20).test(.live) { client in
            for token in [tokens.anna, tokens.root] {
                try await client.execute(uri: "/api/v1/exports", method: .post, headers: bearer(token, json), body: body) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                }
            }
            // A selection that cannot be exported is refused at once, not queued to fail; values named in the API's words.
            for (selection, status, code, field) in [(#"{"query":"\"unclosed"}"#, HTTPResponse.Status.badRequest, "invalid-field", String?.none),
                                                     (#"{"query":"type:nope"}"#, .badRequest, "invalid-field", nil),
                                                     (#"{"series":"ZZ"}"#, .notFound, "not-found", "series"),
                                                     (#"{"case":"KS 2026/999"}"#, .notFound, "not-found", "case"),
                                                     (#"{"series":"KS","format":"rar"}"#, .badRequest, "invalid-field", "format"),
                                                     (#"{"series":"KS","versions":"some"}"#, .badRequest, "invalid-field", "versions")] {
                try await client.execute(uri: "/api/v1/exports", method: .post, headers: bearer(tokens.arkiv, json),
                                         body: ByteBuffer(string: selection)) { response in
                    try expectProblem(response, status, code: code, field: field)
                    #expect(!bodyText(response).contains("Cannot initialize"), "\(bodyText(response))")
                }
            }
            try await client.execute(uri: "/api/v1/exports", method: .get, headers: bearer(tokens.arkiv)) { response in
                #expect(bodyText(response) == "[]", "nothing queued")
            }
            let location = try await client.execute(uri: "/api/v1/exports", method: .post, headers: bearer(tokens.arkiv, json), body: body) { response in
                #expect(response.status == .accepted)
                return try #require(response.headers[.location])
            }
            let job = try await finishedJob(client, location, token: tokens.arkiv)
            #expect(job["status"] as? String == "done", "\(job)")
            #expect(job["documents"] as? Int == 5)
            #expect(job["restrictedDocuments"] as? Int == 2)
            // The count per PRONOM format travels with the job, as the CLI prints it.
            let formats = try #require(job["formats"] as? [[String: Any]])
            let counted = formats.reduce(0) { $0 + ($1["files"] as? Int ?? 0) } + (job["unidentifiedFiles"] as? Int ?? -1)
            #expect(counted > 0 && formats.allSatisfy { (($0["format"] as? [String: Any])?["puid"] as? String)?.isEmpty == false }, "\(job)")
            #expect((job["unidentified"] as? [String])?.count == job["unidentifiedFiles"] as? Int, "\(job)")
            let sha256 = try #require(job["sha256"] as? String)
            let download = try #require(job["download"] as? String)
            let package = try await client.execute(uri: download, method: .get, headers: bearer(tokens.arkiv)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"\(sha256)\"")
                #expect(response.headers[.contentType] == "application/x-tar")
                return Data(response.body.readableBytesView)
            }
            #expect(package.count == job["size"] as? Int)
            try await client.execute(uri: download, method: .get, headers: bearer(tokens.bo)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }

            // Import it back, renumbered into BUN: a dry run writes nothing, the real one everything.
            let before = try snapshot()
            try await client.execute(uri: "/api/v1/imports?dryRun=true&intoSeries=BUN", method: .post,
                                     headers: bearer(tokens.arkiv, [.contentType: "application/x-tar"]), body: ByteBuffer(bytes: package)) { response in
                #expect(response.status == .ok)
                let report = try jsonObject(response)
                #expect(report["dryRun"] as? Bool == true && report["documents"] as? Int == 5)
            }
            #expect(try snapshot() == before)
            // A few bytes: refused before the body is read, a body larger than `RefusedBodyHandler.drainBytes` still
            // arriving would end the connection (by design), and this client has only the one.
            try await client.execute(uri: "/api/v1/imports?intoSeries=BUN", method: .post,
                                     headers: bearer(tokens.anna, [.contentType: "application/x-tar"]), body: ByteBuffer(bytes: package.prefix(1_000))) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
            let assigned = try await client.execute(uri: "/api/v1/imports?intoSeries=BUN", method: .post,
                                     headers: bearer(tokens.arkiv, [.contentType: "application/x-tar"]), body: ByteBuffer(bytes: package)) { response in
                #expect(response.status == .created)
                let report = try jsonObject(response)
                let cases = try #require(report["cases"] as? [[String: String]])
                #expect(cases.first?["original"] == caseNumber.description)
                #expect(cases.first?["assigned"]?.hasPrefix("BUN ") == true)
                return try CaseNumber(parsing: try #require(cases.first?["assigned"]))
            }
            // Each renumbered document says where it came from.
            try await client.execute(uri: apiPath(DocumentNumber(caseNumber: assigned, ordinal: 1)), method: .get,
                                     headers: bearer(tokens.arkiv)) { response in
                #expect(response.status == .ok)
                let document = try jsonObject(response)
                #expect(document["originalNumber"] as? String == DocumentNumber(caseNumber: caseNumber, ordinal: 1).description)
                #expect(document["originalCaseNumber"] as? String == caseNumber.description)
            }
            try await client.execute(uri: apiPath(docs.secret.number), method: .get, headers: bearer(tokens.arkiv)) { response in
                let document = try jsonObject(response)
                #expect(document["originalNumber"] == nil, "registered here: no original number")
            }
            // Not a package: 400 naming it, nothing imported.
            let afterImport = try snapshot()
            try await client.execute(uri: "/api/v1/imports", method: .post, headers: bearer(tokens.arkiv, [.contentType: "application/x-tar"]),
                                     body: ByteBuffer(string: "not a package")) { response in
                // The body is what is wrong: the problem says so (it named no field).
                let field = try jsonObject(response)["field"] as? String
                #expect(response.status == .badRequest && field == "body", "\(bodyText(response))")
                // Named as the sender knows it, never by the server's temp path.
                #expect(bodyText(response).contains("upload") && !bodyText(response).contains(storeDirectory), "\(bodyText(response))")
            }
            #expect(try snapshot() == afterImport)
            // A small compressed upload that inflates far past `ArchiveLimits.inflationRatio` times its size is
            // refused once it has, not inflated to the 16 GiB the defaults allow.
            try await client.execute(uri: "/api/v1/imports", method: .post, headers: bearer(tokens.arkiv, [.contentType: "application/gzip"]),
                                     body: ByteBuffer(bytes: compressed)) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "archive")
                #expect(bodyText(response).contains("larger than \(64 << 20) bytes when decompressed"), "\(bodyText(response))")
            }
            #expect(try snapshot() == afterImport)

            let id = location.split(separator: "/").last.map(String.init)!
            try await client.execute(uri: "/api/v1/exports/\(id)", method: .delete, headers: bearer(tokens.arkiv)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: download, method: .get, headers: bearer(tokens.arkiv)) { response in
                try expectProblem(response, .notFound, code: "not-found")
            }
        }
        #expect(try f.service.verify().ok)
    }

    /// At most `maximumRunning` exports hold a catalog reader at once; the others wait in order and start as
    /// running ones end (four at once took every reader and stalled the public diarium and /health).
    /// `GET /api/v1/formats`: counts by series and PRONOM format, for archivists only; no title, no name in it.
    @Test func theFormatsReportIsForArchivists() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens, decision = f.docs.decision.number
        try await f.application().test(.router) { client in
            func lines(_ uri: String) async throws -> [String] {
                try await client.execute(uri: uri, method: .get, headers: bearer(tokens.arkiv)) { response in
                    #expect(response.status == .ok)
                    expectNoSecrets(response)
                    let tallies = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    return tallies.map { tally in
                        let what = ((tally["format"] as? [String: Any])?["puid"] as? String) ?? tally["mediaType"] as? String ?? "-"
                        return "\(tally["series"] ?? "") \(tally["state"] ?? "") \(what) \(tally["documents"] ?? "")"
                    }
                }
            }
            // The decision's 300,000 random bytes are named .pdf, but no signature matches them.
            #expect(try await lines("/api/v1/formats") == ["BUN identified x-fmt/111 1", "KS identified x-fmt/111 3",
                                                           "KS unidentified application/pdf 1"])
            #expect(try await lines("/api/v1/formats?series=BUN") == ["BUN identified x-fmt/111 1"])
            for token in [tokens.anna, tokens.root] {
                try await client.execute(uri: "/api/v1/formats", method: .get, headers: bearer(token)) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                }
            }
            try await client.execute(uri: "/api/v1/formats", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/formats?series=SBN", method: .get, headers: bearer(tokens.arkiv)) { response in
                try expectProblem(response, .notFound, code: "not-found")
            }
            try await client.execute(uri: "/api/v1/formats?series=ks", method: .get, headers: bearer(tokens.arkiv)) { response in
                try expectProblem(response, .badRequest, code: "invalid-field", field: "series")
            }
            // The document behind the unidentified line; state and paging checked.
            try await client.execute(uri: "/api/v1/formats/documents", method: .get, headers: bearer(tokens.arkiv)) { response in
                #expect(response.status == .ok)
                let documents = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                #expect(documents.map { $0["number"] as? String } == [decision.description])
                #expect(documents.first?["originalName"] as? String == "Beslut för Åre.pdf" && documents.first?["size"] as? Int == 300_000)
            }
            let after = decision.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/api/v1/formats/documents?state=unidentified&after=\(after)", method: .get,
                                     headers: bearer(tokens.arkiv)) { response in
                #expect(response.status == .ok && bodyText(response) == "[]")
            }
            for (query, field) in [("state=identified", "state"), ("limit=0", "limit"), ("after=nonsense", "after")] {
                try await client.execute(uri: "/api/v1/formats/documents?\(query)", method: .get, headers: bearer(tokens.arkiv)) { response in
                    #expect(response.status == .badRequest, "\(query)")
                    #expect((try? jsonObject(response))?["field"] as? String == field, "\(query)")
                }
            }
            try await client.execute(uri: "/api/v1/formats/documents", method: .get, headers: bearer(tokens.anna)) { response in
                try expectProblem(response, .forbidden, code: "forbidden")
            }
        }
    }

    @Test func exportsBeyondTheRunningLimitWaitTheirTurn() throws {
        let jobs = ExportJobs()
        let started = Mutex<[Int]>([])
        for n in 0..<5 { jobs.schedule { started.withLock { $0.append(n) } } }
        #expect(started.withLock { $0 } == [0, 1])
        jobs.finished()
        #expect(started.withLock { $0 } == [0, 1, 2])
        jobs.finished()
        jobs.finished()
        #expect(started.withLock { $0 } == [0, 1, 2, 3, 4])
        for _ in 0..<2 { jobs.finished() }
        jobs.schedule { started.withLock { $0.append(5) } }
        #expect(started.withLock { $0 } == [0, 1, 2, 3, 4, 5], "all slots free again")
        // Verifications: one at a time (the route answers 409 while one runs).
        let verifying = SingleRun()
        #expect(verifying.start())
        #expect(!verifying.start())
        verifying.end()
        #expect(verifying.start())
    }

    /// Finished jobs and their packages are kept a day, then removed (the next time anyone asks for jobs), so a
    /// server running for months does not fill its disk with packages nobody fetched. Running jobs stay.
    @Test func finishedExportsExpireAfterADay() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let jobs = ExportJobs()
        let now = Date()
        func job(_ id: String, _ status: ExportJobs.Job.Status, finishedHoursAgo: Double?) throws -> String {
            try jobs.add(ExportJobs.Job(id: id, status: status, selection: "case KS 2026/1", format: .earkTar, versions: .all,
                                        requestedBy: "arkiv", createdAt: now.addingTimeInterval(-30 * 3600)))
            let package = try dir.write("\(id).tar", "paket")
            if let hours = finishedHoursAgo {
                let selection = ExportRequest.Selection.case(try CaseNumber(parsing: "KS 2026/1"))
                #expect(jobs.complete(id, package: .init(path: package, disposalMark: 0, selection: selection)) {
                    $0.finishedAt = now.addingTimeInterval(-hours * 3600)
                })
            }
            return package
        }
        let old = try job("old", .done, finishedHoursAgo: 25)
        let failed = try job("failed", .failed, finishedHoursAgo: 24.5)
        let recent = try job("recent", .done, finishedHoursAgo: 23)
        _ = try job("running", .running, finishedHoursAgo: nil)
        jobs.expire(now: now)
        #expect(jobs.job("old") == nil && jobs.job("failed") == nil)
        #expect(!FileManager.default.fileExists(atPath: old) && !FileManager.default.fileExists(atPath: failed))
        #expect(jobs.job("recent")?.status == .done && FileManager.default.fileExists(atPath: recent))
        #expect(jobs.job("running")?.status == .running)
    }

    @Test func manyExportsAtOnceAllFinish() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let body = ByteBuffer(string: #"{"case":"\#(f.docs.secret.number.caseNumber)","format":"eark-zip"}"#)
        try await f.application().test(.live) { client in
            var locations: [String] = []
            for _ in 0..<5 {
                locations.append(try await client.execute(uri: "/api/v1/exports", method: .post,
                                                          headers: bearer(tokens.arkiv, [.contentType: "application/json"]), body: body) { response in
                    #expect(response.status == .accepted)
                    return try #require(response.headers[.location])
                })
            }
            for location in locations {
                var status = ""
                for _ in 0..<400 where status != "done" && status != "failed" {
                    status = try await client.execute(uri: location, method: .get, headers: bearer(tokens.arkiv)) { try jsonObject($0)["status"] as? String ?? "" }
                    if status != "done" { try await Task.sleep(for: .milliseconds(25)) }
                }
                #expect(status == "done", "\(location)")
            }
            // Only one verification at a time; here the first has long finished, so a second runs.
            for _ in 0..<2 {
                try await client.execute(uri: "/api/v1/verify", method: .post, headers: bearer(tokens.arkiv)) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    /// DELETE of a queued or running export stops it: no package left in the server's area and no audit event for
    /// it; `/metrics` counts it as running until it has stopped. (It answered 409 until the export ended.)
    @Test func deletingARunningExportStopsIt() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        // Enough content that the export is still writing it when the DELETE arrives.
        let caseNumber = f.docs.secret.number.caseNumber
        let big = f.dir.file("stor.bin")
        try writeRandomFile(big, count: 96 << 20)
        _ = try f.service.register([NewDocument(file: big, metadata: DocumentMetadata(title: "Stor bilaga", recordType: .letter))],
                                   in: caseNumber, actor: "anna")
        // And many small ones: an export stops between files, and a fast disk writes the large one in a tenth of a
        // second, less than a DELETE's round trip while the whole suite runs.
        let small = try (1...1500).map { i in
            NewDocument(file: try f.dir.write("bilaga-\(i).txt", "Bilaga \(i) " + String(repeating: "text ", count: 200)),
                        metadata: DocumentMetadata(title: "Bilaga \(i)", recordType: .letter))
        }
        _ = try f.service.register(small, in: caseNumber, actor: "anna")
        let body = ByteBuffer(string: #"{"case":"\#(caseNumber)"}"#)
        let (attempts, stoppedWhileWriting, seen) = try await f.application().test(.live) { client in
            func metrics() async throws -> String {
                try await client.execute(uri: "/metrics", method: .get) { bodyText($0) }
            }
            // A job removed while its progress says it is still selecting, writing or sealing has certainly not been
            // logged: the export says "logging" before it asks once more, after its last byte, before it logs (the
            // job's progress and its removal share a lock). On a fast disk the DELETE may come later (it then removes
            // a logged export's package): try again.
            var attempts = 0, stoppedWhileWriting = 0
            var seen: [String] = []   // what each attempt saw, for the failure's message
            // Every other attempt deletes at once, while the job is queued or just started: on a fast disk the whole
            // export can take less than a request's round trip under load, and waiting to see it write first may
            // then always come too late.
            while attempts < 6 && stoppedWhileWriting == 0 {
                attempts += 1
                let location = try await client.execute(uri: "/api/v1/exports", method: .post,
                                                        headers: bearer(tokens.arkiv, [.contentType: "application/json"]), body: body) { response in
                    #expect(response.status == .accepted)
                    return try #require(response.headers[.location])
                }
                func writing(_ job: [String: Any]) -> Bool {
                    if job["status"] as? String == "queued" { return true }
                    guard job["status"] as? String == "running", let progress = job["progress"] as? [String: Any] else { return false }
                    return ["selecting", "writing", "writing metadata", "sealing"].contains(progress["phase"] as? String ?? "")
                }
                // Until it writes (or is done): a minute at most, since with the whole suite running the job may wait
                // its turn on the server's shared pool for seconds before it starts.
                var job: [String: Any] = [:]
                let deadline = ContinuousClock.now + .seconds(60)
                let started = ContinuousClock.now
                var phases: [String] = [], last = ""
                func note(_ job: [String: Any]) {
                    let phase = "\(job["status"] as? String ?? "?")/\((job["progress"] as? [String: Any])?["phase"] as? String ?? "-")"
                    if phase != last { phases.append(phase + "@\(ContinuousClock.now - started)") }
                    last = phase
                }
                while attempts % 2 == 0 && ContinuousClock.now < deadline {
                    job = try await client.execute(uri: location, method: .get, headers: bearer(tokens.arkiv)) { try jsonObject($0) }
                    note(job)
                    if writing(job) || job["status"] as? String == "done" { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
                let removed = try await client.execute(uri: location, method: .delete, headers: bearer(tokens.arkiv)) { response in
                    #expect(response.status == .ok)
                    return try jsonObject(response)
                }
                if writing(removed) { stoppedWhileWriting += 1 }
                note(removed)
                seen.append(phases.joined(separator: " "))
                try await client.execute(uri: location, method: .get, headers: bearer(tokens.arkiv)) { response in
                    try expectProblem(response, .notFound, code: "not-found")
                }
                var text = try await metrics()
                for _ in 0..<400 where !text.contains("diarium_exports_running 0\n") {
                    try await Task.sleep(for: .milliseconds(25))
                    text = try await metrics()
                }
                #expect(text.contains("diarium_exports_running 0\n") && text.contains("diarium_exports_queued 0\n"), "\(text.suffix(400))")
            }
            return (attempts, stoppedWhileWriting, seen)
        }
        #expect(stoppedWhileWriting == 1, "a DELETE reached an export while it wrote content in \(attempts) attempts: \(seen)")
        // The exports stopped while writing were not logged; no package is left behind either way.
        let logged = try f.service.audit(limit: 100_000).filter { $0.action == .packageExport }.count
        #expect(logged <= attempts - stoppedWhileWriting, "\(logged) logged of \(attempts)")
        let left = FileManager.default.enumerator(atPath: f.dir.file("store/tmp"))?.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".tar") } ?? []
        #expect(left == [], "packages left in the server's area")
        #expect(try f.service.verify().ok)
    }

    @Test func exportRequestsNameWhatIsWrong() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        try await f.application().test(.router) { client in
            for (body, field) in [(#"{}"#, "series"), (#"{"series":"KS","case":"KS 2026/1"}"#, "series"), (#"{"year":2026,"case":"KS 2026/1"}"#, "year"),
                                  (#"{"series":"KS","format":"rar"}"#, "format"), (#"{"series":"KS","colour":1}"#, "colour"),
                                  (#"{"series":"KS","submitter":{"name":"K","code":"2120001356"}}"#, "submitter.code"),
                                  (#"{"series":"KS","archive":{"name":"A","colour":1}}"#, "archive.colour"),
                                  (#"{"series":"KS","organisation":{"code":"2120001355"}}"#, "organisation.name"),
                                  (#"{"series":"KS","organisation":{"name":"K","code":null}}"#, "organisation.code"),
                                  (#"{"series":"KS","referenceCode":"SE\nEXA"}"#, "referenceCode")] {
                try await client.execute(uri: "/api/v1/exports", method: .post, headers: bearer(tokens.arkiv, [.contentType: "application/json"]),
                                         body: ByteBuffer(string: body)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: field)
                }
            }
            try await client.execute(uri: "/api/v1/exports/nothing", method: .get, headers: bearer(tokens.arkiv)) { response in
                try expectProblem(response, .notFound, code: "not-found", field: "id")
            }
        }
    }

    @Test func anAdminSetsTheOrganisationEveryoneReadsItAndExportsNameIt() async throws {
        let f = try APIFixture()
        defer { f.dir.remove() }
        let tokens = f.tokens
        let caseNumber = f.docs.secret.number.caseNumber
        let json: HTTPFields = [.contentType: "application/json"]
        let shared = f.service.store.shared
        let tar = f.dir.file("named.tar")
        try await f.application().test(.live) { client in
            try await client.execute(uri: "/api/v1/organisation", method: .get, headers: bearer(tokens.anna)) { response in
                try expectProblem(response, .notFound, code: "not-found")
            }
            let body = ByteBuffer(string: #"{"name":"Exempelby kommun","code":"212000-1355"}"#)
            for token in [tokens.anna, tokens.arkiv] {
                try await client.execute(uri: "/api/v1/organisation", method: .put, headers: bearer(token, json), body: body) { response in
                    try expectProblem(response, .forbidden, code: "forbidden")
                }
            }
            for (bad, field) in [(#"{"name":"Exempelby kommun","code":"212000-1356"}"#, "code"), (#"{"name":" "}"#, "name"),
                                 (#"{"name":"K","code":null}"#, "code"), (#"{"name":"K","colour":1}"#, "colour")] {
                try await client.execute(uri: "/api/v1/organisation", method: .put, headers: bearer(tokens.root, json),
                                         body: ByteBuffer(string: bad)) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: field)
                }
            }
            #expect(try RecordsService(store: shared.makeStore()).organisation() == nil, "a refused change leaves the store as it was")
            try await client.execute(uri: "/api/v1/organisation", method: .put, headers: bearer(tokens.root, json), body: body) { response in
                #expect(response.status == .ok)
                #expect(bodyText(response) == #"{"code":"ORG:2120001355","name":"Exempelby kommun"}"#)
            }
            try await client.execute(uri: "/api/v1/organisation", method: .get, headers: bearer(tokens.anna)) { response in
                #expect(bodyText(response) == #"{"code":"ORG:2120001355","name":"Exempelby kommun"}"#)
            }
            // An export names it, and what the request adds.
            let export = ByteBuffer(string: #"{"case":"\#(caseNumber)","archive":{"name":"Stadsarkivet"},"submissionAgreement":"LÖ 2026:3"}"#)
            let location = try await client.execute(uri: "/api/v1/exports", method: .post, headers: bearer(tokens.arkiv, json), body: export) { response in
                #expect(response.status == .accepted)
                return try #require(response.headers[.location])
            }
            let job = try await finishedJob(client, location, token: tokens.arkiv)
            #expect(job["status"] as? String == "done", "\(job)")
            let download = try #require(job["download"] as? String)
            let mets = try await client.execute(uri: download, method: .get, headers: bearer(tokens.arkiv)) { response in
                try Data(response.body.readableBytesView).write(to: URL(fileURLWithPath: tar))
                let listing = try runTool("/usr/bin/tar", ["-tf", tar]).split(separator: "\n").first { $0.hasSuffix("/METS.xml") && $0.split(separator: "/").count == 2 }
                return try runTool("/usr/bin/tar", ["-xOf", tar, String(try #require(listing))])
            }
            #expect(mets.contains(#"<mets:agent ROLE="ARCHIVIST" TYPE="ORGANIZATION">"#) && mets.contains("ORG:2120001355"))
            #expect(mets.contains(#"<mets:agent ROLE="PRESERVATION" TYPE="ORGANIZATION">"#) && mets.contains("Stadsarkivet"))
            #expect(mets.contains(#"<mets:altRecordID TYPE="SUBMISSIONAGREEMENT">LÖ 2026:3</mets:altRecordID>"#))
        }
        let events = try f.service.audit(object: "store").filter { $0.action == .storeOrganisation }
        #expect(events.map(\.actor) == ["root"])
    }
}
