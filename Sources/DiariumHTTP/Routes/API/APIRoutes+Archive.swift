import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumStorage
import Foundation
import Hummingbird
import NIOPosix
import Synchronization

/// Export jobs of this server process. An export can take minutes, so `POST /api/v1/exports` answers at once
/// with a job; the package is written on the blocking pool into the server's upload area, and downloaded from
/// there. Jobs and their packages last until deleted, until `keepFinished` after they finished, or until the server
/// stops (the area is removed then, and by the next open of the store if it was killed), whichever comes first.
final class ExportJobs: Sendable {
    struct Job: Codable, Sendable {
        enum Status: String, Codable, Sendable { case queued, running, done, failed }

        let id: String
        var status: Status
        let selection: String
        let format: PackageFormat
        let versions: ExportRequest.Versions
        let requestedBy: String
        let createdAt: Date
        var progress: ArchiveProgress?
        var finishedAt: Date?
        var packageID: String?
        var cases: Int?
        var documents: Int?
        var restrictedDocuments: Int?
        /// Content files by PRONOM format, and those not identified (`ExportReport`).
        var formats: [ExportReport.FormatCount]?
        var unidentifiedFiles: Int?
        var unidentified: [String]?
        var size: Int64?
        var sha256: String?
        /// Why the export failed (a domain error's message; internal failures are logged, not shown).
        var error: String?
        var download: String?
        /// Its package was withdrawn (a disposal since took content it held): failed, and gone for good.
        var withdrawn: Bool?
    }

    static let maximumJobs = 32
    /// How long a finished job and its package are kept: a day to download it, without packages of gigabytes
    /// piling up in a server that runs for months.
    static let keepFinished: TimeInterval = 24 * 3600
    /// Exports running at once; the rest wait, queued, in order. An export holds one of the catalog's reader
    /// connections until it ends (its selection is one consistent snapshot), so more would leave none for the
    /// requests everyone else makes (`Catalog` has four; a verification may hold a third).
    static let maximumRunning = 2

    /// A finished package: where it is, and what it was made of, so that a disposal since can withdraw it.
    struct Package: Sendable {
        let path: String
        /// The audit log's newest event as the export began (`RecordsService.disposalMark`).
        let disposalMark: Int64
        let selection: ExportRequest.Selection
    }

    private let jobs = Mutex<[String: Job]>([:])
    private let files = Mutex<[String: Package]>([:])
    private let runs = Mutex<(running: Int, waiting: [@Sendable () -> Void])>((0, []))

    /// Starts `work` now if fewer than `maximumRunning` exports run, else when one ends. `work` must call
    /// `finished()` when it ends, however it ends.
    func schedule(_ work: @escaping @Sendable () -> Void) {
        let now: Bool = runs.withLock { state in
            guard state.running < Self.maximumRunning else {
                state.waiting.append(work)
                return false
            }
            state.running += 1
            return true
        }
        if now { work() }
    }

    /// Gauges for `/metrics`: exports holding a slot (a deleted one until it has stopped) and exports waiting.
    func exposition() -> String {
        expire()   // scraped every few seconds: packages expire even on a server nobody asks for jobs
        let (running, queued) = runs.withLock { ($0.running, $0.waiting.count) }
        return """
            # HELP diarium_exports_running Export jobs writing a package now (a deleted one until it has stopped).
            # TYPE diarium_exports_running gauge
            diarium_exports_running \(running)
            # HELP diarium_exports_queued Export jobs waiting for one of the running slots.
            # TYPE diarium_exports_queued gauge
            diarium_exports_queued \(queued)

            """
    }

