import DiariumCore
import DiariumServices
import Hummingbird

/// `/api/v1/disposal` and `/api/v1/holds`: disposal (gallring) under the retention schedule and the legal holds that
/// stop it, for archivists.
extension APIRoutes {
    struct NewHoldBody: RequestBody {
        /// A case number (the hold covers its documents) or a document number.
        let target: String
        let reason: String

        static let keys: Set<String> = ["target", "reason"]

        func holdTarget() throws -> HoldTarget { try HoldTarget(parsing: target) }
    }

    /// Archivists read every hold; a clerk the holds on their departments' records (`target` named).
    /// Nothing is held in a series that does not exist: everyone may hear so (an empty list).
    static func requireHoldReader(_ principal: Principal, of target: HoldTarget?, _ service: RecordsService) throws {
        if AccessPolicy.allows(principal, .dispose) { return }
        guard let target else {
            try require(false, principal, "list every legal hold (name a case or document of your department with ?on=)")
            return
        }
        do {
            let department = try service.department(of: target.series)
            try require(AccessPolicy.mayEdit(principal, department: department), principal, "see legal holds in series \(target.series)")
        } catch let error as DiariumError where error.code == .notFound {
            return
        }
    }

    struct ReleaseBody: RequestBody {
        let reason: String

        static let keys: Set<String> = ["reason"]
    }

    struct DisposalBody: RequestBody {
        /// Exactly these documents, as reviewed on the disposal list.
        let documents: [DocumentNumber]?
        /// Everything due now (in `series`), except what a hold keeps. Must be said: an empty body disposes of nothing.
        let due: Bool?
        let series: SeriesCode?
        /// With `due`: at most this many disposed of in this request (the report's `more` says to ask again).
        let limit: Int?

        static let keys: Set<String> = ["documents", "due", "series", "limit"]
        static let maximumLimit = 10_000

        enum Keys: String, CodingKey { case documents, due, series, limit }

        /// Absent means "not given"; null is refused, as the document declares each field with its type only.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            documents = try c.decodeUnlessNull([DocumentNumber].self, forKey: .documents)
            due = try c.decodeUnlessNull(Bool.self, forKey: .due)
            series = try c.decodeUnlessNull(SeriesCode.self, forKey: .series)
            limit = try c.decodeUnlessNull(Int.self, forKey: .limit)
        }

