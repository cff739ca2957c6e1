/// One entry of an archive, as its header describes it.
public struct ArchiveEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file
        case directory
        case symbolicLink
        case hardLink
        /// A device, FIFO or socket; `mode` holds the file-type bits.
        case other(mode: UInt32)
    }

    /// The name exactly as stored (UTF-8). Not yet checked: see `ArchivePathPolicy`.
    public let path: String
    public let kind: Kind
    /// The size the header claims, when it claims one. Never trust it for limits: compressed entries can lie.
    public let declaredSize: Int64?
    /// The target of a symbolic or hard link.
    public let linkTarget: String?

    public init(path: String, kind: Kind, declaredSize: Int64?, linkTarget: String? = nil) {
        self.path = path
        self.kind = kind
        self.declaredSize = declaredSize
        self.linkTarget = linkTarget
    }
}

/// Bounds on what reading one archive may cost. The defaults stop bombs, not big but honest packages.
public struct ArchiveLimits: Sendable, Equatable {
    public var maxEntries: Int
    /// Decompressed bytes of one entry, counted as they come out (not the header's claim).
    public var maxEntryBytes: Int64
    /// Decompressed bytes of all entries read (and of entries skipped in a compressed stream, which must be inflated).
    public var maxTotalBytes: Int64

    public init(maxEntries: Int = 100_000, maxEntryBytes: Int64 = 2 << 30, maxTotalBytes: Int64 = 16 << 30) {
        self.maxEntries = maxEntries
        self.maxEntryBytes = maxEntryBytes
        self.maxTotalBytes = maxTotalBytes
    }

    /// Packages read from others (an upload, an interchange) decompress to at most `inflationRatio` times their size,
    /// and never less than `receivedFloor`, within the defaults: a 16 MiB tar.gz cannot make the server inflate,
    /// hash and stage 16 GiB before the package is refused.
    public static let inflationRatio: Int64 = 100
    public static let receivedFloor: Int64 = 64 << 20

    public static func forReceived(compressedSize: Int64) -> ArchiveLimits {
        var limits = ArchiveLimits()
        let (scaled, overflow) = max(0, compressedSize).multipliedReportingOverflow(by: inflationRatio)
        limits.maxTotalBytes = min(limits.maxTotalBytes, max(receivedFloor, overflow ? .max : scaled))
        limits.maxEntryBytes = min(limits.maxEntryBytes, limits.maxTotalBytes)
        return limits
    }
}