    func finished() {
        expire()
        let next: (@Sendable () -> Void)? = runs.withLock { state in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?()
    }

    /// Adds a job. At the limit the oldest finished job (and its package) makes room; when every job is still
    /// running, the request is refused.
    func add(_ job: Job) throws {
        expire()
        let evicted: String? = try jobs.withLock { jobs in
            var evicted: String?
            if jobs.count >= Self.maximumJobs {
                guard let oldest = jobs.values.filter({ $0.status == .done || $0.status == .failed }).min(by: { $0.createdAt < $1.createdAt }) else {
                    throw Problem(status: .conflict, code: "too-many-exports", title: "Too many exports",
                                  detail: "This server runs at most \(Self.maximumJobs) exports at once; try again when one has finished.")
                }
                jobs[oldest.id] = nil
                evicted = oldest.id
            }
            jobs[job.id] = job
            return evicted
        }
        if let evicted, let package = files.withLock({ $0.removeValue(forKey: evicted) }) { unlink(package.path) }
    }

    func update(_ id: String, _ change: (inout Job) -> Void) {
        jobs.withLock { jobs in
            if var job = jobs[id] {
                change(&job)
                jobs[id] = job
            }
        }
    }

    func job(_ id: String) -> Job? {
        expire()
        return jobs.withLock { $0[id] }
    }

    func all() -> [Job] {
        expire()
        return jobs.withLock { Array($0.values) }.sorted { $0.createdAt > $1.createdAt }
    }

    /// Removes the jobs (and packages) that finished more than `keepFinished` before `now`.
    func expire(now: Date = Date()) {
        let packages: [String] = jobs.withLock { jobs in
            let old = jobs.values.filter { job in
                guard job.status == .done || job.status == .failed, let finished = job.finishedAt else { return false }
                return now.timeIntervalSince(finished) > Self.keepFinished
            }
            return old.compactMap { job in
                jobs[job.id] = nil
                return files.withLock { $0.removeValue(forKey: job.id) }?.path
            }
        }
        for path in packages { unlink(path) }
    }

    func package(_ id: String) -> Package? { files.withLock { $0[id] } }

    /// Records a finished package and applies `change` to its job, unless the job was deleted meanwhile: then
    /// false, and the caller removes the package nobody can reach any more.
    func complete(_ id: String, package: Package, _ change: (inout Job) -> Void) -> Bool {
        jobs.withLock { jobs in
            guard var job = jobs[id] else { return false }
            change(&job)
            jobs[id] = job
            files.withLock { $0[id] = package }
            return true
        }
    }

    /// Withdraws the finished packages that `disposedSince` says may hold content disposed of after they were made:
    /// gallring destroys every copy the system keeps. Their jobs stay, failed, saying why. Returns their ids.
    @discardableResult
    func withdraw(where disposedSince: (Package) throws -> Bool) rethrows -> [String] {
        var withdrawn: [String] = []
        for (id, package) in files.withLock({ $0 }) where try disposedSince(package) {
            guard files.withLock({ $0.removeValue(forKey: id) }) != nil else { continue }
            unlink(package.path)
            update(id) { job in
                job.status = .failed
                job.download = nil
                job.withdrawn = true
                job.error = "withdrawn: documents it covers were disposed of after it was made (export again)"
            }
            withdrawn.append(id)
        }
        return withdrawn
    }

    /// True once the job is gone (deleted, or evicted after it finished): a running export stops at its next file.
    func isRemoved(_ id: String) -> Bool { jobs.withLock { $0[id] == nil } }

    /// Removes a job and its package. A queued job never starts; a running one stops at its next file (or before
    /// it is logged), leaving no package and no audit event; one already past its audit event is published, and
    /// its package removed here as soon as it is recorded.
    func remove(_ id: String) -> Job? {
        let removed: (job: Job, path: String?)? = jobs.withLock { jobs in
            guard let job = jobs.removeValue(forKey: id) else { return nil }
            return (job, files.withLock { $0.removeValue(forKey: id) }?.path)
        }
        if let path = removed?.path { unlink(path) }
        return removed?.job
    }
}

/// `/api/v1/exports` and `/api/v1/imports`: archival packages over HTTP, for archivists.
extension APIRoutes {
    struct ExportBody: RequestBody {
        let series: SeriesCode?
        let year: Int?
        let `case`: CaseNumber?
        let query: String?
        let format: PackageFormat?
        let versions: ExportRequest.Versions?
        let organisation: Organisation?
        let submitter: Organisation?
        let archive: Organisation?
        let submissionAgreement: String?
        let referenceCode: String?

        static let keys: Set<String> = ["series", "year", "case", "query", "format", "versions", "organisation", "submitter", "archive",
                                        "submissionAgreement", "referenceCode"]
        static let nested: [String: Set<String>] = ["organisation": ["name", "code"], "submitter": ["name", "code"], "archive": ["name", "code"]]

