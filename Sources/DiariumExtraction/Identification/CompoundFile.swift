/// Just enough of a Microsoft compound file ([MS-CFB], "OLE2": Word, Excel and PowerPoint 97–2003) to find a stream
/// at its root and read the start of it, as DROID's container signatures do. Read-only and bounded by the file: the
/// FAT is read only as far as the file has sectors (4 bytes each), every chain and the directory tree are followed at
/// most as many steps as there are sectors or entries, and directory entries are read when visited, not collected.
struct CompoundFile {
    struct Entry {
        let name: String
        let isStream: Bool
        let start: UInt32
        let size: UInt64
        let left: UInt32, right: UInt32, child: UInt32
    }

    private let file: InputFile
    private let sectorShift: Int
    private let sectorCount: Int
    private let fat: [UInt32]
    private let miniFAT: [UInt32]
    private let directory: [UInt32]
    private let root: Entry

    static let signature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
    static let endOfChain: UInt32 = 0xFFFF_FFFE
    static let noStream: UInt32 = 0xFFFF_FFFF
    /// Streams under this size live in the mini stream. The header repeats it; [MS-CFB] fixes it, as readers do.
    static let miniCutoff: UInt64 = 4096
    static let miniShift = 6

    init?(_ file: InputFile) {
        guard let header = try? file.read(at: 0, count: 512), header.count == 512, FormatIdentifier.starts(header, Self.signature),
              header[0x1C] == 0xFE, header[0x1D] == 0xFF else { return nil }
        let shift = Self.u16(header, 0x1E)
        guard shift == 9 || shift == 12, Self.u16(header, 0x20) == Self.miniShift else { return nil }
        self.file = file
        sectorShift = shift
        let sectorSize = 1 << shift
        let sectors = Int((file.size + Int64(sectorSize) - 1) >> Int64(shift))
        sectorCount = sectors
        func readSector(_ n: UInt32) -> [UInt8]? {
            guard Int(n) < sectors, let bytes = try? file.read(at: (Int64(n) + 1) << Int64(shift), count: sectorSize),
                  bytes.count == sectorSize else { return nil }
            return bytes
        }
        // The FAT, as far as the file has sectors for it to describe: its own sectors are listed 109 in the header,
        // the rest in the DIFAT chain.
        let perSector = sectorSize / 4
        let fatCount = Int(Self.u32(header, 0x2C))
        guard fatCount <= sectors else { return nil }
        let needed = min(fatCount, (sectors + perSector - 1) / perSector)
        var fatSectors: [UInt32] = []
        for i in 0..<min(needed, 109) { fatSectors.append(Self.u32(header, 0x4C + 4 * i)) }
        var difat = Self.u32(header, 0x44)
        var steps = 0
        while fatSectors.count < needed, difat < Self.endOfChain - 2, steps < sectors {
            guard let block = readSector(difat) else { return nil }
            for i in 0..<(perSector - 1) where fatSectors.count < needed { fatSectors.append(Self.u32(block, 4 * i)) }
            difat = Self.u32(block, sectorSize - 4)
            steps += 1
        }
        guard fatSectors.count == needed else { return nil }
        var fat: [UInt32] = []
        fat.reserveCapacity(needed * perSector)
        for sector in fatSectors {
            guard let block = readSector(sector) else { return nil }
            for i in 0..<perSector { fat.append(Self.u32(block, 4 * i)) }
        }
        self.fat = fat
        guard let directory = Self.chain(from: Self.u32(header, 0x30), fat: fat, limit: sectors), !directory.isEmpty else { return nil }
        self.directory = directory
        var miniFAT: [UInt32] = []
        if Self.u32(header, 0x40) > 0 {
            guard let chain = Self.chain(from: Self.u32(header, 0x3C), fat: fat, limit: sectors) else { return nil }
            for sector in chain {
                guard let block = readSector(sector) else { return nil }
                for i in 0..<perSector { miniFAT.append(Self.u32(block, 4 * i)) }
            }
        }
        self.miniFAT = miniFAT
        guard let root = Self.entry(0, directory: directory, file: file, shift: shift), root.name == "Root Entry" || !root.isStream
        else { return nil }
        self.root = root
    }

