#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DiariumCore
import DiariumServices
import Foundation

extension RecordsService {
    /// Refuses a file or folder the user asked a command to write when it lies in the store (`Store.holds`): an export
    /// named `catalog.sqlite` there replaced the catalog (found by a black-box review).
    func refuseOutputInStore(_ path: String, field: String) throws {
        if store.holds(path) {
            throw DiariumError.invalid(field, "\(path) is inside the store (\(store.root)), whose own files it could replace: "
                                       + "write it outside the store")
        }
    }
}

/// `--store PATH`, else `$DIARIUM_STORE`, else `./Storage`.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store directory (default: $DIARIUM_STORE, else ./Storage).", valueName: "path"))
    var store: String?

    var path: String {
        if let store { return store }
        if let env = ProcessInfo.processInfo.environment["DIARIUM_STORE"], !env.isEmpty { return env }
        return "./Storage"
    }

    func validate() throws {
        if store?.isEmpty == true { throw ValidationError("--store needs a path") }
    }

    func open(readOnly: Bool = false) throws -> RecordsService {
        try RecordsService.open(at: path, readOnly: readOnly)
    }
}

/// `--as NAME`, else `$DIARIUM_USER`, else the operating-system user: who the audit log names.
struct ActorOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp("Who is acting (default: $DIARIUM_USER, else the OS user).", valueName: "user"))
    var actor: String?

    var name: String {
        if let actor { return actor }
        if let env = ProcessInfo.processInfo.environment["DIARIUM_USER"], !env.isEmpty { return env }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid-\(geteuid())"
    }
}

struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false
}

/// A series code as typed on the command line: in any case (`ks` is KS), as the search language takes it.
func seriesCode(_ text: String, field: String = "series") throws(DiariumError) -> SeriesCode {
    try SeriesCode(parsing: text.uppercased(), field: field)
}

/// A case or document number as a clerk types it: the series in any case (`ks 2026/14-3`), as `--series` takes it.
func typedNumber(_ text: String) -> String { SeriesCode.uppercasingSeries(of: text) }

/// Parses one of an enum's raw values, in any case or as the Swedish word (`--type beslut`), naming the field and
/// the accepted values when it is not one.
/// `what` names the value in words where the option's name does not ("restriction ground" for --restrict).
func parseChoice<E: CaseIterable & RawRepresentable>(_ text: String, field: String, what: String? = nil) throws -> E where E.RawValue == String {
    guard let value = E.typed(text) else {
        // Shown as typed up to a line's worth: an error repeats a mistake, not 100,000 characters of it.
        let shown = text.count > 80 ? text.prefix(80) + "…" : text
        throw DiariumError.invalid(field, "unknown \(what ?? field) '\(shown)': use one of \(E.choices)")
    }
    return value
}

/// Access-restriction options shared by `register` and `update`.
struct RestrictionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Restrict access on this ground: security, secrecy or privacy. Needs --legal.", valueName: "kind"))
    var restrict: String?

    @Option(help: ArgumentHelp("The legal reference the restriction rests on, e.g. \"OSL 26 kap. 1 §\".", valueName: "reference"))
    var legal: String?

    @Option(name: .customLong("restrict-until"), help: ArgumentHelp("Last day the restriction applies (YYYY-MM-DD), or none. On update, left out: the current end date stays when the ground and legal reference are the same.", valueName: "date"))
    var until: String?

    @Option(help: ArgumentHelp("What the restriction hides: content, title, parties (comma-separated). Default: content; on update, what the current restriction hides.", valueName: "parts"))
    var hide: String?

    /// `nil` when no restriction option was given.
    func restriction() throws -> AccessRestriction? {
        guard let restrict else {
            if legal != nil || until != nil || hide != nil {
                throw DiariumError.invalid("restrict", "--legal, --restrict-until and --hide need --restrict KIND (security, secrecy or privacy)")
            }
            return nil
        }
        let kind: AccessRestriction.Kind = try parseChoice(restrict, field: "restrict", what: "restriction ground")
        let hides: [AccessRestriction.Part] = try hide.map { list in
            try list.split(separator: ",").map { try parseChoice(String($0).trimmingCharacters(in: .whitespaces), field: "hide", what: "part to hide") }
        } ?? AccessRestriction.defaultHides
        return try AccessRestriction(kind: kind, legalReference: legal ?? "",
                                     until: try endDate(until),
                                     hides: hides)
    }
}

