/// The one place that decides who may do what. Interfaces ask it and turn a refusal into their own form (403 over
/// HTTP); the rules themselves live here so every interface enforces the same ones.
public enum AccessPolicy {
    public enum Action: String, Sendable {
        case manageUsers = "manage users and tokens"
        case manageSeries = "manage series"
        case configureStore = "set the store's organisation"
        case readAudit = "read the audit log"
        case verify = "run verification"
        case export = "export packages"
        case importPackages = "import packages"
        case dispose = "dispose of records and manage legal holds"
    }

    /// Store-wide actions.
    public static func allows(_ principal: Principal, _ action: Action) -> Bool {
        guard let role = principal.role else { return true }
        switch action {
        case .manageUsers, .manageSeries, .configureStore: return role == .admin
        case .readAudit: return role == .archivist || role == .admin
        case .verify, .export, .importPackages, .dispose: return role == .archivist
        }
    }

    /// Opening cases, registering, adding versions, correcting metadata, finalising: clerks in the series'
    /// department. Archivists archive (status `archived`) anywhere; admins do not edit records.
    public static func mayEdit(_ principal: Principal, department: Department) -> Bool {
        guard let role = principal.role else { return true }
        return role == .clerk && principal.departments.contains(department)
    }

    /// Whether `mayEdit` holds for some department: what can be checked before a request names its series.
    public static func mayEditSomewhere(_ principal: Principal) -> Bool {
        guard let role = principal.role else { return true }
        return role == .clerk && !principal.departments.isEmpty
    }

    public static func mayArchive(_ principal: Principal, department: Department) -> Bool {
        guard let role = principal.role else { return true }
        return role == .archivist || (role == .clerk && principal.departments.contains(department))
    }

    /// Whether the audit chain's hashes may be shown: only to readers who see every event unredacted (archivists),
    /// since a hash would confirm what redaction leaves out of an event.
    public static func seesAuditChain(_ principal: Principal) -> Bool {
        guard let role = principal.role else { return true }
        return role == .archivist
    }

    /// Whether restricted parts of a document in `department` may be shown: archivists everywhere, clerks in
    /// their own departments (clearance follows the department that holds the document). Admins manage accounts,
    /// not records: a department on an admin's account gives no clearance.
    public static func hasClearance(_ principal: Principal, department: Department) -> Bool {
        guard let role = principal.role else { return true }
        switch role {
        case .archivist: return true
        case .clerk: return principal.departments.contains(department)
        case .admin: return false
        }
    }
}
