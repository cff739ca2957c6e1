import DiariumFuzzing
import Foundation

exit(FuzzCommand.main(CommandLine.arguments))