/// `--restrict-until`: a date, or `none` for a restriction without an end (a correction then drops the current one).
private func endDate(_ text: String?) throws -> CalendarDate? {
    guard let text, text != "none" else { return nil }
    return try CalendarDate(parsing: text, field: "restrict-until")
}

/// A case's title restriction: the same ground as a document's, hiding the title only.
struct CaseRestrictionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Withhold the title from the public on this ground: security, secrecy or privacy. Needs --legal.", valueName: "kind"))
    var restrict: String?

    @Option(help: ArgumentHelp("The legal reference the restriction rests on, e.g. \"OSL 26 kap. 1 §\".", valueName: "reference"))
    var legal: String?

    @Option(name: .customLong("restrict-until"), help: ArgumentHelp("Last day the restriction applies (YYYY-MM-DD), or none. On update, left out: the current end date stays when the ground and legal reference are the same.", valueName: "date"))
    var until: String?

    func restriction() throws -> AccessRestriction? {
        guard let restrict else {
            if legal != nil || until != nil {
                throw DiariumError.invalid("restrict", "--legal and --restrict-until need --restrict KIND (security, secrecy or privacy)")
            }
            return nil
        }
        let kind: AccessRestriction.Kind = try parseChoice(restrict, field: "restrict", what: "restriction ground")
        return try AccessRestriction(kind: kind, legalReference: legal ?? "",
                                     until: try endDate(until), hides: [.title])
    }
}

/// `--limit` as given, or refused by name when below 1 or above `maximum`: never quietly changed into another number.
func checkedLimit(_ limit: Int, maximum: Int = .max) throws(DiariumError) -> Int {
    guard limit >= 1, limit <= maximum else {
        throw .invalid("limit", maximum == .max ? "--limit must be at least 1, not \(limit)" : "--limit must be from 1 to \(maximum), not \(limit)")
    }
    return limit
}

func parseDate(_ text: String?, field: String) throws -> CalendarDate? {
    try text.map { try CalendarDate(parsing: $0, field: field) }
}

/// A retention rule's terms, as `retention set`, `class set` and `class set-rule` take them: `--keep` or
/// `--dispose-after YEARS`, with the `--mandate` behind it and optionally its `--schedule`.
struct RuleOptions: ParsableArguments {
    @Flag(help: "Keep for ever (bevaras).") var keep = false
    // Unconditional: "-1" is a value for the rule to refuse by name, not a missing one.
    @Option(name: .customLong("dispose-after"), parsing: .unconditional,
            help: ArgumentHelp("Dispose of (gallras) this many years after the case is closed.", valueName: "years"))
    var disposeAfter: Int?
    @Option(help: "The decision or regulation behind the rule (gallringsbeslut), e.g. \"KS 2024-03-12 § 45\".") var mandate: String?
    @Option(help: "The schedule the rule belongs to, e.g. \"IHP KS 2024\".") var schedule: String?

    /// The terms given, which must be there.
    func terms() throws -> RetentionTerms {
        guard keep || disposeAfter != nil, let terms = try optionalTerms() else {
            throw DiariumError.invalid("keep", "give exactly one of --keep and --dispose-after YEARS")
        }
        return terms
    }

    /// The terms given, or nil when none are (then neither --mandate nor --schedule may be).
    func optionalTerms() throws -> RetentionTerms? {
        if keep && disposeAfter != nil { throw DiariumError.invalid("keep", "give exactly one of --keep and --dispose-after YEARS, not both") }
        guard keep || disposeAfter != nil else {
            if mandate != nil || schedule != nil {
                throw DiariumError.invalid("mandate", "--mandate and --schedule go with a rule: give --keep or --dispose-after YEARS")
            }
            return nil
        }
        guard let mandate else { throw DiariumError.invalid("mandate", "a rule needs its --mandate (the decision behind it)") }
        return try RetentionTerms(action: keep ? .keep : .dispose, years: disposeAfter, mandate: mandate, schedule: schedule)
    }
}