        func selection() throws -> DisposalSelection {
            switch (documents, due) {
            case (let numbers?, nil), (let numbers?, false?):
                if series != nil { throw DiariumError.invalid("series", "series goes with due, not with documents") }
                if limit != nil { throw DiariumError.invalid("limit", "limit goes with due, not with documents") }
                guard numbers.count <= 1000 else { throw DiariumError.invalid("documents", "at most 1000 documents at a time") }
                return .documents(numbers)
            case (nil, true?):
                let limit = limit ?? 1000
                guard (1...Self.maximumLimit).contains(limit) else {
                    throw DiariumError.invalid("limit", "limit must be from 1 to \(Self.maximumLimit), not \(limit)")
                }
                return .due(series: series, limit: limit)
            case (_?, true?):
                throw DiariumError.invalid("due", "give documents or due, not both")
            default:
                throw DiariumError.invalid("documents", "give the documents to dispose of, or due: true for everything due")
            }
        }
    }

    func addDisposalRoutes(to api: RouterGroup<DiariumRequestContext>) {
        let records = records
        let uploads = uploads
        let purger = purger
        let exports = exports

        api.get("disposal/due") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .dispose), principal, "list documents due for disposal")
            let query = try QueryParameters(request, allowed: ["asOf", "series", "after", "limit"])
            let asOf = try query.date("asOf")
            let series = try query.series("series")
            let after = try query.typed("after").map { text throws in try DocumentNumber(parsing: text, field: "after") }
            let limit = try query.int("limit", default: 100, in: 1...1000)
            return try JSONCoding.response(try await records.run { service in
                try service.disposalDue(asOf: asOf, series: series, after: after, limit: limit)
            })
        }

        // The copies the log records, with what each still holds that was disposed of since: a disposal decision covers
        // copies too. Read from the log, so for those who read it.
        api.get("backups") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .readAudit), principal, "list the backups")
            _ = try QueryParameters(request, allowed: [])
            return try JSONCoding.response(try await records.run { service in try service.backups() })
        }

        api.get("disposal/record") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .dispose), principal, "see the disposal record")
            let query = try QueryParameters(request, allowed: ["series", "from", "to"])
            let series = try query.series("series")
            let from = try query.date("from")
            let to = try query.date("to")
            return try JSONCoding.response(try await records.run { service in try service.disposalRecord(series: series, from: from, to: to) })
        }

        api.post("disposal") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .dispose), principal, "dispose of records")
            _ = try QueryParameters(request, allowed: [])
            let selection = try await JSONBody.decode(DisposalBody.self, from: request).selection()
            let report = try await records.change { service in
                let report = try service.dispose(selection, actor: principal.name)
                // Packages this server made before hold content now disposed of: withdrawn (gallring leaves no copy).
                if !report.disposed.isEmpty {
                    // A check that fails withdraws too.
                    exports.withdraw { package in (try? service.disposed(since: package.disposalMark, in: package.selection)) ?? true }
                }
                return report
            }
            if report.unpurged > 0 {
                purger.schedule(records, stopping: { uploads.isClosed }, logger: context.logger)
            }
            return try JSONCoding.response(report)
        }

        // Archivists see every hold; a clerk those on a case or document of their departments' series, named with
        // `on` (whether their records are kept from disposal, and why, is theirs to know).
        api.get("holds") { request, context -> Response in
            let principal = try context.requirePrincipal()
            let query = try QueryParameters(request, allowed: ["on", "all", "after", "limit"])
            let target = try query.typed("on").map { text throws in try HoldTarget(parsing: text, field: "on") }
            let all = try query.bool("all", default: false)
            let after = try query.int("after", in: 1...Int.max).map { Int64($0) }
            let limit = try query.int("limit", default: 100, in: 1...1000)
            return try JSONCoding.response(try await records.run { service in
                try Self.requireHoldReader(principal, of: target, service)
                return try service.legalHolds(includingReleased: all, on: target, after: after, limit: limit)
            })
        }

        api.post("holds") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .dispose), principal, "place legal holds")
            _ = try QueryParameters(request, allowed: [])
            let body = try await JSONBody.decode(NewHoldBody.self, from: request)
            let target = try body.holdTarget()
            let hold = try await records.change { service in try service.placeHold(on: target, reason: body.reason, actor: principal.name) }
            return try JSONCoding.response(hold, status: .created, headers: [.location: "/api/v1/holds/\(hold.id)"])
        }

        api.get("holds/{id}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .dispose) || AccessPolicy.mayEditSomewhere(principal), principal, "see legal holds")
            _ = try QueryParameters(request, allowed: [])
            let id = try Self.holdID(context)
            return try JSONCoding.response(try await records.run { service in
                let hold = try service.legalHold(id: id)
                // Another department's hold is, to this reader, one that does not exist (ids are not to be probed).
                if !AccessPolicy.allows(principal, .dispose) {
                    let department = try service.department(of: try HoldTarget(parsing: hold.number, field: "id").series)
                    guard AccessPolicy.mayEdit(principal, department: department) else {
                        throw DiariumError(.notFound, "legal hold \(id) does not exist", field: "id")
                    }
                }
                return hold
            })
        }

        api.post("holds/{id}/release") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .dispose), principal, "release legal holds")
            _ = try QueryParameters(request, allowed: [])
            let id = try Self.holdID(context)
            let body = try await JSONBody.decode(ReleaseBody.self, from: request)
            return try JSONCoding.response(try await records.change { service in
                try service.releaseHold(id: id, reason: body.reason, actor: principal.name)
            })
        }
    }

    static func holdID(_ context: DiariumRequestContext) throws -> Int64 {
        let text = try parameter(context, "id")
        guard let id = Int64(text), id >= 1 else { throw DiariumError.invalid("id", "a legal hold's number is a whole number from 1, not '\(text)'") }
        return id
    }
}