        enum Keys: String, CodingKey { case series, year, `case`, query, format, versions, organisation, submitter, archive, submissionAgreement, referenceCode }

        /// Absent means "not given"; null is refused, as the document declares each field with its type only.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            func value<T: Decodable & Sendable>(_ type: T.Type, _ key: Keys) throws -> T? {
                switch try c.decodePatch(type, forKey: key) {
                case .absent: return nil
                case .clear: throw DiariumError.invalid(key.rawValue, "\(key.rawValue) must not be null (leave it out instead)")
                case .set(let value): return value
                }
            }
            series = try value(SeriesCode.self, .series)
            year = try value(Int.self, .year)
            self.case = try value(CaseNumber.self, .case)
            query = try value(String.self, .query)
            format = try value(PackageFormat.self, .format)
            versions = try value(ExportRequest.Versions.self, .versions)
            organisation = try value(Organisation.self, .organisation)
            submitter = try value(Organisation.self, .submitter)
            archive = try value(Organisation.self, .archive)
            // Checked here, so that a bad value is a 400 now rather than a failed job later.
            submissionAgreement = try TextRules.optionalLine(try value(String.self, .submissionAgreement), field: "submissionAgreement",
                                                             maxLength: 200)
            referenceCode = try TextRules.optionalLine(try value(String.self, .referenceCode), field: "referenceCode", maxLength: 200)
        }

        /// The package's agents and alternative ids, as the body names them.
        func name(in request: inout ExportRequest) {
            request.organisation = organisation
            request.submitter = submitter
            request.archive = archive
            request.submissionAgreement = submissionAgreement
            request.referenceCode = referenceCode
        }

