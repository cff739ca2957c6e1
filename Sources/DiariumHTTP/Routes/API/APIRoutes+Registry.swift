import DiariumCore
import DiariumServices
import Hummingbird

/// Series and cases.
extension APIRoutes {
    struct NewSeriesBody: RequestBody {
        let code: SeriesCode
        let name: String
        let department: Department?

        static let keys: Set<String> = ["code", "name", "department"]
    }

    struct SeriesPatchBody: RequestBody {
        /// The department that keeps the series: its clerks register in it and read its restricted documents.
        let department: Department

        static let keys: Set<String> = ["department"]
    }

    struct NewCaseBody: RequestBody {
        let series: SeriesCode
        let title: String
        let publicTitle: String?
        let restriction: CaseRestrictionBody?
        let classification: String?
        let department: String?
        let officer: String?

        static let keys: Set<String> = ["series", "title", "publicTitle", "restriction", "classification", "department", "officer"]
        static let nested: [String: Set<String>] = ["restriction": Set(AccessRestriction.CodingKeys.allCases.map(\.rawValue))]
    }

    /// A case's title restriction: a document restriction's fields, `hides` left out or `["title"]`.
    struct CaseRestrictionBody: Decodable, Sendable {
        let kind: AccessRestriction.Kind
        let legalReference: String
        let until: CalendarDate?
        let hides: [AccessRestriction.Part]?
        /// `until` left out, not null: on a PATCH, the current end date stays on the same ground.
        let untilOmitted: Bool

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AccessRestriction.CodingKeys.self)
            kind = try c.decode(AccessRestriction.Kind.self, forKey: .kind)
            legalReference = try c.decode(String.self, forKey: .legalReference)
            until = try c.decodeIfPresent(CalendarDate.self, forKey: .until)
            hides = try c.decodeIfPresent([AccessRestriction.Part].self, forKey: .hides)
            untilOmitted = !c.contains(.until)
        }

        func restriction() throws(DiariumError) -> AccessRestriction {
            do {
                return try AccessRestriction(kind: kind, legalReference: legalReference, until: until, hides: hides ?? [.title])
            } catch {
                // Named as the body names it, as a document's restriction is.
                let field = switch error.field { case "legal": "restriction.legalReference"; case "hides": "restriction.hides"; default: error.field }
                throw DiariumError(error.code, error.message, field: field)
            }
        }
    }

    /// PATCH of a case: absent fields stay, null clears an optional one (clearing the restriction makes the title
    /// public and drops the public title).
    struct CasePatchBody: RequestBody {
        var change = CaseChange()
        var restriction: Patch<CaseRestrictionBody> = .absent

        static let keys: Set<String> = ["title", "publicTitle", "restriction", "classification", "department", "officer"]
        static let nested: [String: Set<String>] = NewCaseBody.nested

        enum Keys: String, CodingKey { case title, publicTitle, restriction, classification, department, officer }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            change.title = try c.decodeUnlessNull(String.self, forKey: .title)
            change.publicTitle = try c.decodePatch(String.self, forKey: .publicTitle).change
            restriction = try c.decodePatch(CaseRestrictionBody.self, forKey: .restriction)
            change.classification = try c.decodePatch(String.self, forKey: .classification).change
            change.department = try c.decodePatch(String.self, forKey: .department).change
            change.officer = try c.decodePatch(String.self, forKey: .officer).change
        }

        func caseChange() throws(DiariumError) -> CaseChange {
            var change = change
            switch restriction {
            case .absent: break
            case .clear: change.restriction = .some(nil)
            case .set(let given):
                change.restriction = .some(try given.restriction())
                change.restrictionKeepsUntil = given.untilOmitted
            }
            return change
        }
    }

    struct RetentionRuleBody: RequestBody {
        let action: RetentionRule.Action
        let years: Int?
        let mandate: String
        let schedule: String?

        static let keys: Set<String> = ["action", "years", "mandate", "schedule"]

        func terms() throws(DiariumError) -> RetentionTerms {
            try RetentionTerms(action: action, years: years, mandate: mandate, schedule: schedule)
        }
    }

    /// PUT of a class: its title, description and rule (absent or null: none of its own).
    struct ClassBody: RequestBody {
        let title: String
        let description: String?
        let retention: RetentionRuleBody?

        static let keys: Set<String> = ["title", "description", "retention"]
        static let nested: [String: Set<String>] = ["retention": RetentionRuleBody.keys]

        func item(code: String) throws(DiariumError) -> ClassificationClass {
            // The rule's fields are named as the body nests them, as the decoder names them.
            let terms = try retention.map { body throws(DiariumError) in
                do throws(DiariumError) {
                    return try body.terms()
                } catch {
                    throw DiariumError(error.code, error.message, field: error.field.map { "retention.\($0)" })
                }
            }
            return try ClassificationClass(code: code, title: title, description: description, retention: terms)
        }
    }

    /// Who changes which rule: an admin (403 otherwise), the series and the record type the path names (nil for
    /// `default`, the series' own rule).
    static func retentionChange(_ request: Request, _ context: DiariumRequestContext) throws -> (Principal, SeriesCode, RecordType?) {
        let principal = try context.requirePrincipal()
        try require(AccessPolicy.allows(principal, .manageSeries), principal, "change the retention schedule")
        _ = try QueryParameters(request, allowed: [])
        let series = try SeriesCode(parsing: try parameter(context, "series"))
        let text = try parameter(context, "type")
        if text == "default" { return (principal, series, nil) }
        guard let type = RecordType(rawValue: text) else {
            throw DiariumError.invalid("type", "'\(text)' is neither default nor a record type (\(RecordType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return (principal, series, type)
    }

    /// Who changes which class: an admin (403 otherwise), and the class code the path names.
    static func classChange(_ request: Request, _ context: DiariumRequestContext) throws -> (Principal, String) {
        let principal = try context.requirePrincipal()
        try require(AccessPolicy.allows(principal, .manageSeries), principal, "change the classification structure")
        _ = try QueryParameters(request, allowed: [])
        return (principal, try parameter(context, "code"))
    }

    /// Who changes a class's rule for which record type: `classChange`'s, and the record type the path names.
    static func classRuleChange(_ request: Request, _ context: DiariumRequestContext) throws -> (Principal, String, RecordType) {
        let (principal, code) = try classChange(request, context)
        let text = try parameter(context, "type")
        guard let type = RecordType(rawValue: text) else {
            throw DiariumError.invalid("type", "'\(text)' is not a record type (\(RecordType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return (principal, code, type)
    }

    func addRegistryRoutes(to api: RouterGroup<DiariumRequestContext>) {
        let records = records
        api.get("me") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            return try JSONCoding.response(PrincipalView(name: principal.name, role: principal.role ?? .admin,
                                                         departments: principal.departments.sorted()))
        }

        api.get("series") { request, _ -> Response in
            _ = try QueryParameters(request, allowed: [])
            return try JSONCoding.response(try await records.run { service in try service.listSeries() })
        }

        api.post("series") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .manageSeries), principal, "add series")
            _ = try QueryParameters(request, allowed: [])
            let body = try await JSONBody.decode(NewSeriesBody.self, from: request)
            let series = try await records.change { service in
                try service.addSeries(code: body.code, name: body.name, department: body.department, actor: principal.name)
            }
            return try JSONCoding.response(series, status: .created, headers: [.location: "/api/v1/series/\(series.code)",
                                                                                .eTag: try SettingConditions.etag(series)])
        }

        api.get("series/{series}") { request, context -> Response in
            _ = try QueryParameters(request, allowed: [])
            let code = try SeriesCode(parsing: try Self.parameter(context, "series"))
            let series = try await records.run { service in try service.series(code) }
            return try JSONCoding.response(series, headers: [.eTag: try SettingConditions.etag(series)])
        }

        api.patch("series/{series}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .manageSeries), principal, "change series")
            _ = try QueryParameters(request, allowed: [])
            let series = try SeriesCode(parsing: try Self.parameter(context, "series"))
            let condition: SettingCondition<Series>? = SettingConditions(request).condition("series \(series)")
            let body = try await JSONBody.decode(SeriesPatchBody.self, from: request)
            let saved = try await records.change { service in
                try service.setSeriesDepartment(series, body.department, actor: principal.name, condition: condition)
            }
            return try JSONCoding.response(saved, headers: [.eTag: try SettingConditions.etag(saved)])
        }

        api.get("series/{series}/retention") { request, context -> Response in
            _ = try QueryParameters(request, allowed: [])
            let series = try SeriesCode(parsing: try Self.parameter(context, "series"))
            return try JSONCoding.response(try await records.run { service in try service.retentionSchedule(series: series) })
        }

        api.put("series/{series}/retention/{type}") { request, context -> Response in
            let (principal, series, type) = try Self.retentionChange(request, context)
            let body = try await JSONBody.decode(RetentionRuleBody.self, from: request)
            let rule = try RetentionRule(series: series, recordType: type, action: body.action, years: body.years, mandate: body.mandate,
                                         schedule: body.schedule)
            // RFC 9110 §9.3.4: 201 when the PUT made the rule, 200 when it replaced one.
            let (saved, existed) = try await records.change { service in
                let existed = try service.retentionSchedule(series: series).contains { $0.recordType == type }
                return (try service.setRetentionRule(rule, actor: principal.name), existed)
            }
            return try JSONCoding.response(saved, status: existed ? .ok : .created)
        }

        api.delete("series/{series}/retention/{type}") { request, context -> Response in
            let (principal, series, type) = try Self.retentionChange(request, context)
            try await records.change { service in try service.removeRetentionRule(series: series, recordType: type, actor: principal.name) }
            return Response(status: .noContent)
        }

        // Every reader sees the structure, as the retention schedule: clerks classify under it.
        api.get("classification") { request, _ -> Response in
            _ = try QueryParameters(request, allowed: [])
            return try JSONCoding.response(try await records.run { service in try service.classification() })
        }

        api.get("classification/{code}") { request, context -> Response in
            _ = try QueryParameters(request, allowed: [])
            let code = try Self.parameter(context, "code")
            let item = try await records.run { service in try service.classificationClass(code) }
            return try JSONCoding.response(item, headers: [.eTag: try SettingConditions.etag(item)])
        }

        api.put("classification/{code}") { request, context -> Response in
            let (principal, code) = try Self.classChange(request, context)
            let condition: SettingCondition<ClassificationClass>? = SettingConditions(request).condition("class \(code)")
            let item = try await JSONBody.decode(ClassBody.self, from: request).item(code: code)
            // RFC 9110 §9.3.4: 201 when the PUT made the class, 200 when it replaced one.
            let (saved, created) = try await records.change { service in try service.setClass(item, actor: principal.name, condition: condition) }
            return try JSONCoding.response(saved, status: created ? .created : .ok, headers: [.eTag: try SettingConditions.etag(saved)])
        }

        api.put("classification/{code}/retention/{type}") { request, context -> Response in
            let (principal, code, type) = try Self.classRuleChange(request, context)
            let condition: SettingCondition<ClassificationClass>? = SettingConditions(request).condition("class \(code)")
            let terms = try await JSONBody.decode(RetentionRuleBody.self, from: request).terms()
            let (saved, created) = try await records.change { service in
                try service.setClassRule(code: code, type: type, terms, actor: principal.name, condition: condition)
            }
            return try JSONCoding.response(saved, status: created ? .created : .ok, headers: [.eTag: try SettingConditions.etag(saved)])
        }

        api.delete("classification/{code}/retention/{type}") { request, context -> Response in
            let (principal, code, type) = try Self.classRuleChange(request, context)
            let condition: SettingCondition<ClassificationClass>? = SettingConditions(request).condition("class \(code)")
            try await records.change { service in try service.removeClassRule(code: code, type: type, actor: principal.name, condition: condition) }
            return Response(status: .noContent)
        }

        api.delete("classification/{code}") { request, context -> Response in
            let (principal, code) = try Self.classChange(request, context)
            let condition: SettingCondition<ClassificationClass>? = SettingConditions(request).condition("class \(code)")
            try await records.change { service in try service.removeClass(code, actor: principal.name, condition: condition) }
            return Response(status: .noContent)
        }

        // Numbers and grounds only, which the public diarium shows anyway: every reader may see what is due for review.
        api.get("restrictions/ended") { request, context -> Response in
            _ = try context.requirePrincipal()
            let query = try QueryParameters(request, allowed: ["asOf", "series", "limit"])
            let asOf = try query.date("asOf")
            let series = try query.series("series")
            let limit = try query.int("limit", default: 100, in: 1...1000)
            return try JSONCoding.response(try await records.run { service in
                try service.restrictionsEnded(asOf: asOf, series: series, limit: limit)
            })
        }

        api.get("cases") { request, context -> Response in
            let principal = try context.requirePrincipal()
            let audited = Self.delivers(request)
            let query = try QueryParameters(request, allowed: ["series", "status", "year", "after", "limit", "title"])
            let series = try query.series("series")
            let title = try query.typed("title").map { text throws(DiariumError) in try TitleWords(parsing: text, field: "title") }
            let year = try query.int("year", in: 1000...9999)
            let after = try query.typed("after").map { text throws(DiariumError) in try CaseNumber(parsing: text, field: "after") }
            let status: CaseStatus? = try query.typed("status").map { text throws(DiariumError) in
                guard let status = CaseStatus(rawValue: text) else { throw .invalid("status", "status is open or closed, not '\(text)'") }
                return status
            }
            let limit = try query.int("limit", default: 100, in: 1...1000)
            return try JSONCoding.response(try await records.run { service in
                var clearance: [SeriesCode: Bool] = [:]
                let views = try service.listCases(series: series, status: status, year: year, after: after, limit: limit,
                                                  title: title, as: principal).map { record in
                    let series = record.number.series
                    if clearance[series] == nil {
                        clearance[series] = AccessPolicy.hasClearance(principal, department: try service.department(of: series))
                    }
                    return (record, CaseRecordView(record, clearance: clearance[series]!))
                }
                // Restricted titles shown are logged, as restricted document parts are.
                let revealed = views.filter { $0.0.titleIsRestricted && $0.1.redacted.isEmpty }.map(\.0.number)
                if audited { try service.recordRestrictedCaseReads(revealed, actor: principal.name) }
                return views.map(\.1)
            })
        }

        api.post("cases") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let body = try await JSONBody.decode(NewCaseBody.self, from: request)
            let record = try await records.change { service in
                let department = try service.department(of: body.series)
                try Self.require(AccessPolicy.mayEdit(principal, department: department), principal, "open cases in series \(body.series)")
                return try service.openCase(NewCase(series: body.series, title: body.title, publicTitle: body.publicTitle,
                                                    restriction: try body.restriction?.restriction(),
                                                    classification: body.classification, department: body.department, officer: body.officer),
                                            actor: principal.name)
            }
            // Its ETag, as a GET would give it: the next change needs it.
            return try JSONCoding.response(CaseRecordView(record, clearance: true), status: .created,
                                           headers: [.location: "/api/v1/cases/\(Self.pathSegment(record.number.description))", .eTag: Self.caseETag(1)])
        }

        api.get("cases/{case}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            let audited = Self.delivers(request)
            let query = try QueryParameters(request, allowed: ["after", "limit"])
            let number = try Self.caseNumber(context)
            // Documents a page at a time, by ordinal: `after` is the last ordinal of the previous page (`nextAfter`).
            let after = try query.int("after", default: 0, in: 0...Int(Int32.max))
            let limit = try query.int("limit", default: 1000, in: 1...1000)
            let (view, version) = try await records.run { service in
                let details = try service.caseDetailsForAccess(number, afterOrdinal: after, limit: limit)
                let clearance = AccessPolicy.hasClearance(principal, department: try service.department(of: number.series))
                let documents = details.documents.map {
                    DocumentView($0, nameHiddenEarlier: details.namesHiddenEarlier.contains($0.number.ordinal), clearance: clearance)
                }
                let revealed = clearance && audited ? details.documents.filter { $0.current.metadata.restriction != nil } : []
                try service.recordRestrictedReads(revealed.map { ($0.number, $0.current.number, $0.current.metadata.restriction!.hides) },
                                                  what: .metadata, actor: principal.name)
                if clearance && audited && details.record.titleIsRestricted {
                    try service.recordRestrictedCaseReads([number], actor: principal.name)
                }
                return (CaseView(case: CaseRecordView(details.record, clearance: clearance), documents: documents,
                                 nextAfter: details.more ? details.documents.last?.number.ordinal : nil), details.version)
            }
            return try JSONCoding.response(view, headers: [.eTag: Self.caseETag(version)])
        }

        api.get("cases/{case}/history") { request, context -> Response in
            let principal = try context.requirePrincipal()
            let audited = Self.delivers(request)
            _ = try QueryParameters(request, allowed: [])
            let number = try Self.caseNumber(context)
            let view = try await records.run { service in
                let history = try service.caseHistory(number)
                let clearance = AccessPolicy.hasClearance(principal, department: try service.department(of: number.series))
                if clearance && audited && (history.record.titleIsRestricted || history.revisions.contains { $0.titleWasRestricted }) {
                    try service.recordRestrictedCaseReads([number], actor: principal.name)
                }
                return CaseHistoryView(case: CaseRecordView(history.record, clearance: clearance),
                                       revisions: CaseRevisionView.views(history.revisions, current: history.record, clearance: clearance))
            }
            return try JSONCoding.response(view)
        }

        api.patch("cases/{case}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let number = try Self.caseNumber(context)
            let ifMatch = try Self.ifMatch(request, prefix: "d", of: "case \(number)", example: "\"d2\"", what: "version")
            let change = try await JSONBody.decode(CasePatchBody.self, from: request).caseChange()
            let (record, version) = try await records.change { service in
                try Self.require(AccessPolicy.mayEdit(principal, department: try service.department(of: number.series)), principal,
                                 "correct cases in series \(number.series)")
                // As for documents: the named version if current (checked again in the change's transaction), `*` none.
                let expected = try ifMatch.version(current: try service.caseVersion(number))
                return try service.updateCaseVersioned(number, change, expectedVersion: expected, actor: principal.name)
            }
            return try JSONCoding.response(CaseRecordView(record, clearance: true), headers: [.eTag: Self.caseETag(version)])
        }

        // Closing and opening again: the case as the clerk saw it (If-Match, as for a correction).
        for (action, reopens) in [("close", false), ("reopen", true)] {
            api.post("cases/{case}/\(action)") { request, context -> Response in
                let principal = try context.requirePrincipal()
                _ = try QueryParameters(request, allowed: [])
                let number = try Self.caseNumber(context)
                let ifMatch = try Self.ifMatch(request, prefix: "d", of: "case \(number)", example: "\"d2\"", what: "version")
                try await JSONBody.requireNone(request)
                let (record, version) = try await records.change { service in
                    try Self.require(AccessPolicy.mayEdit(principal, department: try service.department(of: number.series)), principal,
                                     "\(action) cases in series \(number.series)")
                    let expected = try ifMatch.version(current: try service.caseVersion(number))
                    let record = reopens ? try service.reopenCase(number, expectedVersion: expected, actor: principal.name)
                        : try service.closeCase(number, expectedVersion: expected, actor: principal.name)
                    return (record, try service.caseVersion(number))
                }
                return try JSONCoding.response(CaseRecordView(record, clearance: true), headers: [.eTag: Self.caseETag(version)])
            }
        }
    }

    /// A number or a name as one path segment: every byte of its UTF-8 but RFC 3986's unreserved ASCII
    /// percent-encoded (`KS%202026%2F14-3`, `%C3%85sa`). A Location header holds ASCII only, so letters beyond it
    /// are encoded too (Foundation's `.alphanumerics` let `Å` through, and built its character set per call).
    static func pathSegment(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

import Foundation
