import Foundation

/// `../shared` beside the checkout: official schemas and external validators (test data, never copied in).
public enum SharedMaterial {
    /// The package root, found from this file's path so tests do not depend on the working directory.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/DiariumTesting/SharedMaterial.swift
        return url.path
    }()

    public static let root = URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared").path

    public static func path(_ relative: String) -> String { "\(root)/\(relative)" }

    /// The validators' venv made by `scripts/setup-validators.sh` (nil when it was not set up).
    public static var validatorsVenv: String? {
        let venv = ProcessInfo.processInfo.environment["DIARIUM_VALIDATORS"] ?? "\(packageRoot)/.build-validators/venv"
        return FileManager.default.isExecutableFile(atPath: "\(venv)/bin/python") ? venv : nil
    }
}