        func selection() throws -> ExportRequest.Selection {
            let given = [series != nil, self.case != nil, query != nil].filter { $0 }.count
            guard given == 1 else { throw DiariumError.invalid("series", "give exactly one of series (with an optional year), case or query") }
            if year != nil && series == nil { throw DiariumError.invalid("year", "year goes with series") }
            if let year, !(1000...9999).contains(year) { throw DiariumError.invalid("year", "year must be from 1000 to 9999, not \(year)") }
            if let series { return .series(series, year: year) }
            if let number = self.case { return .case(number) }
            let text = try TextRules.line(query ?? "", field: "query")
            return .query(text)
        }
    }

    func addArchiveRoutes(to api: RouterGroup<DiariumRequestContext>) {
        let records = records
        let exports = exports
        let uploads = uploads
        let settings = settings

        api.post("exports") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .export), principal, "export packages")
            _ = try QueryParameters(request, allowed: [])
            let body = try await JSONBody.decode(ExportBody.self, from: request)
            let selection = try body.selection()
            // A series or case that does not exist, or a query the parser refuses, is the client's mistake now, not a
            // job that fails later.
            try await records.run { service in try service.checkExportSelection(selection) }
            let format = body.format ?? .earkTar
            let versions = body.versions ?? .all
            let id = UUID().uuidString.lowercased()
            let output = uploads.newFilePath() + "." + format.fileExtension
            let job = ExportJobs.Job(id: id, status: .queued, selection: Self.describe(selection), format: format, versions: versions,
                                     requestedBy: principal.name, createdAt: Date())
            try exports.add(job)
            let factory = records.factory
            let logger = context.logger
            let pool = records.blockingPool
            exports.schedule { pool.submit { state in
                defer { exports.finished() }
                guard case .active = state else {
                    exports.update(id) { $0.status = .failed; $0.error = "the server stopped before the export started" }
                    return
                }
                guard !exports.isRemoved(id) else { return }   // deleted while it waited
                // The server stops its jobs before it removes the area they write to.
                guard uploads.beginJob() else {
                    exports.update(id) { $0.status = .failed; $0.error = "the server stopped before the export started" }
                    return
                }
                defer { uploads.endJob() }
                exports.update(id) { $0.status = .running }
                do {
                    let service = factory.make()
                    let mark = try service.disposalMark()
                    var lastUpdate = ContinuousClock.now
                    var lastPhase = ""
                    var request = ExportRequest(selection: selection, format: format, versions: versions, output: output)
                    body.name(in: &request)
                    request.isCancelled = { exports.isRemoved(id) || uploads.isClosed }
                    let report = try service.exportPackage(request, actor: principal.name) { progress in
                        // Progress comes per file; the job record needs it a few times a second at most, and at
                        // once when the phase changes.
                        let now = ContinuousClock.now
                        if now - lastUpdate > .milliseconds(200) || progress.phase != lastPhase {
                            lastUpdate = now
                            lastPhase = progress.phase
                            exports.update(id) { $0.progress = progress }
                        }
                    }
                    let digest: (sha256: String, size: Int64)
                    do {
                        digest = try FileDigest.sha256(of: output)
                    } catch {
                        unlink(output)
                        throw error
                    }
                    // Content read before a disposal that came while it was written would be in it.
                    if try service.disposed(since: mark, in: selection) {
                        unlink(output)
                        throw DiariumError(.invalidState, "documents it covers were disposed of while it was written: export again")
                    }
                    let kept = exports.complete(id, package: .init(path: output, disposalMark: mark, selection: selection)) { job in
                        job.status = .done
                        job.finishedAt = Date()
                        job.packageID = report.packageID
                        job.cases = report.cases
                        job.documents = report.documents
                        job.restrictedDocuments = report.restrictedDocuments
                        job.formats = report.formats
                        job.unidentifiedFiles = report.unidentifiedFiles
                        job.unidentified = report.unidentified
                        job.size = digest.size
                        job.sha256 = digest.sha256
                        job.download = "/api/v1/exports/\(id)/package"
                    }
                    if !kept { unlink(output) }
                    // A disposal over the API between the check above and `complete` found no package to withdraw.
                    if kept, (try? service.disposed(since: mark, in: selection)) ?? true { exports.withdraw { $0.path == output } }
                } catch let error as DiariumError where Problem(error).status != .internalServerError {
                    exports.update(id) { $0.status = .failed; $0.finishedAt = Date(); $0.error = error.message }
                } catch {
                    logger.error("export failed", metadata: ["export.id": .string(id), "error.message": .string(String(describing: error))])
                    exports.update(id) { $0.status = .failed; $0.finishedAt = Date(); $0.error = "the export failed; the problem has been logged" }
                }
            } }
            // The job as queued: by now it may have run, failed and even been evicted or deleted.
            return try JSONCoding.response(job, status: .accepted, headers: [.location: "/api/v1/exports/\(id)"])
        }

        api.get("formats") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .export), principal, "see the formats report")
            let series = try QueryParameters(request, allowed: ["series"]).series("series")
            // A pass over every document: on the blocking pool, not the read pool that lookups and the public diarium wait for.
            return try JSONCoding.response(try await records.change { service in try service.formatReport(series: series) })
        }

        api.get("formats/documents") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .export), principal, "list documents by format")
            let query = try QueryParameters(request, allowed: ["state", "series", "after", "limit"])
            let state: FormatTally.State = try query.typed("state").map { text throws in
                guard let state = FormatTally.State(rawValue: text), state != .identified else {
                    throw DiariumError.invalid("state", "state must be unidentified or pending, not \(text)")
                }
                return state
            } ?? .unidentified
            let series = try query.series("series")
            let after = try query.typed("after").map { text throws in try DocumentNumber(parsing: text, field: "after") }
            let limit = try query.int("limit", default: 100, in: 1...1000)
            return try JSONCoding.response(try await records.change { service in
                try service.formatlessDocuments(state: state, series: series, after: after, limit: limit)
            })
        }

        api.get("exports") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .export), principal, "see exports")
            _ = try QueryParameters(request, allowed: [])
            return try JSONCoding.response(exports.all())
        }

        api.get("exports/{id}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .export), principal, "see exports")
            _ = try QueryParameters(request, allowed: [])
            return try JSONCoding.response(try Self.exportJob(context, exports))
        }

        api.delete("exports/{id}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .export), principal, "delete exports")
            _ = try QueryParameters(request, allowed: [])
            let id = try Self.parameter(context, "id")
            guard let job = exports.remove(id) else { throw DiariumError(.notFound, "export \(id) does not exist", field: "id") }
            return try JSONCoding.response(job)
        }

        api.get("exports/{id}/package") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .export), principal, "download exports")
            _ = try QueryParameters(request, allowed: [])
            let job = try Self.exportJob(context, exports)
            if job.withdrawn == true {
                // Every time, not only when the withdrawal was found here: a client polling on 409 would wait for ever.
                throw DiariumError(.gone, "export \(job.id) was withdrawn: documents it covers were disposed of after it was made; export again")
            }
            guard job.status == .done, let package = exports.package(job.id), let sha256 = job.sha256, let size = job.size else {
                throw Problem(status: .conflict, code: "export-not-ready", title: "Export not ready",
                              detail: "Export \(job.id) is \(job.status.rawValue)" + (job.error.map { " (\($0))" } ?? "")
                                  + (job.status == .failed ? "; it has no package: export again." : "; its package can be downloaded once it is done."))
            }
            // A disposal since it was made (by this server or another process) may have taken content it holds.
            if try await records.run({ service in try service.disposed(since: package.disposalMark, in: package.selection) }) {
                exports.withdraw { $0.path == package.path }
                throw DiariumError(.gone, "export \(job.id) was withdrawn: documents it covers were disposed of after it was made; export again")
            }
            let file = PublicContentFile(sha256: sha256, size: size, mediaType: job.format == .earkZip ? "application/zip" : "application/x-tar",
                                         fileName: "\(job.packageID ?? job.id).\(job.format.fileExtension)", path: package.path)
            return try ContentResponse.make(file, request: request, threadPool: records.threadPool, logger: context.logger)
        }

        // The package is the raw body (tar or zip), streamed to the upload area; the import itself is all or nothing.
        api.post("imports") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .importPackages), principal, "import packages")
            let query = try QueryParameters(request, allowed: ["dryRun", "intoSeries", "intoCase", "filename"])
            let dryRun = try query.bool("dryRun", default: false)
            let intoSeries = try query.series("intoSeries")
            let intoCase = try query.string("intoCase").map { text throws(DiariumError) in try CaseNumber(parsing: text, field: "intoCase") }
            if intoSeries != nil && intoCase != nil {
                throw DiariumError.invalid("intoSeries", "give intoSeries or intoCase, not both (intoCase takes a package's files into that case)")
            }
            let name = try query.string("filename").map { text throws(DiariumError) in try TextRules.line(text, field: "filename", maxLength: 255) } ?? "upload"
            try UploadWriter.checkDeclaredLength(request, limit: settings.maxUploadBytes)
            let extensionHint = request.headers[.contentType]?.lowercased().contains("zip") == true ? ".zip" : ".tar"
            let upload = UploadWriter(path: uploads.newFilePath() + extensionHint, limit: settings.maxUploadBytes, threadPool: records.blockingPool)
            defer { upload.discard() }
            for try await chunk in request.body { try await upload.write(chunk) }
            try await upload.finish()
            let path = upload.path
            let received = upload.bytesWritten
            let report: ImportReport
            do {
                report = try await records.change { service in
                    let principal = try Self.stillAuthenticated(request, service)
                    try Self.require(AccessPolicy.allows(principal, .importPackages), principal, "import packages")
                    return try service.importPackage(at: path, options: ImportOptions(numbering: intoSeries.map { .renumber(into: $0) } ?? .preserve, dryRun: dryRun,
                                                                                limits: .forReceived(compressedSize: received), intoCase: intoCase, displayName: name),
                                              actor: principal.name)
                }
            } catch let error as DiariumError where error.field == nil && [.invalidField, .unreadableFile].contains(error.code) {
                // A package that cannot be read, or says something wrong, names no field of its own: it is the body.
                throw DiariumError(error.code, error.message, field: "body")
            }
            return try JSONCoding.response(report, status: dryRun ? .ok : .created)
        }
    }

    static func exportJob(_ context: DiariumRequestContext, _ exports: ExportJobs) throws -> ExportJobs.Job {
        let id = try parameter(context, "id")
        guard let job = exports.job(id) else { throw DiariumError(.notFound, "export \(id) does not exist", field: "id") }
        return job
    }

    static func describe(_ selection: ExportRequest.Selection) -> String {
        switch selection {
        case .series(let code, let year): year.map { "series \(code) \($0)" } ?? "series \(code)"
        case .case(let number): "case \(number)"
        case .query(let text): "query \(text)"
        case .documents(let numbers): "documents " + numbers.map(\.description).joined(separator: ", ")
        }
    }
}
