import DiariumCore
import DiariumServices
import Foundation
import Hummingbird
import Synchronization

/// Search, audit, verification, users and tokens.
extension APIRoutes {
    struct NewUserBody: RequestBody {
        let name: String
        let role: Role
        let departments: [Department]?

        static let keys: Set<String> = ["name", "role", "departments"]
    }

    struct UserPatchBody: RequestBody {
        let role: Role?
        let departments: [Department]?
        let enabled: Bool?

        static let keys: Set<String> = ["role", "departments", "enabled"]
    }

    struct OrganisationBody: RequestBody {
        let organisation: Organisation

        static let keys: Set<String> = ["name", "code"]

        init(from decoder: any Decoder) throws { organisation = try Organisation(from: decoder) }
    }

    struct NewTokenBody: RequestBody {
        let label: String?
        /// Accepted for this many days; absent: until revoked.
        let validDays: Int?

        static let keys: Set<String> = ["label", "validDays"]
    }

    func addAdminRoutes(to api: RouterGroup<DiariumRequestContext>) {
        let records = records
        let tokens = tokens

        // Each reader searches what they may read: archivists everything, clerks the restricted parts of their
        // departments' series too, everyone else the public view, which never matches or shows a restricted part.
        // Every restricted hit shown with its restricted parts is a read of them, audited.
        api.get("search") { request, context -> Response in
            let principal = try context.requirePrincipal()
            let query = try QueryParameters(request, allowed: ["q", "limit", "after", "facets"])
            guard let text = query.string("q") else { throw DiariumError.invalid("q", "give a query: q=words or filters such as type:decision") }
            let facets = try query.bool("facets", default: true)
            let options = SearchOptions(limit: try query.int("limit", default: 20, in: RecordsService.publicPageSizes),
                                        cursor: query.string("after"), facets: facets)
            let audited = Self.delivers(request)
            do {
                let result = try await records.run { service in
                    let (result, view) = try service.search(text, as: principal, options: options)
                    if audited {
                        let restricted = result.hits.filter { $0.restriction != nil && view.clears($0.number.caseNumber.series) }
                        let reads = try restricted.map { hit in
                            let record = try service.document(hit.number)
                            return (hit.number, record.current.number, record.current.metadata.restriction?.hides ?? [])
                        }
                        try service.recordRestrictedReads(reads, what: .search, actor: principal.name)
                    }
                    return result
                }
                return try JSONCoding.response(result)
            } catch let error as DiariumError where error.field == "query" {
                throw DiariumError(error.code, error.message, field: "q")
            }
        }

        api.get("audit") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .readAudit), principal, "read the audit log")
            let query = try QueryParameters(request, allowed: ["object", "after", "limit"])
            let object = query.string("object")?.precomposedStringWithCanonicalMapping   // names and numbers are stored in NFC
            if let object, let corrected = SeriesCode.correctedNumber(object) {
                // No object is spelled so: refused rather than answered with no events.
                throw DiariumError(.invalidNumber, "no object is '\(object)': series codes are upper case: \(corrected)", field: "object")
            }
            let after = try query.int64("after", default: 0)
            let limit = try query.int("limit", default: 100, in: 1...1000)
            let events = try await records.run { service in
                // Admins see who did what, not the digests of content they have no clearance for.
                try Self.auditViews(try service.audit(object: object, after: after, limit: limit), principal, service)
            }
            return try JSONCoding.response(events)
        }

        api.post("verify") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .verify), principal, "run verification")
            _ = try QueryParameters(request, allowed: [])
            try await JSONBody.requireNone(request)
            // One at a time: a verification holds a catalog reader while it re-hashes everything (minutes), and
            // the readers are shared with every other request (see ExportJobs.maximumRunning).
            guard verifying.start() else {
                throw Problem(status: .conflict, code: "verify-running", title: "Verification running",
                              detail: "A verification of this store is already running; try again when it has finished.")
            }
            defer { verifying.end() }
            // Without the full-text index's check, which would hold every registration for its whole length.
            let report = try await records.change { service in
                let report = try service.verify(checkingSearchIndex: false)
                try service.recordVerification(report, actor: principal.name)
                return report
            }
            return try JSONCoding.response(report)
        }

        api.get("organisation") { request, context -> Response in
            _ = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            guard let organisation = try await records.run({ service in try service.organisation() }) else {
                throw DiariumError(.notFound, "this store has no organisation set (an admin sets it: PUT /api/v1/organisation)")
            }
            return try JSONCoding.response(organisation, headers: [.eTag: try SettingConditions.etag(organisation)])
        }

        api.put("organisation") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .configureStore), principal, "set the store's organisation")
            _ = try QueryParameters(request, allowed: [])
            let condition: SettingCondition<Organisation>? = SettingConditions(request).condition("the store's organisation")
            let organisation = try await JSONBody.decode(OrganisationBody.self, from: request).organisation
            let saved = try await records.change { service in try service.setOrganisation(organisation, actor: principal.name, condition: condition) }
            return try JSONCoding.response(saved, headers: [.eTag: try SettingConditions.etag(saved)])
        }

        api.get("users") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .manageUsers), principal, "list users")
            let query = try QueryParameters(request, allowed: ["after", "limit"])
            let after = try query.typed("after")
            let limit = try query.int("limit", default: 1000, in: 1...1000)
            return try JSONCoding.response(try await records.run { service in try service.listUsers(after: after, limit: limit) })
        }

        api.post("users") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .manageUsers), principal, "add users")
            _ = try QueryParameters(request, allowed: [])
            let body = try await JSONBody.decode(NewUserBody.self, from: request)
            let user = try await records.change { service in
                try service.addUser(name: body.name, role: body.role, departments: body.departments ?? [], actor: principal.name)
            }
            return try JSONCoding.response(user, status: .created, headers: [.location: "/api/v1/users/\(Self.pathSegment(user.name))",
                                                                             .eTag: Self.userETag(1)])
        }

        api.get("users/{name}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let name = User.lookupName(try Self.parameter(context, "name"))
            try Self.require(AccessPolicy.allows(principal, .manageUsers) || name == principal.name, principal, "see other users")
            let (user, version) = try await records.run { service in try service.userVersioned(name) }
            return try JSONCoding.response(user, headers: [.eTag: Self.userETag(version)])
        }

        api.patch("users/{name}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .manageUsers), principal, "change users")
            _ = try QueryParameters(request, allowed: [])
            let name = User.lookupName(try Self.parameter(context, "name"))
            let ifMatch = try Self.ifMatch(request, prefix: "u", of: "user \(name)", example: "\"u2\"", what: "version")
            let body = try await JSONBody.decode(UserPatchBody.self, from: request)
            // An admin has no clearance; becoming an archivist or a clerk would give it: another admin decides that.
            try Self.require(name != principal.name || body.role == nil || body.role == principal.role, principal,
                             "change their own role: another admin does")
            let (user, version) = try await records.change { service in
                let expected = try ifMatch.version(current: try service.userVersioned(name).version)
                let user = try service.updateUser(name: name, role: body.role, departments: body.departments, enabled: body.enabled,
                                                  expectedVersion: expected, actor: principal.name)
                return (user, try service.userVersioned(name).version)
            }
            tokens.removeAll()
            return try JSONCoding.response(user, headers: [.eTag: Self.userETag(version)])
        }

        api.get("users/{name}/tokens") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let name = User.lookupName(try Self.parameter(context, "name"))
            try Self.require(AccessPolicy.allows(principal, .manageUsers) || name == principal.name, principal, "see other users' tokens")
            return try JSONCoding.response(try await records.run { service in
                _ = try service.user(name)
                return try service.listTokens(user: name)
            })
        }

        api.post("users/{name}/tokens") { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.require(AccessPolicy.allows(principal, .manageUsers), principal, "create tokens")
            _ = try QueryParameters(request, allowed: [])
            let name = User.lookupName(try Self.parameter(context, "name"))
            // Whoever holds a token acts as its user: an admin holding a clerk's or an archivist's could read what
            // their clearance allows, in their name. Over HTTP a token goes to its owner only; the operator issues
            // the others on the server (`diarium token create NAME`).
            try Self.require(name == principal.name, principal,
                             "create a token for another account (\(name)): over HTTP a token is created by its owner; "
                             + "the operator issues one with `diarium token create \(name)` on the server")
            let body = try await JSONBody.decode(NewTokenBody.self, from: request, emptyAllowed: true)
            let created = try await records.change { service in try service.createToken(user: name, label: body.label, validDays: body.validDays,
                                                                                           notAfter: principal.credentialExpiresAt,
                                                                                           actor: principal.name) }
            // The secret is in this one response only; it must not be cached anywhere on the way.
            return try JSONCoding.response(created, status: .created, headers: [.cacheControl: "no-store"])
        }

        api.delete("tokens/{id}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let text = try Self.parameter(context, "id")
            guard let id = Int64(text), id >= 1 else { throw DiariumError.invalid("id", "a token id is a whole number from 1, not '\(text)'") }
            let token = try await records.change { service in
                let token = try service.listTokens(user: nil).first { $0.id == id }
                // Anyone may revoke their own token; admins any token.
                try Self.require(AccessPolicy.allows(principal, .manageUsers) || token?.user == principal.name, principal, "revoke others' tokens")
                return try service.revokeToken(id: id, actor: principal.name)
            }
            tokens.removeAll()
            return try JSONCoding.response(token)
        }
    }
}

/// Lets one run of something at a time: `start()` is false while another runs.
final class SingleRun: Sendable {
    private let running = Mutex(false)

    func start() -> Bool {
        running.withLock { running in
            defer { running = true }
            return !running
        }
    }

    func end() { running.withLock { $0 = false } }
}
