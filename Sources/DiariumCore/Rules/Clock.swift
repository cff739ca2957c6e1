import Foundation

/// The source of "now", passed in so tests can pin time and year boundaries.
public protocol Clock: Sendable {
    func now() -> Date
}

public struct SystemClock: Clock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Timestamps as stored and printed: ISO 8601, UTC, milliseconds (`2026-11-25T12:34:56.789Z`).
///
/// Formatted and parsed by hand: exact to the millisecond in both directions (a stored time must hash the same
/// after a round trip, see the audit chain) and cheap enough to call per row.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = ms - days * 86_400_000
        let (y, m, d) = civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(msOfDay / 3_600_000, 2)):\(pad(msOfDay / 60_000 % 60, 2)):"
            + "\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    /// A moment as a clerk reads it: Swedish wall-clock time to the second, with the day's offset so that the hour
    /// repeated when summer time ends is told apart (`2026-03-01 11:15:00 +01:00`). For people (the CLI's listings);
    /// stored times, JSON and XML keep `format`.
    public static func swedishDisplay(_ date: Date) -> String {
        let offset = Int64(swedishZone.secondsFromGMT(for: date))
        let seconds = Int64((date.timeIntervalSince1970).rounded(.down)) + offset
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let ofDay = seconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m))-\(pad(d)) \(pad(ofDay / 3600)):\(pad(ofDay / 60 % 60)):\(pad(ofDay % 60)) "
            + "\(offset < 0 ? "-" : "+")\(pad(abs(offset) / 3600)):\(pad(abs(offset) % 3600 / 60))"
    }

    /// Whether `format` writes this moment with the four-digit year (1000–9999, UTC) that `parse` and every stored
    /// time expect, and its Swedish date (what registrations are dated and indexed by) has one too; a time from
    /// outside input must, or it could not be read back once stored. (9999-12-31T23:30Z is in year 10000 in Sweden.)
    public static func isWritable(_ date: Date) -> Bool {
        let ms = (date.timeIntervalSince1970 * 1000).rounded()
        guard ms.isFinite, abs(ms) < 1e15 else { return false }
        let days = Int64(ms) >= 0 ? Int64(ms) / 86_400_000 : (Int64(ms) - 86_399_999) / 86_400_000
        let (year, month, day) = civil(fromDays: days)
        guard (1000...9999).contains(year) else { return false }
        // Sweden is east of UTC: only the last hours of 9999-12-31 are in another year there. (Foundation's calendar
        // is not asked otherwise: it is slow per call, and Julian before 1582.)
        return !(year == 9999 && month == 12 && day == 31) || swedishYear(of: date) <= 9999
    }

    /// Parses exactly the format `format` writes; nil otherwise.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 24, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b[19] == 46, b[23] == 90 else { return nil }
        func num(_ range: Range<Int>) -> Int64? { digits(b, range) }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16),
              let s = num(17..<19), let ms = num(20..<23), CalendarDate(year: Int(y), month: Int(mo), day: Int(d)) != nil, h < 24, mi < 60, s < 60
        else { return nil }
        let total = (days(fromCivil: y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms
        return Date(timeIntervalSince1970: Double(total) / 1000)
    }

    /// Any XML Schema `dateTime` with a four-digit year and whole seconds, fractions (rounded to milliseconds) and zone
    /// (`Z` or `±hh:mm`; none is UTC) optional, as another tool may write it. Read in the proleptic Gregorian calendar,
    /// as `format` writes: Foundation's ISO 8601 formatter switches to the Julian calendar before 1582 and would move
    /// such a date by days. Nil for anything else.
    public static func parseDateTime(_ text: String) -> Date? {
        if let exact = parse(text) { return exact }
        let b = Array(text.utf8)
        guard b.count >= 19, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58 else { return nil }
        func num(_ range: Range<Int>) -> Int64? { digits(b, range) }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16),
              let s = num(17..<19), CalendarDate(year: Int(y), month: Int(mo), day: Int(d)) != nil, h < 24, mi < 60, s < 60
        else { return nil }
        var i = 19
        var ms: Int64 = 0
        if i < b.count, b[i] == 46 {
            let start = i + 1
            i = start
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
            guard i > start else { return nil }
            // Tenths of milliseconds from the first four digits, rounded to milliseconds.
            var tenths: Int64 = 0
            for k in 0..<4 { tenths = tenths * 10 + (start + k < i ? Int64(b[start + k] - 48) : 0) }
            ms = (tenths + 5) / 10
        }
        var offsetMinutes: Int64 = 0
        if i < b.count {
            if b[i] == 90, i + 1 == b.count {
                // Z
            } else if b[i] == 43 || b[i] == 45, i + 6 == b.count, b[i + 3] == 58, let oh = num(i + 1..<i + 3), let om = num(i + 4..<i + 6),
                      oh < 14 && om < 60 || oh == 14 && om == 0 {
                offsetMinutes = (b[i] == 45 ? -1 : 1) * (oh * 60 + om)
            } else {
                return nil
            }
        }
        let total = (days(fromCivil: y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms - offsetMinutes * 60_000
        return Date(timeIntervalSince1970: Double(total) / 1000)
    }

    /// The decimal number in `bytes[range]`; nil unless every byte is a digit.
    private static func digits(_ bytes: [UInt8], _ range: Range<Int>) -> Int64? {
        var value: Int64 = 0
        for i in range {
            guard (48...57).contains(bytes[i]) else { return nil }
            value = value * 10 + Int64(bytes[i] - 48)
        }
        return value
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Sweden's zone and calendar, made once: a `TimeZone` by identifier reads the zone database, and the pages and
    /// listings ask for a Swedish date per row.
    public static let swedishZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
    public static let swedishCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = swedishZone
        return calendar
    }()

    /// The calendar year of a moment in Swedish local time: a case opened on New Year's Eve at 23:30 UTC is
    /// registered in the next year in Sweden.
    public static func swedishYear(of date: Date) -> Int {
        swedishCalendar.component(.year, from: date)
    }

    /// A wall-clock time on a Swedish calendar date as `xs:dateTime` with Stockholm's offset on that day
    /// (`2030-12-31T23:59:59+01:00`): a date that means a day in Sweden, written so that a reader in any zone sees that
    /// day, where `…Z` would be an hour or two later there (the next day, for the end of a day).
    public static func swedishDateTime(_ date: CalendarDate, hour: Int, minute: Int, second: Int) -> String {
        let moment = swedishCalendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day,
                                                               hour: hour, minute: minute, second: second))
        let offset = moment.map { swedishZone.secondsFromGMT(for: $0) } ?? 0
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        let sign = offset < 0 ? "-" : "+"
        return "\(date)T\(pad(hour)):\(pad(minute)):\(pad(second))\(sign)\(pad(abs(offset) / 3600)):\(pad(abs(offset) % 3600 / 60))"
    }

    /// Today's date in Swedish local time. A moment outside the years 1–9999 there (which `isWritable` keeps out of
    /// the store) gives the nearest date that is not.
    public static func swedishDate(of date: Date) -> CalendarDate {
        let c = swedishCalendar.dateComponents([.era, .year, .month, .day], from: date)
        if let year = c.year, let month = c.month, let day = c.day, c.era != 0, let found = CalendarDate(year: year, month: month, day: day) {
            return found
        }
        return date.timeIntervalSince1970 < 0 ? CalendarDate(year: 1, month: 1, day: 1)! : CalendarDate(year: 9999, month: 12, day: 31)!
    }
}
