import DiariumCore
import DiariumStorage

extension RecordsService {
    /// Restrictions whose last day has passed (Swedish time), oldest end first: a restriction lasts only as long
    /// as its ground, so these are due for review, to be lifted or given a new ground. Numbers and grounds only,
    /// which the public diarium shows anyway.
    public func restrictionsEnded(asOf date: CalendarDate? = nil, series: SeriesCode? = nil,
                                  limit: Int = 1000) throws(DiariumError) -> [EndedRestriction] {
        let day = date ?? Timestamp.swedishDate(of: clock.now())
        return try store.catalog.read { try $0.restrictionsEnded(before: day, series: series, limit: limit) }
    }
}
