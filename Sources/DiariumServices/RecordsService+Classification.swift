import DiariumCore
import DiariumStorage
import Foundation

/// The classification structure (klassificeringsstruktur): the classes cases and documents are classified under, and
/// the retention rules kept with them, carried into every export as ERMS `classificationSchema`.
extension RecordsService {
    /// Adds a class or replaces its title, description and rule. The class above it (`2.4` for `2.4.1`) must exist.
    /// `created`: there was no class of that code (told in the same transaction, for an HTTP PUT's 201).
    @discardableResult
    public func setClass(_ item: ClassificationClass, actor: String) throws(DiariumError) -> (saved: ClassificationClass, created: Bool) {
        let actor = try checkedActor(actor)
        return try store.catalog.write { access in
            let created = try access.classificationClass(item.code) == nil
            try Self.putClass(item, actor: actor, at: clock.now(), access)
            return (item, created)
        }
    }

    /// A code as given (trimmed, NFC), refused when it is not one.
    static func classCode(_ text: String) throws(DiariumError) -> String {
        guard let code = try RecordRules.classification(text, field: "code") else {
            throw DiariumError.invalid("code", "give a class code such as 2.4")
        }
        return code
    }

    /// Writes and logs one class in the caller's transaction (also an import's).
    static func putClass(_ item: ClassificationClass, actor: String, at now: Date, _ access: CatalogAccess) throws {
        if let parent = item.parent, try access.classificationClass(parent) == nil {
            throw DiariumError.invalid("code", "class \(item.code) goes under class \(parent), which does not exist: add \(parent) first")
        }
        try access.putClass(item)
        try access.appendAudit(at: now, actor: actor, action: .classSet, object: item.code, version: nil,
                               details: classAuditDetails(item).json)
    }

    /// Removes a class no class, case or document (in any version) is classified under: records keep the class
    /// they were given, so a class in use stays.
    public func removeClass(_ code: String, actor: String) throws(DiariumError) {
        let actor = try checkedActor(actor)
        let code = try Self.classCode(code)
        try store.catalog.write { access in
            guard try access.classificationClass(code) != nil else {
                throw DiariumError(.notFound, "class \(code) is not in the classification structure", field: "code")
            }
            let use = try access.classUse(code)
            var users: [String] = []
            if use.subclasses > 0 { users.append("\(use.subclasses) class(es) under it") }
            if use.cases > 0 { users.append("\(use.cases) case(s)") }
            if use.documents > 0 { users.append("\(use.documents) document(s)") }
            guard users.isEmpty else {
                throw DiariumError(.invalidState, "class \(code) is in use by \(users.joined(separator: ", ")) and stays: "
                                   + "records keep the class they were given", field: "code")
            }
            _ = try access.deleteClass(code)
            try access.appendAudit(at: clock.now(), actor: actor, action: .classRemove, object: code, version: nil, details: "{}")
        }
    }

    /// The whole structure in tree order (each class followed by those under it).
    public func classification() throws(DiariumError) -> [ClassificationClass] {
        try store.catalog.read { try $0.classificationScheme().ordered }
    }

    public func classificationClass(_ code: String) throws(DiariumError) -> ClassificationClass {
        let code = try Self.classCode(code)
        guard let found = try store.catalog.read({ try $0.classificationClass(code) }) else {
            throw DiariumError(.notFound, "class \(code) is not in the classification structure", field: "code")
        }
        return found
    }

    static func classAuditDetails(_ item: ClassificationClass) -> AuditDetails {
        var details = AuditDetails()
        if let terms = item.retention {
            details["action"] = .string(terms.action.rawValue)
            if let years = terms.years { details["years"] = .int(Int64(years)) }
            details["mandate"] = .string(terms.mandate)
            if let schedule = terms.schedule { details["schedule"] = .string(schedule) }
        }
        return details
    }
}
