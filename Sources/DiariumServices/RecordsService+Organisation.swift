import DiariumCore
import DiariumStorage

extension RecordsService {
    /// `store_info` keys of the organisation whose records the store keeps (the archival creator its packages name).
    static let organisationNameKey = "organisation_name"
    static let organisationCodeKey = "organisation_code"

    /// The organisation (arkivbildare) whose records these are, as set by `setOrganisation`; nil until then.
    public func organisation() throws(DiariumError) -> Organisation? {
        try store.catalog.read { access in try Self.organisation(access) }
    }

    static func organisation(_ access: CatalogAccess) throws -> Organisation? {
        guard let name = try access.info(organisationNameKey) else { return nil }
        let code = try access.info(organisationCodeKey)
        // Checked as it was when set: a value edited in the catalog into something unusable is named, not exported.
        // (A name set before lines refused bidirectional controls is read without them, not refused.)
        do throws(DiariumError) {
            return try Organisation(name: TextRules.withoutBidirectionalControls(name), code: code)
        } catch {
            throw DiariumError(.integrity, "the store's organisation (store_info) is not valid: \(error.message)")
        }
    }

    /// Names the organisation whose records the store keeps: every package exported from now on names it as
    /// archival creator (and, unless the export names another, as submitter). Audited as `store.organisation`
    /// with the name and code, before and after; setting what is already set changes nothing and logs nothing.
    @discardableResult
    public func setOrganisation(_ organisation: Organisation, actor: String,
                                condition: SettingCondition<Organisation>? = nil) throws(DiariumError) -> Organisation {
        let actor = try checkedActor(actor)
        return try store.catalog.write { access in
            if let condition { try condition(try Self.organisation(access)) }
            // As stored, even if no longer valid: the event says what was replaced.
            let oldName = try access.info(Self.organisationNameKey), oldCode = try access.info(Self.organisationCodeKey)
            if oldName == organisation.name && oldCode == organisation.code { return organisation }
            try access.setInfo(Self.organisationNameKey, organisation.name)
            if let code = organisation.code {
                try access.setInfo(Self.organisationCodeKey, code)
            } else {
                try access.removeInfo(Self.organisationCodeKey)
            }
            var details = AuditDetails()
            details["name"] = .string(organisation.name)
            details["code"] = organisation.code.map { .string($0) }
            details["previousName"] = oldName.map { .string($0) }
            details["previousCode"] = oldCode.map { .string($0) }
            try access.appendAudit(at: clock.now(), actor: actor, action: .storeOrganisation, object: "store", version: nil,
                                   details: details.json)
            return organisation
        }
    }
}