    /// Directory entry `index`, or nil when it is outside the directory, unused or unreadable.
    private static func entry(_ index: UInt32, directory: [UInt32], file: InputFile, shift: Int) -> Entry? {
        let perSector = (1 << shift) / 128
        guard Int(index) / perSector < directory.count else { return nil }
        let at = (Int64(directory[Int(index) / perSector]) + 1) << Int64(shift) + Int64(Int(index) % perSector * 128)
        guard let e = try? file.read(at: at, count: 128), e.count == 128 else { return nil }
        let length = u16(e, 0x40)
        let type = e[0x42]
        guard (2...64).contains(length), length % 2 == 0, type == 1 || type == 2 || type == 5 else { return nil }
        let units = (0..<(length / 2 - 1)).map { UInt16(e[2 * $0]) | UInt16(e[2 * $0 + 1]) << 8 }
        let size = UInt64(u32(e, 0x78)) | (shift == 12 ? UInt64(u32(e, 0x7C)) << 32 : 0)
        return Entry(name: String(decoding: units, as: UTF16.self), isStream: type == 2, start: u32(e, 0x74), size: size,
                     left: u32(e, 0x44), right: u32(e, 0x48), child: u32(e, 0x4C))
    }

    /// The stream `name` directly under the root: found by walking the root's tree of children (an embedded
    /// object's streams, in storages below, do not count). Names compare as DROID compares them: exactly, after
    /// leading control characters and spaces ("\u{1}CompObj" is CompObj).
    func stream(_ name: String) -> Entry? {
        let entries = directory.count * ((1 << sectorShift) / 128)
        var pending = [root.child]
        var visited: Set<UInt32> = []
        while let index = pending.popLast(), visited.count < entries {
            guard index != Self.noStream, visited.insert(index).inserted,
                  let entry = Self.entry(index, directory: directory, file: file, shift: sectorShift) else { continue }
            if entry.isStream, String(entry.name.drop { $0.unicodeScalars.first!.value <= 0x20 }) == name { return entry }
            pending.append(entry.left)
            pending.append(entry.right)
        }
        return nil
    }

    /// Exactly `count` bytes from the start of stream `name` (fewer when it is shorter), or nil when there is no such
    /// stream or it cannot be read.
    func read(_ name: String, upTo count: Int) -> [UInt8]? {
        guard let entry = stream(name) else { return nil }
        let wanted = Int(min(UInt64(count), entry.size))
        var bytes: [UInt8] = []
        let sectorSize = 1 << sectorShift
        if entry.size < Self.miniCutoff {
            // In the mini stream: 64-byte sectors inside the root entry's own chain.
            let miniSize = 1 << Self.miniShift
            guard let minis = Self.chain(from: entry.start, fat: miniFAT, limit: miniFAT.count, upTo: (wanted + miniSize - 1) / miniSize)
            else { return nil }
            let last = minis.map { (Int($0) << Self.miniShift) / sectorSize }.max() ?? -1
            guard let rootChain = Self.chain(from: root.start, fat: fat, limit: sectorCount, upTo: last + 1), rootChain.count > last
            else { return nil }
            for mini in minis {
                let offset = Int(mini) << Self.miniShift
                let at = (Int64(rootChain[offset / sectorSize]) + 1) << Int64(sectorShift) + Int64(offset % sectorSize)
                let want = min(miniSize, wanted - bytes.count)
                guard let part = try? file.read(at: at, count: want), part.count == want else { return nil }
                bytes += part
            }
        } else {
            guard let sectors = Self.chain(from: entry.start, fat: fat, limit: sectorCount, upTo: (wanted + sectorSize - 1) / sectorSize)
            else { return nil }
            for sector in sectors {
                let want = min(sectorSize, wanted - bytes.count)
                guard let part = try? file.read(at: (Int64(sector) + 1) << Int64(sectorShift), count: want), part.count == want
                else { return nil }
                bytes += part
            }
        }
        return bytes.count == wanted ? bytes : nil
    }

    /// The first `upTo` sectors (all, by default) of the chain starting at `start`; nil when it leaves the table or
    /// does not end within `limit` steps.
    static func chain(from start: UInt32, fat: [UInt32], limit: Int, upTo wanted: Int = .max) -> [UInt32]? {
        var sectors: [UInt32] = []
        var next = start
        while next != endOfChain, sectors.count < wanted {
            guard Int(next) < fat.count, sectors.count < limit else { return nil }
            sectors.append(next)
            next = fat[Int(next)]
        }
        return sectors
    }

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
